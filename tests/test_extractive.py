"""The extractive backend's logic with fake models: choice by probability, spans, refusal, streaming."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from assistant.answerability import AnswerabilityModel
from assistant.answering import Draft
from assistant.corpus import Review
from assistant.evidence import FEATURE_NAMES
from assistant.extractive import ExtractiveBackend, candidate_sentences, located_sentences, previous_sentence
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


class FakeEmbedder:
    """Hashes words into a 64-dim bag of words: texts sharing words have a positive cosine."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed_query(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        vector = np.zeros(64)
        for word in text.lower().split():
            vector[int(hashlib.md5(word.strip("?.,").encode()).hexdigest(), 16) % 64] += 1.0
        norm = np.linalg.norm(vector)
        return list(vector / norm) if norm else list(vector)


def cross_only_model(threshold: float = 0.5) -> AnswerabilityModel:
    """P(answers) = sigmoid(10 * cross) = sigmoid(cross-encoder logit)."""
    n = len(FEATURE_NAMES)
    weights = tuple(10.0 if name == "cross" else 0.0 for name in FEATURE_NAMES)
    return AnswerabilityModel(weights, 0.0, (0.0,) * n, (1.0,) * n, threshold=threshold)


def backend(**kwargs: float) -> ExtractiveBackend:
    threshold = kwargs.pop("threshold", None)
    return ExtractiveBackend(FakeScorer(), FakeEmbedder(), cross_only_model(), threshold=threshold, **kwargs)  # type: ignore[arg-type]


def test_candidate_sentences_are_the_whole_sentences_inside_the_hits() -> None:
    hit = Hit("r:28-86", "r", 28, 86, TEXT[28:86], 1.0)
    found = candidate_sentences([hit, hit], {"r": REVIEW})
    assert [TEXT[s.start : s.end] for _, s in found] == [
        "Later in 2011 he disappeared and was detained for 81 days."
    ]


def test_sentences_are_ranked_by_probability_with_their_features() -> None:
    ranked = backend().score_sentences("How long was he detained?", [ALL], {"r": REVIEW})
    assert "81 days" in ranked[0].text
    assert [s.score for s in ranked] == sorted((s.score for s in ranked), reverse=True)
    assert ranked[0].features is not None and ranked[0].features.type_missing == 0.0
    assert ranked[-1].features is not None and ranked[-1].features.type_missing == 1.0


def test_answer_is_a_short_span_with_a_checked_citation() -> None:
    draft = backend(max_sentences=1).answer("How long was he detained?", [ALL], {"r": REVIEW})
    assert draft.text == "81 days [1]."
    (citation,) = draft.citations
    assert TEXT[citation.start : citation.end] == citation.quote
    assert "81 days" in citation.quote


def test_follow_up_context_does_not_change_the_asked_type() -> None:
    question = "How long was he detained? (What happened in 2011? He disappeared.)"
    draft = backend(max_sentences=1).answer(question, [ALL], {"r": REVIEW})
    assert draft.text.startswith("81 days [1]")


def test_below_threshold_is_a_refusal() -> None:
    draft = backend(threshold=0.99).answer("Who composed the music score?", [ALL], {"r": REVIEW})
    assert draft.refused and draft.citations == ()


def test_the_threshold_defaults_to_the_models() -> None:
    assert backend().threshold == 0.5
    assert backend(threshold=0.2).threshold == 0.2


def test_second_sentence_added_only_within_the_margin() -> None:
    question = "What about his years in New York and the seeds?"
    wide = backend(threshold=0.0, max_sentences=2, margin=1.0)
    narrow = backend(threshold=0.0, max_sentences=2, margin=0.0)
    assert len(wide.answer(question, [ALL], {"r": REVIEW}).citations) == 2
    assert len(narrow.answer(question, [ALL], {"r": REVIEW}).citations) == 1


def test_no_candidates_is_a_refusal() -> None:
    assert backend().answer("How long?", [], {"r": REVIEW}).refused


def test_stream_yields_words_then_the_draft() -> None:
    pieces = list(backend(max_sentences=1).stream("How long was he detained?", [ALL], {"r": REVIEW}))
    assert isinstance(pieces[-1], Draft)
    assert "".join(p for p in pieces[:-1] if isinstance(p, str)) == pieces[-1].text


def test_how_many_without_a_number_next_to_the_counted_thing_is_a_refusal() -> None:
    # The best sentence is about the seeds, but no number stands next to them.
    draft = backend(threshold=0.0).answer("How many seeds were hand-painted?", [ALL], {"r": REVIEW})
    assert draft.refused


class FakeReader:
    """Probability 0.9 for sentences holding '81 days', else 0.02; relevance from FakeScorer.

    Its "hidden states" are the probabilities themselves, so `read` just hands them back.
    """

    def scores(self, question: str, sentences: Sequence[str]) -> Any:
        from assistant.reader import ReaderScores

        relevance = FakeScorer().score(question, sentences)
        return ReaderScores(tuple(relevance), tuple(0.9 if "81 days" in s else 0.02 for s in sentences))

    def base_passes(self, question: str, sentences: Sequence[str]) -> Any:
        from assistant.reader import BasePasses

        scores = self.scores(question, sentences)
        return BasePasses(scores.relevance, scores.probability)

    def read(self, passes: Any, which: Sequence[int] | None = None) -> list[float]:
        return [passes.states[i] for i in (range(len(passes.states)) if which is None else which)]


def reader_backend(scoring: str, threshold: float = 0.05, **options: Any) -> ExtractiveBackend:
    return ExtractiveBackend(
        FakeScorer(),
        FakeEmbedder(),
        cross_only_model(),
        threshold=threshold,
        reader=FakeReader(),  # type: ignore[arg-type]
        scoring=scoring,
        **options,
    )


class ContextReader(FakeReader):
    """'The seeds were hand-painted.' says little alone (0.1) and much after the sentence before (0.9)."""

    def score(self, question: str, sentences: Sequence[str]) -> list[float]:
        return [self._p(s) for s in sentences]

    def scores(self, question: str, sentences: Sequence[str]) -> object:
        from assistant.reader import ReaderScores

        return ReaderScores(tuple(FakeScorer().score(question, sentences)), tuple(map(self._p, sentences)))

    @staticmethod
    def _p(sentence: str) -> float:
        if "hand-painted" in sentence:
            return 0.9 if "New York" in sentence else 0.1
        return 0.02


def test_previous_sentence_is_the_one_just_before() -> None:
    spans = {REVIEW.text[s.start : s.end]: s for _, s in candidate_sentences([ALL], {"r": REVIEW})}
    assert (
        previous_sentence(REVIEW, spans["The seeds were hand-painted."])
        == "He lived in New York for 10 years."
    )
    assert previous_sentence(REVIEW, spans["Directed by Alison Klayman."]) == ""


def test_with_context_a_sentence_is_also_read_after_the_one_before() -> None:
    def top(context: bool) -> tuple[str, float]:
        backend = ExtractiveBackend(
            FakeScorer(),
            FakeEmbedder(),
            cross_only_model(),
            threshold=0.3,
            reader=ContextReader(),  # type: ignore[arg-type]
            scoring="reader",
            context=context,
        )
        best = backend.score_sentences("How were the seeds made?", [ALL], {"r": REVIEW})[0]
        return best.text, best.score

    assert top(context=False) == ("The seeds were hand-painted.", 0.1)
    # The mean of 0.1 alone and 0.9 after "He lived in New York for 10 years."
    assert top(context=True) == ("The seeds were hand-painted.", pytest.approx(0.5))
    # The first sentence has none before it and keeps its own probability.
    ranked = dict(
        (s.text, s.score)
        for s in ExtractiveBackend(
            FakeScorer(),
            FakeEmbedder(),
            cross_only_model(),
            reader=ContextReader(),  # type: ignore[arg-type]
            scoring="reader",
            context=True,
        ).score_sentences("Who directed it?", [ALL], {"r": REVIEW})
    )
    assert ranked["Directed by Alison Klayman."] == 0.02


def test_reader_scoring_ranks_by_the_readers_probability() -> None:
    ranked = reader_backend("reader").score_sentences("What happened to Ai in 2011?", [ALL], {"r": REVIEW})
    assert "81 days" in ranked[0].text and ranked[0].score == 0.9
    assert ranked[0].reader_probability == 0.9 and ranked[0].feature_probability is not None
    both = reader_backend("both").score_sentences("What happened to Ai in 2011?", [ALL], {"r": REVIEW})
    top = both[0]
    assert top.score == pytest.approx((top.feature_probability * top.reader_probability) ** 0.5)  # type: ignore[operator]


def test_the_reader_refuses_below_its_threshold() -> None:
    draft = reader_backend("reader", threshold=0.95).answer("How long was he detained?", [ALL], {"r": REVIEW})
    assert draft.refused and draft.closest


def test_the_reader_reads_only_the_sentences_the_base_finds_most_relevant() -> None:
    # FakeScorer's relevance counts question words: "detained ... 81 days" shares "detained" and
    # "2011"; with room for one sentence, only it is read (and scored), the others are left out.
    backend = reader_backend("reader", reader_sentences=1)
    ranked = backend.score_sentences("Was he detained in 2011?", [ALL], {"r": REVIEW})
    assert [s.text for s in ranked] == ["Later in 2011 he disappeared and was detained for 81 days."]
    assert ranked[0].reader_probability == 0.9
    # 0 reads every candidate sentence.
    everything = reader_backend("reader").score_sentences("Was he detained in 2011?", [ALL], {"r": REVIEW})
    assert len(everything) == 4


FIRST = Hit("r:0", "r", 0, TEXT.index("Later"), TEXT[: TEXT.index("Later")], 1.0)
DETAINED = Hit("r:1", "r", TEXT.index("Later"), TEXT.index(" He lived"), "", 0.5)


def wide_backend(wide_threshold: float) -> ExtractiveBackend:
    """Only the first passage is near; a sentence found only after it needs `wide_threshold`."""
    return reader_backend("reader", 0.5, near_passages=1, wide_threshold=wide_threshold)


def test_a_sentence_is_located_at_the_first_passage_that_holds_it() -> None:
    detained = "Later in 2011 he disappeared and was detained for 81 days."

    def located(hits: list[Hit], reviews: dict[str, Review]) -> dict[str, int]:
        return {reviews["r"].text[s.start : s.end]: at for _, s, at in located_sentences(hits, reviews)}

    assert located([FIRST, DETAINED, ALL], {"r": REVIEW})[detained] == 1
    assert located([ALL, DETAINED], {"r": REVIEW})[detained] == 0
    assert detained not in located([FIRST], {"r": REVIEW})  # in none of them: not a candidate
    other = Hit("o:1", "other-review", DETAINED.start, DETAINED.end, "", 0.5)
    assert detained not in located([other], {"r": REVIEW, "other-review": Review("other-review", "O", "x")})


def test_a_sentence_from_the_wider_passages_must_clear_the_wide_threshold() -> None:
    question, reviews = "How long was he detained?", {"r": REVIEW}
    # The answer (0.9) sits only in the second passage: it counts at 0.85, not at 0.95 ...
    assert "81 days" in wide_backend(0.85).answer(question, [FIRST, DETAINED], reviews).text
    assert wide_backend(0.95).answer(question, [FIRST, DETAINED], reviews).refused
    # ... and at the plain threshold once its passage is among the near ones.
    assert not wide_backend(0.95).answer(question, [DETAINED, FIRST], reviews).refused
    # A compound question's parts each bring near passages (interleaved by `retrieve_parts`).
    both = "How long was he detained, and who directed it?"
    assert "81 days" in wide_backend(0.95).answer(both, [FIRST, DETAINED], reviews).text


def test_reader_scoring_without_a_reader_or_an_unknown_scoring_is_an_error() -> None:
    with pytest.raises(ValueError, match="needs the reader"):
        ExtractiveBackend(FakeScorer(), FakeEmbedder(), cross_only_model(), scoring="reader")
    with pytest.raises(ValueError, match="unknown sentence scoring"):
        ExtractiveBackend(FakeScorer(), FakeEmbedder(), cross_only_model(), scoring="vibes")


class LivedFirstReader(FakeReader):
    """Likes the New York sentence best (0.9) and the 81-days one next (0.8)."""

    def scores(self, question: str, sentences: Sequence[str]) -> object:
        from assistant.reader import ReaderScores

        p = tuple(0.9 if "New York" in s else 0.8 if "81 days" in s else 0.02 for s in sentences)
        return ReaderScores(tuple(FakeScorer().score(question, sentences)), p)


def lived_first_backend(threshold: float, checks: bool = True) -> ExtractiveBackend:
    return ExtractiveBackend(
        FakeScorer(),
        FakeEmbedder(),
        cross_only_model(),
        threshold=threshold,
        max_sentences=1,
        reader=LivedFirstReader(),  # type: ignore[arg-type]
        scoring="reader",
        checks=checks,
    )


def test_the_answer_is_the_most_probable_sentence_that_passes_the_checks() -> None:
    # "How long ...?" wants a duration: the New York sentence has "10 years", the verb check wants
    # "detained", which only the 81-days sentence has. It answers, instead of refusing.
    question = "How long was he detained?"
    draft = lived_first_backend(threshold=0.5).answer(question, [ALL], {"r": REVIEW})
    assert not draft.refused
    assert [c.quote for c in draft.citations] == [
        "Later in 2011 he disappeared and was detained for 81 days."
    ]
    # Without the checks, the most probable sentence answers; below the threshold, nothing passes.
    unchecked = lived_first_backend(threshold=0.5, checks=False).answer(question, [ALL], {"r": REVIEW})
    assert [c.quote for c in unchecked.citations] == ["He lived in New York for 10 years."]
    assert lived_first_backend(threshold=0.85).answer(question, [ALL], {"r": REVIEW}).refused


def test_a_compound_question_is_answered_part_by_part() -> None:
    # Read as one question, the 'directed' of the first part is looked for in the 81-days sentence.
    question = "Who directed the film, and how long was he detained?"
    draft = backend(threshold=0.5, max_sentences=1).answer(question, [ALL], {"r": REVIEW})
    assert not draft.refused
    quotes = [c.quote for c in draft.citations]
    assert quotes == [
        "Directed by Alison Klayman.",
        "Later in 2011 he disappeared and was detained for 81 days.",
    ]
    assert draft.text.index("[1]") < draft.text.index("[2]")


def test_the_part_the_reviews_leave_open_is_named_in_the_answer() -> None:
    question = "How long was he detained, and who composed the music score?"
    draft = backend(threshold=0.5, max_sentences=1).answer(question, [ALL], {"r": REVIEW})
    assert not draft.refused and len(draft.citations) == 1
    assert "81 days" in draft.citations[0].quote
    assert draft.text.endswith("The reviews don't say who composed the music score.")


def test_a_compound_question_with_no_part_answered_is_a_refusal() -> None:
    question = "Who composed the music score, and who edited the film footage?"
    draft = backend(threshold=0.5).answer(question, [ALL], {"r": REVIEW})
    assert draft.refused and draft.citations == () and draft.closest


def test_a_sentence_answering_two_parts_is_quoted_once() -> None:
    question = "How long was he detained in 2011, and when did he disappear and was detained?"
    draft = backend(threshold=0.0, max_sentences=1).answer(question, [ALL], {"r": REVIEW})
    assert len(draft.citations) == 1 and draft.text.count("[1]") == 1
