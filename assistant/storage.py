"""The storage seam. Retrieval and answering read a `PassageStore`; the indexer writes through
a `Location`. Two backends implement both: a directory of segment files (filestore.py, the
default) and PostgreSQL + pgvector (pg/), chosen by the index argument: a `postgresql://` URL
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

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import ContextManager, Protocol, Sequence

import numpy as np

from .types import StoredPassage


@dataclass(frozen=True)
class ModelInfo:
    """The embedding model whose vectors a store holds (a different one is refused)."""

    id: str
    fingerprint: str
    dimension: int
    backend: str = "float32"

    @classmethod
    def of(cls, embedder) -> "ModelInfo":
        return cls(embedder.model_id, embedder.fingerprint, embedder.dimension, embedder.backend)

    @classmethod
    def from_dict(cls, stored: dict) -> "ModelInfo":
        """From a manifest's or meta row's "model" entry (older ones lack "backend": float32)."""
        return cls(stored["id"], stored["fingerprint"], stored.get("dimension", 0), stored.get("backend", "float32"))

    def as_dict(self) -> dict:
        return {"id": self.id, "fingerprint": self.fingerprint, "dimension": self.dimension, "backend": self.backend}


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


@dataclass(frozen=True)
class ChangeSet:
    """One update: new or changed articles with their passages and vectors, and what they replace."""

    articles: list[dict]  # article entries (indexer._article_entry), passages already numbered
    passages: list[StoredPassage]  # ascending ids
    titles: dict[str, str]
    vectors: np.ndarray  # float32, one row per passage
    sentence_vectors: np.ndarray  # float32, passages' sentences in order
    dropped: list[dict]  # metadata of the articles removed or replaced (their passages go)
    model: ModelInfo
    pipeline: dict
    next_id: int  # the first passage id no article has used
    sentences: int = field(default=0)


@dataclass(frozen=True)
class Filter:
    """Which passages a search may return: those of articles published in [since, until].

    Either end may be open. With any end set, undated articles are left out (nothing says
    they fall in the range). Backends apply it inside the search, before ranking, so a
    filtered top-k is the best k of the admitted passages, not what survived a top-k.
    """

    since: dt.date | None = None
    until: dt.date | None = None

    def __post_init__(self):
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"since {self.since} is after until {self.until}")

    @property
    def active(self) -> bool:
        return self.since is not None or self.until is not None

    def day_range(self) -> tuple[int, int]:
        """(first, last) admitted day as proleptic ordinals (undated passages are stored as -1)."""
        return (self.since.toordinal() if self.since else 1, self.until.toordinal() if self.until else dt.date.max.toordinal())

    def iso_range(self) -> tuple[str, str]:
        """(first, last) admitted day as ISO strings, which sort as dates do."""
        return (self.since or dt.date.min).isoformat(), (self.until or dt.date.max).isoformat()

    def admits(self, published: dt.date | None) -> bool:
        if not self.active:
            return True
        return published is not None and (self.since or dt.date.min) <= published <= (self.until or dt.date.max)


EVERYTHING = Filter()


def date_filter(since: str | dt.date | None = None, until: str | dt.date | None = None) -> Filter:
    """A Filter from dates or YYYY-MM-DD strings, or InputError naming the bad argument."""
    from .errors import InputError

    days = {}
    for name, value in (("since", since), ("until", until)):
        if value is None or value == "" or isinstance(value, dt.date):
            days[name] = value.date() if isinstance(value, dt.datetime) else (value or None)
            continue
        try:
            days[name] = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise InputError(f"{name}: {str(value)!r} is not a date; use YYYY-MM-DD") from None
    if days["since"] and days["until"] and days["since"] > days["until"]:
        raise InputError(f"since {days['since']} is after until {days['until']}: swap them")
    return Filter(days["since"], days["until"])


def parse_day(published: str | dt.date | None) -> dt.date | None:
    """A stored ISO date (index metadata keeps dates as text) as a date; None when undated."""
    if not published:
        return None
    return published if isinstance(published, dt.date) else dt.date.fromisoformat(str(published)[:10])


def day_number(published: str | dt.date | None) -> int:
    """An article's publication day as stored for filtering: its ordinal, -1 when undated."""
    day = parse_day(published)
    return day.toordinal() if day else -1


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

    def article(self, article_id: str) -> dict | None: ...

    def article_metas(self, article_ids) -> dict[str, dict]: ...

    def articles(self) -> dict[str, dict]: ...  # every live article (listings, full scans)

    def file_states(self) -> dict[str, dict]: ...  # id → {id, path, hash, size, mtime_ns}

    def duplicates(self, text_hash: str, file_hash: str) -> list[dict]: ...

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


def check_same_model(stored: ModelInfo, model: ModelInfo, where: str) -> None:
    """Refuse to mix vectors of two models, or of two backends of one model, in one index."""
    from .errors import IndexMismatchError

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
    return isinstance(spec, str) and spec.startswith(("postgresql://", "postgres://"))


def locate(spec: str | Path) -> Location:
    """The backend an index argument names: a postgresql:// URL, or a directory."""
    if is_url(spec):
        from .pg import PgLocation

        return PgLocation(spec)
    from .filestore import FileLocation

    return FileLocation(Path(spec))


def display(spec: str | Path) -> str:
    """The index argument as it may be printed: a URL's password is hidden."""
    if is_url(spec) and "@" in spec:
        scheme, rest = spec.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}{':***' if ':' in credentials else ''}@{host}"
    return str(spec)
