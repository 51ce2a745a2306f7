"""How quickly the command line answers, against starting Python with torch, in one run.

    python bench/bench_cli.py [--rounds 5] [--question "..."]

Each round runs, one after the other, `python -c "import torch, tokenizers, numpy"` (the
baseline: what any command that runs the model must load), `python -m assistant ask`,
`python -m assistant status` and a `python -m assistant index` with nothing to do, over the
seed corpus (indexed into bench/results/bench-cli/ first, not timed). Medians of wall time and
of CPU time (user + system of the child); ratios are of medians from this run only, so they
hold under whatever else the machine is doing, which the load averages printed say.

Targets (issue 39): ask within 2.5x the baseline; status and a no-op index within 2 s each.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

from common import ROOT, table

RESULTS = ROOT / "bench" / "results" / "bench-cli"
QUESTION = "Why might Lukashenko deviate from Moscow?"
ASK_RATIO, COMMAND_SECONDS = 2.5, 2.0


def timed(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of `argv`, which must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({result.returncode}): {result.stderr.strip()[-500:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--question", default=QUESTION)
    args = parser.parse_args()
    corpus, index = RESULTS / "corpus", RESULTS / "index"
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.copytree(ROOT / "corpus", corpus)  # with the files' times: the index built last run stays up to date
    cli = [sys.executable, "-m", "assistant"]
    subprocess.run(cli + ["index", "--corpus", str(corpus), "--index", str(index)], cwd=ROOT, check=True,
                   capture_output=True)  # brought up to date (not timed): the rounds below find nothing to do
    commands = {
        "baseline: python -c \"import torch, tokenizers, numpy\"": [sys.executable, "-c", "import torch, tokenizers, numpy"],
        "ask": cli + ["ask", args.question, "--index", str(index)],
        "status": cli + ["status", "--index", str(index)],
        "index (nothing to do)": cli + ["index", "--corpus", str(corpus), "--index", str(index)],
    }
    load_before = os.getloadavg()
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(args.rounds):  # interleaved, so a burst of other work hits every command alike
        for name, argv in commands.items():
            runs[name].append(timed(argv))
    load_after = os.getloadavg()
    wall = {name: statistics.median(w for w, _ in values) for name, values in runs.items()}
    cpu = {name: statistics.median(c for _, c in values) for name, values in runs.items()}
    base = next(iter(commands))
    rows = []
    for name in commands:
        target = ("1.00" if name == base else f"≤ {ASK_RATIO}× baseline" if name == "ask" else f"≤ {COMMAND_SECONDS} s")
        met = "" if name == base else str(wall[name] / wall[base] <= ASK_RATIO if name == "ask"
                                          else wall[name] <= COMMAND_SECONDS)
        rows.append([name, f"{wall[name]:.2f}", f"{cpu[name]:.2f}", f"{wall[name] / wall[base]:.2f}",
                     f"{cpu[name] / cpu[base]:.2f}", target, met])
    print(table(rows, ["command", "wall s (median)", "CPU s (median)", "wall / baseline", "CPU / baseline",
                       "target", "met"]))
    print(f"{args.rounds} rounds; load average (1, 5, 15 min) {load_before[0]:.2f} {load_before[1]:.2f} "
          f"{load_before[2]:.2f} before, {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f} after; "
          f"{os.cpu_count()} CPUs; OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    record = {"rounds": args.rounds, "load_before": load_before, "load_after": load_after, "wall": wall, "cpu": cpu,
              "runs": runs, "when": time.strftime("%Y-%m-%d %H:%M")}
    (RESULTS / "bench-cli.json").write_text(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
