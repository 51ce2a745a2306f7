"""Plain records shared by every layer (no behaviour, no imports from the package)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


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


class FileState(NamedTuple):
    """What a corpus scan compares with a file on disk: an unchanged size and mtime skip reading it."""

    id: str
    path: str
    hash: str
    size: int | None
    mtime_ns: int | None


_ARTICLE_FIELDS = (  # name, type, required: what an index stores about each article (JSON in both backends)
    ("id", str, True), ("path", str, True), ("hash", str, True), ("title", str, True), ("passages", list, True),
    ("outlet", str, False), ("published", str, False), ("url", str, False), ("byline", str, False),
    ("paragraphs", int, False), ("sentences", int, False), ("size", int, False), ("mtime_ns", int, False),
    ("text_hash", str, False),
)


@dataclass(frozen=True)
class ArticleMeta:
    """One indexed article: where its file is, what it is, and its passages' ids in order.

    `from_json` is how every backend reads the stored JSON back, and it checks each field's
    type (ValueError naming the field: the reader turns it into IndexDamagedError)."""

    id: str
    path: str
    hash: str  # of the file's bytes: a changed file is re-indexed
    title: str
    passages: tuple[int, ...]
    outlet: str | None = None
    published: str | None = None  # ISO day, as the front matter or page gave it
    url: str | None = None
    byline: str | None = None
    paragraphs: int = 0
    sentences: int = 0
    size: int | None = None
    mtime_ns: int | None = None
    text_hash: str | None = None  # of the cleaned text: the same article under another name

    @property
    def file_state(self) -> FileState:
        return FileState(self.id, self.path, self.hash, self.size, self.mtime_ns)

    def to_json(self) -> dict:
        out = {name: getattr(self, name) for name, _, _ in _ARTICLE_FIELDS}
        return {**out, "passages": list(self.passages)}

    @classmethod
    def from_json(cls, raw: object) -> "ArticleMeta":
        if not isinstance(raw, dict):
            raise ValueError(f"an article entry is {type(raw).__name__}, not an object")
        values = {}
        for name, kind, required in _ARTICLE_FIELDS:
            value = raw.get(name)
            if value is None and not required:
                continue
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise ValueError(f"article {raw.get('id')!r}: {name} is {type(value).__name__}, not {kind.__name__}")
            values[name] = value
        passages = values["passages"]
        if not all(isinstance(p, int) and not isinstance(p, bool) for p in passages):
            raise ValueError(f"article {raw.get('id')!r}: passages holds a value that is not an id")
        return cls(**{**values, "passages": tuple(passages)})
