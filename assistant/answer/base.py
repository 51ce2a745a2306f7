"""What every composer returns, and the one abstention decision they all share.

A composer turns a question into an `Answer` whose every sentence is cited. The extractive
composer (extractive.py) copies sentences from the retrieved passages; a generative one can
plug in later through the same protocol and the same `decide` rule, so the honesty of the
refusal never depends on which composer wrote the text.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, Sequence

from ..types import Answer, Citation, Hit, ShortAnswer  # noqa: F401 (part of this module's API)
from ..store.base import EVERYTHING, Filter
from . import phrasing

if TYPE_CHECKING:
    from .repair import Repaired

ABSTAIN_TEXT = f"{phrasing.DECLINE_OPENING} cover this."


class Composer(Protocol):
    """Writes a cited answer to `question` from the passages `where` admits, searching
    `repaired.query` (repair.py made it, once, before any composer), or declines with `declined`."""

    def compose(self, question: str, repaired: "Repaired", where: Filter = EVERYTHING) -> Answer: ...

    def warm(self) -> None:
        """Load what composing needs (models, parameters) now rather than on the first question."""


def decide(answered: float, threshold: float) -> bool:
    """True to answer: the probability that the articles answer the question clears the threshold."""
    return answered >= threshold


def declined(question: str, query: str, hits: Sequence[Hit], confidence: float, covered: bool = False) -> Answer:
    """The honest reply; the closest passages travel with it, marked as not answering. When the
    articles speak of what the question is about (`covered`), it says what they do not say."""
    if not covered or not hits:
        return Answer(question, query, ABSTAIN_TEXT, (), tuple(hits), True, float(confidence))
    closest, clause = hits[0], phrasing.indirect(question)
    said = f"say {clause}" if clause else "answer this question, though they speak of its topic"
    text = f"{phrasing.DECLINE_OPENING} {said}. Closest: {closest.source_label()} ({closest.paragraph_label})."
    return Answer(question, query, text, (), tuple(hits), True, float(confidence), covered=True)
