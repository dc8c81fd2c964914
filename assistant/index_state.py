"""Where the index stands against the corpus and the settings: `index_status` -> `IndexStatus`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from .config import Settings
from .corpus import Review, read_corpus
from .store import IndexStateError, Manifest, Store, check_store, open_store


@dataclass(frozen=True)
class ReviewChanges:
    """How the corpus differs from what the manifest indexed."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: tuple[str, ...]


def diff_reviews(reviews: Sequence[Review], manifest: Manifest | None) -> ReviewChanges:
    """Return which reviews are new, changed, gone or unchanged relative to `manifest`."""
    old = manifest.reviews if manifest else {}
    current = {r.id: r.content_hash for r in reviews}
    return ReviewChanges(
        added=tuple(sorted(k for k in current if k not in old)),
        changed=tuple(sorted(k for k in current if k in old and old[k].content_hash != current[k])),
        removed=tuple(sorted(k for k in old if k not in current)),
        unchanged=tuple(sorted(k for k in current if k in old and old[k].content_hash == current[k])),
    )


class IndexState(StrEnum):
    """Where the index stands relative to the corpus and the settings."""

    UP_TO_DATE = "up to date"
    STALE = "stale"
    MISSING = "missing"
    BROKEN = "broken"
    UNKNOWN = "unknown"  # the status itself could not be read (e.g. a corpus file that won't load)


@dataclass(frozen=True)
class IndexStatus:
    """The index's state, why (None when up to date), what changed in the corpus, and the manifest."""

    state: IndexState
    reason: str | None = None
    changes: ReviewChanges | None = None
    manifest: Manifest | None = None
    # Review files that can't be used (name and why); the index answers from the others meanwhile.
    problems: tuple[str, ...] = ()


def index_status(settings: Settings, store: Store | None = None) -> IndexStatus:
    """Return the index's `IndexStatus`: missing, stale, up to date or broken, and why."""
    corpus = read_corpus(Path(settings.corpus_dir))
    reviews, problems = list(corpus.reviews), corpus.problems
    problem: str | None
    try:
        store = store or open_store(settings)
        problem = check_store(store)
    except IndexStateError as exc:
        problem = str(exc).splitlines()[0]
    if problem:
        advice = f"{problem}: run `assistant index --rebuild`"
        return IndexStatus(IndexState.BROKEN, advice, diff_reviews(reviews, None), problems=problems)
    assert store is not None
    manifest = store.read_manifest()
    changes = diff_reviews(reviews, manifest)
    if manifest is None:
        return IndexStatus(IndexState.MISSING, "no index built yet", changes, problems=problems)
    if corpus.unusable:  # a review that can't be read is not "removed": `problems` says why
        kept = tuple(r for r in changes.removed if r not in corpus.unusable)
        changes = ReviewChanges(changes.added, changes.changed, kept, changes.unchanged)
    reason = manifest.settings_mismatch(settings)
    if reason is None and (changes.added or changes.changed or changes.removed):
        reason = "the corpus changed since the last build"
    if reason is None and problems:
        reason = "some review files cannot be used; answers leave them out until they are fixed"
    state = IndexState.STALE if reason else IndexState.UP_TO_DATE
    return IndexStatus(state, reason, changes, manifest, problems)
