"""Merge helper-written training question files into eval/train_questions_written.jsonl.

Usage: .venv/bin/python scripts/merge_written_questions.py /tmp/trainq/a.jsonl /tmp/trainq/b.jsonl ...

Each input is in the format of eval/train_questions.jsonl (eval/QUESTIONS.md), written by a helper that
saw only the two reviews. A row is kept when it is well formed, its evidence quotes are in the reviews,
an accepted answer is in its evidence, its question is not already kept, and it shares less than
NEAR_COPY of its words (Jaccard) with every dev, dev2, test and blind question (the rule
tests/test_eval_set.py applies to training questions). Every dropped row is printed with its reason.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.corpus import load_reviews  # noqa: E402
from assistant.evaluation import is_correct, locate_quote  # noqa: E402
from assistant.reader_sources import NEAR_COPY, WRITTEN, _question_words, heldout_questions  # noqa: E402

KINDS = ("fact", "paraphrase", "unanswerable", "off_topic")


def problem(row: dict, reviews: dict, held: list[frozenset[str]], seen: set[str]) -> str | None:
    """Why `row` cannot be kept, or None."""
    if row.get("kind") not in KINDS or not str(row.get("question", "")).strip() or row.get("history"):
        return "malformed"
    answerable = row["kind"] not in ("unanswerable", "off_topic")
    if bool(row.get("answers")) != answerable or bool(row.get("evidence")) != answerable:
        return "answers / evidence do not fit the kind"
    if row["question"].strip().lower() in seen:
        return "duplicate"
    words = _question_words(row["question"])
    if any(len(words & h) / max(len(words | h), 1) >= NEAR_COPY for h in held):
        return "near copy of a held-out question"
    if answerable:
        try:
            found = [
                locate_quote(e["review_id"], e["quote"], reviews, str(row.get("id"))) for e in row["evidence"]
            ]
        except (KeyError, TypeError, ValueError) as exc:
            return f"evidence: {exc}"
        quotes = " ".join(reviews[e.review_id].text[e.start : e.end] for e in found)
        if not is_correct(quotes, row["answers"]):
            return "no accepted answer is in the evidence"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / WRITTEN)
    args = parser.parse_args()
    reviews = {r.id: r for r in load_reviews(ROOT / "corpus")}
    held = [_question_words(q) for q in heldout_questions(ROOT)]
    kept: list[dict] = []
    seen: set[str] = set()
    dropped: Counter[str] = Counter()
    for path in args.inputs:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            why = problem(row, reviews, held, seen)
            if why:
                dropped[why] += 1
                print(f"drop {row.get('id')}: {why}: {row.get('question')!r}")
                continue
            seen.add(row["question"].strip().lower())
            kept.append(
                {**{k: row[k] for k in ("id", "kind", "question", "answers", "evidence")}, "history": []}
            )
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8")
    print(
        f"kept {len(kept)} ({dict(Counter(r['kind'] for r in kept))}); dropped {dict(dropped)} -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
