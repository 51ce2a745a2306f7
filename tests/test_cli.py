import json
import subprocess
import sys

from assistant.cli import main
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
