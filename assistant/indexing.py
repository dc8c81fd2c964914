"""Build the index, and keep it up to date: re-embed only reviews that were added or changed."""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .chunking import Chunk, split_review
from .config import Settings
from .corpus import Review, load_reviews
from .embedding import Embedder, embed_in_batches, load_embedder
from .index_state import ReviewChanges, diff_reviews
from .store import (
    FORMAT_VERSION,
    IndexStateError,
    Manifest,
    ReviewEntry,
    Store,
    check_store,
    move_aside,
    open_store,
    reclaim_orphan_folders,
)

#: Called with (done, total) while chunks are embedded.
ProgressFn = Callable[[int, int], None]
_COPY_BATCH = 256


class BuildLockedError(Exception):
    """Another build of the same index is running."""


@dataclass(frozen=True)
class IndexReport:
    """What a build did, review by review."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: tuple[str, ...]
    full_rebuild_reason: str | None
    chunks_embedded: int
    chunks_total: int
    seconds: float
    generation: str

    @property
    def did_nothing(self) -> bool:
        """True when the index was already up to date."""
        return not (self.added or self.changed or self.removed or self.full_rebuild_reason)

    def summary(self) -> str:
        """Return one line for people: 'added 1, changed 0, removed 0, unchanged 2 ...'."""
        head = (
            f"added {len(self.added)}, changed {len(self.changed)}, removed {len(self.removed)}, "
            f"unchanged {len(self.unchanged)} reviews; embedded {self.chunks_embedded} of "
            f"{self.chunks_total} chunks in {self.seconds:.1f}s"
        )
        if self.full_rebuild_reason:
            head += f" (full rebuild: {self.full_rebuild_reason})"
        return head


def repair_index(settings: Settings) -> tuple[str, Path] | None:
    """If the index cannot be read back whole, move it aside (nothing is deleted) so that a rebuild
    starts clean; return (what was wrong, where it went), or None when it was fine."""
    problem: str | None
    try:
        problem = check_store(open_store(settings))
    except IndexStateError as exc:
        problem = str(exc).splitlines()[0]
    if problem is None:
        return None
    with _build_lock(settings):
        return problem, move_aside(settings)


def build_index(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    store: Store | None = None,
    force: bool = False,
    on_progress: ProgressFn | None = None,
) -> IndexReport:
    """Bring the index in line with the corpus and return what was done.

    Only added or changed reviews are embedded; a changed model, chunking or format (or `force`)
    embeds everything. The new state becomes live in one step at the end.
    """
    started = time.perf_counter()
    reviews = load_reviews(Path(settings.corpus_dir))
    store = store or open_store(settings)
    with _build_lock(settings):
        manifest = store.read_manifest()
        reason = "requested" if force else (manifest.settings_mismatch(settings) if manifest else None)
        changes = diff_reviews(reviews, None if reason else manifest)
        if manifest and not reason and not (changes.added or changes.changed or changes.removed):
            if store.drop_generations(keep=manifest.generation):
                reclaim_orphan_folders(settings)
            return _report(changes, manifest, reason, 0, started, manifest.generation)
        embedder = embedder or load_embedder(settings.embedding_model)
        new_manifest, embedded = _write_generation(
            settings, store, reviews, manifest, changes, embedder, on_progress
        )
        store.drop_generations(keep=new_manifest.generation)
        reclaim_orphan_folders(settings)
    if manifest and reason:
        # After a full rebuild, still tell the user how the corpus moved relative to the old index.
        changes = diff_reviews(reviews, manifest)
    return _report(changes, new_manifest, reason, embedded, started, new_manifest.generation)


def _write_generation(
    settings: Settings,
    store: Store,
    reviews: Sequence[Review],
    manifest: Manifest | None,
    changes: ReviewChanges,
    embedder: Embedder,
    on_progress: ProgressFn | None,
) -> tuple[Manifest, int]:
    collection = store.new_generation()
    try:
        if manifest and changes.unchanged:
            _copy_chunks(store.collection(manifest.generation), collection, changes.unchanged)
        to_embed = [r for r in reviews if r.id in set(changes.added) | set(changes.changed)]
        chunks = [
            c
            for r in to_embed
            for c in split_review(r, settings.chunk_size, settings.chunk_overlap_sentences)
        ]
        vectors = embed_in_batches(
            embedder, [c.text for c in chunks], settings.embedding_batch_size, on_progress
        )
        by_id = {r.id: r for r in reviews}
        _add_chunks(collection, chunks, vectors, by_id)
        new_manifest = _make_manifest(settings, reviews, collection.name, manifest, vectors, chunks)
        store.write_manifest(new_manifest)
    except BaseException:
        # Ctrl-C or any failure: the manifest still names the old generation; drop the partial one.
        with contextlib.suppress(Exception):
            store.client.delete_collection(collection.name)
        raise
    return new_manifest, len(chunks)


def _copy_chunks(source: Any, target: Any, review_ids: Sequence[str]) -> None:
    got = source.get(
        where={"review_id": {"$in": list(review_ids)}},
        include=["embeddings", "documents", "metadatas"],
    )
    ids = got["ids"]
    for i in range(0, len(ids), _COPY_BATCH):
        part = slice(i, i + _COPY_BATCH)
        target.add(
            ids=ids[part],
            embeddings=got["embeddings"][part],
            documents=got["documents"][part],
            metadatas=got["metadatas"][part],
        )


def _add_chunks(
    collection: Any,
    chunks: Sequence[Chunk],
    vectors: Sequence[Sequence[float]],
    reviews: dict[str, Review],
) -> None:
    for i in range(0, len(chunks), _COPY_BATCH):
        part = chunks[i : i + _COPY_BATCH]
        collection.add(
            ids=[c.id for c in part],
            embeddings=[list(v) for v in vectors[i : i + _COPY_BATCH]],
            documents=[c.text for c in part],
            metadatas=[_chunk_metadata(c, reviews[c.review_id]) for c in part],
        )


def _chunk_metadata(chunk: Chunk, review: Review) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "review_id": chunk.review_id,
        "start": chunk.start,
        "end": chunk.end,
        "title": review.title,
    }
    meta.update({k: v for k, v in (("date", review.date), ("outlet", review.outlet)) if v})
    return meta


def _make_manifest(
    settings: Settings,
    reviews: Sequence[Review],
    generation: str,
    old: Manifest | None,
    vectors: Sequence[Sequence[float]],
    chunks: Sequence[Chunk],
) -> Manifest:
    counts: dict[str, int] = {}
    for chunk in chunks:
        counts[chunk.review_id] = counts.get(chunk.review_id, 0) + 1
    entries = {}
    for review in reviews:
        kept = old.reviews.get(review.id) if old else None
        n = counts.get(review.id, kept.chunks if kept else 0)
        entries[review.id] = ReviewEntry(review.content_hash, n, review.title)
    dim = len(vectors[0]) if vectors else (old.embedding_dim if old else 0)
    return Manifest(
        format_version=FORMAT_VERSION,
        embedding_model=settings.embedding_model,
        embedding_dim=dim,
        chunk_size=settings.chunk_size,
        chunk_overlap_sentences=settings.chunk_overlap_sentences,
        generation=generation,
        built_at=time.time(),
        reviews=entries,
    )


def _report(
    changes: ReviewChanges,
    manifest: Manifest,
    reason: str | None,
    embedded: int,
    started: float,
    generation: str,
) -> IndexReport:
    return IndexReport(
        added=changes.added,
        changed=changes.changed,
        removed=changes.removed,
        unchanged=changes.unchanged,
        full_rebuild_reason=reason,
        chunks_embedded=embedded,
        chunks_total=sum(e.chunks for e in manifest.reviews.values()),
        seconds=time.perf_counter() - started,
        generation=generation,
    )


@contextlib.contextmanager
def _build_lock(settings: Settings) -> Iterator[None]:
    """Hold an exclusive lock on `index/.build.lock` so two builds never interleave."""
    lock_dir = Path(settings.index_dir)
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / ".build.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildLockedError(
                f"another index build is running (lock {lock_dir / '.build.lock'}); wait for it."
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
