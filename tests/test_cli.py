import json
import re
import subprocess
import sys

import pytest

from assistant.faces.cli import main
from conftest import LUKASHENKO_PATH, ROOT


def test_index_status_search(corpus_dir, tmp_path, capsys, embedder):
    index = str(tmp_path / "index")
    assert main(["index", "--corpus", str(corpus_dir), "--index", index]) == 0
    out = capsys.readouterr().out
    assert f"added    {LUKASHENKO_PATH}" in out and "2 added" in out
    assert main(["status", "--index", index]) == 0
    out = capsys.readouterr().out
    assert "Articles   2" in out and "all-MiniLM-L6-v2" in out
    assert main(["search", "Who claimed responsibility for the Moscow attack?", "-k", "3", "--json", "--index", index]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 3 and "claimed responsibility" in hits[0]["text"]
    assert {"title", "outlet", "paragraphs", "start", "end", "score"} <= set(hits[0])
    assert main(["search", "Lukashenko", "--index", index]) == 0
    assert "[1] " in capsys.readouterr().out


def test_errors_are_one_line_without_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "search", "anything", "--index", str(tmp_path / "none")],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert "python -m assistant index" in result.stderr
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "index", "--corpus", str(tmp_path / "missing"), "--index", str(tmp_path / "i")],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert result.returncode == 2 and "does not exist" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("args, message", [
    (["ask", ""], "the question is empty"), (["ask", "   "], "the question is empty"),
    (["search", "Lukashenko", "-k", "0"], "-k must be 1 or more"),
])
def test_usage_errors_exit_2_in_one_line(seed_index, args, message):
    result = subprocess.run([sys.executable, "-m", "assistant", *args, "--index", str(seed_index)],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 2 and result.stderr.strip() == f"error: {result.stderr.strip()[7:]}"
    assert message in result.stderr and result.stderr.strip().count("\n") == 0


def test_any_question_length_gets_an_answer_or_one_line(seed_index):
    """A question of up to 2,000 characters is read (the models take its first word pieces); a
    20,000-character one is refused in one line, exit 2, never a traceback."""
    long = "Why might Lukashenko deviate from Moscow? " + "Explain it in detail, please. " * 60
    assert len(long) < 2_000
    for args in (["ask", long], ["search", long]):
        result = subprocess.run([sys.executable, "-m", "assistant", *args, "--index", str(seed_index)],
                                capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert result.returncode == 0 and "Lukashenko" in result.stdout, result.stderr[-500:]
    for command in ("ask", "search"):
        result = subprocess.run([sys.executable, "-m", "assistant", command, "Why? " * 4_000, "--index",
                                 str(seed_index)], capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert result.returncode == 2 and result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
        assert "20,000 characters long; ask it in at most 2,000" in result.stderr


def test_a_closed_pipe_ends_quietly(seed_index, monkeypatch):
    """`… | head -1`: the reader has gone; no BrokenPipeError traceback, exit 0."""
    import io
    import os

    read, write = os.pipe()
    os.close(read)
    stdout = io.TextIOWrapper(os.fdopen(write, "wb", buffering=0), write_through=True)
    monkeypatch.setattr(sys, "stdout", stdout)
    assert main(["search", "Lukashenko and Putin", "-k", "5", "--index", str(seed_index)]) == 0


def _on_a_terminal(args: list[str], env: dict | None = None) -> str:
    """What `python -m assistant ARGS` writes when its output is a terminal (a pseudo-terminal here)."""
    import os
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "assistant", *args], cwd=ROOT, stdout=follower,
                               stderr=subprocess.PIPE, env=dict(os.environ, TERM="xterm", **(env or {})))
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the other end closed: the process has finished writing
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    assert process.wait(timeout=300) == 0, process.stderr.read()[-2000:]
    return out.decode().replace("\r\n", "\n")


MEETING = "When will Lukashenko and Putin meet?"


def test_ask_renders_for_a_terminal_and_prints_plain_text_into_a_pipe(seed_index):
    """On a terminal: the short answer, cited sentences and titles in bold, citations in colour, no
    Markdown. Piped: the same words with no `**` and no escape codes."""
    shown = _on_a_terminal(["ask", MEETING, "--index", str(seed_index)])
    assert shown.startswith("\x1b[1mOn Friday.\x1b[22m On Friday, Belarusian President"), shown[:200]
    assert "\x1b[36m[1]\x1b[39m" in shown and "\x1b[1mSources:\x1b[22m" in shown and "**" not in shown
    assert "\x1b[1m\x1b[4mOn Friday\x1b[24m, Belarusian President" in shown  # the short answer inside its cited sentence
    piped = subprocess.run([sys.executable, "-m", "assistant", "ask", MEETING, "--index", str(seed_index)],
                           capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert piped.returncode == 0 and "\x1b" not in piped.stdout and "**" not in piped.stdout
    assert piped.stdout.startswith("On Friday. On Friday, Belarusian President")
    assert "\n[1] Lukashenko to meet Putin on Friday — TV 2 via California18 (¶1–3)\n> On Friday, Belarusian" in piped.stdout
    assert re.sub(r"\x1b\[[0-9;]*m", "", shown).replace("│ ", "> ") == piped.stdout  # the same words, only marked differently
    assert "\x1b" not in _on_a_terminal(["ask", MEETING, "--index", str(seed_index)], {"NO_COLOR": "1"})


def test_the_chat_command_prints_plain_text_into_a_pipe(seed_index):
    result = subprocess.run([sys.executable, "-m", "assistant", "chat", "--index", str(seed_index)], input=f"{MEETING}\n",
                            capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0 and "\x1b" not in result.stdout and "**" not in result.stdout
    assert "\n> On Friday. On Friday, Belarusian President" in result.stdout


def test_article_text_cannot_send_escape_codes_to_the_terminal(seed_index):
    """A passage is data: an escape sequence in it (clear the screen, retitle the window) is not passed on."""
    from dataclasses import replace

    from assistant import Assistant
    from assistant.faces.terminal import ANSI, PLAIN, to_terminal

    answer = Assistant(seed_index).ask(MEETING)
    hostile = "\x1b[2J\x1b]0;owned\x07\r\u202edesrever\u2066"
    citation = answer.citations[0]
    answer = replace(answer, text=answer.text + hostile, citations=(
        replace(citation, hit=replace(citation.hit, title=citation.hit.title + hostile)),) + answer.citations[1:])
    for style in (ANSI, PLAIN):
        shown = to_terminal(answer, style)
        assert "\x1b[2J" not in shown and "\x1b]0" not in shown and "\x07" not in shown and "\r" not in shown
        assert "\u202e" not in shown and "\u2066" not in shown  # nor may it turn the lines after it backwards
        assert "[2J" in shown  # what is left of it is shown as text
