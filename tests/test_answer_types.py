"""Question types and typed answers: numbers next to what is counted, names next to what is named."""

from __future__ import annotations

import pytest

from assistant.answer_types import QuestionType, find_answer, predicate, question_type, states_predicate

BACKPACKS = (
    "So Sorry included an installation quoting the mother of one of the earthquake victims using "
    "nine thousand coloured school backpacks."
)
MONEY = "He owed $2.4 million in taxes and many ordinary citizens sent in money to help him."


@pytest.mark.parametrize(
    ("question", "kind", "focus"),
    [
        ("How long was he detained?", "duration", ()),
        ("How many school backpacks were used?", "quantity", ("school", "backpack")),
        ("How many people sent money?", "quantity", ("people",)),
        ("How much was he charged?", "quantity", ()),
        ("When did he move?", "year", ()),
        ("In what year was it?", "year", ()),
        ("Who directed the film?", "person", ()),
        ("What was the name of the hotel where he slept?", "name", ("hotel",)),
        ("What is the name of the mother quoted in the work?", "name", ("mother",)),
        ("In which city was the studio?", "place", ("studio",)),
        ("How old was he then?", "quantity", ()),
        ("Where was he held?", "place", ()),
        ("On what date was he released?", "date", ()),
        ("Which hospital treated him?", "name", ()),
        ("In which district is the studio?", "name", ()),
        ("What did he make?", None, ()),
        # a leading clause is not what is asked: the clause opening with a question word is
        ("When people asked how he could be so calm, what was his answer?", None, ()),
        ("When the police came, where was he?", "place", ()),
        ("In which year, says the review, did he move?", "year", ()),
        # nor a trailing clause that says which event is meant
        ("Which earthquake killed the students whose names he published?", "name", ()),
    ],
)
def test_question_type(question: str, kind: str | None, focus: tuple[str, ...]) -> None:
    assert question_type(question) == QuestionType(kind, focus)


def test_numbers_are_found_next_to_what_is_counted() -> None:
    q = "How many school backpacks were used?"
    assert find_answer(BACKPACKS, q, question_type(q), None) == "nine thousand coloured school backpacks"


def test_a_number_far_from_what_is_counted_is_no_answer() -> None:
    q = "How many people sent money?"
    assert find_answer(MONEY, q, question_type(q), None) is None
    q = "How much was he charged in taxes?"
    assert find_answer(MONEY, q, question_type(q), None) == "$2.4 million"


def test_typed_answers_must_add_something_to_the_question() -> None:
    who = question_type("Who directed it?")
    assert find_answer("is Alison Klayman’s debut feature", "Who directed it?", who, None) == "Alison Klayman"
    assert find_answer("Alison Klayman directed it.", "Did Alison Klayman direct it?", who, None) is None
    year = question_type("When did he leave?")
    assert find_answer("Later in 2011 he left.", "When did he leave?", year, None) == "2011"
    assert find_answer("Later in 2011 he left.", "When did he leave in 2011?", year, None) is None


def test_a_year_is_not_a_duration_and_untyped_questions_have_no_span() -> None:
    q = "How long did he stay?"
    assert find_answer("Later in 2011 he left.", q, question_type(q), None) is None
    assert find_answer("He lived there for 10 years.", q, question_type(q), None) == "10 years"
    assert (
        find_answer("Anything 2011.", "What did he make?", question_type("What did he make?"), None) is None
    )


def test_names_must_stand_next_to_the_thing_named() -> None:
    q = "What was the name of the hotel where the police attacked him?"
    assert (
        find_answer("One night while Ai sleeps in a hotel room, police attack.", q, question_type(q), None)
        is None
    )
    q = "What was the name of his Liverpool commission?"
    sentence = "Following his Liverpool Biennial commission ‘Web of Light’ at Exchange Flags, he went on."
    assert find_answer(sentence, q, question_type(q), None) == "Web of Light"


def test_where_wants_a_name_standing_where_a_place_does() -> None:
    q = "Where were the seeds shown?"
    sentence = "Weiwei’s 2010 installation of sunflower seeds at London’s Tate Modern was vast."
    assert find_answer(sentence, q, question_type(q), None) == "London’s Tate Modern"
    assert find_answer("Weiwei showed the seeds to everyone.", q, question_type(q), None) is None


def test_which_and_date_questions_find_a_name_or_a_date_or_nothing() -> None:
    q = "Which hospital treated him?"
    assert find_answer("He is eventually hospitalized after the attack.", q, question_type(q), None) is None
    q = "On what date was he released?"
    assert (
        find_answer("He was released on June 22nd after 81 days.", q, question_type(q), None) == "June 22nd"
    )
    assert find_answer("He was released after 81 days.", q, question_type(q), None) is None


@pytest.mark.parametrize(
    ("question", "verb"),
    [
        ("Who composed the music for the film?", "composed"),
        ("Who directed Never Sorry?", "directed"),
        ("What year was Ai Weiwei born?", "born"),
        ("How long was he detained?", "detained"),
        ("Who was his father?", None),  # no verb of its own
        ("In what year did the earthquake happen?", None),  # a light verb carries no fact
        ("When did he move to New York?", None),  # ends in a name, not a verb
        ("When was that?", None),  # a pronoun, not a verb
        ("Which company distributed Never Sorry?", "distributed"),
        ("What age rating was Never Sorry given?", "given"),
        ("Which prize did the film win?", None),
        ("How long did it last?", None),  # a duration is asked for, not "last"
        ("After the attack, who filed the complaint?", "filed"),
        ("Which service did he move to once his site was silenced?", None),
        ("How long was he held after the attack?", "held"),
    ],
)
def test_predicate_is_the_verb_a_who_or_when_question_asks_about(question: str, verb: str | None) -> None:
    assert predicate(question) == verb


def test_a_sentence_states_a_predicate_in_any_form_of_the_word() -> None:
    assert states_predicate("Directed by Alison Klayman", "directed", None)
    assert states_predicate("the film's director, Alison Klayman", "directed", None)
    assert not states_predicate("Directed by Alison Klayman", "composed", None)
