"""Benchmark: index build times (full, no change, one review edited), answer latency, peak memory.

Usage: .venv/bin/python scripts/bench.py [--questions N]
Works on a temporary copy of corpus/ and a temporary index; prints the figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from assistant.bot import load_assistant, load_models
from assistant.config import Settings
from assistant.indexing import build_index

QUESTIONS = [
    "Who directed the film?",
    "How long was Ai Weiwei detained?",
    "What did he install at Tate Modern?",
    "Why was his blog shut down?",
    "Who was his father?",
    "What prize did the film win at Sundance?",
    "What is the recipe for dumplings?",
    "How much was he charged in taxes?",
]


def peak_rss_mb() -> float:
    """Return this process's peak resident memory in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, func) -> object:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = func()
    print(f"{label:<34} {time.perf_counter() - started:7.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=len(QUESTIONS) * 3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    shutil.copytree("corpus", work / "corpus")
    settings = Settings.from_env(corpus_dir=work / "corpus", index_dir=work / "index")
    models = timed("load models (embedder + scorer)", lambda: load_models(settings))
    report = timed("full build", lambda: build_index(settings, embedder=models.embedder))
    print(f"  {report.summary()}")
    report = timed("rebuild, nothing changed", lambda: build_index(settings, embedder=models.embedder))
    print(f"  {report.summary()}")
    review = sorted((work / "corpus").glob("*.md"))[0]
    review.write_text(review.read_text(encoding="utf-8") + "\nAn added closing sentence.\n", encoding="utf-8")
    report = timed("rebuild, one review edited", lambda: build_index(settings, embedder=models.embedder))
    print(f"  {report.summary()}")
    bot = timed("load assistant (torch already imported)", lambda: load_assistant(settings))
    latencies = []
    for i in range(args.questions):
        started = time.perf_counter()
        bot.ask(QUESTIONS[i % len(QUESTIONS)])
        latencies.append(time.perf_counter() - started)
    latencies.sort()
    print(
        f"answer latency over {len(latencies)} questions: p50 {statistics.median(latencies):.3f} s, "
        f"p95 {latencies[int(0.95 * (len(latencies) - 1))]:.3f} s, max {latencies[-1]:.3f} s"
    )
    print(f"peak memory (RSS)                  {peak_rss_mb():7.0f} MB")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
