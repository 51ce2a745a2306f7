"""Embedding speed and quality per backend, against plain `SentenceTransformer.encode`, one run.

    python bench/bench_embed.py [--quick]

Passages are the SQuAD half's paragraphs (as the index embeds them: title + text). Speed is
passages/s of each backend through `Embedder.encode` vs the float model's own `encode` with
its defaults (the baseline). Quality is dense-only R@5 and MRR@10 of the SQuAD questions
against those paragraphs, with query and passage vectors from the same backend.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np
from common import squad_articles, table

from assistant.ingest.chunking import embed_text
from assistant.embedding import BACKENDS, Embedder


def squad_passages(limit: int | None) -> tuple[list[str], list[str], list[int]]:
    texts, questions, gold = [], [], []
    for article in squad_articles():
        for paragraph in article["paragraphs"]:
            row = len(texts)
            texts.append(embed_text(article["title"].replace("_", " "), paragraph["context"].strip()))
            for qa in paragraph["qas"]:
                questions.append(qa["question"])
                gold.append(row)
    if limit:
        keep = [i for i, g in enumerate(gold) if g < limit]
        texts, questions, gold = texts[:limit], [questions[i] for i in keep], [gold[i] for i in keep]
    return texts, questions, gold


def recall(passages: np.ndarray, queries: np.ndarray, gold: list[int]) -> tuple[float, float]:
    scores = queries @ passages.T
    top = np.argsort(-scores, axis=1)[:, :10]
    ranks = [int(np.flatnonzero(row == g)[0]) + 1 if g in row else None for row, g in zip(top, gold)]
    r5 = sum(1 for r in ranks if r and r <= 5) / len(gold)
    mrr = sum(1 / r for r in ranks if r) / len(gold)
    return r5, mrr


def timed(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):  # best of: the least disturbed by the machine's other work
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="400 paragraphs instead of all")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    texts, questions, gold = squad_passages(400 if args.quick else None)
    timing_texts = texts[:400]
    import torch
    from sentence_transformers import SentenceTransformer  # the peer (requirements-dev.txt); the app runs bert.py

    baseline = SentenceTransformer(str(Embedder(backend="float32").directory), device="cpu")

    def plain_encode():
        torch.set_num_threads(baseline_threads)
        baseline.encode(timing_texts)  # the library's defaults: batch 32, no normalisation

    baseline_threads = os.cpu_count() or 1
    plain_encode()  # warm-up
    base_seconds = timed(plain_encode, 3)
    rows = [["SentenceTransformer.encode (float32, defaults)", f"{len(timing_texts) / base_seconds:.1f}", "1.00", "", ""]]
    for backend in BACKENDS:
        embedder = Embedder(backend=backend)
        embedder.encode(timing_texts[:32])  # warm-up
        seconds = timed(lambda: embedder.encode(timing_texts), 3)
        r5, mrr = recall(embedder.encode(texts), embedder.encode(questions, batch_size=128), gold)
        rows.append([f"Embedder(backend={backend!r}).encode", f"{len(timing_texts) / seconds:.1f}",
                     f"{base_seconds / seconds:.2f}", f"{r5:.4f}", f"{mrr:.4f}"])
    print(f"{len(timing_texts)} passages timed (best of 3), {len(texts)} passages / {len(questions)} questions for "
          f"recall; load average at start {load:.2f}, {os.cpu_count()} cores")
    print(table(rows, ["encoder", "passages/s", "speed-up", "dense R@5", "dense MRR@10"]))


if __name__ == "__main__":
    main()
