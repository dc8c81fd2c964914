"""The keyword index of a generation, saved beside the local index, so a start need not re-read and
re-stem every chunk.

At 10,000 reviews (about 125,000 chunks) reading the chunks back from Chroma and stemming them takes
several seconds on 2 cores; loading the saved columns and BM25 arrays takes a fraction of one. The file
is named after the generation, which no other build reuses, so it can never describe other chunks; a
missing or unreadable file is rebuilt from Chroma. Files of generations that are gone are deleted.
"""

from __future__ import annotations

import contextlib
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .bm25 import BM25
from .config import Settings
from .retrieval import ChunkTable, KeywordIndex, load_all_hits

FORMAT = 1
_SUFFIX = ".keyword.npz"


def keyword_folder(settings: Settings) -> Path:
    """Where the keyword indexes of `settings`' index are saved (beside a local index, and for a
    Chroma server in the local index folder too, keyed by its generations' names)."""
    return Path(settings.index_dir) / "keyword"


def cache_path(folder: Path, generation: str) -> Path:
    """The file of `generation`'s keyword index in `folder`."""
    return folder / f"{generation}{_SUFFIX}"


def keyword_index(collection: Any, folder: Path | None) -> KeywordIndex:
    """The keyword index of `collection` (a generation): from its saved file, or built and saved."""
    path = cache_path(folder, collection.name) if folder else None
    if path is not None and path.exists():
        with contextlib.suppress(Exception):  # unreadable or from another version: rebuild below
            return load(path)
    index = KeywordIndex(load_all_hits(collection))
    if path is not None:
        with contextlib.suppress(OSError):  # a read-only folder: answer anyway, just slower to start
            save(index, path)
    return index


def save(index: KeywordIndex, path: Path) -> None:
    """Write `index` to `path` (to a temporary name, then renamed: never half a file)."""
    chunks, bm25 = index.chunks, index.bm25
    meta = {
        "format": FORMAT,
        "ids": list(chunks.ids),
        "review_ids": list(chunks.review_ids),
        "vocabulary": sorted(bm25.vocabulary, key=bm25.vocabulary.__getitem__) if bm25 else None,
        "size": bm25.size if bm25 else 0,
    }
    arrays: dict[str, np.ndarray] = {
        "meta": np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
        "starts": chunks.starts,
        "ends": chunks.ends,
        "text_bytes": np.frombuffer(chunks.text_bytes, dtype=np.uint8),
        "text_offsets": chunks.text_offsets,
    }
    arrays.update({f"bm25_{k}": v for k, v in bm25.arrays().items()} if bm25 else {})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        np.savez(handle, **arrays)  # type: ignore[arg-type]  # the stub types **kwds as bool
    os.replace(tmp, path)


def load(path: Path) -> KeywordIndex:
    """Read a keyword index `save` wrote; raise ValueError when the file is not one."""
    try:
        return _load(path)
    except (OSError, EOFError, KeyError, TypeError, ValueError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{path} is not a saved keyword index of this version: {exc}") from exc


def _load(path: Path) -> KeywordIndex:
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(data["meta"].tobytes().decode("utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(f"{path}: keyword index format {meta.get('format')!r}, not {FORMAT}")
        chunks = ChunkTable(
            ids=meta["ids"],
            review_ids=meta["review_ids"],
            starts=data["starts"],
            ends=data["ends"],
            text_bytes=data["text_bytes"].tobytes(),
            text_offsets=data["text_offsets"],
        )
        bm25 = None
        if meta["vocabulary"] is not None:
            arrays = {k: data[f"bm25_{k}"] for k in ("offsets", "docs", "weights", "idf")}
            bm25 = BM25.from_arrays(meta["vocabulary"], meta["size"], arrays)
    if not len(chunks.ids) == len(chunks.review_ids) == len(chunks.starts) == len(chunks.text_offsets) - 1:
        raise ValueError(f"{path}: the chunk columns differ in length")
    return KeywordIndex.from_parts(chunks, bm25)


def prune(folder: Path, keep: set[str]) -> int:
    """Delete the saved keyword indexes of generations not in `keep`; return how many went."""
    removed = 0
    for path in folder.glob(f"*{_SUFFIX}") if folder.is_dir() else ():
        if path.name[: -len(_SUFFIX)] not in keep:
            with contextlib.suppress(OSError):
                path.unlink()
                removed += 1
    return removed
