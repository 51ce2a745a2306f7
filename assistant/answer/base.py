"""What every composer returns, and the one abstention decision they all share.

A composer turns a question into an `Answer` whose every sentence is cited. The extractive
composer (extractive.py) copies sentences from the retrieved passages; a generative one can
plug in later through the same protocol and the same `decide` rule, so the honesty of the
refusal never depends on which composer wrote the text.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

from ..retrieval import Hit
from ..storage import EVERYTHING, Filter

ABSTAIN_TEXT = "The articles don't cover this question."


@dataclass(frozen=True)
class Citation:
    number: int
    hit: Hit
    spans: tuple[tuple[int, int], ...]  # cited sentences inside hit.text
    speakers: tuple[str, ...] = ()  # people quoted from this passage in the answer


@dataclass(frozen=True)
class Answer:
    question: str
    query: str  # what was searched (the question, rewritten when it was a follow-up)
    text: str
    citations: tuple[Citation, ...]
    hits: tuple[Hit, ...]
    abstained: bool
    confidence: float  # the reader's probability that the articles answer the question

    @property
    def rewritten(self) -> bool:
        return self.query != self.question


class Composer(Protocol):
    """Writes a cited answer from the passages `where` admits, or declines with `declined`."""

    def compose(self, question: str, query: str, where: Filter = EVERYTHING) -> Answer: ...

    def warm(self) -> None:
        """Load what composing needs (models, parameters) now rather than on the first question."""


def decide(answered: float, threshold: float) -> bool:
    """True to answer: the probability that the articles answer the question clears the threshold."""
    return answered >= threshold


def declined(question: str, query: str, hits: Sequence[Hit], confidence: float) -> Answer:
    """The fixed honest reply; the closest passages travel with it, marked as not answering."""
    return Answer(question, query, ABSTAIN_TEXT, (), tuple(hits), True, float(confidence))
