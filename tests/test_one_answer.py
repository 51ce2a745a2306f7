"""One answer everywhere (issue 39, item 3): the /chat API's text, the browser's chat and the command
line say the same words, the short answer first, for the same question on the same index."""
from __future__ import annotations

import subprocess
import sys

import pytest

from browser import ask, browser, page  # noqa: F401 (fixtures)
from conftest import ROOT

from assistant.faces.render import unescape_markdown

gradio_client = pytest.importorskip("gradio_client")


@pytest.mark.parametrize("question", ["When will Lukashenko and Putin meet?", "Why might Lukashenko deviate from Moscow?"])
def test_the_api_the_browser_and_the_cli_say_the_same_words(page, live_app, question):
    text, data = gradio_client.Client(live_app.url, verbose=False).predict(question, [], api_name="/chat")
    ask(page, question)
    browser_words = page.locator("#chat .bot").last.locator('[data-testid="bot"]').first.inner_text().strip()
    cli = subprocess.run([sys.executable, "-m", "assistant", "ask", question, "--index", str(live_app.index)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert cli.returncode == 0, cli.stderr[-2000:]
    cli_words = cli.stdout.split("\n\n", 1)[0]
    if data["short_answer"]:  # in bold where Markdown is read; the same words on the terminal and in the page
        short = data["short_answer"]["text"]
        assert text.startswith("**") and text[2:].lower().startswith(short.lower()), text
    plain = unescape_markdown(text)  # the articles' words are escaped in the API's Markdown (issue 38)
    assert plain.replace("**", "") == browser_words == cli_words, (text, browser_words, cli_words)
    assert plain == data["text"]
