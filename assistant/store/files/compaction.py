"""Merging segments, as Lucene does: many small segments or many deleted passages cost search
time and disk, so now and then a build folds segments into one and drops what was deleted.

Policy, checked after every update:
- at FLAT_LIMIT live passages or more, with no IVF yet, or with the exact-searched newer
  segments past 10% of the IVF's size, or 20% of rows deleted: merge everything into one
  segment and train an IVF over it (this is also the migration from exact to approximate);
- otherwise, 20% of rows deleted: merge everything (small, exact);
- otherwise, more than MAX_EXACT_SEGMENTS exact-searched segments: merge those.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from . import ann, disk, durable
from .manifest import AnnEntry, Manifest, SegmentEntry
from .segment import Segment

MAX_EXACT_SEGMENTS = 8
DELETED_SHARE = 0.2
TAIL_SHARE = 0.1


def _plan(manifest: Manifest) -> tuple[list[str], bool]:
    """(segment names to merge, whether to build an IVF over the result)."""
    segments = manifest.segments
    info = manifest.ann
    covered = set(info.segments) if info else set()
    rows = sum(s.passages for s in segments)
    live = manifest.counts.passages
    tail = [s for s in segments if s.name not in covered]
    tail_rows = sum(s.passages for s in tail)
    names = [s.name for s in segments]
    too_many_deleted = rows and (rows - live) > DELETED_SHARE * rows
    if live >= ann.FLAT_LIMIT and (info is None or tail_rows > TAIL_SHARE * (rows - tail_rows) or too_many_deleted):
        return names, True
    if too_many_deleted and info is None:
        return names, False
    if len(tail) > MAX_EXACT_SEGMENTS:
        return [s.name for s in tail], False
    return [], False


def maybe_merge(index_dir: Path, manifest: Manifest) -> tuple[Manifest, tuple[str, ...]]:
    """The manifest after merging what the policy asks for (new files written, not yet published)."""
    names, with_ann = _plan(manifest)
    if not names:
        return manifest, ()
    return merge(index_dir, manifest, names, with_ann=with_ann), tuple(names)


def _live_rows(segment: Segment, deleted: np.ndarray) -> np.ndarray:
    return np.flatnonzero(~np.isin(segment.ids, deleted)) if len(deleted) else np.arange(len(segment))


def _sentence_rows(offsets: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Sentence row numbers of passage `rows`, in order, without a Python loop per passage."""
    starts, lengths = offsets[rows], offsets[rows + 1] - offsets[rows]
    firsts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(starts, lengths) + np.arange(int(lengths.sum())) - firsts


def merge(index_dir: Path, manifest: Manifest, names: list[str], *, with_ann: bool) -> Manifest:
    """Write one segment with the live passages of `names`; optionally an IVF over it."""
    generation = manifest.generation
    deleted = np.load(index_dir / manifest.deleted) if manifest.deleted else np.zeros(0, np.int64)
    if len(names) == 1 and with_ann:
        only = Segment(index_dir / names[0])
        if not np.isin(only.ids, deleted).any():  # nothing to drop: keep the segment, add the IVF
            result = manifest.replace(ann=_ann_over(index_dir, generation, names[0], only.vectors, only.ids))
            only.close()
            return result
        only.close()
    segments = [Segment(index_dir / name) for name in names]
    try:
        ids, vectors, sentences, passages, articles = [], [], [], [], []
        for segment in segments:
            rows = _live_rows(segment, deleted)
            live = set(segment.ids[rows].tolist())
            ids.append(segment.ids[rows])
            vectors.append(np.asarray(segment.vectors[rows], dtype=np.float32))
            sentences.append(np.asarray(segment.sentences[_sentence_rows(segment.sentence_offsets, rows)]))
            passages += [p for p in segment.all_passages() if p.id in live]
            articles += [a for a in segment.all_articles() if a.passages and a.passages[0] in live]
    finally:
        for segment in segments:
            segment.close()
    all_ids = np.concatenate(ids)
    if len(all_ids) > 1 and not (np.diff(all_ids) > 0).all():
        raise AssertionError("segments to merge must hold ascending passage ids")
    name = durable.unique_name("seg", generation, "-merged")
    titles = {a.id: a.title for a in articles}
    merged_vectors = np.concatenate(vectors)
    disk.write_segment(index_dir, name, articles=articles, passages=passages, titles=titles,
                        vectors=merged_vectors, sentence_vectors=np.concatenate(sentences))
    kept = [s for s in manifest.segments if s.name not in names]
    position = next(i for i, s in enumerate(manifest.segments) if s.name in names)
    new_segments = tuple(kept[:position] + [SegmentEntry(name, len(all_ids))] + kept[position:])
    remaining = np.setdiff1d(deleted, np.concatenate([segment.ids for segment in segments]))
    deleted_file = None
    if len(remaining):
        deleted_file = durable.unique_name("deleted", generation, "-merged.npy")
        durable.write_array(index_dir, deleted_file, remaining)
    result = manifest.replace(segments=new_segments, deleted=deleted_file)
    if with_ann:
        result = result.replace(ann=_ann_over(index_dir, generation, name, merged_vectors, all_ids))
    return result


def _ann_over(index_dir: Path, generation: int, segment: str, vectors: np.ndarray, ids: np.ndarray) -> AnnEntry:
    """Train, tune and write an IVF index over one segment's vectors; its manifest entry."""
    index = ann.build([vectors], [ids])
    nprobe = ann.tune_nprobe(index, vectors)
    file = durable.unique_name("ann", generation, ".faiss")
    disk.write_ann(index_dir, file, index)
    return AnnEntry(file, (segment,), int(index.nlist), int(nprobe))
