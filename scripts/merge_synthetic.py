"""Merge helper-written synthetic reviews into eval/train_synthetic.jsonl, keeping only usable questions.

    .venv/bin/python scripts/merge_synthetic.py /tmp/synth/{a,b,c,d,e,f}.jsonl
    .venv/bin/python scripts/merge_synthetic.py /tmp/synth3/{m,n,o,p,q,r}.jsonl \
        --out eval/train_synthetic_more.jsonl

The helpers' brief is eval/briefs/synthetic_brief.md. A review that names the film or its people is
dropped whole (the reader must not learn facts about the film from invented text); an answerable
question whose evidence is not a sentence of its review, or holds none of its answers, is dropped.
Prints what was kept and dropped.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.reader_synthetic import (  # noqa: E402
    ABOUT_THE_FILM,
    ANSWERABLE,
    SYNTHETIC,
    SyntheticQuestion,
    doc_sentences,
    load_synthetic,
    positives,
)


def usable(question: SyntheticQuestion, found: int) -> bool:
    """An unanswerable question has no evidence; an answerable one has a sentence holding an answer."""
    if question.kind not in ANSWERABLE:
        return question.kind == "unanswerable" and not question.evidence
    return found > 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", type=Path, nargs="+")
    parser.add_argument("--out", type=Path, default=ROOT / SYNTHETIC)
    args = parser.parse_args()
    kept: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    lines = []
    for path in args.files:
        for doc, raw in zip(load_synthetic(path), _rows(path), strict=True):
            if ABOUT_THE_FILM.search(doc.text) or any(
                ABOUT_THE_FILM.search(q.question) for q in doc.questions
            ):
                dropped["review naming the film"] += 1
                continue
            sentences = doc_sentences(doc)
            questions = []
            for q, q_raw in zip(doc.questions, raw["questions"], strict=True):
                if usable(q, len(positives(q, doc, sentences))):
                    questions.append(q_raw)
                    kept[q.kind] += 1
                else:
                    dropped[f"{q.kind} without its sentence"] += 1
            lines.append(json.dumps({**raw, "questions": questions}, ensure_ascii=False))
    args.out.write_text("".join(line + "\n" for line in sorted(lines)), encoding="utf-8")
    print(f"wrote {args.out}: {len(lines)} reviews, questions kept {dict(kept)}, dropped {dict(dropped)}")


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


if __name__ == "__main__":
    main()
