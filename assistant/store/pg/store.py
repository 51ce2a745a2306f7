"""Reading the PostgreSQL backend: the `PassageStore` protocol in SQL.

Nothing is cached across versions: every search reads the live tables, so an article
another process added or removed is seen at once. Within one version a view keeps the
vectors of the passages it last fetched, because a question fetches its candidates' text
and then their vectors: one statement instead of three. A passage id's content never
changes (a changed article gets new ids), and any change makes a new version and view.
BM25 (bm25.py) is the file store's formula, computed from the postings with the live
collection's statistics, which the writer keeps in the metadata row.
"""
from __future__ import annotations

import json
import threading
from functools import cached_property

import numpy as np

from ..base import EVERYTHING, Filter, StoreInfo
from ...errors import REPAIR, IndexDamagedError
from ...types import ArticleMeta, FileState, StoredPassage
from .bm25 import PgLexical
from .schema import SCHEMA

_DENSE_FILTERED = f"""
WITH found AS MATERIALIZED (
    SELECT ps.id, ps.embedding <#> %(vector)s AS distance
    FROM {SCHEMA}.passages ps JOIN {SCHEMA}.articles a ON a.id = ps.article_id
    WHERE a.published BETWEEN %(since)s AND %(until)s ORDER BY distance LIMIT %(k)s)
SELECT id FROM found ORDER BY distance, id
"""
_PASSAGE = "id, article_id, ordinal, text, start_char, end_char, first_paragraph, last_paragraph, sentences"
_WITH_VECTORS = f"""SELECT {", ".join("p." + c for c in _PASSAGE.split(", "))}, p.embedding, s.vectors
FROM {SCHEMA}.passages p LEFT JOIN {SCHEMA}.sentence_vectors s ON s.passage_id = p.id WHERE p.id = ANY(%s)"""
KEPT_VECTORS = 1024  # passages whose vectors a view keeps (~16 MB): a question's ~60 candidates, for 16 threads at once


def _article(meta) -> ArticleMeta:
    """A row's meta (jsonb), checked as the file backend checks its own."""
    try:
        return ArticleMeta.from_json(meta if isinstance(meta, dict) else json.loads(meta))
    except ValueError as exc:
        raise IndexDamagedError(f"The PostgreSQL index is damaged ({SCHEMA}.articles: {exc}); {REPAIR}.") from None


def _passage(row) -> StoredPassage:
    pid, aid, ordinal, text, start, end, first, last, sentences = row
    sentences = sentences if isinstance(sentences, list) else json.loads(sentences)
    return StoredPassage(pid, aid, ordinal, text, start, end, (first, last), tuple(map(tuple, sentences)))


class PgStore:
    """A read view of the database at `meta` (its version); queries see the live tables."""

    def __init__(self, location, meta: dict):
        self.location = location
        self.meta = meta
        self.version = meta["uid"]
        self._vectors: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # id → (passage, sentences), float32
        self._lock = threading.Lock()

    def rows(self, sql: str, params=None, *, binary: bool = False) -> list[tuple]:
        return self.location.connections.rows(sql, params, binary=binary)

    @property
    def size(self) -> int:
        return int(self.meta["counts"]["passages"])

    @property
    def next_id(self) -> int:
        return int(self.meta["next_id"])

    @cached_property
    def dimension(self) -> int:
        return int(self.meta["model"]["dimension"])

    @cached_property
    def info(self) -> StoreInfo:
        return info_of(self.meta, self.location.name)

    def dense(self, vector: np.ndarray, k: int, where: Filter = EVERYTHING) -> list[int]:
        if k <= 0:
            return []
        vector = np.asarray(vector, dtype=np.float32)
        if where.active:  # the WHERE runs inside the HNSW scan (iterative), not on a top-k afterwards
            since, until = where.iso_range()
            found = self.rows(_DENSE_FILTERED, {"vector": vector, "k": k, "since": since, "until": until})
        else:
            found = self.rows(f"SELECT id FROM {SCHEMA}.passages ORDER BY embedding <#> %s LIMIT %s", (vector, k))
        return [int(r[0]) for r in found]

    def lexical(self, tokens: list[str], where: Filter = EVERYTHING) -> PgLexical:
        return PgLexical(self, tokens, where)

    def passages(self, ids) -> dict[int, StoredPassage]:
        """The live passages among `ids`, fetched with their vectors (kept for the calls below)."""
        ids = [int(i) for i in ids]
        found = self.rows(_WITH_VECTORS, (ids,), binary=True) if ids else []
        with self._lock:
            if len(self._vectors) + len(found) > KEPT_VECTORS:
                self._vectors.clear()
            for row in found:
                self._vectors[row[0]] = self._decode(row[-2], row[-1])
        return {r[0]: _passage(r[:-2]) for r in found}

    def _decode(self, embedding, sentences) -> tuple[np.ndarray, np.ndarray]:
        vector = embedding.to_numpy() if hasattr(embedding, "to_numpy") else np.asarray(embedding)  # pgvector: a Vector
        rows = np.frombuffer(sentences, dtype=np.float16).reshape(-1, self.dimension) if sentences else \
            np.zeros((0, self.dimension), dtype=np.float16)
        return vector.astype(np.float32), rows.astype(np.float32)

    def _vectors_of(self, ids: list[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        with self._lock:
            known = {pid: self._vectors[pid] for pid in ids if pid in self._vectors}
        missing = [pid for pid in ids if pid not in known]
        if missing:
            sql = (f"SELECT p.id, p.embedding, s.vectors FROM {SCHEMA}.passages p LEFT JOIN {SCHEMA}.sentence_vectors s "
                   "ON s.passage_id = p.id WHERE p.id = ANY(%s)")
            known.update((pid, self._decode(e, s)) for pid, e, s in self.rows(sql, (missing,), binary=True))
        return known

    def passage_vectors(self, ids) -> np.ndarray:
        ids = [int(i) for i in ids]
        out = np.zeros((len(ids), self.dimension), dtype=np.float32)
        known = self._vectors_of(ids)
        for i, pid in enumerate(ids):
            if pid in known:
                out[i] = known[pid][0]
        return out

    def sentence_vectors(self, ids) -> list[np.ndarray]:
        ids = [int(i) for i in ids]
        known = self._vectors_of(ids)
        empty = np.zeros((0, self.dimension), dtype=np.float32)
        return [known[p][1] if p in known else empty for p in ids]

    def article_metas(self, article_ids) -> dict[str, ArticleMeta]:
        ids = list(dict.fromkeys(article_ids))
        rows = self.rows(f"SELECT id, meta FROM {SCHEMA}.articles WHERE id = ANY(%s)", (ids,)) if ids else []
        return {aid: _article(meta) for aid, meta in rows}

    def article(self, article_id: str) -> ArticleMeta | None:
        return self.article_metas([article_id]).get(article_id)

    def articles(self) -> dict[str, ArticleMeta]:
        return {aid: _article(meta) for aid, meta in self.rows(f"SELECT id, meta FROM {SCHEMA}.articles")}

    def file_states(self) -> dict[str, FileState]:
        rows = self.rows(f"SELECT id, path, hash, size, mtime_ns FROM {SCHEMA}.articles")
        return {r[0]: FileState(*r) for r in rows}

    def duplicates(self, text_hash: str, file_hash: str) -> list[ArticleMeta]:
        sql = f"SELECT meta FROM {SCHEMA}.articles WHERE text_hash = %s OR hash = %s"
        return [_article(r[0]) for r in self.rows(sql, (text_hash, file_hash))]

    def knows(self, stem: str) -> bool:
        return bool(self.rows(f"SELECT 1 FROM {SCHEMA}.terms WHERE term = %s AND df > 0", (stem,)))

    def close(self) -> None:
        """Connections belong to the location (shared by every view of it)."""


def info_of(meta: dict, location: str) -> StoreInfo:
    search = f"HNSW (pgvector), ef_search {meta.get('ef_search')}; BM25 in SQL over postings"
    return StoreInfo.of(meta, location, "postgresql", (("Search", search),))
