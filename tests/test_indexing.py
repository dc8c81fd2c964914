"""Building and updating the index with the real model and a real Chroma folder in tmp."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from assistant import indexing
from assistant.chunking import split_review
from assistant.config import Settings
from assistant.corpus import CorpusError, load_reviews, parse_review
from assistant.embedding import Embedder
from assistant.index_state import index_status
from assistant.indexing import BuildLockedError, IndexReport, build_index
from assistant.retrieval import DenseIndex
from assistant.store import FORMAT_VERSION, IndexStateError, Manifest, PendingBuild, Store, open_store

ASSISTANT = str(Path(sys.executable).with_name("assistant"))
# Opens the index the way a new process would and queries its live collection with one of its own vectors.
_QUERY_IN_A_FRESH_PROCESS = """
import json, sys
from pathlib import Path
from assistant.config import Settings
from assistant.store import open_store
store = open_store(Settings(index_dir=Path(sys.argv[1])))
manifest = store.read_manifest()
collection = store.collection(manifest.generation)
vector = collection.get(limit=1, include=["embeddings"])["embeddings"][0]
got = collection.query(query_embeddings=[vector], n_results=3)
hits = len(got["ids"][0])
print(json.dumps({"generation": manifest.generation, "count": collection.count(), "hits": hits}))
"""
BOTH = ("review-000", "review-001")


class CountingEmbedder:
    """The real embedder, remembering every passage it was asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.texts: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.texts.extend(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


class InterruptingEmbedder(CountingEmbedder):
    """Embeds the first batch, then raises KeyboardInterrupt as a Ctrl-C in the middle of a build would."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self.texts:
            raise KeyboardInterrupt
        return super().embed_documents(texts)


class BlockingEmbedder(CountingEmbedder):
    """Holds the first batch until released, so a test can act while a build is in progress."""

    def __init__(self, inner: Embedder) -> None:
        super().__init__(inner)
        self.entered = threading.Event()
        self.release = threading.Event()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.entered.set()
        assert self.release.wait(timeout=60)
        return super().embed_documents(texts)


def _chunks(settings: Settings, review_id: str | None = None) -> list[Any]:
    return [
        chunk
        for review in load_reviews(Path(settings.corpus_dir))
        if review_id in (None, review.id)
        for chunk in split_review(review, settings.chunk_size, settings.chunk_overlap_sentences)
    ]


def _live(settings: Settings) -> tuple[Store, Manifest, Any]:
    store = open_store(settings)
    manifest = store.read_manifest()
    assert manifest is not None
    return store, manifest, store.collection(manifest.generation)


def _records(collection: Any, review_id: str) -> dict[str, list[float]]:
    got = collection.get(where={"review_id": review_id}, include=["embeddings"])
    return {
        cid: [float(x) for x in vector] for cid, vector in zip(got["ids"], got["embeddings"], strict=True)
    }


def _same_vectors(a: dict[str, list[float]], b: dict[str, list[float]]) -> bool:
    return a.keys() == b.keys() and all(
        all(math.isclose(x, y, abs_tol=1e-6) for x, y in zip(a[k], b[k], strict=True)) for k in a
    )


def _edit(path: Path, sentence: str = "A closing thought: the film is essential viewing.") -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n{sentence}\n", encoding="utf-8")


def test_first_build_adds_every_review_and_embeds_every_chunk(settings: Settings, embedder: Embedder) -> None:
    counting = CountingEmbedder(embedder)
    report = build_index(settings, embedder=counting)
    expected = _chunks(settings)
    assert report.added == BOTH
    assert report.changed == report.removed == report.unchanged == ()
    assert report.full_rebuild_reason is None
    assert report.chunks_embedded == report.chunks_total == len(expected) == len(counting.texts)
    assert sorted(counting.texts) == sorted(c.text for c in expected)  # each once, shortest first
    assert [len(t) for t in counting.texts] == sorted(len(t) for t in counting.texts)
    _, manifest, collection = _live(settings)
    assert collection.count() == len(expected)
    got = collection.get(include=["documents", "metadatas"])
    records = {
        cid: (doc, meta)
        for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
    }
    assert set(records) == {c.id for c in expected}
    for chunk in expected:
        doc, meta = records[chunk.id]
        assert doc == chunk.text
        assert (meta["review_id"], meta["start"], meta["end"]) == (chunk.review_id, chunk.start, chunk.end)
        assert meta["title"] == "Ai Weiwei: Never Sorry"
    assert manifest.embedding_dim == 384
    assert manifest.format_version == FORMAT_VERSION
    assert {k: e.chunks for k, e in manifest.reviews.items()} == {
        rid: len(_chunks(settings, rid)) for rid in BOTH
    }


def test_second_build_embeds_nothing(settings: Settings, cached_embedder: Embedder) -> None:
    first = build_index(settings, embedder=cached_embedder)
    counting = CountingEmbedder(cached_embedder)
    second = build_index(settings, embedder=counting)
    assert second.did_nothing
    assert second.chunks_embedded == 0 and counting.texts == []
    assert second.unchanged == BOTH
    assert second.generation == first.generation
    assert second.chunks_total == first.chunks_total


def test_editing_one_review_reembeds_only_that_review(settings: Settings, cached_embedder: Embedder) -> None:
    first = build_index(settings, embedder=cached_embedder)
    _, _, old_collection = _live(settings)
    untouched = _records(old_collection, "review-000")
    _edit(Path(settings.corpus_dir) / "review-001.md")
    counting = CountingEmbedder(cached_embedder)
    report = build_index(settings, embedder=counting)
    new_chunks = _chunks(settings, "review-001")
    assert report.changed == ("review-001",)
    assert report.added == report.removed == ()
    assert report.unchanged == ("review-000",)
    assert report.full_rebuild_reason is None
    assert report.chunks_embedded == len(new_chunks) == len(counting.texts)
    assert sorted(counting.texts) == sorted(c.text for c in new_chunks)
    store, manifest, collection = _live(settings)
    assert manifest.generation == report.generation != first.generation
    assert _same_vectors(_records(collection, "review-000"), untouched)  # copied over with their vectors
    assert set(_records(collection, "review-001")) == {c.id for c in new_chunks}
    assert collection.count() == report.chunks_total == len(untouched) + len(new_chunks)
    # The previous generation stays until the next build, for readers still on it.
    assert sorted(store.generations()) == sorted([first.generation, report.generation])


def test_adding_a_review_file_embeds_only_the_new_review(
    settings: Settings, cached_embedder: Embedder
) -> None:
    build_index(settings, embedder=cached_embedder)
    new_file = Path(settings.corpus_dir) / "review-002.md"
    new_file.write_text(
        '---\ntitle: "Never Sorry, again"\ndate: 2012-08-01\n---\n'
        "Klayman followed the artist for years. The result is a portrait of courage.\n",
        encoding="utf-8",
    )
    counting = CountingEmbedder(cached_embedder)
    report = build_index(settings, embedder=counting)
    assert report.added == ("review-002",)
    assert report.changed == report.removed == ()
    assert report.unchanged == BOTH
    assert report.chunks_embedded == len(_chunks(settings, "review-002")) == len(counting.texts) == 1
    _, manifest, collection = _live(settings)
    assert set(_records(collection, "review-002")) == {c.id for c in _chunks(settings, "review-002")}
    assert collection.count() == len(_chunks(settings))
    assert manifest.reviews["review-002"].title == "Never Sorry, again"


def test_deleting_a_review_file_removes_its_chunks_from_the_live_collection(
    settings: Settings, cached_embedder: Embedder
) -> None:
    first = build_index(settings, embedder=cached_embedder)
    keep = _chunks(settings, "review-000")
    (Path(settings.corpus_dir) / "review-001.md").unlink()
    counting = CountingEmbedder(cached_embedder)
    report = build_index(settings, embedder=counting)
    assert report.removed == ("review-001",)
    assert report.added == report.changed == ()
    assert report.chunks_embedded == 0 and counting.texts == []
    store, manifest, collection = _live(settings)
    assert _records(collection, "review-001") == {}
    assert set(_records(collection, "review-000")) == {c.id for c in keep}
    assert collection.count() == report.chunks_total == len(keep)
    assert set(manifest.reviews) == {"review-000"}
    assert sorted(store.generations()) == sorted([first.generation, manifest.generation])


def test_changing_chunk_size_rebuilds_everything(settings: Settings, cached_embedder: Embedder) -> None:
    build_index(settings, embedder=cached_embedder)
    smaller = settings.replace(chunk_size=250)
    counting = CountingEmbedder(cached_embedder)
    report = build_index(smaller, embedder=counting)
    expected = _chunks(smaller)
    assert (
        report.full_rebuild_reason is not None
        and f"chunking 400/{settings.chunk_overlap_sentences} -> 250/{settings.chunk_overlap_sentences}"
        in report.full_rebuild_reason
    )
    assert report.chunks_embedded == report.chunks_total == len(expected) == len(counting.texts)
    assert report.unchanged == BOTH  # the corpus itself did not move
    assert "full rebuild" in report.summary()
    _, manifest, collection = _live(smaller)
    assert manifest.chunk_size == 250
    assert set(collection.get()["ids"]) == {c.id for c in expected}


def test_changing_embedding_model_rebuilds_everything(settings: Settings, cached_embedder: Embedder) -> None:
    first = build_index(settings, embedder=cached_embedder)
    other_model = settings.replace(embedding_model="other-minilm-for-tests")
    counting = CountingEmbedder(cached_embedder)
    report = build_index(other_model, embedder=counting)
    assert report.full_rebuild_reason is not None
    assert (
        "embedding model" in report.full_rebuild_reason
        and "other-minilm-for-tests" in report.full_rebuild_reason
    )
    assert report.chunks_embedded == first.chunks_total == len(counting.texts)
    _, manifest, _ = _live(other_model)
    assert manifest.embedding_model == "other-minilm-for-tests"
    back = build_index(settings, embedder=cached_embedder)
    assert back.full_rebuild_reason is not None and back.chunks_embedded == first.chunks_total


def test_index_of_another_format_version_is_rebuilt(settings: Settings, cached_embedder: Embedder) -> None:
    first = build_index(settings, embedder=cached_embedder)
    store, manifest, _ = _live(settings)
    store.write_manifest(dataclasses.replace(manifest, format_version=FORMAT_VERSION + 99))
    report = build_index(settings, embedder=cached_embedder)
    assert report.full_rebuild_reason is not None and f"v{FORMAT_VERSION + 99}" in report.full_rebuild_reason
    assert report.chunks_embedded == first.chunks_total


def test_chunk_ids_are_identical_across_full_rebuilds(settings: Settings, cached_embedder: Embedder) -> None:
    first = build_index(settings, embedder=cached_embedder)
    _, _, collection = _live(settings)
    ids_first = sorted(collection.get()["ids"])
    again = build_index(settings, embedder=cached_embedder, force=True)
    _, _, collection = _live(settings)
    assert again.full_rebuild_reason == "requested"
    assert again.generation != first.generation
    assert sorted(collection.get()["ids"]) == ids_first
    assert len(ids_first) == first.chunks_total


def test_interrupted_rebuild_leaves_the_old_index_live(settings: Settings, cached_embedder: Embedder) -> None:
    first = build_index(settings, embedder=cached_embedder)
    store, old_manifest, _ = _live(settings)
    interrupting = InterruptingEmbedder(cached_embedder)
    with pytest.raises(KeyboardInterrupt):
        build_index(settings.replace(embedding_batch_size=4), embedder=interrupting, store=store, force=True)
    assert len(interrupting.texts) == 4  # one batch was embedded before the interrupt
    assert store.read_manifest() == old_manifest
    collection = store.collection(old_manifest.generation)
    assert collection.count() == first.chunks_total
    dense = DenseIndex(store.client, collection.name, cached_embedder)
    hits = dense.search("How long was Ai Weiwei detained?", 3)
    assert len(hits) == 3
    assert {h.review_id for h in hits} <= set(BOTH)
    report = build_index(settings, embedder=cached_embedder, store=store)
    assert report.did_nothing
    assert store.generations() == [old_manifest.generation]


_SLICE = 4  # chunks an interrupted test build stores before it stops


def _interrupt_after_one_slice(
    settings: Settings, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> tuple[Store, PendingBuild]:
    """Run a build that writes one slice of `_SLICE` chunks to Chroma, then is interrupted; return the
    store and the build it left pending."""
    monkeypatch.setattr(indexing, "_EMBED_SLICE", _SLICE)
    with pytest.raises(KeyboardInterrupt):
        build_index(settings.replace(embedding_batch_size=_SLICE), embedder=InterruptingEmbedder(embedder))
    monkeypatch.undo()
    store = open_store(settings)
    pending = store.read_pending()
    assert pending is not None
    return store, pending


def test_a_killed_build_is_resumed_by_the_next_one(
    settings: Settings, cached_embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, pending = _interrupt_after_one_slice(settings, cached_embedder, monkeypatch)
    kept = _SLICE
    assert store.read_manifest() is None  # nothing live yet
    assert store.collection(pending.generation).count() == kept
    counting = CountingEmbedder(cached_embedder)
    report = build_index(settings, embedder=counting, store=store)
    total = len(_chunks(settings))
    assert (report.chunks_resumed, report.chunks_embedded, report.chunks_total) == (kept, total - kept, total)
    assert len(counting.texts) == total - kept
    assert "resumed an interrupted build (4 chunks kept)" in report.summary()
    _, manifest, collection = _live(settings)
    assert manifest.generation == pending.generation and collection.count() == total
    assert store.read_pending() is None
    assert build_index(settings, embedder=counting, store=store).did_nothing


def test_a_resumed_build_re_embeds_reviews_edited_since(
    settings: Settings, cached_embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, pending = _interrupt_after_one_slice(settings, cached_embedder, monkeypatch)
    written = store.collection(pending.generation).get(include=["metadatas"])["metadatas"]
    edited = str(written[0]["review_id"])
    _edit(Path(settings.corpus_dir) / f"{edited}.md")
    report = build_index(settings, embedder=cached_embedder, store=store)
    expected = {c.id: c.text for c in _chunks(settings)}
    _, _, collection = _live(settings)
    got = collection.get(include=["documents"])
    assert dict(zip(got["ids"], got["documents"], strict=True)) == expected  # no stale chunk survived
    assert report.chunks_resumed == sum(1 for m in written if m["review_id"] != edited)


def test_a_build_with_other_settings_does_not_resume(
    settings: Settings, cached_embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, pending = _interrupt_after_one_slice(settings, cached_embedder, monkeypatch)
    other = settings.replace(chunk_size=300)
    report = build_index(other, embedder=cached_embedder, store=store)
    assert report.chunks_resumed == 0 and report.chunks_embedded == report.chunks_total
    assert pending.generation not in store.generations()  # the left-over was dropped


def test_whole_collections_are_read_in_pages(
    settings: Settings, cached_embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chroma cannot `get` 125,000 records at once ("too many SQL variables"): every whole-collection
    read goes page by page. With pages of 5 chunks, a copy, a resume and the keyword index still see
    every chunk."""
    from assistant import store as store_module
    from assistant.retrieval import load_all_hits

    monkeypatch.setattr(store_module, "PAGE", 5)
    monkeypatch.setattr(store_module.pages, "__defaults__", (5,))
    build_index(settings, embedder=cached_embedder)
    _edit(Path(settings.corpus_dir) / "review-001.md")
    report = build_index(settings, embedder=cached_embedder)
    assert report.unchanged == ("review-000",) and report.chunks_total == len(_chunks(settings))
    _, _, collection = _live(settings)
    assert collection.count() == report.chunks_total
    assert len(load_all_hits(collection)) == report.chunks_total
    assert sum(len(page["ids"]) for page in store_module.pages(collection, [])) == report.chunks_total


def test_a_build_keeps_only_the_live_and_the_previous_generation(
    settings: Settings, cached_embedder: Embedder
) -> None:
    generations = [build_index(settings, embedder=cached_embedder, force=True).generation for _ in range(4)]
    store, manifest, _ = _live(settings)
    assert manifest.generation == generations[-1]
    assert sorted(store.generations()) == sorted(generations[-2:])  # disk stays flat over builds


def test_next_build_drops_a_generation_left_by_a_crash(settings: Settings, cached_embedder: Embedder) -> None:
    build_index(settings, embedder=cached_embedder)
    store, manifest, _ = _live(settings)
    orphan = store.new_generation()  # what a killed build leaves behind
    orphan.add(ids=["x:0-1"], embeddings=[[0.1] * 384], documents=["x"], metadatas=[{"review_id": "x"}])
    assert sorted(store.generations()) == sorted([manifest.generation, orphan.name])
    report = build_index(settings, embedder=cached_embedder, store=store)
    assert report.did_nothing
    assert store.generations() == [manifest.generation]


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_killed_rebuild_process_leaves_the_old_index_usable(
    settings: Settings, cached_embedder: Embedder
) -> None:
    corpus = Path(settings.corpus_dir)
    for n in range(2, 6):  # more reviews, so the rebuild runs long enough to be killed in the middle
        source = corpus / f"review-00{n % 2}.md"
        (corpus / f"review-{n:03d}.md").write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    old = build_index(settings, embedder=cached_embedder)
    env = {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
        "ASSISTANT_INDEX_DIR": str(settings.index_dir),
        "ASSISTANT_EMBEDDING_BATCH_SIZE": "2",
    }
    process = subprocess.Popen(
        [ASSISTANT, "index", "--rebuild"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    progress = re.compile(r"\| *(\d+)/(\d+) \[")  # tqdm's "| 6/117 ["
    seen = threading.Event()
    output: list[str] = []

    def watch() -> None:
        assert process.stderr is not None
        while block := os.read(process.stderr.fileno(), 4096):
            output.append(block.decode("utf-8", "replace"))
            found = progress.findall("".join(output)[-200:])
            if found and 0 < int(found[-1][0]) < int(found[-1][1]):
                seen.set()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        assert seen.wait(timeout=180), "".join(output)[-2000:]
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=30)
    watcher.join(timeout=10)
    assert process.returncode == -signal.SIGKILL, "the rebuild finished before it could be killed"

    status = subprocess.run([ASSISTANT, "status"], env=env, capture_output=True, text=True, timeout=120)
    assert status.returncode == 0, status.stdout + status.stderr
    assert "index: up to date" in status.stdout
    reopened = subprocess.run(
        [sys.executable, "-c", _QUERY_IN_A_FRESH_PROCESS, str(settings.index_dir)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert reopened.returncode == 0, reopened.stderr
    assert json.loads(reopened.stdout) == {"generation": old.generation, "count": old.chunks_total, "hits": 3}
    store, manifest, collection = _live(settings)
    assert manifest.generation == old.generation
    assert collection.count() == old.chunks_total
    dense = DenseIndex(store.client, collection.name, cached_embedder)
    hits = dense.search("How long was Ai Weiwei detained?", 3)
    assert len(hits) == 3 and any("81 days" in h.text for h in hits)
    assert len(store.generations()) == 2  # the killed build's partial generation is still there
    report = build_index(settings, embedder=cached_embedder, store=store)
    assert report.did_nothing
    assert store.generations() == [old.generation]


def test_second_build_while_one_is_running_raises_build_locked_error(
    settings: Settings, cached_embedder: Embedder
) -> None:
    blocking = BlockingEmbedder(cached_embedder)
    results: list[IndexReport | BaseException] = []

    def first_build() -> None:
        try:
            results.append(build_index(settings, embedder=blocking))
        except BaseException as exc:
            results.append(exc)

    thread = threading.Thread(target=first_build)
    thread.start()
    try:
        assert blocking.entered.wait(timeout=60)
        with pytest.raises(BuildLockedError, match="another index build is running"):
            build_index(settings, embedder=cached_embedder)
    finally:
        blocking.release.set()
        thread.join(timeout=60)
    assert len(results) == 1 and isinstance(results[0], IndexReport)
    assert results[0].added == BOTH
    assert build_index(settings, embedder=cached_embedder).did_nothing  # the lock is free again


def test_index_status_missing_then_up_to_date_then_stale(
    settings: Settings, cached_embedder: Embedder
) -> None:
    status = index_status(settings)
    assert status.state.value == "missing" and status.changes is not None
    assert status.changes.added == BOTH
    build_index(settings, embedder=cached_embedder)
    status = index_status(settings)
    assert status.state.value == "up to date" and status.reason is None
    _edit(Path(settings.corpus_dir) / "review-000.md")
    status = index_status(settings)
    assert status.state.value == "stale" and status.changes is not None
    assert status.changes.changed == ("review-000",)
    assert "corpus changed" in str(status.reason)
    build_index(settings, embedder=cached_embedder)
    assert index_status(settings).state.value == "up to date"
    status = index_status(settings.replace(chunk_size=300))
    assert status.state.value == "stale" and "chunking" in str(status.reason)


def test_bad_review_file_stops_the_build_and_keeps_the_index(
    settings: Settings, cached_embedder: Embedder
) -> None:
    first = build_index(settings, embedder=cached_embedder)
    (Path(settings.corpus_dir) / "review-002.md").write_text("no metadata here\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="review-002.md"):
        build_index(settings, embedder=cached_embedder)
    _, manifest, collection = _live(settings)
    assert manifest.generation == first.generation
    assert collection.count() == first.chunks_total


def test_report_summary_says_what_changed(settings: Settings, cached_embedder: Embedder) -> None:
    report = build_index(settings, embedder=cached_embedder)
    summary = report.summary()
    assert summary.startswith("added 2, changed 0, removed 0, unchanged 0 reviews")
    assert f"embedded {report.chunks_embedded} of {report.chunks_total} chunks" in summary
    assert "full rebuild" not in summary


def test_manifest_round_trips_and_unreadable_manifest_is_an_index_state_error(
    settings: Settings, cached_embedder: Embedder
) -> None:
    build_index(settings, embedder=cached_embedder)
    _, manifest, _ = _live(settings)
    assert Manifest.from_json(manifest.to_json()) == manifest
    assert (
        manifest.reviews["review-001"].content_hash
        == parse_review(Path(settings.corpus_dir) / "review-001.md").content_hash
    )
    with pytest.raises(IndexStateError, match="unreadable"):
        Manifest.from_json('{"format_version": 1}')
    with pytest.raises(IndexStateError, match="unreadable"):
        Manifest.from_json("not json")


def test_missing_live_collection_is_an_index_state_error(
    settings: Settings, cached_embedder: Embedder
) -> None:
    report = build_index(settings, embedder=cached_embedder)
    store = open_store(settings)
    store.client.delete_collection(report.generation)
    with pytest.raises(IndexStateError, match="assistant index --rebuild"):
        store.collection(report.generation)


def test_disk_use_stays_flat_over_20_builds(settings: Settings, cached_embedder: Embedder) -> None:
    """Chroma leaves a deleted collection's vector folder behind; builds remove those orphans."""
    chroma = Path(settings.index_dir) / "chroma"

    def disk() -> tuple[int, int]:
        folders = [p for p in chroma.iterdir() if p.is_dir()]
        return len(folders), sum(f.stat().st_size for f in chroma.rglob("*") if f.is_file())

    sizes = []
    for _ in range(20):
        build_index(settings, embedder=cached_embedder, force=True)
        sizes.append(disk())
    # The manifest's collection and the two generations kept (live and previous): three folders.
    assert all(folders <= 3 for folders, _ in sizes), sizes
    assert sizes[-1][1] <= 1.15 * sizes[9][1], sizes  # flat once SQLite reuses its free pages
    assert build_index(settings, embedder=cached_embedder).did_nothing


def test_reclaiming_leaves_a_chroma_server_and_live_folders_alone(
    settings: Settings, cached_embedder: Embedder
) -> None:
    from assistant.store import reclaim_orphan_folders

    build_index(settings, embedder=cached_embedder)
    chroma = Path(settings.index_dir) / "chroma"
    live = sorted(p.name for p in chroma.iterdir() if p.is_dir())
    orphan = chroma / "0123abcd-0000-4000-8000-000000000000"
    orphan.mkdir()
    (orphan / "data_level0.bin").write_bytes(b"x" * 1000)
    assert reclaim_orphan_folders(settings.replace(chroma_host="127.0.0.1")) == 0 and orphan.exists()
    assert reclaim_orphan_folders(settings) == 1000
    assert sorted(p.name for p in chroma.iterdir() if p.is_dir()) == live
