"""Index build cost: full build vs raw model.encode, and one incremental add in a Reuters index.

    python bench/bench_build.py [--stories N]

Ratios are against a baseline measured in the same run: passages/s of a full build vs
`model.encode` of the same passage texts, and the time to add one article to an index of
N Reuters stories vs embedding that article's passages and sentences alone.
"""
from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from common import REUTERS, ROOT, p50_p95, table

from assistant.chunking import chunk_article, embed_text
from assistant.corpus import load_corpus
from assistant.embedding import Embedder
from assistant.indexer import build_index
from assistant.service import Assistant


def write_reuters(directory: Path, count: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    written = 0
    for line in REUTERS.open(encoding="utf-8"):
        story = json.loads(line)
        if not story.get("body") or written >= count:
            continue
        title = json.dumps((story.get("title") or "Untitled").title())
        (directory / f"reuters-{story['id']:05d}.md").write_text(f"---\ntitle: {title}\noutlet: Reuters\n---\n{story['body']}\n")
        written += 1


def encode_alone(embedder: Embedder, corpus: Path) -> tuple[float, int]:
    """Seconds to chunk and encode a corpus's passages and sentences directly (no index)."""
    articles, _ = load_corpus(corpus)
    started = time.perf_counter()
    texts, sentences = [], []
    for article in articles:
        for p in chunk_article(article, embedder.count_tokens, max_model_tokens=embedder.max_tokens):
            texts.append(embed_text(article.title, p.text))
            sentences += [p.text[s:e] for s, e in p.sentences]
    embedder.encode(texts)
    embedder.encode(sentences)
    return time.perf_counter() - started, len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stories", type=int, default=1000)
    args = parser.parse_args()
    embedder = Embedder()
    embedder.encode(["warm up"])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, corpus in (("seed corpus", ROOT / "corpus"), (f"Reuters {args.stories} stories", tmp / "reuters")):
            if name.startswith("Reuters"):
                write_reuters(corpus, args.stories)
            alone, n = encode_alone(embedder, corpus)
            started = time.perf_counter()
            report = build_index(corpus, tmp / name, embedder=embedder, progress=False)
            build = time.perf_counter() - started
            rows.append([f"full build, {name}", f"{report.passages_embedded / build:.1f} passages/s",
                         f"{n / alone:.1f} passages/s", f"{alone / build:.2f}"])
        index = tmp / f"Reuters {args.stories} stories"
        extra = tmp / "extra"
        write_reuters(extra, args.stories + 1)
        newest = sorted(extra.glob("*.md"))[-1]
        single = tmp / "single"
        single.mkdir()
        shutil.copy(newest, single / newest.name)
        alone, _ = encode_alone(embedder, single)
        shutil.copy(newest, corpus / newest.name)
        started = time.perf_counter()
        build_index(corpus, index, embedder=embedder, progress=False)
        add = time.perf_counter() - started
        rows.append([f"add 1 article to {args.stories} stories", f"{add * 1000:.0f} ms", f"{alone * 1000:.0f} ms", f"{alone / add:.2f}"])
        assistant = Assistant(index)
        questions = ["What did the central bank say about interest rates?", "How much cocoa was exported?",
                     "Which company announced a merger?", "What happened to oil prices?"] * 10
        retrieve_lat, ask_lat = [], []
        for q in questions:
            t = time.perf_counter(); assistant.retrieve(q, 5); retrieve_lat.append(time.perf_counter() - t)  # noqa: E702
            t = time.perf_counter(); assistant.ask(q); ask_lat.append(time.perf_counter() - t)  # noqa: E702
        passages = len(assistant.searcher().data.passages)
    print(table(rows, ["measure", "ours", "baseline (encode alone)", "ratio baseline/ours"]))
    print(f"Reuters index of {passages} passages: retrieve() p50/p95 {p50_p95(retrieve_lat)}, ask() {p50_p95(ask_lat)}")


if __name__ == "__main__":
    main()
