"""What is counted once over the whole corpus, and kept beside the index so a start need not count again.

Two things: the words of the reviews (`policy.corpus_words`, for "the reviews never mention X") and
the sentence frequencies of words (`evidence.TermStats`, for the extractive backend's evidence
features). At 10,000 reviews, counting them takes seconds on 2 cores; reading them back, a fraction of
one. The file is named by a fingerprint of every review's id and content hash, so it is used only for
exactly the reviews it was counted from.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path

from .chunking import split_sentences
from .corpus import Review
from .evidence import TermStats
from .policy import corpus_words

FORMAT = 1


class ReviewMap(dict[str, Review]):
    """The reviews by id, carrying their `TermStats` (read by the extractive backend)."""

    term_stats: TermStats | None = None


def fingerprint(reviews: Mapping[str, Review]) -> str:
    """A name for exactly this set of reviews (ids and content hashes)."""
    digest = hashlib.sha256()
    for review_id in sorted(reviews):
        digest.update(f"{review_id}\0{reviews[review_id].content_hash}\n".encode())
    return digest.hexdigest()[:20]


def count(reviews: Mapping[str, Review]) -> tuple[TermStats, frozenset[str]]:
    """Count the statistics of `reviews` from their texts."""
    sentences = (r.text[s.start : s.end] for r in reviews.values() for s in split_sentences(r.text))
    return TermStats.from_sentences(sentences), corpus_words(reviews)


def load_or_count(reviews: Mapping[str, Review], folder: Path | None) -> tuple[ReviewMap, frozenset[str]]:
    """The reviews as a `ReviewMap` with their term statistics, and the corpus words; read from
    `folder` when counted before for the same reviews, else counted and saved there."""
    path = folder / f"corpus-{fingerprint(reviews)}.json" if folder else None
    found = _read(path) if path is not None and path.exists() else None
    if found is None:
        found = _count_and_save(reviews, path)
    mapping = ReviewMap(reviews)
    mapping.term_stats = found[0]
    return mapping, found[1]


def ensure_counted(reviews: Mapping[str, Review], folder: Path) -> None:
    """Count and save the statistics of `reviews` unless `folder` has them already (what a build
    does, so the next start only reads them; nothing is read here)."""
    path = folder / f"corpus-{fingerprint(reviews)}.json"
    if not path.exists():
        _count_and_save(reviews, path)


def _count_and_save(reviews: Mapping[str, Review], path: Path | None) -> tuple[TermStats, frozenset[str]]:
    found = count(reviews)
    if path is not None:
        with contextlib.suppress(OSError):
            _write(path, *found)
            _prune(path)
    return found


def _read(path: Path) -> tuple[TermStats, frozenset[str]] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            return None
        return TermStats(df=data["df"], sentences=int(data["sentences"])), frozenset(data["words"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write(path: Path, stats: TermStats, words: frozenset[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": FORMAT, "df": dict(stats.df), "sentences": stats.sentences, "words": sorted(words)}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(payload), encoding="utf-8")
    os.replace(tmp, path)


def _prune(keep: Path, limit: int = 4) -> None:
    """Keep the `limit` newest statistics files of the folder (a corpus edited often leaves many)."""
    files = sorted(keep.parent.glob("corpus-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[limit:]:
        if old != keep:
            with contextlib.suppress(OSError):
                old.unlink()
