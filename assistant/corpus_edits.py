"""Add a saved review page to the corpus, or take a review out of it (into a trash folder).

Everything is checked before a file changes, so a refused page leaves the corpus as it was. The CLI
(`assistant add-review`) and the web chat's Sources tab both add through `add_review`.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path

from .corpus import (
    CorpusError,
    Review,
    clean_page_text,
    decode_utf8,
    parse_review,
    review_paths,
    shown,
    slugify,
    write_review,
)

#: The kinds of saved page that can be added: plain text, Markdown, or the page's HTML.
PAGE_SUFFIXES = (".txt", ".md", ".html", ".htm")
#: The largest page taken, in bytes: a review is a few kB; 2 MB is a whole saved page with its markup.
MAX_PAGE_BYTES = 2_000_000
#: The longest title, outlet, author, date or url, in characters.
MAX_FIELD_CHARS = 300
#: Removed reviews go here, inside the corpus folder (a folder, so never read as a review).
TRASH_FOLDER = ".trash"

_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n.*?\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)


class ReviewExistsError(CorpusError):
    """The corpus has a review with the new review's id already."""

    def __init__(self, review_id: str, path: Path) -> None:
        super().__init__(f"{shown(path)} already exists")
        self.review_id = review_id
        self.path = path


@dataclass(frozen=True)
class ReviewFields:
    """What the person adding a page says about it: a title, and whatever else they know."""

    title: str
    outlet: str | None = None
    author: str | None = None
    # Free text: "2012-07-27" or "July 2012".
    date: str | None = None
    url: str | None = None
    # The file name (without .md); default: from the outlet (else the title) and the date.
    review_id: str | None = None


@dataclass(frozen=True)
class TrashedReview:
    """A review file moved out of the corpus: where it was, and where it is now."""

    review_id: str
    original: Path
    trashed: Path


def add_review(page: Path, fields: ReviewFields, corpus_dir: Path, name: str | None = None) -> Review:
    """Check the page (`new_review`), write it to `corpus_dir` and return the review as it loads back.

    `name`: the page's name in messages (default: its path).
    """
    review = new_review(page, fields, corpus_dir, name)
    corpus_dir.mkdir(parents=True, exist_ok=True)
    # Written under a hidden name first (builds skip it), read back, then put in place.
    draft = write_review(replace(review, id=f".adding-{review.id}"), corpus_dir)
    try:
        loaded = parse_review(draft)
        if loaded.text != review.text or loaded.title != review.title:
            raise CorpusError(f"{review.id}: the review does not read back as written; not added.")
        target = corpus_dir / f"{review.id}.md"
        if target.exists():  # written since the check
            raise ReviewExistsError(review.id, target)
        os.replace(draft, target)
    finally:
        draft.unlink(missing_ok=True)
    return replace(loaded, id=review.id, path=str(target))


def new_review(page: Path, fields: ReviewFields, corpus_dir: Path, name: str | None = None) -> Review:
    """Return the review `page` would add to `corpus_dir`; writes nothing.

    Raises CorpusError saying why it can't be added: no title, a field too long, a page of another
    kind, too big, not UTF-8, empty after cleaning; ReviewExistsError when its id is taken.
    """
    name = name or shown(page)
    title = _field(fields.title, "title")
    if not title:
        raise CorpusError("a review needs a title.")
    outlet, author, date, url = (
        _field(value, label)
        for value, label in (
            (fields.outlet, "outlet"),
            (fields.author, "author"),
            (fields.date, "date"),
            (fields.url, "url"),
        )
    )
    text = page_text(read_page(page, name), name)
    review_id = fields.review_id or slugify(" ".join(x for x in (outlet or title, date) if x))
    if "/" in review_id or review_id.startswith((".", "_")) or not review_id.strip():
        raise CorpusError(f"{review_id!r} cannot be a review id: use letters, digits and dashes.")
    taken = [p for p in review_paths(corpus_dir) if p.stem == review_id] if corpus_dir.is_dir() else []
    if taken:
        raise ReviewExistsError(review_id, taken[0])
    return Review(
        id=review_id, title=title, text=text, outlet=outlet, author=author, date=date, url=url
    )  # fmt: skip


def read_page(page: Path, name: str) -> bytes:
    """Return the bytes of a saved page; raise CorpusError if it is of another kind, too big or unreadable."""
    suffix = page.suffix.lower()
    if suffix not in PAGE_SUFFIXES:
        kind = f"a {suffix} file" if suffix else "a file without an extension"
        raise CorpusError(f"{name}: only .txt, .md or .html pages can be added, not {kind}.")
    try:
        size = page.stat().st_size
        if size > MAX_PAGE_BYTES:
            raise CorpusError(
                f"{name}: {size / 1e6:.1f} MB is too big for a review page (the limit is "
                f"{MAX_PAGE_BYTES / 1e6:.0f} MB)."
            )
        return page.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{name}: cannot read the file ({exc.strerror}).") from None


def page_text(data: bytes, name: str) -> str:
    """Return the cleaned review text of a saved page: its HTML's text for .html, boilerplate lines
    dropped (`corpus.clean_page_text`); raise CorpusError when that is impossible or leaves nothing."""
    raw = decode_utf8(data, name)
    if "\x00" in raw:
        raise CorpusError(f"{name}: holds NUL bytes; a review page is text.")
    if Path(name).suffix.lower() in (".html", ".htm"):
        raw = html_text(raw)
    elif _FRONT_MATTER.match(raw):
        raise CorpusError(
            f"{name}: starts with a metadata block (---); give the review text only, with its title, "
            "outlet and date as fields."
        )
    text = clean_page_text(raw)
    if not text.strip():
        raise CorpusError(f"{name}: nothing left after cleaning; is it the review page?")
    return text


def html_text(html: str) -> str:
    """Return the readable text of an HTML page: paragraphs on their own lines, no scripts or menus.

    >>> html_text("<nav>Home</nav><h1>Never Sorry</h1><p>A <b>bold</b> film.<br>81 days.</p>")
    'Never Sorry\\n\\nA bold film.\\n81 days.'
    """
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def trash_review(review_id: str, corpus_dir: Path) -> TrashedReview:
    """Move the file of review `review_id` into `corpus_dir/.trash/`, its name stamped with the time
    (so nothing there is overwritten); raise CorpusError if no file gives that id."""
    paths = [p for p in review_paths(corpus_dir) if p.stem == review_id]
    if not paths:
        raise CorpusError(f"no review file gives the id {review_id!r} in {shown(corpus_dir)}.")
    original = paths[0]
    trash = corpus_dir / TRASH_FOLDER
    trash.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = trash / f"{original.stem}.{stamp}{original.suffix}"
    count = 1
    while target.exists():
        count += 1
        target = trash / f"{original.stem}.{stamp}-{count}{original.suffix}"
    os.replace(original, target)
    return TrashedReview(review_id, original, target)


def restore_review(trashed: TrashedReview) -> None:
    """Put a trashed review file back where it was (unless a file took its place meanwhile)."""
    if not trashed.original.exists():
        os.replace(trashed.trashed, trashed.original)


def _field(value: str | None, label: str) -> str | None:
    """A form field as one line of text, None when blank; CorpusError when it is too long."""
    text = " ".join((value or "").split())
    if len(text) > MAX_FIELD_CHARS:
        raise CorpusError(f"the {label} is {len(text)} characters long; the limit is {MAX_FIELD_CHARS}.")
    return text or None


_SKIPPED_TAGS = {"script", "style", "noscript", "template", "head", "svg", "nav", "footer", "form", "button"}
_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "article",
    "section", "header", "main", "aside", "blockquote", "figure", "figcaption", "pre", "hr", "table",
    "tr", "td", "th",
}  # fmt: skip


class _TextParser(HTMLParser):
    """Collects the text of an HTML page, with a line break around each block element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n" if tag == "br" else "\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS and tag != "br":
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(re.sub(r"\s+", " ", data))
