"""The offline answer backend: pick the review sentences that answer, and a short span where possible."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .chunking import Span, split_sentences
from .citations import Citation
from .corpus import Review
from .reranking import Reranker
from .retrieval import Hit, tokenize

_NUMBER_WORDS = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|thousand|million|billion)"
)
_NUMBER = rf"(?:\$?\d[\d,.]*(?:\s+(?:million|billion|thousand))?|{_NUMBER_WORDS}(?:[\s-]+{_NUMBER_WORDS})*)"
_UNITS = (
    "days?|weeks?|months?|years?|hours?|minutes?|seeds?|students?|victims?|people|times|backpacks?|"
    "names?|dollars?|in taxes"
)
_UNIT = rf"(?:\s+(?:[a-z]+\s+)?(?:{_UNITS}))?"
_PATTERNS = {
    "quantity": re.compile(rf"\b(?:almost |over |more than |nearly |about )?{_NUMBER}{_UNIT}", re.IGNORECASE),
    "year": re.compile(r"\b(?:1[89]\d\d|20\d\d)\b"),
    "name": re.compile(r"\b[A-Z][\w’'-]+(?:\s+(?:of\s+|the\s+)?[A-Z][\w’'-]+)*"),
}
_QUESTION_TYPES = [
    (re.compile(r"^\s*(how (many|much|long|old)|what (amount|number))\b", re.I), "quantity"),
    (re.compile(r"^\s*(when|(in )?what year|which year)\b", re.I), "year"),
    (
        re.compile(r"^\s*(who|whose|whom|where|(in )?which (city|country|museum|gallery|festival))\b", re.I),
        "name",
    ),
]


@dataclass(frozen=True)
class ScoredSentence:
    """A review sentence and how well it answers the question (cross-encoder logit)."""

    review_id: str
    span: Span
    text: str
    score: float


@dataclass(frozen=True)
class Draft:
    """What a backend produced before the citation check."""

    text: str
    citations: tuple[Citation, ...]
    refused: bool
    flagged: bool = False


def question_type(question: str) -> str | None:
    """Return 'quantity', 'year', 'name' or None: 'How long was he held?' -> 'quantity'."""
    for pattern, kind in _QUESTION_TYPES:
        if pattern.search(question):
            return kind
    return None


@lru_cache(maxsize=256)
def _sentences(text: str) -> tuple[Span, ...]:
    return tuple(split_sentences(text))


def candidate_sentences(hits: Sequence[Hit], reviews: Mapping[str, Review]) -> list[tuple[str, Span]]:
    """Return the distinct review sentences that overlap the retrieved passages, in hit order."""
    seen: set[tuple[str, int]] = set()
    found: list[tuple[str, Span]] = []
    for hit in hits:
        review = reviews.get(hit.review_id)
        if review is None:
            continue
        for span in _sentences(review.text):
            inside = span.start >= hit.start and span.end <= hit.end
            if inside and (hit.review_id, span.start) not in seen:
                seen.add((hit.review_id, span.start))
                found.append((hit.review_id, span))
    return found


def extract_span(sentence: str, question: str, kind: str | None) -> str | None:
    """Return the short answer of the asked type inside `sentence`, or None.

    >>> extract_span("He was detained for 81 days before trial.", "How long was he held?", "quantity")
    '81 days'
    """
    if kind is None:
        return None
    asked = set(tokenize(question))
    for match in _PATTERNS[kind].finditer(sentence):
        candidate = re.sub(r"[’']s$", "", match.group(0).strip(" ,.;:’'")).strip()
        words = set(tokenize(candidate))
        if candidate and words and not words <= asked and not _is_not_an_answer(candidate, match, kind):
            return candidate
    return None


def _is_not_an_answer(candidate: str, match: re.Match[str], kind: str) -> bool:
    # A capitalised first word is not a name by itself ("Although", "Later"); a bare year is not
    # a quantity ("in 2011").
    if kind == "quantity":
        return bool(re.fullmatch(r"(?:1[89]|20)\d\d", candidate))
    return kind == "name" and match.start() == 0 and " " not in match.group(0)


class ExtractiveBackend:
    """Answers in the reviews' own words: best sentences by cross-encoder, short span when typed."""

    name = "extractive"

    def __init__(self, reranker: Reranker, threshold: float, max_sentences: int = 2, margin: float = 2.0):
        self.reranker = reranker
        self.threshold = threshold
        self.max_sentences = max_sentences
        self.margin = margin

    def score_sentences(
        self, question: str, hits: Sequence[Hit], reviews: Mapping[str, Review]
    ) -> list[ScoredSentence]:
        """Return candidate sentences scored against `question`, best first."""
        candidates = candidate_sentences(hits, reviews)
        texts = [reviews[rid].text[s.start : s.end] for rid, s in candidates]
        scores = self.reranker.score(question, texts)
        scored = [
            ScoredSentence(rid, s, t, sc) for (rid, s), t, sc in zip(candidates, texts, scores, strict=True)
        ]
        return sorted(scored, key=lambda s: -s.score)

    def answer(self, question: str, hits: Sequence[Hit], reviews: Mapping[str, Review]) -> Draft:
        """Return a short cited answer, or a refusal when no sentence scores above the threshold."""
        ranked = self.score_sentences(question, hits, reviews)
        if not ranked or ranked[0].score < self.threshold:
            return Draft(text="", citations=(), refused=True)
        chosen = self._choose(ranked)
        kind = question_type(question)
        short = extract_span(chosen[0].text, question, kind)
        citations = tuple(_cite(i, s, reviews) for i, s in enumerate(chosen, start=1))
        if short:
            text = f"{short} [1]." + "".join(f" “{s.text}” [{i}]" for i, s in enumerate(chosen[1:], start=2))
        else:
            text = " ".join(f"“{s.text}” [{i}]" for i, s in enumerate(chosen, start=1))
        return Draft(text=text, citations=citations, refused=False)

    def stream(
        self, question: str, hits: Sequence[Hit], reviews: Mapping[str, Review]
    ) -> Iterator[str | Draft]:
        """Yield the answer text word by word, then the Draft."""
        draft = self.answer(question, hits, reviews)
        yield from re.findall(r"\S+\s*", draft.text)
        yield draft

    def _choose(self, ranked: Sequence[ScoredSentence]) -> list[ScoredSentence]:
        best = ranked[0]
        chosen = [best]
        for sentence in ranked[1:]:
            if len(chosen) >= self.max_sentences:
                break
            if sentence.score >= max(self.threshold, best.score - self.margin) and sentence.text != best.text:
                chosen.append(sentence)
        return chosen


def _cite(number: int, sentence: ScoredSentence, reviews: Mapping[str, Review]) -> Citation:
    review = reviews[sentence.review_id]
    return Citation(
        number=number,
        review_id=review.id,
        review_title=review.title,
        start=sentence.span.start,
        end=sentence.span.end,
        quote=review.text[sentence.span.start : sentence.span.end],
        review_date=review.date,
    )
