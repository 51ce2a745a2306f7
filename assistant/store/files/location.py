"""The default backend: an index directory of immutable segments (disk.py has the format).

An update writes a segment with the new articles and a new deletion list, maybe merges
segments (compaction.py), and publishes one new manifest: the old index or the new one,
whatever the moment of a crash. Segments, deletion lists, the IVF file and the BM25
postings are this module's business; callers see the `Location` and `PassageStore` protocols.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from . import compaction, disk, durable
from ...errors import IndexDamagedError, IndexMismatchError, IndexNotFoundError
from .view import Index
from .manifest import Counts, Manifest, SegmentEntry
from ..base import ChangeSet, ModelInfo, StoreInfo


class FileLocation:
    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.name = str(directory)

    def published(self) -> str:
        return disk.read_manifest(self.directory).identity

    def open(self, reuse: Index | None = None) -> Index:
        return disk.load(self.directory, reuse=reuse if isinstance(reuse, Index) else None).warm()

    def info(self) -> StoreInfo:
        return disk.read_manifest(self.directory).store_info(self.name)

    @contextmanager
    def lock(self):
        """One writer per index directory, across processes."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / ".lock").open("w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def previous(self, model: ModelInfo, pipeline: dict, rebuild: bool) -> tuple[Index | None, bool]:
        """(the index to update or None to start afresh, whether it is the salvaged part of a damaged one)."""
        if rebuild:
            return None, False
        try:
            manifest = disk.read_manifest(self.directory)
        except IndexNotFoundError:
            return None, False
        except IndexDamagedError:
            return None, False  # the manifest itself is gone to pieces: nothing to keep, build afresh
        except IndexMismatchError:
            if disk.older_format(self.directory):
                return None, False  # written by an earlier version of this program: rebuilt from the corpus
            raise
        disk.check_model(manifest, model, self.directory)
        if manifest.pipeline != pipeline:
            return None, False  # chunking or cleaning changed: every article must be re-chunked and re-embedded
        try:
            return disk.load(self.directory), False
        except IndexDamagedError:
            salvaged = _salvage(self.directory, manifest)
            return salvaged, salvaged is not None

    def unchanged(self, old: Index) -> None:
        disk.tidy(self.directory, old.manifest)  # what a writer killed after its publish left behind

    def apply(self, old: Index | None, change: ChangeSet, *, merge: bool) -> tuple[str, ...]:
        manifest = _write_update(self.directory, old, change)
        manifest, merged = compaction.maybe_merge(self.directory, manifest) if merge else (manifest, ())
        disk.publish(self.directory, manifest)
        if old is not None:
            old.close()
        return merged

    def verify(self) -> tuple[str, list[str]]:
        """Every file the manifest names against its recorded size and CRC-32, and every segment opened."""
        manifest = disk.read_manifest(self.directory)
        problems = [p for found in disk.damage(self.directory, manifest).values() for p in found]
        return f"{len(manifest.files)} files of {self.name}", problems

    def merge(self) -> tuple[str, ...]:
        """Merge segments if the policy in compaction.py asks for it; the names merged."""
        with self.lock():
            manifest = disk.read_manifest(self.directory)
            manifest = manifest.replace(generation=manifest.generation + 1)  # fresh names for the files it writes
            manifest, merged = compaction.maybe_merge(self.directory, manifest)
            if merged:
                disk.publish(self.directory, manifest)
            else:
                disk.tidy(self.directory, manifest)
        return merged


def _salvage(index_dir: Path, manifest: Manifest) -> Index | None:
    """The undamaged part of a damaged index, for an update to re-embed the rest from the corpus.

    Damaged segments are dropped (their articles then read as new), and an IVF index that is
    damaged or covers a dropped segment; a damaged deletion list or file list means nothing
    can be trusted, so the index is built afresh (None).
    """
    broken = disk.damage(index_dir, manifest)
    if manifest.deleted in broken:
        return None
    segments = tuple(s for s in manifest.segments if s.name not in broken)
    ann = manifest.ann
    if ann and (ann.file in broken or any(name in broken for name in ann.segments)):
        ann = None
    kept = manifest.replace(segments=segments, ann=ann)
    old = disk.open_manifest(index_dir, kept)
    articles = old.articles()
    counts = Counts(len(articles), sum(len(m.passages) for m in articles.values()),
                    sum(m.sentences for m in articles.values()))
    print(f"repairing {index_dir}: " + "; ".join(p for problems in broken.values() for p in problems), file=sys.stderr)
    return Index(kept.replace(counts=counts), old.segments, old.deleted, old.ann, old.location)


def _write_update(index_dir: Path, old: Index | None, change: ChangeSet) -> Manifest:
    """Write the segment of the change's articles and the new deletion list; the manifest to publish."""
    # A rebuild goes on counting from the published generation, so readers see a change.
    base = old.manifest if old else Manifest(generation=disk.last_generation(index_dir))
    generation = base.generation + 1
    segments = list(base.segments)
    if change.passages:
        name = durable.unique_name("seg", generation)
        disk.write_segment(index_dir, name, articles=change.articles, passages=change.passages, titles=change.titles,
                            vectors=change.vectors, sentence_vectors=change.sentence_vectors)
        segments.append(SegmentEntry(name, len(change.passages)))
    deleted_file = base.deleted
    gone = [pid for meta in change.dropped for pid in meta.passages]
    if gone:
        previous = old.deleted if old else np.zeros(0, np.int64)
        deleted_file = durable.unique_name("deleted", generation, ".npy")
        durable.write_array(index_dir, deleted_file, np.union1d(previous, np.array(gone, dtype=np.int64)))
    counts = Counts(base.counts.articles + len(change.articles) - len(change.dropped),
                    base.counts.passages + len(change.passages) - len(gone),
                    base.counts.sentences + change.sentences - sum(m.sentences for m in change.dropped))
    return base.replace(
        format=disk.FORMAT, version=disk.FORMAT_VERSION, generation=generation, next_id=change.next_id,
        model=change.model, pipeline=dict(change.pipeline), segments=tuple(segments), deleted=deleted_file,
        counts=counts, built_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    )
