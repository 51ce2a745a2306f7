"""The browser app's user-facing times, each against an in-process baseline from the same run.

    python bench/bench_app.py [--runs N]

- start-up: `python app.py` until the page answers HTTP 200, cold (no index) and warm;
  baseline: a process that only imports gradio and loads the model.
- the card question's answer through the app's /chat (gradio_client), sent whole as soon as it
  is composed; baseline: `ask()` in process.
- adding an article through the app's upload endpoint until a question cites it;
  baseline: embedding that article's passages and sentences alone.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from common import ROOT, table

sys.path.insert(0, str(ROOT / "tests"))
from conftest import free_port  # noqa: E402

CARD = "Why might Lukashenko deviate from Moscow?"
ARTICLE = ROOT / "tests" / "data" / "trondheim-bicycle-garage.md"
BASELINE_START = ("import os; os.environ['HF_HUB_OFFLINE']='1'; os.environ['GRADIO_ANALYTICS_ENABLED']='False'; "
                  "import gradio; from assistant.embedding import Embedder; Embedder().encode_query('x')")


def start_app(corpus: Path, index: Path, port: int) -> tuple[subprocess.Popen, float]:
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--corpus", str(corpus), "--index", str(index),
                                "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as page:
                if page.status == 200:
                    return process, time.perf_counter() - started
        except OSError:
            if process.poll() is not None:
                raise SystemExit("app.py exited during start-up")
            time.sleep(0.02)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=30)


def answer_time(client, question: str) -> float:
    """Seconds until the app's /chat returns the answer (sent whole as soon as it is composed)."""
    started = time.perf_counter()
    client.predict(question, [], api_name="/chat")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from gradio_client import Client, handle_file

    from assistant import Assistant
    from assistant.ingest.chunking import chunk_article
    from assistant.ingest.corpus import parse_article

    load = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="bench-app-"))
    corpus, index = work / "corpus", work / "index"
    shutil.copytree(ROOT / "corpus", corpus)
    rows = []

    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", BASELINE_START], check=True, cwd=ROOT)
    baseline_start = time.perf_counter() - t
    process, cold = start_app(corpus, index, free_port())
    stop(process)
    port = free_port()
    process, warm = start_app(corpus, index, port)
    rows += [["start-up, cold (builds the index)", f"{cold:.2f} s", f"{cold / baseline_start:.2f}× import+model load"],
             ["start-up, warm (index present)", f"{warm:.2f} s", f"{warm / baseline_start:.2f}× import+model load"]]
    try:
        url = f"http://127.0.0.1:{port}/"
        local = Assistant(index, corpus)
        local.ask(CARD)
        in_process = []
        for _ in range(args.runs):
            t = time.perf_counter()
            local.ask(CARD)
            in_process.append(time.perf_counter() - t)
        chat = Client(url, verbose=False)
        answer_time(chat, CARD)  # warm the connection path
        totals = [answer_time(chat, CARD) for _ in range(args.runs)]
        base = statistics.median(in_process)
        rows += [["card question: the answer (first and only piece, p50)", f"{statistics.median(totals) * 1000:.0f} ms",
                  f"{statistics.median(totals) / base:.1f}× ask() in process ({base * 1000:.0f} ms)"]]

        article = parse_article(ARTICLE.read_bytes(), ARTICLE.name)
        passages = chunk_article(article, local.embedder.count_tokens, max_model_tokens=local.embedder.max_tokens)
        t = time.perf_counter()
        local.embedder.encode([p.text for p in passages])
        local.embedder.encode([p.text[s:e] for p in passages for s, e in p.sentences])
        embed_alone = time.perf_counter() - t
        client = Client(url, verbose=False)
        t = time.perf_counter()
        message = client.predict([handle_file(str(ARTICLE))], api_name="/add_files")[0]
        added = time.perf_counter() - t
        answer = client.predict("How many bicycles does the Trondheim garage hold?", [], api_name="/chat")[0]
        citable = time.perf_counter() - t
        assert message.startswith("**Added**") and "1,200" in answer, (message, answer)
        rows.append(["add an article via the page (upload → indexed)", f"{added * 1000:.0f} ms",
                     f"{added / embed_alone:.1f}× embedding it alone ({embed_alone * 1000:.0f} ms)"])
        rows.append(["… until a question's full answer cites it", f"{citable * 1000:.0f} ms",
                     f"{citable / embed_alone:.1f}× embedding it alone ({embed_alone * 1000:.0f} ms)"])
    finally:
        stop(process)
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average at start: {load:.2f}; {os.cpu_count()} cores")
    print(table(rows, ["measure", "time", "ratio to baseline"]))


if __name__ == "__main__":
    main()
