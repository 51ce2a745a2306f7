"""The index on disk: immutable segments, a deletion list and an optional IVF index, named by
a small versioned manifest that is replaced atomically.

    index/
      manifest.json          format, model, pipeline, segments, deletions, ANN, counts
      seg-000001/ …          see segment.py; written once, never changed
      deleted-000007.npy     ids of passages replaced or removed since their segment was written
      ann-000005.faiss       IVF over the vectors of the segments it names (large indexes only)

An update writes only new files (a segment with the new articles, a new deletion list) and
then swaps the manifest with os.replace: a crash at any moment leaves the old index or the
new one. Files no manifest names, current or previous, are removed afterwards; the previous
manifest's files are kept one round for readers mid-load. Nothing is pickled.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import numpy as np

from . import ann
from .errors import IndexMismatchError, IndexNotFoundError
from .segment import Segment, StoredPassage  # noqa: F401  (StoredPassage is part of this module's API)

FORMAT = "news-assistant-index"
FORMAT_VERSION = 2
MANIFEST = "manifest.json"


def read_manifest(index_dir: Path) -> dict:
    path = Path(index_dir) / MANIFEST
    if not path.is_file():
        raise IndexNotFoundError(f"No index in {index_dir}: build it with `python -m assistant index --index {index_dir}`.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexMismatchError(f"{path} is unreadable ({exc}); rebuild with `python -m assistant index --rebuild`.") from None
    if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"{index_dir} holds index format {manifest.get('format')!r} version {manifest.get('version')!r}; "
            f"this program reads {FORMAT!r} version {FORMAT_VERSION}. Rebuild it with `python -m assistant index --rebuild`."
        )
    return manifest


def check_model(manifest: dict, embedder, index_dir: Path) -> None:
    """Refuse to mix vectors of two models, or of two backends of one model, in one index."""
    stored = manifest["model"]
    if stored["id"] != embedder.model_id or stored["fingerprint"] != embedder.fingerprint:
        raise IndexMismatchError(
            f"The index in {index_dir} was built with model {stored['id']!r} (fingerprint {stored['fingerprint']}), "
            f"not {embedder.model_id!r} ({embedder.fingerprint}). Use that model, or rebuild with "
            "`python -m assistant index --rebuild`."
        )
    if stored.get("backend", "float32") != embedder.backend:
        raise IndexMismatchError(
            f"The index in {index_dir} holds vectors from the {stored.get('backend', 'float32')!r} backend, not "
            f"{embedder.backend!r}. Set ASSISTANT_BACKEND={stored.get('backend', 'float32')}, or rebuild with "
            "`python -m assistant index --rebuild`."
        )


def load(index_dir: Path, *, retries: int = 3, reuse=None):
    """The published index, memory-mapped; retried if a writer swaps it mid-load.

    `reuse`, a previously loaded Index of the same directory, lends its open segments and
    IVF index (they never change), so a reload after an update opens only the new files.
    """
    from .index import Index

    index_dir = Path(index_dir)
    open_segments = {s.name: s for s in reuse.segments} if reuse is not None else {}
    for attempt in range(retries):
        manifest = read_manifest(index_dir)
        try:
            segments = [open_segments.get(s["name"]) or Segment(index_dir / s["name"]) for s in manifest["segments"]]
            deleted = np.load(index_dir / manifest["deleted"]) if manifest.get("deleted") else np.zeros(0, np.int64)
            same_ann = reuse is not None and reuse.manifest.get("ann") and manifest.get("ann") \
                and reuse.manifest["ann"]["file"] == manifest["ann"]["file"]
            ann_index = reuse.ann if same_ann else (
                ann.load(index_dir / manifest["ann"]["file"]) if manifest.get("ann") else None)
            return Index(manifest, segments, deleted, ann_index)
        except (FileNotFoundError, OSError) as exc:
            if attempt == retries - 1:
                raise IndexMismatchError(f"{index_dir} is incomplete ({exc}); rebuild with "
                                         "`python -m assistant index --rebuild`.") from None
            time.sleep(0.05)
    raise AssertionError("unreachable")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_segment(index_dir: Path, name: str, **parts) -> None:
    """Write segment `name` (see segment.write) under a staging name, then rename it into place."""
    from . import segment

    staging = index_dir / f".staging-{name}"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(index_dir / name, ignore_errors=True)  # left by a crashed build; no manifest names it
    segment.write(staging, **parts)
    os.rename(staging, index_dir / name)


def write_array(index_dir: Path, name: str, array: np.ndarray) -> None:
    staging = index_dir / f".staging-{name}"
    with staging.open("wb") as fh:
        np.save(fh, array)
        fh.flush()
        os.fsync(fh.fileno())
    os.rename(staging, index_dir / name)


def write_ann(index_dir: Path, name: str, index) -> None:
    staging = index_dir / f".staging-{name}"
    ann.save(index, staging)
    with staging.open("rb") as fh:
        os.fsync(fh.fileno())
    os.rename(staging, index_dir / name)


def _files(manifest: dict | None) -> set[str]:
    if not manifest:
        return set()
    names = {s["name"] for s in manifest.get("segments", [])}
    names |= {manifest[k] for k in ("deleted",) if manifest.get(k)}
    if manifest.get("ann"):
        names.add(manifest["ann"]["file"])
    return names


def publish(index_dir: Path, manifest: dict) -> None:
    """Make `manifest` the index in one atomic step, then remove files nothing names any more."""
    index_dir.mkdir(parents=True, exist_ok=True)
    try:
        previous = json.loads((index_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        previous = None
    tmp = index_dir / f".{MANIFEST}.{os.getpid()}.tmp"
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(manifest, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    _fsync_dir(index_dir)  # the new files' names are durable before the manifest names them
    os.replace(tmp, index_dir / MANIFEST)
    _fsync_dir(index_dir)
    remove_unreferenced(index_dir, _files(manifest) | _files(previous))


def remove_unreferenced(index_dir: Path, keep: set[str]) -> None:
    """Drop segments and files no kept manifest names, and leftovers of crashed writes."""
    for path in index_dir.iterdir():
        name = path.name
        stale = name.startswith((".staging-", f".{MANIFEST}.")) or (
            name.startswith(("seg-", "deleted-", "ann-", "gen-")) and name not in keep)
        if stale:
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
