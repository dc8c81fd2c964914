"""Follow-up questions become standalone questions by borrowing the previous turn."""

from __future__ import annotations

import pytest

from assistant.conversation import (
    Standalone,
    as_standalone,
    condense,
    condense_question,
    is_follow_up,
    restates,
)

HISTORY = [
    ("What is Sunflower Seeds?", "An installation of 100 million porcelain seeds [2]."),
    ("Who directed Ai Weiwei: Never Sorry?", "Alison Klayman directed it [1]."),
]


@pytest.mark.parametrize(
    "question",
    [
        "How long was Ai Weiwei detained in 2011?",
        "Who directed Ai Weiwei: Never Sorry?",
        "What prize did Never Sorry win at Sundance?",
        "Where did Ai Weiwei live during the 1980s?",
        # Short, but it names its own subject (a reported bug: it was glued to "Who directed ...").
        "Who composed the soundtrack?",
        "Who directed the film?",
        "Is there a sequel to Never Sorry?",
        "What is the name of the work that used backpacks?",
    ],
)
def test_standalone_question_is_left_alone(question: str) -> None:
    assert not is_follow_up(question)
    assert condense_question(question, HISTORY) == question


def test_standalone_why_question_is_left_alone() -> None:
    # "Why" opens standalone questions as often as follow-ups; a bare "Why?" is caught as too short.
    question = "Why was Ai Weiwei detained by Chinese authorities in 2011?"
    assert condense_question(question, HISTORY) == question


@pytest.mark.parametrize(
    "question",
    [
        "Was it her first feature?",
        "And the prize?",
        "What about Sundance?",
        "Why?",
        "Did he say sorry?",
        "In what year?",
        "Where was that exhibition?",
        "Did he stay silent after that?",
    ],
)
def test_follow_up_is_extended_with_the_previous_turn_only(question: str) -> None:
    condensed = condense_question(question, HISTORY)
    assert condensed == f"{question} (Who directed Ai Weiwei: Never Sorry? Alison Klayman directed it.)"
    assert "Sunflower" not in condensed


def test_follow_up_without_history_is_left_alone() -> None:
    assert condense_question("  Was it her first feature? ", []) == "Was it her first feature?"


def test_condensed_question_drops_citation_markers_of_the_previous_answer() -> None:
    condensed = condense_question(
        "And then?", [("When was he detained?", "In 2011 [1][3], for 81 days [2].")]
    )
    assert condensed == "And then? (When was he detained? In 2011, for 81 days.)"


def test_condensed_question_stays_within_max_chars() -> None:
    history = [("Tell me everything about the film.", "It is long. " * 100)]
    condensed = condense_question("And then?", history, max_chars=120)
    assert condensed.startswith("And then? (Tell me everything")
    assert len(condensed) <= 120


def test_follow_up_too_long_for_any_context_is_left_alone() -> None:
    question = "And was it " + "very " * 30 + "long?"
    assert condense_question(question, [("Who directed it?", "Alison Klayman.")], max_chars=120) == question


def test_a_follow_up_carries_its_context_apart_from_the_question() -> None:
    turn = condense("Was it her first feature?", [("Who directed it?", "Alison Klayman [1].")])
    assert turn == Standalone("Was it her first feature?", "Who directed it? Alison Klayman.")
    assert turn.text == "Was it her first feature? (Who directed it? Alison Klayman.)"


def test_a_question_ending_in_parentheses_is_never_split() -> None:
    # The old string form "question (context)" was parsed back, so this lost "(the 2012 film)".
    asked = "Who directed Never Sorry (the 2012 film)"
    assert condense(asked, []) == Standalone(asked)
    assert as_standalone(asked) == Standalone(asked)
    assert condense(asked, [("What is it about?", "Ai Weiwei.")]).question == asked


def test_a_sentence_restating_the_last_answer_is_recognised() -> None:
    context = "Which platform does he use? Twitter, to bypass the Great Firewall after his blog was shut."
    assert restates("He switched to Twitter to bypass the Great Firewall.", context)
    assert not restates("He documents the police harassment he has experienced.", context)
    assert not restates("He switched to Twitter to bypass the Great Firewall.", "")
    assert not restates("", context)
