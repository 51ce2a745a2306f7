"""A loaded index: one read-only view over its segments, deletions and IVF index.

Dense search runs the IVF index over the segments it covers and exact inner products over
the others (memory-mapped); BM25 sums per-segment postings with collection-wide statistics. Deleted passages never come back from
either. Every lookup by passage id goes to the segment that holds it.
"""
from __future__ import annotations

from functools import cached_property

import numpy as np

from ... import lexical
from . import ann
from .manifest import Manifest
from .segment import Segment, StoredPassage
from ..base import EVERYTHING, Filter, StoreInfo
from ...types import ArticleMeta, FileState


def top_rows(scores: np.ndarray, n: int) -> np.ndarray:
    """Rows of the n highest scores, best first."""
    n = min(n, len(scores))
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, n - 1)[:n]
    return part[np.argsort(-scores[part], kind="stable")]


class LexicalScores:
    """BM25 of one query over the whole live collection (deleted rows score 0)."""

    def __init__(self, index: "Index", tokens: list[str], where: Filter = EVERYTHING):
        self.index = index
        admitted = index.admitted(where) if where.active else None
        self.per_segment = lexical.collection_scores([s.bm25 for s in index.segments], index.live, tokens,
                                                     *index.lexical_totals, admitted)
        self.best = max((float(s.max()) for s in self.per_segment if len(s)), default=0.0)

    def top(self, k: int) -> list[int]:
        """Passage ids of the k best-scoring passages with a positive score."""
        found = []
        for segment, scores in zip(self.index.segments, self.per_segment):
            nonzero = np.flatnonzero(scores)  # most passages share no word with the question
            rows = nonzero[top_rows(scores[nonzero], k)]
            found += [(float(scores[r]), int(segment.ids[r])) for r in rows]
        return [pid for _, pid in sorted(found, key=lambda x: (-x[0], x[1]))[:k]]

    def scores(self, ids) -> np.ndarray:
        where = self.index.locate_many(list(ids))
        return np.array([self.per_segment[where[p][0]][where[p][1]] if p in where else 0.0 for p in ids],
                        dtype=np.float32)


class Index:
    """Read-only and safe to share between threads; a new build publishes a new Index."""

    def __init__(self, manifest: Manifest, segments: list[Segment], deleted: np.ndarray, ann_index=None,
                 location: str = ""):
        self.manifest = manifest
        self.location = location
        self.segments = segments
        self.deleted = np.sort(np.asarray(deleted, dtype=np.int64))
        self.ann = ann_index
        self.ann_segments = set(manifest.ann.segments) if manifest.ann else set()

    def without(self, passage_ids) -> "Index":
        """A view of this index in which these passages are deleted too (shares the open segments).

        bench/fit_reader.py asks questions "as if the article were not indexed" with it.
        """
        hidden = np.union1d(self.deleted, np.asarray(list(passage_ids), dtype=np.int64))
        return Index(self.manifest, self.segments, hidden, self.ann, self.location)

    @cached_property
    def live(self) -> list[np.ndarray | None]:
        """Per segment, which rows are not deleted (None: all of them)."""
        return [~np.isin(s.ids, self.deleted) if len(self.deleted) else None for s in self.segments]

    def admitted(self, where: Filter) -> list[np.ndarray | None]:
        """Per segment, the live rows `where` admits (None: every row). A comparison over one
        int32 per passage: ~0.1 ms per 100k passages, so it is not cached."""
        if not where.active:
            return self.live
        first, last = where.day_range()
        masks = []
        for segment, live in zip(self.segments, self.live):
            mask = (segment.days >= first) & (segment.days <= last)
            masks.append(mask & live if live is not None else mask)
        return masks

    @cached_property
    def _excluding(self) -> ann.Excluding | None:
        return ann.Excluding(self.manifest.ann.nprobe, self.deleted) if self.ann is not None else None

    @cached_property
    def lexical_totals(self) -> tuple[int, float]:
        """(live passages, their total BM25 length): the collection statistics every score uses."""
        documents, length = 0, 0.0
        for segment, live in zip(self.segments, self.live):
            lengths = segment.bm25.lengths
            documents += int(live.sum()) if live is not None else len(lengths)
            length += float(lengths[live].sum() if live is not None else lengths.sum())
        return documents, length

    def warm(self) -> "Index":
        """Open every segment and compute the deletion masks now rather than on the first question."""
        for segment in self.segments:
            segment.warm()
        self.live, self._excluding, self.lexical_totals
        return self

    @property
    def generation(self) -> int:
        return self.manifest.generation

    @property
    def version(self) -> str:
        return self.manifest.identity

    @property
    def next_id(self) -> int:
        return self.manifest.next_id

    @cached_property
    def info(self) -> StoreInfo:
        return self.manifest.store_info(self.location)

    @property
    def size(self) -> int:
        return self.manifest.counts.passages

    def close(self) -> None:
        for segment in self.segments:
            segment.close()

    def is_deleted(self, pid: int) -> bool:
        i = np.searchsorted(self.deleted, pid)
        return bool(i < len(self.deleted) and self.deleted[i] == pid)

    def locate_many(self, ids: list[int]) -> dict[int, tuple[int, int]]:
        """(segment position, row) of each live passage among `ids`, newest segment first."""
        pending = np.asarray(ids, dtype=np.int64).reshape(-1)
        if len(self.deleted):
            pending = pending[~np.isin(pending, self.deleted)]
        found: dict[int, tuple[int, int]] = {}
        for position in range(len(self.segments) - 1, -1, -1):
            if not len(pending):
                break
            rows = self.segments[position].rows(pending)
            found.update((int(pid), (position, int(row))) for pid, row in zip(pending, rows) if row >= 0)
            pending = pending[rows < 0]
        return found

    def passages(self, ids) -> dict[int, StoredPassage]:
        """The live passages among `ids`, one query per segment."""
        where = self.locate_many(list(ids))
        found: dict[int, StoredPassage] = {}
        for position in {p for p, _ in where.values()}:
            found.update(self.segments[position].passages([pid for pid, (p, _) in where.items() if p == position]))
        return found

    def passage(self, pid: int) -> StoredPassage:
        found = self.passages([pid])
        if pid not in found:
            raise KeyError(pid)
        return found[pid]

    def article_metas(self, article_ids) -> dict[str, ArticleMeta]:
        """Metadata of the live articles among `article_ids`, newest segment first."""
        found: dict[str, ArticleMeta] = {}
        pending = list(dict.fromkeys(article_ids))
        for segment in reversed(self.segments):
            if not pending:
                break
            for aid, meta in segment.articles(pending).items():
                if self._live_article(meta):
                    found[aid] = meta
            pending = [a for a in pending if a not in found]
        return found

    def _live_article(self, meta: ArticleMeta | None) -> ArticleMeta | None:
        return meta if meta and meta.passages and not self.is_deleted(meta.passages[0]) else None

    def article(self, article_id: str) -> ArticleMeta | None:
        return self.article_metas([article_id]).get(article_id)

    def file_states(self) -> dict[str, FileState]:
        """Per live article: id, path, hash, size and mtime_ns (a scan's view, no JSON to parse)."""
        states = {}
        for segment in self.segments:
            for aid, path, digest, size, mtime, first in segment.file_states():
                if first is not None and not self.is_deleted(first):
                    states[aid] = FileState(aid, path, digest, size, mtime)
        return states

    def articles(self) -> dict[str, ArticleMeta]:
        """Every live article's metadata by id (reads all segments: for listings and full scans)."""
        return {m.id: m for s in self.segments for m in map(self._live_article, s.all_articles()) if m}

    def duplicates(self, text_hash: str, file_hash: str) -> list[ArticleMeta]:
        return [m for s in self.segments for m in map(self._live_article, s.articles_with(text_hash=text_hash,
                                                                                           file_hash=file_hash)) if m]

    def passage_vectors(self, ids) -> np.ndarray:
        """float32 vectors of `ids` (zero rows for ids that are not live)."""
        where = self.locate_many(list(ids))
        out = np.zeros((len(ids), self.manifest.model.dimension), dtype=np.float32)
        for i, pid in enumerate(ids):
            if pid in where:
                out[i] = self.segments[where[pid][0]].vectors[where[pid][1]]
        return out

    def sentence_vectors(self, ids) -> list[np.ndarray]:
        """float32 sentence vectors of each passage in `ids` (none for ids that are not live)."""
        where = self.locate_many(list(ids))
        empty = np.zeros((0, self.manifest.model.dimension), dtype=np.float32)
        return [self.segments[where[p][0]].sentence_vectors(where[p][1]).astype(np.float32) if p in where else empty
                for p in ids]

    def dense(self, vector: np.ndarray, k: int, where: Filter = EVERYTHING) -> list[int]:
        """Passage ids of the k nearest passages that `where` admits: IVF where built, exact elsewhere.

        A filter restricts the candidates before ranking. Over the IVF segments it searches
        the admitted rows exactly when they are few enough to be cheap (ann.FLAT_LIMIT), and
        otherwise runs IVF with a selector of the admitted ids.
        """
        found: list[tuple[float, int]] = []
        masks = self.admitted(where)
        exact = [True] * len(self.segments)
        if self.ann is not None:
            in_ann = [i for i, s in enumerate(self.segments) if s.name in self.ann_segments]
            admitted = sum(int(masks[i].sum()) for i in in_ann) if where.active else None
            if admitted is None or admitted > ann.FLAT_LIMIT:
                searcher = self._excluding if admitted is None else ann.Only(
                    self.manifest.ann.nprobe, np.concatenate([self.segments[i].ids[masks[i]] for i in in_ann]))
                ids, scores = searcher.search(self.ann, vector, k)
                found += zip(scores.tolist(), ids.tolist())
                for i in in_ann:
                    exact[i] = False
        for segment, mask, search in zip(self.segments, masks, exact):
            if not search or not len(segment):
                continue
            if mask is None:
                scores, ids = segment.vectors @ vector, segment.ids
            elif where.active:  # gather the admitted rows: a narrow filter reads few vectors
                rows = np.flatnonzero(mask)
                scores, ids = segment.vectors[rows] @ vector, segment.ids[rows]
            else:
                scores, ids = np.where(mask, segment.vectors @ vector, -np.inf), segment.ids
            best = [r for r in top_rows(scores, k) if np.isfinite(scores[r])]
            found += [(float(scores[r]), int(ids[r])) for r in best]
        return [pid for _, pid in sorted(found, key=lambda x: (-x[0], x[1]))[:k]]

    def lexical(self, tokens: list[str], where: Filter = EVERYTHING) -> LexicalScores:
        return LexicalScores(self, tokens, where)

    def knows(self, stem: str) -> bool:
        """Some live passage contains this BM25 token (a segment's vocabulary still has deleted ones)."""
        for segment, live in zip(self.segments, self.live):
            rows, _ = segment.bm25.lookup(stem)
            if len(rows) and (live is None or live[rows].any()):
                return True
        return False
