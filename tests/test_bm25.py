"""assistant/bm25.py: the same scores as rank_bm25.BM25Okapi, from an inverted index."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from assistant.bm25 import BM25
from assistant.chunking import split_sentences
from assistant.corpus import load_reviews
from assistant.retrieval import keyword_terms

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def _sentences() -> list[list[str]]:
    out = []
    for review in load_reviews(CORPUS):
        out += [
            keyword_terms(review.text[s.start : s.end]) or ["<empty>"] for s in split_sentences(review.text)
        ]
    return out


@pytest.mark.parametrize(
    "query",
    [["ai", "weiwei", "detain"], ["sunflow", "seed", "seed"], ["unknownword"], ["tate", "modern", "london"]],
)
def test_scores_match_rank_bm25_on_the_reviews(query: list[str]) -> None:
    docs = _sentences()
    ours, theirs = BM25(docs).scores(query), BM25Okapi(docs).get_scores(query)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_random_documents_same_top_k_as_rank_bm25() -> None:
    rng = random.Random(3)
    words = [f"w{i}" for i in range(60)]
    docs = [[rng.choice(words[: rng.randint(2, 60)]) for _ in range(rng.randint(1, 30))] for _ in range(300)]
    ours, theirs = BM25(docs), BM25Okapi(docs)
    for _ in range(30):
        query = rng.sample(words, rng.randint(1, 4))
        expected = theirs.get_scores(query)
        order = sorted(range(len(docs)), key=lambda i: -expected[i])[:7]
        want = [(i, expected[i]) for i in order if expected[i] > 0]
        got = ours.top(query, 7)
        assert [i for i, _ in got] == [i for i, _ in want]
        np.testing.assert_allclose([s for _, s in got], [s for _, s in want], rtol=1e-5)


def test_ties_keep_document_order_and_zero_scores_are_left_out() -> None:
    index = BM25([["a", "x"], ["b"], ["a", "x"], ["a", "x"], ["c"]])
    assert [i for i, _ in index.top(["x"], 2)] == [0, 2]
    assert [i for i, _ in index.top(["x"], 10)] == [0, 2, 3]
    assert index.top(["nothing"], 3) == []
    assert BM25([]).top(["x"], 3) == []
