"""Server mode: the same indexing code against a real `chroma run` server on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_app import free_port, stop_process

from assistant.chunking import split_review
from assistant.config import Settings
from assistant.corpus import parse_review
from assistant.embedding import Embedder
from assistant.index_state import index_status
from assistant.indexing import build_index
from assistant.retrieval import DenseIndex
from assistant.store import IndexStateError, open_store

pytestmark = [pytest.mark.server, pytest.mark.timeout(180)]

CHROMA = str(Path(sys.executable).with_name("chroma"))


def _wait_for_heartbeat(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"chroma exited with {process.returncode}:\n{log.read_text(errors='replace')[-2000:]}"
            )
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"chroma did not answer on port {port}:\n{log.read_text(errors='replace')[-2000:]}")


@pytest.fixture
def chroma_port(tmp_path: Path) -> Iterator[int]:
    """A real Chroma server with its data in tmp; stopped at the end of the test."""
    port = free_port()
    log = tmp_path / "chroma.log"
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            [
                CHROMA,
                "run",
                "--path",
                str(tmp_path / "chroma-data"),
                "--port",
                str(port),
                "--host",
                "127.0.0.1",
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_heartbeat(port, process, log)
        yield port
    finally:
        stop_process(process, timeout=20)


def test_index_builds_updates_and_answers_on_a_chroma_server(
    settings: Settings, chroma_port: int, cached_embedder: Embedder
) -> None:
    server = settings.replace(chroma_host="127.0.0.1", chroma_port=chroma_port)
    first = build_index(server, embedder=cached_embedder)
    assert first.added == ("review-000", "review-001")
    assert first.chunks_embedded == first.chunks_total > 0
    assert not (Path(settings.index_dir) / "chroma").exists()  # nothing was written to the local index
    assert index_status(server).state.value == "up to date"
    assert index_status(settings).state.value == "missing"  # the local index is a different one

    path = Path(settings.corpus_dir) / "review-000.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nIt is a film about courage.\n", encoding="utf-8")
    assert index_status(server).state.value == "stale"
    second = build_index(server, embedder=cached_embedder)
    changed_chunks = split_review(parse_review(path), server.chunk_size, server.chunk_overlap_sentences)
    assert second.changed == ("review-000",) and second.unchanged == ("review-001",)
    assert second.chunks_embedded == len(changed_chunks)
    assert build_index(server, embedder=cached_embedder).did_nothing

    store = open_store(server)  # a new client, as another process would open it
    manifest = store.read_manifest()
    assert manifest is not None and manifest.generation == second.generation
    assert sorted(store.generations()) == sorted([first.generation, second.generation])  # previous kept
    collection = store.collection(manifest.generation)
    assert collection.count() == second.chunks_total
    hits = DenseIndex(store.client, collection.name, cached_embedder).search(
        "How long was Ai Weiwei held by the authorities?", 3
    )
    assert any("81 days" in h.text for h in hits), [h.text[:80] for h in hits]
    ids = set(collection.get(where={"review_id": "review-000"})["ids"])
    assert ids == {c.id for c in changed_chunks}


def test_unreachable_server_is_an_index_state_error(settings: Settings) -> None:
    server = settings.replace(chroma_host="127.0.0.1", chroma_port=free_port())
    with pytest.raises(IndexStateError, match=r"cannot open the Chroma server at 127\.0\.0\.1:\d+"):
        open_store(server)
