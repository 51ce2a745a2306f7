"""The browser app through its API (gradio_client), against the real model and seed corpus."""
from __future__ import annotations

import json
import re
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from assistant import ABSTAIN_TEXT
from assistant.faces.render import unescape_markdown

from conftest import DATA, LUKASHENKO_PATH

gradio_client = pytest.importorskip("gradio_client")

CARD_QUESTION = "Why might Lukashenko deviate from Moscow?"


def client(live_app):
    return gradio_client.Client(live_app.url, verbose=False)


def ask(api, question, history=()):
    """(answer text, structured answer) from the stateless /chat endpoint."""
    return api.predict(question, [list(turn) for turn in history], api_name="/chat")


def manifest(live_app) -> dict:
    return json.loads((live_app.index / "manifest.json").read_text())


def test_card_question_gets_a_cited_answer_with_its_sources(live_app):
    text, data = ask(client(live_app), CARD_QUESTION)
    numbers = {int(n) for n in re.findall(r"\[(\d+)\]", text)}
    assert numbers and numbers == set(range(1, max(numbers) + 1)) and unescape_markdown(text) == data["text"]
    assert [c["number"] for c in data["citations"]] == sorted(numbers) and not data["abstained"]
    for c in data["citations"]:
        assert c["title"] == "The president of Belarus is causing trouble for Putin" and c["outlet"] == "ITavisen"
        assert c["file"] == LUKASHENKO_PATH and c["paragraphs"].startswith("¶")
        assert all(sentence in c["passage"] for sentence in c["cited"])
        assert [c["passage"][s:e] for s, e in c["spans"]] == c["cited"]
    assert "Røseth" in text


def test_chat_is_stateless_and_takes_its_history_explicitly(live_app):
    api = client(live_app)
    first, _ = ask(api, "Who is Tom Røseth?")
    _, follow = ask(api, "What does he say about Ukraine?", [("Who is Tom Røseth?", first)])
    assert follow["query"] == "What does Tom Røseth say about Ukraine?"
    _, alone = ask(api, "What does he say about Ukraine?")  # same client, no history given: nothing carried over
    assert alone["query"] == "What does he say about Ukraine?"
    meeting, _ = ask(api, "Who will Lukashenko meet on Friday?")
    when_text, when = ask(api, "When did that happen?", [("Who will Lukashenko meet on Friday?", meeting)])
    assert when["query"].startswith("When did that happen? Who will Lukashenko meet on Friday") and not when["abstained"]
    assert "On Friday" in when["citations"][0]["cited"][0]
    with pytest.raises(Exception, match="question is empty"):
        ask(api, "   ")


def test_a_short_answer_comes_with_its_citation_and_span(live_app):
    text, data = ask(client(live_app), "When will Lukashenko and Putin meet?")
    short = data["short_answer"]
    assert short and not data["abstained"] and set(short) == {"text", "number", "start", "end"}
    cited = next(c for c in data["citations"] if c["number"] == short["number"])
    assert cited["passage"][short["start"]:short["end"]] == short["text"]
    assert any(s <= short["start"] < short["end"] <= e for s, e in cited["spans"])
    with pytest.raises(Exception, match="characters long"):  # one clear message, not a failure of the app
        ask(client(live_app), "Why? " * 4_000)


def test_the_text_is_the_one_the_chat_and_the_cli_show(live_app):
    """The short answer leads the API's text in bold, as it leads the chat and the CLI (one
    function, render.reply, words all three; tests/test_one_answer.py compares them)."""
    from assistant.faces import render

    text, data = ask(client(live_app), "When will Lukashenko and Putin meet?")
    assert text.startswith("**On Friday.** On Friday, Belarusian President Aleksandr Lukashenko will meet") and text == data["text"]
    assert text == render.reply(live_app.assistant.ask("When will Lukashenko and Putin meet?"))
    why, data = ask(client(live_app), CARD_QUESTION)  # no short answer for a why-question: the text alone
    assert data["short_answer"] is None and not why.startswith("**")


def test_unanswerable_question_is_declined_with_closest_passages(live_app):
    text, data = ask(client(live_app), "What is the capital of Australia?")
    assert text == ABSTAIN_TEXT and data["abstained"] and data["citations"] == []
    assert data["closest"] and all(c["passage"] for c in data["closest"])


def test_the_page_still_shows_sources_and_panel(live_app):
    """The browser's own chat endpoint is private; the page is tested in Chromium (test_browser.py)."""
    info = client(live_app).view_api(print_info=False, return_format="dict")
    names = set(info["named_endpoints"])
    assert {"/chat", "/list_articles", "/add_files", "/add_url", "/add_text", "/remove_article"} <= names
    chat = info["named_endpoints"]["/chat"]["parameters"]
    assert [p["parameter_name"] for p in chat] == ["question", "history", "since", "until"]
    endpoint = info["named_endpoints"]["/chat"]
    assert [r["python_type"]["type"] for r in endpoint["returns"]] == ["str", "dict(str, Any)"]
    assert all(f"{name}:" in endpoint["description"] for name in ("question", "history", "since", "until"))
    assert "article_id:" in info["named_endpoints"]["/remove_article"]["description"]


def test_added_article_is_citable_at_once_and_removable(live_app):
    api = client(live_app)
    message, table, _, status = api.predict([gradio_client.handle_file(str(DATA / "trondheim-bicycle-garage.md"))],
                                            api_name="/add_files")
    assert message.startswith("**Added** “Trondheim opens"), message
    assert any("Trondheim" in row[0] for row in table["data"])
    assert "**3 articles**" in status
    saved = live_app.corpus / "trondheim-opens-norway-s-largest-bicycle-garage-under-the-central-station.md"
    assert saved.is_file()

    text, data = ask(api, "How many bicycles does the Trondheim garage hold?")
    assert "1,200" in text and "[1]" in text
    assert data["citations"][0]["outlet"] == "Test Fixture News" and data["citations"][0]["published"] == "2026-10-14"

    article_id = saved.stem
    fresh = client(live_app)  # a client that never listed the articles
    message = fresh.predict(article_id, api_name="/remove_article")
    assert message.startswith("Removed “Trondheim opens"), message
    table, _, status = fresh.predict(api_name="/list_articles")
    assert not saved.exists() and "**2 articles**" in status
    with pytest.raises(Exception, match="Not removed: no-such-article: is not in the index"):
        fresh.predict("no-such-article", api_name="/remove_article")
    assert "1,200" not in ask(api, "How many bicycles does the Trondheim garage hold?")[0]


@pytest.mark.parametrize("name, data, reason", [
    ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "binary file"),
    ("empty.md", b"   \n", "empty"),
    ("big.txt", b"A long line of text.\n" * 120_000, "over 1 MB"),
    ("copy.md", None, "already indexed"),
])
def test_bad_upload_is_refused_and_changes_nothing(live_app, tmp_path, name, data, reason):
    upload = tmp_path / name
    if data is None:  # the same text as a seed, under another name
        shutil.copy(live_app.corpus / LUKASHENKO_PATH, upload)
    else:
        upload.write_bytes(data)
    before_files = sorted(p.name for p in live_app.corpus.iterdir())
    before = manifest(live_app)["generation"]
    message, *_ = client(live_app).predict([gradio_client.handle_file(str(upload))], api_name="/add_files")
    assert message.startswith("**Not added:**") and name in message and reason in message, message
    assert sorted(p.name for p in live_app.corpus.iterdir()) == before_files
    assert manifest(live_app)["generation"] == before


def test_uploads_leave_no_temporary_copy_behind(live_app, tmp_path):
    import os
    import tempfile
    from pathlib import Path

    cache = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")
    upload = tmp_path / "refused-upload-7b1e.md"
    upload.write_bytes(b"   \n")
    message, *_ = client(live_app).predict([gradio_client.handle_file(str(upload))], api_name="/add_files")
    assert message.startswith("**Not added:**")
    assert not list(cache.rglob(upload.name)), "the refused upload's temporary copy is still there"


def test_errors_about_pasted_text_name_no_file(live_app):
    message, *_ = client(live_app).predict("A title", "", "2 April", "", "Some text of the article here.", "",
                                           api_name="/add_text")
    assert message == "**Not added:** “A title”: published: '2 April' is not a date; use YYYY-MM-DD", message
    message, *_ = client(live_app).predict("A title", "", "2024-04-02", "example dot org", "Some text here.", "",
                                           api_name="/add_text")
    assert message == "**Not added:** “A title”: link: 'example dot org' is not a web address; start it with http or https"


def test_pasted_article_without_text_is_refused(live_app):
    message, *_ = client(live_app).predict("A title", "", "", "", "  ", "", api_name="/add_text")
    assert message == "**Not added:** pasted article: paste the article's text"


def test_a_pasted_articles_author_is_shown_with_its_citations(live_app):
    api = client(live_app)
    text = ("The harbour authority in Bodø will replace its two oldest container cranes next spring. "
            "The new cranes cost 240 million kroner and lift twice as much, the authority said on Monday.")
    message, *_ = api.predict("Bodø harbour buys new cranes", "Nordland Post", "2025-03-03", "", text, "Ingrid Moe",
                              api_name="/add_text")
    assert message.startswith("**Added** “Bodø harbour buys new cranes”"), message
    [saved] = live_app.corpus.glob("*harbour-buys-new-cranes.md")
    try:
        assert "author: Ingrid Moe" in saved.read_text(encoding="utf-8")
        answer, data = ask(api, "How much do the new cranes in Bodø cost?")
        assert "240 million kroner" in answer, answer
        assert data["citations"][0]["byline"] == "Ingrid Moe"
    finally:
        api.predict(saved.stem, api_name="/remove_article")


def test_ten_concurrent_chats_all_answer(live_app):
    questions = [CARD_QUESTION, "Who is Tom Røseth?", "What will Putin and Lukashenko discuss on Friday?",
                 "Why would terrorists flee to Belarus?", "What is the border like?"] * 2

    def chat(question):
        return ask(client(live_app), question)

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(chat, questions))
    replies = {}
    for (text, data), question in zip(results, questions):
        assert (data["abstained"] and text.startswith("The articles don't")) or re.search(r"\[1\]", text), (question, text)
        assert data["question"] == question
        replies.setdefault(question, set()).add(text)
    assert all(len(texts) == 1 for texts in replies.values())  # the same question, the same answer, under load
    assert re.search(r"\[1\]", replies[CARD_QUESTION].pop())


def test_a_link_added_through_the_api_is_cited_from_the_next_question(live_app, news_site):
    api = client(live_app)
    message, table, _, status = api.predict(f"{news_site.url}/pages/harbour-dredging.html", api_name="/add_url")
    assert message.startswith("**Added** “Harbour dredging to begin in May after years of delay” "
                              "(The Coastal Herald, 2025-03-14)"), message
    saved = live_app.corpus / "harbour-dredging-to-begin-in-may-after-years-of-delay.md"
    try:
        assert saved.is_file() and any(row[2] == "2025-03-14" for row in table["data"])
        question = "How much sand and silt will be moved from the harbour channel?"
        text, data = ask(api, question)
        assert "120,000" in text and data["citations"][0]["published"] == "2025-03-14"
        text, data = api.predict(question, [], "", "2024-12-31", api_name="/chat")  # until: before it appeared
        assert "120,000" not in text
        with pytest.raises(Exception, match="since: 'May' is not a date; use YYYY-MM-DD"):
            api.predict(question, [], "May", "", api_name="/chat")
        message, *_ = api.predict("harbour-dredging.html", api_name="/add_url")
        assert message.startswith("**Not added:** harbour-dredging.html: give a web address starting with http"), message
    finally:
        client(live_app).predict(saved.stem, api_name="/remove_article")


def test_a_web_page_uploaded_through_the_api_keeps_its_metadata(live_app):
    from newssite import PAGES

    api = client(live_app)
    message, table, _, _ = api.predict([gradio_client.handle_file(str(PAGES / "reindeer-herders.html"))],
                                       api_name="/add_files")
    assert message.startswith("**Added** “Reindeer herders win wind farm case at Supreme Court” "
                              "(Arctic Review, 2023-06-21)"), message
    saved = live_app.corpus / "reindeer-herders-win-wind-farm-case-at-supreme-court.md"
    try:
        assert saved.read_text(encoding="utf-8").startswith("---\ntitle: Reindeer herders win wind farm case at "
                                                            "Supreme Court\noutlet: Arctic Review\npublished: 2023-06-21\n")
    finally:
        client(live_app).predict(saved.stem, api_name="/remove_article")


def test_a_history_that_is_not_a_list_of_pairs_is_refused_with_its_reason(live_app):
    api = client(live_app)
    with pytest.raises(Exception, match=r"history: give a list of \[question, answer\] pairs"):
        api.predict("Who is Tom?", "notalist", api_name="/chat")  # on main: searched "Who is Tom? t s i l a t o n"
    with pytest.raises(Exception, match=r"history: turn 1 is \['Who is Tom Røseth\?'\]"):
        api.predict("What does he say about Ukraine?", [["Who is Tom Røseth?"]], api_name="/chat")


def test_an_upload_refused_for_its_type_leaves_no_copy_behind(live_app, tmp_path):
    import os
    import tempfile
    from pathlib import Path

    cache = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")
    refused, sent_along = tmp_path / "refused-type-5d2a.exe", tmp_path / "sent-along-5d2a.md"
    refused.write_bytes(b"MZ" + bytes(64))
    sent_along.write_bytes(b"Sent along\n\nA text file sent with a refused one.")
    with pytest.raises(Exception, match="Invalid file type"):  # Gradio's own check, before the app sees them
        client(live_app).predict([gradio_client.handle_file(str(sent_along)), gradio_client.handle_file(str(refused))],
                                 api_name="/add_files")
    assert not list(cache.rglob(refused.name)), "the refused upload is still in Gradio's upload cache"
    assert not list(cache.rglob(sent_along.name)), "the upload sent with it is still in the cache"


def test_article_markup_in_the_chat_text_is_inert(live_app):
    """The /chat text is Markdown: an image or HTML in an article must not be live in it (a client
    that renders it would fetch the image); the JSON keeps the article's text as it is."""
    api = client(live_app)
    markup = "![crane](http://127.0.0.1:9/crane.png) <img src=x onerror=alert(1)>"
    text = f"The two new container cranes for the harbour in Narvik cost 90 million kroner {markup} in all."
    message, *_ = api.predict("Narvik harbour pays for cranes", "Fjord Post", "2025-04-01", "", text, "",
                              api_name="/add_text")
    assert message.startswith("**Added**"), message
    [saved] = live_app.corpus.glob("*narvik-harbour-pays-for-cranes.md")
    try:
        answer, data = ask(api, "How much did the new container cranes in Narvik cost?")
        cited = data["citations"][0]
        assert markup in cited["passage"] and markup in data["text"], data  # the JSON: the article's own words
        assert "90 million kroner" in answer and "[1]" in answer
        assert "![crane](" not in answer and "<img" not in answer and "http://" not in answer, answer
        assert unescape_markdown(answer) == data["text"]  # the same words, only escaped
    finally:
        api.predict(saved.stem, api_name="/remove_article")
