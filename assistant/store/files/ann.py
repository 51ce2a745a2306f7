"""Approximate dense search for large collections: one IVF index over the big segments.

Exact search over memory-mapped vectors costs ~0.3 ms per 1,000 passages on one core, so
below FLAT_LIMIT passages every segment is searched exactly. Above it, the index trains an
inverted-file index (IVF, flat codes, inner product) over the segments it has, tunes
`nprobe` on a sample of its own vectors, and memory-maps it on load. Newer small segments
stay exact until a merge folds them in. IVF removes nothing itself: deleted passages are
skipped with an id selector, and dropped for good when the index is rebuilt at a merge.
"""
from __future__ import annotations

import math
from pathlib import Path

import faiss
import numpy as np

FLAT_LIMIT = 200_000  # passages; above, exact search costs more than ~60 ms per query on 2 cores
TARGET_RECALL = 0.95  # of the exact top 10, on both tuning samples (see tune_nprobe)
_NPROBES = (8, 16, 32, 64, 96, 128, 192, 256, 384, 512, 768, 1024)
_TRAIN_PER_LIST = 40


def lists_for(n: int) -> int:
    """Inverted lists for n vectors: ~4·√n (the usual rule), with ≥ 39 training vectors per list."""
    return int(max(1, min(65536, 4 * math.isqrt(max(n, 1)), n // 39)))


def build(vectors: list[np.ndarray], ids: list[np.ndarray], *, seed: int = 0) -> faiss.IndexIVFFlat:
    """An IVF index over the rows of `vectors` (arrays may be memory-mapped), labelled with `ids`."""
    total = sum(len(v) for v in vectors)
    dimension = vectors[0].shape[1]
    nlist = lists_for(total)
    rng = np.random.default_rng(seed)
    sample_size = min(total, nlist * _TRAIN_PER_LIST)
    picks = np.sort(rng.choice(total, size=sample_size, replace=False))
    offsets = np.cumsum([0] + [len(v) for v in vectors])
    sample = np.concatenate([
        np.asarray(v[picks[(picks >= lo) & (picks < hi)] - lo], dtype=np.float32)
        for v, lo, hi in zip(vectors, offsets[:-1], offsets[1:])
    ])
    quantizer = faiss.IndexFlatIP(dimension)
    index = faiss.IndexIVFFlat(quantizer, dimension, nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.seed = seed
    index.train(sample)
    for v, i in zip(vectors, ids):
        for start in range(0, len(v), 65536):  # bounded memory while adding from a memory map
            index.add_with_ids(np.ascontiguousarray(v[start:start + 65536], dtype=np.float32), i[start:start + 65536])
    return index


def tune_nprobe(index: faiss.IndexIVFFlat, vectors: np.ndarray, *, queries: int = 100, seed: int = 1) -> int:
    """Smallest nprobe whose top 10 matches exact search on TARGET_RECALL of two samples.

    Near queries are stored vectors with noise; far queries are random directions leaning
    towards the collection's mean, whose best match scores ~0.35 like an off-topic question
    does (measured: SQuAD questions over Reuters). Far queries spread their neighbours over
    many lists and set nprobe; on a 1M index they needed 512 of 4,000 lists where near ones
    needed 8 (docs/experiments.md).
    """
    rng = np.random.default_rng(seed)
    dimension = vectors.shape[1]
    rows = np.sort(rng.choice(len(vectors), size=min(queries, len(vectors)), replace=False))
    near = np.asarray(vectors[rows], dtype=np.float32) + rng.normal(scale=0.04, size=(len(rows), dimension))
    mean = np.asarray(vectors[np.sort(rng.choice(len(vectors), size=min(20_000, len(vectors)), replace=False))]).mean(0)
    far = mean / np.linalg.norm(mean) * math.sqrt(dimension) / 3 + rng.normal(size=(queries, dimension))
    samples = [(q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32) for q in (near, far)]
    exact = faiss.IndexFlatIP(dimension)
    for start in range(0, len(vectors), 65536):
        exact.add(np.ascontiguousarray(vectors[start:start + 65536], dtype=np.float32))
    truths = [exact.search(sample, 10)[1] for sample in samples]
    for nprobe in _NPROBES:
        if nprobe >= index.nlist:
            return int(index.nlist)
        params = faiss.SearchParametersIVF(nprobe=nprobe)
        recalls = [np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, index.search(sample, 10, params=params)[1])])
                   for sample, truth in zip(samples, truths)]
        if min(recalls) >= TARGET_RECALL:
            return nprobe
    return min(_NPROBES[-1], index.nlist)


def save(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load(path: Path) -> faiss.Index:
    """Memory-mapped: the inverted lists stay in the page cache, not in this process's heap."""
    try:
        return faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
    except RuntimeError:
        return faiss.read_index(str(path))


class Excluding:
    """Search parameters that skip deleted ids (built once per loaded index)."""

    def __init__(self, nprobe: int, deleted: np.ndarray):
        self._batch = faiss.IDSelectorBatch(deleted) if len(deleted) else None
        self._selector = faiss.IDSelectorNot(self._batch) if self._batch is not None else None
        self.params = faiss.SearchParametersIVF(nprobe=nprobe, sel=self._selector) if self._selector is not None \
            else faiss.SearchParametersIVF(nprobe=nprobe)

    def search(self, index: faiss.Index, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        scores, ids = index.search(vector[None, :].astype(np.float32), k, params=self.params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]


class Only(Excluding):
    """Search parameters that keep only the given (live, admitted) ids: a date filter over IVF."""

    def __init__(self, nprobe: int, admitted: np.ndarray):
        self._batch = faiss.IDSelectorBatch(np.ascontiguousarray(admitted, dtype=np.int64))
        self._selector = self._batch
        self.params = faiss.SearchParametersIVF(nprobe=nprobe, sel=self._selector)
