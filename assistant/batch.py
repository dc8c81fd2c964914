"""`assistant ask --jsonl`: answer a stream of JSON lines, one output line per input line, whatever comes.

Each input line is `{"id": ..., "question": "...", "history": [[q, a], ...]}`. Each non-blank input line
gives exactly one output line: valid UTF-8, strict JSON (no NaN or Infinity), with the input's `id`
(or the line number when the line has none or is not an object). A line that cannot be answered (not
UTF-8, not JSON, nested too deep, a bad question or history, an error while answering) gets an `error`
naming its line number; nothing a line holds stops the lines after it. An `id` that cannot be written
as strict UTF-8 JSON (a lone surrogate, NaN, Infinity) is written as its nearest representable value:
NaN and the infinities as the strings "NaN", "Infinity", "-Infinity", lone surrogates as U+FFFD.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable
from typing import Any, Protocol, TextIO

from .answering import Answer
from .conversation import History

#: Deeper JSON than this is refused before parsing (Python's parser would hit its recursion limit).
MAX_DEPTH = 100


class Asks(Protocol):
    def ask(self, question: object, history: History = ()) -> Answer: ...


def answer_lines(bot: Asks, lines: Iterable[str | bytes], out: TextIO) -> int:
    """Answer every line, writing one JSON line each to `out`; return 1 if any line failed, else 0."""
    status = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        started = time.perf_counter()
        record = answer_line(bot, line, number)
        status |= "error" in record
        record["latency_s"] = round(time.perf_counter() - started, 4)
        out.write(dumps(record) + "\n")
        out.flush()
    return status


def answer_line(bot: Asks, line: str | bytes, number: int) -> dict[str, Any]:
    """The output record for one input line (with an `error` field when it could not be answered)."""
    record: dict[str, Any] = {"id": number}
    try:
        request = parse(line)
        if isinstance(request, dict):
            record["id"] = representable(request.get("id", number))
        else:
            raise ValueError("a line must be a JSON object with a question")
        answer = bot.ask(request.get("question"), history(request.get("history")))
        record.update(answer_fields(answer))
    except Exception as exc:  # any line, however broken, gets its own error record
        record.update(error_fields(f"line {number}: {describe(exc)}"))
    return record


def parse(line: str | bytes) -> Any:
    """Decode and parse one line strictly: UTF-8, JSON, no NaN / Infinity, at most MAX_DEPTH deep."""
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"not valid UTF-8 (byte {exc.start})") from None
    if _lone(line):  # what a surrogateescape decoding of bad bytes leaves, or a broken string
        raise ValueError("not valid UTF-8 (undecodable bytes or a lone surrogate)")
    if _depth(line) > MAX_DEPTH:
        raise ValueError(f"JSON nested more than {MAX_DEPTH} levels deep")

    def no_constants(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(line, parse_constant=no_constants)


def history(value: object) -> list[tuple[str, str]]:
    """The `history` field as (question, answer) pairs, or ValueError saying what is wrong."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError("history must be a list of [question, answer] pairs")
    turns = []
    for turn in value:
        if not (isinstance(turn, list) and len(turn) == 2 and all(isinstance(t, str) for t in turn)):
            raise ValueError("each history turn must be a [question, answer] pair of strings")
        turns.append((turn[0], turn[1]))
    return turns


def answer_fields(answer: Answer) -> dict[str, Any]:
    """The stable JSON-lines fields of an Answer (`Answer.to_record`)."""
    return answer.to_record()


def error_fields(message: str) -> dict[str, Any]:
    return {"error": message, "answer": None, "refused": None, "citations": [], "closest": []}


def representable(value: Any) -> Any:
    """`value` with what strict UTF-8 JSON cannot hold replaced (see the module docstring)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, str):
        return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in value) if _lone(value) else value
    if isinstance(value, list):
        return [representable(v) for v in value]
    if isinstance(value, dict):
        return {representable(k): representable(v) for k, v in value.items()}
    return value


# Characters that JSON leaves raw but that `str.splitlines` and many JSON-lines readers take as line
# breaks: written as escapes so that one record stays one line.
_LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def dumps(record: dict[str, Any]) -> str:
    """One strict JSON line (no character any reader could split it at); never raises here."""
    text = json.dumps(representable(record), ensure_ascii=False, allow_nan=False)
    for raw, escaped in _LINE_BREAKS.items():
        text = text.replace(raw, escaped)
    return text


def describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return str(representable(text[:300]))


def _lone(text: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in text)


def _depth(text: str) -> int:
    """The deepest [ / { nesting of a JSON text, counting brackets outside strings."""
    depth = deepest = 0
    in_string = escaped = False
    for c in text:
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth -= 1
    return deepest
