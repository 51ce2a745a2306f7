"""A loaded index: one read-only view over its segments, deletions and IVF index.

Dense search runs the IVF index over the segments it covers and exact inner products over
the others (memory-mapped); BM25 runs per segment. Deleted passages never come back from
either. Every lookup by passage id goes to the segment that holds it.
"""
from __future__ import annotations

from functools import cached_property

import numpy as np

from . import ann, lexical
from .segment import Segment, StoredPassage


def top_rows(scores: np.ndarray, n: int) -> np.ndarray:
    """Rows of the n highest scores, best first."""
    n = min(n, len(scores))
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, n - 1)[:n]
    return part[np.argsort(-scores[part], kind="stable")]


class LexicalScores:
    """BM25 scores of one question in every segment (deleted rows score 0)."""

    def __init__(self, index: "Index", question: str):
        self.index = index
        tokens = lexical.tokenize([question])[0]
        self.per_segment = []
        for segment, live in zip(index.segments, index.live):
            scores = lexical.scores_for(segment.bm25, tokens, len(segment))
            self.per_segment.append(scores * live if live is not None else scores)
        self.best = max((float(s.max()) for s in self.per_segment if len(s)), default=0.0)

    def top(self, k: int) -> list[int]:
        """Passage ids of the k best-scoring passages with a positive score."""
        found = []
        for segment, scores in zip(self.index.segments, self.per_segment):
            nonzero = np.flatnonzero(scores)  # most passages share no word with the question
            rows = nonzero[top_rows(scores[nonzero], k)]
            found += [(float(scores[r]), int(segment.ids[r])) for r in rows]
        return [pid for _, pid in sorted(found, key=lambda x: (-x[0], x[1]))[:k]]

    def score(self, pid: int, where: dict | None = None) -> float:
        located = self.index.locate(pid, where)
        if located is None:
            return 0.0
        position, row = located
        return float(self.per_segment[position][row])


class Index:
    """Read-only and safe to share between threads; a new build publishes a new Index."""

    def __init__(self, manifest: dict, segments: list[Segment], deleted: np.ndarray, ann_index=None):
        self.manifest = manifest
        self.segments = segments
        self.deleted = np.sort(np.asarray(deleted, dtype=np.int64))
        self.ann = ann_index
        self.ann_segments = set(manifest["ann"]["segments"]) if manifest.get("ann") else set()

    def without(self, passage_ids) -> "Index":
        """A view of this index in which these passages are deleted too (shares the open segments).

        bench/fit_reader.py asks questions "as if the article were not indexed" with it.
        """
        hidden = np.union1d(self.deleted, np.asarray(list(passage_ids), dtype=np.int64))
        return Index(self.manifest, self.segments, hidden, self.ann)

    @cached_property
    def live(self) -> list[np.ndarray | None]:
        """Per segment, which rows are not deleted (None: all of them)."""
        return [~np.isin(s.ids, self.deleted) if len(self.deleted) else None for s in self.segments]

    @cached_property
    def _excluding(self) -> ann.Excluding | None:
        return ann.Excluding(self.manifest["ann"]["nprobe"], self.deleted) if self.ann is not None else None

    def warm(self) -> "Index":
        """Open every segment and compute the deletion masks now rather than on the first question."""
        for segment in self.segments:
            segment.warm()
        self.live, self._excluding
        return self

    @property
    def generation(self) -> int:
        return self.manifest["generation"]

    @property
    def size(self) -> int:
        return int(self.manifest["counts"]["passages"])

    def close(self) -> None:
        for segment in self.segments:
            segment.close()

    def is_deleted(self, pid: int) -> bool:
        i = np.searchsorted(self.deleted, pid)
        return bool(i < len(self.deleted) and self.deleted[i] == pid)

    def locate(self, pid: int, where: dict | None = None) -> tuple[int, int] | None:
        """(segment position, row) of a live passage; `where` is a `locate_many` result to look in first."""
        if where and pid in where:
            return where[pid]
        return self.locate_many([pid]).get(pid)

    def locate_many(self, ids: list[int]) -> dict[int, tuple[int, int]]:
        """(segment position, row) of each live passage among `ids`, newest segment first."""
        pending = np.array([i for i in ids if not self.is_deleted(i)], dtype=np.int64)
        found: dict[int, tuple[int, int]] = {}
        for position in range(len(self.segments) - 1, -1, -1):
            if not len(pending):
                break
            rows = self.segments[position].rows(pending)
            found.update((int(pid), (position, int(row))) for pid, row in zip(pending, rows) if row >= 0)
            pending = pending[rows < 0]
        return found

    def passages_at(self, where: dict[int, tuple[int, int]]) -> tuple[dict[int, StoredPassage], dict[str, dict]]:
        """Passages and their articles' metadata, one query per segment for each."""
        passages: dict[int, StoredPassage] = {}
        articles: dict[str, dict] = {}
        for position in {p for p, _ in where.values()}:
            segment = self.segments[position]
            found = segment.passages([pid for pid, (p, _) in where.items() if p == position])
            passages.update(found)
            articles.update(segment.articles(sorted({x.article_id for x in found.values()})))
        return passages, articles

    def passage(self, pid: int) -> StoredPassage:
        located = self.locate(pid)
        if located is None:
            raise KeyError(pid)
        return self.segments[located[0]].passage(pid)

    def _live_article(self, meta: dict | None) -> dict | None:
        return meta if meta and meta["passages"] and not self.is_deleted(meta["passages"][0]) else None

    def article(self, article_id: str) -> dict | None:
        for segment in reversed(self.segments):
            meta = self._live_article(segment.article(article_id))
            if meta:
                return meta
        return None

    def file_states(self) -> dict[str, dict]:
        """Per live article: id, path, hash, size and mtime_ns (a scan's view, no JSON to parse)."""
        states = {}
        for segment in self.segments:
            for aid, path, digest, size, mtime, first in segment.file_states():
                if first is not None and not self.is_deleted(first):
                    states[aid] = {"id": aid, "path": path, "hash": digest, "size": size, "mtime_ns": mtime}
        return states

    def articles(self) -> dict[str, dict]:
        """Every live article's metadata by id (reads all segments: for listings and full scans)."""
        return {m["id"]: m for s in self.segments for m in map(self._live_article, s.all_articles()) if m}

    def duplicates(self, text_hash: str, file_hash: str) -> list[dict]:
        return [m for s in self.segments for m in map(self._live_article, s.articles_with(text_hash=text_hash,
                                                                                           file_hash=file_hash)) if m]

    def passage_vectors(self, ids: list[int], where: dict | None = None) -> np.ndarray:
        dimension = self.manifest["model"]["dimension"]
        out = np.zeros((len(ids), dimension), dtype=np.float32)
        for i, pid in enumerate(ids):
            located = self.locate(pid, where)
            if located is not None:
                out[i] = self.segments[located[0]].vectors[located[1]]
        return out

    def sentence_vectors(self, pid: int, where: dict | None = None) -> np.ndarray:
        located = self.locate(pid, where)
        if located is None:
            return np.zeros((0, self.manifest["model"]["dimension"]), dtype=np.float16)
        return self.segments[located[0]].sentence_vectors(located[1])

    def dense(self, vector: np.ndarray, k: int) -> list[int]:
        """Passage ids of the k nearest passages: IVF where built, exact elsewhere."""
        found: list[tuple[float, int]] = []
        if self.ann is not None:
            ids, scores = self._excluding.search(self.ann, vector, k)
            found += zip(scores.tolist(), ids.tolist())
        for segment, live in zip(self.segments, self.live):
            if segment.name in self.ann_segments or not len(segment):
                continue
            scores = segment.vectors @ vector
            if live is not None:
                scores = np.where(live, scores, -np.inf)
            rows = [r for r in top_rows(scores, k) if np.isfinite(scores[r])]
            found += [(float(scores[r]), int(segment.ids[r])) for r in rows]
        return [pid for _, pid in sorted(found, key=lambda x: (-x[0], x[1]))[:k]]

    def lexical(self, question: str) -> LexicalScores:
        return LexicalScores(self, question)

    def knows(self, stem: str) -> bool:
        """Some live passage contains this BM25 token (a segment's vocabulary still has deleted ones)."""
        for segment, live in zip(self.segments, self.live):
            if segment.bm25 is None or stem not in segment.bm25.vocab_dict:
                continue
            if live is None or (lexical.scores_for(segment.bm25, [stem], len(segment))[live] > 0).any():
                return True
        return False
