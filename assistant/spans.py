"""A stretch of one review: the span type `Chunk`, `Hit`, `Citation` and eval `Evidence` all are.

Each carries `review_id`, `start` and `end`, with `review.text[start:end]` its text; code that only
needs where a passage lies takes a `ReviewSpan` and works for all four.
"""

from __future__ import annotations

from typing import Protocol


class ReviewSpan(Protocol):
    """Where a passage lies: `review.text[start:end]` of the review `review_id`."""

    @property
    def review_id(self) -> str: ...

    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...


def inside(inner: ReviewSpan, outer: ReviewSpan) -> bool:
    """True when `inner` lies within `outer` (same review).

    >>> from assistant.evaluation import Evidence
    >>> inside(Evidence("r", 5, 9), Evidence("r", 0, 10)), inside(Evidence("r", 5, 12), Evidence("r", 0, 10))
    (True, False)
    """
    return inner.review_id == outer.review_id and outer.start <= inner.start and inner.end <= outer.end


def overlap(a: ReviewSpan, b: ReviewSpan) -> int:
    """The number of characters `a` and `b` share (0 for different reviews)."""
    if a.review_id != b.review_id:
        return 0
    return max(0, min(a.end, b.end) - max(a.start, b.start))
