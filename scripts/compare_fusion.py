"""Compare keyword tokenisers, BM25 libraries and fusion methods: recall@k, MRR and retrieval latency.

Usage: .venv/bin/python scripts/compare_fusion.py [--split dev] [--no-rerank]
Loads the assistant from ASSISTANT_* settings and its existing index and prints one row per variant (ms:
median over the questions of the best of 3 retrievals); asserts nothing. Choose on dev only, then confirm
the choice once on test with `assistant eval --split test`. bm25s is measured when it can be imported,
e.g. after `pip install --target /tmp/bm25s_pkg --no-deps bm25s` with PYTHONPATH=/tmp/bm25s_pkg; it is
not a dependency.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import assistant.retrieval
from assistant.bot import Assistant, load_assistant
from assistant.config import Settings
from assistant.eval_run import run_cases
from assistant.evaluation import EvalCase, load_cases
from assistant.retrieval import Hit, KeywordIndex, keyword_terms, tokenize

WEIGHTS = (0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)
MAX_WEIGHTS = (0.4, 0.5, 0.6)
COLUMNS = ("variant", "R@1", "R@5", "R@10", "MRR", "ms")


class Bm25sKeywordIndex:
    """The same search as `KeywordIndex`, scored by bm25s (Lucene BM25) instead of rank_bm25."""

    def __init__(self, hits: Sequence[Hit], terms: Callable[[str], list[str]] = keyword_terms) -> None:
        import bm25s

        self.hits = list(hits)
        self._terms = terms
        self._bm25 = bm25s.BM25()
        self._bm25.index([terms(h.text) or ["<empty>"] for h in self.hits], show_progress=False)

    def search(self, query: str, k: int) -> list[Hit]:
        """Return up to `k` chunks sharing words with `query`, best first."""
        terms = self._terms(query)
        if not self.hits or not terms:
            return []
        scores = [float(x) for x in self._bm25.get_scores(terms)]
        order = sorted(range(len(scores)), key=lambda i: -scores[i])[:k]
        return [
            replace(self.hits[i], score=scores[i], keyword_score=scores[i]) for i in order if scores[i] > 0
        ]


def with_keyword(bot: Assistant, keyword: Any) -> Assistant:
    """Return a copy of `bot` whose retriever uses another keyword index, the rest unchanged."""
    twin = bot.with_settings()
    old = bot.retriever
    twin.retriever = old.model_copy(update={"keyword": keyword})
    return twin


@contextmanager
def divide_by_max(active: bool) -> Iterator[None]:
    """Within the block, normalise convex fusion's scores by dividing by their max instead of min-max."""
    original = assistant.retrieval.min_max
    if active:
        assistant.retrieval.min_max = lambda xs: [x / max(xs) if max(xs) > 0 else 0.0 for x in xs]
    try:
        yield
    finally:
        assistant.retrieval.min_max = original


def indexed_chunks(bot: Assistant) -> list[Hit]:
    """Every chunk the assistant's keyword index holds, as hits."""
    chunks = bot.retriever.keyword.chunks
    return [chunks.hit(i, 0.0) for i in range(len(chunks))]


def variants(bot: Assistant, rerank: bool) -> Iterator[tuple[str, Assistant]]:
    """Yield (name, assistant) for every configuration to measure."""
    hits = indexed_chunks(bot)
    old_tokens = with_keyword(bot, KeywordIndex(hits, tokenize))
    yield "keyword only, plural strip (old)", old_tokens.with_settings(fusion="convex", fusion_weight=0.0)
    yield "keyword only, snowball", bot.with_settings(fusion="convex", fusion_weight=0.0)
    try:
        bm25s_bot = with_keyword(bot, Bm25sKeywordIndex(hits))
        yield "keyword only, snowball, bm25s", bm25s_bot.with_settings(fusion="convex", fusion_weight=0.0)
        yield "rrf k=60, snowball, bm25s", bm25s_bot.with_settings(fusion="rrf", rrf_k=60)
    except ImportError:
        print("(bm25s not importable: skipped)")
    yield "dense only", bot.with_settings(fusion="convex", fusion_weight=1.0)
    yield "rrf k=60, plural strip (old default)", old_tokens.with_settings(fusion="rrf", rrf_k=60)
    for rrf_k in (60, 10, 1):
        yield f"rrf k={rrf_k}", bot.with_settings(fusion="rrf", rrf_k=rrf_k)
    for weight in WEIGHTS:
        yield f"convex w={weight}", bot.with_settings(fusion="convex", fusion_weight=weight)
    for weight in MAX_WEIGHTS:
        yield f"convex w={weight}, divide by max", bot.with_settings(fusion="convex", fusion_weight=weight)
    if rerank:
        yield "rrf k=60 + onnx rerank", bot.with_settings(fusion="rrf", rrf_k=60, reranker="onnx")
        yield (
            "convex w=0.55 + onnx rerank",
            bot.with_settings(fusion="convex", fusion_weight=0.55, reranker="onnx"),
        )


def measure(bot: Assistant, cases: Sequence[EvalCase], name: str) -> list[str]:
    """Return one table row: recall@1/5/10, MRR, and the retrieval time per question."""
    s = run_cases(bot, cases, name, retrieval_only=True).summary
    shares = [f"{s[k]:.1%}" for k in ("recall@1", "recall@5", "recall@10", "mrr")]
    return [name, *shares, f"{1000 * retrieval_seconds(bot, [c.question for c in cases]):.1f}"]


def retrieval_seconds(bot: Assistant, questions: Sequence[str], repeat: int = 3) -> float:
    """Return the median over `questions` of the best of `repeat` timings of one retrieval.

    Best-of-n, because this machine is shared and a busy neighbour only ever adds time.
    """
    best = []
    for question in questions:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            bot.retriever.retrieve(question, 10)
            times.append(time.perf_counter() - started)
        best.append(min(times))
    return statistics.median(best)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev", help="question set eval/<split>_questions.jsonl")
    parser.add_argument("--no-rerank", action="store_true", help="skip the cross-encoder variants")
    args = parser.parse_args(argv)
    bot = load_assistant(Settings.from_env(), build_if_missing=False)
    cases = load_cases(Path(f"eval/{args.split}_questions.jsonl"), bot.reviews)
    bot.retriever.retrieve(cases[0].question, 10)  # warm up, so the first row's latency is fair
    print(f"{len(cases)} {args.split} questions, {len(bot.retriever.keyword.chunks)} chunks")
    print(f"{COLUMNS[0]:<38}" + "".join(f"{c:>9}" for c in COLUMNS[1:]))
    for name, variant in variants(bot, rerank=not args.no_rerank):
        with divide_by_max("divide by max" in name):
            row = measure(variant, cases, name)
        print(f"{row[0]:<38}" + "".join(f"{c:>9}" for c in row[1:]), flush=True)


if __name__ == "__main__":
    main()
