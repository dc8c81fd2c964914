"""The extractive backend's logic, with a fake sentence scorer: types, spans, choice, refusal."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from assistant.corpus import Review
from assistant.extractive import Draft, ExtractiveBackend, candidate_sentences, extract_span, question_type
from assistant.retrieval import Hit

TEXT = (
    "Directed by Alison Klayman. Later in 2011 he disappeared and was detained for 81 days. "
    "He lived in New York for 10 years. The seeds were hand-painted."
)
REVIEW = Review(id="r", title="T", text=TEXT)
ALL = Hit("r:all", "r", 0, len(TEXT), TEXT, 1.0)


class FakeScorer:
    """Scores a sentence by the number of question words it contains, times 3, minus 2."""

    def score(self, query: str, passages: Sequence[str]) -> list[float]:
        words = {w.strip("?.,").lower() for w in query.split() if len(w) > 3}
        return [3.0 * sum(w in p.lower() for w in words) - 2.0 for p in passages]

    def rerank(self, query: str, hits: Sequence[Hit]) -> list[Hit]:
        return list(hits)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How long was he detained?", "quantity"),
        ("How many seeds were there?", "quantity"),
        ("When did he move?", "year"),
        ("In what year was it?", "year"),
        ("Who directed the film?", "name"),
        ("What did he make?", None),
    ],
)
def test_question_type(question: str, kind: str | None) -> None:
    assert question_type(question) == kind


def test_extract_span_finds_typed_answers_not_in_the_question() -> None:
    assert (
        extract_span("He was detained for 81 days in 2011.", "How long was he detained?", "quantity")
        == "81 days"
    )
    assert extract_span("is Alison Klayman’s debut feature", "Who directed it?", "name") == "Alison Klayman"
    assert extract_span("Later in 2011 he left.", "When did he leave?", "year") == "2011"
    assert extract_span("Later in 2011 he left.", "How long did he stay?", "quantity") is None


def test_candidate_sentences_are_the_whole_sentences_inside_the_hits() -> None:
    hit = Hit("r:28-86", "r", 28, 86, TEXT[28:86], 1.0)
    found = candidate_sentences([hit, hit], {"r": REVIEW})
    assert [TEXT[s.start : s.end] for _, s in found] == [
        "Later in 2011 he disappeared and was detained for 81 days."
    ]


def test_answer_is_a_short_span_with_a_checked_citation() -> None:
    backend = ExtractiveBackend(FakeScorer(), threshold=0.0, max_sentences=1)
    draft = backend.answer("How long was he detained?", [ALL], {"r": REVIEW})
    assert draft.text == "81 days [1]."
    (citation,) = draft.citations
    assert TEXT[citation.start : citation.end] == citation.quote
    assert "81 days" in citation.quote


def test_below_threshold_is_a_refusal() -> None:
    backend = ExtractiveBackend(FakeScorer(), threshold=0.5)
    draft = backend.answer("Who composed the music score?", [ALL], {"r": REVIEW})
    assert draft.refused and draft.citations == ()


def test_second_sentence_added_only_within_the_margin() -> None:
    question = "Where did he live for years, and were the seeds painted?"
    wide = ExtractiveBackend(FakeScorer(), threshold=0.0, max_sentences=2, margin=10.0)
    narrow = ExtractiveBackend(FakeScorer(), threshold=0.0, max_sentences=2, margin=0.5)
    assert len(wide.answer(question, [ALL], {"r": REVIEW}).citations) == 2
    assert len(narrow.answer(question, [ALL], {"r": REVIEW}).citations) == 1


def test_stream_yields_words_then_the_draft() -> None:
    backend = ExtractiveBackend(FakeScorer(), threshold=0.0, max_sentences=1)
    pieces = list(backend.stream("How long was he detained?", [ALL], {"r": REVIEW}))
    assert isinstance(pieces[-1], Draft)
    assert "".join(p for p in pieces[:-1] if isinstance(p, str)) == pieces[-1].text
