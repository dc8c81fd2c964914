"""Shared fixtures: a private copy of the corpus, settings pointing into tmp, the real embedding model."""

from __future__ import annotations

import os

# Set before anything imports gradio, huggingface_hub or chromadb: tests never phone home.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import shutil  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from assistant.config import PACKAGED_MODEL, Settings  # noqa: E402
from assistant.embedding import Embedder, load_embedder  # noqa: E402

PROJECT_DIR = Path(__file__).resolve().parents[1]
SHIPPED_CORPUS = PROJECT_DIR / "corpus"
DATA_DIR = Path(__file__).resolve().parent / "data"
RAW_PAGES = sorted((DATA_DIR / "raw").glob("*.txt"))
# The embedding model's ONNX export (onnx_embedding.cache_dir): made once per test session, not in ~/.cache.
CACHE_VARIABLE = "ASSISTANT_CACHE_DIR"
TEST_CACHE = tempfile.mkdtemp(prefix="assistant-test-cache-")
os.environ[CACHE_VARIABLE] = TEST_CACHE


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove the session's cache (up to ~220 MB of exported models), pass or fail."""
    shutil.rmtree(TEST_CACHE, ignore_errors=True)


@pytest.fixture(autouse=True)
def _no_assistant_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's ASSISTANT_* variables out of every test."""
    for name in list(os.environ):
        if name.startswith("ASSISTANT_") and name != CACHE_VARIABLE:
            monkeypatch.delenv(name)


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A private, writable copy of the shipped corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(SHIPPED_CORPUS, target)
    return target


@pytest.fixture
def settings(corpus_dir: Path, tmp_path: Path) -> Settings:
    """Default settings over the private corpus copy, with the index in tmp."""
    return Settings(corpus_dir=corpus_dir, index_dir=tmp_path / "index")


@pytest.fixture(params=RAW_PAGES, ids=[p.name for p in RAW_PAGES])
def raw_page(request: pytest.FixtureRequest) -> Path:
    """Each saved raw review page (page text with its boilerplate), in turn."""
    path: Path = request.param
    return path


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real packaged embedding model as the default settings run it, loaded once per session."""
    return load_embedder(PACKAGED_MODEL, Settings().embedding_runtime)


class CachedEmbedder:
    """The real model, remembering each passage's vector: tests that build many indexes embed a text once."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self._vectors: dict[str, list[float]] = {}

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, self.inner.embed_documents(missing), strict=True))
        return [self._vectors[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


@pytest.fixture(scope="session")
def cached_embedder(embedder: Embedder) -> CachedEmbedder:
    """The real model behind a per-text cache: same vectors, computed once per session."""
    return CachedEmbedder(embedder)


@pytest.fixture(scope="session")
def built_index(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    """Settings of a real index built once from a copy of the shipped corpus. Read it; never modify it."""
    from assistant.indexing import build_index

    root = tmp_path_factory.mktemp("built")
    shutil.copytree(SHIPPED_CORPUS, root / "corpus")
    settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index")
    build_index(settings, embedder=embedder)
    return settings
