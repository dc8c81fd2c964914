"""Probe: does leaving one question word out tell unanswerable questions from answerable ones?

Usage: .venv/bin/python scripts/probe_word_support.py [--train eval/train_questions.jsonl]
           [--test eval/dev_questions.jsonl]

An unanswerable question often matches a review sentence on every word but the one it hinges on
("Who composed the music for Never Sorry?"). For the best sentence the cross-encoder
scores the question again with each content word left out; if leaving a word out raises the score
a lot, the sentence does not support that word. The script prints how an extra rule "refuse when
some word's removal raises the top sentence's score by more than T" would change the shipped
decision's correct and false refusal rates, for several T. It changes nothing in the package.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from assistant.answer_types import question_type
from assistant.bot import Assistant, load_assistant
from assistant.config import Settings
from assistant.conversation import condense
from assistant.evaluation import EvalCase, load_cases
from assistant.evidence import content_words
from assistant.extractive import ExtractiveBackend, _lacks_asked_thing
from assistant.retrieval import tokenize

LIMITS = (float("inf"), 4.0, 3.0, 2.5, 2.0, 1.5, 1.0)


def without(question: str, word: str) -> str:
    """Return `question` with every surface form of the stemmed `word` removed."""

    def keep(match: re.Match[str]) -> str:
        return "" if (tokenize(match.group(0)) or [""])[0] == word else match.group(0)

    return re.sub(r"[\w’'-]+", keep, question)


def case_row(bot: Assistant, backend: ExtractiveBackend, case: EvalCase) -> tuple[bool, bool, float]:
    """Return (answerable, refused by the shipped decision, largest gain from leaving a word out)."""
    turn = condense(case.question, case.history)
    standalone, asked, context = turn.text, turn.question, turn.context
    hits = bot.retriever.retrieve(standalone, bot.settings.top_k)
    scored = backend.score_sentences(turn, hits, bot.reviews)
    if not scored:
        return case.answerable, True, 0.0
    best = scored[0]
    refused = best.score < backend.threshold or _lacks_asked_thing(best, question_type(asked))
    base = float(backend.cross_encoder.score(standalone, [best.text])[0])
    variants = [without(asked, w) + (f" ({context})" if context else "") for w in content_words(asked)]
    gains = [float(backend.cross_encoder.score(v, [best.text])[0]) - base for v in variants]
    return case.answerable, refused, max(gains, default=0.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, default=Path("eval/train_questions.jsonl"))
    parser.add_argument("--test", type=Path, default=Path("eval/dev_questions.jsonl"))
    args = parser.parse_args(argv)
    bot = load_assistant(Settings.from_env())
    backend = bot._backend()
    if not isinstance(backend, ExtractiveBackend):
        print("the probe needs the extractive backend", file=sys.stderr)
        return 2
    print(f"{'questions':10} {'T':>5} {'correct refusals':>17} {'false refusals':>15}")
    for path in (args.train, args.test):
        rows = [case_row(bot, backend, c) for c in load_cases(path, bot.reviews)]
        yes = [r for r in rows if r[0]]
        no = [r for r in rows if not r[0]]
        for limit in LIMITS:
            refuses = [refused or gain > limit for _, refused, gain in rows]
            correct = sum(r for r, row in zip(refuses, rows, strict=True) if not row[0]) / max(1, len(no))
            false = sum(r for r, row in zip(refuses, rows, strict=True) if row[0]) / max(1, len(yes))
            print(f"{path.stem:10.10} {limit:5} {correct:17.1%} {false:15.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
