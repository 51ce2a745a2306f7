"""A question is text, and a history is a list of [question, answer] pairs (issue 38, items 2-4):
bytes that are not UTF-8 become replacement characters instead of a traceback, control
characters are dropped before the search, and a history of another shape is refused with a
message instead of being read as a list of characters."""
from __future__ import annotations

import os

import pytest

from assistant import Assistant, InputError
from assistant.faces import cli

CARD_QUESTION = "Why might Lukashenko deviate from Moscow?"


@pytest.fixture(scope="module")
def service(seed_index):
    return Assistant(seed_index)


def test_a_command_line_question_with_bytes_that_are_not_utf8_is_answered(seed_index, capsys):
    question = os.fsdecode(b"Why might Lukashenko deviate from Moscow? \xff\xfe")  # as Python hands over argv
    assert "\udcff" in question
    assert cli.main(["ask", question, "--index", str(seed_index)]) == 0  # on main: TypeError, a traceback
    out = capsys.readouterr().out
    assert "Lukashenko may deviate" in out and "[1]" in out


def test_a_question_with_a_lone_surrogate_is_answered_in_python(service):
    answer = service.ask(CARD_QUESTION + "\ud800")  # "\ud800" in a JSON body arrives like this
    assert not answer.abstained and answer.question == CARD_QUESTION + "\ufffd"
    assert service.retrieve("Who is Tom R\udcf8seth?", 1)  # a Latin-1 byte from a terminal


@pytest.mark.parametrize("noise", ["\x00", "\x00\x00\x07", "\x1b[31m", "\x7f", "\x85", "\u202e", "\u2066\u200f"])
def test_control_characters_are_dropped_before_the_search(service, noise):
    plain = service.ask(CARD_QUESTION)
    noisy = service.ask(CARD_QUESTION.replace("Lukashenko ", f"Lukashenko{noise} "))
    assert not noisy.abstained and noisy.text == plain.text  # on main a NUL made it decline
    assert [c.hit.passage_id for c in noisy.citations] == [c.hit.passage_id for c in plain.citations]


def test_tabs_and_newlines_read_as_spaces(service):
    assert service.ask("Why might Lukashenko\tdeviate\nfrom Moscow?").text == service.ask(CARD_QUESTION).text


def test_a_question_of_control_characters_only_is_empty(service):
    with pytest.raises(InputError, match="The question is empty"):
        service.ask("\x00\x01 \x02")


@pytest.mark.parametrize("history, says", [
    ("notalist", "history: give a list of [question, answer] pairs, oldest first ([] for none), not str 'notalist'"),
    ({"Who is Tom Røseth?": "A researcher."}, "history: give a list of [question, answer] pairs"),
    ([["Who is Tom Røseth?"]], "history: turn 1 is ['Who is Tom Røseth?']; each turn is a [question, answer] pair"),
    (["Who is Tom Røseth?", "A researcher."], "history: turn 1 is 'Who is Tom Røseth?'"),
    ([("Who is Tom Røseth?", 42)], "history: turn 1 is ('Who is Tom Røseth?', 42); each turn is a [question, answer] pair"),
])
def test_a_history_that_is_not_a_list_of_pairs_is_refused_with_a_message(service, history, says):
    with pytest.raises(InputError) as error:
        service.ask("What does he say about Ukraine?", history=history)
    assert str(error.value).startswith(says) and "\n" not in str(error.value)


def test_a_history_of_pairs_still_leads_the_follow_up(service):
    who = service.ask("Who is Tom Røseth?")
    for history in ([("Who is Tom Røseth?", who)], [["Who is Tom Røseth?", who.text]], None, ()):
        follow = service.ask("What does he say about Ukraine?", history=history)
        expected = "What does he say about Ukraine?" if not history else "What does Tom Røseth say about Ukraine?"
        assert follow.query == expected


def test_one_set_of_control_characters_for_questions_names_and_the_terminal():
    """errors.CONTROLS: a question drops them (whitespace ones read as spaces), a name in a
    message escapes them, article text on a terminal drops them but for newline and tab."""
    from assistant.errors import printable
    from assistant.faces.terminal import inert
    from assistant.service import question_text

    hostile = "a\u202eb\u2066c\x1b[2Jd\u2028e\tf\ng"
    assert question_text(hostile) == "abc[2Jd e f g"
    assert printable(hostile) == "a\\u202eb\\u2066c\\x1b[2Jd\\u2028e\\tf\\ng"
    assert inert(hostile) == "abc[2Jde\tf\ng"
