"""The Chroma index: client (embedded or server), generations of the collection, and the manifest.

Every build writes a *new* collection (a generation) and only then points the manifest at it, in
one upsert. A crash or Ctrl-C mid-build leaves the manifest on the previous generation, which
stays complete and usable; the orphan is deleted by the next build.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .config import Settings

FORMAT_VERSION = 2  # v2: sentence splitter and overlap fixes change chunk ids
_MANIFEST_ID = "manifest"
# The generation a build is writing, so that a killed build can be resumed (see `PendingBuild`).
_PENDING_ID = "pending"


class IndexStateError(Exception):
    """The index is missing, unreadable or out of step; the message says what to run."""


@dataclass(frozen=True)
class ReviewEntry:
    """What the manifest remembers of one indexed review."""

    content_hash: str
    chunks: int
    title: str = ""


@dataclass(frozen=True)
class Manifest:
    """The description of the live index: how it was built and from what."""

    format_version: int
    embedding_model: str
    embedding_dim: int
    chunk_size: int
    chunk_overlap_sentences: int
    generation: str
    built_at: float
    reviews: dict[str, ReviewEntry] = field(default_factory=dict)
    # Manifests written before the setting existed were embedded with torch.
    embedding_runtime: str = "torch"

    def to_json(self) -> str:
        """Return the manifest as a JSON string."""
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, raw: str) -> Manifest:
        """Parse a manifest written by `to_json`; raise IndexStateError if it is unreadable."""
        try:
            data = json.loads(raw)
            data["reviews"] = {k: ReviewEntry(**v) for k, v in data.get("reviews", {}).items()}
            return cls(**data)
        except (ValueError, TypeError, KeyError) as exc:
            raise IndexStateError(f"the index manifest is unreadable ({exc}).") from exc

    def settings_mismatch(self, settings: Settings) -> str | None:
        """Return why `settings` need a full rebuild of this index, or None if they match."""
        if self.format_version != FORMAT_VERSION:
            return f"index format v{self.format_version}, this version writes v{FORMAT_VERSION}"
        if self.embedding_model != settings.embedding_model:
            return f"embedding model {self.embedding_model!r} -> {settings.embedding_model!r}"
        if vector_kind(self.embedding_runtime) != vector_kind(settings.embedding_runtime):
            return f"embedding runtime {self.embedding_runtime!r} -> {settings.embedding_runtime!r}"
        if (self.chunk_size, self.chunk_overlap_sentences) != (
            settings.chunk_size,
            settings.chunk_overlap_sentences,
        ):
            return (
                f"chunking {self.chunk_size}/{self.chunk_overlap_sentences} -> "
                f"{settings.chunk_size}/{settings.chunk_overlap_sentences}"
            )
        return None


@dataclass(frozen=True)
class PendingBuild:
    """The generation a build is filling, and what its vectors and chunks were made with (`build_key`)."""

    generation: str
    key: str

    @staticmethod
    def build_key(settings: Settings) -> str:
        """What must match for a later build to keep this one's chunks."""
        parts = (
            FORMAT_VERSION,
            settings.embedding_model,
            vector_kind(settings.embedding_runtime),
            settings.chunk_size,
            settings.chunk_overlap_sentences,
        )
        return json.dumps(parts)


#: Records fetched per call when reading a whole collection: one unbounded `get` of 125,000 chunks
#: fails inside Chroma ("too many SQL variables").
PAGE = 2000


def pages(collection: Any, include: list[str], page: int = PAGE) -> Iterator[dict[str, Any]]:
    """Every record of `collection`, `page` at a time: dicts with "ids" and the `include` fields."""
    offset = 0
    while True:
        got = collection.get(include=include, limit=page, offset=offset)
        if not got["ids"]:
            return
        yield got
        offset += len(got["ids"])
        if len(got["ids"]) < page:
            return


def vector_kind(runtime: str) -> str:
    """Runtimes whose vectors are interchangeable share a kind: torch and fp32 ONNX agree to 1e-7.

    >>> vector_kind("torch") == vector_kind("onnx") != vector_kind("onnx-int8")
    True
    """
    return "int8" if runtime.endswith("int8") else "fp32"


def make_client(settings: Settings) -> Any:
    """Return a Chroma client: `HttpClient` when a server is configured, else a local folder."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_host:
            return chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
            )
        path = Path(settings.index_dir) / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:
        where = (
            f"the Chroma server at {settings.chroma_host}:{settings.chroma_port}"
            if settings.chroma_host
            else f"the local index in {settings.index_dir}"
        )
        raise IndexStateError(
            f"cannot open {where}: {exc}\n"
            "If the index is corrupted, rebuild it with `assistant index --rebuild`."
        ) from exc


class Store:
    """The collections of one index, and the manifest that names the live one."""

    def __init__(self, client: Any, name: str) -> None:
        self.client = client
        self.name = name
        self._manifest_name = f"{name}-manifest"

    def read_manifest(self) -> Manifest | None:
        """Return the live manifest, or None if no index was ever completed here."""
        try:
            pointer = self.client.get_collection(self._manifest_name)
        except Exception:
            return None
        got = pointer.get(ids=[_MANIFEST_ID], include=["documents"])
        docs = got.get("documents") or []
        return Manifest.from_json(docs[0]) if docs else None

    def write_manifest(self, manifest: Manifest) -> None:
        """Point the index at `manifest.generation`, atomically (one upsert of one record)."""
        pointer = self.client.get_or_create_collection(self._manifest_name)
        pointer.upsert(ids=[_MANIFEST_ID], documents=[manifest.to_json()], embeddings=[[0.0]])

    def read_pending(self) -> PendingBuild | None:
        """The build that was writing a generation when it stopped, if any (None when unreadable)."""
        try:
            got = self.client.get_collection(self._manifest_name).get(
                ids=[_PENDING_ID], include=["documents"]
            )
            docs = got.get("documents") or []
            return PendingBuild(**json.loads(docs[0])) if docs else None
        except Exception:  # no manifest collection yet, or a record from another version: start afresh
            return None

    def write_pending(self, pending: PendingBuild | None) -> None:
        """Record the generation a build is writing (None: no build is under way)."""
        pointer = self.client.get_or_create_collection(self._manifest_name)
        if pending is None:
            pointer.delete(ids=[_PENDING_ID])
        else:
            doc = json.dumps(asdict(pending))
            pointer.upsert(ids=[_PENDING_ID], documents=[doc], embeddings=[[0.0]])

    def new_generation(self) -> Any:
        """Create and return an empty collection for the next build."""
        name = f"{self.name}-g{time.time_ns()}-{secrets.token_hex(3)}"
        return self.client.create_collection(name, metadata={"hnsw:space": "cosine"})

    def collection(self, generation: str) -> Any:
        """Return the collection of `generation`; raise IndexStateError if it is gone."""
        try:
            return self.client.get_collection(generation)
        except Exception as exc:
            raise IndexStateError(
                f"the index names collection {generation!r}, which is missing: "
                "run `assistant index --rebuild`."
            ) from exc

    def generations(self) -> list[str]:
        """Return the names of every generation collection of this index."""
        prefix = f"{self.name}-g"
        return [c.name for c in self.client.list_collections() if c.name.startswith(prefix)]

    def drop_generations(self, keep: str | None) -> list[str]:
        """Delete every generation but `keep` and the one live before it; return the dropped ones.

        The previous generation stays until the next build, so that a process still reading it (the
        web chat while `assistant index` runs elsewhere) can finish its question and switch over
        (`Assistant` follows the manifest). Generations newer than `keep` are left-overs of
        interrupted builds and go too.
        """
        existing = self.generations()
        previous = [g for g in existing if keep and _created(g) < _created(keep)]
        kept = {keep, max(previous, key=_created)} if previous else {keep}
        dropped = [g for g in existing if g not in kept]
        for name in dropped:
            self.client.delete_collection(name)
        return dropped


_SEGMENT_DIR = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def reclaim_orphan_folders(settings: Settings) -> int:
    """Remove the vector folders Chroma leaves behind when a collection is deleted; return bytes freed.

    A local index only (a Chroma server keeps its own disk). A folder is removed only when its name is a
    segment id that no segment of `chroma.sqlite3` names any more. The folders are listed before the
    segments are read, so a collection created meanwhile is never taken for an orphan; builds hold
    the build lock while they call this.
    """
    if settings.chroma_host:
        return 0
    root = Path(settings.index_dir) / "chroma"
    database = root / "chroma.sqlite3"
    if not database.exists():
        return 0
    folders = [p for p in root.iterdir() if p.is_dir() and _SEGMENT_DIR.match(p.name)]
    if not folders:
        return 0
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)) as db:
        live = {str(row[0]) for row in db.execute("SELECT id FROM segments")}
    freed = 0
    for folder in folders:
        if folder.name not in live:
            freed += sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
            shutil.rmtree(folder, ignore_errors=True)
    return freed


def check_store(store: Store) -> str | None:
    """None when the index reads back whole; otherwise what is wrong with it, in words.

    Whole: the manifest (if any) parses, and its live generation exists and holds the number of
    chunks the manifest lists.
    """
    try:
        manifest = store.read_manifest()
    except Exception as exc:
        return f"the manifest cannot be read ({exc})"
    if manifest is None:
        return None
    try:
        count = store.collection(manifest.generation).count()
    except Exception:
        return f"its live collection {manifest.generation} is missing"
    expected = sum(entry.chunks for entry in manifest.reviews.values())
    if count != expected:
        return f"its live collection holds {count} chunks, the manifest lists {expected}"
    return None


def move_aside(settings: Settings) -> Path:
    """Move a local index's Chroma folder to `<index>/broken-<time>` (nothing is deleted); return it."""
    if settings.chroma_host:
        raise IndexStateError(
            "the index on the Chroma server cannot be read; repair or reset it on the server "
            f"({settings.chroma_host}:{settings.chroma_port})."
        )
    source = Path(settings.index_dir) / "chroma"
    target = Path(settings.index_dir) / f"broken-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"
    source.rename(target)
    _forget_clients()
    return target


def _forget_clients() -> None:
    """Chroma caches one client per folder in a process; drop it after the folder was moved."""
    try:
        from chromadb.api.client import SharedSystemClient

        SharedSystemClient.clear_system_cache()
    except Exception:  # an older or newer chromadb without the cache: nothing to forget
        pass


def _created(generation: str) -> tuple[int, str]:
    """Sort key of a generation name `<name>-g<unix time>-<hex>`: its creation time, then the name."""
    stamp = generation.rsplit("-g", 1)[-1].split("-")[0]
    return (int(stamp) if stamp.isdigit() else 0, generation)


def open_store(settings: Settings) -> Store:
    """Return the store named by `settings`."""
    return Store(make_client(settings), settings.collection)
