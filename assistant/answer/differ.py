"""Reports that differ: when passages of two articles each answer the question with a short
answer of their own, and the two disagree (other numbers, or names and dates with no word in
common), the answer says so and cites each: "Reports differ: at least 140 people [1]; 137 [2]."

The span reader decides what each passage answers (its best span, standing as far above "no
answer" there as a short answer shown alone must); this module only compares what it found. Counts are
compared as numbers ("1.5 mln" and "1,500,000" are not told apart: they disagree only when their
figures do), anything else by its words. A longer span is no short answer (a reason, a clause):
those are not compared, nor are answers one of which holds a number and the other not.
"""
from __future__ import annotations

import re
from typing import NamedTuple, Sequence

from .span_reader import Reading, Span

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[a-z0-9]+")
_ARTICLES = {"a", "an", "the", "of", "in", "on", "at", "by", "and"}
MAX_WORDS = 6  # a short answer; longer spans are reasons or clauses, not figures to compare


class Report(NamedTuple):
    rank: int  # of the hit whose passage says it
    span: Span
    text: str


def _numbers(text: str) -> set[str]:
    return {m.group(0).replace(",", "") for m in _NUMBER.finditer(text)}


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower())) - _ARTICLES


def disagree(a: str, b: str) -> bool:
    """Two short answers that cannot both be right: other figures, or no word in common."""
    numbers_a, numbers_b = _numbers(a), _numbers(b)
    if numbers_a or numbers_b:
        return bool(numbers_a) and bool(numbers_b) and not (numbers_a & numbers_b)
    words_a, words_b = _words(a), _words(b)
    return bool(words_a) and bool(words_b) and not (words_a & words_b)


def differing(hits: Sequence, readings: Sequence[Reading], margin: float) -> tuple[Report, Report] | None:
    """The first two passages of different articles whose best spans clear `margin` over "no
    answer" and disagree, in retrieval order; None when the reports agree or only one answers."""
    reports: dict[str, Report] = {}
    for rank, reading in enumerate(readings):
        if not reading.spans or reading.margin < margin or hits[rank].article_id in reports:
            continue
        span = reading.spans[0]
        text = hits[rank].text[span.start:span.end].strip()
        if len(text.split()) <= MAX_WORDS:
            reports[hits[rank].article_id] = Report(rank, span, text)
    found = list(reports.values())
    for i, first in enumerate(found):
        for second in found[i + 1:]:
            if disagree(first.text, second.text):
                return first, second
    return None
