"""The manifest of an index directory, typed: what manifest.json names, parsed and checked once.

`Manifest.from_json` is the only reader of the JSON and `to_json` the only writer, so every
other module works with fields, not keys. The JSON itself is unchanged from format 4 (an
index built before this module existed loads as it is, its checksum still matches).
Parsing checks every field's type: a manifest that decodes but is malformed is damaged, and
nothing it names is trusted.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..base import ModelInfo, StoreInfo


@dataclass(frozen=True)
class SegmentEntry:
    name: str
    passages: int  # rows written, deleted ones included


@dataclass(frozen=True)
class AnnEntry:
    """An IVF index over the vectors of `segments` (large indexes only; see compaction.py)."""

    file: str
    segments: tuple[str, ...]
    nlist: int
    nprobe: int
    kind: str = "IVFFlat"


@dataclass(frozen=True)
class Counts:
    """What is live: removed and replaced articles and their passages are not counted."""

    articles: int = 0
    passages: int = 0
    sentences: int = 0


@dataclass(frozen=True)
class Manifest:
    generation: int
    next_id: int = 0  # the first passage id no article has used
    segments: tuple[SegmentEntry, ...] = ()
    deleted: str | None = None  # the deletion list's file
    counts: Counts = Counts()
    model: ModelInfo | None = None
    pipeline: dict = field(default_factory=dict)  # cleaning, chunking, tokenizer versions: compared whole
    ann: AnnEntry | None = None
    built_at: str = ""
    files: dict[str, tuple[int, int]] = field(default_factory=dict)  # name → (size, CRC-32)
    uid: str = ""  # of the publish that wrote it (changes even when the generation does not)
    format: str = ""
    version: int = 0

    replace = dataclasses.replace

    @property
    def identity(self) -> str:
        """What `Location.published()` reports: the uid changes with every publish, even a rebuild's."""
        return f"{self.generation}:{self.uid}"

    def store_info(self, location: str) -> StoreInfo:
        search = f"IVF over {list(self.ann.segments)}, nprobe {self.ann.nprobe}" if self.ann else "exact"
        return StoreInfo(location=location, backend="files", format_version=self.version,
                         generation=self.generation, articles=self.counts.articles, passages=self.counts.passages,
                         sentences=self.counts.sentences, model=self.model, built_at=self.built_at,
                         details=(("Segments", f"{len(self.segments)} (dense search: {search})"),))

    @property
    def segment_names(self) -> list[str]:
        return [s.name for s in self.segments]

    def names(self) -> set[str]:
        """Every segment, deletion list and IVF file it names (what a publish keeps)."""
        names = set(self.segment_names) | ({self.deleted} if self.deleted else set())
        return names | ({self.ann.file} if self.ann else set())

    def to_json(self) -> dict:
        out = {
            "segments": [{"name": s.name, "passages": s.passages} for s in self.segments],
            "next_id": self.next_id, "generation": self.generation, "deleted": self.deleted,
            "counts": dataclasses.asdict(self.counts), "format": self.format, "version": self.version,
            "model": self.model.as_dict() if self.model else None, "pipeline": dict(self.pipeline),
            "built_at": self.built_at, "uid": self.uid, "files": {k: list(v) for k, v in self.files.items()},
        }
        if self.ann:
            out["ann"] = {"file": self.ann.file, "segments": list(self.ann.segments), "kind": self.ann.kind,
                          "nlist": self.ann.nlist, "nprobe": self.ann.nprobe}
        return out

    @classmethod
    def from_json(cls, raw: dict) -> "Manifest":
        """Raises ValueError naming the first field that is missing or of the wrong type."""
        def need(value, kind, name):
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise ValueError(f"{name} is {type(value).__name__}, not {getattr(kind, '__name__', kind)}")
            return value

        segments = tuple(SegmentEntry(need(s.get("name") if isinstance(s, dict) else s, str, "a segment's name"),
                                      need(s.get("passages"), int, "a segment's passages"))
                         for s in need(raw.get("segments"), list, "segments"))
        files = need(raw.get("files"), dict, "files")
        for name, entry in files.items():
            if not (isinstance(entry, list) and len(entry) == 2 and all(isinstance(x, int) for x in entry)):
                raise ValueError(f"the file entry of {name} is not [size, crc]")
        counts = need(raw.get("counts"), dict, "counts")
        ann = raw.get("ann")
        if ann is not None:
            need(ann, dict, "ann")
            ann = AnnEntry(need(ann.get("file"), str, "ann.file"),
                           tuple(need(s, str, "ann.segments") for s in need(ann.get("segments"), list, "ann.segments")),
                           need(ann.get("nlist"), int, "ann.nlist"), need(ann.get("nprobe"), int, "ann.nprobe"),
                           need(ann.get("kind", "IVFFlat"), str, "ann.kind"))
        deleted = raw.get("deleted")
        model = need(raw.get("model"), dict, "model")
        return cls(
            generation=need(raw.get("generation"), int, "generation"), next_id=need(raw.get("next_id"), int, "next_id"),
            segments=segments, deleted=None if deleted is None else need(deleted, str, "deleted"),
            counts=Counts(*(need(counts.get(k), int, f"counts.{k}") for k in ("articles", "passages", "sentences"))),
            model=ModelInfo.from_dict(model), pipeline=need(raw.get("pipeline"), dict, "pipeline"), ann=ann,
            built_at=need(raw.get("built_at", ""), str, "built_at"), files={k: tuple(v) for k, v in files.items()},
            uid=need(raw.get("uid", ""), str, "uid"), format=need(raw.get("format"), str, "format"),
            version=need(raw.get("version"), int, "version"),
        )
