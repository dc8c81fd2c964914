"""Fitting the answerability model: labelled sentence features from question sets, threshold, metrics.

A candidate sentence is labelled 1 when it covers an evidence span of its (answerable) question,
else 0. The refusal threshold is chosen on the training questions: the best sentence's probability
must reach it, and it is the highest one that refuses no more than a chosen share of the answerable
training questions (5% by default, the target of the answering issue).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from .answerability import AnswerabilityModel, fit
from .conversation import condense
from .evaluation import EvalCase, covers
from .evidence import FEATURE_NAMES, Features
from .extractive import ExtractiveBackend


@dataclass(frozen=True)
class CaseRows:
    """The candidate sentences of one question: features and labels."""

    case_id: str
    kind: str
    answerable: bool
    features: tuple[Features, ...]
    labels: tuple[int, ...]


@dataclass(frozen=True)
class Rates:
    """Question-level results of a model with its threshold on some cases."""

    correct_refusals: float  # share of unanswerable/off-topic questions refused
    false_refusals: float  # share of answerable questions refused
    best_is_evidence: float  # share of answerable questions whose top sentence covers the evidence


def neutral_model() -> AnswerabilityModel:
    """A model with zero weights, for computing features before any model exists."""
    n = len(FEATURE_NAMES)
    return AnswerabilityModel((0.0,) * n, 0.0, (0.0,) * n, (1.0,) * n, threshold=0.5)


def harvest(
    cases: Sequence[EvalCase],
    backend: ExtractiveBackend,
    retrieve: Callable[[str, int], list],
    reviews: dict,
    top_k: int,
    on_case: Callable[[int, int], None] | None = None,
) -> list[CaseRows]:
    """Return the labelled candidate sentences of every case, as the backend would see them."""
    out = []
    for number, case in enumerate(cases, start=1):
        standalone = condense(case.question, case.history)
        scored = backend.score_sentences(standalone, retrieve(standalone.text, top_k), reviews)
        labels = tuple(
            int(case.answerable and any(covers(s.span, e, s.review_id) for e in case.evidence))
            for s in scored
        )
        features = tuple(s.features for s in scored if s.features is not None)
        out.append(CaseRows(case.id, case.kind, case.answerable, features, labels))
        if on_case:
            on_case(number, len(cases))
    return out


def fit_model(
    rows: Sequence[CaseRows], l2: float = 1.0, max_false_refusals: float = 0.05
) -> AnswerabilityModel:
    """Fit the logistic model on every sentence of `rows`, then choose its refusal threshold."""
    features = [f for r in rows for f in r.features]
    labels = [y for r in rows for y in r.labels]
    model = fit(features, labels, l2=l2)
    return replace(model, threshold=choose_threshold(model, rows, max_false_refusals))


def best_probabilities(model: AnswerabilityModel, rows: Sequence[CaseRows]) -> list[float]:
    """Return each question's highest sentence probability (0 when it had no candidates)."""
    return [max((model.probability(f) for f in r.features), default=0.0) for r in rows]


def choose_threshold(model: AnswerabilityModel, rows: Sequence[CaseRows], max_false_refusals: float) -> float:
    """Return the highest threshold that refuses at most `max_false_refusals` of the answerable rows.

    Refusing more unanswerable questions costs refusals of answerable ones; this picks the point
    on that curve by the share of answerable questions one is willing to refuse.
    """
    answerable = sorted(best_probabilities(model, [r for r in rows if r.answerable]))
    if not answerable:
        return 0.5
    allowed = int(max_false_refusals * len(answerable))  # may refuse this many answerable questions
    cut = answerable[allowed]  # the lowest score that must still be answered
    lower = answerable[allowed - 1] if allowed > 0 else 0.0
    return float((lower + cut) / 2)  # midway to the next lower score: less brittle


def rates(model: AnswerabilityModel, rows: Sequence[CaseRows], threshold: float | None = None) -> Rates:
    """Return the question-level refusal and selection rates of `model` on `rows`."""
    t = model.threshold if threshold is None else threshold
    answerable = [r for r in rows if r.answerable]
    others = [r for r in rows if not r.answerable]
    best_yes = best_probabilities(model, answerable)
    best_no = best_probabilities(model, others)
    top_is_evidence = 0
    for r in answerable:
        if r.features:
            probs = [model.probability(f) for f in r.features]
            top_is_evidence += r.labels[int(np.argmax(probs))]
    return Rates(
        correct_refusals=sum(p < t for p in best_no) / max(1, len(others)),
        false_refusals=sum(p < t for p in best_yes) / max(1, len(answerable)),
        best_is_evidence=top_is_evidence / max(1, len(answerable)),
    )


def cross_validate(
    rows: Sequence[CaseRows], folds: int = 5, l2: float = 1.0, max_false_refusals: float = 0.05, seed: int = 0
) -> Rates:
    """Return the rates of models fitted without each fold, measured on that fold (by question)."""
    order = np.random.default_rng(seed).permutation(len(rows))
    parts = [order[i::folds] for i in range(folds)]
    held: list[tuple[AnswerabilityModel, list[CaseRows]]] = []
    for part in parts:
        inside = set(part.tolist())
        train = [r for i, r in enumerate(rows) if i not in inside]
        held.append((fit_model(train, l2, max_false_refusals), [rows[i] for i in part]))
    per_fold = [rates(model, test) for model, test in held]
    weights = [(sum(r.answerable for r in test), sum(not r.answerable for r in test)) for _, test in held]
    yes, no = sum(w[0] for w in weights), sum(w[1] for w in weights)
    return Rates(
        correct_refusals=sum(r.correct_refusals * w[1] for r, w in zip(per_fold, weights, strict=True)) / no,
        false_refusals=sum(r.false_refusals * w[0] for r, w in zip(per_fold, weights, strict=True)) / yes,
        best_is_evidence=sum(r.best_is_evidence * w[0] for r, w in zip(per_fold, weights, strict=True)) / yes,
    )
