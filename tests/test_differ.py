"""Reports that differ (answer/differ.py): two articles' short answers compared, and the answer
that says so, citing each."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from assistant.answer import differ
from assistant.answer.span_reader import Reading, Span


@pytest.mark.parametrize("a, b, differs", [
    ("at least 140 people", "137", True), ("140", "at least 140 people", False),
    ("1.5 mln dlrs", "2.1 mln dlrs", True), ("March 22", "March 23", True), ("March 22", "on March 22", False),
    ("Minsk", "Moscow", True), ("Crocus City Hall", "a concert hall", False), ("Vladimir Putin", "Putin", False),
    ("three pct", "4 pct", False),  # a word against a figure: not comparable, never a false alarm
])
def test_two_short_answers_disagree_only_when_both_cannot_be_right(a, b, differs):
    assert differ.disagree(a, b) is differs


def _hit(article: str, text: str):
    return SimpleNamespace(article_id=article, text=text)


def test_the_first_two_articles_that_disagree_are_reported_in_retrieval_order():
    hits = [_hit("a", "At least 140 people died."), _hit("a", "Later: 143 people died."), _hit("b", "137 people died."),
            _hit("c", "Officials gave no figure.")]
    readings = [Reading(0.0, (Span(0, 19, 6.0),)), Reading(0.0, (Span(7, 10, 7.0),)), Reading(0.0, (Span(0, 3, 5.0),)),
                Reading(0.0, ())]
    first, second = differ.differing(hits, readings, margin=2.0)
    assert (first.rank, first.text, second.rank, second.text) == (0, "At least 140 people", 2, "137")
    assert differ.differing(hits, readings, margin=5.5) is None  # b's answer no longer clears the margin
    agreeing = [Reading(0.0, (Span(0, 19, 6.0),)), Reading(0.0, ()), Reading(0.0, (Span(0, 3, 1.0),))]
    assert differ.differing(hits[:3], agreeing, margin=2.0) is None


def test_a_long_span_is_no_short_answer_to_compare():
    hits = [_hit("a", "Because prices fell sharply after the cartel broke up."), _hit("b", "Because demand rose.")]
    readings = [Reading(0.0, (Span(0, 54, 6.0),)), Reading(0.0, (Span(0, 20, 6.0),))]
    assert differ.differing(hits, readings, margin=0.0) is None
