"""Reading the PostgreSQL backend: the `PassageStore` protocol in SQL.

Nothing is cached across questions but the metadata row of the view's version: every query
reads the live tables, so an article another process added or removed is seen at once.
BM25 is the file store's formula (lexical.idf, lexical.weight), computed from the postings
with the live collection's statistics, which the writer keeps in the metadata row.
"""
from __future__ import annotations

import json
from functools import cached_property

import numpy as np

from .. import lexical
from ..storage import EVERYTHING, Filter, StoreInfo
from ..types import StoredPassage
from .schema import SCHEMA

_BM25 = f"""
WITH stats AS (
    SELECT greatest((value->>'documents')::float8, 1) AS n,
           (value->>'total_length')::float8 / greatest((value->>'documents')::float8, 1) AS average
    FROM {SCHEMA}.meta WHERE key = 'index'),
q AS (SELECT t.term, ln(1 + (s.n - t.df + 0.5) / (t.df + 0.5)) AS idf
      FROM {SCHEMA}.terms t, stats s WHERE t.term = ANY(%(terms)s))
SELECT p.passage_id, sum(q.idf * p.tf / (p.tf + %(k1)s * (1 - %(b)s + %(b)s * p.length / s.average))) AS score
FROM q JOIN {SCHEMA}.postings p ON p.term = q.term CROSS JOIN stats s
WHERE p.term = ANY(%(terms)s) {{where}}
GROUP BY p.passage_id ORDER BY score DESC, p.passage_id LIMIT %(k)s
"""
# Passages of articles published in the filter's range (ISO dates sort as text; undated: NULL, never in range).
_ADMITTED = f"""SELECT ps.id FROM {SCHEMA}.passages ps JOIN {SCHEMA}.articles a ON a.id = ps.article_id
               WHERE a.published BETWEEN %(since)s AND %(until)s"""
_DENSE_FILTERED = f"""
WITH found AS MATERIALIZED (
    SELECT ps.id, ps.embedding <#> %(vector)s AS distance
    FROM {SCHEMA}.passages ps JOIN {SCHEMA}.articles a ON a.id = ps.article_id
    WHERE a.published BETWEEN %(since)s AND %(until)s ORDER BY distance LIMIT %(k)s)
SELECT id FROM found ORDER BY distance, id
"""
_PASSAGE = "id, article_id, ordinal, text, start_char, end_char, first_paragraph, last_paragraph, sentences"


def _passage(row) -> StoredPassage:
    pid, aid, ordinal, text, start, end, first, last, sentences = row
    sentences = sentences if isinstance(sentences, list) else json.loads(sentences)
    return StoredPassage(pid, aid, ordinal, text, start, end, (first, last), tuple(map(tuple, sentences)))


class PgLexical:
    """BM25 of one query; the ranked list is fetched once, as deep as first asked for."""

    def __init__(self, store: "PgStore", tokens: list[str], where: Filter = EVERYTHING):
        self.store = store
        self.where = where
        self.terms = list(dict.fromkeys(tokens))  # a repeated query word counts once, as in the file store
        self._ranked: list[tuple[int, float]] | None = None
        self._depth = 0

    def _run(self, k: int, ids=None) -> list[tuple[int, float]]:
        if not self.terms:
            return []
        where = "AND p.passage_id = ANY(%(ids)s)" if ids is not None else ""
        if self.where.active:
            where += f" AND p.passage_id IN ({_ADMITTED})"
        since, until = self.where.iso_range()
        params = {"terms": self.terms, "k1": lexical.K1, "b": lexical.B, "k": k, "ids": ids,
                  "since": since, "until": until}
        return [(int(i), float(s)) for i, s in self.store.rows(_BM25.format(where=where), params)]

    def top(self, k: int) -> list[int]:
        if self._ranked is None or k > self._depth:
            self._ranked, self._depth = self._run(k), k
        return [pid for pid, _ in self._ranked[:k]]

    @property
    def best(self) -> float:
        if self._ranked is None:
            self.top(30)
        return self._ranked[0][1] if self._ranked else 0.0

    def scores(self, ids) -> np.ndarray:
        known = dict(self._ranked or [])
        missing = [int(i) for i in ids if int(i) not in known]
        if missing:
            known.update(self._run(len(missing), missing))
        return np.array([known.get(int(i), 0.0) for i in ids], dtype=np.float32)


class PgStore:
    """A read view of the database at `meta` (its version); queries see the live tables."""

    def __init__(self, location, meta: dict):
        self.location = location
        self.meta = meta
        self.version = meta["uid"]

    def rows(self, sql: str, params=None) -> list[tuple]:
        return self.location.connections.rows(sql, params)

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
        ids = [int(i) for i in ids]
        found = self.rows(f"SELECT {_PASSAGE} FROM {SCHEMA}.passages WHERE id = ANY(%s)", (ids,)) if ids else []
        return {r[0]: _passage(r) for r in found}

    def passage_vectors(self, ids) -> np.ndarray:
        ids = [int(i) for i in ids]
        out = np.zeros((len(ids), self.dimension), dtype=np.float32)
        found = dict(self.rows(f"SELECT id, embedding FROM {SCHEMA}.passages WHERE id = ANY(%s)", (ids,))) if ids else {}
        for i, pid in enumerate(ids):
            if pid in found:
                vector = found[pid]
                out[i] = vector.to_numpy() if hasattr(vector, "to_numpy") else vector  # pgvector ≥ 0.4: a Vector
        return out

    def sentence_vectors(self, ids) -> list[np.ndarray]:
        ids = [int(i) for i in ids]
        sql = f"SELECT passage_id, vectors FROM {SCHEMA}.sentence_vectors WHERE passage_id = ANY(%s)"
        found = dict(self.rows(sql, (ids,))) if ids else {}
        empty = np.zeros((0, self.dimension), dtype=np.float32)
        return [np.frombuffer(found[p], dtype=np.float16).reshape(-1, self.dimension).astype(np.float32)
                if p in found else empty for p in ids]

    def article_metas(self, article_ids) -> dict[str, dict]:
        ids = list(dict.fromkeys(article_ids))
        return dict(self.rows(f"SELECT id, meta FROM {SCHEMA}.articles WHERE id = ANY(%s)", (ids,))) if ids else {}

    def article(self, article_id: str) -> dict | None:
        return self.article_metas([article_id]).get(article_id)

    def articles(self) -> dict[str, dict]:
        return dict(self.rows(f"SELECT id, meta FROM {SCHEMA}.articles"))

    def file_states(self) -> dict[str, dict]:
        rows = self.rows(f"SELECT id, path, hash, size, mtime_ns FROM {SCHEMA}.articles")
        return {r[0]: dict(zip(("id", "path", "hash", "size", "mtime_ns"), r)) for r in rows}

    def duplicates(self, text_hash: str, file_hash: str) -> list[dict]:
        sql = f"SELECT meta FROM {SCHEMA}.articles WHERE text_hash = %s OR hash = %s"
        return [r[0] for r in self.rows(sql, (text_hash, file_hash))]

    def knows(self, stem: str) -> bool:
        return bool(self.rows(f"SELECT 1 FROM {SCHEMA}.terms WHERE term = %s AND df > 0", (stem,)))

    def close(self) -> None:
        """Connections belong to the location (shared by every view of it)."""


def info_of(meta: dict, location: str) -> StoreInfo:
    search = f"HNSW (pgvector), ef_search {meta.get('ef_search')}; BM25 in SQL over postings"
    return StoreInfo.of(meta, location, "postgresql", (("Search", search),))
