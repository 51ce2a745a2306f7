"""The saved chats' bookkeeping (assistant/faces/web_chats.py), on its own: what the browser keeps
after each event of the page. tests/test_browser_chats.py drives the same through Chromium."""
from __future__ import annotations

from assistant.faces import web_chats
from assistant.faces.web_chats import Chats, cut, deleted, load, opened, saved

EMPTY = "no sources yet"


def turn(question: str, answer: str) -> list[dict]:
    return [{"role": "user", "content": question}, {"role": "assistant", "content": answer},
            {"role": "assistant", "content": f"sources of {answer}", "metadata": {"title": "Sources (1)", "status": "done"}}]


def test_a_new_chat_is_saved_under_its_first_question_with_a_panel_per_answer():
    first = saved(Chats(None, ()), turn("Who is Tom Røseth?", "A teacher. [1]"), "panel 1")
    assert first.current and first.choices() == [("Who is Tom Røseth?", first.current)]
    both = saved(first, turn("Who is Tom Røseth?", "A teacher. [1]") + turn("What does he say?", "That. [1]"), "panel 2")
    [chat] = both.chats
    assert chat.id == first.current and chat.panels == ("panel 1", "panel 2") and len(chat.messages) == 6
    assert chat.messages[2]["metadata"] == {"title": "Sources (1)", "status": "done"}


def test_the_chatbots_own_message_format_is_kept_as_text():
    """The Chatbot hands messages over with their content in parts; the browser keeps plain text."""
    parts = [{"role": "user", "content": [{"type": "text", "text": "Who is \\*\\*he\\*\\*?"}], "metadata": None,
              "options": None},
             {"role": "assistant", "content": [{"type": "text", "text": "**On Friday.** …"}], "metadata": None}]
    chats = saved(Chats(None, ()), parts, "panel")
    assert chats.chats[0].messages == ({"role": "user", "content": "Who is \\*\\*he\\*\\*?"},
                                       {"role": "assistant", "content": "**On Friday.** …"})
    assert chats.chats[0].title == "Who is **he**?"  # the list shows the question as typed, not escaped


def test_undo_brings_back_the_panel_of_the_answer_then_latest_and_an_empty_chat_is_dropped():
    one = turn("Q1?", "A1. [1]")
    chats = saved(saved(Chats(None, ()), one, "panel 1"), one + turn("Q2?", "A2. [1]"), "panel 2")
    after_undo, panel = cut(chats, one, EMPTY)
    assert panel == "panel 1" and after_undo.chats[0].panels == ("panel 1",) and after_undo.current == chats.current
    cleared, panel = cut(after_undo, [], EMPTY)
    assert panel == EMPTY and cleared == Chats(None, ())


def test_new_open_and_delete():
    a = saved(Chats(None, ()), turn("Q1?", "A1."), "p1")
    b = saved(opened(a, None), turn("Q2?", "A2."), "p2")  # "New chat", then a question
    assert [title for title, _ in b.choices()] == ["Q2?", "Q1?"] and b.current != a.current
    back = opened(b, a.current)
    assert back.current == a.current and back.get(a.current).panels == ("p1",)
    again = saved(back, turn("Q1?", "A1.") + turn("Q3?", "A3."), "p3")  # asking in it moves it first
    assert [title for title, _ in again.choices()] == ["Q1?", "Q2?"]
    gone = deleted(again, again.current)
    assert gone.current is None and [title for title, _ in gone.choices()] == ["Q2?"]
    assert opened(gone, "no-such-chat").current is None


def test_what_the_browser_kept_is_read_defensively_and_bounded():
    assert load(None) == Chats(None, ()) and load("garbage") == Chats(None, ())
    kept = {"current": "x", "chats": [{"id": "x", "title": "Q?", "messages": turn("Q?", "A."), "panels": ["p"]},
                                      {"title": "no id"}, "not a chat", {"id": "e", "title": "E", "messages": []}]}
    chats = load(kept)
    assert chats.current == "x" and [c.id for c in chats.chats] == ["x"]
    assert load({"current": "gone", "chats": kept["chats"][:1]}).current is None
    many = Chats(None, ())
    for n in range(web_chats.MAX_CHATS + 5):
        many = saved(opened(many, None), turn(f"Question {n}?", "A."), "p")
    assert len(many.chats) == web_chats.MAX_CHATS and many.chats[0].title == f"Question {web_chats.MAX_CHATS + 4}?"
    assert load(many.to_json()) == many  # what is stored reads back the same
    long = saved(Chats(None, ()), turn("Why " * 100, "A."), "p").chats[0].title
    assert len(long) == web_chats.TITLE_CHARS and long.endswith("…")
