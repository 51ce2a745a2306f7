"""Saved conversations in the browser (issue 39, item 2): a reload keeps the chat, "New chat" starts
an empty one, earlier chats are listed by their first question and reopen with their answers and
sources, a chat can be deleted, all of it kept in the browser's localStorage; Undo and Clear keep
the sources panel in step with the chat."""
from __future__ import annotations

from browser import ask, browser, open_app, page, wait_for_answer, wait_until_ready  # noqa: F401 (fixtures)

FIRST, SECOND = "Who is Tom Røseth?", "When will Lukashenko and Putin meet?"
EMPTY_PANEL = "Ask a question: the passages its answer cites"


def chat(page) -> str:
    return page.inner_text("#chat")


def asked(page) -> list[str]:
    """The questions in the chat (an empty chat shows the example questions, which are not asked)."""
    return [text.strip() for text in page.locator('#chat [data-testid="user"]').all_inner_texts()]


def panel(page) -> str:
    return page.inner_text("#sources-panel")


def listed(page) -> list[str]:
    return [label.strip() for label in page.locator("#chat-list label").all_inner_texts()]


def settle(page, milliseconds: int = 1_000):
    """Events that change no answer (undo, clear, new, open, delete) run without the queue: a moment."""
    page.wait_for_timeout(milliseconds)


def reload(page):
    page.reload(wait_until="load")
    page.wait_for_selector("#question textarea", timeout=30_000)
    settle(page, 2_000)  # the browser's saved chats are read after the page has loaded


def test_a_reload_keeps_the_chat_with_its_answers_and_sources(page):
    ask(page, FIRST)
    ask(page, SECOND)
    reload(page)
    shown = chat(page)
    assert FIRST in shown and SECOND in shown and "Tom Røseth. [1]" in shown and "On Friday." in shown
    assert f"For: {SECOND}" in panel(page) and "Lukashenko to meet Putin on Friday" in panel(page)
    assert listed(page) == [FIRST]  # a chat is listed by its first question
    ask(page, "What does he say about Ukraine?")  # the conversation goes on where it was:
    # searched with the names of the reloaded turns (without them it would be searched alone, no note)
    assert "Searched for: What does he say about Ukraine? Lukashenko Putin" in chat(page)


def test_new_chat_starts_empty_and_earlier_chats_reopen_with_answers_and_sources(page):
    ask(page, FIRST)
    page.click("#new-chat")
    settle(page)
    assert asked(page) == [] and EMPTY_PANEL in panel(page)
    page.locator("#chat").get_by_text("Why might Lukashenko deviate from Moscow?", exact=True).click()  # an example
    wait_for_answer(page, "Why might Lukashenko deviate from Moscow?")
    assert asked(page) == ["Why might Lukashenko deviate from Moscow?"]  # the new chat holds only its own question
    assert listed(page) == ["Why might Lukashenko deviate from Moscow?", FIRST]  # the latest first
    page.locator("#chat-list label", has_text=FIRST).click()
    page.wait_for_function("q => document.querySelector('#sources-panel').innerText.includes('For: ' + q)", arg=FIRST)
    shown = chat(page)
    assert FIRST in shown and "Tom Røseth. [1]" in shown and "Sources (1)" in shown and "deviate" not in shown
    assert "The president of Belarus is causing trouble for Putin" in panel(page)
    page.locator("#chat").get_by_text("Sources (1)").click()  # the folded sources under the answer came back too
    page.locator("#chat mark").first.wait_for(state="visible")
    reload(page)  # the chat opened last is the one a reload shows
    assert FIRST in chat(page) and "deviate" not in chat(page)


def test_a_chat_can_be_deleted(page):
    ask(page, FIRST)
    page.click("#new-chat")
    settle(page)
    ask(page, SECOND)
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#delete-chat")
    settle(page)
    assert listed(page) == [SECOND, FIRST] and SECOND in chat(page)  # dismissing the question keeps it
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#delete-chat")
    page.wait_for_function("() => document.querySelectorAll('#chat-list label').length === 1")
    assert listed(page) == [FIRST] and SECOND not in chat(page) and EMPTY_PANEL in panel(page)
    reload(page)
    assert listed(page) == [FIRST] and SECOND not in chat(page)


def test_chats_are_kept_in_the_browser_not_on_the_server(page, browser, live_app):
    ask(page, FIRST)
    stored = page.evaluate("() => localStorage.getItem('news-assistant-chats')")
    assert stored and FIRST not in stored  # kept in this browser (BrowserState encrypts it)
    other = open_app(browser, live_app, viewport={"width": 1400, "height": 900})  # another browser, same server
    try:
        settle(other, 2_000)
        assert listed(other) == [] and asked(other) == []
    finally:
        other.close()


def test_undo_and_clear_keep_the_sources_panel_in_step(page):
    ask(page, FIRST)
    ask(page, SECOND)
    page.locator("#chat button[aria-label=Undo]").click()
    page.wait_for_function("q => document.querySelector('#sources-panel').innerText.includes('For: ' + q)", arg=FIRST)
    assert SECOND not in chat(page) and "Lukashenko to meet Putin on Friday" not in panel(page)
    assert page.input_value("#question textarea") == SECOND  # Undo hands the question back to edit
    reload(page)
    assert SECOND not in chat(page) and f"For: {FIRST}" in panel(page)  # the undone answer is not saved either
    page.locator("#chat button[aria-label=Clear]").click()
    page.wait_for_function(f"() => document.querySelector('#sources-panel').innerText.includes({EMPTY_PANEL!r})")
    assert asked(page) == [] and listed(page) == []
    reload(page)
    assert asked(page) == [] and EMPTY_PANEL in panel(page)


def test_retry_answers_again_in_the_same_chat(page):
    ask(page, FIRST)
    with page.expect_request(lambda request: "queue/join" in request.url):  # asked again
        page.locator("#chat button[aria-label=Retry]").click()
    page.wait_for_function("() => document.querySelector('#chat').innerText.includes('Tom Røseth. [1]')",
                            timeout=60_000)  # answered again, as slow as any answer
    wait_until_ready(page)
    assert chat(page).count(FIRST) == 1 and "Tom Røseth. [1]" in chat(page) and listed(page) == [FIRST]
