"""`status` and an `index` with nothing to do load no model, no torch and no answer composers:
loading them made these commands take 20-30 s. bench/bench_cli.py measures the times against
a baseline in one run; this checks the cause, without timing anything."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

HEAVY = ("torch", "transformers", "sentence_transformers", "bm25s", "assistant.answer", "assistant.service")


@pytest.mark.parametrize("command", ["status", "index"])
def test_status_and_an_index_with_nothing_to_do_load_no_model(seed_index, tmp_path, command):
    for name in ("corpus", "index"):  # copies keep the files' times: the index stays up to date with its corpus
        shutil.copytree(seed_index.parent / name, tmp_path / name)
    args = {"status": ["status", "--index", str(tmp_path / "index")],
            "index": ["index", "--corpus", str(tmp_path / "corpus"), "--index", str(tmp_path / "index")]}[command]
    code = (f"import sys; from assistant.faces.cli import main; code = main({args!r}); "
            f"print(code, sorted(m for m in {HEAVY!r} if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "0 []", result.stdout
    if command == "index":
        assert "0 added, 0 updated, 0 removed, 2 unchanged; 0 passages embedded" in result.stdout
    else:
        assert "Articles   2" in result.stdout


def test_ask_runs_without_transformers_or_sentence_transformers(seed_index):
    """`ask` loads torch and the models, but not the 5 s of imports it used to (issue 39)."""
    code = (f"import sys; from assistant.faces.cli import main; "
            f"code = main(['ask', 'Why might Lukashenko deviate from Moscow?', '--index', {str(seed_index)!r}]); "
            f"print(code, sorted(m for m in ('transformers', 'sentence_transformers', 'sklearn') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "0 []", result.stdout
    assert "[1]" in result.stdout
