"""The browser app through its API (gradio_client), against the real model and seed corpus."""
from __future__ import annotations

import json
import re
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from assistant import ABSTAIN_TEXT

from conftest import DATA, LUKASHENKO_PATH

gradio_client = pytest.importorskip("gradio_client")

CARD_QUESTION = "Why might Lukashenko deviate from Moscow?"


def client(live_app):
    return gradio_client.Client(live_app.url, verbose=False)


def split(messages):
    """(answer texts, {metadata title: content}) of the chat endpoint's messages."""
    answers, titled = [], {}
    for m in messages:
        title = (m.get("metadata") or {}).get("title")
        if title:
            titled[title] = m["content"]
        else:
            answers.append(m["content"])
    return answers, titled


def manifest(live_app) -> dict:
    return json.loads((live_app.index / "manifest.json").read_text())


def test_card_question_streams_a_cited_answer_with_sources(live_app):
    job = client(live_app).submit(CARD_QUESTION, api_name="/chat")
    final_messages, panel = job.result(timeout=60)
    updates = job.outputs()
    assert len(updates) > 2, "the answer should arrive in several streamed pieces"
    answers, titled = split(final_messages)
    assert len(answers) == 1
    numbers = {int(n) for n in re.findall(r"\[(\d+)\]", answers[0])}
    assert numbers and numbers == set(range(1, max(numbers) + 1))
    sources_title = f"Sources ({len(numbers)})"
    assert sources_title in titled
    for n in numbers:
        assert f"**[{n}] The president of Belarus is causing trouble for Putin**" in titled[sources_title] or \
            f"**[{n}] Lukashenko" in titled[sources_title]
    assert "<mark>" in titled[sources_title]
    assert "Røseth" in answers[0]
    assert "The president of Belarus is causing trouble for Putin" in panel
    assert f"file `{LUKASHENKO_PATH}`" in panel and "paragraph" in panel


def test_follow_up_is_searched_with_the_conversation(live_app):
    chat = client(live_app)
    chat.predict("Who is Tom Røseth?", api_name="/chat")
    messages, panel = chat.predict("What does he say about Ukraine?", api_name="/chat")
    answers, titled = split(messages)
    searched = [t for t in titled if t.startswith("Searched for:")]
    assert searched and "Tom Røseth" in searched[0]
    assert answers[0] == ABSTAIN_TEXT or (re.search(r"\[1\]", answers[0]) and "Ukraine" in answers[0])
    assert "_Searched for:_" in panel


def test_unanswerable_question_is_declined_with_closest_passages(live_app):
    messages, panel = client(live_app).predict("What is the capital of Australia?", api_name="/chat")
    answers, titled = split(messages)
    assert answers == ["The articles don't cover this question."]
    assert "Closest passages (they do not answer it)" in titled
    assert not any(t.startswith("Sources") for t in titled)
    assert "Not covered by the articles" in panel


def test_added_article_is_citable_at_once_and_removable(live_app):
    api = client(live_app)
    message, table, _, status = api.predict([gradio_client.handle_file(str(DATA / "trondheim-bicycle-garage.md"))],
                                            api_name="/add_files")
    assert message.startswith("**Added** “Trondheim opens"), message
    assert any("Trondheim" in row[0] for row in table["data"])
    assert "**3 articles**" in status
    saved = live_app.corpus / "trondheim-opens-norway-s-largest-bicycle-garage-under-the-central-station.md"
    assert saved.is_file()

    messages, panel = api.predict("How many bicycles does the Trondheim garage hold?", api_name="/chat")
    answers, titled = split(messages)
    assert "1,200" in answers[0] and "[1]" in answers[0]
    assert "Test Fixture News · 2026-10-14" in panel

    article_id = saved.stem
    message, table, _, status = api.predict(article_id, api_name="/remove_article")
    assert message.startswith("**Removed**"), message
    assert not saved.exists() and "**2 articles**" in status
    messages, _ = api.predict("How many bicycles does the Trondheim garage hold?", api_name="/chat")
    assert "1,200" not in split(messages)[0][0]


@pytest.mark.parametrize("name, data, reason", [
    ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "binary file"),
    ("empty.md", b"   \n", "empty"),
    ("big.txt", b"A long line of text.\n" * 120_000, "over 2 MB"),
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
    message, *_ = client(live_app).predict("A title", "", "2 April", "", "Some text of the article here.",
                                           api_name="/add_text")
    assert message.startswith("**Not added:**") and ".md" not in message, message


def test_pasted_article_without_text_is_refused(live_app):
    message, *_ = client(live_app).predict("A title", "", "", "", "  ", api_name="/add_text")
    assert message == "**Not added:** pasted article: paste the article's text"


def test_ten_concurrent_chats_all_answer(live_app):
    questions = [CARD_QUESTION, "Who is Tom Røseth?", "What will Putin and Lukashenko discuss on Friday?",
                 "Why would terrorists flee to Belarus?", "What is the border like?"] * 2

    def chat(question):
        return client(live_app).predict(question, api_name="/chat")

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(chat, questions))
    replies = {}
    for (messages, panel), question in zip(results, questions):
        answers, titled = split(messages)
        assert answers[0] == ABSTAIN_TEXT or re.search(r"\[1\]", answers[0]), (question, answers)
        assert question in panel
        replies.setdefault(question, set()).add(answers[0])
    assert all(len(texts) == 1 for texts in replies.values())  # the same question, the same answer, under load
    assert re.search(r"\[1\]", replies[CARD_QUESTION].pop())
