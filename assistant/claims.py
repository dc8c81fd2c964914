"""Check an LLM's cited claims with the reader: a claim whose cited passage does not state the answer goes.

A generative answer is a few sentences, each ending in markers like [1] that point at retrieved passages
(narrowed to one sentence each by `llm_reply.parse_draft`). For every citation the reader scores
(question, cited quote): the probability that the quote states the answer to what was asked. A citation
below the threshold is unsupported; an answer sentence left with no supported citation is dropped, and
the answer is flagged. When nothing supported is left, the draft becomes a refusal with the dropped
passages shown as the closest context (never as citations).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from .answering import Draft
from .citations import MARKER_RE, Citation

#: (question, passages) -> the probability that each passage states the answer; Reader.score fits.
Score = Callable[[str, Sequence[str]], list[float]]

# An answer sentence ends at . ! or ? followed by a space, after any markers that back it.
_SENTENCE_END = re.compile(r"(?<=[.!?])(?:\s*\[\d{1,3}\])*\s+")


def answer_sentences(text: str) -> list[str]:
    """Split an answer into sentences, each keeping the markers written after its full stop.

    >>> answer_sentences("He was held 81 days [1]. Klayman directed it. [2] Done")
    ['He was held 81 days [1].', 'Klayman directed it. [2]', 'Done']
    """
    out: list[str] = []
    last = 0
    for match in _SENTENCE_END.finditer(text):
        out.append(text[last : match.end()].strip())
        last = match.end()
    tail = text[last:].strip()
    return [s for s in [*out, tail] if s]


def check_claims(draft: Draft, question: str, score: Score, threshold: float) -> Draft:
    """Return `draft` without the claims the reader finds unsupported (flagged when any went)."""
    if draft.refused or not draft.citations:
        return draft
    probability = dict(
        zip(
            (c.number for c in draft.citations),
            score(question, [c.quote for c in draft.citations]),
            strict=True,
        )
    )
    supported = {n for n, p in probability.items() if p >= threshold}
    if len(supported) == len(draft.citations):
        return draft
    kept = [s for s in answer_sentences(draft.text) if _backed(s, supported)]
    citations = tuple(c for c in draft.citations if c.number in supported)
    if not kept or not citations:
        closest = tuple(_renumber(c, i) for i, c in enumerate(draft.citations[:2], start=1))
        return Draft(text="", citations=(), refused=True, flagged=True, closest=closest)
    return replace(draft, text=" ".join(kept), citations=citations, flagged=True)


def _backed(sentence: str, supported: set[int]) -> bool:
    """True when the sentence cites no passage (a connective) or cites at least one supported one."""
    numbers = {int(m.group(1)) for m in MARKER_RE.finditer(sentence)}
    return not numbers or bool(numbers & supported)


def _renumber(citation: Citation, number: int) -> Citation:
    return replace(citation, number=number)
