"""assistant/onnx_embedding.py and the embedding_runtime setting: torch's vectors, exported once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.config import PACKAGED_MODEL, Settings, SettingsError
from assistant.embedding import Embedder, EmbeddingError, embed_in_batches, load_embedder, resolve_model_path
from assistant.onnx_embedding import OnnxEmbedder, OnnxEmbeddingError, cache_dir
from assistant.store import vector_kind

TEXTS = [
    "Ai Weiwei was detained for 81 days in 2011.",
    "Directed by Alison Klayman",
    "The Sunflower Seeds at Tate Modern were hand-painted porcelain, millions of them, each one made by "
    "artisans in Jingdezhen over two and a half years of work.",
    "",
    "A long review paragraph. " * 120,  # past the model's 256-token limit: truncated alike
]


def test_onnx_vectors_equal_torch_vectors(embedder: Embedder) -> None:
    assert isinstance(embedder, OnnxEmbedder)  # the default runtime (int8)
    embedder = load_embedder(PACKAGED_MODEL, "onnx")
    torch_vectors = np.array(load_embedder(PACKAGED_MODEL, "torch").embed_documents(TEXTS))
    onnx_vectors = np.array(embedder.embed_documents(TEXTS))
    assert onnx_vectors.shape == torch_vectors.shape == (len(TEXTS), 384)
    np.testing.assert_allclose((onnx_vectors * torch_vectors).sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(onnx_vectors, axis=1), 1.0, atol=1e-5)
    query = np.array(embedder.embed_query(TEXTS[0]))
    np.testing.assert_allclose(query, onnx_vectors[0], atol=1e-5)  # batching does not change a vector


def test_export_is_cached_and_reused(embedder: Embedder) -> None:
    assert isinstance(embedder, OnnxEmbedder)
    path = embedder.path
    assert path.parent == cache_dir() and path.exists()
    stamp = path.stat().st_mtime_ns
    again = OnnxEmbedder(
        Path(resolve_model_path(PACKAGED_MODEL)), int8=Settings().embedding_runtime == "onnx-int8"
    )
    assert again.path == path and path.stat().st_mtime_ns == stamp
    assert not list(cache_dir().glob(".*.tmp"))  # no half-written export left behind


def test_int8_is_close_but_its_own_kind_of_vector() -> None:
    int8 = load_embedder(PACKAGED_MODEL, "onnx-int8")
    fp32 = load_embedder(PACKAGED_MODEL, "onnx")
    a, b = np.array(int8.embed_documents(TEXTS[:3])), np.array(fp32.embed_documents(TEXTS[:3]))
    assert ((a * b).sum(axis=1) > 0.97).all()  # per-channel weights (per-tensor ones: 0.90)
    assert vector_kind("onnx-int8") != vector_kind("onnx") == vector_kind("torch")


def test_a_folder_that_is_not_a_model_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(OnnxEmbeddingError, match="cannot run"):
        OnnxEmbedder(tmp_path)
    with pytest.raises(EmbeddingError, match="ASSISTANT_EMBEDDING_RUNTIME=torch"):
        load_embedder(str(tmp_path), "onnx")


def test_unknown_runtime_is_rejected() -> None:
    with pytest.raises(SettingsError, match="EMBEDDING_RUNTIME=gpu: choose one of onnx, onnx-int8, torch"):
        Settings(embedding_runtime="gpu")


class Counting:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.seen += texts
        return [[float(len(t))] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return [float(len(text))]


def test_embed_in_batches_embeds_each_distinct_text_once_in_order() -> None:
    fake = Counting()
    progress: list[tuple[int, int]] = []
    texts = ["ccc", "a", "ccc", "bb", "a", "dddd"]
    vectors = embed_in_batches(fake, texts, 2, lambda done, total: progress.append((done, total)))
    assert vectors == [[3.0], [1.0], [3.0], [2.0], [1.0], [4.0]]
    assert sorted(fake.seen) == ["a", "bb", "ccc", "dddd"]
    assert fake.seen == ["a", "bb", "ccc", "dddd"]  # by length, so a batch pads little
    done = [d for d, _ in progress]
    assert progress[-1] == (6, 6) and done == sorted(done)
