"""`python app.py` as a reader runs it: builds a missing index with progress, then serves the page."""
from __future__ import annotations

import os
import subprocess
import sys
import urllib.request

from conftest import CORPUS, ROOT, free_port, interrupt, output_until_serving


def test_app_builds_the_index_then_serves(tmp_path):
    port = free_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "--corpus", str(CORPUS), "--index", str(tmp_path / "index"),
         "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path)
    try:
        output = output_until_serving(process, 120)
        assert f"Serving at http://127.0.0.1:{port}/" in output, output
        assert "indexed 2 new, 0 changed, 0 removed articles" in output
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as page:
            assert page.status == 200 and b"News assistant" in page.read()
        assert (tmp_path / "index" / "manifest.json").is_file()
    finally:
        interrupt(process)


def test_app_reports_a_foreign_index_and_exits(tmp_path):
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "manifest.json").write_text('{"format": "something-else", "version": 9}')
    result = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "--corpus", str(CORPUS), "--index", str(tmp_path / "index"),
         "--port", str(free_port())], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "index" in result.stderr
