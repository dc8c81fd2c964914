"""Build the index, and keep it up to date: re-embed only reviews that were added or changed."""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .chunking import Chunk, split_review
from .config import Settings
from .corpus import Review, load_reviews
from .corpus_stats import ensure_counted
from .embedding import Embedder, embed_in_batches, load_embedder
from .index_state import ReviewChanges, diff_reviews
from .keyword_store import keyword_folder, keyword_index, prune
from .store import (
    FORMAT_VERSION,
    IndexStateError,
    Manifest,
    PendingBuild,
    ReviewEntry,
    Store,
    check_store,
    move_aside,
    open_store,
    pages,
    reclaim_orphan_folders,
)

#: Called with (done, total) while chunks are embedded.
ProgressFn = Callable[[int, int], None]
_COPY_BATCH = 512
# Distinct chunk texts embedded before their chunks are written to Chroma: bounds a build's memory.
_EMBED_SLICE = 1024


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
    # chunks kept from a build that was interrupted (and not embedded again)
    chunks_resumed: int = 0

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
        if self.chunks_resumed:
            head += f"; resumed an interrupted build ({self.chunks_resumed} chunks kept)"
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
    reviews: Sequence[Review] | None = None,
) -> IndexReport:
    """Bring the index in line with the corpus and return what was done.

    Only added or changed reviews are embedded; a changed model, chunking or format (or `force`)
    embeds everything. The new state becomes live in one step at the end.
    """
    started = time.perf_counter()
    if reviews is None:  # else the caller read the corpus (all of it loaded: no file was bad)
        reviews = load_reviews(Path(settings.corpus_dir))
    store = store or open_store(settings)
    with _build_lock(settings):
        manifest = store.read_manifest()
        reason = "requested" if force else (manifest.settings_mismatch(settings) if manifest else None)
        changes = diff_reviews(reviews, None if reason else manifest)
        if manifest and not reason and not (changes.added or changes.changed or changes.removed):
            if store.read_pending() is not None:
                store.write_pending(None)  # an interrupted build of what is live already: nothing to resume
            if store.drop_generations(keep=manifest.generation):
                reclaim_orphan_folders(settings)
            ensure_counted({r.id: r for r in reviews}, keyword_folder(settings))  # counted once per corpus
            return _report(changes, manifest, reason, (0, 0), started, manifest.generation)
        embedder = embedder or load_embedder(settings.embedding_model, settings.embedding_runtime)
        new_manifest, embedded, resumed = _write_generation(
            settings, store, reviews, manifest, changes, embedder, on_progress
        )
        store.drop_generations(keep=new_manifest.generation)
        reclaim_orphan_folders(settings)
        # Saved now, so the next start loads it instead of re-reading and re-stemming every chunk.
        keyword_index(store.collection(new_manifest.generation), keyword_folder(settings))
        prune(keyword_folder(settings), set(store.generations()))
        ensure_counted({r.id: r for r in reviews}, keyword_folder(settings))
    if manifest and reason:
        # After a full rebuild, still tell the user how the corpus moved relative to the old index.
        changes = diff_reviews(reviews, manifest)
    return _report(changes, new_manifest, reason, (embedded, resumed), started, new_manifest.generation)


def _write_generation(
    settings: Settings,
    store: Store,
    reviews: Sequence[Review],
    manifest: Manifest | None,
    changes: ReviewChanges,
    embedder: Embedder,
    on_progress: ProgressFn | None,
) -> tuple[Manifest, int, int]:
    """Fill a generation (a new one, or the one a killed build left, `_target`) and make it live.

    Returns (manifest, chunks embedded now, chunks kept from the interrupted build). Vectors go to
    Chroma slice by slice, so memory does not grow with the corpus. If the build stops (Ctrl-C, a
    kill, an error), the manifest still names the old generation, and the next build with the same
    settings resumes this one (`store.read_pending`).
    """
    by_id = {r.id: r for r in reviews}
    collection, present = _target(store, settings, by_id)
    store.write_pending(PendingBuild(collection.name, PendingBuild.build_key(settings)))
    if manifest and changes.unchanged:
        _copy_chunks(store.collection(manifest.generation), collection, changes.unchanged, present, by_id)
    wanted = set(changes.added) | set(changes.changed)
    chunks = [
        c
        for r in reviews
        if r.id in wanted
        for c in split_review(r, settings.chunk_size, settings.chunk_overlap_sentences)
    ]
    todo = [c for c in chunks if c.id not in present]
    dim = _embed_and_add(collection, todo, by_id, embedder, settings.embedding_batch_size, on_progress)
    counts: dict[str, int] = {}
    for chunk in chunks:
        counts[chunk.review_id] = counts.get(chunk.review_id, 0) + 1
    dim = dim or _dimension(collection) or (manifest.embedding_dim if manifest else 0)
    new_manifest = _make_manifest(settings, reviews, collection.name, manifest, dim, counts)
    store.write_manifest(new_manifest)
    store.write_pending(None)
    return new_manifest, len(todo), len(chunks) - len(todo)


def _target(store: Store, settings: Settings, reviews: dict[str, Review]) -> tuple[Any, set[str]]:
    """The generation to fill and the ids of the chunks it already holds that are still right.

    A generation an interrupted build left is resumed when it was made with the same model and
    chunking; of its chunks, those of reviews that changed since (another content hash) or are gone
    are deleted.
    """
    pending = store.read_pending()
    if pending is None:
        return store.new_generation(), set()
    if pending.key != PendingBuild.build_key(settings):  # made with other settings: of no use
        with contextlib.suppress(Exception):
            store.client.delete_collection(pending.generation)
        return store.new_generation(), set()
    try:
        collection = store.collection(pending.generation)
        records = [
            (chunk_id, meta)
            for got in pages(collection, ["metadatas"])
            for chunk_id, meta in zip(got["ids"], got["metadatas"], strict=True)
        ]
    except Exception:  # dropped since, or unreadable: start a new one
        return store.new_generation(), set()
    present, stale = set(), []
    for chunk_id, meta in records:
        review = reviews.get(str((meta or {}).get("review_id")))
        if review is not None and (meta or {}).get("content_hash") == review.content_hash:
            present.add(chunk_id)
        else:
            stale.append(chunk_id)
    for i in range(0, len(stale), _COPY_BATCH):
        collection.delete(ids=stale[i : i + _COPY_BATCH])
    return collection, present


def _copy_chunks(
    source: Any, target: Any, review_ids: Sequence[str], present: set[str], reviews: dict[str, Review]
) -> None:
    """Copy the chunks (vectors included) of unchanged reviews from the live generation, page by page."""
    keep = set(review_ids)
    for got in pages(source, ["embeddings", "documents", "metadatas"]):
        rows = [
            (
                chunk_id,
                vector,
                document,
                {**meta, "content_hash": reviews[str(meta["review_id"])].content_hash},
            )
            for chunk_id, vector, document, meta in zip(
                got["ids"], got["embeddings"], got["documents"], got["metadatas"], strict=True
            )
            if str(meta.get("review_id")) in keep and chunk_id not in present
        ]
        if rows:
            ids, vectors, documents, metadatas = (list(column) for column in zip(*rows, strict=True))
            target.add(ids=ids, embeddings=vectors, documents=documents, metadatas=metadatas)


def _embed_and_add(
    collection: Any,
    chunks: Sequence[Chunk],
    reviews: dict[str, Review],
    embedder: Embedder,
    batch_size: int,
    on_progress: ProgressFn | None,
) -> int:
    """Embed each distinct chunk text once, shortest first, and add the chunks a slice at a time.

    Returns the vectors' dimension (0 when there was nothing to embed). `on_progress(done, total)`
    counts distinct chunk texts embedded, batch by batch, so a progress bar's rate is chunks embedded
    per second.
    """
    by_text: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_text.setdefault(chunk.text, []).append(chunk)
    texts = sorted(by_text, key=len)
    dim = 0
    if on_progress and texts:
        on_progress(0, len(texts))  # the bar starts now, not when the first slice is done
    # Chroma stores one slice while the model embeds the next (at most one slice waits in memory).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="chroma-add") as writer:
        pending: Future[None] | None = None
        for start in range(0, len(texts), _EMBED_SLICE):
            part = texts[start : start + _EMBED_SLICE]
            vectors = embed_in_batches(embedder, part, batch_size, _offset(on_progress, start, len(texts)))
            rows = [(c, v) for text, v in zip(part, vectors, strict=True) for c in by_text[text]]
            if pending is not None:
                pending.result()  # raises what the previous write raised
            pending = writer.submit(
                _add_chunks, collection, [c for c, _ in rows], [v for _, v in rows], reviews
            )
            dim = len(vectors[0]) if vectors else dim
        if pending is not None:
            pending.result()
    return dim


def _offset(on_progress: ProgressFn | None, before: int, total: int) -> ProgressFn | None:
    """Progress within one slice, reported as progress of the whole build."""
    if on_progress is None:
        return None
    report = on_progress
    return lambda done, _slice_total: report(before + done, total)


def _dimension(collection: Any) -> int:
    got = collection.get(limit=1, include=["embeddings"])
    embeddings = got.get("embeddings")
    return len(embeddings[0]) if embeddings is not None and len(embeddings) else 0


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
        "content_hash": review.content_hash,  # lets a resumed build tell current chunks from stale ones
    }
    meta.update({k: v for k, v in (("date", review.date), ("outlet", review.outlet)) if v})
    return meta


def _make_manifest(
    settings: Settings,
    reviews: Sequence[Review],
    generation: str,
    old: Manifest | None,
    dim: int,
    counts: dict[str, int],
) -> Manifest:
    entries = {}
    for review in reviews:
        kept = old.reviews.get(review.id) if old else None
        n = counts.get(review.id, kept.chunks if kept else 0)
        entries[review.id] = ReviewEntry(review.content_hash, n, review.title)
    return Manifest(
        format_version=FORMAT_VERSION,
        embedding_model=settings.embedding_model,
        embedding_runtime=settings.embedding_runtime,
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
    chunks: tuple[int, int],
    started: float,
    generation: str,
) -> IndexReport:
    return IndexReport(
        added=changes.added,
        changed=changes.changed,
        removed=changes.removed,
        unchanged=changes.unchanged,
        full_rebuild_reason=reason,
        chunks_embedded=chunks[0],
        chunks_resumed=chunks[1],
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
