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
    # The default against the scorer it replaced, interleaved question by question so that load from
    # other work on the machine falls on both alike.
    configs = {
        "reader (default)": bot,
        "features, no reader": bot.with_settings(reader="none", sentence_scoring="features"),
    }
    latencies: dict[str, list[float]] = {name: [] for name in configs}
    for i in range(args.questions):
        for name, assistant in configs.items():
            started = time.perf_counter()
            assistant.ask(QUESTIONS[i % len(QUESTIONS)])
            latencies[name].append(time.perf_counter() - started)
    p50 = {}
    for name, values in latencies.items():
        values.sort()
        p50[name] = statistics.median(values)
        print(
            f"answer latency, {name}, {len(values)} questions: p50 {p50[name]:.3f} s, "
            f"p95 {values[int(0.95 * (len(values) - 1))]:.3f} s, max {values[-1]:.3f} s"
        )
    first, second = list(p50)
    print(f"p50 ratio {first} / {second}: {p50[first] / p50[second]:.2f}")
    print(f"peak memory (RSS)                  {peak_rss_mb():7.0f} MB")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
