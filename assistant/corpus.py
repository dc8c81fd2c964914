"""Review files: load them with their metadata, and clean page boilerplate out of raw page text.

A review file is UTF-8 text with a YAML front-matter block:

    ---
    title: "Ai Weiwei: Never Sorry"
    date: 2012-09-18
    ---
    The review text...

`Review.text` is the cleaned body; every citation offset points into it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import yaml

REVIEW_SUFFIXES = (".md", ".txt")
IGNORED_NAMES = {"readme.md", "readme.txt"}
FILM = "Ai Weiwei: Never Sorry (2012, dir. Alison Klayman)"


class CorpusError(Exception):
    """A review file or folder that cannot be used; the message says what to do."""


@dataclass(frozen=True)
class Review:
    """One review: cleaned text plus the metadata a reader needs to check a citation."""

    id: str
    title: str
    text: str
    outlet: str | None = None
    author: str | None = None
    date: str | None = None
    url: str | None = None
    film: str = FILM
    path: str = ""

    @cached_property
    def content_hash(self) -> str:
        """Hash of everything that goes into the index for this review (text and metadata); computed
        once per review (a build at 10,000 reviews asks for it for every chunk it copies)."""
        payload = json.dumps(
            [
                self.id,
                self.title,
                self.outlet,
                self.author,
                self.date,
                self.url,
                self.film,
                self.text,
            ],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    @property
    def label(self) -> str:
        """A label that tells reviews apart: 'Title (Outlet, Author, 2012-09-18)' from what the
        metadata knows, else the title and the review's opening words.

        >>> Review("r", "Never Sorry", "Never retreat, always retweet.", date="2012-09-18").label
        'Never Sorry (2012-09-18)'
        >>> Review("r", "Never Sorry", "‘Never retreat, always retweet’ would be a suitable tagline.").label
        'Never Sorry (“Never retreat, always retweet would…”)'
        """
        extra = ", ".join(x for x in (self.outlet, self.author, self.date) if x)
        if extra:
            return f"{self.title} ({extra})"
        words = re.sub(r"[‘’“”\"']", "", self.text).split()[:5]
        return f"{self.title} (“{' '.join(words)}…”)" if words else f"{self.title} [{self.id}]"


# Whole lines that are page furniture, never review prose. Matched against a stripped line.
_BOILERPLATE_LINES = [
    r"leave a (reply|comment)",
    r"you must be logged in to post a comment\.?",
    r"return to previous page",
    r"(share|like) this:?",
    r"related( posts)?:?",
    r"(posted in|filed under|categories|category|tags):?(\s+\S+){0,8}",
]
_BOILERPLATE_RE = re.compile(r"^(?:" + "|".join(_BOILERPLATE_LINES) + r")$", re.IGNORECASE)


def is_boilerplate_line(line: str) -> bool:
    """True for a page-furniture line such as 'Leave a Reply' or 'Categories Featured Latest'."""
    stripped = line.strip()
    # A line ending like a sentence is prose, whatever word it starts with.
    if stripped.endswith((".", "!", "?", "”", '"')) and " " in stripped and len(stripped) > 60:
        return False
    return bool(_BOILERPLATE_RE.match(stripped))


def clean_page_text(raw: str) -> str:
    """Return page text without boilerplate lines, stray non-breaking spaces or extra blank lines.

    >>> clean_page_text("A review.\\n\\nLeave a Reply\\n\\u00a0\\u00a0Return to previous page")
    'A review.\\n'
    """
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    text = text.replace("\u00a0", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    kept = [line for line in lines if not is_boilerplate_line(line)]
    text = "\n".join(kept).strip()
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text + "\n" if text else ""


def parse_review(path: Path) -> Review:
    """Return the review in `path`; raise CorpusError saying what is wrong with the file."""
    raw = read_utf8(path)
    meta, body = _split_front_matter(raw, path)
    text = clean_page_text(body)
    if not text.strip():
        raise CorpusError(f"{shown(path)}: the review text is empty (nothing after the metadata block).")
    title = meta.get("title")
    if not title or not str(title).strip():
        raise CorpusError(f"{shown(path)}: the metadata has no 'title'. Add a line like: title: \"...\"")
    return Review(
        id=path.stem,
        title=str(title).strip(),
        text=text,
        outlet=_optional_str(meta.get("outlet")),
        author=_optional_str(meta.get("author")),
        date=_optional_str(meta.get("date")),
        url=_optional_str(meta.get("url")),
        film=_optional_str(meta.get("film")) or FILM,
        path=str(path),
    )


def review_paths(corpus_dir: Path) -> list[Path]:
    """Return the review files in `corpus_dir`, sorted by name."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist.")
    return sorted(
        p
        for p in corpus_dir.iterdir()
        if p.is_file()
        and p.suffix.lower() in REVIEW_SUFFIXES
        and p.name.lower() not in IGNORED_NAMES
        and not p.name.startswith((".", "_"))
    )


@dataclass(frozen=True)
class Corpus:
    """The reviews that load, and one line per file that doesn't (its name and why)."""

    reviews: tuple[Review, ...]
    problems: tuple[str, ...] = ()
    # The review ids of the files left out (bad, or an id two files claim).
    unusable: tuple[str, ...] = ()

    def warning(self) -> str | None:
        """The message naming every bad file, or None when all load."""
        if not self.problems:
            return None
        return "some review files cannot be used:\n  " + "\n  ".join(self.problems)


def read_corpus(corpus_dir: Path) -> Corpus:
    """Return the reviews of `corpus_dir` that load, and the problems of those that don't.

    Never raises for a bad file (answering goes on without it); raises CorpusError only when the
    folder is missing or holds no review file. Files whose review id is claimed twice are both left
    out: which one is meant is not for us to guess.
    """
    paths = review_paths(corpus_dir)
    if not paths:
        raise CorpusError(
            f"corpus folder {corpus_dir} has no review files (*.md or *.txt). "
            "Add one with `assistant add-review PAGE.txt --title ...`."
        )
    claims = Counter(p.stem for p in paths)
    twice = {stem for stem, count in claims.items() if count > 1}
    reviews, problems, unusable = [], [], sorted(twice)
    for path in paths:
        if path.stem in twice:
            continue
        try:
            reviews.append(parse_review(path))
        except CorpusError as exc:
            problems.append(str(exc))
            unusable.append(path.stem)
    return Corpus(tuple(reviews), tuple(problems + duplicate_ids(paths)), tuple(sorted(unusable)))


def load_reviews(corpus_dir: Path) -> list[Review]:
    """Return every review in `corpus_dir`; raise CorpusError listing every bad file at once."""
    corpus = read_corpus(corpus_dir)
    warning = corpus.warning()
    if warning:
        raise CorpusError(warning)
    return list(corpus.reviews)


def duplicate_ids(paths: list[Path]) -> list[str]:
    """One problem per review id that more than one file would give (`review-001.md` + `.txt`)."""
    by_id: dict[str, list[Path]] = {}
    for path in paths:
        by_id.setdefault(path.stem, []).append(path)
    return [
        f"{' and '.join(shown(p) for p in same)} both give the review id {shown(Path(rid))}: "
        "rename or remove one of them."
        for rid, same in by_id.items()
        if len(same) > 1
    ]


def write_review(review: Review, corpus_dir: Path) -> Path:
    """Write `review` as a front-matter file in `corpus_dir`; return its path."""
    meta = {
        "title": review.title,
        "outlet": review.outlet,
        "author": review.author,
        "date": review.date,
        "url": review.url,
        "film": review.film,
    }
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False).strip()
    path = corpus_dir / f"{review.id}.md"
    path.write_text(f"---\n{front}\n---\n{review.text}", encoding="utf-8")
    return path


def slugify(text: str) -> str:
    """Return a file-name-safe id: 'Sight & Sound, 2012' -> 'sight-sound-2012'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "review"


def shown(path: Path) -> str:
    """A path as printable text, even when its name is not UTF-8 (bad bytes shown as \\xNN).

    >>> shown(Path(b"bad-\\xff.md".decode("utf-8", "surrogateescape")))
    'bad-\\\\xff.md'
    """
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def read_utf8(path: Path) -> str:
    """Return the text of `path`; raise CorpusError if it is unreadable or not UTF-8."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{shown(path)}: cannot read the file ({exc.strerror}).") from None
    return decode_utf8(data, shown(path))


def decode_utf8(data: bytes, name: str) -> str:
    """Return `data` as text; raise CorpusError naming `name` and the first bad byte if not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"{name}: not UTF-8 text (bad byte 0x{data[exc.start]:02x} at offset {exc.start}). "
            "Re-save it as UTF-8, e.g. `iconv -f latin1 -t utf-8`."
        ) from None


# libyaml's loader when PyYAML was built with it (about 10x faster over thousands of files); the same
# safe constructors either way.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _split_front_matter(raw: str, path: Path) -> tuple[dict[str, object], str]:
    if not raw.strip():
        raise CorpusError(f"{shown(path)}: the file is empty.")
    match = re.match(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", raw, re.DOTALL)
    if not match:
        raise CorpusError(
            f"{shown(path)}: no metadata block. Start the file with:\n"
            '    ---\n    title: "..."\n    date: YYYY-MM-DD\n    ---'
        )
    try:
        meta = yaml.load(match.group(1), Loader=_YAML_LOADER) or {}
    except yaml.YAMLError as exc:
        raise CorpusError(f"{shown(path)}: the metadata block is not valid YAML: {exc}") from None
    except ValueError as exc:  # a value YAML can't build, e.g. the date 2012-13-45
        raise CorpusError(f"{shown(path)}: a metadata value is not valid ({exc}).") from None
    if not isinstance(meta, dict):
        raise CorpusError(f"{shown(path)}: the metadata block must be 'key: value' lines.")
    return meta, raw[match.end() :]


def _optional_str(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip() or None
