"""PostgreSQL + pgvector backend: `--index postgresql://…` wherever an index directory goes.

Several app processes can share one database: each question first reads the metadata row's
uid (one indexed row), so adds and removes made by any process are seen on the next question.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager

from ..errors import AssistantError, IndexMismatchError, IndexNotFoundError
from ..storage import ChangeSet, ModelInfo, StoreInfo, check_same_model, display
from . import writer
from .schema import LOCK_KEY, SCHEMA, read_meta
from .store import PgStore, info_of


class DatabaseError(AssistantError):
    """The database cannot be reached or used."""


def _connect(url: str):
    try:
        import psycopg
        from pgvector.psycopg import register_vector
    except ImportError:
        raise DatabaseError("The PostgreSQL backend needs psycopg and pgvector: "
                            "`pip install 'news-assistant[postgresql]'` (or -r requirements.txt).") from None

    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        register_vector(conn)
        conn.execute(f"SET hnsw.ef_search = {writer.EF_SEARCH}")
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseError(f"Cannot use the database at {display(url)}: {first}. Check the URL, that the server "
                            "is running and that it has the pgvector extension.") from None
    return conn


class Connections:
    """One autocommit connection per thread (psycopg connections run one statement at a time)."""

    def __init__(self, url: str):
        self.url = url
        self._local = threading.local()
        self._all: list = []
        self._lock = threading.Lock()

    def get(self):
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self._local.conn = _connect(self.url)
            with self._lock:
                self._all.append(conn)
        return conn

    def rows(self, sql: str, params=None) -> list[tuple]:
        import psycopg

        try:
            return self.get().execute(sql, params).fetchall()
        except psycopg.OperationalError:  # a dropped connection: one fresh try
            self._local.conn = None
            return self.get().execute(sql, params).fetchall()

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()


class PgLocation:
    def __init__(self, url: str):
        self.url = url
        self.name = display(url)
        self.connections = Connections(url)

    def _meta(self) -> dict:
        return read_meta(self.connections.get(), self.name)

    def published(self) -> str:
        rows = self.connections.rows(f"SELECT value->>'uid' FROM {SCHEMA}.meta WHERE key = 'index'") \
            if self.connections.rows("SELECT to_regclass(%s)", (f"{SCHEMA}.meta",))[0][0] else []
        if not rows:
            self._meta()  # raises the IndexNotFoundError with its advice
        return rows[0][0]

    def open(self, reuse=None) -> PgStore:
        return PgStore(self, self._meta())

    def info(self) -> StoreInfo:
        return info_of(self._meta(), self.name)

    @contextmanager
    def lock(self):
        """One writer per database, across processes; the server frees it if the writer dies."""
        conn = _connect(self.url)
        try:
            conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
            yield
        finally:
            conn.close()

    def previous(self, model: ModelInfo, pipeline: dict, rebuild: bool) -> tuple[PgStore | None, bool]:
        if rebuild:
            return None, False
        try:
            meta = self._meta()
        except IndexNotFoundError:
            return None, False
        check_same_model(ModelInfo(**meta["model"]), model, self.name)
        if meta.get("pipeline") != pipeline:
            return None, False
        return PgStore(self, meta), False

    def apply(self, old: PgStore | None, change: ChangeSet, *, merge: bool) -> tuple[str, ...]:
        conn = _connect(self.url)
        try:
            try:
                generation = int(self._meta()["generation"]) + 1
            except (IndexNotFoundError, IndexMismatchError):
                generation = 1
            with conn.transaction():
                writer.apply(conn, old.meta if old is not None else None, change, generation)
        finally:
            conn.close()
        return ()  # nothing to merge: PostgreSQL reclaims deleted rows itself (autovacuum)

    def unchanged(self, old: PgStore) -> None:
        """Nothing to tidy: a transaction leaves nothing behind."""

    def merge(self) -> tuple[str, ...]:
        return ()
