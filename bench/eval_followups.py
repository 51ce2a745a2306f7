"""Follow-up questions through the real ask(): conversations in our own words over the seeds
and the Reuters stories (bench/data/conversations.jsonl, split by article as split.json says;
each turn has its own evidence strings), asked turn by turn with the earlier turns as history.

    python bench/eval_followups.py [--tune-only] [--show] [--heldout] [--heldout2]

Per turn position (the first question, then the follow-ups): whether the cited passages hold
an evidence string, whether the answer text does, whether its first sentence does, and how
often an answerable turn is declined. `--show` prints each follow-up's searched query and answer.
"""
from __future__ import annotations

import argparse
import json

from common import PIECE, ROOT, add_without, cites, settings_without, shows, table
from own import halves, heldout_index, load_jsonl, own_index

from assistant.embedding import Embedder
from assistant.service import Assistant

DATA = ROOT / "bench" / "data"


def load_conversations() -> list[dict]:
    half = halves()
    conversations = [json.loads(line) for line in (DATA / "conversations.jsonl").read_text(encoding="utf-8").splitlines()
                     if line.strip()]
    for c in conversations:
        c["split"] = half[c["article"]]
        if len(c["turns"]) != len(c["evidence"]):
            raise SystemExit(f"conversation {c['id']}: {len(c['turns'])} turns but {len(c['evidence'])} evidence lists")
    return conversations


def evaluate(assistant: Assistant, conversations: list[dict], show: bool = False) -> list[list]:
    counts: dict[str, dict[str, int]] = {}
    for c in conversations:
        history = []
        for k, (turn, evidence) in enumerate(zip(c["turns"], c["evidence"])):
            answer = assistant.ask(turn, history=history)
            history.append((turn, answer))
            row = counts.setdefault("first question" if k == 0 else "follow-up", dict.fromkeys(
                ("n", "cited", "text", "first", "declined"), 0))
            row["n"] += 1
            if answer.abstained:
                row["declined"] += 1
            else:
                row["cited"] += cites(answer, evidence)
                row["text"] += shows(answer.text, evidence)
                row["first"] += shows(PIECE.split(answer.text)[0], evidence)
            if show and k:
                print(f"{c['id']} {turn!r} -> {answer.query!r}\n   {'DECLINED ' if answer.abstained else ''}{answer.text[:240]}")
    return [[name, r["n"], *(f"{r[key] / r['n']:.3f}" for key in ("cited", "text", "first", "declined"))]
            for name, r in counts.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tune-only", action="store_true", help="leave the test half out")
    parser.add_argument("--show", action="store_true", help="print each follow-up's query and answer")
    parser.add_argument("--heldout", action="store_true", help="only the held-out conversations (bench/data/HELDOUT.md)")
    parser.add_argument("--heldout2", action="store_true", help="only the second held-out set's (bench/data/HELDOUT2.md)")
    add_without(parser)
    args = parser.parse_args()
    settings = settings_without(args.without)
    if args.heldout or args.heldout2:
        for second in [s for s, wanted in ((False, args.heldout), (True, args.heldout2)) if wanted]:
            name = "heldout2_conversations.jsonl" if second else "heldout_conversations.jsonl"
            assistant = Assistant(heldout_index(Embedder(), second=second), settings=settings)
            rows = evaluate(assistant, load_jsonl(name), args.show)
            print(f"Held-out conversations{' (second set)' if second else ''} (test only):")
            print(table(rows, ["turn", "n", "cited passages hold evidence", "answer text holds it",
                               "first sentence holds it", "declined"]))
        return
    assistant = Assistant(own_index(Embedder()), settings=settings)
    conversations = load_conversations()
    for half in ("tune",) if args.tune_only else ("tune", "test"):
        rows = evaluate(assistant, [c for c in conversations if c["split"] == half], args.show)
        print(f"Conversations, {half} half:")
        print(table(rows, ["turn", "n", "cited passages hold evidence", "answer text holds it", "first sentence holds it",
                           "declined"]))


if __name__ == "__main__":
    main()
