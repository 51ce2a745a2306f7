"""The index on disk: a versioned manifest naming one complete generation directory.

    index/
      manifest.json         format, model, pipeline, articles -> passage ids, generation
      gen-000007/
        passages.faiss      IndexIDMap2(IndexFlatIP) over normalised passage vectors
        passages.jsonl      one passage a line: id, article, text, offsets, sentence spans
        sentences.npy       float16 normalised sentence vectors, grouped by passage
        sentence_ids.npy    passage id of each sentence row
        bm25/ + bm25_ids.npy  bm25s index and the passage id of each of its rows

A save writes a new generation in a temporary directory, renames it into place, then
replaces manifest.json atomically: a crash at any moment leaves the old index or the new
one, never a mix. Nothing is pickled.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from . import lexical
from .errors import IndexMismatchError, IndexNotFoundError

FORMAT = "news-assistant-index"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
KEEP_GENERATIONS = 2  # the current one and the one before, for readers mid-load


@dataclass(frozen=True)
class StoredPassage:
    id: int
    article_id: str
    ordinal: int
    text: str
    start: int
    end: int
    paragraphs: tuple[int, int]
    sentences: tuple[tuple[int, int], ...]


@dataclass
class IndexData:
    """A loaded (or freshly built) index; treated as immutable once published."""

    manifest: dict
    vectors: faiss.Index
    passages: dict[int, StoredPassage]
    sentence_vectors: np.ndarray  # (n, dim) float16
    sentence_ids: np.ndarray  # (n,) int64 passage id per sentence row
    bm25: object | None
    bm25_ids: np.ndarray  # (m,) int64 passage id per BM25 row
    sentence_rows: dict[int, tuple[int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.sentence_rows and len(self.sentence_ids):
            ids = self.sentence_ids
            breaks = np.flatnonzero(np.diff(ids)) + 1
            starts = np.concatenate(([0], breaks))
            ends = np.concatenate((breaks, [len(ids)]))
            self.sentence_rows = {int(ids[s]): (int(s), int(e)) for s, e in zip(starts, ends)}

    @property
    def articles(self) -> dict[str, dict]:
        return self.manifest["articles"]


def new_vector_index(dimension: int) -> faiss.Index:
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))


def read_manifest(index_dir: Path) -> dict:
    path = Path(index_dir) / MANIFEST
    if not path.is_file():
        raise IndexNotFoundError(f"No index in {index_dir}: build it with `python -m assistant index --index {index_dir}`.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexMismatchError(f"{path} is unreadable ({exc}); rebuild with `python -m assistant index --rebuild`.") from None
    if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"{index_dir} holds index format {manifest.get('format')!r} version {manifest.get('version')!r}; "
            f"this program reads {FORMAT!r} version {FORMAT_VERSION}. Rebuild it with `python -m assistant index --rebuild`."
        )
    return manifest


def check_model(manifest: dict, model_id: str, fingerprint: str, index_dir: Path) -> None:
    """Refuse to mix vectors of two models in one index."""
    stored = manifest["model"]
    if stored["id"] != model_id or stored["fingerprint"] != fingerprint:
        raise IndexMismatchError(
            f"The index in {index_dir} was built with model {stored['id']!r} (fingerprint {stored['fingerprint']}), "
            f"not {model_id!r} ({fingerprint}). Use that model, or rebuild with `python -m assistant index --rebuild`."
        )


def _passage_from_json(row: dict) -> StoredPassage:
    return StoredPassage(
        id=row["id"], article_id=row["article_id"], ordinal=row["ordinal"], text=row["text"],
        start=row["start"], end=row["end"], paragraphs=tuple(row["paragraphs"]),
        sentences=tuple(tuple(s) for s in row["sentences"]),
    )


def load(index_dir: Path, *, retries: int = 3) -> IndexData:
    """Load the current generation; retried if a writer swaps generations mid-load."""
    index_dir = Path(index_dir)
    for attempt in range(retries):
        manifest = read_manifest(index_dir)
        gen = index_dir / manifest["generation"]
        try:
            with (gen / "passages.jsonl").open(encoding="utf-8") as fh:
                passages = {p.id: p for p in map(_passage_from_json, map(json.loads, fh))}
            return IndexData(
                manifest=manifest,
                vectors=faiss.read_index(str(gen / "passages.faiss")),
                passages=passages,
                sentence_vectors=np.load(gen / "sentences.npy"),
                sentence_ids=np.load(gen / "sentence_ids.npy"),
                bm25=lexical.load(gen / "bm25"),
                bm25_ids=np.load(gen / "bm25_ids.npy"),
            )
        except FileNotFoundError:
            if attempt == retries - 1:
                raise IndexMismatchError(f"{gen} is incomplete; rebuild with `python -m assistant index --rebuild`.") from None
            time.sleep(0.05)
    raise AssertionError("unreachable")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_generation(directory: Path, data: IndexData) -> None:
    directory.mkdir(parents=True)
    faiss.write_index(data.vectors, str(directory / "passages.faiss"))
    with (directory / "passages.jsonl").open("w", encoding="utf-8") as fh:
        for passage in data.passages.values():
            row = {k: getattr(passage, k) for k in StoredPassage.__dataclass_fields__}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    np.save(directory / "sentences.npy", data.sentence_vectors.astype(np.float16, copy=False))
    np.save(directory / "sentence_ids.npy", data.sentence_ids.astype(np.int64, copy=False))
    np.save(directory / "bm25_ids.npy", data.bm25_ids.astype(np.int64, copy=False))
    lexical.save(data.bm25, directory / "bm25")
    for path in directory.rglob("*"):
        if path.is_file():
            with path.open("rb") as fh:
                os.fsync(fh.fileno())


def save(index_dir: Path, data: IndexData) -> str:
    """Write `data` as a new generation and switch the manifest to it atomically."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    numbers = [int(p.name.split("-")[1]) for p in index_dir.glob("gen-*") if p.name.split("-")[1].isdigit()]
    generation = f"gen-{max(numbers, default=0) + 1:06d}"
    staging = index_dir / f".staging-{generation}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    _write_generation(staging, data)
    os.rename(staging, index_dir / generation)
    manifest = dict(data.manifest, generation=generation)
    tmp = index_dir / f".{MANIFEST}.{os.getpid()}.tmp"
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(manifest, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, index_dir / MANIFEST)
    _fsync_dir(index_dir)
    data.manifest = manifest
    _remove_stale(index_dir, generation)
    return generation


def _remove_stale(index_dir: Path, current: str) -> None:
    """Drop generations older than the previous one, and leftovers of crashed writes."""
    generations = sorted(p for p in index_dir.glob("gen-*") if p.is_dir())
    keep = {p.name for p in generations[-KEEP_GENERATIONS:]} | {current}
    for path in generations:
        if path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)
    for path in index_dir.glob(".staging-*"):
        shutil.rmtree(path, ignore_errors=True)
    for path in index_dir.glob(f".{MANIFEST}.*.tmp"):
        path.unlink(missing_ok=True)
