"""Citations: `[n]` markers in and out of answer text, and every quote checked against its review."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.chunking import split_review
from assistant.citations import (
    Citation,
    cite_span,
    markers_in,
    quote_matches,
    renumber,
    strip_markers,
    verify_citations,
    within_hits,
)
from assistant.corpus import Review, load_reviews
from assistant.retrieval import Hit

REVIEWS = {r.id: r for r in load_reviews(Path(__file__).resolve().parents[1] / "corpus")}
REVIEW = REVIEWS["review-001"]


def _cite(review: Review, quote: str, number: int = 1) -> Citation:
    start = review.text.index(quote)
    return Citation(number, review.id, review.title, start, start + len(quote), quote, review.date)


DETENTION = "Ai was detained without trial for 81 days"
DETENTION_HIT = next(
    Hit(c.id, REVIEW.id, c.start, c.end, c.text, 1.0)
    for c in split_review(REVIEW, 400, 1)
    if DETENTION in c.text
)


def test_markers_in_lists_numbers_in_order_of_first_use() -> None:
    assert markers_in("a [2] b [1][2] c [10]") == [2, 1, 10]
    assert markers_in("no markers, [x], [1234] or [ 1 ]") == []


def test_strip_markers_removes_unkept_markers_and_tidies_spaces() -> None:
    text = "Ai was held for 81 days [1] in 2011 [3]. He was fined [2] , then freed [3]."
    assert (
        strip_markers(text, keep={1, 2})
        == "Ai was held for 81 days [1] in 2011. He was fined [2], then freed."
    )
    assert strip_markers("Only [4] markers [5] here [4].", keep=set()) == "Only markers here."


def test_renumber_orders_by_first_use_and_drops_unused_citations() -> None:
    three, one, unused = (
        _cite(REVIEW, DETENTION, 3),
        _cite(REVIEW, "Alison Klayman", 1),
        _cite(REVIEW, "Ai", 7),
    )
    text, citations = renumber(
        "Held 81 days [3], filmed by Klayman [1], held again [3].", [one, unused, three]
    )
    assert text == "Held 81 days [1], filmed by Klayman [2], held again [1]."
    assert citations == [replace(three, number=1), replace(one, number=2)]


def test_citation_matching_its_source_inside_a_retrieved_passage_is_kept() -> None:
    citation = _cite(REVIEW, DETENTION)
    assert quote_matches(citation, REVIEWS)
    assert within_hits(citation, [DETENTION_HIT])
    kept, dropped = verify_citations([citation], REVIEWS, [DETENTION_HIT])
    assert (kept, dropped) == ([citation], [])


def test_citation_whose_quote_differs_from_the_review_text_is_dropped() -> None:
    good = _cite(REVIEW, DETENTION)
    misquoted = replace(good, number=2, quote="Ai was detained without trial for 18 days")
    shifted = replace(good, number=3, start=good.start + 1, end=good.end + 1)
    kept, dropped = verify_citations([good, misquoted, shifted], REVIEWS, [DETENTION_HIT])
    assert kept == [good]
    assert dropped == [misquoted, shifted]


def test_citation_outside_the_retrieved_passages_is_dropped() -> None:
    elsewhere = _cite(REVIEW, "Directed by Alison Klayman")
    assert quote_matches(elsewhere, REVIEWS)
    assert not (DETENTION_HIT.start <= elsewhere.start < DETENTION_HIT.end)
    kept, dropped = verify_citations([elsewhere], REVIEWS, [DETENTION_HIT])
    assert kept == [] and dropped == [elsewhere]


@pytest.mark.parametrize(
    "citation",
    [
        Citation(1, "no-such-review", "T", 0, 5, "Direc"),
        Citation(1, "review-001", "T", -1, 5, "Direct"),
        Citation(1, "review-001", "T", 5, 5, ""),
        Citation(1, "review-001", "T", 0, 10**6, "Directed"),
    ],
    ids=["unknown-review", "negative-start", "empty", "past-the-end"],
)
def test_citation_with_impossible_offsets_never_matches(citation: Citation) -> None:
    assert not quote_matches(citation, REVIEWS)


def test_citation_in_the_right_span_of_another_review_is_dropped() -> None:
    citation = replace(_cite(REVIEW, DETENTION), review_id="review-000")
    assert not within_hits(citation, [DETENTION_HIT])
    assert verify_citations([citation], REVIEWS, [DETENTION_HIT])[0] == []


@given(data=st.data())
def test_any_span_of_a_retrieved_passage_is_a_verified_citation(data: st.DataObject) -> None:
    chunks = split_review(REVIEW, 400, 1)
    chunk = data.draw(st.sampled_from(chunks))
    start = data.draw(st.integers(chunk.start, chunk.end - 1))
    end = data.draw(st.integers(start + 1, chunk.end))
    citation = Citation(1, REVIEW.id, REVIEW.title, start, end, REVIEW.text[start:end])
    hit = Hit(chunk.id, REVIEW.id, chunk.start, chunk.end, chunk.text, 1.0)
    assert verify_citations([citation], REVIEWS, [hit]) == ([citation], [])


def test_cite_span_quotes_the_review_at_its_offsets() -> None:
    citation = cite_span(3, REVIEW, 0, 26)
    assert citation.quote == REVIEW.text[0:26] == "Directed by Alison Klayman"
    assert (citation.number, citation.review_id, citation.review_date) == (3, REVIEW.id, REVIEW.date)
    assert quote_matches(citation, REVIEWS)
