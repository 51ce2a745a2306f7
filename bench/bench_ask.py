"""ask() latency with the span reader's passages read one after another against side by side.

    python bench/bench_ask.py [--rounds 5]

The same questions are asked with `span_reader.READ_THREADS` 1 (the baseline) and 2,
interleaved question by question in one run, on the seeds and on the SQuAD half's ~1,300
passages; prints p50/p95 of each and the ratio of the p50s. The readings are the same bits
either way (tests/test_bert.py), so only the time may differ.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

from common import ROOT, dev_questions, p50_p95, table, write_squad_corpus

from assistant.answer import span_reader
from assistant.embedding import Embedder
from assistant.ingest.indexer import build_index
from assistant.service import Assistant

RESULTS = ROOT / "bench" / "results"


def timings(assistant: Assistant, questions: list[str], rounds: int) -> dict[int, list[float]]:
    out: dict[int, list[float]] = {1: [], 2: []}
    assistant.ask(questions[0])  # loads the models
    for _ in range(rounds):
        for question in questions:
            for threads in (1, 2):
                span_reader.READ_THREADS = threads
                started = time.perf_counter()
                assistant.ask(question)
                out[threads].append(time.perf_counter() - started)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    embedder = Embedder()
    seed_index = RESULTS / f"seed-index-{embedder.backend}"
    build_index(ROOT / "corpus", seed_index, embedder=embedder, progress=False)
    squad = write_squad_corpus(RESULTS / "squad-corpus")
    squad_index = RESULTS / f"squad-index-{embedder.backend}"
    build_index(RESULTS / "squad-corpus", squad_index, embedder=embedder, progress=False)
    sets = {"seeds": (Assistant(seed_index), [q["question"] for q in dev_questions() if "question" in q]),
            "SQuAD half": (Assistant(squad_index), [q for q, _, _ in squad[::50]])}
    rows = []
    for name, (assistant, questions) in sets.items():
        found = timings(assistant, questions, args.rounds)
        ratio = statistics.median(found[2]) / statistics.median(found[1])
        rows.append([name, f"{assistant.searcher().data.size} passages", len(found[1]), p50_p95(found[1]),
                     p50_p95(found[2]), f"{ratio:.2f}"])
    print(table(rows, ["index", "size", "asks each", "one at a time p50 / p95", "side by side p50 / p95",
                       "p50 ratio"]))
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
