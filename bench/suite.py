"""Speed and scale, one command, one table (every ratio against a baseline from the same run).

    python bench/suite.py            # seeds, Reuters ~11.5k stories (~20k passages), synthetic 1M
    python bench/suite.py --quick    # seeds, Reuters 600 stories, synthetic 100k (IVF from 50k): minutes

Sections: embedding backends (bench_embed.py), full builds vs plain `model.encode`, one
article added / changed / removed vs embedding it alone, retrieve()/ask() latency, IVF
recall@10 against exact search on SQuAD questions, index load time and resident memory, and
start-up to the first answer. Indexes live in bench/results/suite-* (git-ignored).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from common import REUTERS, ROOT, p50_p95, squad_articles, table

import synthetic
from assistant import Assistant
from assistant.store.files import disk
from assistant.ingest.chunking import chunk_article, embed_text
from assistant.ingest.corpus import read_article
from assistant.embedding import Embedder
from assistant.store.files.view import top_rows
from assistant.ingest.indexer import build_index

RESULTS = ROOT / "bench" / "results"
PROBE = """
import json, os, sys, time
from assistant import Assistant
def rss(): return int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2**20
a = Assistant(sys.argv[1]); a.embedder.encode_query('warm')
t = time.perf_counter(); a.searcher(); load = time.perf_counter() - t
for q in json.loads(sys.argv[2]): a.ask(q)
print(json.dumps({"load_s": load, "rss_mb": rss()}))
"""


def write_reuters(directory: Path, count: int, skip: int = 0) -> list[Path]:
    """Reuters stories with a body as Markdown articles (title, outlet, date)."""
    directory.mkdir(parents=True, exist_ok=True)
    written, seen = [], 0
    for line in REUTERS.open(encoding="utf-8"):
        story = json.loads(line)
        if not story.get("body"):
            continue
        seen += 1
        if seen <= skip:
            continue
        if len(written) >= count:
            break
        date = dt.datetime.strptime(story["date"].split()[0], "%d-%b-%Y").date().isoformat()
        title = json.dumps((story.get("title") or "Untitled").title())
        path = directory / f"reuters-{story['id']:05d}.md"
        path.write_text(f"---\ntitle: {title}\noutlet: Reuters\npublished: {date}\n---\n{story['body']}\n")
        written.append(path)
    return written


def texts_of(paths: list[Path], root: Path, embedder: Embedder) -> tuple[list[str], list[str]]:
    passages, sentences = [], []
    for path in paths:
        article = read_article(path, root)
        for p in chunk_article(article, embedder.count_tokens, max_model_tokens=embedder.max_tokens):
            passages.append(embed_text(article.title, p.text))
            sentences += [p.text[s:e] for s, e in p.sentences]
    return passages, sentences


def baseline_rate(paths: list[Path], root: Path, embedder: Embedder, plain) -> float:
    """Passages/s of plain float32 `SentenceTransformer.encode` over passages and their sentences."""
    passages, sentences = texts_of(paths, root, embedder)
    started = time.perf_counter()
    plain.encode(passages)
    plain.encode(sentences)
    return len(passages) / (time.perf_counter() - started)


def embed_alone(path: Path, root: Path, embedder: Embedder) -> float:
    started = time.perf_counter()
    passages, sentences = texts_of([path], root, embedder)
    embedder.encode(passages)
    embedder.encode(sentences)
    return time.perf_counter() - started


def timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def latency(index: Path, questions: list[str]) -> tuple[str, str]:
    assistant = Assistant(index)
    assistant.ask(questions[0])
    retrieve, ask = [], []
    for q in questions:
        retrieve.append(timed(lambda: assistant.retrieve(q, 5))[0])
        ask.append(timed(lambda: assistant.ask(q))[0])
    return p50_p95(retrieve), p50_p95(ask)


def probe(index: Path, questions: list[str]) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE, str(index), json.dumps(questions[:20])], capture_output=True,
                         text=True, check=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    return json.loads(out.stdout.strip().splitlines()[-1])


def recall_at_10(index: Path, vectors: np.ndarray) -> float:
    """Share of the exact top 10 that the index's dense search returns, over real question vectors."""
    data = disk.load(index).warm()
    found = 0
    for vector in vectors:
        exact = []
        for segment, live in zip(data.segments, data.live):
            scores = np.asarray(segment.vectors @ vector)
            if live is not None:
                scores = np.where(live, scores, -np.inf)
            exact += [(float(scores[r]), int(segment.ids[r])) for r in top_rows(scores, 10) if np.isfinite(scores[r])]
        truth = {pid for _, pid in sorted(exact, reverse=True)[:10]}
        found += len(truth & set(data.dense(vector, 10)))
    return found / (10 * len(vectors))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    stories, large = (600, 100_000) if args.quick else (11_500, 1_000_000)
    if args.quick:  # 100k passages is below the IVF threshold: lower it so the IVF path runs too
        from assistant.store.files import ann

        ann.FLAT_LIMIT = 50_000
    load_at_start = os.getloadavg()
    embedder = Embedder()
    from sentence_transformers import SentenceTransformer  # the peer (requirements-dev.txt); the app runs bert.py

    plain = SentenceTransformer(str(Embedder(backend="float32").directory), device="cpu")  # the library's own encode
    embedder.encode(["warm up"]), plain.encode(["warm up"])
    squad = [qa["question"] for a in squad_articles() for p in a["paragraphs"] for qa in p["qas"]]
    questions = squad[::25][:200]
    rows, notes = [], []

    # Builds: seeds and Reuters, from scratch, vs plain encode of the same passages and sentences
    work = RESULTS / ("suite-quick" if args.quick else "suite")
    shutil.rmtree(work, ignore_errors=True)
    seeds_index = work / "seeds-index"
    seconds, report = timed(lambda: build_index(ROOT / "corpus", seeds_index, embedder=embedder, progress=False))
    rate = baseline_rate(sorted((ROOT / "corpus").glob("*.md")), ROOT / "corpus", embedder, plain)
    rows.append(["build: seed corpus", f"{report.passages_embedded / seconds:.1f} passages/s",
                 f"{rate:.1f} passages/s", f"{report.passages_embedded / seconds / rate:.2f}×"])
    corpus, index = work / "reuters", work / "reuters-index"
    paths = write_reuters(corpus, stories)
    seconds, report = timed(lambda: build_index(corpus, index, embedder=embedder, progress=False))
    sample = paths[:: max(1, len(paths) // 300)]
    rate = baseline_rate(sample, corpus, embedder, plain)
    n_passages = disk.read_manifest(index).counts.passages
    rows.append([f"build: Reuters {stories} stories ({n_passages} passages)", f"{report.passages_embedded / seconds:.1f} passages/s",
                 f"{rate:.1f} passages/s (on {len(sample)} of the stories)", f"{report.passages_embedded / seconds / rate:.2f}×"])

    # One article added, changed, removed: as the app does it (targeted) and by a full corpus scan;
    # three different stories each, medians, each against embedding that same story alone
    extra = write_reuters(work / "extra", 9, skip=stories)
    for label, batch in (("targeted", extra[:3]), ("full scan", extra[3:6])):
        times = {"add": [], "change": [], "remove": []}
        alone = []
        for new in batch:
            alone.append(embed_alone(new, new.parent, embedder))
            target = corpus / new.name
            only = [new.name] if label == "targeted" else None
            shutil.copy(new, target)
            times["add"].append(timed(lambda: build_index(corpus, index, embedder=embedder, paths=only))[0])
            target.write_text(target.read_text() + "The company declined to comment further.\n")
            times["change"].append(timed(lambda: build_index(corpus, index, embedder=embedder, paths=only))[0])
            target.unlink()
            times["remove"].append(timed(lambda: build_index(corpus, index, embedder=embedder, paths=only))[0])
        for what, values in times.items():
            rows.append([f"{what} one article, {n_passages} passages ({label})", f"{np.median(values) * 1000:.0f} ms",
                         f"{np.median(alone) * 1000:.0f} ms embedding it alone",
                         f"{np.median(np.array(values) / np.array(alone)):.2f}×"])

    # The large index: real Reuters passages plus perturbed copies, IVF trained as in a migration
    big = work / "large-index"
    info = synthetic.build(index, big, large)
    notes.append(f"large index: {info['passages']} passages ({info['copies']} copies of the Reuters passages), "
                 f"written in {info['write_s']:.0f} s, IVF trained and tuned in {info['ann_s']:.0f} s: {info['ann']}")
    (work / "large-corpus").mkdir()
    adds, alone = [], []
    for new in extra[6:9]:
        alone.append(embed_alone(new, new.parent, embedder))
        shutil.copy(new, work / "large-corpus" / new.name)
        adds.append(timed(lambda: build_index(work / "large-corpus", big, embedder=embedder, paths=[new.name]))[0])
    rows.append([f"add one article, {info['passages']} passages (targeted)", f"{np.median(adds) * 1000:.0f} ms",
                 f"{np.median(alone) * 1000:.0f} ms embedding it alone",
                 f"{np.median(np.array(adds) / np.array(alone)):.2f}×"])

    vectors = embedder.encode(questions, batch_size=64)
    for label, path in (("2 articles (seeds)", seeds_index), (f"{n_passages} passages", index),
                        (f"{info['passages']} passages", big)):
        retrieve, ask = latency(path, questions[:100])
        measured = probe(path, questions)
        rows.append([f"query: {label}", f"retrieve() {retrieve}", f"ask() {ask}",
                     f"load {measured['load_s']:.2f} s, {measured['rss_mb']:.0f} MB resident (process)"])
    rows.append([f"IVF recall@10 vs exact, {info['passages']} passages", f"{recall_at_10(big, vectors):.3f}",
                 f"{len(questions)} SQuAD questions", f"nprobe {info['ann']['nprobe']} of {info['ann']['nlist']} lists"])
    start, _ = timed(lambda: subprocess.run([sys.executable, "-m", "assistant", "ask", "--index", str(seeds_index),
                                            "Why might Lukashenko deviate from Moscow?"], check=True, cwd=ROOT,
                                           capture_output=True))
    rows.append(["start-up to first answer (CLI, seeds)", f"{start:.2f} s", "", ""])

    print(f"load average at start {load_at_start[0]:.2f} / {load_at_start[1]:.2f}; {os.cpu_count()} cores; "
          f"backend {embedder.backend}")
    print(table(rows, ["measure", "ours", "baseline / detail", "ratio"]))
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
