"""The reader's training data (assistant/reader_data.py) and the shipped model (assistant/reader.py)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from assistant.reader import MODEL_PATH, Reader, ReaderError
from assistant.reader_data import FACTS, Pair, drop_near_copies, load_sentences, make_pairs
from assistant.reranking import OnnxCrossEncoder

PROJECT_DIR = Path(__file__).resolve().parents[1]
CORPUS = PROJECT_DIR / "corpus"
TRAIN = PROJECT_DIR / "eval" / "train_questions.jsonl"
PARAPHRASES = PROJECT_DIR / "eval" / "train_paraphrases.jsonl"
HELD_OUT = [
    PROJECT_DIR / "eval" / f"{name}_questions.jsonl" for name in ("dev", "dev2", "dev3", "test", "blind")
]


@pytest.fixture(scope="module")
def pairs() -> list[Pair]:
    return make_pairs(13, corpus_dir=CORPUS, questions_path=TRAIN, paraphrases_path=PARAPHRASES)


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text.lower()).split())


def test_same_seed_same_data_other_seed_other_order(pairs: list[Pair]) -> None:
    again = make_pairs(13, corpus_dir=CORPUS, questions_path=TRAIN, paraphrases_path=PARAPHRASES)
    assert again == pairs
    other = make_pairs(14, corpus_dir=CORPUS, questions_path=TRAIN, paraphrases_path=PARAPHRASES)
    assert other != pairs


def test_paraphrases_take_their_questions_label(pairs: list[Pair]) -> None:
    from assistant.reader_data import load_paraphrases, training_questions

    shipped = load_paraphrases(PARAPHRASES)
    assert set(shipped) <= set(training_questions(CORPUS, TRAIN))  # never a held-out question
    by_source: dict[str, set[int]] = {}
    for p in pairs:
        by_source.setdefault(p.source, set()).add(p.label)
    assert by_source["paraphrase"] == {1}
    for source in ("near_miss_paraphrase", "paraphrase_paragraph", "paraphrase_lexical"):
        assert by_source[source] == {0}, source
    question, paraphrases = next((q, ps) for q, ps in shipped.items() if q == "Who directed the film?" and ps)
    directed = "Directed by Alison Klayman"
    labelled = {(p.question, p.sentence): p.label for p in pairs}
    assert any(labelled.get((para, directed)) == 1 for para in paraphrases), (question, paraphrases)


def test_more_paraphrases_join_those_of_the_shipped_file(pairs: list[Pair], tmp_path: Path) -> None:
    more = tmp_path / "more.jsonl"
    extra = "Who stood behind the camera for this movie?"
    more.write_text(json.dumps({"question": "Who directed the film?", "paraphrases": [extra]}) + "\n")
    widened = make_pairs(
        13, corpus_dir=CORPUS, questions_path=TRAIN, paraphrases_path=PARAPHRASES, more_paraphrases_path=more
    )
    labelled = {(p.question, p.sentence): p.label for p in widened}
    assert labelled.get((extra, "Directed by Alison Klayman")) == 1
    shipped = {p.question for p in pairs}
    assert extra not in shipped and shipped <= {p.question for p in widened}


def test_synthetic_reviews_add_their_own_pairs_and_keep_the_rest(pairs: list[Pair], tmp_path: Path) -> None:
    text = "Harbour Lights follows the painter Mara Vell. It was directed by Tomas Reid. She lives in Porto."
    question = {"kind": "fact", "question": "Who directed Harbour Lights?", "answers": ["Tomas Reid"]}
    question_evidence = "It was directed by Tomas Reid."
    doc = {
        "doc_id": "syn-x-01",
        "title": "t",
        "text": text,
        "questions": [{**question, "evidence": [question_evidence]}],
    }
    synthetic = tmp_path / "synthetic.jsonl"
    synthetic.write_text(json.dumps(doc) + "\n", encoding="utf-8")
    widened = make_pairs(
        13, corpus_dir=CORPUS, questions_path=TRAIN, paraphrases_path=PARAPHRASES, synthetic_path=synthetic
    )
    added = {(p.sentence, p.label) for p in widened if p.review_id == "syn-x-01"}
    assert ("It was directed by Tomas Reid.", 1) in added and any(label == 0 for _, label in added)
    assert {(p.question, p.sentence, p.label) for p in pairs} <= {
        (p.question, p.sentence, p.label) for p in widened
    }
    # A later round's file adds its reviews after these, and leaves these pairs as they were.
    later = tmp_path / "more.jsonl"
    other = {
        **question,
        "question": "Who made Harbour Lights?",
        "evidence": ["It was directed by Tomas Reid."],
    }
    later.write_text(json.dumps({**doc, "doc_id": "syn-y-01", "questions": [other]}) + "\n", encoding="utf-8")
    both = make_pairs(
        13,
        corpus_dir=CORPUS,
        questions_path=TRAIN,
        paraphrases_path=PARAPHRASES,
        synthetic_path=synthetic,
        more_synthetic_path=later,
    )
    assert {p.review_id for p in both} >= {"syn-x-01", "syn-y-01"}
    assert {(p.question, p.sentence, p.label) for p in widened} <= {
        (p.question, p.sentence, p.label) for p in both
    }


def test_wordnet_variants_a_synonym_answers_a_sister_term_does_not(tmp_path: Path) -> None:
    table = tmp_path / "wordnet.jsonl"
    row = {
        "question": "Who directed the film?",
        "synonyms": ["Who helmed the film?"],
        "sisters": [
            {"question": "Who edited this film?", "word": "directed", "lemma": "direct"},
            # the sentence holds "Alison": a variant bringing in a word the sentence has is not a near miss
            {"question": "Who alison this film?", "word": "directed", "lemma": "direct"},
        ],
    }
    table.write_text(json.dumps(row) + "\n")
    widened = make_pairs(
        13, corpus_dir=CORPUS, questions_path=TRAIN, paraphrases_path=PARAPHRASES, wordnet_path=table
    )
    labelled = {(p.question, p.sentence): (p.label, p.source) for p in widened}
    assert labelled[("Who helmed the film?", "Directed by Alison Klayman")] == (1, "wordnet_synonym")
    assert labelled[("Who edited this film?", "Directed by Alison Klayman")] == (0, "wordnet_sister")
    assert ("Who alison this film?", "Directed by Alison Klayman") not in labelled
    # a sister term is a negative only for sentences holding the changed word ("direct...")
    assert all(
        "direct" in s.lower() for (q, s), (label, _) in labelled.items() if q == "Who edited this film?"
    )


def test_the_shipped_wordnet_table_is_made_from_training_questions_only() -> None:
    from assistant.reader_data import WORDNET, heldout_questions, load_wordnet, training_questions

    table = load_wordnet(PROJECT_DIR / WORDNET)
    assert table and set(table) <= set(training_questions(CORPUS, TRAIN))
    heldout = {_norm(q) for q in heldout_questions(PROJECT_DIR)}
    for variants in table.values():
        questions = list(variants["synonyms"]) + [v["question"] for v in variants["sisters"]]
        assert not heldout & {_norm(q) for q in questions}


def test_no_paraphrase_file_no_paraphrase_pairs(tmp_path: Path) -> None:
    plain = make_pairs(13, corpus_dir=CORPUS, questions_path=TRAIN, paraphrases_path=tmp_path / "none.jsonl")
    assert plain and not any("paraphrase" in p.source for p in plain)


def test_generated_questions_are_positive_for_their_sentence_only() -> None:
    from assistant.reader_data import GENERATED, load_generated

    pairs = make_pairs(13, corpus_dir=CORPUS, questions_path=TRAIN, generated_path=PROJECT_DIR / GENERATED)
    rows = load_generated(PROJECT_DIR / GENERATED)
    assert rows, "eval/train_generated.jsonl is committed"
    labelled = {(p.question, p.sentence): p for p in pairs}
    keys = [(str(r["question"]), str(r["evidence"][0]["quote"])) for r in rows]  # type: ignore[index]
    kept = [key for key in keys if key in labelled]
    assert len(kept) > len(rows) / 2  # the rest were near copies of held-out questions, or clashed
    for key in kept:
        pair = labelled[key]
        assert pair.label == 1 and pair.source in ("generated_positive", "positive"), pair
    negatives = [p for p in pairs if p.source in ("generated_paragraph", "generated_lexical")]
    assert negatives and {p.label for p in negatives} == {0}


def test_generated_questions_are_off_by_default(pairs: list[Pair], tmp_path: Path) -> None:
    assert not any(p.source.startswith("generated_") for p in pairs)
    missing = make_pairs(13, corpus_dir=CORPUS, questions_path=TRAIN, generated_path=tmp_path / "x.jsonl")
    assert missing and not any(p.source.startswith("generated_") for p in missing)


def test_size_and_both_labels(pairs: list[Pair]) -> None:
    labels = [p.label for p in pairs]
    assert 4000 <= len(pairs) <= 20000
    assert 0.05 < sum(labels) / len(labels) < 0.5
    assert len({(p.question, p.sentence) for p in pairs}) == len(pairs)


def test_sentences_are_exact_review_text(pairs: list[Pair]) -> None:
    texts = {s.text for s in load_sentences(CORPUS)}
    assert {p.sentence for p in pairs} <= texts


def test_near_miss_negatives_are_present_and_labelled_0(pairs: list[Pair]) -> None:
    labelled = {(p.question, p.sentence): p.label for p in pairs}
    directed = "Directed by Alison Klayman"
    assert labelled[("Who directed the film?", directed)] == 1
    assert labelled[("Who edited the film?", directed)] == 0
    assert labelled[("Who wrote the soundtrack for Never Sorry?", directed)] == 0
    near = [p for p in pairs if p.source in ("near_miss", "swap_role", "swap_entity", "cross_fact")]
    assert len(near) > 1000
    assert all(p.label == 0 for p in near)
    urns = next(s.text for s in load_sentences(CORPUS) if "Neolithic urns" in s.text)
    assert labelled[("How many urns did Ai Weiwei smash?", urns)] == 0


def test_every_fact_has_a_positive_sentence() -> None:
    texts = [s.text for s in load_sentences(CORPUS)]
    for fact in FACTS:
        assert any(re.search(fact.answer, t, re.IGNORECASE) for t in texts), fact.name


def test_no_held_out_question_in_the_data(pairs: list[Pair]) -> None:
    in_data = {_norm(p.question) for p in pairs}
    for path in HELD_OUT:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                question = json.loads(line)["question"]
                assert _norm(question) not in in_data, f"{path.name}: {question}"


def test_near_copies_of_held_out_questions_are_dropped() -> None:
    pairs = [
        Pair("Who directed the film Never Sorry?", "Directed by Alison Klayman", 1, "positive", "review-000"),
        Pair("Who edited it?", "Directed by Alison Klayman", 0, "near_miss", "review-000"),
    ]
    kept, dropped = drop_near_copies(pairs, ["Who directed the film?"])
    assert dropped == 1  # 4 of 6 words shared: 0.67 >= 0.6
    assert [p.question for p in kept] == ["Who edited it?"]
    assert drop_near_copies(pairs, ["What did he smash?"]) == (pairs, 0)


def test_no_near_copy_of_a_held_out_question_in_the_data(pairs: list[Pair]) -> None:
    from assistant.reader_data import heldout_questions

    held = heldout_questions(PROJECT_DIR)
    assert len(held) > 200
    kept, dropped = drop_near_copies(pairs, held)
    assert dropped == 0 and len(kept) == len(pairs)


def test_training_questions_only() -> None:
    with pytest.raises(ValueError):
        make_pairs(13, corpus_dir=CORPUS, questions_path=HELD_OUT[0])


needs_model = pytest.mark.skipif(not MODEL_PATH.exists(), reason="reader.onnx not built")


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader()


@needs_model
def test_reader_says_yes_to_the_director_and_no_to_the_composer(reader: Reader) -> None:
    sentence = ["Directed by Alison Klayman"]
    director = reader.score("Who directed Ai Weiwei: Never Sorry?", sentence)[0]
    composer = reader.score("Who composed the music for Never Sorry?", sentence)[0]
    assert 0.0 <= composer < director <= 1.0


@needs_model
def test_reader_scores_a_batch_as_probabilities(reader: Reader) -> None:
    sentences = [s.text for s in load_sentences(CORPUS)]
    scores = reader.score("What prehistoric pottery did he smash?", sentences)
    assert len(scores) == len(sentences)
    assert all(0.0 <= x <= 1.0 for x in scores)
    assert "Neolithic urns" in sentences[max(range(len(scores)), key=scores.__getitem__)]
    assert reader.score("anything", []) == []


@needs_model
def test_a_sentences_scores_do_not_depend_on_the_sentences_beside_it(reader: Reader) -> None:
    # The base's int8 layers quantize a whole batch with one scale: batched, this sentence scored
    # 0.45 alone, 0.53 beside one other sentence and 0.48 beside two.
    question = (
        "Even though he doubted anyone would be punished for the beating, what formal step did he take?"
    )
    sentence = (
        "He is eventually hospitalized and requires an operation as a result of the blow to the head he "
        "suffered at the hands of the police."
    )
    others = [
        "Although Ai recognizes it is highly unlikely he will see anyone brought to justice for this "
        "assault, he files an official complaint.",
        "The film comes to a dramatic climax when in 2011, Ai was detained without trial for 81 days.",
    ]
    alone = reader.scores(question, [sentence])
    for company in ([sentence, others[0]], [sentence, *others], [others[1], sentence]):
        beside = reader.scores(question, company)
        at = company.index(sentence)
        assert beside.probability[at] == pytest.approx(alone.probability[0], abs=1e-6)
        assert beside.relevance[at] == pytest.approx(alone.relevance[0], abs=1e-5)


@needs_model
def test_pairs_run_side_by_side_score_as_one_at_a_time(reader: Reader) -> None:
    # The default reader runs its pairs on 2 threads; one thread runs them one after another.
    sentences = [s.text for s in load_sentences(CORPUS)][:12]
    question = "How long was Ai Weiwei detained?"
    side_by_side = reader.scores(question, sentences)
    one_at_a_time = Reader(threads=1).scores(question, sentences)
    assert side_by_side.relevance == pytest.approx(one_at_a_time.relevance, abs=1e-6)
    assert side_by_side.probability == pytest.approx(one_at_a_time.probability, abs=1e-6)


def test_missing_model_raises(tmp_path: Path) -> None:
    with pytest.raises(ReaderError, match="missing"):
        Reader(tmp_path / "reader.onnx")


def _copy_with_meta(tmp_path: Path, **changes: object) -> Path:
    shutil.copyfile(MODEL_PATH, tmp_path / "reader.onnx")
    meta = json.loads(MODEL_PATH.with_suffix(".json").read_text(encoding="utf-8"))
    meta.update(changes)
    (tmp_path / "reader.json").write_text(json.dumps(meta), encoding="utf-8")
    return tmp_path / "reader.onnx"


@needs_model
def test_other_format_version_raises(tmp_path: Path) -> None:
    with pytest.raises(ReaderError, match="format_version"):
        Reader(_copy_with_meta(tmp_path, format_version=-1))


@needs_model
def test_another_base_model_raises(tmp_path: Path) -> None:
    with pytest.raises(ReaderError, match="not the base model"):
        Reader(_copy_with_meta(tmp_path, base_sha256="0" * 64))


@needs_model
def test_a_corrupt_top_raises(tmp_path: Path) -> None:
    path = _copy_with_meta(tmp_path)
    path.write_bytes(b"not an onnx file")
    with pytest.raises(ReaderError, match="cannot load"):
        Reader(path)


@needs_model
def test_one_pass_gives_the_cross_encoders_own_logits(reader: Reader) -> None:
    sentences = [s.text for s in load_sentences(CORPUS)][:12]
    question = "How long was Ai Weiwei detained?"
    both = reader.scores(question, sentences)
    assert both.relevance == pytest.approx(
        OnnxCrossEncoder(max_length=128).score(question, sentences), abs=1e-4
    )
    assert len(both.probability) == len(sentences)


@needs_model
def test_reader_relevance_stands_in_for_the_cross_encoder(reader: Reader) -> None:
    from assistant.reader import ReaderRelevance
    from assistant.retrieval import Hit

    texts = ["The seeds were hand-painted.", "Ai was detained for 81 days without charge."]
    hits = [Hit(f"r:{i}", "r", 0, len(t), t, 1.0) for i, t in enumerate(texts)]
    relevance = ReaderRelevance(reader)
    question = "How long was Ai held?"
    assert relevance.score(question, texts) == pytest.approx(list(reader.scores(question, texts).relevance))
    ranked = relevance.rerank(question, hits)
    assert ranked[0].text == texts[1] and ranked[0].rerank_score is not None
    assert reader.relevance(question, []) == []


@needs_model
def test_reading_some_pairs_gives_their_probabilities_as_reading_all(reader: Reader) -> None:
    texts = [
        "The seeds were hand-painted.",
        "Ai was detained for 81 days without charge.",
        "Directed by Alison Klayman, the film follows Ai for three years.",
    ]
    question = "How long was Ai held?"
    passes = reader.base_passes(question, texts)
    everything = reader.read(passes)
    assert everything == pytest.approx(list(reader.scores(question, texts).probability), abs=1e-6)
    # The top's float32 batch does not change a pair's output: a subset reads the same.
    assert reader.read(passes, [2, 1]) == pytest.approx([everything[2], everything[1]], abs=1e-5)
    assert reader.read(passes, []) == []


@needs_model
def test_half_stored_weights_are_widened_at_load(tmp_path: Path) -> None:
    import onnx

    from assistant.reader import open_top, store_half

    path = _copy_with_meta(tmp_path)
    store_half(path)
    types = {t.data_type for t in onnx.load(str(path)).graph.initializer}
    assert onnx.TensorProto.FLOAT16 in types
    widened = onnx.load_model_from_string(open_top(path))
    assert onnx.TensorProto.FLOAT16 not in {t.data_type for t in widened.graph.initializer}
    question, sentence = "Who directed the film?", ["Directed by Alison Klayman"]
    assert Reader(path).score(question, sentence) == pytest.approx(
        Reader().score(question, sentence), abs=1e-3
    )


@needs_model
def test_prepared_graphs_are_kept_and_give_the_same_scores(
    reader: Reader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "cache"))
    question, sentences = (
        "How long was Ai Weiwei detained?",
        ["He was detained for 81 days.", "Directed by Klayman."],
    )
    first = Reader().score(question, sentences)  # prepares both graphs and keeps them
    kept = sorted(p.name.split("-")[1] for p in (tmp_path / "cache").glob("reader-*.onnx"))
    assert kept == ["base", "top"]
    assert Reader().score(question, sentences) == pytest.approx(first, abs=1e-9)  # loaded as kept
    assert first == pytest.approx(reader.score(question, sentences), abs=1e-6)


@needs_model
def test_a_kept_base_graph_is_kept_per_extra_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A reader trained on another number of frozen layers reads another hidden state of the same base
    # file: the graph kept for the first must not be loaded for the second ("Invalid output name").
    from assistant.reader import hidden_output_name, open_base
    from assistant.reranking import encode_pairs, open_tokenizer, packaged_reranker_dir

    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "cache"))
    base = packaged_reranker_dir()
    feeds = encode_pairs(open_tokenizer(base / "tokenizer.json", 128), [("Who directed it?", "Klayman did.")])
    for layers in (6, 10):
        session = open_base(base / "model.onnx", hidden_output_name(layers), 1)
        assert session.run([hidden_output_name(layers)], feeds)[0].shape[-1] == 384
    assert len(list((tmp_path / "cache").glob("reader-base-*.onnx"))) == 2


@needs_model
def test_a_cache_that_cannot_be_written_is_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(blocker))
    assert Reader().score("Who directed the film?", ["Directed by Alison Klayman"])[0] > 0.5
