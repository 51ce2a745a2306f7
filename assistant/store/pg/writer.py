"""Applying one change set to PostgreSQL in one transaction: kill -9 at any moment leaves the
old state or the new one (the server rolls back what was not committed).

The writer holds the advisory lock for the whole build (PgLocation.lock), so the metadata
it read at the start (next_id, generation, statistics) is still current when it commits.
"""
from __future__ import annotations

import datetime as dt
import json
import secrets
from collections import Counter

import numpy as np
from psycopg.types.json import Jsonb

from ... import lexical
from ..base import ChangeSet
from .schema import FORMAT, HNSW, SCHEMA, TABLES, VERSION

EF_SEARCH = 200  # HNSW candidates per query. At 100k passages, recall@10 on two samples of 200 questions: 100 -> 0.92 and 0.96, 200 -> 0.97 and 0.99, for +0.6 ms (docs/experiments.md)


def checkpoint(step: str) -> None:
    """Called before every statement of an update; the crash-point test makes one raise."""


def apply(conn, old_meta: dict | None, change: ChangeSet, generation: int) -> dict:
    """Apply `change` inside the caller's transaction; the new metadata row."""
    fresh_start = old_meta is None
    if fresh_start:
        checkpoint("create tables")
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        conn.execute(TABLES.format(dimension=int(change.model.dimension)))
        documents, total_length = 0, 0.0
        counts = {"articles": 0, "passages": 0, "sentences": 0}
    else:
        documents, total_length = int(old_meta["documents"]), float(old_meta["total_length"])
        counts = dict(old_meta["counts"])
    gone = [int(pid) for meta in change.dropped for pid in meta.passages]
    if gone:
        checkpoint("delete articles")
        n, length = conn.execute(f"SELECT count(*), coalesce(sum(length), 0) FROM {SCHEMA}.passages WHERE id = ANY(%s)",
                                 (gone,)).fetchone()
        conn.execute(f"""UPDATE {SCHEMA}.terms t SET df = t.df - d.n
                         FROM (SELECT term, count(*) AS n FROM {SCHEMA}.postings WHERE passage_id = ANY(%s) GROUP BY term) d
                         WHERE t.term = d.term""", (gone,))
        conn.execute(f"DELETE FROM {SCHEMA}.terms WHERE df <= 0")
        conn.execute(f"DELETE FROM {SCHEMA}.articles WHERE id = ANY(%s)", ([m.id for m in change.dropped],))
        documents, total_length = documents - int(n), total_length - float(length)
    if change.passages:
        documents, total_length = _insert(conn, change, documents, total_length)
    if fresh_start:
        # Postings are copied in passage order, so one term's rows lie scattered over the whole
        # table and BM25 reads a heap page per posting. Ordered by (term, passage) they lie
        # together: measured at 100k passages, BM25 SQL p50 76 -> 22 ms (docs/experiments.md).
        # Later adds append a few rows per term; a --rebuild orders everything again.
        checkpoint("cluster postings")
        conn.execute(f"CLUSTER {SCHEMA}.postings USING postings_pkey")
        checkpoint("build HNSW")
        conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
        conn.execute(HNSW)
        checkpoint("analyze")
        for table in ("articles", "passages", "postings", "terms"):  # planner statistics for the bulk-loaded tables
            conn.execute(f"ANALYZE {SCHEMA}.{table}")
    counts["articles"] += len(change.articles) - len(change.dropped)
    counts["passages"] += len(change.passages) - len(gone)
    counts["sentences"] += change.sentences - sum(m.sentences for m in change.dropped)
    meta = {
        "format": FORMAT, "version": VERSION, "generation": generation, "uid": secrets.token_hex(8),
        "model": change.model.as_dict(), "pipeline": change.pipeline, "next_id": change.next_id, "counts": counts,
        "documents": documents, "total_length": total_length, "ef_search": EF_SEARCH,
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    checkpoint("publish meta")
    conn.execute(f"INSERT INTO {SCHEMA}.meta VALUES ('index', %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                 (Jsonb(meta),))
    return meta


def _insert(conn, change: ChangeSet, documents: int, total_length: float) -> tuple[int, float]:
    """COPY the new articles, passages, sentence vectors and postings; then the new terms' df."""
    tokens = lexical.tokenize([f"{change.titles[p.article_id]}\n{p.text}" for p in change.passages])
    checkpoint("copy articles")
    with conn.cursor().copy(f"COPY {SCHEMA}.articles (id, path, hash, text_hash, size, mtime_ns, published, meta) "
                            "FROM STDIN") as copy:
        for a in change.articles:
            copy.write_row((a.id, a.path, a.hash, a.text_hash, a.size, a.mtime_ns, a.published,
                            json.dumps(a.to_json(), ensure_ascii=False)))
    checkpoint("copy passages")
    with conn.cursor().copy(f"COPY {SCHEMA}.passages (id, article_id, ordinal, text, start_char, end_char, "
                            "first_paragraph, last_paragraph, sentences, length, embedding) FROM STDIN") as copy:
        for p, words, vector in zip(change.passages, tokens, change.vectors):
            copy.write_row((p.id, p.article_id, p.ordinal, p.text, p.start, p.end, p.paragraphs[0], p.paragraphs[1],
                            json.dumps(p.sentences), len(words), np.asarray(vector, dtype=np.float32)))
    checkpoint("copy sentence vectors")
    sentences = np.asarray(change.sentence_vectors, dtype=np.float16)
    with conn.cursor().copy(f"COPY {SCHEMA}.sentence_vectors (passage_id, vectors) FROM STDIN") as copy:
        row = 0
        for p in change.passages:
            copy.write_row((p.id, sentences[row:row + len(p.sentences)].tobytes()))
            row += len(p.sentences)
    checkpoint("copy postings")
    with conn.cursor().copy(f"COPY {SCHEMA}.postings (term, passage_id, tf, length) FROM STDIN") as copy:
        for p, words in zip(change.passages, tokens):
            for term, tf in Counter(words).items():
                copy.write_row((term, p.id, float(tf), len(words)))
    checkpoint("update terms")
    conn.execute(f"""INSERT INTO {SCHEMA}.terms (term, df)
                     SELECT term, count(*) FROM {SCHEMA}.postings WHERE passage_id >= %s GROUP BY term
                     ON CONFLICT (term) DO UPDATE SET df = {SCHEMA}.terms.df + EXCLUDED.df""",
                 (min(p.id for p in change.passages),))
    return documents + len(change.passages), total_length + float(sum(len(w) for w in tokens))
