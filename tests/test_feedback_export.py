"""assistant/feedback_export.py and `assistant feedback export`: thumbs-down become draft eval cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant import cli
from assistant.feedback_export import draft_cases, read_lines
from assistant.web.feedback import feedback_record, reason_record, write_feedback

TURN = {
    "id": "a1",
    "question": "Who composed the music?",
    "history": [["Who directed the film?", "Alison Klayman [1]."]],
    "answer": {
        "text": "Alison Klayman [1].",
        "refused": False,
        "citations": [
            {
                "number": 1,
                "review_id": "review-001",
                "start": 0,
                "end": 26,
                "quote": "Directed by Alison Klayman",
            }
        ],
    },
}


def _store(tmp_path: Path) -> Path:
    path = tmp_path / "feedback.jsonl"
    write_feedback(path, feedback_record(TURN, False))
    write_feedback(path, reason_record("a1", "Klayman directed it; the music is not named."))
    write_feedback(path, feedback_record({**TURN, "id": "a2"}, False))
    write_feedback(path, feedback_record({**TURN, "id": "a2"}, True))  # changed their mind: not exported
    write_feedback(path, feedback_record({**TURN, "id": "a3"}, True))
    return path


def test_thumbs_down_become_drafts_with_the_reason(tmp_path: Path) -> None:
    cases, unreadable = draft_cases([*read_lines(_store(tmp_path)), "{not json"])
    assert unreadable == 1
    [case] = cases
    assert case["id"] == "feedback-a1" and case["question"] == "Who composed the music?"
    assert case["history"] == TURN["history"] and case["answers"] == []
    assert case["evidence"] == [{"review_id": "review-001", "quote": "Directed by Alison Klayman"}]
    assert case["answer_given"] == "Alison Klayman [1]." and case["reason"].startswith("Klayman directed")
    assert {"id", "kind", "question", "history", "answers", "evidence", "note"} <= set(case)


def test_the_cli_writes_the_drafts_and_says_how_many(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _store(tmp_path)
    out = tmp_path / "drafts.jsonl"
    assert cli.main(["feedback", "export", "--feedback", str(path), "--out", str(out)]) == 0
    assert "wrote 1 draft eval cases (1 with a reason)" in capsys.readouterr().err
    assert [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()] == [
        "feedback-a1"
    ]
    assert cli.main(["feedback", "export", "--feedback", str(tmp_path / "none.jsonl")]) == 2
    assert "no feedback file" in capsys.readouterr().err
