"""BM25 in SQL over the postings tables, with the file store's formula (lexical.idf,
lexical.weight) and the live collection's statistics from the metadata row.

A top-k is exact and cheap by MaxScore (Turtle & Flood, 1995): a term's contribution is
below its idf (lexical.weight < 1), so with the query's terms split into rarer "essential"
ones and common ones, a passage holding only common terms scores below the sum of their
idfs. One statement reads only the essential terms' postings, keeps the passages that could
still reach the top k, adds the common terms' share for those alone (primary-key probes,
never a scan of "said"), and returns the top k; when the k-th score does not clear the
common terms' bound, the full aggregate runs instead. Measured at 100k passages: p50 25 ->
12 ms, the same ranked scores on 99 of 99 queries it answered, 1 of 100 fell back.
"""
from __future__ import annotations

import math
import numpy as np

from ... import lexical
from ..base import EVERYTHING, Filter
from .schema import SCHEMA

ESSENTIAL_DF_SHARE = 0.1  # terms in at most this share of passages are read whole (0.05: 15% fall back; 0.2: slower)
_WEIGHT = "i.idf * p.tf / (p.tf + %(k1)s * (1 - %(b)s + %(b)s * p.length / %(average)s))"
_STATS = f"""
SELECT (m.value->>'documents')::float8, (m.value->>'total_length')::float8, t.term, t.df
FROM {SCHEMA}.meta m LEFT JOIN {SCHEMA}.terms t ON t.term = ANY(%(terms)s) AND t.df > 0 WHERE m.key = 'index'
"""
_MAXSCORE = f"""
WITH essential AS (SELECT * FROM unnest(%(essential)s::text[], %(essential_idf)s::float8[]) AS i(term, idf)),
part AS (SELECT p.passage_id, sum({_WEIGHT}) AS s FROM essential i JOIN {SCHEMA}.postings p ON p.term = i.term
         GROUP BY p.passage_id),
theta AS (SELECT coalesce((SELECT s FROM part ORDER BY s DESC OFFSET %(k)s - 1 LIMIT 1), 0) AS s),
candidates AS (SELECT part.passage_id, part.s FROM part, theta WHERE part.s + %(bound)s >= theta.s)
SELECT c.passage_id, c.s + coalesce((
    SELECT sum({_WEIGHT}) FROM {SCHEMA}.postings p
    JOIN unnest(%(common)s::text[], %(common_idf)s::float8[]) AS i(term, idf) ON p.term = i.term
    WHERE p.passage_id = c.passage_id AND p.term = ANY(%(common)s)), 0) AS score
FROM candidates c ORDER BY score DESC, c.passage_id LIMIT %(k)s
"""
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


class PgLexical:
    """BM25 of one query; the ranked list is fetched once, as deep as first asked for."""

    def __init__(self, store, tokens: list[str], where: Filter = EVERYTHING):  # store: the pg.store.PgStore searched
        self.store = store
        self.where = where
        self.terms = list(dict.fromkeys(tokens))  # a repeated query word counts once, as in the file store
        self._ranked: list[tuple[int, float]] | None = None
        self._depth = 0

    def _run(self, k: int, ids=None) -> list[tuple[int, float]]:
        if not self.terms:
            return []
        if ids is None and not self.where.active:
            found = self._maxscore(k)
            if found is not None:
                return found
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

    def _maxscore(self, k: int) -> list[tuple[int, float]] | None:
        """The exact top k by MaxScore, or None when its bound does not prove it (then the full aggregate runs)."""
        rows = self.store.rows(_STATS, {"terms": self.terms})
        if not rows:
            return None
        documents, total_length = max(rows[0][0], 1.0), rows[0][1]
        df = {term: count for _, _, term, count in rows if term is not None}
        if not df:
            return []
        idf = {term: float(lexical.idf(documents, np.float64(count))) for term, count in df.items()}
        order = sorted(df, key=lambda t: (-idf[t], t))
        essential = [t for t in order if df[t] <= ESSENTIAL_DF_SHARE * documents] or order[:1]
        common = [t for t in order if t not in essential]
        bound = math.fsum(idf[t] for t in common)
        found = self.store.rows(_MAXSCORE, {
            "essential": essential, "essential_idf": [idf[t] for t in essential], "common": common,
            "common_idf": [idf[t] for t in common], "bound": bound, "k": k, "k1": lexical.K1, "b": lexical.B,
            "average": total_length / documents})
        if common and (len(found) < k or found[-1][1] < bound):
            return None  # a passage with common terms only might still belong in the top k
        return [(int(i), float(s)) for i, s in found]
