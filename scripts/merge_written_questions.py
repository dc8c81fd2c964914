"""Merge helper-written question files into a new dev set, eval/dev3_questions.jsonl.

Usage: .venv/bin/python scripts/merge_written_questions.py /tmp/trainq/a.jsonl /tmp/trainq/b.jsonl ...

Each input is in the format of eval/QUESTIONS.md, written by a helper that saw only the two reviews. A
row is kept when it is well formed, its evidence quotes are in the reviews, an accepted answer is in its
evidence, its question is not already kept, and it shares less than NEAR_COPY of its words (Jaccard)
with every other held-out question (dev, dev2, test, blind) and with every question the reader is
trained on (training questions, their paraphrases, the questions `make_pairs` makes for seeds 13-15),
so that choosing on it says nothing about test or blind and the reader has not seen it. Ids become
`dev3-<the helper's id>`. Every dropped row is printed with its reason.
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
from assistant.reader_data import make_pairs  # noqa: E402
from assistant.reader_sources import (  # noqa: E402
    GENERATED,
    HELDOUT_QUESTIONS,
    MORE_PARAPHRASES,
    PARAPHRASES,
    TRAIN_QUESTIONS,
    _question_words,
    heldout_questions,
    load_generated,
    load_paraphrases,
    load_train_questions,
    near_copy,
)

OUT = Path("eval/dev3_questions.jsonl")

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
    if near_copy(row["question"], held):
        return "near copy of a held-out or training question"
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


def training_side_questions() -> list[str]:
    """Every question the reader is or could be trained on (the shipped data's options included)."""
    out = {str(r["question"]) for r in load_train_questions(ROOT / TRAIN_QUESTIONS)}
    out |= {str(r["question"]) for r in load_generated(ROOT / GENERATED)}
    for path in (PARAPHRASES, MORE_PARAPHRASES):
        out |= {p for ps in load_paraphrases(ROOT / path).values() for p in ps}
    for seed in (13, 14, 15):
        pairs = make_pairs(
            seed,
            corpus_dir=ROOT / "corpus",
            questions_path=ROOT / TRAIN_QUESTIONS,
            paraphrases_path=ROOT / PARAPHRASES,
        )
        out |= {p.question for p in pairs}
    return sorted(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / OUT)
    args = parser.parse_args()
    reviews = {r.id: r for r in load_reviews(ROOT / "corpus")}
    others = [path for path in HELDOUT_QUESTIONS if (ROOT / path).resolve() != args.out.resolve()]
    held = [_question_words(q) for q in heldout_questions(ROOT, others) + training_side_questions()]
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
            fields = {k: row[k] for k in ("kind", "question", "answers", "evidence")}
            kept.append({"id": f"dev3-{str(row['id']).removeprefix('trx-')}", **fields, "history": []})
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8")
    print(
        f"kept {len(kept)} ({dict(Counter(r['kind'] for r in kept))}); dropped {dict(dropped)} -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
