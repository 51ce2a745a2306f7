"""Soak: resident memory of the browser app under steady load with articles being added.

    python bench/soak.py [--minutes 10] [--clients 8] [--add-every 20] [--trace]

Starts `python app.py` on a copy of the bundled corpus, runs N gradio_client chats in a loop
(each client reused, a fresh conversation per question) and adds (then removes) an article
every few seconds through the API; samples the app's resident memory (RSS, from /proc) every
10 s. Reports RSS after the warm-up (minute 2) and at the end, the growth between them, and
errors. With --trace the app runs under tracemalloc and prints its top growing allocation
sites between minute 2 and the end (to find what grows).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import ROOT

sys.path.insert(0, str(ROOT / "tests"))
from conftest import free_port  # noqa: E402

QUESTIONS = ["Why might Lukashenko deviate from Moscow?", "Who is Tom Røseth?", "What is the border like?",
             "What will Putin and Lukashenko discuss on Friday?", "How many people were killed?",
             "What is the capital of Australia?"]
ARTICLE = "Harbour {n} reopens\n\nThe harbour of Bodø number {n} reopened on Monday after repairs to its northern quay."


# app.py under tracemalloc: a snapshot at minute 2, then every minute the top growers since it
TRACED = """
import os, runpy, sys, threading, time, tracemalloc
tracemalloc.start(8)
def watch():
    time.sleep(120)
    base = tracemalloc.take_snapshot()
    while True:
        time.sleep(60)
        top = tracemalloc.take_snapshot().compare_to(base, "traceback")[:12]
        with open(os.environ["SOAK_TRACE"], "w") as fh:
            for stat in top:
                fh.write(f"{stat.size_diff / 1e6:+.2f} MB {stat.count_diff:+d} blocks\\n")
                fh.write("\\n".join("    " + line for line in stat.traceback.format()[-6:]) + "\\n")
threading.Thread(target=watch, daemon=True).start()
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--add-every", type=float, default=20, help="seconds between article adds")
    parser.add_argument("--trace", action="store_true", help="tracemalloc top growers (slows the app)")
    args = parser.parse_args()
    from gradio_client import Client, handle_file

    work = Path(tempfile.mkdtemp(prefix="soak-"))
    shutil.copytree(ROOT / "corpus", work / "corpus")
    port = free_port()
    env = dict(os.environ, HF_HUB_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False",
               SOAK_TRACE=str(work / "trace") if args.trace else "")
    launcher = [sys.executable, "-c", TRACED] if args.trace else [sys.executable]
    app = subprocess.Popen([*launcher, str(ROOT / "app.py"), "--corpus", str(work / "corpus"), "--index",
                            str(work / "index"), "--port", str(port)], cwd=ROOT, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + (900 if args.trace else 180)  # tracemalloc slows the start-up build
    while True:
        try:
            Client(url, verbose=False)
            break
        except Exception:
            if time.time() > deadline or app.poll() is not None:
                raise SystemExit("app.py did not start")
            time.sleep(0.5)
    stop_at = time.time() + args.minutes * 60
    counts = {"asked": 0, "added": 0, "errors": 0}
    lock = threading.Lock()

    def counted(key: str, call) -> None:
        try:
            call()
            outcome = key
        except Exception:
            outcome = "errors"
        with lock:
            counts[outcome] += 1

    def chatter(i: int) -> None:
        client = Client(url, verbose=False)
        n = i
        while time.time() < stop_at:
            counted("asked", lambda: client.predict(QUESTIONS[n % len(QUESTIONS)], [], api_name="/chat"))
            n += 1

    def adder() -> None:
        client = Client(url, verbose=False)
        n = 0
        while time.time() < stop_at:
            time.sleep(args.add_every)
            path = work / f"harbour-{n}.txt"
            path.write_text(ARTICLE.format(n=n), encoding="utf-8")
            counted("added", lambda: client.predict([handle_file(str(path))], api_name="/add_files"))
            n += 1

    threads = [threading.Thread(target=chatter, args=(i,)) for i in range(args.clients)]
    threads.append(threading.Thread(target=adder))
    for t in threads:
        t.start()
    started = time.time()
    samples = []
    while time.time() < stop_at:
        time.sleep(10)
        samples.append((time.time() - started, rss_mb(app.pid)))
        print(f"  {samples[-1][0]:5.0f} s  {samples[-1][1]:7.1f} MB  {counts}", flush=True)
    for t in threads:
        t.join()
    app.terminate()
    app.wait(timeout=60)
    warm = next((mb for s, mb in samples if s >= 120), samples[0][1])
    end = samples[-1][1]
    print(f"\nRSS after warm-up (2 min) {warm:.1f} MB, at the end ({samples[-1][0] / 60:.1f} min) {end:.1f} MB: "
          f"growth {end - warm:+.1f} MB; {counts['asked']} questions, {counts['added']} articles added, "
          f"{counts['errors']} errors")
    if args.trace and (work / "trace").exists():
        print((work / "trace").read_text())
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
