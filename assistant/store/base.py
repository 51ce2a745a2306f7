"""The storage seam. Retrieval and answering read a `PassageStore`; the indexer writes through
a `Location`. Two backends implement both: a directory of segment files (store/files/, the
default) and PostgreSQL + pgvector (store/pg/), chosen by the index argument: a `postgresql://` URL
selects PostgreSQL, anything else is a directory. tests/test_storage.py runs one contract
suite over both.

Contract, for every backend:
- passage ids are stable integers; a changed article gets new ids, its old ones vanish;
- everything returned is live: deleted passages never come back from any call, and count
  in no statistic (BM25 document frequencies and average length are the live collection's);
- `dense` and `lexical` may see a newer change than the `version` they were opened at (never
  an older one); lookups of ids that vanished meanwhile simply leave them out;
- a `Filter` restricts `dense` and `lexical` before ranking; statistics stay the whole
  collection's, so a passage scores the same filtered or not;
- a `ChangeSet` is applied whole or not at all, and `Location.published()` changes with it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ContextManager, Protocol, Sequence

import numpy as np

from ..errors import printable
from ..dates import EVERYTHING, Filter, date_filter, day_number, iso, parse_day  # noqa: F401 (part of the protocol)
from ..types import ArticleMeta, ChangeSet, FileState, ModelInfo, StoredPassage  # noqa: F401 (part of the protocol)


@dataclass(frozen=True)
class StoreInfo:
    """What `status` reports about a published index."""

    location: str
    backend: str  # "files" or "postgresql"
    format_version: int
    generation: int
    articles: int
    passages: int
    sentences: int
    model: ModelInfo
    built_at: str
    details: tuple[tuple[str, str], ...] = ()  # backend-specific lines for `status`

    @classmethod
    def of(cls, record: dict, location: str, backend: str, details: tuple = ()) -> "StoreInfo":
        """From a published record (a manifest, or PostgreSQL's meta row): both keep these keys."""
        counts = record["counts"]
        return cls(location=location, backend=backend, format_version=record["version"],
                   generation=record["generation"], articles=counts["articles"], passages=counts["passages"],
                   sentences=counts["sentences"], model=ModelInfo.from_dict(record["model"]),
                   built_at=record["built_at"], details=details)


class LexicalQuery(Protocol):
    """BM25 of one tokenised query over the live collection."""

    best: float  # the highest score of any passage (0 when nothing matches)

    def top(self, k: int) -> list[int]: ...  # ids of the k best passages with a positive score

    def scores(self, ids: Sequence[int]) -> np.ndarray: ...  # score of each id (0 if it has none)


class PassageStore(Protocol):
    """A read view of one index: safe to share between threads."""

    version: str  # what `Location.published()` said when this view was opened
    size: int  # live passages
    next_id: int
    info: StoreInfo

    # ids, nearest first (inner product), among the passages `where` admits
    def dense(self, vector: np.ndarray, k: int, where: Filter = EVERYTHING) -> list[int]: ...

    def lexical(self, tokens: list[str], where: Filter = EVERYTHING) -> LexicalQuery: ...  # scores 0 outside `where`

    def passages(self, ids: Sequence[int]) -> dict[int, StoredPassage]: ...

    def passage_vectors(self, ids: Sequence[int]) -> np.ndarray: ...  # float32 rows, zeros for unknown ids

    def sentence_vectors(self, ids: Sequence[int]) -> list[np.ndarray]: ...  # float32 per passage

    def article(self, article_id: str) -> ArticleMeta | None: ...

    def article_metas(self, article_ids) -> dict[str, ArticleMeta]: ...

    def articles(self) -> dict[str, ArticleMeta]: ...  # every live article (listings, full scans)

    def file_states(self) -> dict[str, FileState]: ...  # id → (id, path, hash, size, mtime_ns)

    def duplicates(self, text_hash: str, file_hash: str) -> list[ArticleMeta]: ...

    def knows(self, stem: str) -> bool: ...  # some live passage has this BM25 token

    def close(self) -> None: ...


class Location(Protocol):
    """Where an index lives, and how to change it."""

    name: str

    def published(self) -> str: ...  # changes with every applied change; cheap (checked per question)

    def open(self, reuse: PassageStore | None = None) -> PassageStore: ...

    def info(self) -> StoreInfo: ...

    def lock(self) -> ContextManager: ...  # one writer at a time, across processes

    def previous(self, model: ModelInfo, pipeline: dict, rebuild: bool) -> tuple[PassageStore | None, bool]: ...

    def apply(self, old: PassageStore | None, change: ChangeSet, *, merge: bool) -> tuple[str, ...]: ...

    def unchanged(self, old: PassageStore) -> None: ...  # a build found nothing to do

    def merge(self) -> tuple[str, ...]: ...

    # (what was checked, every problem found) reading every byte; None when the backend checks
    # its own storage (PostgreSQL checksums its pages)
    def verify(self) -> tuple[str, list[str]] | None: ...


def check_same_model(stored: ModelInfo, model: ModelInfo, where: str) -> None:
    """Refuse to mix vectors of two models, or of two backends of one model, in one index."""
    from ..errors import IndexMismatchError

    if stored.id != model.id or stored.fingerprint != model.fingerprint:
        raise IndexMismatchError(
            f"The index in {where} was built with model {stored.id!r} (fingerprint {stored.fingerprint}), "
            f"not {model.id!r} ({model.fingerprint}). Use that model, or rebuild with "
            "`python -m assistant index --rebuild`."
        )
    if stored.backend != model.backend:
        raise IndexMismatchError(
            f"The index in {where} holds vectors from the {stored.backend!r} backend, not {model.backend!r}. "
            f"Set ASSISTANT_BACKEND={stored.backend}, or rebuild with `python -m assistant index --rebuild`."
        )


def is_url(spec: str | Path) -> bool:
    """A postgresql:// URL names a database; anything else an index directory (backends.locate)."""
    return isinstance(spec, str) and spec.startswith(("postgresql://", "postgres://"))


def display(spec: str | Path) -> str:
    """The index argument as it may be printed: a URL's password hidden, control characters escaped."""
    if is_url(spec) and "@" in spec:
        scheme, rest = spec.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        return printable(f"{scheme}://{user}{':***' if ':' in credentials else ''}@{host}")
    return printable(spec)
