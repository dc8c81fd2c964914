"""Fit the extractive backend's answerability model and write it into the package.

Usage: .venv/bin/python scripts/train_answerability.py [--train eval/train_questions.jsonl]
           [--dev eval/dev_questions.jsonl] [--l2 1.0] [--max-false-refusals 0.05]
           [--out assistant/models/answerability.json]

Fits on the training questions only. Prints cross-validated rates on the training set and the
rates on the dev set (never fitted on), then writes the model. `assistant eval` gives the
full end-to-end measurement afterwards.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict, replace
from pathlib import Path

from assistant.bot import Assistant, Models
from assistant.config import Settings
from assistant.embedding import load_embedder
from assistant.evaluation import load_cases
from assistant.extractive import ExtractiveBackend
from assistant.indexing import build_index
from assistant.reranking import OnnxCrossEncoder
from assistant.store import open_store
from assistant.training import Rates, cross_validate, fit_model, harvest, neutral_model, rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, default=Path("eval/train_questions.jsonl"))
    parser.add_argument("--dev", type=Path, default=Path("eval/dev_questions.jsonl"))
    parser.add_argument("--l2", type=float, default=1.0, help="L2 penalty of the logistic regression")
    parser.add_argument(
        "--max-false-refusals",
        type=float,
        default=0.05,
        help="share of answerable training questions the threshold may refuse (default 0.05)",
    )
    parser.add_argument("--out", type=Path, default=Path("assistant/models/answerability.json"))
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    embedder = load_embedder(settings.embedding_model)
    models = Models(embedder, OnnxCrossEncoder(), None, neutral_model())
    store = open_store(settings)
    build_index(settings, embedder=embedder, store=store)
    bot = Assistant(settings, models, store)
    backend = ExtractiveBackend(models.sentence_scorer, embedder, neutral_model())

    def rows_of(path: Path) -> list:
        cases = load_cases(path, bot.reviews)
        return harvest(cases, backend, bot.retriever.retrieve, bot.reviews, settings.top_k)

    train, dev = rows_of(args.train), rows_of(args.dev)
    model = fit_model(train, args.l2, args.max_false_refusals)
    cv = cross_validate(train, l2=args.l2, max_false_refusals=args.max_false_refusals)
    held_out = rates(model, dev)
    report = {
        "train (fitted on)": rates(model, train),
        "train, 5-fold cross-validated": cv,
        "dev (not fitted on)": held_out,
    }
    print(f"{'':32} {'correct refusals':>17} {'false refusals':>15} {'top sentence ok':>16}")
    for name, r in report.items():
        print(f"{name:32} {r.correct_refusals:17.1%} {r.false_refusals:15.1%} {r.best_is_evidence:16.1%}")
    print(f"threshold {model.threshold:.3f}")
    for name, weight in zip(model.feature_names, model.weights, strict=True):
        print(f"  {name:14} {weight:+.3f}")
    about = {
        "trained_on": str(args.train),
        "questions": len(train),
        "sentences": sum(len(r.labels) for r in train),
        "positives": sum(sum(r.labels) for r in train),
        "l2": args.l2,
        "max_false_refusals": args.max_false_refusals,
        "top_k": settings.top_k,
        "chunk_size": settings.chunk_size,
        "rates": {name: asdict(r) for name, r in report.items() if isinstance(r, Rates)},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    replace(model, about=about).save(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
