"""The answerability model: fitting, probabilities, the JSON file, and the one shipped in the package."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.answerability import AnswerabilityModel, ModelFileError, fit
from assistant.evidence import FEATURE_NAMES, Features


def features(cross: float, type_missing: float = 0.0) -> Features:
    return Features(cross, 0.0, 0.5, 0.5, 0.5, 0.5, type_missing)


def test_fit_learns_which_way_a_feature_points() -> None:
    rows = [features(c / 10) for c in range(-10, 11)]
    labels = [int(c > 0) for c in range(-10, 11)]
    model = fit(rows, labels, l2=0.1)
    assert model.weights[FEATURE_NAMES.index("cross")] > 0
    assert model.probability(features(0.9)) > 0.9 > 0.1 > model.probability(features(-0.9))


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    model = fit([features(-1), features(1)], [0, 1])
    model.save(tmp_path / "m.json")
    loaded = AnswerabilityModel.load(tmp_path / "m.json")
    assert loaded == model
    assert loaded.probability(features(1)) == model.probability(features(1))


def test_a_model_for_other_features_is_refused_with_advice(tmp_path: Path) -> None:
    model = fit([features(-1), features(1)], [0, 1])
    model.save(tmp_path / "m.json")
    data = json.loads((tmp_path / "m.json").read_text())
    data["feature_names"] = ["something", "else"]
    (tmp_path / "m.json").write_text(json.dumps(data))
    with pytest.raises(ModelFileError, match="train_answerability"):
        AnswerabilityModel.load(tmp_path / "m.json")


def test_an_unreadable_model_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text("{not json")
    with pytest.raises(ModelFileError, match="cannot read"):
        AnswerabilityModel.load(tmp_path / "m.json")
    with pytest.raises(ModelFileError, match="cannot read"):
        AnswerabilityModel.load(tmp_path / "missing.json")


def test_the_shipped_model_fits_the_current_features() -> None:
    model = AnswerabilityModel.load()
    assert model.feature_names == FEATURE_NAMES
    assert 0.0 < model.threshold < 1.0
    assert model.about["trained_on"] == "eval/train_questions.jsonl"
