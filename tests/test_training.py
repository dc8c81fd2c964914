"""Fitting logic on hand-made rows: threshold choice, rates and cross-validation."""

from __future__ import annotations

from assistant.evidence import Features
from assistant.training import CaseRows, choose_threshold, cross_validate, fit_model, rates


def row(case_id: str, answerable: bool, cross: float) -> CaseRows:
    good = Features(cross, 0.0, 0.5, 0.8, 0.8, 0.8, 0.0)
    bad = Features(cross - 0.8, -0.8, 0.2, 0.2, 0.2, 0.1, 1.0)
    return CaseRows(
        case_id, "fact" if answerable else "unanswerable", answerable, (good, bad), (int(answerable), 0)
    )


ROWS = [row(f"a{i}", True, 0.3 + i / 40) for i in range(20)] + [
    row(f"u{i}", False, -0.2 + i / 40) for i in range(20)
]


def test_threshold_refuses_at_most_the_allowed_share_of_answerable_questions() -> None:
    model = fit_model(ROWS, max_false_refusals=0.0)
    assert rates(model, ROWS).false_refusals == 0.0
    looser = fit_model(ROWS, max_false_refusals=0.2)
    assert looser.threshold >= model.threshold
    assert rates(looser, ROWS).false_refusals <= 0.2


def test_choose_threshold_lies_between_two_scores() -> None:
    model = fit_model(ROWS)
    t = choose_threshold(model, ROWS, 0.1)
    assert 0.0 < t < 1.0


def test_rates_count_questions_and_the_top_sentence() -> None:
    model = fit_model(ROWS)
    r = rates(model, ROWS)
    assert r.best_is_evidence == 1.0  # the labelled sentence always wins here
    assert r.correct_refusals > 0.5


def test_cross_validation_gives_rates_on_held_out_questions() -> None:
    r = cross_validate(ROWS, folds=4)
    assert 0.0 <= r.false_refusals <= 1.0 and 0.0 <= r.correct_refusals <= 1.0
