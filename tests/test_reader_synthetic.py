"""Reader pairs from synthetic reviews: positives, negatives, and the file format."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from assistant.reader_sources import Sentence
from assistant.reader_synthetic import (
    ABOUT_THE_FILM,
    ANSWERABLE,
    MORE_SYNTHETIC,
    SYNTHETIC,
    doc_sentences,
    load_synthetic,
    positives,
    synthetic_pairs,
)

TEXT = (
    "Harbour Lights follows the painter Mara Vell. It was directed by Tomas Reid. "
    "Vell spent 40 days at sea in 1998. Her show opened in Lisbon. The critic found it moving."
)
DOC = {
    "doc_id": "syn-x-01",
    "title": "Harbour Lights",
    "text": TEXT,
    "questions": [
        {
            "kind": "paraphrase",
            "question": "Who was behind the camera?",
            "answers": ["Tomas Reid"],
            "evidence": ["It was directed by Tomas Reid."],
        },
        {
            "kind": "fact",
            "question": "How long was Vell at sea?",
            "answers": ["40 days"],
            "evidence": ["Vell spent 40 days at sea in 1998. Her show opened in Lisbon."],
        },
        {"kind": "unanswerable", "question": "Who edited Harbour Lights?", "answers": [], "evidence": []},
    ],
}


def write(tmp_path: Path, *rows: object) -> Path:
    path = tmp_path / "synthetic.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def pairs_of(path: Path) -> list[tuple[str, str, int, str]]:
    out: list[tuple[str, str, int, str]] = []

    def add(question: str, sentence: Sentence, label: int, source: str) -> None:
        out.append((question, sentence.text, label, source))

    synthetic_pairs(load_synthetic(path), random.Random(13), add)
    return out


def test_the_answering_sentence_is_the_only_positive(tmp_path: Path) -> None:
    pairs = pairs_of(write(tmp_path, DOC))
    behind = {(s, label) for q, s, label, _ in pairs if q == "Who was behind the camera?"}
    assert ("It was directed by Tomas Reid.", 1) in behind
    assert {s for s, label in behind if label == 1} == {"It was directed by Tomas Reid."}
    assert {s for s, label in behind if label == 0}  # negatives from the same review


def test_a_two_sentence_quote_gives_the_sentence_holding_the_answer(tmp_path: Path) -> None:
    doc = load_synthetic(write(tmp_path, DOC))[0]
    found = positives(doc.questions[1], doc, doc_sentences(doc))
    assert [s.text for s in found] == ["Vell spent 40 days at sea in 1998."]


def test_unanswerable_questions_are_negative_for_every_sentence_they_meet(tmp_path: Path) -> None:
    pairs = pairs_of(write(tmp_path, DOC))
    edited = [(label, source) for q, _, label, source in pairs if q == "Who edited Harbour Lights?"]
    assert edited and all(label == 0 for label, _ in edited)
    assert {"synthetic_unanswerable"} <= {source for _, source in edited}


def test_no_negative_holds_an_answer(tmp_path: Path) -> None:
    for question, sentence, label, _ in pairs_of(write(tmp_path, DOC)):
        if question == "How long was Vell at sea?" and label == 0:
            assert "40 days" not in sentence


def test_a_quote_that_is_not_in_the_text_gives_no_pairs(tmp_path: Path) -> None:
    broken = {**DOC, "questions": [{**DOC["questions"][0], "evidence": ["Not in the review."]}]}  # type: ignore[dict-item]
    assert pairs_of(write(tmp_path, broken)) == []


def test_a_malformed_line_names_its_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, DOC, {"doc_id": "syn-x-02"})
    with pytest.raises(ValueError, match=r"synthetic.jsonl:2"):
        load_synthetic(path)


def test_a_follow_up_is_read_with_its_earlier_turn(tmp_path: Path) -> None:
    # The reader sees a follow-up as the assistant asks it: the question, then the earlier turn.
    follow_up = {
        "kind": "follow_up",
        "question": "How long was she at sea?",
        "answers": ["40 days"],
        "evidence": ["Vell spent 40 days at sea in 1998."],
        "history": [["Who does Harbour Lights follow?", "The painter Mara Vell."]],
    }
    path = write(tmp_path, {**DOC, "questions": [follow_up]})
    asked = "How long was she at sea? (Who does Harbour Lights follow? The painter Mara Vell.)"
    assert load_synthetic(path)[0].questions[0].asked == asked
    found = pairs_of(path)
    assert (asked, "Vell spent 40 days at sea in 1998.", 1, "synthetic_follow_up") in found
    assert {q for q, *_ in found} == {asked}


@pytest.mark.parametrize("kind", ["relational", "yes_no"])
def test_relational_and_yes_no_questions_are_answerable(tmp_path: Path, kind: str) -> None:
    question = {
        "kind": kind,
        "question": "Was Tomas Reid the director?",
        "answers": ["directed by Tomas Reid"],
        "evidence": ["It was directed by Tomas Reid."],
    }
    found = pairs_of(write(tmp_path, {**DOC, "questions": [question]}))
    assert ("Was Tomas Reid the director?", "It was directed by Tomas Reid.", 1, f"synthetic_{kind}") in found


def test_no_path_no_reviews() -> None:
    assert load_synthetic(None) == []


@pytest.mark.parametrize(("name", "least"), [(SYNTHETIC, 80), (MORE_SYNTHETIC, 60)])
def test_the_shipped_synthetic_reviews_are_usable_and_never_about_the_film(name: Path, least: int) -> None:
    docs = load_synthetic(Path(__file__).resolve().parents[1] / name)
    assert len(docs) >= least
    for doc in docs:
        assert not ABOUT_THE_FILM.search(doc.text), doc.doc_id
        sentences = doc_sentences(doc)
        for q in doc.questions:
            assert (q.kind in ANSWERABLE) == bool(positives(q, doc, sentences)), (doc.doc_id, q.question)
            assert bool(q.history) >= (q.kind == "follow_up"), (doc.doc_id, q.question)
