"""Plain records shared by every layer (no behaviour, no imports from the package)."""
from __future__ import annotations

from dataclasses import dataclass


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
