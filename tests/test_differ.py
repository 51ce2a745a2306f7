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


FIRE = {
    "fire-a.md": ("Warehouse fire in Lagos kills dozens", "Daily Wire Service", "2005-03-02",
                  ["A fire swept through a textile warehouse in the Apapa district of Lagos on Tuesday night, officials said.",
                   "At least 42 people were killed in the blaze, the state emergency agency said on Wednesday.",
                   "Firefighters took six hours to bring the fire under control. The cause is not yet known."]),
    "fire-b.md": ("Lagos warehouse blaze toll rises", "Coastal Herald", "2005-03-03",
                  ["Rescue workers in Lagos searched the ruins of a textile warehouse in Apapa on Thursday after Tuesday's fire.",
                   "The fire killed 57 people, a police spokesman told reporters, higher than earlier counts.",
                   "Survivors said the only exit had been locked. The owner of the warehouse has been questioned."]),
}


@pytest.fixture(scope="module")
def fire_assistant(tmp_path_factory, embedder):
    from assistant.ingest.indexer import build_index
    from assistant.service import Assistant

    root = tmp_path_factory.mktemp("fire")
    (root / "corpus").mkdir()
    for name, (title, outlet, day, paragraphs) in FIRE.items():
        front = f"---\ntitle: {title}\noutlet: {outlet}\npublished: {day}\n---\n\n"
        (root / "corpus" / name).write_text(front + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    build_index(root / "corpus", root / "index", embedder=embedder, progress=False)
    return Assistant(root / "index", root / "corpus")


def test_two_articles_giving_other_tolls_are_both_cited_in_citation_order(fire_assistant):
    answer = fire_assistant.ask("How many people died in the Lagos warehouse fire?")
    numbers = {figure: c.number for c in answer.citations for figure in ("42", "57") if f" {figure} people" in c.hit.text}
    first, second = sorted([(numbers["42"], "42"), (numbers["57"], "57")])
    assert answer.text.startswith(f"Reports differ: {first[1]} [{first[0]}]; {second[1]} [{second[0]}]. ")
    assert answer.short_answer is None  # no one figure leads in bold


def test_a_question_both_articles_answer_alike_says_nothing_of_reports(fire_assistant):
    for question in ("Where was the warehouse?", "What did survivors say?"):
        answer = fire_assistant.ask(question)
        assert not answer.abstained and "Reports differ" not in answer.text, question
