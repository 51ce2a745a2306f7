import json
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
