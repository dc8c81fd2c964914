"""scripts/train_reader.py: the parts of training that are logic, not training (a soup of tops)."""

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
