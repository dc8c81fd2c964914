"""assistant/corpus_stats.py: corpus-wide counts made once, saved, and used only for the same reviews."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from assistant import corpus_stats
from assistant.corpus import load_reviews
from assistant.corpus_stats import ReviewMap, count, ensure_counted, fingerprint, load_or_count
from assistant.policy import corpus_words

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def _reviews() -> dict[str, corpus_stats.Review]:
    return {r.id: r for r in load_reviews(CORPUS)}


def test_counted_once_then_read_back_equal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reviews = _reviews()
    mapping, words = load_or_count(reviews, tmp_path)
    assert isinstance(mapping, ReviewMap) and dict(mapping) == reviews
    assert words == corpus_words(reviews)
    assert mapping.term_stats == count(reviews)[0]
    assert len(list(tmp_path.glob("corpus-*.json"))) == 1

    def no_counting(_: object) -> None:
        raise AssertionError("counted again")

    monkeypatch.setattr(corpus_stats, "count", no_counting)
    again, words_again = load_or_count(reviews, tmp_path)
    assert again.term_stats == mapping.term_stats and words_again == words


def test_another_corpus_is_counted_anew(tmp_path: Path) -> None:
    reviews = _reviews()
    load_or_count(reviews, tmp_path)
    edited = dict(reviews)
    first = next(iter(edited))
    edited[first] = dataclasses.replace(edited[first], text=edited[first].text + " Zanzibar appears.")
    assert fingerprint(edited) != fingerprint(reviews)
    mapping, words = load_or_count(edited, tmp_path)
    assert "zanzibar" in words and mapping.term_stats is not None
    assert mapping.term_stats.df.get("zanzibar") == 1


def test_a_damaged_file_is_counted_again_and_no_folder_means_no_file(tmp_path: Path) -> None:
    reviews = _reviews()
    (tmp_path / f"corpus-{fingerprint(reviews)}.json").write_text("{broken", encoding="utf-8")
    mapping, _ = load_or_count(reviews, tmp_path)
    assert mapping.term_stats == count(reviews)[0]
    assert load_or_count(reviews, None)[0].term_stats == mapping.term_stats


def test_ensure_counted_writes_once_and_reads_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reviews = _reviews()
    ensure_counted(reviews, tmp_path)
    [saved] = tmp_path.glob("corpus-*.json")

    def no_reading(_: object) -> None:
        raise AssertionError("read or counted again")

    monkeypatch.setattr(corpus_stats, "count", no_reading)
    monkeypatch.setattr(corpus_stats, "_read", no_reading)
    ensure_counted(reviews, tmp_path)
    monkeypatch.undo()
    assert load_or_count(reviews, tmp_path)[0].term_stats == count(reviews)[0]
    assert list(tmp_path.glob("corpus-*.json")) == [saved]
