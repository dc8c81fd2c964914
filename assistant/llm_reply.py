"""Reading an LLM's reply: the refusal sentinel, and `[n]` markers turned back into checked citations.

The model cites passage n of its prompt as `[n]`; each marker becomes a `Citation` of the passage
sentence that best matches the words the marker follows. `answering.finish` then checks every quote
against its review.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence

from .answering import Draft
from .citations import MARKER_RE, Citation, cite_span
from .corpus import Review
from .extractive import candidate_sentences
from .retrieval import Hit, tokenize

#: What the prompt tells the model to answer when the passages do not say.
SENTINEL = "NOT IN REVIEWS"

# "[1, 2]" and "[1; 3]" are read as "[1][2]", "[1][3]": models often group markers that way.
_GROUPED_RE = re.compile(r"\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})+)\]")


def is_refusal(text: str) -> bool:
    """True when the model answered with the sentinel: 'NOT IN REVIEWS.' -> True."""
    return _letters(text).startswith(SENTINEL)


def _letters(text: str) -> str:
    # Upper-case words only, so "**Not in reviews.**" reads as the sentinel too.
    return " ".join(re.sub(r"[^A-Z]+", " ", text.upper()).split())


def parse_draft(text: str, hits: Sequence[Hit], reviews: Mapping[str, Review], narrow: bool = True) -> Draft:
    """Return the Draft for the model's answer: marker [n] cites passage n; others flag the draft.

    With `narrow`, each quote is the passage sentence that best matches what the marker follows.
    """
    text = _GROUPED_RE.sub(lambda m: "".join(f"[{n}]" for n in re.split(r"\s*[,;]\s*", m.group(1))), text)
    text = text.strip()
    if is_refusal(text):
        return Draft(text="", citations=(), refused=True)
    claims = claims_by_marker(text)
    valid = [n for n in claims if 1 <= n <= len(hits)]
    citations = tuple(_cite(n, hits[n - 1], reviews, claims[n] if narrow else "") for n in valid)
    return Draft(text=text, citations=citations, refused=False, flagged=len(valid) < len(claims))


def claims_by_marker(text: str) -> dict[int, str]:
    """Return, per marker number in order of first use, the text it was written after.

    >>> claims_by_marker("Held 81 days [1][2]. Freed in June [3].")
    {1: 'Held 81 days ', 2: 'Held 81 days ', 3: '. Freed in June '}
    """
    claims: dict[int, str] = {}
    last, claim = 0, ""
    for match in MARKER_RE.finditer(text):
        segment = text[last : match.start()]
        if re.search(r"\w", segment):  # "[1][2]": the second marker backs the same words
            claim = segment
        number = int(match.group(1))
        claims[number] = f"{claims[number]}\n{claim}" if number in claims else claim
        last = match.end()
    return claims


def narrow_span(hit: Hit, reviews: Mapping[str, Review], claim: str, min_overlap: int = 2) -> tuple[int, int]:
    """Return (start, end) of the sentence of `hit` sharing the most words with `claim`, or the whole hit.

    A sentence needs `min_overlap` shared words, so a vague claim keeps its whole passage as evidence.
    """
    wanted = set(tokenize(claim))
    best, best_overlap = (hit.start, hit.end), min_overlap - 1
    for _, span in candidate_sentences([hit], reviews):
        overlap = len(wanted & set(tokenize(reviews[hit.review_id].text[span.start : span.end])))
        if overlap > best_overlap:
            best, best_overlap = (span.start, span.end), overlap
    return best


def _cite(number: int, hit: Hit, reviews: Mapping[str, Review], claim: str) -> Citation:
    review = reviews.get(hit.review_id)
    if review is None:  # a passage of a review no longer loaded: the citation check drops it
        return Citation(number, hit.review_id, hit.review_id, hit.start, hit.end, hit.text)
    start, end = narrow_span(hit, reviews, claim) if claim else (hit.start, hit.end)
    return cite_span(number, review, start, end)


def hide_sentinel(pieces: Iterable[str]) -> Iterator[str]:
    """Yield the pieces as they come, holding back those that may still spell the refusal sentinel."""
    held: list[str] = []
    passing = False
    for piece in pieces:
        if passing:
            yield piece
            continue
        held.append(piece)
        so_far = _letters("".join(held))
        if not (SENTINEL.startswith(so_far) or so_far.startswith(SENTINEL)):
            passing = True
            yield from held
    if not passing and not is_refusal("".join(held)):
        yield from held
