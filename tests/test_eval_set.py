"""The shipped eval set: well-formed, big enough, and every evidence quote really in the corpus."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from assistant.corpus import load_reviews
from assistant.evaluation import is_correct, load_cases

PROJECT_DIR = Path(__file__).resolve().parents[1]
SHIPPED_CORPUS = PROJECT_DIR / "corpus"

QUESTIONS = PROJECT_DIR / "eval" / "questions.jsonl"


def test_every_evidence_quote_occurs_in_its_review() -> None:
    reviews = {r.id: r for r in load_reviews(SHIPPED_CORPUS)}
    cases = load_cases(QUESTIONS, reviews)  # raises on a quote that is not in the review
    for case in cases:
        for evidence in case.evidence:
            assert evidence.end > evidence.start
            assert reviews[evidence.review_id].text[evidence.start : evidence.end]


def test_an_accepted_answer_of_every_case_is_in_its_evidence() -> None:
    # Aliases may be other phrasings ("Neolithic urn"), but one must be the evidence's own words,
    # or an answer quoting the review could never score.
    reviews = {r.id: r for r in load_reviews(SHIPPED_CORPUS)}
    for case in load_cases(QUESTIONS, reviews):
        if not case.answerable:
            continue
        quotes = " ".join(reviews[e.review_id].text[e.start : e.end] for e in case.evidence)
        assert is_correct(quotes, case.answers), f"{case.id}: no accepted answer is in its evidence"


def test_eval_set_has_the_required_kinds_and_sizes() -> None:
    lines = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    kinds = Counter(line["kind"] for line in lines)
    assert len(lines) >= 60
    assert kinds["unanswerable"] + kinds["off_topic"] >= 12
    assert kinds["multi_turn"] >= 10
    assert len({line["id"] for line in lines}) == len(lines)
    for line in lines:
        answerable = line["kind"] not in ("unanswerable", "off_topic")
        assert bool(line["answers"]) == answerable and bool(line["evidence"]) == answerable, line["id"]
        assert bool(line["history"]) == (line["kind"] == "multi_turn"), line["id"]


def test_load_cases_rejects_a_quote_missing_from_the_corpus(tmp_path: Path) -> None:
    reviews = {r.id: r for r in load_reviews(SHIPPED_CORPUS)}
    bad = tmp_path / "bad.jsonl"
    case = {"id": "x", "kind": "fact", "question": "q?", "answers": ["a"], "history": [],
            "evidence": [{"review_id": "review-000", "quote": "a sentence no review contains"}]}  # fmt: skip
    bad.write_text(json.dumps(case) + "\n", encoding="utf-8")
    try:
        load_cases(bad, reviews)
    except ValueError as exc:
        assert "bad.jsonl:1" in str(exc)
    else:
        raise AssertionError("a missing quote was accepted")
