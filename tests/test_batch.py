"""`ask --jsonl`: one strict UTF-8 JSON line out per line in, whatever the line holds."""

from __future__ import annotations

import io
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.answering import Answer, validate_question
from assistant.batch import MAX_DEPTH, answer_lines, representable


class EchoBot:
    """Answers any valid question with its own text; validates like the real pipeline does."""

    def ask(self, question: object, history: Any = ()) -> Answer:
        text = validate_question(question, 2000)
        return Answer(f"You asked: {text}", (), False, text, text, "echo")


def run(lines: list[Any]) -> tuple[int, list[dict[str, Any]], str]:
    out = io.StringIO()
    status = answer_lines(EchoBot(), lines, out)
    text = out.getvalue()
    text.encode("utf-8")  # raises on a lone surrogate: the output must be valid UTF-8

    def strict(name: str) -> None:
        raise AssertionError(f"{name} in output")

    return status, [json.loads(line, parse_constant=strict) for line in text.splitlines()], text


def test_good_lines_are_answered_with_their_ids() -> None:
    status, records, _ = run([json.dumps({"id": "a", "question": "Who?"}), json.dumps({"question": "When?"})])
    assert status == 0
    assert [r["id"] for r in records] == ["a", 2]  # no id: the line number
    assert records[0]["answer"] == "You asked: Who?" and "error" not in records[0]


def test_each_kind_of_bad_line_gets_its_own_error_and_the_rest_go_on() -> None:
    lines = [
        b"\xff\xfe not utf-8\n",
        "[" * (MAX_DEPTH + 50) + "]" * (MAX_DEPTH + 50),
        '{"id": NaN, "question": "x"}',
        '{"id": "\\ud800", "question": "Who?"}',
        '{"id": 7, "question": "\\udcff"}',
        '{"id": 8, "question": "Who?", "history": "not a list"}',
        "42",
        "",
        json.dumps({"id": "last", "question": "Still answered?"}),
    ]
    status, records, _ = run(lines)
    assert status == 1
    assert len(records) == len(lines) - 1  # the blank line is skipped
    errors = [r.get("error", "") for r in records]
    assert errors[0].startswith("line 1: not valid UTF-8")
    assert "nested more than" in errors[1]
    assert "NaN is not JSON" in errors[2]
    assert records[3]["id"] == "\ufffd" and "error" not in records[3]  # lone surrogate id replaced
    assert records[4]["id"] == 7 and "lone surrogate" in errors[4]
    assert "history" in errors[5] and "JSON object" in errors[6]
    assert records[-1]["id"] == "last" and records[-1]["answer"] == "You asked: Still answered?"


def test_representable_replaces_what_strict_json_cannot_hold() -> None:
    assert representable([float("nan"), float("inf"), -float("inf"), "a\ud800b", {"k": 1.5}]) == [
        "NaN",
        "Infinity",
        "-Infinity",
        "a\ufffdb",
        {"k": 1.5},
    ]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v)), max_size=6))
def test_any_bytes_or_json_give_one_strict_line_each(lines: list[Any]) -> None:
    # Lines are what iterating a binary stdin gives: no newline inside a line.
    lines = [
        line.replace(b"\n", b" ") if isinstance(line, bytes) else line.replace("\n", " ") for line in lines
    ]
    _, records, _ = run(lines)
    expected = [line for line in lines if line.strip()]
    assert len(records) == len(expected)
    for record in records:
        assert "id" in record and "latency_s" in record
        assert ("error" in record) == (record["answer"] is None)


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.text(), st.integers(), st.floats(), st.lists(st.text(), max_size=3)))
def test_any_id_comes_back_as_strict_json(identifier: Any) -> None:
    line = json.dumps({"id": identifier, "question": "Who?"})  # may hold NaN or lone surrogates
    _, records, _ = run([line])
    assert len(records) == 1
