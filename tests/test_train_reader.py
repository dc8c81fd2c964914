"""scripts/train_reader.py: the parts of training that are logic, not training (a soup of tops, teachers)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR / "scripts"))

from train_reader import average_states, soup_sha256  # noqa: E402


def test_a_soup_is_the_mean_of_its_members_weights() -> None:
    a = torch.nn.Linear(3, 1)
    b = torch.nn.Linear(3, 1)
    soup = torch.nn.Linear(3, 1)
    soup.load_state_dict(average_states([a.state_dict(), b.state_dict()]))
    assert torch.allclose(soup.weight, (a.weight + b.weight) / 2)
    assert torch.allclose(soup.bias, (a.bias + b.bias) / 2)
    x = torch.randn(4, 3)
    # A linear model's soup answers the mean of its members' answers.
    assert torch.allclose(soup(x), (a(x) + b(x)) / 2, atol=1e-6)


def test_members_of_another_shape_are_refused() -> None:
    with pytest.raises(ValueError, match="architecture"):
        average_states([torch.nn.Linear(3, 1).state_dict(), torch.nn.Bilinear(3, 3, 1).state_dict()])


def test_the_soups_data_hash_names_every_member() -> None:
    one = soup_sha256({13: "a" * 64, 14: "b" * 64})
    assert one == soup_sha256({14: "b" * 64, 13: "a" * 64})
    assert one != soup_sha256({13: "a" * 64, 14: "c" * 64})
    assert one != soup_sha256({13: "a" * 64})


def test_the_teachers_target_is_their_probability_weighted(tmp_path: Path) -> None:
    # The shipped reader as teacher, twice: the mean of two equal logits is the logit, so the target is
    # weight x the probability the reader gives the same pair at run time.
    from train_reader import MAX_LENGTH, PairScorer, teacher_targets

    from assistant.reader import MODEL_DIR, Reader, open_base
    from assistant.reranking import open_tokenizer, packaged_reranker_dir

    reader = Reader()
    output = reader.meta["base_output"]
    base_dir = packaged_reranker_dir()
    scorer = PairScorer(
        None,
        open_base(base_dir / "model.onnx", output, 1),
        open_tokenizer(base_dir / "tokenizer.json", MAX_LENGTH),
        output,
    )
    question = "Who directed the film?"
    sentences = [
        "Directed by Alison Klayman",
        "He is unrelenting in his defiance.",
        "Ai Weiwei smashes an urn.",
    ]
    keys = [(question, s) for s in sentences]
    scorer.precompute(keys)
    targets = teacher_targets([MODEL_DIR, MODEL_DIR], scorer, keys, output, 0.5)
    expected = reader.score(question, sentences)
    assert [targets[k] for k in keys] == pytest.approx([0.5 * p for p in expected], abs=1e-5)
    with pytest.raises(SystemExit, match="another base layer"):
        teacher_targets([MODEL_DIR], scorer, keys, "another/output", 0.5)
