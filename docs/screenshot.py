"""Regenerate docs/chat.png from the real app: the browser test that asks the card question in
headless Chromium (tests/test_browser.py) saves its screenshot here, or at PATH when given.

    .venv/bin/python docs/screenshot.py [PATH]

It runs a test, so it needs what the tests need: the test dependencies
(`.venv/bin/pip install -r requirements-dev.txt`: pytest and Playwright) and Debian's Chromium
(`sudo apt-get install chromium`).
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")  # as tests/browser.py drives it


def missing() -> str | None:
    """What the screenshot needs and this Python or machine lacks, in one line; None when nothing."""
    try:
        absent = [name for name in ("pytest", "playwright") if importlib.util.find_spec(name) is None]
    except (ImportError, ValueError):  # a module set to None in sys.modules: as good as absent
        absent = ["pytest or playwright"]
    if absent:
        return (f"docs/screenshot.py runs a browser test and needs the test dependencies ({', '.join(absent)} "
                f"missing): .venv/bin/pip install -r requirements-dev.txt")
    if not CHROMIUM.exists():
        return f"docs/screenshot.py drives Debian's Chromium, and {CHROMIUM} is missing: sudo apt-get install chromium"
    return None


if __name__ == "__main__":
    problem = missing()
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        sys.exit(2)
    target = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT / "docs" / "chat.png"
    env = dict(os.environ, SCREENSHOT=str(target), HF_HUB_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:logging", "-p", "no:cacheprovider",
                             "tests/test_browser.py", "-k", "card"], cwd=ROOT, env=env)
    if result.returncode == 0:
        print(f"wrote {target}")
    sys.exit(result.returncode)
