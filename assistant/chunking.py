"""Split reviews into sentence-aligned chunks with stable ids and exact character offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .corpus import Review

# A sentence ends at . ! or ? (plus closing quotes/brackets) followed by whitespace, or at a blank
# line. Abbreviations that would end a "sentence" too early are rare in film reviews; we guard the
# common ones so "Dr. Ai" or "U.S. release" stay in one piece.
_END_RE = re.compile(r"[.!?][’”\"')\]]*(?=\s)|\n\s*\n")
_ABBREVIATION_RE = re.compile(r"(?<![\w.])(?:mr|mrs|ms|dr|st|vs|u\.s|u\.k|e\.g|i\.e)\.\Z", re.IGNORECASE)


@dataclass(frozen=True)
class Span:
    """A [start, end) character range of a review's text."""

    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    """A passage of a review: `review.text[start:end] == text`."""

    id: str
    review_id: str
    start: int
    end: int
    text: str


def split_sentences(text: str) -> list[Span]:
    """Return the sentences of `text` as spans, whitespace trimmed.

    >>> [text[s.start:s.end] for text in ["Hi there. Bye!"] for s in split_sentences(text)]
    ['Hi there.', 'Bye!']
    """
    spans: list[Span] = []
    start = 0
    for match in _END_RE.finditer(text):
        end = match.end()
        dot = match.start() + 1  # just after the . ! or ?, before any closing quote
        if _ABBREVIATION_RE.search(text[max(0, dot - 6) : dot]) and "\n" not in match.group():
            continue
        _append_trimmed(spans, text, start, end)
        start = end
    _append_trimmed(spans, text, start, len(text))
    return spans


def _append_trimmed(spans: list[Span], text: str, start: int, end: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if stripped:
        lead = len(piece) - len(piece.lstrip())
        spans.append(Span(start + lead, start + lead + len(stripped)))


def split_review(review: Review, chunk_size: int, overlap_sentences: int = 1) -> list[Chunk]:
    """Return chunks of whole sentences, each at most `chunk_size` characters where a sentence allows.

    Consecutive chunks share `overlap_sentences` sentences. Ids are `<review id>:<start>-<end>`, so
    they stay the same for the same text and settings.
    """
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    sentences = split_sentences(review.text)
    groups = _pack(sentences, chunk_size, max(0, overlap_sentences))
    return [_make_chunk(review, group[0].start, group[-1].end) for group in groups]


def _pack(sentences: list[Span], chunk_size: int, overlap: int) -> list[list[Span]]:
    groups: list[list[Span]] = []
    i = 0
    while i < len(sentences):
        j = i + 1  # a chunk always takes at least one sentence, however long
        while j < len(sentences) and sentences[j].end - sentences[i].start <= chunk_size:
            j += 1
        groups.append(sentences[i:j])
        if j >= len(sentences):
            break
        i = max(i + 1, j - overlap)
        # Never start a chunk with overlap that cannot share it with a new sentence: it would be a
        # duplicate of the end of the previous chunk.
        while i < j and sentences[j].end - sentences[i].start > chunk_size:
            i += 1
    return groups


def _make_chunk(review: Review, start: int, end: int) -> Chunk:
    return Chunk(
        id=f"{review.id}:{start}-{end}",
        review_id=review.id,
        start=start,
        end=end,
        text=review.text[start:end],
    )
