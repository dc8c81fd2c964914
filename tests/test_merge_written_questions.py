"""scripts/merge_written_questions.py: which helper-written training questions are kept."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from merge_written_questions import problem  # noqa: E402

from assistant.corpus import load_reviews  # noqa: E402
from assistant.reader_sources import _question_words  # noqa: E402

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def _row(**changes: object) -> dict:
    row = {
        "id": "trx-t-001",
        "kind": "paraphrase",
        "question": "Which filmmaker stood behind this movie?",
        "history": [],
        "answers": ["Alison Klayman"],
        "evidence": [{"review_id": "review-001", "quote": "Directed by Alison Klayman"}],
    }
    return {**row, **changes}


def test_a_good_row_is_kept_and_each_fault_is_named() -> None:
    reviews = {r.id: r for r in load_reviews(CORPUS)}
    held = [_question_words("Who directed the documentary Never Sorry?")]
    assert problem(_row(), reviews, held, set()) is None
    assert problem(_row(kind="multi_turn"), reviews, held, set()) == "malformed"
    assert problem(_row(answers=[]), reviews, held, set()) == "answers / evidence do not fit the kind"
    assert problem(_row(), reviews, held, {"which filmmaker stood behind this movie?"}) == "duplicate"
    near = _row(question="Who directed the documentary Never Sorry then?")
    assert problem(near, reviews, held, set()) == "near copy of a held-out or training question"
    missing = _row(evidence=[{"review_id": "review-001", "quote": "Produced by Alison Klayman"}])
    assert str(problem(missing, reviews, held, set())).startswith("evidence:")
    wrong_answer = _row(answers=["Ai Weiwei"])
    assert problem(wrong_answer, reviews, held, set()) == "no accepted answer is in the evidence"
    unanswerable = _row(kind="unanswerable", answers=[], evidence=[], question="Who scored the film?")
    assert problem(unanswerable, reviews, held, set()) is None
