"""scripts/make_corpus.py: a deterministic synthetic corpus that the corpus reader accepts."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from assistant.corpus import read_corpus

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR / "scripts"))

from make_corpus import main, write_corpus  # noqa: E402

N = 30


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("made") / "corpus"
    write_corpus(N, directory, seed=7)
    return directory


def _texts(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_writes_n_files_that_the_corpus_reader_accepts(made: Path) -> None:
    assert len(list(made.glob("review-*.md"))) == N
    corpus = read_corpus(made)
    assert corpus.problems == ()
    assert len(corpus.reviews) == N
    assert len({r.title for r in corpus.reviews}) == N - 1  # the two real reviews share theirs
    assert len({r.outlet for r in corpus.reviews}) > N // 3
    assert len({r.author for r in corpus.reviews}) > N // 3
    assert len({r.date for r in corpus.reviews}) > N // 2


def test_the_real_reviews_are_copied_unchanged(made: Path) -> None:
    for name in ("review-000.md", "review-001.md"):
        assert (made / name).read_bytes() == (PROJECT_DIR / "corpus" / name).read_bytes()


def test_synthetic_reviews_are_about_4_kb_differ_and_never_name_the_real_film(made: Path) -> None:
    synthetic = {k: v for k, v in _texts(made).items() if len(k) == len("review-00002.md")}
    assert len(synthetic) == N - 2
    sizes = [len(data) for data in synthetic.values()]
    assert all(3000 <= size <= 6000 for size in sizes)
    assert 3500 <= sum(sizes) / len(sizes) <= 5000
    bodies = [data.decode("utf-8").split("\n---\n", 1)[1] for data in synthetic.values()]
    assert len(set(bodies)) == len(bodies)
    paragraphs = [p for body in bodies for p in body.split("\n\n")]
    assert len(set(paragraphs)) > 0.95 * len(paragraphs)
    assert not any("Weiwei" in body or "Never Sorry" in body or "Klayman" in body for body in bodies)


def test_same_seed_same_files_other_seed_other_files(made: Path, tmp_path: Path) -> None:
    write_corpus(N, tmp_path / "again", seed=7)
    write_corpus(N, tmp_path / "other", seed=8)
    assert _texts(tmp_path / "again") == _texts(made)
    other = _texts(tmp_path / "other")
    assert other.keys() == _texts(made).keys()
    assert other["review-00002.md"] != _texts(made)["review-00002.md"]


def test_a_review_does_not_depend_on_the_corpus_size(made: Path, tmp_path: Path) -> None:
    write_corpus(5, tmp_path / "small", seed=7)
    assert (tmp_path / "small" / "review-00004.md").read_bytes() == (made / "review-00004.md").read_bytes()


def test_the_command_refuses_a_folder_with_files_in_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["3", str(tmp_path / "new")]) == 0
    assert "wrote 3 reviews" in capsys.readouterr().out
    assert main(["3", str(tmp_path / "new")]) == 2
    assert "not empty" in capsys.readouterr().err
