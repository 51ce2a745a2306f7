"""Regenerate docs/chat.png from the real app: the browser test that asks the card question in
headless Chromium (tests/test_browser.py) saves its screenshot here.

    python docs/screenshot.py
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    target = ROOT / "docs" / "chat.png"
    env = dict(os.environ, SCREENSHOT=str(target), HF_HUB_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:logging", "tests/test_browser.py", "-k", "card"],
                            cwd=ROOT, env=env)
    if result.returncode == 0:
        print(f"wrote {target}")
    sys.exit(result.returncode)
