"""The answer policy's words: unknown names, and refusals worded for the question asked."""

from __future__ import annotations

import pytest

from assistant.corpus import Review
from assistant.policy import corpus_words, not_stated_text, off_topic_text, unknown_names

REVIEWS = {
    "r": Review(id="r", title="Ai Weiwei: Never Sorry", text="Directed by Alison Klayman. Shown in Munich."),
}
KNOWN = corpus_words(REVIEWS)


def test_corpus_words_cover_titles_and_texts_as_tokenize_gives_them() -> None:
    assert {"ai", "weiwei", "sorry", "directed", "klayman", "munich"} <= KNOWN


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("Who directed Jaws?", ["Jaws"]),
        ("Who painted the Mona Lisa?", ["Mona", "Lisa"]),
        ("Is Never Sorry on Netflix?", ["Netflix"]),
        ("Who directed Never Sorry?", []),
        ("When did Klayman film in Munich?", []),
        ("Roughly how long was Ai held?", []),  # the opening word is not a name
        ("What did he show in the German exhibition?", []),  # peoples and languages may paraphrase
        ("who composed the music?", []),  # lower-case words are left to the backend
    ],
)
def test_unknown_names_are_capitalised_words_no_review_contains(question: str, names: list[str]) -> None:
    assert unknown_names(question, KNOWN) == names


def test_a_subject_question_gets_a_refusal_in_its_own_words() -> None:
    assert not_stated_text("Who composed the music for the film?") == (
        "The reviews don't say who composed the music for the film."
    )
    assert (
        not_stated_text("Which company  distributed it?")
        == "The reviews don't say which company distributed it."
    )


def test_an_inverted_question_gets_the_plain_refusal() -> None:
    # "the reviews don't say when did he ..." would be broken English.
    assert (
        not_stated_text("When did he leave?")
        == "The reviews don't say. Nothing in them answers this question."
    )


def test_off_topic_text_names_what_the_reviews_do_not_mention() -> None:
    text = off_topic_text(["Jaws"])
    assert text.startswith("The reviews don't mention Jaws") and "Never Sorry" in text
