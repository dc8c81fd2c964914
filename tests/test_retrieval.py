"""Retrieval: keyword and dense search over a real built index, and rank / score fusion."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from assistant.corpus import Review, load_reviews
from assistant.embedding import Embedder
from assistant.retrieval import (
    DenseIndex,
    Hit,
    KeywordIndex,
    Retriever,
    fuse,
    fuse_convex,
    keyword_terms,
    load_all_hits,
    min_max,
    tokenize,
)
from assistant.store import open_store

DETENTION_QUESTION = "How long was Ai Weiwei held by the authorities?"


def _hit(chunk_id: str, text: str = "x", **scores: float) -> Hit:
    return Hit(chunk_id, "r", 0, len(text), text, 0.0, **scores)


@pytest.fixture(scope="module")
def live_collection(built_index: Settings) -> Any:
    store = open_store(built_index)
    manifest = store.read_manifest()
    assert manifest is not None
    return store.collection(manifest.generation)


@pytest.fixture(scope="module")
def dense(built_index: Settings, live_collection: Any, embedder: Embedder) -> DenseIndex:
    return DenseIndex(open_store(built_index).client, live_collection.name, embedder)


@pytest.fixture(scope="module")
def reviews(built_index: Settings) -> dict[str, Review]:
    return {r.id: r for r in load_reviews(Path(built_index.corpus_dir))}


@pytest.fixture(scope="module")
def all_hits(live_collection: Any) -> list[Hit]:
    return load_all_hits(live_collection)


def _assert_hits_point_into_reviews(hits: list[Hit], reviews: dict[str, Review]) -> None:
    for hit in hits:
        assert reviews[hit.review_id].text[hit.start : hit.end] == hit.text
        assert hit.chunk_id == f"{hit.review_id}:{hit.start}-{hit.end}"


def test_tokenize_keeps_content_words_lower_cased_and_singular() -> None:
    assert tokenize("The Seeds") == ["seed"]
    assert tokenize("Was Ai Weiwei detained for 81 days?") == ["ai", "weiwei", "detained", "81", "day"]
    assert tokenize("Stories of the glass studios") == ["story", "glass", "studio"]
    assert tokenize("What did the film do?") == []


def test_keyword_terms_stem_inflections_to_one_term() -> None:
    assert keyword_terms("smash smashing smashed smashes") == ["smash"] * 4
    assert keyword_terms("The Seeds were detained") == keyword_terms("seed detaining")
    assert keyword_terms("What did the film do?") == []
    # `tokenize` keeps its light plural strip: the answerability features were fitted on it.
    assert tokenize("smashing seeds") == ["smashing", "seed"]


def test_keyword_index_matches_another_form_of_the_query_word() -> None:
    texts = ["He filmed the smashing of a Han dynasty urn.", "Sunflower seeds at Tate.", "Detained 81 days."]
    hits = [_hit(cid, text) for cid, text in zip("abc", texts, strict=True)]
    index = KeywordIndex(hits)
    assert [h.chunk_id for h in index.search("Which urn did he smash?", k=2)] == ["a"]
    assert [h.chunk_id for h in index.search("smashed", k=2)] == ["a"]
    assert KeywordIndex(hits, terms=tokenize).search("smashed", k=2) == []


def test_fuse_orders_by_reciprocal_rank() -> None:
    a, b, c = _hit("a", dense_score=0.9), _hit("b", dense_score=0.8), _hit("c", dense_score=0.7)
    fused = fuse([[a, b, c], [_hit("c", keyword_score=5.0), _hit("a", keyword_score=2.0)]], k=3, rrf_k=60)
    assert [h.chunk_id for h in fused] == ["a", "c", "b"]
    assert fused[0].score == pytest.approx(1 / 61 + 1 / 62)
    assert fused[1].score == pytest.approx(1 / 63 + 1 / 61)
    assert fused[2].score == pytest.approx(1 / 62)
    assert (fused[1].dense_score, fused[1].keyword_score) == (0.7, 5.0)


def test_fuse_keeps_only_the_top_k_and_favours_agreement() -> None:
    fused = fuse([[_hit("a"), _hit("b")], [_hit("b")]], k=1)
    assert [h.chunk_id for h in fused] == ["b"]
    assert fuse([], k=5) == []


def _scored(ids: str, scores: tuple[float, ...], field: str) -> list[Hit]:
    return [Hit(cid, "r", 0, 1, "x", sc, **{field: sc}) for cid, sc in zip(ids, scores, strict=True)]


def _confident_keyword_winner() -> tuple[list[Hit], list[Hit]]:
    """BM25 ranks 'a' first at three times the next score, dense misses it; 'c', 'd' are middling in both."""
    dense = _scored("bcdef", (0.62, 0.55, 0.54, 0.40, 0.38), "dense_score")
    return dense, _scored("acdf", (9.0, 3.0, 2.8, 1.0), "keyword_score")


def test_convex_fusion_keeps_a_confident_single_retriever_winner_on_top() -> None:
    dense, keyword = _confident_keyword_winner()
    # Rank fusion puts 'a' below 'f', which both retrievers rank last.
    assert [h.chunk_id for h in fuse([dense, keyword], k=3)] == ["c", "d", "f"]
    fused = fuse_convex(dense, keyword, k=5, weight=0.5)
    # Each retriever's clear winner (0.5 each) stays above the passages both rank in the middle.
    assert {h.chunk_id for h in fused[:2]} == {"a", "b"} and [h.chunk_id for h in fused[2:4]] == ["c", "d"]
    assert fused[0].score == pytest.approx(0.5) and fused[2].score < 0.5
    assert [h.score for h in fused] == sorted((h.score for h in fused), reverse=True)
    top = fuse_convex(dense, keyword, k=5, weight=0.4)[0]
    assert (top.chunk_id, top.keyword_score, top.dense_score) == ("a", 9.0, None)


def test_convex_fusion_weight_moves_from_keyword_only_to_dense_only() -> None:
    dense, keyword = _confident_keyword_winner()
    # Min-max puts each retriever's last candidate at 0, level with what it missed.
    assert [h.chunk_id for h in fuse_convex(dense, keyword, k=3, weight=0.0)] == ["a", "c", "d"]
    assert [h.chunk_id for h in fuse_convex(dense, keyword, k=5, weight=1.0)] == list("bcdef")
    with pytest.raises(ValueError, match="fusion_weight"):
        fuse_convex(dense, keyword, k=5, weight=1.5)
    assert fuse_convex([], [], k=5) == []


def test_min_max_scales_each_retriever_to_0_1() -> None:
    assert min_max([2.0, 4.0, 3.0]) == [0.0, 1.0, 0.5]
    assert min_max([0.7]) == [1.0] and min_max([]) == []


def test_keyword_index_finds_the_81_days_passage(all_hits: list[Hit], reviews: dict[str, Review]) -> None:
    hits = KeywordIndex(all_hits).search("detained 81 days", k=3)
    assert hits and "81 days" in hits[0].text
    assert all(h.keyword_score is not None and h.keyword_score > 0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    _assert_hits_point_into_reviews(hits, reviews)


def test_keyword_index_returns_nothing_for_stopwords_or_unknown_words(all_hits: list[Hit]) -> None:
    index = KeywordIndex(all_hits)
    assert index.search("what did the film do", k=3) == []
    assert index.search("xylophone quasar", k=3) == []
    assert KeywordIndex([]).search("detained", k=3) == []


def test_dense_index_puts_the_detention_passage_in_the_top_3(
    dense: DenseIndex, embedder: Embedder, reviews: dict[str, Review]
) -> None:
    hits = dense.search(DETENTION_QUESTION, k=3)
    assert len(hits) == 3
    assert any("81 days" in h.text for h in hits), [h.text[:80] for h in hits]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(h.dense_score == h.score and -1.0 <= h.score <= 1.0 for h in hits)
    _assert_hits_point_into_reviews(hits, reviews)


def test_retriever_fuses_dense_and_keyword_hits(
    dense: DenseIndex, all_hits: list[Hit], embedder: Embedder, reviews: dict[str, Review]
) -> None:
    retriever = Retriever(dense, KeywordIndex(all_hits), candidates=10)
    hits = retriever.retrieve("How many days was Ai Weiwei detained?", k=4)
    assert len(hits) == 4
    assert len({h.chunk_id for h in hits}) == 4
    assert "81 days" in hits[0].text
    assert hits[0].dense_score is not None and hits[0].keyword_score is not None
    _assert_hits_point_into_reviews(hits, reviews)


@pytest.mark.parametrize("fusion", ["rrf", "convex"])
def test_retriever_puts_the_detention_passage_first_with_either_fusion(
    fusion: str, dense: DenseIndex, all_hits: list[Hit], embedder: Embedder
) -> None:
    retriever = Retriever(dense, KeywordIndex(all_hits), fusion=fusion)
    hits = retriever.retrieve("How many days was Ai Weiwei detained?", k=3)
    assert "81 days" in hits[0].text and len(hits) == 3


def test_retriever_rejects_an_unknown_fusion_or_weight(dense: DenseIndex, embedder: Embedder) -> None:
    keyword = KeywordIndex([])
    with pytest.raises(ValueError, match="unknown fusion 'sum'"):
        Retriever(dense, keyword, fusion="sum")
    with pytest.raises(ValueError, match="fusion_weight"):
        Retriever(dense, keyword, fusion="convex", fusion_weight=-0.1)


def test_load_all_hits_returns_every_chunk_in_review_order(
    live_collection: Any, all_hits: list[Hit], reviews: dict[str, Review]
) -> None:
    assert len(all_hits) == live_collection.count()
    assert [(h.review_id, h.start) for h in all_hits] == sorted((h.review_id, h.start) for h in all_hits)
    assert {h.review_id for h in all_hits} == set(reviews)
    _assert_hits_point_into_reviews(all_hits, reviews)
