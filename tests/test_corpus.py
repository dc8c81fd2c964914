"""Review files: cleaning page boilerplate without losing review prose, and clear errors for bad files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.corpus import (
    FILM,
    CorpusError,
    Review,
    clean_page_text,
    is_boilerplate_line,
    load_reviews,
    parse_review,
    slugify,
    write_review,
)

# Page furniture seen on the saved pages; the test's own list, independent of the cleaner's patterns.
BOILERPLATE = (
    "Leave a Reply",
    "You must be logged in to post a comment.",
    "Return to previous page",
    "Categories Everywhere Featured Latest3 See",
)

GOOD_REVIEW = '---\ntitle: "Never Sorry"\ndate: 2012-09-18\n---\nA fine film about a brave artist.\n'


def _prose_lines(raw: str) -> list[str]:
    """Every non-empty line of a raw page that is not known page furniture."""
    lines = [line.replace("\u00a0", " ").strip() for line in raw.splitlines()]
    return [line for line in lines if line and line not in BOILERPLATE]


def _sentences(line: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", line) if s]


def _body(path: Path) -> str:
    """The text after the front-matter block, split off by the test itself."""
    raw = path.read_text(encoding="utf-8")
    assert raw.startswith("---\n")
    return raw.split("\n---\n", 1)[1]


def _write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_cleaning_keeps_every_review_paragraph_and_sentence_verbatim(raw_page: Path) -> None:
    raw = raw_page.read_text(encoding="utf-8")
    cleaned = clean_page_text(raw)
    prose = _prose_lines(raw)
    assert len(prose) >= 5
    for line in prose:
        assert line in cleaned
        for sentence in _sentences(line):
            assert sentence in cleaned


def test_cleaning_drops_page_boilerplate_and_non_breaking_spaces(raw_page: Path) -> None:
    raw = raw_page.read_text(encoding="utf-8")
    assert any(b in raw for b in BOILERPLATE)
    cleaned = clean_page_text(raw)
    for furniture in BOILERPLATE:
        assert furniture not in cleaned
    assert "\u00a0" not in cleaned
    assert "\n\n\n" not in cleaned
    assert cleaned.endswith("\n") and not cleaned.endswith("\n\n")


def test_cleaned_page_keeps_only_prose_lines_in_their_order(raw_page: Path) -> None:
    raw = raw_page.read_text(encoding="utf-8")
    kept = [line for line in clean_page_text(raw).splitlines() if line]
    assert kept == _prose_lines(raw)


def test_shipped_corpus_body_is_already_clean_and_parse_keeps_it(corpus_dir: Path) -> None:
    paths = sorted(corpus_dir.glob("*.md"))
    assert len(paths) == 2
    for path in paths:
        review = parse_review(path)
        assert review.text == clean_page_text(_body(path))
        assert clean_page_text(review.text) == review.text


def test_shipped_review_000_is_its_cleaned_raw_page(corpus_dir: Path) -> None:
    raw = (Path(__file__).parent / "data" / "raw" / "000_db3d75a1ae830a26.txt").read_text(encoding="utf-8")
    assert parse_review(corpus_dir / "review-000.md").text == clean_page_text(raw)


@given(st.lists(st.sampled_from(["Leave a Reply", "\u00a0 text.", "", "Tags: a b", "Prose here."])))
def test_cleaning_is_idempotent(lines: list[str]) -> None:
    once = clean_page_text("\n".join(lines))
    assert clean_page_text(once) == once


@pytest.mark.parametrize(
    "line",
    [
        "Categories of dissent blur in this film, where art, protest and everyday life become one.",
        "Related to his father's exile, the artist's defiance has deep roots in his family's history.",
        "Tags and labels mean little to Ai Weiwei, who refuses every category the state offers him.",
    ],
)
def test_long_prose_sentence_starting_like_furniture_is_kept(line: str) -> None:
    assert not is_boilerplate_line(line)
    assert line in clean_page_text(f"First paragraph.\n\n{line}\n\nLeave a Reply\n")


@pytest.mark.parametrize(
    "line",
    [
        "Leave a Reply",
        "Share this:",
        "Related",
        "Categories Everywhere Featured Latest3 See",
        "Tags: ai film",
    ],
)
def test_furniture_lines_are_boilerplate(line: str) -> None:
    assert is_boilerplate_line(line)


def test_clean_page_text_normalises_line_endings_and_bom() -> None:
    assert clean_page_text("\ufeffOne.\r\n\r\n\r\n\r\nTwo.\rThree.") == "One.\n\nTwo.\nThree.\n"


def test_clean_page_text_of_only_boilerplate_is_empty() -> None:
    assert clean_page_text("Leave a Reply\n\n\u00a0\u00a0Return to previous page") == ""


def test_parse_review_reads_metadata(tmp_path: Path) -> None:
    path = _write(tmp_path, "sight-and-sound.md", GOOD_REVIEW)
    review = parse_review(path)
    assert review.id == "sight-and-sound"
    assert review.title == "Never Sorry"
    assert review.date == "2012-09-18"
    assert review.film == FILM
    assert review.text == "A fine film about a brave artist.\n"
    assert review.path == str(path)


def test_load_reviews_reads_the_shipped_corpus_in_name_order(corpus_dir: Path) -> None:
    (corpus_dir / "README.md").write_text("not a review", encoding="utf-8")
    (corpus_dir / "_draft.md").write_text("not a review either", encoding="utf-8")
    reviews = load_reviews(corpus_dir)
    assert [r.id for r in reviews] == ["review-000", "review-001"]
    assert reviews[1].date == "2012-09-18"
    assert all(r.title == "Ai Weiwei: Never Sorry" for r in reviews)


def test_empty_corpus_folder_is_a_corpus_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no review files") as excinfo:
        load_reviews(tmp_path)
    assert str(tmp_path) in str(excinfo.value)


def test_missing_corpus_folder_is_a_corpus_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(CorpusError, match="does not exist") as excinfo:
        load_reviews(missing)
    assert str(missing) in str(excinfo.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("---\ntitle: Café\n---\nUne critique.\n".encode("latin-1"), "not UTF-8"),
        ("", "empty"),
        ("   \n\n", "empty"),
        ("Just the review, no metadata.\n", "no metadata block"),
        ("---\ndate: 2012-09-18\n---\nText of the review.\n", "no 'title'"),
        ('---\ntitle: ""\n---\nText of the review.\n', "no 'title'"),
        ('---\ntitle: "unclosed\ndate: [2012\n---\nText.\n', "not valid YAML"),
        ("---\n- just\n- a list\n---\nText.\n", "key: value"),
        ("---\ntitle: Only metadata\n---\n", "review text is empty"),
        ("---\ntitle: Only furniture\n---\nLeave a Reply\n", "review text is empty"),
    ],
    ids=["latin-1", "empty", "blank", "no-front-matter", "no-title", "blank-title", "bad-yaml", "list",
         "no-body", "only-boilerplate"],
)  # fmt: skip
def test_bad_review_file_is_a_corpus_error_naming_the_file(
    tmp_path: Path, content: str | bytes, expected: str
) -> None:
    path = _write(tmp_path, "bad-review.md", content)
    with pytest.raises(CorpusError) as excinfo:
        parse_review(path)
    assert str(path) in str(excinfo.value)
    assert expected in str(excinfo.value)
    with pytest.raises(CorpusError, match=re.escape(str(path))):
        load_reviews(tmp_path)


def test_load_reviews_reports_every_bad_file_at_once(tmp_path: Path) -> None:
    _write(tmp_path, "a-good.md", GOOD_REVIEW)
    _write(tmp_path, "b-latin1.md", "---\ntitle: Café\n---\nTexte.\n".encode("latin-1"))
    _write(tmp_path, "c-untitled.md", "---\ndate: 2012\n---\nText.\n")
    _write(tmp_path, "d-empty.txt", "")
    with pytest.raises(CorpusError) as excinfo:
        load_reviews(tmp_path)
    message = str(excinfo.value)
    for name in ("b-latin1.md", "c-untitled.md", "d-empty.txt"):
        assert name in message
    assert "a-good.md" not in message


def test_a_bad_date_names_its_file_and_hides_no_other_problem(tmp_path: Path) -> None:
    _write(tmp_path, "a-bad-date.md", "---\ntitle: T\ndate: 2012-13-45\n---\nText.\n")
    _write(tmp_path, "b-untitled.md", "---\ndate: 2012\n---\nText.\n")
    with pytest.raises(CorpusError) as excinfo:
        load_reviews(tmp_path)
    message = str(excinfo.value)
    assert "a-bad-date.md: a metadata value is not valid" in message and "month" in message
    assert "b-untitled.md" in message


def test_two_files_giving_one_review_id_is_an_error_naming_both(tmp_path: Path) -> None:
    _write(tmp_path, "review-001.md", GOOD_REVIEW)
    _write(tmp_path, "review-001.txt", GOOD_REVIEW)
    with pytest.raises(CorpusError) as excinfo:
        load_reviews(tmp_path)
    message = str(excinfo.value)
    assert "review-001.md and " in message and "review-001.txt both give the review id review-001" in message


def test_a_file_name_that_is_not_utf8_is_shown_escaped(tmp_path: Path) -> None:
    name = b"bad-\xff.md".decode("utf-8", "surrogateescape")
    try:
        (tmp_path / name).write_bytes(b"")
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system refuses non-UTF-8 names")
    with pytest.raises(CorpusError) as excinfo:
        load_reviews(tmp_path)
    message = str(excinfo.value)
    message.encode("utf-8")  # printable: no lone surrogates
    assert "bad-\\xff.md: the file is empty" in message


def test_write_review_round_trips_through_parse_review(tmp_path: Path) -> None:
    review = Review(
        id="guardian-2012",
        title="Ai Weiwei: Never Sorry – review",
        text="“Never retreat, re-tweet.” A portrait of the artist.\n",
        outlet="The Guardian",
        author="A. Critic",
        date="2012-08-09",
        url="https://example.org/review",
    )
    path = write_review(review, tmp_path)
    assert path == tmp_path / "guardian-2012.md"
    assert parse_review(path) == Review(**{**review.__dict__, "path": str(path)})


@given(
    title=st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1).filter(
        lambda t: t.strip() != ""
    ),
    body=st.text(min_size=1).map(clean_page_text).filter(lambda t: t.strip() != ""),
)
def test_any_cleaned_review_round_trips_through_a_file(tmp_path_factory: pytest.TempPathFactory, title: str,
                                                       body: str) -> None:  # fmt: skip
    folder = tmp_path_factory.mktemp("roundtrip")
    review = Review(id="r", title=title, text=body)
    parsed = parse_review(write_review(review, folder))
    assert parsed.text == body
    assert parsed.title == title.strip()


def test_content_hash_changes_with_text_and_metadata_only() -> None:
    review = Review(id="r", title="T", text="Some text.\n", path="/a/r.md")
    assert review.content_hash == Review(id="r", title="T", text="Some text.\n", path="/b/r.md").content_hash
    assert review.content_hash != Review(id="r", title="T", text="Other text.\n").content_hash
    assert review.content_hash != Review(id="r", title="T2", text="Some text.\n").content_hash
    assert review.content_hash != Review(id="r", title="T", text="Some text.\n", date="2012").content_hash


def test_slugify_makes_file_name_safe_ids() -> None:
    assert slugify("Sight & Sound, 2012") == "sight-sound-2012"
    assert slugify("!!!") == "review"
