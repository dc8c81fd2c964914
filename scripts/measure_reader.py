"""Measure the reader (and the ms-marco cross-encoder, for comparison) on the dev questions.

For every dev question, every sentence of both reviews is scored. Answerable questions: how often the
top-scored sentence holds (or overlaps) an evidence quote, and the share whose top score is above 0.5.
Unanswerable / off-topic questions: the share whose top score is below 0.5. Dev is only measured here,
never trained on.

    HF_HUB_OFFLINE=1 .venv/bin/python scripts/measure_reader.py [--model assistant/models/reader.onnx]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.reader_data import Sentence, evidence_sentences, load_sentences  # noqa: E402

DEV = ROOT / "eval" / "dev_questions.jsonl"
DEV2 = ROOT / "eval" / "dev2_questions.jsonl"
DEV3 = ROOT / "eval" / "dev3_questions.jsonl"
NO_ANSWER = ("unanswerable", "off_topic")

ScoreFn = Callable[[str, Sequence[str]], list[float]]


def load_dev(path: Path = DEV) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def measure(
    score: ScoreFn,
    rows: Sequence[dict[str, object]],
    sentences: Sequence[Sentence],
    review_ids: Sequence[str] | None = None,
) -> dict[str, float]:
    """`score` returns probabilities. `review_ids`: only answerable questions whose evidence is in those."""
    texts = [s.text for s in sentences]
    top1 = above = n_ans = below = n_no = 0
    for row in rows:
        kind = str(row["kind"])
        if kind in NO_ANSWER:
            if review_ids is not None:
                continue
            n_no += 1
            below += max(score(str(row["question"]), texts)) < 0.5
            continue
        evidence = row.get("evidence") or []
        if review_ids is not None and not any(e["review_id"] in review_ids for e in evidence):  # type: ignore[attr-defined]
            continue
        gold = {s.text for s in evidence_sentences(row, sentences, narrow=False)}
        if not gold:
            continue
        scores = score(str(row["question"]), texts)
        best = max(range(len(texts)), key=lambda i: scores[i])
        n_ans += 1
        top1 += texts[best] in gold
        above += scores[best] > 0.5
    return {
        "answerable_n": n_ans,
        "answerable_top1_evidence": round(top1 / max(n_ans, 1), 3),
        "answerable_top_above_0.5": round(above / max(n_ans, 1), 3),
        "no_answer_n": n_no,
        "no_answer_top_below_0.5": round(below / max(n_no, 1), 3) if n_no else float("nan"),
    }


CHECK_THRESHOLDS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


def claim_check_table(
    score: ScoreFn, rows: Sequence[dict[str, object]], sentences: Sequence[Sentence]
) -> None:
    """Choose `claim_check_threshold` on dev, with the reader as the generative backends use it.

    A proxy for an LLM's citations, measured without an LLM: an answerable question citing its evidence
    sentence (dropped below the threshold: a lost right answer), and an unanswerable one citing the
    sentence the reader likes best (kept at or above it: a wrong assertion). Cost: dropped + 2 x kept;
    ties go to the threshold with fewer wrong assertions.
    """
    texts = [s.text for s in sentences]
    gold: list[float] = []
    none: list[float] = []
    for row in rows:
        question = str(row["question"])
        if row["kind"] in NO_ANSWER:
            none.append(max(score(question, texts)))
            continue
        evidence = [s.text for s in evidence_sentences(row, sentences)]
        if evidence:
            gold.append(max(score(question, evidence)))
    best: tuple[int, int, float] | None = None
    for t in CHECK_THRESHOLDS:
        dropped = sum(g < t for g in gold)
        kept = sum(n >= t for n in none)
        cost = dropped + 2 * kept
        print(
            f"claim_check_threshold {t:.2f}: right citations dropped {dropped}/{len(gold)}, "
            f"unanswerable kept {kept}/{len(none)}, cost {cost}"
        )
        if best is None or (cost, kept) < best[:2]:
            best = (cost, kept, t)
    assert best is not None
    print(f"chosen on dev: claim_check_threshold={best[2]}")


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=None, help="reader.onnx (default: the shipped one)")
    parser.add_argument("--no-msmarco", action="store_true")
    parser.add_argument("--claim-check", action="store_true", help="choose claim_check_threshold on dev")
    args = parser.parse_args()
    from assistant.reader import Reader

    rows = load_dev()
    sentences = load_sentences(ROOT / "corpus")
    reader = Reader(args.model) if args.model else Reader()
    if args.claim_check:  # chosen on the three dev sets, as the extractive thresholds are
        claim_check_table(reader.score, rows + load_dev(DEV2) + load_dev(DEV3), sentences)
        return
    results = {"reader": measure(reader.score, rows, sentences)}
    if not args.no_msmarco:
        from assistant.reranking import OnnxCrossEncoder

        ce = OnnxCrossEncoder()

        def ms_prob(q: str, texts: Sequence[str]) -> list[float]:
            return [1 / (1 + math.exp(-x)) for x in ce.score(q, texts)]

        results["msmarco"] = measure(ms_prob, rows, sentences)
    print(f"dev questions: {len(rows)}; sentences scored per question: {len(sentences)}")
    for name, r in results.items():
        print(f"{name:8s} " + "  ".join(f"{k}={v}" for k, v in r.items()))


if __name__ == "__main__":
    main()
