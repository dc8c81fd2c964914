"""Choose the extractive backend's sentence scoring, checks and thresholds on the dev questions only.

Usage: .venv/bin/python scripts/choose_thresholds.py [--dev FILE ...] [--scorings S ...] [--checks on off]

Stage 1 runs the dev set over `sentence_scoring` x `answer_checks` x `refusal_threshold` (span
threshold at its current setting); stage 2 runs `span_threshold` for the winner. Every cell is printed.
The rule: fewest (2 x wrong assertions + refused answerable questions), counted over the dev questions;
a wrong assertion costs twice a refusal because users act on what they are told. Ties go to the
earlier cell (simpler scoring, checks on, lower threshold). Write the chosen values into
`assistant/config.py` by hand and confirm them on `test` and `blind` with `assistant eval`, changing
nothing after.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path
from typing import Any

from assistant.bot import Assistant, load_assistant
from assistant.config import Settings
from assistant.eval_run import run_cases
from assistant.evaluation import SPLITS, load_cases

SCORINGS = ("features", "reader", "both")
REFUSAL = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6)
SPAN = (0.5, 0.7, 0.9, 1.01)


def cost(bot: Assistant, cases: list[Any], label: str, **settings: Any) -> tuple[int, dict[str, float]]:
    run = run_cases(bot.with_settings(**settings), cases, "grid")
    wrong = sum(r.wrong_assertion for r in run.results)
    refused = sum(r.refused for r in run.results if r.kind not in ("unanswerable", "off_topic"))
    s = run.summary
    print(
        f"{label}: cost {2 * wrong + refused:3d}  wrong {s['wrong_assertions']:.1%}  accuracy "
        f"{s['accuracy']:.1%}  correct refusals {s['correct_refusals']:.1%}  false refusals "
        f"{s['false_refusals']:.1%}",
        flush=True,
    )
    return 2 * wrong + refused, s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dev",
        type=Path,
        nargs="+",
        default=[SPLITS["dev"], SPLITS["dev2"], SPLITS["dev3"]],
        help="the question files to choose on (default: the three dev sets)",
    )
    parser.add_argument("--scorings", nargs="+", default=SCORINGS, choices=SCORINGS)
    parser.add_argument("--checks", nargs="+", default=["on", "off"], choices=["on", "off"])
    parser.add_argument("--refusal", nargs="+", type=float, default=REFUSAL, help="thresholds to try")
    args = parser.parse_args()
    checks_grid = [c == "on" for c in args.checks]
    bot = load_assistant(Settings.from_env())
    cases = [case for path in args.dev for case in load_cases(path, bot.reviews)]
    best: tuple[int, dict[str, Any]] | None = None
    for scoring, checks, refusal in itertools.product(args.scorings, checks_grid, args.refusal):
        cell = {"sentence_scoring": scoring, "answer_checks": checks, "refusal_threshold": refusal}
        label = f"{scoring:8s} checks {'on ' if checks else 'off'} refusal {refusal:.2f}"
        total, _ = cost(bot, cases, label, **cell)
        if best is None or total < best[0]:
            best = (total, cell)
    assert best is not None
    chosen = dict(best[1])
    span_best: tuple[int, float] | None = None
    for span in SPAN:
        total, _ = cost(bot, cases, f"span {span:.2f}", **chosen, span_threshold=span)
        if span_best is None or total < span_best[0]:
            span_best = (total, span)
    assert span_best is not None
    chosen["span_threshold"] = span_best[1]
    print("chosen on dev:", " ".join(f"{k}={v}" for k, v in chosen.items()), f"(cost {span_best[0]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
