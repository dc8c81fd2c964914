"""The packaged ONNX cross-encoder (assistant/reranking.py) and its side-by-side one-pair runs."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from assistant.reader_data import load_sentences
from assistant.reranking import OnnxCrossEncoder, PairRunner, RerankerError

PROJECT_DIR = Path(__file__).resolve().parents[1]


def test_a_pair_runner_keeps_the_order_of_its_items() -> None:
    def slow_first(item: str) -> str:
        time.sleep(0.05 if item == "a" else 0.0)  # the first item finishes last
        return item.upper()

    assert PairRunner(3).map(slow_first, ["a", "b", "c", "d"]) == ["A", "B", "C", "D"]
    assert PairRunner(1).map(slow_first, ["a", "b"]) == ["A", "B"]
    assert PairRunner(2).map(slow_first, []) == []


def test_a_pair_runner_runs_on_its_threads() -> None:
    seen: set[int] = set()
    barrier = threading.Barrier(2, timeout=5)

    def meet(item: str) -> str:
        seen.add(threading.get_ident())
        barrier.wait()  # both items must be running at once, or this times out
        return item

    assert PairRunner(2).map(meet, ["x", "y"]) == ["x", "y"]
    assert len(seen) == 2


def test_side_by_side_logits_are_the_one_at_a_time_logits() -> None:
    sentences = [s.text for s in load_sentences(PROJECT_DIR / "corpus")][:10]
    question = "Who directed the film?"
    two = OnnxCrossEncoder(max_length=128, threads=2).score(question, sentences)
    one = OnnxCrossEncoder(max_length=128, threads=1).score(question, sentences)
    assert two == pytest.approx(one, abs=1e-6)
    assert max(range(len(two)), key=two.__getitem__) == max(range(len(one)), key=one.__getitem__)


def test_a_folder_without_a_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RerankerError, match="no model.onnx"):
        OnnxCrossEncoder(tmp_path)
