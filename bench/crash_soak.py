"""Random kill -9 of real `python -m assistant index` processes mid-update.

    python bench/crash_soak.py [--trials 50] [--seed 1]

Each trial changes the corpus (adds, changes or removes an article, or asks for a full
rebuild), starts the CLI, kills it with SIGKILL after a random delay, and checks that the
index still loads and holds exactly the state before or after the change; then a plain
`index` must converge on the corpus. Prints the counts (tests/test_crash.py runs 5 trials;
the crash-point injection there covers every write step deterministically).
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT

from assistant import store
from assistant.errors import AssistantError

STORY = "---\ntitle: Harbour story {n}\noutlet: Test\n---\nThe harbour of town {n} reopened after {n} weeks of repairs.\n"


def state(index: Path):
    data = store.load(index)
    try:
        return tuple(sorted((aid, meta["hash"]) for aid, meta in data.articles().items()))
    finally:
        data.close()


def run_index(corpus: Path, index: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "assistant", "index", "--corpus", str(corpus), "--index", str(index),
                             *extra], cwd=ROOT, env=dict(os.environ, HF_HUB_OFFLINE="1"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="crash-soak-"))
    corpus, index = work / "corpus", work / "index"
    shutil.copytree(ROOT / "corpus", corpus)
    run_index(corpus, index).wait()
    outcome = {"old": 0, "new": 0, "failed to load": 0, "mixed": 0, "did not converge": 0}
    n = 0
    for trial in range(args.trials):
        before = state(index)
        kind = rng.choice(["add", "change", "remove", "rebuild"])
        stories = sorted(corpus.glob("harbour-*.md"))
        if kind == "add" or not stories:
            n += 1
            (corpus / f"harbour-{n}.md").write_text(STORY.format(n=n), encoding="utf-8")
        elif kind == "change":
            rng.choice(stories).write_text(STORY.format(n=rng.randint(100, 999)), encoding="utf-8")
        elif kind == "remove":
            rng.choice(stories).unlink()
        process = run_index(corpus, index, *(["--rebuild"] if kind == "rebuild" else []))
        time.sleep(rng.uniform(1.0, 9.0))  # model load takes a few seconds, then the write
        process.send_signal(signal.SIGKILL)
        process.wait()
        try:
            seen = state(index)
        except AssistantError as exc:
            outcome["failed to load"] += 1
            print(f"trial {trial} ({kind}): does not load: {exc}")
            run_index(corpus, index).wait()
            continue
        run_index(corpus, index).wait()
        after = state(index)
        expected = {p.stem for p in corpus.glob("*.md")}
        if {aid for aid, _ in after} != expected:
            outcome["did not converge"] += 1
        if seen == before:
            outcome["old"] += 1
        elif seen == after:
            outcome["new"] += 1
        else:
            outcome["mixed"] += 1
            print(f"trial {trial} ({kind}): a state that is neither the old nor the new one")
    shutil.rmtree(work, ignore_errors=True)
    print(f"{args.trials} kill -9 trials: " + ", ".join(f"{k} {v}" for k, v in outcome.items()))


if __name__ == "__main__":
    main()
