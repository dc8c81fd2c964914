"""The offline answer backend: pick the review sentences that answer, and a short span where possible."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from .answer_types import QuestionType, find_answer, predicate, question_type, states_predicate
from .answerability import AnswerabilityModel
from .answering import Draft
from .chunking import Span, split_sentences
from .citations import Citation, cite_span
from .conversation import History, Standalone, as_standalone, condense, restates
from .corpus import Review
from .embedding import Embedder
from .evidence import Features, TermStats, WordVectors, sentence_features
from .policy import part_not_stated_text
from .question_parts import question_parts
from .reader import Reader, most_relevant
from .reranking import Reranker
from .retrieval import Hit

#: How a sentence's probability of answering is computed: the evidence-feature model alone, the reader
#: alone, or the geometric mean of the two.
SCORINGS = ("features", "reader", "both")
#: With `context` on, the reader also reads this many of its most probable sentences together with the
#: sentence before each. On dev + dev2 the top 5 gave the same answers as all (about 10 candidates),
#: for half the extra reading; the top 3 gave fewer.
CONTEXT_TOP = 5


@dataclass(frozen=True)
class ScoredSentence:
    """A review sentence, its evidence features and the probability that it answers the question."""

    review_id: str
    span: Span
    text: str
    score: float
    features: Features | None = None
    # The two opinions `score` is made of (None when not computed).
    feature_probability: float | None = None
    reader_probability: float | None = None
    # Where the first retrieved passage holding it stood among the hits (0 = the top passage).
    passage: int = 0


@dataclass(frozen=True)
class Pick:
    """What the backend chose for one question (or one part of a compound question)."""

    question: str
    ranked: tuple[ScoredSentence, ...]
    # The sentences that answer, best first; empty when the question is refused.
    chosen: tuple[ScoredSentence, ...]
    # The answer's words inside the best sentence ("81 days"), when found.
    short: str | None = None


@lru_cache(maxsize=256)
def _sentences(text: str) -> tuple[Span, ...]:
    return tuple(split_sentences(text))


def previous_sentence(review: Review, span: Span) -> str:
    """The review sentence just before `span` ("" for the first)."""
    spans = _sentences(review.text)
    before = [s for s in spans if s.end <= span.start]
    return review.text[before[-1].start : before[-1].end] if before else ""


def with_context(probability: Sequence[float], windows: Mapping[int, float]) -> list[float]:
    """Each sentence's probability with its context: the mean of the reader's probability for the
    sentence alone and for the sentence after the one before it, where that was read (`windows`).

    "Each seed was hand-painted" answers how the Sunflower Seeds were made only after the sentence
    naming them; a sentence that states the answer on its own keeps a high mean.

    >>> with_context([0.1, 0.8], {0: 0.9})
    [0.5, 0.8]
    """
    return [(p + windows[i]) / 2 if i in windows else p for i, p in enumerate(probability)]


def candidate_sentences(hits: Sequence[Hit], reviews: Mapping[str, Review]) -> list[tuple[str, Span]]:
    """Return the distinct review sentences that overlap the retrieved passages, in hit order."""
    return [(review_id, span) for review_id, span, _ in located_sentences(hits, reviews)]


def located_sentences(hits: Sequence[Hit], reviews: Mapping[str, Review]) -> list[tuple[str, Span, int]]:
    """`candidate_sentences`, each with the position of the first hit that holds it whole."""
    seen: set[tuple[str, int]] = set()
    found: list[tuple[str, Span, int]] = []
    for at, hit in enumerate(hits):
        review = reviews.get(hit.review_id)
        if review is None:
            continue
        for span in _sentences(review.text):
            inside = span.start >= hit.start and span.end <= hit.end
            if inside and (hit.review_id, span.start) not in seen:
                seen.add((hit.review_id, span.start))
                found.append((hit.review_id, span, at))
    return found


class ExtractiveBackend:
    """Answers in the reviews' own words: the sentences most likely to answer, a short span when typed.

    Every candidate sentence gets a probability of answering: from its evidence features
    (`evidence.py`) through the answerability model, from the reader (`reader.py`), or both, as
    `scoring` says. The answer is the most probable sentence at or above `threshold` that holds the
    asked type of thing and the question's verb (with `checks`; without, the most probable one); when
    there is none, the backend refuses. With `near_passages` set, a sentence found only in the
    passages after the first `near_passages` (per question part) counts only at `wide_threshold`:
    a wider pool for recall, held to a stricter bar where retrieval was less sure.
    """

    name = "extractive"

    def __init__(
        self,
        cross_encoder: Reranker,
        embedder: Embedder,
        model: AnswerabilityModel,
        threshold: float | None = None,
        max_sentences: int = 2,
        margin: float = 0.25,
        span_threshold: float = 0.0,
        vectors: WordVectors | None = None,
        reader: Reader | None = None,
        scoring: str = "features",
        checks: bool = True,
        context: bool = False,
        reader_sentences: int = 0,
        near_passages: int | None = None,
        wide_threshold: float = 1.0,
    ):
        if scoring not in SCORINGS:
            raise ValueError(f"unknown sentence scoring {scoring!r}; choose one of {', '.join(SCORINGS)}")
        if scoring != "features" and reader is None:
            raise ValueError(
                f"sentence scoring {scoring!r} needs the reader (the `reader` setting is 'none')"
            )
        self.cross_encoder = cross_encoder
        self.reader = reader
        self.scoring = scoring
        self.checks = checks
        self.context = context
        self.reader_sentences = reader_sentences
        self.near_passages = near_passages
        self.wide_threshold = wide_threshold
        self.embedder = embedder
        self.model = model
        self.threshold = model.threshold if threshold is None else threshold
        self.max_sentences = max_sentences
        self.margin = margin
        self.span_threshold = span_threshold
        # Shared between backends of one assistant (`with_settings` copies), so none re-embeds words.
        self.vectors = vectors if vectors is not None else WordVectors(embedder)
        self._sentence_vectors: dict[str, np.ndarray] = {}
        self._stats: tuple[Mapping[str, Review], TermStats] | None = None

    def score_sentences(
        self, question: str | Standalone, hits: Sequence[Hit], reviews: Mapping[str, Review]
    ) -> list[ScoredSentence]:
        """Return candidate sentences with their features and probability of answering, best first.

        The models read the question with its chat context; the word features, the question alone.
        """
        located = located_sentences(hits, reviews)
        if not located:
            return []
        candidates = [(rid, span) for rid, span, _ in located]
        passages = [at for _, _, at in located]
        texts = [reviews[rid].text[s.start : s.end] for rid, s in candidates]
        standalone = as_standalone(question)
        asked, question = standalone.question, standalone.text
        read: Sequence[float | None]
        if self.reader is not None:  # one pass of the base model gives the cross-encoder's logits too
            passes = self.reader.base_passes(question, texts)
            # The top reads only the sentences the base finds most relevant (`reader_sentences`).
            keep = most_relevant(passes.relevance, self.reader_sentences)
            candidates, texts = [candidates[i] for i in keep], [texts[i] for i in keep]
            passages = [passages[i] for i in keep]
            cross, probability = [passes.relevance[i] for i in keep], self.reader.read(passes, keep)
            if self.context:
                probability = self._read_in_context(question, candidates, texts, probability, reviews)
            read = probability
        else:
            cross, read = self.cross_encoder.score(question, texts), [None] * len(texts)
        query = np.asarray(self.embedder.embed_query(question), dtype=np.float32)
        bi = [float(v @ query) for v in self._embed_sentences(texts)]
        rows = sentence_features(asked, texts, cross, bi, self.vectors, self._term_stats(reviews))
        scored = []
        for (rid, span), text, at, f, r in zip(candidates, texts, passages, rows, read, strict=True):
            p = self.model.probability(f)
            scored.append(ScoredSentence(rid, span, text, combine(self.scoring, p, r), f, p, r, at))
        return sorted(scored, key=lambda s: -s.score)

    def _read_in_context(
        self,
        question: str,
        candidates: Sequence[tuple[str, Span]],
        texts: Sequence[str],
        probability: Sequence[float],
        reviews: Mapping[str, Review],
    ) -> list[float]:
        """The reader's probabilities with context (`with_context`) for the CONTEXT_TOP most probable
        sentences that have a sentence before them; the others' as they are."""
        assert self.reader is not None
        order = sorted(range(len(texts)), key=lambda i: -probability[i])[:CONTEXT_TOP]
        before = {i: previous_sentence(reviews[candidates[i][0]], candidates[i][1]) for i in order}
        read = [i for i in order if before[i]]
        windows = self.reader.score(question, [f"{before[i]} {texts[i]}" for i in read])
        return with_context(probability, dict(zip(read, windows, strict=True)))

    def answer(self, question: str | Standalone, hits: Sequence[Hit], reviews: Mapping[str, Review]) -> Draft:
        """Return a cited answer, or a refusal (with the closest sentences) when none is likely enough.

        A compound question ("Who directed it, and which award did it win?") is answered part by part
        (`question_parts`): the answer quotes what answers each part and says which part the reviews
        leave open. The answer is a short span ("81 days") only when the best sentence is at least
        `span_threshold` likely to answer; otherwise it quotes the sentence(s), with the words of
        the asked type marked **like this**.
        """
        standalone = as_standalone(question)
        parts = question_parts(standalone.question)
        # The parts' passages come interleaved (`retrieve_parts`): the first near_passages of each lead.
        near = len(hits) if self.near_passages is None else self.near_passages * len(parts)
        picks = [self._pick(Standalone(part, standalone.context), hits, reviews, near) for part in parts]
        answered = [pick for pick in picks if pick.chosen]
        if not answered:
            closest = tuple(_cite(i, s, reviews) for i, s in enumerate(picks[0].ranked[:2], start=1))
            return Draft(text="", citations=(), refused=True, closest=closest)
        cited: list[ScoredSentence] = []
        numbers: dict[tuple[str, int], int] = {}  # a sentence answering two parts is cited once
        pieces: list[str] = []
        for pick in picks:
            if not pick.chosen:
                pieces.append(part_not_stated_text(pick.question))
                continue
            quotes = []
            for rank, sentence in enumerate(pick.chosen):
                key = (sentence.review_id, sentence.span.start)
                if key in numbers:  # quoted for an earlier part already
                    continue
                cited.append(sentence)
                number = numbers[key] = len(cited)
                short = pick.short if rank == 0 else None
                if short and rank == 0 and sentence.score >= self.span_threshold:
                    quotes.append(f"{short} [{number}].")
                else:
                    quotes.append(f"“{_mark(sentence.text, short)}” [{number}]")
            if quotes:
                pieces.append(" ".join(quotes))
        citations = tuple(_cite(i, s, reviews) for i, s in enumerate(cited, start=1))
        return Draft(text=" ".join(pieces), citations=citations, refused=False)

    def _pick(
        self, question: Standalone, hits: Sequence[Hit], reviews: Mapping[str, Review], near: int
    ) -> Pick:
        """Score the sentences for one question and choose the answering ones (none: refuse).

        A sentence from beyond the first `near` hits is a candidate only at `wide_threshold`.
        """
        ranked = self.score_sentences(question, hits, reviews)
        asked = question.question
        kind = question_type(asked)
        # A follow-up's answer must say something the chat has not: "What did he do about it?" is
        # not answered by the sentence the last answer came from.
        fresh = [
            s
            for s in ranked
            if not restates(s.text, question.context) and (s.passage < near or s.score >= self.wide_threshold)
        ]
        best = next((s for s in fresh if s.score < self.threshold or self._passes(s, kind, asked)), None)
        if best is None or best.score < self.threshold:
            return Pick(asked, tuple(ranked), ())
        chosen = self._choose(best, fresh)
        return Pick(asked, tuple(ranked), tuple(chosen), find_answer(best.text, asked, kind, self.vectors))

    def _passes(self, sentence: ScoredSentence, kind: QuestionType, asked: str) -> bool:
        """True when the checks are off, or `sentence` holds the asked type of thing and the verb.

        The answer is the most probable sentence that passes: one that fails does not answer, and
        does not stop a less probable one that does ("How long was he detained?": "held him cut off
        for almost 3 months" lacks "detained"; "detained for 81 days" has it). On dev + dev2 at 0.50
        the same cost as refusing when the most probable sentence fails (24).
        """
        if not self.checks:
            return True
        return not _lacks_asked_thing(sentence, kind) and self._states_predicate(sentence.text, asked)

    def stream(
        self, question: str | Standalone, hits: Sequence[Hit], reviews: Mapping[str, Review]
    ) -> Iterator[str | Draft]:
        """Yield the answer text word by word, then the Draft."""
        draft = self.answer(question, hits, reviews)
        yield from re.findall(r"\S+\s*", draft.text)
        yield draft

    def condense(self, question: str, history: History) -> Standalone:
        """Make a follow-up standalone by rule (`conversation.condense`), no model call."""
        return condense(question, history)

    def _states_predicate(self, sentence: str, asked: str) -> bool:
        """True unless a who / when question's verb ('composed', 'born') is missing from the sentence."""
        verb = predicate(asked)
        return verb is None or states_predicate(sentence, verb, self.vectors)

    def _choose(self, best: ScoredSentence, ranked: Sequence[ScoredSentence]) -> list[ScoredSentence]:
        """`best`, and the next sentences within `margin` of it (up to `max_sentences` in all)."""
        chosen = [best]
        for sentence in ranked:
            if len(chosen) >= self.max_sentences:
                break
            if sentence.score >= max(self.threshold, best.score - self.margin) and sentence.text != best.text:
                chosen.append(sentence)
        return chosen

    def _embed_sentences(self, texts: Sequence[str]) -> list[np.ndarray]:
        new = [t for t in dict.fromkeys(texts) if t not in self._sentence_vectors]
        if new:
            for text, vector in zip(new, self.embedder.embed_documents(new), strict=True):
                self._sentence_vectors[text] = np.asarray(vector, dtype=np.float32)
        return [self._sentence_vectors[t] for t in texts]

    def _term_stats(self, reviews: Mapping[str, Review]) -> TermStats:
        """Word statistics of the corpus, counted once per corpus: the assistant hands over a new
        mapping when the reviews change, so the mapping's identity is the key (not its contents,
        which at 10,000 reviews would be hashed on every question). The assistant's `ReviewMap`
        brings them counted already (`corpus_stats`)."""
        counted: TermStats | None = getattr(reviews, "term_stats", None)
        if counted is not None:
            return counted
        if self._stats is None or self._stats[0] is not reviews:
            sentences = (r.text[s.start : s.end] for r in reviews.values() for s in _sentences(r.text))
            self._stats = (reviews, TermStats.from_sentences(sentences))
        return self._stats[1]


def combine(scoring: str, features: float, reader: float | None) -> float:
    """A sentence's probability of answering under `scoring` (see SCORINGS).

    >>> combine("both", 0.81, 0.25)
    0.45
    """
    if scoring == "features" or reader is None:
        return features
    if scoring == "reader":
        return reader
    return round((features * reader) ** 0.5, 12)


def _lacks_asked_thing(best: ScoredSentence, kind: QuestionType) -> bool:
    """True when a question asking for a number, date, name, person or place finds none in the best
    sentence (next to the asked thing, for 'how many X' / 'the name of X').

    Such a sentence is about the subject but does not say what was asked: the commonest way an
    unanswerable question looks answerable (on dev: wrong assertions 19.6% -> 14.3%, false
    refusals 7.0% -> 9.3%, before the forms 'how old', 'where', 'which X' were added).
    """
    return kind.typed and best.features is not None and best.features.type_missing > 0


def _mark(sentence: str, span: str | None) -> str:
    """Return the sentence with its first occurrence of `span` in **bold**.

    >>> _mark("He was held for 81 days.", "81 days")
    'He was held for **81 days**.'
    """
    at = sentence.find(span) if span else -1
    if span is None or at < 0:
        return sentence
    return f"{sentence[:at]}**{span}**{sentence[at + len(span) :]}"


def _cite(number: int, sentence: ScoredSentence, reviews: Mapping[str, Review]) -> Citation:
    return cite_span(number, reviews[sentence.review_id], sentence.span.start, sentence.span.end)


def from_settings(settings: Any, models: Any, reader: Reader | None) -> ExtractiveBackend:
    """The "extractive" backend (registered in `answering.BACKENDS`) from the settings and loaded models."""
    model = models.answerability
    if settings.answerability_model is not None:  # e.g. `assistant eval --set answerability_model=F`
        model = AnswerabilityModel.load(settings.answerability_model)
    return ExtractiveBackend(
        models.sentence_scorer,
        models.embedder,
        model,
        threshold=settings.refusal_threshold,
        max_sentences=settings.answer_sentences,
        margin=settings.sentence_margin,
        span_threshold=settings.span_threshold,
        vectors=models.word_vectors,
        reader=reader,
        scoring=settings.sentence_scoring,
        checks=settings.answer_checks,
        context=settings.reader_context,
        reader_sentences=settings.reader_sentences,
        near_passages=settings.top_k if settings.wide_passages else None,
        wide_threshold=settings.wide_threshold,
    )
