"""The index on disk: immutable segments, a deletion list and an optional IVF index, named by
a small versioned manifest that is replaced atomically.

    index/
      manifest.json          format, model, pipeline, segments, deletions, ANN, counts
      seg-000001/ …          see segment.py; written once, never changed
      deleted-000007.npy     ids of passages replaced or removed since their segment was written
      ann-000005.faiss       IVF over the vectors of the segments it names (large indexes only)

An update writes only new files (a segment with the new articles, a new deletion list) and
then swaps the manifest with os.replace: a crash at any moment leaves the old index or the
new one. No name is ever used twice (`unique_name`), so nothing a published manifest names is
overwritten; files the new manifest does not name are removed right after it is published
(loaded indexes hold theirs open). Nothing is pickled.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from pathlib import Path

import numpy as np

from . import ann, durable, segment
from ...errors import IndexDamagedError, IndexMismatchError, IndexNotFoundError, printable
from .integrity import (REPAIR, UNREADABLE, check_files, damage, damaged_error, damaged_manifest,  # noqa: F401
                        manifest_checksum, record_files)
from .manifest import Manifest
from .segment import Segment, StoredPassage  # noqa: F401  (StoredPassage is part of this module's API)
from .view import Index
from ..base import ModelInfo, check_same_model

FORMAT = "news-assistant-index"
FORMAT_VERSION = 4  # 3: the manifest records every file's size and CRC-32; 4: BM25 postings, not bm25s scores
MANIFEST = "manifest.json"


def read_manifest(index_dir: Path) -> Manifest:
    path = Path(index_dir) / MANIFEST
    if not path.is_file():
        leftovers = Path(index_dir).is_dir() and any(p.name.startswith("seg-") for p in Path(index_dir).iterdir())
        why = f" (segments but no {MANIFEST}: never published, or lost)" if leftovers else ""
        raise IndexNotFoundError(f"No index in {printable(index_dir)}{why}: build it with "
                                 f"`python -m assistant index --index {printable(index_dir)}`.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise damaged_manifest(index_dir, f"is unreadable ({exc})") from None
    if not isinstance(manifest, dict):
        raise damaged_manifest(index_dir, "is not an object")
    if manifest.get("format") == FORMAT and manifest.get("version") == FORMAT_VERSION \
            and manifest.get("checksum") != manifest_checksum(manifest):
        raise damaged_manifest(index_dir, "is altered (checksum mismatch)")
    if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"{printable(index_dir)} holds index format {manifest.get('format')!r} version {manifest.get('version')!r}; "
            f"this program reads {FORMAT!r} version {FORMAT_VERSION}. Rebuild it with `python -m assistant index --rebuild`."
        )
    try:
        return Manifest.from_json(manifest)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise damaged_manifest(index_dir, f"is malformed ({exc})") from None


def older_format(index_dir: Path) -> bool:
    """The published manifest is this program's format at an earlier version (an update rebuilds it)."""
    try:
        manifest = json.loads((Path(index_dir) / MANIFEST).read_text(encoding="utf-8"))
        return manifest.get("format") == FORMAT and 0 < int(manifest.get("version")) < FORMAT_VERSION
    except (OSError, ValueError, TypeError, AttributeError):
        return False


def check_model(manifest: Manifest, model: ModelInfo, index_dir: Path) -> None:
    """Refuse to mix vectors of two models, or of two backends of one model, in one index."""
    check_same_model(manifest.model, model, str(index_dir))


def load(index_dir: Path, *, retries: int = 3, reuse=None):
    """The published index, memory-mapped; retried if a writer swaps it mid-load.

    `reuse`, a previously loaded Index of the same directory, lends its open segments and
    IVF index (they never change), so a reload after an update opens only the new files.
    Each file is checked against the size and CRC-32 the manifest records before it is
    first opened; a damaged one raises IndexDamagedError naming it.
    """
    index_dir = Path(index_dir)
    open_segments = {s.name: s for s in reuse.segments} if reuse is not None else {}
    for attempt in range(retries):
        manifest = read_manifest(index_dir)
        try:
            return _open(index_dir, manifest, open_segments, reuse)
        except IndexDamagedError:
            if attempt == retries - 1 or read_manifest(index_dir).uid == manifest.uid:
                raise  # the same manifest: really damaged, not replaced under us
            time.sleep(0.05)
    raise AssertionError("unreachable")


def open_manifest(index_dir: Path, manifest: Manifest):
    """The Index of a manifest that is not (yet) published, e.g. the salvaged part of a damaged one."""
    return _open(Path(index_dir), manifest, {}, None)


def _open(index_dir: Path, manifest: Manifest, open_segments: dict, reuse):
    """The Index of `manifest`; every file it opens for the first time is checked first."""

    same_ann = reuse is not None and reuse.manifest.ann and manifest.ann and reuse.manifest.ann.file == manifest.ann.file
    fresh = {name for name in manifest.segment_names if name not in open_segments}
    fresh |= {manifest.deleted} if manifest.deleted else set()
    fresh |= {manifest.ann.file} if manifest.ann and not same_ann else set()
    unlisted = fresh - {f.split("/", 1)[0] for f in manifest.files}
    problems = [f"{name} is not in the manifest's file list" for name in sorted(unlisted)]
    problems += check_files(index_dir, manifest, fresh)
    if problems:
        raise damaged_error(index_dir, problems)
    opening = None
    try:
        # Every file is opened now, while the manifest names it: a later publish may delete it,
        # and open files and memory maps stay readable after that.
        segments = []
        for name in manifest.segment_names:
            opening = name
            segments.append(open_segments.get(name) or Segment(index_dir / name).warm().checked())
        opening = manifest.deleted
        deleted = np.load(index_dir / manifest.deleted) if manifest.deleted else np.zeros(0, np.int64)
        opening = manifest.ann.file if manifest.ann else None
        ann_index = reuse.ann if same_ann else (ann.load(index_dir / manifest.ann.file) if opening else None)
    except UNREADABLE as exc:
        raise damaged_error(index_dir, [f"{opening} cannot be read ({type(exc).__name__}: {exc})"]) from None
    return Index(manifest, segments, deleted, ann_index, str(index_dir))


def last_generation(index_dir: Path) -> int:
    """The generation of the published manifest, 0 when there is none or it is unreadable."""
    try:
        return int(json.loads((Path(index_dir) / MANIFEST).read_text(encoding="utf-8"))["generation"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0



def write_segment(index_dir: Path, name: str, **parts) -> None:
    """Write segment `name` (see segment.write) under a staging name, then rename it into place."""
    if (index_dir / name).exists():  # names are unique (unique_name): never replace a published file
        raise FileExistsError(index_dir / name)
    staging = index_dir / f".staging-{name}"
    shutil.rmtree(staging, ignore_errors=True)
    segment.write(staging, **parts)
    durable.checkpoint(f"rename {name}")
    os.rename(staging, index_dir / name)



def write_ann(index_dir: Path, name: str, index) -> None:
    durable.write_file(index_dir, name, lambda path: ann.save(index, path))



def publish(index_dir: Path, manifest: Manifest) -> None:
    """Make `manifest` the index in one atomic step, then remove files it does not name.

    Loaded indexes keep their files open (see `load`), so the previous generation's files can
    go at once; a reader caught between reading the manifest and opening them retries.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    manifest = record_files(index_dir, manifest.replace(uid=secrets.token_hex(8)))  # uid: this publish, for reloads
    body = manifest.to_json()
    body["checksum"] = manifest_checksum(body)
    tmp = index_dir / f".{MANIFEST}.{os.getpid()}.tmp"
    durable.checkpoint("write manifest")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(body, fh, ensure_ascii=False, indent=1)
        fh.flush()
        durable.checkpoint("fsync manifest")
        os.fsync(fh.fileno())
    durable.fsync_dir(index_dir)  # the new files' names are durable before the manifest names them
    durable.checkpoint("replace manifest")
    os.replace(tmp, index_dir / MANIFEST)
    durable.fsync_dir(index_dir)
    durable.checkpoint("remove unreferenced")
    remove_unreferenced(index_dir, manifest.names())


def tidy(index_dir: Path, manifest: Manifest) -> None:
    """Finish what a writer killed after its publish left: remove what `manifest` does not name."""
    remove_unreferenced(index_dir, manifest.names())


def remove_unreferenced(index_dir: Path, keep: set[str]) -> None:
    """Drop segments and files no kept manifest names, and leftovers of crashed writes."""
    for path in index_dir.iterdir():
        name = path.name
        stale = name.startswith((".staging-", f".{MANIFEST}.")) or (
            name.startswith(("seg-", "deleted-", "ann-", "gen-")) and name not in keep)
        if stale:
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
