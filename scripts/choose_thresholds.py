"""Choose the extractive backend's refusal and span thresholds on the dev questions only.

Usage: .venv/bin/python scripts/choose_thresholds.py [--dev eval/dev_questions.jsonl]

Runs the dev set over a grid of `refusal_threshold` x `span_threshold` and prints every cell.
The rule: fewest (2 x wrong assertions + refused answerable questions), counted over the dev
questions; a wrong assertion costs twice a refusal because users act on what they are told.
Ties go to the lower thresholds. Write the chosen values into `assistant/config.py` by hand and
confirm them on `test` and `blind` with `assistant eval`, changing nothing after.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

from assistant.bot import load_assistant
from assistant.config import Settings
from assistant.eval_run import run_cases
from assistant.evaluation import load_cases

REFUSAL = (0.08, 0.1, 0.15, 0.2, 0.3)
SPAN = (0.5, 0.7, 1.01)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=Path("eval/dev_questions.jsonl"))
    args = parser.parse_args()
    bot = load_assistant(Settings.from_env())
    cases = load_cases(args.dev, bot.reviews)
    rows = []
    for refusal, span in itertools.product(REFUSAL, SPAN):
        run = run_cases(bot.with_settings(refusal_threshold=refusal, span_threshold=span), cases, "grid")
        wrong = sum(r.wrong_assertion for r in run.results)
        refused = sum(r.refused for r in run.results if r.kind not in ("unanswerable", "off_topic"))
        rows.append((2 * wrong + refused, refusal, span, run.summary))
        s = run.summary
        print(
            f"refusal {refusal:.2f} span {span:.2f}: cost {2 * wrong + refused:3d}  wrong "
            f"{s['wrong_assertions']:.1%}  accuracy {s['accuracy']:.1%}  correct refusals "
            f"{s['correct_refusals']:.1%}  false refusals {s['false_refusals']:.1%}",
            flush=True,
        )
    cost, refusal, span, _ = min(rows, key=lambda r: (r[0], r[1], r[2]))
    print(f"chosen on dev: refusal_threshold={refusal} span_threshold={span} (cost {cost})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
