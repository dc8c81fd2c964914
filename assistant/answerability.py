"""A small logistic model: the probability that a review sentence answers the question.

Its weights are package data (`assistant/models/answerability.json`), fitted by
`scripts/train_answerability.py` on `eval/train_questions.jsonl` and never on the test set
`eval/questions.jsonl`. The extractive backend answers with the most probable sentences and refuses
when even the best one is below the threshold stored with the weights (or the
`refusal_threshold` setting).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .evidence import FEATURE_NAMES, Features

MODEL_FILE = "models/answerability.json"


class ModelFileError(Exception):
    """The answerability model file is missing, unreadable or made for other features."""


@dataclass(frozen=True)
class AnswerabilityModel:
    """Standardise the features, weigh them, squash: p = sigmoid(w . (x - mean) / scale + b)."""

    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    threshold: float
    feature_names: tuple[str, ...] = FEATURE_NAMES
    about: dict[str, Any] = field(default_factory=dict, compare=False)

    def probability(self, features: Features) -> float:
        """Return P(this sentence answers the question)."""
        x = (np.asarray(features.vector()) - np.asarray(self.mean)) / np.asarray(self.scale)
        z = float(np.dot(x, self.weights) + self.bias)
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))

    def save(self, path: Path) -> None:
        """Write the model as JSON (the format `load` reads)."""
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path | None = None) -> AnswerabilityModel:
        """Read the model from `path`, or the one shipped in the package."""
        try:
            if path is None:
                text = resources.files("assistant").joinpath(MODEL_FILE).read_text(encoding="utf-8")
            else:
                text = Path(path).read_text(encoding="utf-8")
            data: dict[str, Any] = json.loads(text)
            model = cls(
                weights=tuple(data["weights"]),
                bias=float(data["bias"]),
                mean=tuple(data["mean"]),
                scale=tuple(data["scale"]),
                threshold=float(data["threshold"]),
                feature_names=tuple(data["feature_names"]),
                about=dict(data.get("about", {})),
            )
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise ModelFileError(
                f"cannot read the answerability model ({path or MODEL_FILE}): {exc}"
            ) from exc
        if model.feature_names != FEATURE_NAMES:
            raise ModelFileError(
                f"the answerability model was fitted on features {model.feature_names}, this code computes "
                f"{FEATURE_NAMES}: run scripts/train_answerability.py"
            )
        return model


def fit(
    rows: Sequence[Features], labels: Sequence[int], l2: float = 1.0, iterations: int = 50
) -> AnswerabilityModel:
    """Fit an L2-regularised logistic regression by Newton's method (threshold left at 0.5)."""
    x = np.asarray([r.vector() for r in rows], dtype=float)
    y = np.asarray(labels, dtype=float)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    penalty = np.diag([l2] * (z.shape[1] - 1) + [0.0])  # the bias is not shrunk
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ w, -40, 40)))
        gradient = z.T @ (p - y) + penalty @ w
        hessian = (z.T * (p * (1 - p))) @ z + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return AnswerabilityModel(
        weights=tuple(float(v) for v in w[:-1]),
        bias=float(w[-1]),
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        threshold=0.5,
    )
