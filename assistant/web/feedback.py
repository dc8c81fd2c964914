"""The feedback store: one JSON line per thumbs-up / down, validated, size-capped and rotated.

A record comes from the browser's copy of the chat, so nothing in it is trusted: the rating must be
up, down or cleared; every text is cut to a length a real answer never reaches; a record over
`MAX_RECORD_BYTES` is refused; and when the file passes `MAX_FILE_BYTES` it is rotated to
`feedback.jsonl.1` (one old file kept), so the store stays under twice that size.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from pathlib import Path
from typing import Any

#: Written into every feedback line; bump it when the record's shape changes.
FEEDBACK_FORMAT = "never-sorry-feedback v1"
RATINGS = {True: "up", False: "down", None: "cleared", "up": "up", "down": "down", "": "cleared"}
MAX_TEXT = 4000  # characters of a question, answer or quote
MAX_CITATIONS = 20
MAX_HISTORY = 20
MAX_RECORD_BYTES = 256 * 1024
MAX_FILE_BYTES = 10 * 1024 * 1024
_LOCK = threading.Lock()  # two thumbs at once must not interleave their lines


class FeedbackError(ValueError):
    """The feedback cannot be stored (a rating that is not up / down, a record too big)."""


def rating(liked: object) -> str:
    """'up', 'down' or 'cleared' for what the chat reports; FeedbackError for anything else."""
    if isinstance(liked, bool | str) or liked is None:
        found = RATINGS.get(liked)
        if found is not None:
            return found
    raise FeedbackError(f"a rating must be up or down, not {str(liked)[:40]!r}")


def feedback_record(turn: dict[str, Any], liked: object) -> dict[str, Any]:
    """The feedback line for one answer (capped); its `evidence` has the shape of eval cases."""
    answer = turn["answer"]
    citations = [_citation(c) for c in list(answer.get("citations") or [])[:MAX_CITATIONS]]
    return {
        "format": FEEDBACK_FORMAT,
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "answer_id": _text(turn.get("id")),
        "rating": rating(liked),
        "question": _text(turn.get("question")),
        "history": [[_text(q), _text(a)] for q, a in _pairs(turn.get("history"))][-MAX_HISTORY:],
        "answer": _text(answer.get("text")),
        "refused": bool(answer.get("refused")),
        "citations": citations,
        "evidence": [{"review_id": c["review_id"], "quote": c["quote"]} for c in citations],
        "backend": _text(turn.get("backend"))[:40],
        "top_k": turn.get("top_k") if isinstance(turn.get("top_k"), int) else None,
    }


MAX_REASON = 1000  # characters of the reason given with a thumbs-down


def reason_record(answer_id: object, reason: object) -> dict[str, Any]:
    """The line that adds a reason to a thumbs-down already stored: its `answer_id` and the
    `reason` (cut to MAX_REASON), no `rating` of its own (the thumb was counted once, on its own
    line); FeedbackError when the reason is empty."""
    text = _text(reason).strip()[:MAX_REASON]
    if not text:
        raise FeedbackError("a reason is empty")
    return {
        "format": FEEDBACK_FORMAT,
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "answer_id": _text(answer_id)[:200],
        "reason": text,
    }


def write_feedback(path: Path, record: dict[str, Any], max_file_bytes: int = MAX_FILE_BYTES) -> None:
    """Append `record` as one JSON line to `path` (folder created; file rotated when full)."""
    line = json.dumps(record, ensure_ascii=False) + "\n"
    if len(line.encode("utf-8")) > MAX_RECORD_BYTES:
        raise FeedbackError(f"a feedback record may be at most {MAX_RECORD_BYTES} bytes")
    path.parent.mkdir(parents=True, exist_ok=True)
    with _LOCK:
        if path.exists() and path.stat().st_size + len(line) > max_file_bytes:
            path.replace(path.with_name(path.name + ".1"))
        with path.open("a", encoding="utf-8") as handle:
            handle.write(line)


def _text(value: object) -> str:
    return ("" if value is None else str(value))[:MAX_TEXT]


def _pairs(value: object) -> list[tuple[object, object]]:
    if not isinstance(value, list | tuple):
        return []
    return [(p[0], p[1]) for p in value if isinstance(p, list | tuple) and len(p) == 2]


def _citation(c: object) -> dict[str, Any]:
    c = c if isinstance(c, dict) else {}
    number = c.get("number")
    start, end = c.get("start"), c.get("end")
    return {
        "number": number if isinstance(number, int) else None,
        "review_id": _text(c.get("review_id"))[:200],
        "review_title": _text(c.get("review_title"))[:300],
        "start": start if isinstance(start, int) else None,
        "end": end if isinstance(end, int) else None,
        "quote": _text(c.get("quote")),
        "review_date": _text(c.get("review_date"))[:40] or None,
    }


class RateLimit:
    """At most `per_minute` events per client in any sliding minute (thread-safe, in memory).

    >>> limit = RateLimit(per_minute=2)
    >>> [limit.allow("1.2.3.4", now=t) for t in (0, 1, 2, 61)]
    [True, True, False, True]
    """

    def __init__(self, per_minute: int = 30, max_clients: int = 10_000) -> None:
        self.per_minute = per_minute
        self.max_clients = max_clients
        self._seen: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str, now: float | None = None) -> bool:
        """Record one event of `client`; False when it is over the limit (the event is not counted)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            recent = [t for t in self._seen.get(client, []) if now - t < 60.0]
            if len(recent) >= self.per_minute:
                self._seen[client] = recent
                return False
            if client not in self._seen and len(self._seen) >= self.max_clients:
                self._seen.clear()  # bounded memory: forget everyone rather than grow without end
            self._seen[client] = [*recent, now]
            return True
