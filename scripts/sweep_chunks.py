"""Measure retrieval recall@k / MRR on eval/dev_questions.jsonl for several chunk sizes.

Usage: .venv/bin/python scripts/sweep_chunks.py [SIZE ...]   (default 200 300 400 600 800)
Builds one temporary index per size (same embedder), prints a table; asserts nothing.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from assistant.bot import Assistant, load_models
from assistant.config import Settings
from assistant.corpus import load_reviews
from assistant.eval_run import run_cases
from assistant.evaluation import load_cases
from assistant.indexing import build_index
from assistant.store import open_store


def main(sizes: list[int]) -> None:
    base = Settings.from_env()
    models = load_models(base)
    reviews = {r.id: r for r in load_reviews(base.corpus_dir)}
    cases = load_cases(Path("eval/dev_questions.jsonl"), reviews)
    columns = ("chunk_size", "overlap", "chunks", "R@1", "R@3", "R@5", "R@10", "MRR")
    print(" ".join(f"{c:>10}" for c in columns))
    for size in sizes:
        for overlap in (0, 1):
            with tempfile.TemporaryDirectory() as tmp:
                settings = base.replace(index_dir=Path(tmp), chunk_size=size, chunk_overlap_sentences=overlap)
                report = build_index(settings, embedder=models.embedder)
                bot = Assistant(settings, models, open_store(settings))
                s = run_cases(bot, cases, str(size), retrieval_only=True).summary
                shares = [f"{s[k]:.1%}" for k in ("recall@1", "recall@3", "recall@5", "recall@10")]
                row = [str(size), str(overlap), str(report.chunks_total), *shares, f"{s['mrr']:.3f}"]
                print(" ".join(f"{c:>10}" for c in row), flush=True)


if __name__ == "__main__":
    main([int(x) for x in sys.argv[1:]] or [200, 300, 400, 600, 800])
