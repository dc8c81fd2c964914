"""The feedback store: only up / down ratings, capped fields and records, a rotated file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.web.feedback import (
    MAX_TEXT,
    FeedbackError,
    feedback_record,
    rating,
    reason_record,
    write_feedback,
)

TURN = {
    "id": "a1",
    "question": "Who directed the film?",
    "history": [["Earlier?", "Yes."]],
    "answer": {
        "text": "Alison Klayman [1].",
        "refused": False,
        "citations": [
            {"number": 1, "review_id": "r", "review_title": "T", "start": 0, "end": 5, "quote": "Dir."}
        ],
    },
    "backend": "extractive",
    "top_k": 5,
}


def test_ratings_are_up_down_or_cleared_and_nothing_else() -> None:
    assert [rating(x) for x in (True, False, None, "up", "down")] == ["up", "down", "cleared", "up", "down"]
    for bad in ("<script>", "x" * 10_000, 3, ["up"]):
        with pytest.raises(FeedbackError):
            rating(bad)


def test_a_record_keeps_the_answer_and_its_evidence() -> None:
    record = feedback_record(TURN, True)
    assert record["rating"] == "up" and record["question"] == "Who directed the film?"
    assert record["history"] == [["Earlier?", "Yes."]]
    assert record["evidence"] == [{"review_id": "r", "quote": "Dir."}]
    assert record["citations"][0]["start"] == 0 and record["top_k"] == 5


def test_huge_or_odd_fields_from_the_browser_are_cut_or_dropped() -> None:
    turn = dict(TURN, question="q" * 100_000, top_k="5; rm -rf /", history="x")
    answer: dict[str, object] = dict(TURN["answer"])  # type: ignore[call-overload]
    turn["answer"] = {**answer, "citations": [{"quote": "z" * 100_000}] * 500}
    record = feedback_record(turn, False)
    assert len(record["question"]) == MAX_TEXT and record["top_k"] is None and record["history"] == []
    assert len(record["citations"]) == 20 and all(len(c["quote"]) == MAX_TEXT for c in record["citations"])
    assert len(json.dumps(record)) < 256 * 1024


def test_the_file_is_rotated_when_full(tmp_path: Path) -> None:
    path = tmp_path / "feedback" / "feedback.jsonl"
    record = feedback_record(TURN, True)
    for _ in range(30):
        write_feedback(path, record, max_file_bytes=4096)
    assert path.stat().st_size <= 4096
    assert (tmp_path / "feedback" / "feedback.jsonl.1").stat().st_size <= 4096
    assert all(json.loads(line)["rating"] == "up" for line in path.read_text(encoding="utf-8").splitlines())


def test_an_oversized_record_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FeedbackError, match="at most"):
        write_feedback(tmp_path / "f.jsonl", {"blob": "x" * 300_000})
    assert not (tmp_path / "f.jsonl").exists()


def test_a_reason_names_its_answer_and_is_cut_never_empty() -> None:
    record = reason_record("a1", "  The review says 81 days.  ")
    assert (record["answer_id"], record["reason"]) == ("a1", "The review says 81 days.")
    assert "rating" not in record  # the thumb itself was stored on its own line
    assert len(reason_record("a1", "x" * 50_000)["reason"]) == 1000
    with pytest.raises(FeedbackError, match="empty"):
        reason_record("a1", "   ")
