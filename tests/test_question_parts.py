"""Compound questions: split into the questions they are made of, retrieved for part by part."""

from __future__ import annotations

import pytest

from assistant.question_parts import question_parts, retrieve_parts
from assistant.retrieval import Hit


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        (
            "How long was Ai detained in 2011, and how much was he later charged with owing?",
            ("How long was Ai detained in 2011?", "How much was he later charged with owing?"),
        ),
        (
            "When did Ai move to New York, and was that before or after the stadium?",
            ("When did Ai move to New York?", "Was that before or after the stadium?"),
        ),
        (
            "Where did Ai live from 1983 and in what year did he become famous?",
            ("Where did Ai live from 1983?", "In what year did he become famous?"),
        ),
    ],
)
def test_two_questions_joined_by_and_are_split(question: str, parts: tuple[str, ...]) -> None:
    assert question_parts(question) == parts


@pytest.mark.parametrize(
    "question",
    [
        "Who directed the film?",
        "What did the police and the authorities do?",  # 'and' joins two nouns, not two questions
        "Who is Ai Weiwei and why?",  # a part too short to stand alone
        "",
    ],
)
def test_a_single_question_is_left_whole(question: str) -> None:
    assert question_parts(question) == (question,)


def hit(n: int) -> Hit:
    return Hit(f"c{n}", "r", n, n + 1, "x", 1.0)


def test_each_part_gets_its_own_passages_taken_in_turn() -> None:
    found = {"A?": [hit(1), hit(2), hit(3)], "B?": [hit(4), hit(1), hit(5)]}
    asked: list[tuple[str, int]] = []

    def retrieve(question: str, k: int) -> list[Hit]:
        asked.append((question, k))
        return found[question][:k]

    merged = retrieve_parts(retrieve, ["A?", "B?"], 3)
    assert asked == [("A?", 3), ("B?", 3)]
    assert [h.chunk_id for h in merged] == ["c1", "c4", "c2", "c3", "c5"]


def test_one_part_is_retrieved_as_before() -> None:
    assert [h.chunk_id for h in retrieve_parts(lambda q, k: [hit(2), hit(1)], ["A?"], 2)] == ["c2", "c1"]
