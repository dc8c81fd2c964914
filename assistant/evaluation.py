"""Scoring: retrieval recall@k and MRR, answer accuracy / EM / F1, citations, refusals, latency."""

from __future__ import annotations

import json
import re
import string
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .chunking import Span
from .citations import Citation, quote_matches, strip_markers
from .corpus import Review
from .retrieval import Hit
from .spans import overlap

REFUSAL_KINDS = ("unanswerable", "off_topic")
RECALL_KS = (1, 3, 5, 10)

#: The question sets `assistant eval` runs, by name. `dev`, `dev2` and `dev3` are for choosing rules,
#: thresholds and settings; `test` is frozen (nothing is chosen on it) and gated in CI; `blind` was
#: written by someone who saw only the reviews, and nobody reads its failures to write rules.
SPLITS = {
    "dev": Path("eval/dev_questions.jsonl"),
    "dev2": Path("eval/dev2_questions.jsonl"),
    "dev3": Path("eval/dev3_questions.jsonl"),
    "test": Path("eval/test_questions.jsonl"),
    "blind": Path("eval/blind_questions.jsonl"),
}
GATED_SPLIT = "test"


@dataclass(frozen=True)
class Evidence:
    """A span of a review that supports the expected answer."""

    review_id: str
    start: int
    end: int


@dataclass(frozen=True)
class EvalCase:
    """One question of the eval set (see eval/QUESTIONS.md)."""

    id: str
    kind: str
    question: str
    answers: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    history: tuple[tuple[str, str], ...] = ()

    @property
    def answerable(self) -> bool:
        """True unless the right output is a refusal."""
        return self.kind not in REFUSAL_KINDS


@dataclass(frozen=True)
class CaseResult:
    """What the assistant did on one case, and how it scored."""

    case_id: str
    kind: str
    question: str
    answer: str
    refused: bool
    correct: bool
    # An answer was asserted and it is wrong: an unanswerable question answered, or an answerable
    # one answered without an accepted answer. The error users feel most.
    wrong_assertion: bool
    exact_match: bool
    f1: float
    evidence_rank: int | None
    evidence_cited: bool
    citations_total: int
    citations_matching: int
    latency_s: float
    stage_s: dict[str, float] = field(default_factory=dict)


def load_cases(path: Path, reviews: Mapping[str, Review]) -> list[EvalCase]:
    """Return the eval cases in `path` (JSONL), locating every evidence quote in its review."""
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        raw = json.loads(line)
        evidence = tuple(
            locate_quote(e["review_id"], e["quote"], reviews, f"{path}:{number}") for e in raw["evidence"]
        )
        cases.append(
            EvalCase(
                id=raw["id"],
                kind=raw["kind"],
                question=raw["question"],
                answers=tuple(raw["answers"]),
                evidence=evidence,
                history=tuple((q, a) for q, a in raw.get("history", [])),
            )
        )
    return cases


def locate_quote(review_id: str, quote: str, reviews: Mapping[str, Review], where: str) -> Evidence:
    """Return where `quote` occurs in the review; raise ValueError if it does not occur."""
    review = reviews.get(review_id)
    start = review.text.find(quote) if review else -1
    if start < 0:
        raise ValueError(f"{where}: evidence quote not found in {review_id}: {quote[:60]!r}")
    return Evidence(review_id, start, start + len(quote))


def normalize(text: str) -> str:
    """Lower-case, drop markers, punctuation and articles: 'The “81 days” [1].' -> '81 days'."""
    text = strip_markers(text, keep=set()).lower()
    text = text.translate(str.maketrans("", "", string.punctuation + "“”‘’"))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def is_correct(answer: str, aliases: Sequence[str]) -> bool:
    """True when an acceptable answer is contained in the answer (normalised)."""
    normalized = f" {normalize(answer)} "
    return any(f" {normalize(alias)} " in normalized for alias in aliases if normalize(alias))


def token_f1(answer: str, aliases: Sequence[str]) -> float:
    """Return the best token F1 between the answer and any alias."""
    best = 0.0
    predicted = normalize(answer).split()
    for alias in aliases:
        gold = normalize(alias).split()
        common = sum((Counter(predicted) & Counter(gold)).values())
        if common:
            precision, recall = common / len(predicted), common / len(gold)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def covers(span: Span | Hit | Citation, evidence: Evidence, review_id: str) -> bool:
    """True when `span` (of the review `review_id`) overlaps at least half of the evidence span."""
    shared = overlap(Evidence(review_id, span.start, span.end), evidence)
    return shared >= max(1, (evidence.end - evidence.start) // 2)


def evidence_rank(hits: Sequence[Hit], evidence: Sequence[Evidence]) -> int | None:
    """Return the 1-based rank of the first hit covering any evidence span, or None."""
    for rank, hit in enumerate(hits, start=1):
        if any(covers(hit, e, hit.review_id) for e in evidence):
            return rank
    return None


def score_case(
    case: EvalCase,
    answer: Any,
    hits: Sequence[Hit],
    reviews: Mapping[str, Review],
    latency_s: float,
) -> CaseResult:
    """Return the scores of one answer (an `Answer`) to `case`, given the retrieved `hits`."""
    citations = list(answer.citations)
    right_answer = case.answerable and not answer.refused and is_correct(answer.text, case.answers)
    return CaseResult(
        case_id=case.id,
        kind=case.kind,
        question=case.question,
        answer=answer.text,
        refused=answer.refused,
        correct=answer.refused if not case.answerable else right_answer,
        wrong_assertion=not answer.refused and not right_answer,
        exact_match=any(normalize(answer.text) == normalize(a) for a in case.answers),
        f1=token_f1(answer.text, case.answers) if case.answerable and not answer.refused else 0.0,
        evidence_rank=evidence_rank(hits, case.evidence) if case.answerable else None,
        evidence_cited=any(covers(c, e, c.review_id) for c in citations for e in case.evidence),
        citations_total=len(citations),
        citations_matching=sum(quote_matches(c, reviews) for c in citations),
        latency_s=latency_s,
        stage_s=dict(answer.timings),
    )


def percentile(values: Sequence[float], q: float) -> float:
    """Return the q-th percentile (0..100) by linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = int(position), min(int(position) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarize(results: Sequence[CaseResult]) -> dict[str, Any]:
    """Return every metric over `results`, overall and per kind of question."""
    summary = _metrics(results)
    summary["per_kind"] = {
        kind: _metrics([r for r in results if r.kind == kind]) for kind in sorted({r.kind for r in results})
    }
    return summary


def _metrics(results: Sequence[CaseResult]) -> dict[str, Any]:
    answerable = [r for r in results if r.kind not in REFUSAL_KINDS]
    unanswerable = [r for r in results if r.kind in REFUSAL_KINDS]
    answered = [r for r in answerable if not r.refused]
    cited = sum(r.citations_total for r in results)
    ranks = [r.evidence_rank for r in answerable]
    latencies = [r.latency_s for r in results]
    stages = sorted({s for r in results for s in r.stage_s})
    return {
        "cases": len(results),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "wrong_assertions": _share(sum(r.wrong_assertion for r in results), len(results)),
        **{
            f"recall@{k}": _share(sum(1 for x in ranks if x is not None and x <= k), len(ranks))
            for k in RECALL_KS
        },
        "mrr": _share(sum(1.0 / x for x in ranks if x), len(ranks)),
        "accuracy": _share(sum(r.correct for r in answerable), len(answerable)),
        "exact_match": _share(sum(r.exact_match for r in answerable), len(answerable)),
        "f1": _share(sum(r.f1 for r in answerable), len(answerable)),
        "answer_words_mean": _share(sum(len(normalize(r.answer).split()) for r in answered), len(answered)),
        "evidence_cited": _share(sum(r.evidence_cited for r in answered), len(answered)),
        "citation_quotes_match": _share(sum(r.citations_matching for r in results), cited) if cited else 1.0,
        "correct_refusals": _share(sum(r.refused for r in unanswerable), len(unanswerable)),
        "false_refusals": _share(sum(r.refused for r in answerable), len(answerable)),
        "latency_p50_s": percentile(latencies, 50),
        "latency_p95_s": percentile(latencies, 95),
        "stage_p50_s": {s: percentile([r.stage_s.get(s, 0.0) for r in results], 50) for s in stages},
    }


def _share(numerator: float, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def failures(results: Sequence[CaseResult]) -> list[CaseResult]:
    """Return the cases answered wrongly (or refused wrongly)."""
    return [r for r in results if not r.correct]


def check_thresholds(summary: Mapping[str, Any], thresholds: Mapping[str, Mapping[str, float]]) -> list[str]:
    """Return one message per metric outside its bound: {'min': {...}, 'max': {...}}."""
    problems = []
    for metric, bound in thresholds.get("min", {}).items():
        if summary.get(metric, 0.0) < bound:
            problems.append(f"{metric} = {summary.get(metric, 0.0):.3f} is below the minimum {bound}")
    for metric, bound in thresholds.get("max", {}).items():
        if summary.get(metric, 0.0) > bound:
            problems.append(f"{metric} = {summary.get(metric, 0.0):.3f} is above the maximum {bound}")
    return problems
