"""BM25 (Okapi, as `rank_bm25.BM25Okapi` scores it) over an inverted index held in numpy arrays.

A query costs time in proportion to the postings of its terms, not to the number of chunks:
`rank_bm25` walks every document in Python for every query term, which at 130,000 chunks is most of
an answer's time. Scores are the same as `rank_bm25.BM25Okapi` (k1 1.5, b 0.75, idf floored at
0.25 x the mean idf), which tests/test_retrieval.py checks on the shipped reviews.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

K1 = 1.5
B = 0.75
EPSILON = 0.25


class BM25:
    """Each term's postings: the documents holding it and its precomputed BM25 weight in each."""

    def __init__(self, documents: Sequence[Sequence[str]], k1: float = K1, b: float = B) -> None:
        self.size = len(documents)
        vocabulary: dict[str, int] = {}
        doc_ids: list[int] = []
        term_ids: list[int] = []
        for i, terms in enumerate(documents):
            for term in terms:
                doc_ids.append(i)
                term_ids.append(vocabulary.setdefault(term, len(vocabulary)))
        self.vocabulary = vocabulary
        lengths = np.bincount(np.asarray(doc_ids, dtype=np.int64), minlength=self.size).astype(np.float64)
        # one entry per (term, document): its term frequency
        keys = np.asarray(term_ids, dtype=np.int64) * max(self.size, 1) + np.asarray(doc_ids, dtype=np.int64)
        pairs, tf = np.unique(keys, return_counts=True)
        term_of = pairs // max(self.size, 1)
        doc_of = pairs % max(self.size, 1)
        df = np.bincount(term_of, minlength=len(vocabulary)).astype(np.float64)
        self.idf = _idf(df, self.size)
        avgdl = float(lengths.mean()) if self.size else 0.0
        norm = k1 * (1 - b + b * lengths[doc_of] / (avgdl or 1.0))
        weights = self.idf[term_of] * tf * (k1 + 1) / (tf + norm)
        # postings of term t: docs[offsets[t]:offsets[t + 1]] (np.unique sorted the keys by term)
        self.offsets = np.concatenate(([0], np.cumsum(df.astype(np.int64))))
        self.docs = doc_of.astype(np.int32)
        self.weights = weights.astype(np.float32)

    def arrays(self) -> dict[str, np.ndarray]:
        """The index as arrays (what `from_arrays` takes back), for saving with numpy."""
        return {"offsets": self.offsets, "docs": self.docs, "weights": self.weights, "idf": self.idf}

    @classmethod
    def from_arrays(cls, vocabulary: Sequence[str], size: int, arrays: dict[str, np.ndarray]) -> BM25:
        """The index `arrays()` and its vocabulary (terms in id order) describe, without recounting."""
        index = cls.__new__(cls)
        index.size = size
        index.vocabulary = {term: i for i, term in enumerate(vocabulary)}
        index.offsets, index.docs = arrays["offsets"], arrays["docs"]
        index.weights, index.idf = arrays["weights"], arrays["idf"]
        if len(index.offsets) != len(vocabulary) + 1 or len(index.docs) != len(index.weights):
            raise ValueError("BM25 arrays do not match their vocabulary")
        return index

    def scores(self, query: Sequence[str]) -> np.ndarray:
        """BM25 score of every document for `query` (a repeated term counts again, as in rank_bm25)."""
        out = np.zeros(self.size, dtype=np.float64)
        for term in query:
            t = self.vocabulary.get(term)
            if t is not None:
                lo, hi = self.offsets[t], self.offsets[t + 1]
                out[self.docs[lo:hi]] += self.weights[lo:hi]
        return out

    def top(self, query: Sequence[str], k: int) -> list[tuple[int, float]]:
        """The `k` best (document, score) pairs with a positive score, best first (ties: lower index)."""
        scores = self.scores(query)
        if k <= 0 or not self.size:
            return []
        candidates = np.flatnonzero(scores > 0)
        if k < len(candidates):
            cut = np.partition(scores[candidates], len(candidates) - k)[len(candidates) - k]
            candidates = candidates[scores[candidates] >= cut]  # every tie at the cut: a stable order
        order = sorted(candidates.tolist(), key=lambda i: (-scores[i], i))[:k]
        return [(i, float(scores[i])) for i in order]


def _idf(df: np.ndarray, size: int) -> np.ndarray:
    """rank_bm25's idf: log((N - n + 0.5) / (n + 0.5)), negative values raised to EPSILON x the mean."""
    idf = np.log(size - df + 0.5) - np.log(df + 0.5)
    if len(idf):
        floor = EPSILON * float(idf.sum()) / len(idf)
        idf = np.where(idf < 0, floor, idf)
    return idf
