"""Plain records shared by every layer: what a store holds (passages, articles, the model of its
vectors, one update) and what a search and an answer return (Hit, Citation, ShortAnswer, Answer).
No behaviour beyond describing themselves; imports nothing of the package but dates."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .dates import outlet_and_date


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
class ChangeSet:
    """One update: new or changed articles with their passages and vectors, and what they replace."""

    articles: list[ArticleMeta]  # passages already numbered
    passages: list[StoredPassage]  # ascending ids
    titles: dict[str, str]
    vectors: np.ndarray  # float32, one row per passage
    sentence_vectors: np.ndarray  # float32, passages' sentences in order
    dropped: list[ArticleMeta]  # the articles removed or replaced (their passages go)
    model: ModelInfo
    pipeline: dict
    next_id: int  # the first passage id no article has used
    sentences: int = field(default=0)


@dataclass(frozen=True)
class Hit:
    """A retrieved passage with everything a citation needs."""

    passage_id: int
    text: str
    score: float
    article_id: str
    title: str
    outlet: str | None
    published: dt.date | None  # publication day of the article; None when it states none
    path: str
    url: str | None
    paragraphs: tuple[int, int]  # 0-based [first, last + 1) in the cleaned article
    start: int  # character offsets into the cleaned article text
    end: int
    sentences: tuple[tuple[int, int], ...]  # sentence spans inside `text`
    dense: float = 0.0  # the features behind `score`
    sentence: float = 0.0
    bm25: float = 0.0
    title_match: float = 0.0
    best_sentence: int = 0  # index into `sentences` of the sentence most like the query
    byline: str | None = None  # the article's author, when it names one

    @property
    def paragraph_label(self) -> str:
        first, last = self.paragraphs[0] + 1, self.paragraphs[1]
        return f"¶{first}" if first == last else f"¶{first}–{last}"

    def source_label(self) -> str:
        """`Title — Outlet, date`, leaving out what is unknown."""
        where = outlet_and_date(self.outlet, self.published)
        return f"{self.title} — {where}" if where else self.title


@dataclass(frozen=True)
class Citation:
    number: int
    hit: Hit
    spans: tuple[tuple[int, int], ...]  # cited sentences inside hit.text
    speakers: tuple[str, ...] = ()  # people quoted from this passage in the answer


@dataclass(frozen=True)
class ShortAnswer:
    """The answer in a few words, as the span reader found it inside the lead sentence."""

    text: str  # exactly citation.hit.text[start:end] of citation `number`
    number: int
    start: int
    end: int


@dataclass(frozen=True)
class Answer:
    question: str
    query: str  # what was searched (the question, rewritten when it was a follow-up)
    text: str
    citations: tuple[Citation, ...]
    hits: tuple[Hit, ...]
    abstained: bool
    confidence: float  # the reader's probability that the articles answer the question
    short_answer: ShortAnswer | None = None
    covered: bool = False  # declined, but the articles speak of what it asks about

    @property
    def rewritten(self) -> bool:
        return self.query != self.question
