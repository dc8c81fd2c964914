"""The answering chain's logic: question checks, the citation check in `finish`, the stream contract."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import pytest

from assistant.answering import Answer, Draft, Pipeline, QuestionError, run_stream, validate_question
from assistant.citations import Citation
from assistant.conversation import History, Standalone, condense
from assistant.corpus import Review
from assistant.retrieval import Hit

REVIEW = Review(id="r", title="T", text="Ai was detained for 81 days. He was released in June.")
HIT = Hit("r:0-28", "r", 0, 28, REVIEW.text[0:28], 1.0)


class FakeBackend:
    """Streams a fixed draft, recording the question it was given."""

    name = "fake"
    threshold: float | None = None

    def __init__(self, draft: Draft) -> None:
        self.draft = draft
        self.questions: list[str] = []

    def condense(self, question: str, history: History) -> Standalone:
        return condense(question, history)

    def stream(
        self, question: Standalone, hits: Sequence[Hit], reviews: Mapping[str, Review]
    ) -> Iterator[str | Draft]:
        self.questions.append(question.text)
        yield from self.draft.text.split(" ")
        yield self.draft


def _pipeline(draft: Draft) -> Pipeline:
    return Pipeline(lambda q, k: [HIT], FakeBackend(draft), {"r": REVIEW}, top_k=3, max_question_chars=100)


@pytest.mark.parametrize("question", ["", "   \n\t", None, 42])
def test_empty_or_non_text_questions_are_refused_with_a_message(question: object) -> None:
    with pytest.raises(QuestionError):
        validate_question(question, 100)


def test_huge_question_gets_a_message_with_the_limit() -> None:
    with pytest.raises(QuestionError, match="keep it under 2,000"):
        validate_question("why " * 25_000, 2000)


def test_binary_question_is_refused() -> None:
    with pytest.raises(QuestionError, match="binary"):
        validate_question(b"\xff\xfe\x00\x01", 100)
    with pytest.raises(QuestionError, match="control or binary"):
        validate_question("abc\x00\x01\x02", 100)


def test_utf8_bytes_and_surrounding_space_are_accepted() -> None:
    assert validate_question(b"  Who directed it? ", 100) == "Who directed it?"


def test_a_citation_whose_quote_does_not_match_is_dropped_and_flagged() -> None:
    good = Citation(1, "r", "T", 0, 28, REVIEW.text[0:28])
    forged = Citation(2, "r", "T", 0, 28, "Ai was never detained at all")
    *pieces, answer = run_stream(
        _pipeline(Draft("81 days [1] and never [2].", (good, forged), False)), "How long?"
    )
    assert isinstance(answer, Answer)
    assert pieces and all(isinstance(p, str) for p in pieces)
    assert answer.citations == (good,)
    assert "[2]" not in answer.text and answer.flagged


def test_a_citation_outside_the_retrieved_passages_is_dropped() -> None:
    outside = Citation(1, "r", "T", 29, 53, REVIEW.text[29:53])  # real text, but not retrieved
    *_, answer = run_stream(_pipeline(Draft("June [1].", (outside,), False)), "When released?")
    assert isinstance(answer, Answer)
    assert answer.refused and answer.citations == () and answer.flagged


def test_refused_draft_says_what_the_reviews_dont_say_and_shows_closest_passages_apart() -> None:
    *_, answer = run_stream(_pipeline(Draft("", (), True)), "Who composed the score?")
    assert isinstance(answer, Answer)
    assert answer.refused and answer.citations == ()
    assert answer.text == "The reviews don't say who composed the score."
    # The retrieved passage is offered as context, never as a citation.
    assert [(c.start, c.end, c.quote) for c in answer.closest] == [(0, 28, REVIEW.text[0:28])]


def test_a_backend_refusal_keeps_its_own_words_and_closest_sentences() -> None:
    near = Citation(1, "r", "T", 0, 28, REVIEW.text[0:28])
    draft = Draft("", (), True, refusal="The reviews don't name the composer.", closest=(near,))
    *_, answer = run_stream(_pipeline(draft), "Who composed the score?")
    assert isinstance(answer, Answer)
    assert answer.text == "The reviews don't name the composer." and answer.closest == (near,)


def test_a_question_naming_something_the_reviews_never_mention_is_refused_before_retrieval() -> None:
    pipeline = Pipeline(
        lambda q, k: pytest.fail("retrieval must not run"),
        FakeBackend(Draft("81 days [1].", (), False)),
        {"r": REVIEW},
        top_k=3,
        max_question_chars=100,
        known_words=frozenset({"ai", "detained", "81", "day", "released", "june"}),
    )
    *_, answer = run_stream(pipeline, "Who directed Jaws?")
    assert isinstance(answer, Answer)
    assert answer.refused and answer.citations == () and answer.closest == ()
    assert answer.text.startswith("The reviews don't mention Jaws")
    assert pipeline.backend.questions == []  # type: ignore[attr-defined]


def test_follow_up_reaches_the_backend_as_a_standalone_question() -> None:
    pipeline = _pipeline(Draft("81 days [1].", (Citation(1, "r", "T", 0, 28, REVIEW.text[0:28]),), False))
    *_, answer = run_stream(
        pipeline, "How long was he held?", [("What happened to Ai in 2011?", "He was detained.")]
    )
    assert isinstance(answer, Answer)
    assert "What happened to Ai in 2011?" in answer.standalone_question
    assert pipeline.backend.questions == [answer.standalone_question]  # type: ignore[attr-defined]
    assert set(answer.timings) >= {"condense", "retrieve", "answer", "total"}
