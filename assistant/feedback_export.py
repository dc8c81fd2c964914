"""`assistant feedback export`: thumbs-down records as draft eval cases, for a maintainer to complete.

The web chat stores one line per thumb (`web/feedback.py`) and, after a thumbs-down, an optional line
with the user's reason and the same `answer_id`. An answer's latest thumb counts (a thumbs-down later
cleared or turned up is not exported). Each draft has the eval file's fields (`id`, `kind`,
`question`, `history`, `answers`, `evidence`, `note`) with `answers` left empty for the maintainer,
plus what the user saw and said: `answer_given`, `citations`, `reason`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def read_lines(path: Path) -> list[str]:
    """The feedback file's lines, the rotated older file (`<path>.1`) first."""
    lines: list[str] = []
    for part in (path.with_name(path.name + ".1"), path):
        if part.exists():
            lines += part.read_text(encoding="utf-8", errors="replace").splitlines()
    return lines


def draft_cases(lines: Iterable[str]) -> tuple[list[dict[str, Any]], int]:
    """(draft cases, lines that could not be read) from the feedback file's lines, oldest first."""
    latest: dict[str, dict[str, Any]] = {}
    reasons: dict[str, list[str]] = {}
    unreadable = 0
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            unreadable += 1
            continue
        if not isinstance(record, dict) or not record.get("answer_id"):
            unreadable += bool(line.strip())
            continue
        answer_id = str(record["answer_id"])
        if "reason" in record and "rating" not in record:
            reasons.setdefault(answer_id, []).append(str(record["reason"]))
        elif record.get("rating") in ("up", "down", "cleared"):
            latest[answer_id] = record
    cases = [
        _case(answer_id, record, reasons.get(answer_id, []))
        for answer_id, record in latest.items()
        if record.get("rating") == "down"
    ]
    return cases, unreadable


def _case(answer_id: str, record: dict[str, Any], reasons: list[str]) -> dict[str, Any]:
    reason = " / ".join(reasons)
    answer = str(record.get("answer") or "")
    return {
        "id": f"feedback-{answer_id}",
        "kind": "feedback",
        "question": str(record.get("question") or ""),
        "history": record.get("history") or [],
        "answers": [],
        "evidence": record.get("evidence") or [],
        "note": "draft from a thumbs-down: fill in `answers` and `evidence` (or set kind 'unanswerable'), "
        "then choose a kind and a split",
        "answer_given": answer,
        "refused": bool(record.get("refused")),
        "citations": record.get("citations") or [],
        "reason": reason,
    }


def export(path: Path, out: Any) -> tuple[int, int, int]:
    """Write the drafts of the feedback file `path` as JSON lines to `out`; return (drafts, drafts with
    a reason, unreadable lines)."""
    cases, unreadable = draft_cases(read_lines(path))
    for case in cases:
        out.write(json.dumps(case, ensure_ascii=False) + "\n")
    return len(cases), sum(1 for c in cases if c["reason"]), unreadable
