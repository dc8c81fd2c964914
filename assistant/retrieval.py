"""Retrieval: dense (Chroma) and keyword (BM25) search over the same chunks, fused into one ranking."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, field_validator

from .bm25 import BM25
from .embedding import Embedder
from .store import pages

_TOKEN_RE = re.compile(r"[a-z0-9]+")
# Words too common in questions and reviews to help keyword search.
STOPWORDS = frozenset(
    """a an and are as at be been but by did do does for from had has have he her hers him his how i in
    into is it its me of on or she so than that the their them then there these they this to was we were
    what when where which who whom whose why will with would you your about after before did does film
    documentary review reviews movie""".split()
)
#: The `fusion` setting's choices: reciprocal rank, or a weighted sum of min-max normalised scores.
FUSIONS = ("rrf", "convex")


@dataclass(frozen=True)
class Hit:
    """A retrieved passage: `review.text[start:end] == text`, with its scores."""

    chunk_id: str
    review_id: str
    start: int
    end: int
    text: str
    score: float
    dense_score: float | None = None
    keyword_score: float | None = None
    rerank_score: float | None = None


def tokenize(text: str) -> list[str]:
    """Return lower-cased content words with a light plural strip: 'The Seeds' -> ['seed']."""
    return [_stem(t) for t in _TOKEN_RE.findall(text.lower()) if t not in STOPWORDS]


def _stem(token: str) -> str:
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def keyword_terms(text: str) -> list[str]:
    """Return the Snowball English stems of the content words: 'Smashing pots' -> ['smash', 'pot'].

    Separate from `tokenize`, whose exact output the fitted answerability features depend on.
    """
    return [_snowball(t) for t in _TOKEN_RE.findall(text.lower()) if t not in STOPWORDS]


@lru_cache(maxsize=262_144)
def _snowball(word: str) -> str:
    """One word's stem, remembered: a corpus repeats its words, and stemming is the slow part."""
    stem: str = _english_stemmer().stemWord(word)
    return stem


@lru_cache(maxsize=1)
def _english_stemmer() -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer("english")


def hit_from_record(chunk_id: str, text: str, meta: dict[str, Any], score: float = 0.0) -> Hit:
    """Return a Hit built from a Chroma record (id, document, metadata)."""
    return Hit(chunk_id, str(meta["review_id"]), int(meta["start"]), int(meta["end"]), text, score)


@dataclass(frozen=True)
class ChunkTable:
    """Every chunk of a generation in columns: ids, places, and the texts as one UTF-8 buffer.

    At 130,000 chunks, columns load from a saved file in milliseconds where Hit objects would take
    seconds to build; a Hit is made only for a chunk that a search returns.
    """

    ids: Sequence[str]
    review_ids: Sequence[str]
    starts: np.ndarray
    ends: np.ndarray
    text_bytes: bytes
    text_offsets: np.ndarray  # text i is text_bytes[text_offsets[i]:text_offsets[i + 1]]

    @classmethod
    def from_hits(cls, hits: Sequence[Hit]) -> ChunkTable:
        encoded = [h.text.encode("utf-8") for h in hits]
        offsets = np.zeros(len(hits) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in encoded], out=offsets[1:])
        return cls(
            ids=[h.chunk_id for h in hits],
            review_ids=[h.review_id for h in hits],
            starts=np.asarray([h.start for h in hits], dtype=np.int64),
            ends=np.asarray([h.end for h in hits], dtype=np.int64),
            text_bytes=b"".join(encoded),
            text_offsets=offsets,
        )

    def __len__(self) -> int:
        return len(self.ids)

    def text(self, i: int) -> str:
        return self.text_bytes[self.text_offsets[i] : self.text_offsets[i + 1]].decode("utf-8")

    def hit(self, i: int, score: float) -> Hit:
        return Hit(
            self.ids[i],
            self.review_ids[i],
            int(self.starts[i]),
            int(self.ends[i]),
            self.text(i),
            score,
            keyword_score=score,
        )


class KeywordIndex:
    """BM25 (`bm25.BM25`) over the chunks of the live generation, built once when the retriever loads
    (or loaded from the file `keyword_store` saved for that generation).

    `terms` splits both the passages and the query (scripts/compare_fusion.py passes `tokenize`).
    """

    def __init__(self, hits: Sequence[Hit], terms: Callable[[str], list[str]] = keyword_terms) -> None:
        self.chunks = ChunkTable.from_hits(hits)
        self._terms = terms
        self.bm25 = BM25([terms(h.text) or ["<empty>"] for h in hits]) if hits else None

    @classmethod
    def from_parts(
        cls, chunks: ChunkTable, bm25: BM25 | None, terms: Callable[[str], list[str]] = keyword_terms
    ) -> KeywordIndex:
        index = cls.__new__(cls)
        index.chunks, index.bm25, index._terms = chunks, bm25, terms
        return index

    def search(self, query: str, k: int) -> list[Hit]:
        """Return up to `k` chunks sharing words with `query`, best first."""
        terms = self._terms(query)
        if not self.bm25 or not terms:
            return []
        return [self.chunks.hit(i, score) for i, score in self.bm25.top(terms, k)]


class DenseIndex:
    """Nearest chunks by cosine similarity of our embeddings: LangChain's Chroma vector store over our
    client and one generation's collection (queried with our own query vector)."""

    def __init__(self, client: Any, collection_name: str, embedder: Embedder) -> None:
        from langchain_chroma import Chroma

        self.embedder = embedder
        self.collection = client.get_collection(collection_name)
        self.store = Chroma(
            client=client,
            collection_name=collection_name,
            embedding_function=embedder,  # type: ignore[arg-type]  # LangChain Embeddings' shape
            create_collection_if_not_exists=False,
        )

    def search(self, query: str, k: int) -> list[Hit]:
        """Return the `k` chunks nearest to `query`, best first; score is cosine similarity."""
        n = min(k, self.collection.count())
        if n == 0:
            return []
        vector = self.embedder.embed_query(query)
        found = self.store.similarity_search_by_vector_with_relevance_scores(vector, k=n)
        return [
            replace(
                hit_from_record(str(doc.id), doc.page_content, doc.metadata),
                score=1.0 - distance,
                dense_score=1.0 - distance,
            )
            for doc, distance in found
        ]


def fuse(rankings: Sequence[Sequence[Hit]], k: int, rrf_k: int = 60) -> list[Hit]:
    """Return the top `k` hits by reciprocal rank fusion, keeping each retriever's own score.

    >>> a, b = Hit("a", "r", 0, 1, "x", 0.0), Hit("b", "r", 0, 1, "x", 0.0)
    >>> [h.chunk_id for h in fuse([[a, b], [b]], k=2)]
    ['b', 'a']
    """
    fused: dict[str, Hit] = {}
    totals: dict[str, float] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, start=1):
            totals[hit.chunk_id] = totals.get(hit.chunk_id, 0.0) + 1.0 / (rrf_k + rank)
            fused[hit.chunk_id] = _merge(fused.get(hit.chunk_id), hit)
    order = sorted(totals, key=lambda cid: -totals[cid])[:k]
    return [replace(fused[cid], score=totals[cid]) for cid in order]


def fuse_convex(dense: Sequence[Hit], keyword: Sequence[Hit], k: int, weight: float = 0.5) -> list[Hit]:
    """Return the top `k` hits by `weight * dense + (1 - weight) * keyword` of min-max normalised scores.

    Unlike rank fusion, a passage one retriever ranks far above the rest keeps its lead even when the
    other retriever missed it (a retriever that missed a passage adds 0 for it).

    >>> h = lambda chunk_id, score: Hit(chunk_id, "r", 0, 1, "x", score)
    >>> dense = [h("b", 0.6), h("c", 0.55), h("d", 0.5)]
    >>> keyword = [h("a", 9.0), h("c", 3.0), h("d", 1.0)]
    >>> [(h.chunk_id, round(h.score, 2)) for h in fuse_convex(dense, keyword, k=4, weight=0.4)]
    [('a', 0.6), ('b', 0.4), ('c', 0.35), ('d', 0.0)]
    """
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"fusion_weight must be between 0 and 1, got {weight}")
    fused: dict[str, Hit] = {}
    totals: dict[str, float] = {}
    for ranking, share in ((dense, weight), (keyword, 1.0 - weight)):
        for hit, norm in zip(ranking, min_max([h.score for h in ranking]), strict=True):
            totals[hit.chunk_id] = totals.get(hit.chunk_id, 0.0) + share * norm
            fused[hit.chunk_id] = _merge(fused.get(hit.chunk_id), hit)
    order = sorted(totals, key=lambda cid: -totals[cid])[:k]
    return [replace(fused[cid], score=totals[cid]) for cid in order]


def min_max(scores: Sequence[float]) -> list[float]:
    """Return `scores` scaled to 0..1 over their own range: [2, 4, 3] -> [0.0, 1.0, 0.5]; all equal -> 1.0."""
    if not scores:
        return []
    low, high = min(scores), max(scores)
    if high == low:
        return [1.0] * len(scores)
    return [(x - low) / (high - low) for x in scores]


def _merge(old: Hit | None, new: Hit) -> Hit:
    if old is None:
        return new
    return replace(
        old,
        dense_score=old.dense_score if old.dense_score is not None else new.dense_score,
        keyword_score=old.keyword_score if old.keyword_score is not None else new.keyword_score,
    )


class Retriever(BaseRetriever):
    """Hybrid retrieval: dense + BM25 candidates, fused, optionally reranked by a cross-encoder.

    A LangChain retriever: `retriever.invoke("question")` returns the `k` best passages as
    `Document`s (see `to_document`); `retrieve(question, k)` returns them as `Hit`s.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    dense: Any
    keyword: Any
    candidates: int = 20
    rrf_k: int = 60
    reranker: Any | None = None
    fusion: str = "rrf"
    fusion_weight: float = 0.5
    #: How many passages `invoke` returns.
    k: int = 5
    #: Review id -> title, for the documents' metadata.
    titles: dict[str, str] = Field(default_factory=dict)

    def __init__(self, dense: Any, keyword: Any, **fields: Any) -> None:
        super().__init__(dense=dense, keyword=keyword, **fields)  # type: ignore[call-arg]

    @field_validator("fusion")
    @classmethod
    def _known_fusion(cls, fusion: str) -> str:
        if fusion not in FUSIONS:
            raise ValueError(f"unknown fusion {fusion!r}; choose one of {', '.join(FUSIONS)}")
        return fusion

    @field_validator("fusion_weight")
    @classmethod
    def _weight_in_range(cls, weight: float) -> float:
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"fusion_weight must be between 0 and 1, got {weight}")
        return weight

    def retrieve(self, query: str, k: int) -> list[Hit]:
        """Return the `k` best passages for `query`."""
        dense = self.dense.search(query, self.candidates)
        keyword = self.keyword.search(query, self.candidates)
        if self.fusion == "convex":
            fused = fuse_convex(dense, keyword, self.candidates, self.fusion_weight)
        else:
            fused = fuse([dense, keyword], self.candidates, self.rrf_k)
        if self.reranker is not None:
            fused = self.reranker.rerank(query, fused)
        return fused[:k]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [to_document(hit, self.titles.get(hit.review_id, "")) for hit in self.retrieve(query, self.k)]


def to_document(hit: Hit, title: str = "") -> Document:
    """Return a passage as a LangChain `Document`: its text, and where it lies and how it scored.

    >>> to_document(Hit("c1", "review-000", 0, 9, "Directed.", 0.5), "Never Sorry").metadata["end"]
    9
    """
    metadata = {
        "review_id": hit.review_id,
        "start": hit.start,
        "end": hit.end,
        "title": title,
        "chunk_id": hit.chunk_id,
        "score": hit.score,
        "dense_score": hit.dense_score,
        "keyword_score": hit.keyword_score,
        "rerank_score": hit.rerank_score,
    }
    return Document(page_content=hit.text, id=hit.chunk_id, metadata=metadata)


def load_all_hits(collection: Any) -> list[Hit]:
    """Return every chunk of `collection` as a Hit, in (review, start) order."""
    hits = [
        hit_from_record(cid, doc, meta)
        for got in pages(collection, ["documents", "metadatas"])
        for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
    ]
    return sorted(hits, key=lambda h: (h.review_id, h.start))
