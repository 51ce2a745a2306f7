"""One immutable index segment: the passages of some articles, written once, memory-mapped to read.

    seg-000004/
      ids.npy               int64 passage ids, ascending; row i of every array is passage ids[i]
      vectors.npy           float32 normalised passage vectors
      sentences.npy         float16 normalised sentence vectors, grouped by passage
      sentence_offsets.npy  int64; passage row i owns sentence rows offsets[i]:offsets[i+1]
      meta.sqlite           articles and passage texts, looked up by id on demand
      bm25/                 postings of "title\\ntext" of each passage row (see lexical.py)

An update writes a new segment with only the new or changed articles; replaced passages are
hidden by the index's deletion list until segments are merged. Nothing here is pickled.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
from functools import cached_property
from pathlib import Path

import numpy as np

from ... import lexical
from . import durable
from ..base import day_number
from ...errors import REPAIR, IndexDamagedError
from ...types import ArticleMeta, StoredPassage

_SCHEMA = """
CREATE TABLE articles (id TEXT PRIMARY KEY, path TEXT, hash TEXT, text_hash TEXT, size INTEGER, mtime_ns INTEGER,
                       first_passage INTEGER, meta TEXT);
CREATE INDEX articles_text_hash ON articles (text_hash);
CREATE INDEX articles_hash ON articles (hash);
CREATE TABLE passages (id INTEGER PRIMARY KEY, article_id TEXT, ordinal INTEGER, text TEXT, start INTEGER,
                       "end" INTEGER, first_paragraph INTEGER, last_paragraph INTEGER, sentences TEXT);
"""


def write(directory: Path, articles: list[ArticleMeta], passages: list[StoredPassage], titles: dict[str, str],
          vectors: np.ndarray, sentence_vectors: np.ndarray) -> None:
    """Write a segment; `passages` in ascending id order, `vectors` and sentence rows to match."""

    durable.checkpoint(f"mkdir {directory.name}")
    directory.mkdir(parents=True)
    ids = np.array([p.id for p in passages], dtype=np.int64)
    if len(ids) > 1 and not (np.diff(ids) > 0).all():
        raise ValueError("segment passages must be in ascending id order")
    counts = [len(p.sentences) for p in passages]
    arrays = {"ids": ids, "vectors": np.ascontiguousarray(vectors, dtype=np.float32),
              "sentences": np.ascontiguousarray(sentence_vectors, dtype=np.float16),
              "sentence_offsets": np.concatenate(([0], np.cumsum(counts))).astype(np.int64)}
    for name, array in arrays.items():
        durable.checkpoint(f"write {directory.name}/{name}.npy")
        np.save(directory / f"{name}.npy", array)
    durable.checkpoint(f"write {directory.name}/meta.sqlite")
    db = sqlite3.connect(directory / "meta.sqlite")
    try:
        db.executescript(_SCHEMA)
        db.executemany("INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (
            (a.id, a.path, a.hash, a.text_hash, a.size, a.mtime_ns, a.passages[0] if a.passages else None,
             json.dumps(a.to_json(), ensure_ascii=False)) for a in articles))
        db.executemany("INSERT INTO passages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (
            (p.id, p.article_id, p.ordinal, p.text, p.start, p.end, p.paragraphs[0], p.paragraphs[1],
             json.dumps(p.sentences)) for p in passages))
        db.commit()
    finally:
        db.close()
    durable.checkpoint(f"write {directory.name}/bm25")
    lexical.save(lexical.build([f"{titles[p.article_id]}\n{p.text}" for p in passages]), directory / "bm25")
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            durable.checkpoint(f"fsync {directory.name}/{path.name}")
            with path.open("rb") as fh:
                os.fsync(fh.fileno())
    # the files' names are entries of these folders: without this a power loss can leave a
    # published segment whose folders lack files the manifest names (deepest first)
    for folder in sorted((p for p in directory.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        durable.fsync_dir(folder)
    durable.fsync_dir(directory)


def _passage(row: tuple) -> StoredPassage:
    """A StoredPassage from a `SELECT * FROM passages` row."""
    pid, aid, ordinal, text, start, end, first, last, sentences = row
    return StoredPassage(pid, aid, ordinal, text, start, end, (first, last), tuple(map(tuple, json.loads(sentences))))


class Segment:
    """Read access to a written segment; arrays are memory-mapped, texts read on demand."""

    def __init__(self, directory: Path):
        if not (directory / "meta.sqlite").is_file():
            raise FileNotFoundError(directory / "meta.sqlite")
        self.directory = directory
        self.name = directory.name
        uri = f"file:{directory / 'meta.sqlite'}?mode=ro&immutable=1"
        self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        self._db.execute("SELECT 1 FROM articles LIMIT 1").fetchone()  # open the file now, while it is named
        self._db_lock = threading.Lock()

    # Opened on first use: an update that only looks up a few articles touches none of them.
    @cached_property
    def ids(self) -> np.ndarray:
        return np.load(self.directory / "ids.npy")

    @cached_property
    def vectors(self) -> np.ndarray:
        return np.load(self.directory / "vectors.npy", mmap_mode="r")

    @cached_property
    def sentences(self) -> np.ndarray:
        return np.load(self.directory / "sentences.npy", mmap_mode="r")

    @cached_property
    def sentence_offsets(self) -> np.ndarray:
        return np.load(self.directory / "sentence_offsets.npy")

    @cached_property
    def bm25(self) -> lexical.Postings:
        return lexical.load(self.directory / "bm25", mmap=True)

    @cached_property
    def days(self) -> np.ndarray:
        """int32 publication day (date ordinal) of each row's article, -1 when undated: what a
        date filter masks. Read from the segment's own articles table, never from corpus files."""
        rows = self._query("SELECT json_extract(a.meta, '$.published') FROM passages p "
                           "JOIN articles a ON a.id = p.article_id ORDER BY p.id")
        ordinals = {value: day_number(value) for value in {r[0] for r in rows}}
        days = np.array([ordinals[r[0]] for r in rows], dtype=np.int32)
        if len(days) != len(self.ids):
            raise ValueError(f"{self.name}/meta.sqlite has {len(days)} dated passages for {len(self.ids)} ids")
        return days

    def warm(self) -> "Segment":
        """Open everything now (a searcher should not pay for it on its first question)."""
        for _ in (self.ids, self.vectors, self.sentences, self.sentence_offsets, self.bm25, self.days):
            pass
        return self

    def checked(self) -> "Segment":
        """Raise ValueError unless the arrays agree with each other (read back, never trusted)."""
        n = len(self.ids)
        if self.ids.ndim != 1 or (n > 1 and not (np.diff(self.ids) > 0).all()):
            raise ValueError(f"{self.name}/ids.npy is not an ascending list of ids")
        if self.vectors.ndim != 2 or len(self.vectors) != n:
            raise ValueError(f"{self.name}/vectors.npy has {len(self.vectors)} rows for {n} passages")
        offsets = self.sentence_offsets
        if len(offsets) != n + 1 or offsets[-1] != len(self.sentences) or (np.diff(offsets) < 0).any():
            raise ValueError(f"{self.name}/sentence_offsets.npy does not match sentences.npy")
        rows = self._query("SELECT COUNT(*) FROM passages")[0][0]
        if rows != n:
            raise ValueError(f"{self.name}/meta.sqlite holds {rows} passages for {n} ids")
        try:
            self.bm25.check(n)
        except ValueError as exc:
            raise ValueError(f"{self.name}/bm25: {exc}") from None
        return self

    def __len__(self) -> int:
        return len(self.ids)

    def close(self) -> None:
        self._db.close()

    def rows(self, ids: np.ndarray) -> np.ndarray:
        """Row of each id in this segment, -1 where it is not here."""
        ids = np.asarray(ids, dtype=np.int64)
        rows = np.searchsorted(self.ids, ids)
        rows[rows >= len(self.ids)] = 0
        found = (self.ids[rows] == ids) if len(self.ids) else np.zeros(len(ids), dtype=bool)
        return np.where(found, rows, -1)

    def _query(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._db_lock:
            return self._db.execute(sql, args).fetchall()

    def passages(self, ids: list[int]) -> dict[int, StoredPassage]:
        """The passages with these ids that this segment holds, in one query."""
        marks = ",".join("?" * len(ids))
        rows = self._query(f"SELECT * FROM passages WHERE id IN ({marks})", tuple(int(i) for i in ids)) if ids else []
        return {r[0]: _passage(r) for r in rows}

    def _article(self, stored: str) -> ArticleMeta:
        """An article's stored JSON, read back and checked."""
        try:
            return ArticleMeta.from_json(json.loads(stored))
        except ValueError as exc:  # json's errors are ValueErrors too
            raise IndexDamagedError(f"The index is damaged ({self.name}/meta.sqlite: {exc}); {REPAIR}.",
                                    (self.name,)) from None

    def articles(self, article_ids: list[str]) -> dict[str, ArticleMeta]:
        marks = ",".join("?" * len(article_ids))
        rows = self._query(f"SELECT id, meta FROM articles WHERE id IN ({marks})", tuple(article_ids)) if article_ids else []
        return {r[0]: self._article(r[1]) for r in rows}

    def file_states(self) -> list[tuple]:
        """(id, path, hash, size, mtime_ns, first passage id) of every article: what a scan compares."""
        return self._query("SELECT id, path, hash, size, mtime_ns, first_passage FROM articles")

    def articles_with(self, *, text_hash: str, file_hash: str) -> list[ArticleMeta]:
        rows = self._query("SELECT meta FROM articles WHERE text_hash = ? OR hash = ?", (text_hash, file_hash))
        return [self._article(r[0]) for r in rows]

    def all_articles(self) -> list[ArticleMeta]:
        return [self._article(r[0]) for r in self._query("SELECT meta FROM articles")]

    def all_passages(self) -> list[StoredPassage]:
        return [_passage(r) for r in self._query("SELECT * FROM passages ORDER BY id")]

    def sentence_vectors(self, row: int) -> np.ndarray:
        return self.sentences[self.sentence_offsets[row]:self.sentence_offsets[row + 1]]
