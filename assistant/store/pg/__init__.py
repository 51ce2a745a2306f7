"""PostgreSQL + pgvector backend: `--index postgresql://…` wherever an index directory goes.

Several app processes can share one database: each question first reads the metadata row's
uid (one indexed row), so adds and removes made by any process are seen on the next question.
"""
from __future__ import annotations

import atexit
import threading
from contextlib import contextmanager

from ...errors import AssistantError, IndexMismatchError, IndexNotFoundError
from ..base import ChangeSet, ModelInfo, StoreInfo, check_same_model, display
from . import writer
from .schema import LOCK_KEY, SCHEMA, read_meta
from .store import PgStore, info_of


WRITER_NAME = "news-assistant-writer"  # application_name of the connection that runs an update


class DatabaseError(AssistantError):
    """The database cannot be reached or used."""


def _connect(url: str, name: str = "news-assistant"):
    try:
        import psycopg
        import psycopg_pool  # noqa: F401
        from pgvector.psycopg import register_vector  # noqa: F401
    except ImportError:
        raise DatabaseError("The PostgreSQL backend needs psycopg and pgvector: "
                            "`pip install 'news-assistant[postgresql]'` (or -r requirements.txt).") from None

    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=10, application_name=name)
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        _configure(conn)
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseError(f"Cannot use the database at {display(url)}: {first}. Check the URL, that the server "
                            "is running and that it has the pgvector extension.") from None
    return conn


def _configure(conn) -> None:
    """Every connection: numpy ⇄ vector adapters and the HNSW search breadth."""
    from pgvector.psycopg import register_vector

    register_vector(conn)
    conn.execute(f"SET hnsw.ef_search = {writer.EF_SEARCH}")
    # A filtered search goes on through the graph until it has k admitted rows (pgvector ≥ 0.8);
    # store.py re-sorts what it returns, as "relaxed" order may be slightly out of order.
    conn.execute("SET hnsw.iterative_scan = relaxed_order")
    # Questions are short index lookups: parallel workers cost more to start than they save.
    conn.execute("SET max_parallel_workers_per_gather = 0")


class Connections:
    """A bounded pool of autocommit connections (psycopg_pool), opened on first use.

    Bounded, so that several app processes with many worker threads stay well inside the
    server's max_connections; a question waits for a free connection instead.
    """

    SIZE = 4

    def __init__(self, url: str):
        self.url = url
        self._pool = None
        self._lock = threading.Lock()

    def _get_pool(self):
        with self._lock:
            if self._pool is None:
                from psycopg_pool import ConnectionPool

                _connect(self.url).close()  # a clear DatabaseError now rather than a pool timeout later
                self._pool = ConnectionPool(self.url, min_size=1, max_size=self.SIZE, open=True, timeout=30,
                                            kwargs={"autocommit": True, "application_name": "news-assistant"},
                                            configure=_configure, check=ConnectionPool.check_connection)
            return self._pool

    def connection(self):
        """A pooled connection for one `with` block."""
        return self._get_pool().connection()

    def rows(self, sql: str, params=None, *, binary: bool = False) -> list[tuple]:
        """`binary`: results in PostgreSQL's binary format (vectors and bytea arrive as raw
        bytes instead of text to parse: 55 passage vectors 9.9 -> 1.1 ms)."""
        with self.connection() as conn:
            return conn.execute(sql, params, binary=binary).fetchall()

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None


_shared: dict[str, Connections] = {}
_shared_lock = threading.Lock()


def connections_for(url: str) -> Connections:
    """One pool per URL per process, whatever the number of PgLocation objects; closed at exit."""
    with _shared_lock:
        if url not in _shared:
            if not _shared:
                atexit.register(close_all)
            _shared[url] = Connections(url)
        return _shared[url]


def close_all() -> None:
    with _shared_lock:
        for connections in _shared.values():
            connections.close()
        _shared.clear()


class PgLocation:
    def __init__(self, url: str):
        self.url = url
        self.name = display(url)
        self.connections = connections_for(url)
        self._held = threading.local()  # the connection holding the writer's lock, per thread

    def _meta(self) -> dict:
        with self.connections.connection() as conn:
            return read_meta(conn, self.name)

    def published(self) -> str:
        """The uid of the last committed change: one primary-key read, checked before every question."""
        from psycopg.errors import UndefinedTable

        try:
            rows = self.connections.rows(f"SELECT value->>'uid' FROM {SCHEMA}.meta WHERE key = 'index'")
        except UndefinedTable:
            rows = []
        if not rows:
            self._meta()  # raises the IndexNotFoundError with its advice
        return rows[0][0]

    def open(self, reuse=None) -> PgStore:
        return PgStore(self, self._meta())

    def info(self) -> StoreInfo:
        return info_of(self._meta(), self.name)

    @contextmanager
    def lock(self):
        """One writer per database, across processes; the server frees it if the writer dies.

        The connection that holds the lock also runs the update (`apply`): one connection per
        update, not two (a new server process costs ~10 ms)."""
        conn = _connect(self.url, WRITER_NAME)  # named, so pg_stat_activity shows the update's transaction
        try:
            conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
            self._held.conn = conn
            yield
        finally:
            self._held.conn = None
            conn.close()

    def previous(self, model: ModelInfo, pipeline: dict, rebuild: bool) -> tuple[PgStore | None, bool]:
        if rebuild:
            return None, False
        try:
            meta = self._meta()
        except IndexNotFoundError:
            return None, False
        check_same_model(ModelInfo.from_dict(meta["model"]), model, self.name)
        if meta.get("pipeline") != pipeline:
            return None, False
        return PgStore(self, meta), False

    def apply(self, old: PgStore | None, change: ChangeSet, *, merge: bool) -> tuple[str, ...]:
        held = getattr(self._held, "conn", None)
        conn = held or _connect(self.url, WRITER_NAME)
        try:
            generation = int(old.meta["generation"]) + 1 if old is not None else self._next_generation()
            with conn.transaction():
                writer.apply(conn, old.meta if old is not None else None, change, generation)
        finally:
            if held is None:
                conn.close()
        return ()  # nothing to merge: PostgreSQL reclaims deleted rows itself (autovacuum)

    def _next_generation(self) -> int:
        """A rebuild goes on counting from the published generation, so readers see a change."""
        try:
            return int(self._meta()["generation"]) + 1
        except (IndexNotFoundError, IndexMismatchError):
            return 1

    def unchanged(self, old: PgStore) -> None:
        """Nothing to tidy: a transaction leaves nothing behind."""

    def merge(self) -> tuple[str, ...]:
        return ()

    def verify(self) -> None:
        """PostgreSQL checksums its own pages: nothing here to check byte by byte."""
        return None
