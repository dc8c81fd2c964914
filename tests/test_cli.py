"""The command line: `assistant index | status | add-review`, exit codes and clear error messages."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import cli
from assistant.chunking import split_review
from assistant.config import Settings
from assistant.corpus import clean_page_text, load_reviews
from assistant.embedding import Embedder

ASSISTANT = str(Path(sys.executable).with_name("assistant"))
RAW_000 = Path(__file__).parent / "data" / "raw" / "000_db3d75a1ae830a26.txt"


def _where(settings: Settings) -> list[str]:
    return ["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]


def _chunk_count(settings: Settings) -> int:
    return sum(
        len(split_review(r, settings.chunk_size, settings.chunk_overlap_sentences))
        for r in load_reviews(Path(settings.corpus_dir))
    )


def _edit_one(settings: Settings) -> None:
    path = Path(settings.corpus_dir) / "review-001.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")


def test_index_says_what_it_did(
    settings: Settings, embedder: Embedder, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["index", *_where(settings)]) == 0
    out, err = capsys.readouterr()
    total = _chunk_count(settings)
    assert f"added 2, changed 0, removed 0, unchanged 0 reviews; embedded {total} of {total} chunks" in out
    assert "added: review-000" not in out  # one line; -v lists the reviews
    assert "embedding chunks" in err and f"{total}/{total}" in err  # the progress bar
    assert "chunk/s" in err

    _edit_one(settings)
    assert cli.main(["index", "-v", *_where(settings)]) == 0
    out = capsys.readouterr().out
    assert "added 0, changed 1, removed 0, unchanged 1 reviews" in out
    assert "  changed: review-001\n" in out

    assert cli.main(["index", "--quiet", *_where(settings)]) == 0
    assert capsys.readouterr().out == f"index is up to date (2 reviews, {total} chunks).\n"

    review = Path(settings.corpus_dir) / "review-001.md"
    review.write_text(review.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    assert cli.main(["index", "--quiet", *_where(settings)]) == 0
    out, err = capsys.readouterr()
    assert "added 0, changed 1, removed 0, unchanged 1 reviews" in out
    assert "changed: review-001" not in out  # without -v
    assert "embedding chunks" not in err  # --quiet


def test_index_rebuild_says_why(
    built_index: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = built_index.replace(index_dir=tmp_path / "index")
    assert cli.main(["index", "--quiet", "--rebuild", *_where(settings)]) == 0
    out = capsys.readouterr().out
    assert "(full rebuild: requested)" in out
    assert out.startswith("added 2, changed 0, removed 0, unchanged 0 reviews")


def test_status_exit_codes(built_index: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["status", *_where(built_index)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("index: up to date\n")
    per_review = len(
        split_review(
            load_reviews(Path(built_index.corpus_dir))[0],
            built_index.chunk_size,
            built_index.chunk_overlap_sentences,
        )
    )
    assert f"review-000: {per_review} chunks" in out

    missing = built_index.replace(index_dir=tmp_path / "no-index")
    assert cli.main(["status", *_where(missing)]) == 1
    assert capsys.readouterr().out.startswith("index: missing (no index built yet)")

    # The same index seen from a corpus where one review changed and one was added.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in Path(built_index.corpus_dir).glob("*.md"):
        (corpus / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (corpus / "review-001.md").write_text(
        (corpus / "review-001.md").read_text(encoding="utf-8") + "\nEdited.\n", encoding="utf-8"
    )
    (corpus / "review-002.md").write_text('---\ntitle: "New"\n---\nA new review.\n', encoding="utf-8")
    stale = built_index.replace(corpus_dir=corpus)
    assert cli.main(["status", *_where(stale)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("index: stale (the corpus changed since the last build)")
    assert "added since last build: review-002" in out
    assert "changed since last build: review-001" in out

    # Many changes: the first lines and a count; -v lists them all.
    for n in range(3, 40):
        text = f'---\ntitle: "R{n}"\n---\nReview {n}.\n'
        (corpus / f"review-{n:03d}.md").write_text(text, encoding="utf-8")
    assert cli.main(["status", *_where(stale)]) == 1
    out = capsys.readouterr().out
    assert "2 reviews, " in out and "… and 21 more lines (-v lists them all)" in out
    assert "added since last build: review-039" not in out
    assert cli.main(["status", "-v", *_where(stale)]) == 1
    assert "added since last build: review-039" in capsys.readouterr().out


def test_add_review_writes_a_cleaned_file_that_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    args = ["add-review", str(RAW_000), "--title", "Ai Weiwei: Never Sorry", "--corpus", str(corpus)]
    assert (
        cli.main([*args, "--outlet", "Test Weekly", "--date", "2012-08-10", "--url", "https://example.org/r"])
        == 0
    )
    written = corpus / "test-weekly-2012-08-10.md"
    assert f"wrote {written}" in capsys.readouterr().out
    assert written.read_text(encoding="utf-8").startswith("---\ntitle: 'Ai Weiwei: Never Sorry'\n")
    [review] = load_reviews(corpus)
    assert review.id == "test-weekly-2012-08-10"
    assert review.text == clean_page_text(RAW_000.read_text(encoding="utf-8"))
    assert "Leave a Reply" not in review.text
    assert (review.title, review.outlet, review.date, review.url) == (
        "Ai Weiwei: Never Sorry",
        "Test Weekly",
        "2012-08-10",
        "https://example.org/r",
    )

    assert cli.main([*args, "--outlet", "Test Weekly", "--date", "2012-08-10"]) == 2
    assert "already exists; pass --id" in capsys.readouterr().err
    assert cli.main([*args, "--id", "second-copy"]) == 0
    assert [r.id for r in load_reviews(corpus)] == ["second-copy", "test-weekly-2012-08-10"]


def test_add_review_creates_a_missing_corpus_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "new-corpus"
    assert cli.main(["add-review", str(RAW_000), "--title", "Never Sorry", "--corpus", str(corpus)]) == 0
    assert [r.id for r in load_reviews(corpus)] == ["never-sorry"]


def test_add_review_of_a_missing_page_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "no-such-page.txt"
    assert cli.main(["add-review", str(page), "--title", "T", "--corpus", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "no-such-page.txt" in err


def test_add_review_of_a_page_with_only_boilerplate_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "page.txt"
    page.write_text("Leave a Reply\n\nReturn to previous page\n", encoding="utf-8")
    assert cli.main(["add-review", str(page), "--title", "T", "--corpus", str(tmp_path)]) == 2
    assert "nothing left after cleaning" in capsys.readouterr().err
    assert list(tmp_path.glob("*.md")) == []


def _add_latin1_review(settings: Settings) -> None:
    (Path(settings.corpus_dir) / "review-002.md").write_bytes(
        "---\ntitle: Café\n---\nTexte.\n".encode("latin-1")
    )


def test_bad_corpus_stops_a_build_with_an_error_message(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    _add_latin1_review(settings)
    assert cli.main(["index", *_where(settings)]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("error: some review files cannot be used:")
    assert "review-002.md: not UTF-8" in err
    assert "Traceback" not in err + out


def test_bad_corpus_file_is_named_by_status_which_still_reports(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    _add_latin1_review(settings)
    assert cli.main(["status", *_where(settings)]) == 1
    out, err = capsys.readouterr()
    assert out.startswith("index: ") and "cannot use: " in out and "review-002.md: not UTF-8" in out
    assert "Traceback" not in err + out


def test_missing_corpus_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["status", "--corpus", str(tmp_path / "nowhere"), "--index", str(tmp_path / "i")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_bad_environment_value_exits_2(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ASSISTANT_CHUNK_SIZE", "big")
    assert cli.main(["status", *_where(settings)]) == 2
    assert capsys.readouterr().err == "error: ASSISTANT_CHUNK_SIZE='big' is not a valid int\n"


def test_index_while_another_build_holds_the_lock_exits_2(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    Path(settings.index_dir).mkdir(parents=True)
    with open(Path(settings.index_dir) / ".build.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running build would
        assert cli.main(["index", "--quiet", *_where(settings)]) == 2
    assert "another index build is running" in capsys.readouterr().err


def test_interrupted_index_exits_130_and_says_the_index_is_unchanged(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_index", interrupted)
    assert cli.main(["index", *_where(settings)]) == 130
    assert "interrupted: the index is unchanged." in capsys.readouterr().err


def test_no_command_prints_help_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 1
    out = capsys.readouterr().out
    assert out.startswith("usage: assistant")
    for command in ("index", "status", "add-review"):
        assert command in out


def test_installed_entry_point_reports_status_and_errors_without_traceback(
    built_index: Settings, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(built_index.corpus_dir),
        "ASSISTANT_INDEX_DIR": str(built_index.index_dir),
    }
    ok = subprocess.run([ASSISTANT, "status"], env=env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("index: up to date\n")

    bad = tmp_path / "bad-corpus"
    bad.mkdir()
    (bad / "review.md").write_text("no front matter\n", encoding="utf-8")
    failed = subprocess.run(
        [ASSISTANT, "index", "--corpus", str(bad)], env=env, capture_output=True, text=True, timeout=120
    )
    assert failed.returncode == 2
    assert failed.stderr.startswith("error: some review files cannot be used:")
    assert "review.md: no metadata block" in failed.stderr
    assert "Traceback" not in failed.stderr


def test_review_text_cannot_put_control_codes_on_the_terminal() -> None:
    from assistant.answering import Answer
    from assistant.citations import Citation

    quote = "Ai was detained\x1b[2J\x07 for 81\x00 days."
    answer = Answer(
        "He was held for 81 days [1].",
        (Citation(1, "r", "Title\x1b]0;pwned\x07", 0, len(quote), quote, "2012"),),
        False,
        "q",
        "q",
        "extractive",
    )
    shown = cli.format_answer(answer)
    assert not any(c in shown for c in "\x1b\x07\x00")
    assert "Ai was detained[2J for 81 days." in shown and "[1] Title]0;pwned (r, chars" in shown


@pytest.mark.parametrize("damage", ["garbage sqlite", "live collection deleted"])
def test_rebuild_repairs_a_broken_index_whatever_its_state(tmp_path: Path, damage: str) -> None:
    import shutil

    from assistant.store import open_store

    corpus = tmp_path / "corpus"
    shutil.copytree(Path(__file__).resolve().parents[1] / "corpus", corpus)
    env = {**os.environ, "ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_INDEX_DIR": str(tmp_path / "index")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([ASSISTANT, *args], env=env, capture_output=True, text=True, timeout=300)

    assert run("index", "--quiet").returncode == 0
    sqlite = tmp_path / "index" / "chroma" / "chroma.sqlite3"
    if damage == "garbage sqlite":
        sqlite.write_bytes(b"this is not a database" * 100)
    else:
        settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
        store = open_store(settings)
        manifest = store.read_manifest()
        assert manifest is not None
        store.client.delete_collection(manifest.generation)

    status = run("status")
    assert status.returncode == 1 and "Traceback" not in status.stderr
    assert "index: broken" in status.stdout + status.stderr or "--rebuild" in status.stderr

    rebuilt = run("index", "--rebuild", "--quiet")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert "moved it to" in rebuilt.stdout
    assert list((tmp_path / "index").glob("broken-*"))  # moved aside, not deleted
    assert run("status").stdout.startswith("index: up to date")
    answer = run("ask", "How long was Ai Weiwei detained?")
    assert answer.returncode == 0 and "81 days" in answer.stdout
