"""The real assistant end to end: real embedding model, real cross-encoder, real Chroma in tmp."""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
from pathlib import Path

import pytest

from assistant import load_assistant
from assistant.answerability import AnswerabilityModel
from assistant.answering import Answer, QuestionError
from assistant.batch import answer_lines
from assistant.bot import Assistant
from assistant.config import Settings

SHIPPED_CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("bot")
    shutil.copytree(SHIPPED_CORPUS, root / "corpus")
    # No index yet: load_assistant builds it.
    return load_assistant(Settings(corpus_dir=root / "corpus", index_dir=root / "index"))


def _assert_checkable(answer: Answer, bot: Assistant) -> None:
    for citation in answer.citations:
        assert bot.reviews[citation.review_id].text[citation.start : citation.end] == citation.quote
        assert f"[{citation.number}]" in answer.text


def test_factual_question_gets_the_answer_short_or_marked_in_its_sentence(bot: Assistant) -> None:
    answer = bot.ask("How long was Ai Weiwei detained?")
    assert not answer.refused
    assert answer.text.startswith("81 days [1]") or "**81 days**" in answer.text
    assert any("81 days" in c.quote for c in answer.citations)
    _assert_checkable(answer, bot)


def test_director_question(bot: Assistant) -> None:
    answer = bot.ask("Who directed the film?")
    assert "Alison Klayman" in answer.text
    _assert_checkable(answer, bot)


def test_follow_up_uses_the_history(bot: Assistant) -> None:
    history = [("What did Ai Weiwei install at Tate Modern?", "Sunflower Seeds [1].")]
    answer = bot.ask("How many were there?", history)
    assert "What did Ai Weiwei install at Tate Modern?" in answer.standalone_question
    assert "100 million" in answer.text or "one hundred million" in answer.text
    _assert_checkable(answer, bot)


def test_off_topic_question_is_refused_without_citations(bot: Assistant) -> None:
    answer = bot.ask("What is the best recipe for dumplings?")
    assert answer.refused and answer.citations == ()
    assert "reviews don't say" in answer.text


def test_stream_yields_text_then_the_answer(bot: Assistant) -> None:
    pieces = list(bot.stream("How long was Ai Weiwei detained?"))
    assert isinstance(pieces[-1], Answer)
    assert len(pieces) > 2 and all(isinstance(p, str) for p in pieces[:-1])
    assert "81 days" in pieces[-1].text


def test_bad_questions_raise_question_error(bot: Assistant) -> None:
    for question in ("", "   ", "x" * 100_000, b"\xff\x00\xfe"):
        with pytest.raises(QuestionError):
            bot.ask(question)


def test_with_settings_shares_models_and_changes_answering(bot: Assistant) -> None:
    wider = bot.with_settings(top_k=8, wide_passages=0)
    assert wider.models is bot.models and wider.settings.top_k == 8 and bot.settings.top_k != 8
    assert len(wider.ask("How long was Ai Weiwei detained?").passages) == 8
    # The offline backend also reads `wide_passages` more (at its stricter threshold).
    assert len(wider.with_settings(wide_passages=3).ask("How long was Ai Weiwei detained?").passages) == 11


def test_an_answerability_model_file_from_the_settings_is_used(bot: Assistant, tmp_path: Path) -> None:
    # The shipped model with its threshold raised to 1.0 refuses everything.
    strict = tmp_path / "strict.json"
    dataclasses.replace(AnswerabilityModel.load(), threshold=1.0).save(strict)
    assert not bot.ask("How long was Ai Weiwei detained?").refused
    assert (
        bot.with_settings(answerability_model=strict, refusal_threshold=None)
        .ask("How long was Ai Weiwei detained?")
        .refused
    )


def test_refusal_threshold_in_use_is_the_setting_or_the_model_s_own(bot: Assistant) -> None:
    own = bot.with_settings(refusal_threshold=None)
    assert own.refusal_threshold() == pytest.approx(AnswerabilityModel.load().threshold)
    assert bot.with_settings(refusal_threshold=0.3).refusal_threshold() == 0.3


def test_ask_jsonl_is_one_stable_record_per_line(bot: Assistant) -> None:
    lines = [
        json.dumps({"id": "a", "question": "How long was Ai Weiwei detained?"}),
        json.dumps(
            {
                "id": "b",
                "question": "Was it her first feature?",
                "history": [["Who directed it?", "Alison Klayman"]],
            }
        ),
        json.dumps({"id": "c", "question": ""}),
        "not json",
    ]
    out = io.StringIO()
    status = answer_lines(bot, lines, out)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["id"] for r in records[:3]] == ["a", "b", "c"] and len(records) == 4
    assert status == 1  # two bad lines
    first = records[0]
    assert set(first) == {"id", "answer", "refused", "citations", "closest", "latency_s"}
    assert "81 days" in first["answer"] and first["refused"] is False
    assert set(first["citations"][0]) == {"number", "review_id", "start", "end", "quote"}
    assert "error" in records[2] and "error" in records[3]


def test_an_eval_run_records_the_refusal_threshold_in_use(bot: Assistant) -> None:
    from assistant.eval_run import run_cases
    from assistant.evaluation import load_cases

    cases = load_cases(SHIPPED_CORPUS.parent / "eval" / "dev_questions.jsonl", bot.reviews)[:2]
    run = run_cases(bot.with_settings(refusal_threshold=None), cases, "base")
    assert len(run.results) == 2
    assert run.settings["refusal_threshold"].startswith(f"{AnswerabilityModel.load().threshold:.3f} ")
    fixed = run_cases(bot.with_settings(refusal_threshold=0.3), cases[:1], "fixed")
    assert fixed.settings["refusal_threshold"] == "0.3"


def _ids(bot: Assistant, question: str, k: int = 5) -> list[str]:
    return [h.chunk_id for h in bot.retriever.retrieve(question, k)]


def test_with_settings_rebuilds_the_retriever_for_retrieval_settings(bot: Assistant) -> None:
    lines = (SHIPPED_CORPUS.parent / "eval" / "dev_questions.jsonl").read_text().splitlines()
    questions = [json.loads(line)["question"] for line in lines]
    before = {q: _ids(bot, q) for q in questions}
    narrow = bot.with_settings(candidates=1)
    assert narrow.retriever is not bot.retriever and narrow.retriever.candidates == 1
    assert all(len(_ids(narrow, q)) == 1 for q in questions[:3])
    other = "rrf" if bot.settings.fusion == "convex" else "convex"
    fused_otherwise = bot.with_settings(fusion=other)
    assert fused_otherwise.retriever.fusion == other
    assert any(_ids(fused_otherwise, q) != before[q] for q in questions)
    # The base keeps its settings, retriever and results.
    assert bot.settings.candidates == 20 and bot.retriever.fusion == bot.settings.fusion
    assert all(_ids(bot, q) == before[q] for q in questions)


def test_with_settings_loads_the_reranker_for_the_copy_only(bot: Assistant) -> None:
    reranked = bot.with_settings(reranker="onnx")
    assert bot.settings.reranker == "none" and bot.retriever.reranker is None
    assert bot.models.passage_reranker is None and reranked.models.passage_reranker is not None
    hits = reranked.retriever.retrieve("How long was Ai Weiwei detained?", 3)
    assert all(h.rerank_score is not None for h in hits) and "81 days" in hits[0].text
    assert reranked.models.embedder is bot.models.embedder


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"chunk_size": 600}, "chunk_size needs its own index.*ASSISTANT_CHUNK_SIZE=600.*without --compare"),
        ({"embedding_model": "other-model"}, "embedding_model needs its own index"),
        ({"index_dir": Path("elsewhere")}, "index_dir needs its own index"),
    ],
)
def test_with_settings_refuses_settings_that_need_another_index(
    bot: Assistant, change: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        bot.with_settings(**change)
    assert bot.with_settings(chunk_size=bot.settings.chunk_size).settings == bot.settings


@pytest.mark.parametrize(
    ("question", "history"),
    [
        # The trust issue's examples: each once got a confident, cited, wrong answer.
        ("Who composed the soundtrack?", [("Who directed the film?", "Alison Klayman [1].")]),
        ("Who composed the music for the film?", []),
        ("What year was Ai Weiwei born?", []),
        ("Who directed Jaws?", []),
    ],
)
def test_what_the_reviews_dont_say_is_refused_plainly(
    bot: Assistant, question: str, history: list[tuple[str, str]]
) -> None:
    answer = bot.ask(question, history)
    assert answer.refused and answer.citations == ()
    assert answer.text.startswith("The reviews don't")
    assert "Ai Weiwei [1]" not in answer.text and "1983" not in answer.text
    for near in answer.closest:  # context only, and still an exact span of its review
        assert bot.reviews[near.review_id].text[near.start : near.end] == near.quote


def test_a_follow_up_that_names_its_own_subject_is_not_glued_to_the_last_turn(bot: Assistant) -> None:
    answer = bot.ask("Who composed the soundtrack?", [("Who directed the film?", "Alison Klayman [1].")])
    assert answer.standalone_question == "Who composed the soundtrack?"


def test_answers_survive_rebuilds_run_by_another_process(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    shutil.copytree(SHIPPED_CORPUS, tmp_path / "corpus")
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    bot = load_assistant(settings)
    first = bot.store.read_manifest()
    assistant = str(Path(sys.executable).with_name("assistant"))
    env = {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
        "ASSISTANT_INDEX_DIR": str(settings.index_dir),
    }
    for _ in range(2):  # two rebuilds: the generation the bot loaded is dropped by the second
        done = subprocess.run(
            [assistant, "index", "--rebuild", "--quiet"], env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stdout + done.stderr
        answer = bot.ask("How long was Ai Weiwei detained?")
        assert not answer.refused and "81 days" in answer.text
    live = bot.store.read_manifest()
    assert first is not None and live is not None and live.generation != first.generation
    assert first.generation not in bot.store.generations()
    assert bot._generation == live.generation  # it followed the manifest


def test_asking_does_not_wait_for_a_build_running_elsewhere(tmp_path: Path) -> None:
    import fcntl

    from assistant.indexing import BuildLockedError

    shutil.copytree(SHIPPED_CORPUS, tmp_path / "corpus")
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    load_assistant(settings)  # builds the index
    with open(tmp_path / "index" / ".build.lock", "w") as held:  # as another build would hold it
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        answer = load_assistant(settings).ask("How long was Ai Weiwei detained?")
        assert "81 days" in answer.text
        empty = settings.replace(index_dir=tmp_path / "other-index")
        (tmp_path / "other-index").mkdir()
        with open(tmp_path / "other-index" / ".build.lock", "w") as other:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            with pytest.raises(BuildLockedError):  # nothing to read yet: the lock is the message
                load_assistant(empty)


def test_a_bad_review_file_never_takes_answering_down(tmp_path: Path) -> None:
    """With an index built, a broken file and a duplicate id: answers go on from the other reviews,
    and the warning names every bad file until they are fixed."""
    import subprocess
    import sys

    shutil.copytree(SHIPPED_CORPUS, tmp_path / "corpus")
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    load_assistant(settings)  # builds the index
    (tmp_path / "corpus" / "zz-bad.md").write_text("---\ntitle: Bad\ndate: 2012-13-45\n---\nText.\n")
    (tmp_path / "corpus" / "review-000.txt").write_text("A second file claiming review-000.\n")

    bot = load_assistant(settings)
    assert bot.corpus_warning is not None
    assert "zz-bad.md" in bot.corpus_warning and "review-000.txt" in bot.corpus_warning
    answer = bot.ask("How long was Ai Weiwei detained?")
    assert not answer.refused and "81 days" in answer.text
    assert {c.review_id for c in answer.citations} <= set(bot.reviews) == {"review-001"}

    from assistant.index_state import index_status

    status = index_status(settings)
    assert status.state.value == "stale" and len(status.problems) == 2
    assert status.changes is not None and status.changes.removed == ()  # unusable, not removed
    env = {"ASSISTANT_CORPUS_DIR": str(settings.corpus_dir), "ASSISTANT_INDEX_DIR": str(settings.index_dir)}
    run = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "status"],
        capture_output=True, text=True, timeout=120, env={**__import__("os").environ, **env},
    )  # fmt: skip
    assert run.returncode == 1 and "cannot use" in run.stdout and "zz-bad.md" in run.stdout

    (tmp_path / "corpus" / "zz-bad.md").unlink()
    (tmp_path / "corpus" / "review-000.txt").unlink()
    assert load_assistant(settings).corpus_warning is None
