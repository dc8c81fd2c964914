"""assistant/keyword_store.py: a generation's keyword index saved beside the index, and loaded back whole."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.config import Settings
from assistant.embedding import Embedder
from assistant.indexing import build_index
from assistant.keyword_store import cache_path, keyword_folder, keyword_index, load, prune, save
from assistant.retrieval import KeywordIndex, load_all_hits
from assistant.store import open_store

QUERIES = ["How long was Ai Weiwei detained?", "sunflower seeds Tate Modern", "Klayman", "zzzz unknown"]


def test_saved_index_searches_like_the_one_built_from_chroma(built_index: Settings, tmp_path: Path) -> None:
    store = open_store(built_index)
    manifest = store.read_manifest()
    assert manifest is not None
    collection = store.collection(manifest.generation)
    fresh = KeywordIndex(load_all_hits(collection))
    save(fresh, tmp_path / "k.npz")
    loaded = load(tmp_path / "k.npz")
    for query in QUERIES:
        assert loaded.search(query, 7) == fresh.search(query, 7)
    np.testing.assert_array_equal(loaded.chunks.text_offsets, fresh.chunks.text_offsets)


def test_a_build_saves_the_live_generations_index_and_prunes_old_ones(
    settings: Settings, embedder: Embedder
) -> None:
    first = build_index(settings, embedder=embedder)
    folder = keyword_folder(settings)
    assert cache_path(folder, first.generation).exists()
    second = build_index(settings, embedder=embedder, force=True)
    third = build_index(settings, embedder=embedder, force=True)
    assert cache_path(folder, third.generation).exists()
    kept = {p.name.split(".")[0] for p in folder.glob("*.keyword.npz")}
    assert kept == {second.generation, third.generation}  # the live and the previous generation
    assert not cache_path(folder, first.generation).exists()


def test_a_damaged_file_is_rebuilt_from_chroma(built_index: Settings, tmp_path: Path) -> None:
    store = open_store(built_index)
    manifest = store.read_manifest()
    assert manifest is not None
    collection = store.collection(manifest.generation)
    path = cache_path(tmp_path, collection.name)
    path.write_bytes(b"not a numpy file")
    index = keyword_index(collection, tmp_path)
    assert index.search(QUERIES[0], 3)
    assert load(path).search(QUERIES[0], 3) == index.search(QUERIES[0], 3)  # rewritten whole
    (tmp_path / "empty.npz").write_bytes(b"")
    with pytest.raises(ValueError, match="not a saved keyword index"):
        load(tmp_path / "empty.npz")


def test_prune_keeps_only_named_generations(tmp_path: Path) -> None:
    for name in ("g1", "g2", "g3"):
        cache_path(tmp_path, name).write_bytes(b"x")
    (tmp_path / "unrelated.txt").write_text("keep me", encoding="utf-8")
    assert prune(tmp_path, {"g2"}) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g2.keyword.npz", "unrelated.txt"]
    assert prune(tmp_path / "missing", set()) == 0
