"""Scoring functions of the eval: normalisation, accuracy, F1, coverage, ranks, percentiles, gates."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from assistant.citations import Citation
from assistant.corpus import Review
from assistant.evaluation import (
    EvalCase,
    Evidence,
    check_thresholds,
    covers,
    evidence_rank,
    is_correct,
    normalize,
    percentile,
    score_case,
    summarize,
    token_f1,
)
from assistant.retrieval import Hit

REVIEW = Review(id="r", title="T", text="Ai was detained for 81 days. He was released in June.")


@dataclass(frozen=True)
class FakeAnswer:
    text: str
    refused: bool = False
    citations: tuple[Citation, ...] = ()
    timings: dict[str, float] = field(default_factory=lambda: {"retrieve": 0.01, "answer": 0.02})


def test_normalize_drops_markers_punctuation_and_articles() -> None:
    assert normalize("The “81 days” [1].") == "81 days"


def test_accuracy_is_containment_of_any_alias_on_word_boundaries() -> None:
    assert is_correct("He was held for 81 days [1].", ["81 days", "81"])
    assert not is_correct("He was held for 181 days.", ["81"])
    assert not is_correct("", ["81 days"])


def test_token_f1_takes_the_closest_alias() -> None:
    assert token_f1("81 days", ["eighty-one days", "81 days"]) == pytest.approx(1.0)
    assert token_f1("detained 81 days", ["81 days"]) == pytest.approx(0.8)
    assert token_f1("nothing", ["81 days"]) == 0.0


def test_covers_needs_same_review_and_half_the_evidence() -> None:
    evidence = Evidence("r", 0, 28)
    assert covers(Hit("c", "r", 0, 60, "x", 0.0), evidence, "r")
    assert not covers(Hit("c", "r", 20, 60, "x", 0.0), evidence, "r")
    assert not covers(Hit("c", "other", 0, 60, "x", 0.0), evidence, "other")


def test_evidence_rank_is_one_based_and_none_when_missing() -> None:
    hits = [Hit("a", "r", 29, 55, "x", 0.0), Hit("b", "r", 0, 28, "x", 0.0)]
    assert evidence_rank(hits, [Evidence("r", 0, 28)]) == 2
    assert evidence_rank(hits[:1], [Evidence("r", 0, 28)]) is None


def test_percentile_interpolates() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == pytest.approx(2.5)
    assert percentile([], 95) == 0.0


def test_score_case_and_summary_count_refusals_and_citations() -> None:
    answerable = EvalCase("a", "fact", "How long?", ("81 days",), (Evidence("r", 0, 28),))
    unanswerable = EvalCase("u", "unanswerable", "Who composed the score?", (), ())
    good = Citation(1, "r", "T", 0, 28, REVIEW.text[0:28])
    bad = Citation(2, "r", "T", 0, 28, "not the text")
    hits = [Hit("c", "r", 0, 28, REVIEW.text[0:28], 1.0)]
    results = [
        score_case(
            answerable, FakeAnswer("81 days [1] [2]", citations=(good, bad)), hits, {"r": REVIEW}, 0.2
        ),
        score_case(unanswerable, FakeAnswer("", refused=True), [], {"r": REVIEW}, 0.4),
    ]
    summary = summarize(results)
    assert summary["accuracy"] == 1.0 and summary["exact_match"] == 1.0  # markers are ignored
    assert summary["correct_refusals"] == 1.0 and summary["false_refusals"] == 0.0
    assert summary["citation_quotes_match"] == 0.5
    assert summary["evidence_cited"] == 1.0 and summary["recall@1"] == 1.0 and summary["mrr"] == 1.0
    assert summary["per_kind"]["unanswerable"]["cases"] == 1


def test_check_thresholds_reports_each_metric_out_of_bounds() -> None:
    problems = check_thresholds(
        {"accuracy": 0.5, "false_refusals": 0.2, "mrr": 0.9},
        {"min": {"accuracy": 0.9, "mrr": 0.8}, "max": {"false_refusals": 0.05}},
    )
    assert len(problems) == 2
    assert any("accuracy" in p for p in problems) and any("false_refusals" in p for p in problems)


def test_wrong_assertions_count_answered_unanswerables_and_wrong_answers_over_all_questions() -> None:
    answerable = EvalCase("a", "fact", "How long?", ("81 days",), (Evidence("r", 0, 28),))
    unanswerable = EvalCase("u", "unanswerable", "Who composed the score?", (), ())
    results = [
        score_case(answerable, FakeAnswer("81 days [1]"), [], {"r": REVIEW}, 0.1),  # right
        score_case(answerable, FakeAnswer("3 months [1]"), [], {"r": REVIEW}, 0.1),  # wrong
        score_case(answerable, FakeAnswer("", refused=True), [], {"r": REVIEW}, 0.1),  # refused: not asserted
        score_case(unanswerable, FakeAnswer("Ai Weiwei [1]"), [], {"r": REVIEW}, 0.1),  # made up
        score_case(unanswerable, FakeAnswer("", refused=True), [], {"r": REVIEW}, 0.1),  # right
    ]
    assert [r.wrong_assertion for r in results] == [False, True, False, True, False]
    assert summarize(results)["wrong_assertions"] == pytest.approx(2 / 5)
