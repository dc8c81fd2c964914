"""Adding a saved page to the corpus and trashing a review: real files in tmp_path."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest
from conftest import RAW_PAGES

from assistant import corpus_edits
from assistant.corpus import CorpusError, clean_page_text, load_reviews
from assistant.corpus_edits import (
    MAX_PAGE_BYTES,
    ReviewExistsError,
    ReviewFields,
    add_review,
    html_text,
    new_review,
    restore_review,
    trash_review,
)

PAGE = "Ai Weiwei was detained for 81 days.\n\nLeave a Reply\n\nThe film screened in Tromsø.\n"
HTML_PAGE = """<!doctype html><html><head><title>Site</title><style>p { color: red }</style></head>
<body><nav><a href="/">Home</a> | <a href="/films">Films</a></nav>
<article><h1>Never&nbsp;Sorry</h1>
<p>Klayman's film   follows the artist
 through <b>three</b> years.</p><p>It screened at the Tromsø&#8217;s festival.<br>Leave a Reply</p>
<script>var tracking = 1;</script></article><footer>© 2012 Film Weekly</footer></body></html>"""


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes: what 'nothing changed' compares."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def write_page(tmp_path: Path, name: str, content: str | bytes) -> Path:
    page = tmp_path / "upload" / name
    page.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        page.write_bytes(content)
    else:
        page.write_text(content, encoding="utf-8")
    return page


def test_add_review_writes_a_cleaned_file_that_loads_back(corpus_dir: Path, tmp_path: Path) -> None:
    page = write_page(tmp_path, "page.txt", PAGE)
    fields = ReviewFields(
        title=" Never  Sorry ", outlet="Arctic Film", author="A. N. Other", date="July 2012"
    )
    review = add_review(page, fields, corpus_dir)
    assert review.id == "arctic-film-july-2012" and review.path == str(corpus_dir / f"{review.id}.md")
    loaded = {r.id: r for r in load_reviews(corpus_dir)}[review.id]
    assert loaded.text == clean_page_text(PAGE) == review.text and "Leave a Reply" not in loaded.text
    assert (loaded.title, loaded.outlet, loaded.author, loaded.date) == (
        "Never Sorry",
        "Arctic Film",
        "A. N. Other",
        "July 2012",
    )
    assert not list(corpus_dir.glob(".adding-*"))


def test_an_iso_date_stays_text(corpus_dir: Path, tmp_path: Path) -> None:
    page = write_page(tmp_path, "page.md", PAGE)
    review = add_review(page, ReviewFields(title="T", date="2012-07-27"), corpus_dir)
    assert review.id == "t-2012-07-27" and review.date == "2012-07-27"


def test_an_html_page_gives_its_text_without_scripts_menus_or_boilerplate(
    corpus_dir: Path, tmp_path: Path
) -> None:
    page = write_page(tmp_path, "saved.html", HTML_PAGE)
    review = add_review(page, ReviewFields(title="Never Sorry", outlet="Film Weekly"), corpus_dir)
    assert review.text == (
        "Never Sorry\n\nKlayman's film follows the artist through three years.\n\n"
        "It screened at the Tromsø’s festival.\n"
    )


def test_html_text_doctest() -> None:
    assert doctest.testmod(corpus_edits).failed == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("review.pdf", b"%PDF-1.4 binary", "only .txt, .md or .html pages can be added, not a .pdf file"),
        ("review", b"text", "not a file without an extension"),
        ("latin1.txt", "Tromsø was the city.".encode("latin-1"), "not UTF-8 text (bad byte 0xf8"),
        ("empty.txt", b"", "nothing left after cleaning"),
        ("furniture.txt", b"Leave a Reply\n\nReturn to previous page\n", "nothing left after cleaning"),
        ("blank.html", b"<html><script>x = 1</script><nav>Home</nav></html>", "nothing left after cleaning"),
        ("nul.txt", b"text\x00more", "holds NUL bytes"),
        ("meta.md", b'---\ntitle: "A"\n---\nText.\n', "starts with a metadata block"),
        ("big.txt", b"a" * (MAX_PAGE_BYTES + 1), "too big for a review page (the limit is 2 MB)"),
    ],
)
def test_a_bad_page_is_refused_and_nothing_changes(
    corpus_dir: Path, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    before = snapshot(corpus_dir)
    page = write_page(tmp_path, name, content)
    with pytest.raises(CorpusError, match=r"^" + name) as caught:
        add_review(page, ReviewFields(title="A review"), corpus_dir, name=name)
    assert message in str(caught.value)
    assert snapshot(corpus_dir) == before


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (ReviewFields(title="   "), "a review needs a title"),
        (ReviewFields(title="T", outlet="x" * 301), "the outlet is 301 characters long; the limit is 300"),
        (ReviewFields(title="T", review_id="../escape"), "cannot be a review id"),
        (ReviewFields(title="T", review_id=".hidden"), "cannot be a review id"),
    ],
)
def test_bad_fields_are_refused_and_nothing_changes(
    corpus_dir: Path, tmp_path: Path, fields: ReviewFields, message: str
) -> None:
    before = snapshot(corpus_dir)
    with pytest.raises(CorpusError, match=message):
        add_review(write_page(tmp_path, "page.txt", PAGE), fields, corpus_dir)
    assert snapshot(corpus_dir) == before


def test_an_id_taken_by_any_review_file_is_refused(corpus_dir: Path, tmp_path: Path) -> None:
    page = write_page(tmp_path, "page.txt", PAGE)
    # review-001.md is in the shipped corpus; a .txt review file claims an id just as well.
    (corpus_dir / "other.txt").write_text('---\ntitle: "Other"\n---\nText.\n', encoding="utf-8")
    before = snapshot(corpus_dir)
    for taken in ("review-001", "other"):
        with pytest.raises(ReviewExistsError) as caught:
            add_review(page, ReviewFields(title="T", review_id=taken), corpus_dir)
        assert caught.value.review_id == taken and caught.value.path.stem == taken
    assert snapshot(corpus_dir) == before


def test_new_review_checks_without_writing(corpus_dir: Path, tmp_path: Path) -> None:
    before = snapshot(corpus_dir)
    review = new_review(write_page(tmp_path, "p.txt", PAGE), ReviewFields(title="Fresh"), corpus_dir)
    assert review.id == "fresh" and snapshot(corpus_dir) == before


@pytest.mark.parametrize("raw_page", RAW_PAGES, ids=[p.name for p in RAW_PAGES])
def test_a_saved_raw_page_is_cleaned_like_the_corpus_loader_cleans(tmp_path: Path, raw_page: Path) -> None:
    corpus = tmp_path / "corpus"
    review = add_review(raw_page, ReviewFields(title="Never Sorry"), corpus)
    assert review.text == clean_page_text(raw_page.read_text(encoding="utf-8"))
    assert [r.text for r in load_reviews(corpus)] == [review.text]


def test_trash_moves_the_file_out_and_restore_puts_it_back(corpus_dir: Path) -> None:
    original = (corpus_dir / "review-001.md").read_bytes()
    trashed = trash_review("review-001", corpus_dir)
    assert not (corpus_dir / "review-001.md").exists()
    assert trashed.trashed.parent == corpus_dir / ".trash" and trashed.trashed.read_bytes() == original
    assert [r.id for r in load_reviews(corpus_dir)] == ["review-000"]
    restore_review(trashed)
    assert (corpus_dir / "review-001.md").read_bytes() == original and not trashed.trashed.exists()


def test_trashing_twice_keeps_both_copies(corpus_dir: Path) -> None:
    first = trash_review("review-001", corpus_dir)
    (corpus_dir / "review-001.md").write_bytes(first.trashed.read_bytes())
    second = trash_review("review-001", corpus_dir)
    assert first.trashed != second.trashed and first.trashed.exists() and second.trashed.exists()


def test_trashing_an_unknown_review_is_refused(corpus_dir: Path) -> None:
    before = snapshot(corpus_dir)
    with pytest.raises(CorpusError, match="no review file gives the id 'nope'"):
        trash_review("nope", corpus_dir)
    assert snapshot(corpus_dir) == before


def test_html_text_keeps_paragraphs_apart() -> None:
    assert html_text("<p>One.</p><p>Two <i>words</i>.</p>") == "One.\n\nTwo words."
