"""Tables of the PostgreSQL backend, in their own schema, and the one metadata row.

    meta(key, value)        'index' → format, version, generation, uid, model, pipeline,
                            next_id, counts, and the BM25 collection statistics
    articles                one row per live article, metadata as jsonb
    passages                text, offsets, BM25 length, vector(dimension) under an HNSW index
    sentence_vectors        float16 sentence vectors of each passage (bytea)
    postings(term, passage) term frequency and passage length: BM25 computed in SQL
    terms(term, df)         live document frequency of each term

Every change runs in one transaction (writer.py), so what a reader sees is always a whole
published state, and `meta` names it.
"""
from __future__ import annotations

import json

from ...errors import IndexMismatchError, IndexNotFoundError

SCHEMA = "news_assistant"
FORMAT = "news-assistant-pg"
VERSION = 1
LOCK_KEY = 0x6E657773  # pg_advisory_lock key of the one writer ("news")

TABLES = f"""
CREATE SCHEMA {SCHEMA};
CREATE TABLE {SCHEMA}.meta (key text PRIMARY KEY, value jsonb NOT NULL);
CREATE TABLE {SCHEMA}.articles (
    id text PRIMARY KEY, path text NOT NULL, hash text NOT NULL, text_hash text, size bigint, mtime_ns bigint,
    published text, meta jsonb NOT NULL);
CREATE INDEX articles_text_hash ON {SCHEMA}.articles (text_hash);
CREATE INDEX articles_hash ON {SCHEMA}.articles (hash);
CREATE TABLE {SCHEMA}.passages (
    id bigint PRIMARY KEY, article_id text NOT NULL REFERENCES {SCHEMA}.articles (id) ON DELETE CASCADE,
    ordinal int NOT NULL, text text NOT NULL, start_char int NOT NULL, end_char int NOT NULL,
    first_paragraph int NOT NULL, last_paragraph int NOT NULL, sentences jsonb NOT NULL,
    length int NOT NULL, embedding vector({{dimension}}) NOT NULL);
CREATE INDEX passages_article ON {SCHEMA}.passages (article_id);
CREATE TABLE {SCHEMA}.sentence_vectors (
    passage_id bigint PRIMARY KEY REFERENCES {SCHEMA}.passages (id) ON DELETE CASCADE, vectors bytea NOT NULL);
CREATE TABLE {SCHEMA}.postings (
    term text NOT NULL, passage_id bigint NOT NULL REFERENCES {SCHEMA}.passages (id) ON DELETE CASCADE,
    tf real NOT NULL, length int NOT NULL, PRIMARY KEY (term, passage_id));
CREATE INDEX postings_passage ON {SCHEMA}.postings (passage_id);
CREATE TABLE {SCHEMA}.terms (term text PRIMARY KEY, df int NOT NULL);
"""
# Built after a bulk load (much faster than row by row); inner product, as the vectors are normalised.
HNSW = f"CREATE INDEX passages_embedding ON {SCHEMA}.passages USING hnsw (embedding vector_ip_ops)"


def read_meta(conn, where: str) -> dict:
    """The published metadata row, checked: IndexNotFoundError / IndexMismatchError as the file store."""
    exists = conn.execute("SELECT to_regclass(%s)", (f"{SCHEMA}.meta",)).fetchone()[0]
    row = conn.execute(f"SELECT value FROM {SCHEMA}.meta WHERE key = 'index'").fetchone() if exists else None
    if row is None:
        raise IndexNotFoundError(f"No index in {where}: build it with `python -m assistant index --index {where}`.")
    meta = row[0] if isinstance(row[0], dict) else json.loads(row[0])
    if meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise IndexMismatchError(
            f"{where} holds index format {meta.get('format')!r} version {meta.get('version')!r}; "
            f"this program reads {FORMAT!r} version {VERSION}. Rebuild it with `python -m assistant index --rebuild`."
        )
    return meta
