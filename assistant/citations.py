"""Citations: number the passages, parse `[n]` markers back, check every quote against its review."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .corpus import Review
from .retrieval import Hit
from .spans import inside

MARKER_RE = re.compile(r"\[(\d{1,3})\]")


@dataclass(frozen=True)
class Citation:
    """An exact span of a review: `review.text[start:end] == quote`. `number` is its `[n]` marker."""

    number: int
    review_id: str
    review_title: str
    start: int
    end: int
    quote: str
    review_date: str | None = None
    # The review's distinct display label (`Review.label`); reviews may share a title.
    review_label: str = ""

    @property
    def label(self) -> str:
        return self.review_label or self.review_title


def cite_span(number: int, review: Review, start: int, end: int) -> Citation:
    """Return citation `number` of `review.text[start:end]`, its quote taken from the review itself."""
    quote = review.text[start:end]
    return Citation(number, review.id, review.title, start, end, quote, review.date, review.label)


def quote_matches(citation: Citation, reviews: Mapping[str, Review]) -> bool:
    """True when the citation's quote is exactly the review text at its offsets."""
    review = reviews.get(citation.review_id)
    if review is None or not (0 <= citation.start < citation.end <= len(review.text)):
        return False
    return review.text[citation.start : citation.end] == citation.quote


def within_hits(citation: Citation, hits: Sequence[Hit]) -> bool:
    """True when the cited span lies inside one of the retrieved passages."""
    return any(inside(citation, h) for h in hits)


def verify_citations(
    citations: Sequence[Citation], reviews: Mapping[str, Review], hits: Sequence[Hit]
) -> tuple[list[Citation], list[Citation]]:
    """Return (kept, dropped): kept citations match their source and come from a retrieved passage."""
    kept: list[Citation] = []
    dropped: list[Citation] = []
    for citation in citations:
        ok = quote_matches(citation, reviews) and within_hits(citation, hits)
        (kept if ok else dropped).append(citation)
    return kept, dropped


def markers_in(text: str) -> list[int]:
    """Return the marker numbers in order of first use: 'a [2] b [1][2]' -> [2, 1]."""
    seen: list[int] = []
    for match in MARKER_RE.finditer(text):
        number = int(match.group(1))
        if number not in seen:
            seen.append(number)
    return seen


def strip_markers(text: str, keep: set[int]) -> str:
    """Remove `[n]` markers whose number is not in `keep`, tidying the spaces they leave."""

    def replace(match: re.Match[str]) -> str:
        return match.group(0) if int(match.group(1)) in keep else ""

    return re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r" {2,}", " ", MARKER_RE.sub(replace, text))).strip()


def renumber(text: str, citations: Sequence[Citation]) -> tuple[str, list[Citation]]:
    """Return text and citations renumbered 1..n in order of first use in the text."""
    order = [n for n in markers_in(text) if any(c.number == n for c in citations)]
    mapping = {old: new for new, old in enumerate(order, start=1)}
    new_text = MARKER_RE.sub(lambda m: f"[{mapping.get(int(m.group(1)), int(m.group(1)))}]", text)
    renumbered = [_with_number(c, mapping[c.number]) for c in citations if c.number in mapping]
    return new_text, sorted(renumbered, key=lambda c: c.number)


def _with_number(citation: Citation, number: int) -> Citation:
    from dataclasses import replace

    return replace(citation, number=number)
