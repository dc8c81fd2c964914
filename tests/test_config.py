"""Settings: typed defaults, ASSISTANT_* variables, overrides, and clear errors for bad values."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from assistant.config import PACKAGED_MODEL, Settings


def test_defaults_give_the_offline_embedded_setup() -> None:
    settings = Settings()
    assert settings.embedding_model == PACKAGED_MODEL
    assert settings.chroma_host is None
    assert settings.backend == "extractive"
    assert settings.corpus_dir == Path("corpus")
    assert settings.index_dir == Path("index")


def test_from_env_reads_assistant_variables_with_their_types() -> None:
    environ = {
        "ASSISTANT_TOP_K": "8",
        "ASSISTANT_LLM_TEMPERATURE": "0.25",
        "ASSISTANT_CORPUS_DIR": "/data/reviews",
        "ASSISTANT_CHROMA_HOST": "db.local",
        "ASSISTANT_CHROMA_PORT": "9000",
        "ASSISTANT_EMBEDDING_MODEL": "/models/minilm",
        "OTHER_TOP_K": "99",
    }
    settings = Settings.from_env(environ)
    assert settings.top_k == 8 and isinstance(settings.top_k, int)
    assert settings.llm_temperature == 0.25 and isinstance(settings.llm_temperature, float)
    assert settings.corpus_dir == Path("/data/reviews") and isinstance(settings.corpus_dir, Path)
    assert settings.chroma_host == "db.local"
    assert settings.chroma_port == 9000
    assert settings.embedding_model == "/models/minilm"


def test_from_env_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_CHUNK_SIZE", "250")
    assert Settings.from_env().chunk_size == 250


def test_settings_constructor_ignores_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_TOP_K", "8")
    assert Settings().top_k == 5


def test_every_field_round_trips_through_its_environment_variable() -> None:
    defaults = Settings()
    environ = {
        f"ASSISTANT_{f.name.upper()}": str(getattr(defaults, f.name))
        for f in dataclasses.fields(Settings)
        if getattr(defaults, f.name) is not None
    }
    assert Settings.from_env(environ) == defaults


def test_empty_variable_keeps_the_default() -> None:
    assert Settings.from_env({"ASSISTANT_TOP_K": ""}).top_k == Settings().top_k


def test_overrides_win_over_environment_and_none_overrides_are_ignored() -> None:
    environ = {"ASSISTANT_TOP_K": "8", "ASSISTANT_CHUNK_SIZE": "300"}
    settings = Settings.from_env(environ, top_k=3, chunk_size=None)
    assert settings.top_k == 3
    assert settings.chunk_size == 300


@pytest.mark.parametrize(
    ("variable", "raw", "kind"),
    [("ASSISTANT_TOP_K", "eight", "int"), ("ASSISTANT_REFUSAL_THRESHOLD", "high", "float")],
)
def test_bad_number_gives_a_clear_value_error(variable: str, raw: str, kind: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        Settings.from_env({variable: raw})
    message = str(excinfo.value)
    assert variable in message
    assert repr(raw) in message
    assert kind in message


def test_settings_are_frozen_and_replace_returns_a_changed_copy() -> None:
    settings = Settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.top_k = 9  # type: ignore[misc]
    changed = settings.replace(top_k=9)
    assert changed.top_k == 9
    assert settings.top_k == 5


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"ASSISTANT_BACKEND": "foo"}, "ASSISTANT_BACKEND=foo: choose one of extractive, openai, llamacpp"),
        ({"ASSISTANT_TOP_K": "-1"}, "ASSISTANT_TOP_K=-1: must be at least 1"),
        ({"ASSISTANT_FUSION": "sum"}, "ASSISTANT_FUSION=sum: choose one of rrf, convex"),
        ({"ASSISTANT_READER_SENTENCES": "-2"}, "ASSISTANT_READER_SENTENCES=-2: must be 0 (all) or more"),
        ({"ASSISTANT_WIDE_PASSAGES": "-1"}, "ASSISTANT_WIDE_PASSAGES=-1: must be 0 (off) or more"),
        ({"ASSISTANT_WIDE_THRESHOLD": "1.5"}, "ASSISTANT_WIDE_THRESHOLD=1.5: must be between 0 and 1"),
        ({"ASSISTANT_ANSWER_CHECKS": "maybe"}, "ASSISTANT_ANSWER_CHECKS='maybe' is not a valid bool"),
    ],
)
def test_a_bad_setting_fails_at_start_naming_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ValueError) as caught:
        Settings.from_env(env)
    assert named in str(caught.value)


def test_every_problem_is_listed_at_once() -> None:
    from assistant.config import settings_problems

    good = Settings()
    assert settings_problems(good) == []
    bad = object.__new__(Settings)
    bad.__dict__.update({**good.__dict__, "top_k": 0, "fusion_weight": 2.0})
    assert settings_problems(bad) == [
        "ASSISTANT_TOP_K=0: must be at least 1",
        "ASSISTANT_FUSION_WEIGHT=2.0: must be between 0 and 1",
    ]
