"""The embedding model run by ONNX Runtime: same vectors as sentence-transformers, faster, no torch.

A sentence-transformers folder (a BERT with mean pooling, like the packaged all-MiniLM-L6-v2) is exported
once to ONNX with torch (`export`), optionally with int8 weights (`onnxruntime.quantization`), and kept in
a cache folder keyed by the source model; later runs load only onnxruntime and tokenizers. Passages are
embedded in batches of similar length, so short passages are not padded to the longest one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: The `embedding_runtime` setting's choices.
RUNTIMES = ("onnx", "onnx-int8", "torch")
EXPORT_VERSION = 2  # 2: int8 weights quantized per output channel


class OnnxEmbeddingError(Exception):
    """The model could not be exported to, or loaded from, ONNX; the message says what to try."""


def cache_dir() -> Path:
    """Where exported models are kept: $ASSISTANT_CACHE_DIR, else ~/.cache/never-sorry-assistant."""
    root = os.environ.get("ASSISTANT_CACHE_DIR") or Path.home() / ".cache" / "never-sorry-assistant"
    return Path(root)


def model_key(model_dir: Path, int8: bool) -> str:
    """A name for the export of `model_dir`: its config and weight files' names, sizes and times."""
    digest = hashlib.sha256(f"v{EXPORT_VERSION}:{int8}:{model_dir.resolve()}".encode())
    for path in sorted(model_dir.iterdir()):
        if path.is_file():
            stat = path.stat()
            digest.update(f"{path.name}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    return digest.hexdigest()[:16]


def export(model_dir: Path, out_path: Path, int8: bool) -> Path:
    """Write the transformer of the sentence-transformers folder `model_dir` as ONNX to `out_path`.

    Inputs input_ids / attention_mask / token_type_ids (batch, sequence); output the last hidden state.
    Written to a temporary name and renamed, so a killed export leaves nothing half-written.
    """
    import torch
    from transformers import AutoModel

    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.{os.getpid()}.tmp")
    bert = AutoModel.from_pretrained(str(model_dir)).eval()

    class Transformer(torch.nn.Module):  # named inputs: forward()'s positional order differs by version
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    ids = torch.ones((2, 8), dtype=torch.long)
    axes = {0: "batch", 1: "sequence"}
    # The tracer warns about shape checks it freezes; tests/test_onnx_embedding.py checks the vectors
    # of padded batches and of texts past the length limit against torch's.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Transformer(),
            (ids, torch.ones_like(ids), torch.zeros_like(ids)),
            str(tmp),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes},
            opset_version=17,
            dynamo=False,
        )
    if int8:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantized = tmp.with_suffix(".int8.tmp")
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # quantize_dynamic logs a pre-processing tip to the root logger
        try:
            quantize_dynamic(str(tmp), str(quantized), weight_type=QuantType.QInt8, per_channel=True)
        finally:
            root.setLevel(level)
        tmp.unlink()
        tmp = quantized
    os.replace(tmp, out_path)
    return out_path


class OnnxEmbedder:
    """LangChain-shaped embeddings (embed_documents / embed_query) from an exported model."""

    def __init__(self, model_dir: Path, int8: bool = False, threads: int = 0, batch_size: int = 32) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_dir = Path(model_dir)
        onnx_path = cache_dir() / f"{model_dir.name}-{model_key(model_dir, int8)}.onnx"
        try:
            if not onnx_path.exists():
                export(model_dir, onnx_path, int8)
            options = ort.SessionOptions()
            if threads:
                options.intra_op_num_threads = threads
            self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
            self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        except Exception as exc:  # torch, onnx and onnxruntime raise their own types
            raise OnnxEmbeddingError(
                f"cannot run {model_dir} with ONNX Runtime ({onnx_path}): {exc}"
            ) from exc
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=_max_length(model_dir))
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.batch_size = batch_size
        self.path = onnx_path

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Unit-length mean-pooled vectors of `texts`, in order, batched by token length."""
        encodings = self.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out: list[Any] = [None] * len(texts)
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            for i, vector in zip(batch, self._run([encodings[i] for i in batch]), strict=True):
                out[i] = vector.tolist()
        return out

    def embed_query(self, text: str) -> list[float]:
        """The vector of one question."""
        return self.embed_documents([text])[0]

    def _run(self, encodings: Sequence[Any]) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self.session.run(None, {k: v for k, v in feeds.items() if k in self.inputs})[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray(pooled / np.clip(norms, 1e-12, None), dtype=np.float32)


def _max_length(model_dir: Path) -> int:
    """The model's sentence-transformers max_seq_length (256 for all-MiniLM-L6-v2), else 512."""
    config = model_dir / "sentence_bert_config.json"
    try:
        return int(json.loads(config.read_text(encoding="utf-8"))["max_seq_length"])
    except (OSError, ValueError, KeyError):
        return 512
