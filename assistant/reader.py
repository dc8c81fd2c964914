"""The reader: does a sentence STATE the answer to a question? A fine-tuned MiniLM cross-encoder (int8 ONNX).

Made by scripts/train_reader.py from assistant/reader_data.py; runs with onnxruntime + tokenizers only.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

from .reranking import open_pair_model, pair_logits

MODEL_DIR = Path(__file__).resolve().parent / "models"
MODEL_PATH = MODEL_DIR / "reader.onnx"
FORMAT_VERSION = 1


class ReaderError(Exception):
    """The reader model could not be loaded; the message says what to do."""


class Reader:
    """Scores (question, sentence) pairs: the probability that the sentence states the answer."""

    def __init__(self, model_path: Path = MODEL_PATH, max_length: int = 128, threads: int = 2) -> None:
        model_path = Path(model_path)
        meta_path = model_path.with_suffix(".json")
        tokenizer_path = model_path.parent / "reader_tokenizer.json"
        for path in (model_path, meta_path, tokenizer_path):
            if not path.exists():
                raise ReaderError(
                    f"reader model file {path} is missing; build it with "
                    "`.venv/bin/python scripts/train_reader.py` (needs `pip install -e .[train]`)."
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
            self.session, self.tokenizer, self._inputs = open_pair_model(
                model_path, tokenizer_path, max_length, threads
            )
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ReaderError(f"cannot load {model_path}: {exc}") from exc
        self.meta = meta

    def logits(self, question: str, sentences: Sequence[str]) -> list[float]:
        """One raw logit per sentence, all sentences in one batch."""
        return pair_logits(self.session, self.tokenizer, self._inputs, question, sentences)

    def score(self, question: str, sentences: Sequence[str]) -> list[float]:
        """The probability (sigmoid of the logit) that each sentence states the answer to `question`."""
        return [1.0 / (1.0 + math.exp(-x)) for x in self.logits(question, sentences)]
