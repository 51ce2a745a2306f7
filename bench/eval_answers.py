"""Answer quality through the real ask(): our own questions (tune and test halves reported
apart), the seed dev questions (a smoke test), and ask() latency beside retrieve().

    python bench/eval_answers.py [--tune-only] [--show]

`--tune-only` leaves the test half out (while changing anything, look at the tune half
only; the test half is for the report); `--show` prints each own question's answer;
`--fresh` adds the fresh test stories of bench/data/fresh (53 questions written before the
span reader was tuned; report only), indexed with the seeds and every other Reuters story;
`--heldout` the held-out stories of bench/data/HELDOUT.md (79 questions written by a helper who
had not read the code, before the SQuAD-trained reader was tuned; report only); `--heldout2` those
of HELDOUT2.md (68 questions by another such helper, 8 of them off topic); `--differ` the
pairs of reports that differ: how often "Reports differ" fires on them, rightly and wrongly,
and on every other news question.

The reader's SQuAD figures are cross-validated by article in bench/fit_reader.py (asking
SQuAD through the shipped reader here would report figures on its own training data).
Own questions: for answerable ones, whether the cited passages hold an evidence string,
whether the answer text itself holds one, false-abstain; for fact-absent ones (the topic
is indexed, the fact is not), how many are declined; fragments in any answer.
"""
from __future__ import annotations

import argparse
import re
import time

import numpy as np
from common import (PIECE, ROOT, add_without, cites, dev_questions, exact_and_f1, p50_p95, settings_without, shows,
                    table, write_squad_corpus)
from own import fresh_index, heldout_index, load_fresh, load_jsonl, load_own, own_index

from assistant.embedding import Embedder
from assistant.ingest.indexer import build_index
from assistant.service import Assistant

RESULTS = ROOT / "bench" / "results"


def fragments(text: str) -> list[str]:
    """Answer pieces that break the fragment rules (assistant/answer/candidates.py)."""
    bad = []
    for piece in (p.strip() for p in PIECE.split(text) if p.strip()):
        if piece.endswith(("?", ":")) or re.match(r"^[A-ZÆØÅ][A-ZÆØÅ ]{2,}:", piece) \
                or re.match(r"^(however|but|he|she|they|this)\b", piece.lstrip("“"), re.I) \
                or piece.count('"') % 2 or piece.count("“") != piece.count("”"):  # half a quote
            bad.append(piece)
    return bad


def evaluate(assistant: Assistant, questions: list[dict], show: bool = False) -> dict:
    n = cited = in_text = first = declined_pos = neg = declined_neg = hedged = off = off_declined = off_plain = 0
    shorts: list[float] = []
    broken = []
    for q in questions:
        answer = assistant.ask(q["question"])
        if show:
            short = f"[{answer.short_answer.text}] " if answer.short_answer else ""
            print(f"{q['id']} {q['question']}\n  -> {short}{answer.text} ({answer.confidence:.2f})")
        broken += fragments(answer.text) if not answer.abstained else []
        if q.get("article", "") is None:  # off topic: no story speaks of it
            off += 1
            off_declined += answer.abstained
            off_plain += answer.abstained and not answer.covered
            continue
        if not q["answerable"]:
            neg += 1
            declined_neg += answer.abstained
            hedged += answer.covered
            continue
        n += 1
        if answer.abstained:
            declined_pos += 1
            continue
        cited += cites(answer, q["evidence"])
        in_text += shows(answer.text, q["evidence"])
        first += shows(PIECE.split(answer.text)[0], q["evidence"])
        if q.get("answer"):
            shorts.append(exact_and_f1(answer.short_answer.text, [q["answer"]])[1] if answer.short_answer else 0.0)
    return {"answerable": n, "cited passages hold evidence": cited / max(1, n),
            "answer text holds evidence": in_text / max(1, n), "first sentence holds evidence": first / max(1, n),
            "false-abstain": declined_pos / max(1, n), "short answer F1 (questions with one)": float(np.mean(shorts)) if shorts else 0.0,
            "fact-absent": neg, "fact-absent declined": declined_neg / max(1, neg),
            "declines saying the topic is covered": hedged / max(1, declined_neg),
            **({"off-topic": off, "off-topic declined": off_declined / off,
                "off-topic declines saying it is not covered": off_plain / max(1, off_declined)} if off else {}),
            "fragments": len(broken),
            "_broken": broken}


def differ_figures(assistant: Assistant, pairs: list[dict], others: list[dict]) -> list[list]:
    """How often the answer says reports differ: on pairs whose reports differ (right when both
    answers are cited), on pairs that agree, and on other news questions (wrong there)."""
    rows = []
    for label, items in (("reports differ", [p for p in pairs if not p.get("agree")]),
                         ("reports agree", [p for p in pairs if p.get("agree")]), ("other news questions", others)):
        fired = right = 0
        for item in items:
            answer = assistant.ask(item["question"])
            said = answer.text.startswith("Reports differ:")
            fired += said
            right += said and all(a in answer.text for a in item.get("answers", {}).values())
        rows.append([label, len(items), fired, right])
    return rows


def seed_smoke(assistant: Assistant) -> list[list]:
    rows = []
    for q in dev_questions():
        if "turns" in q:
            history = []
            for turn in q["turns"]:
                answer = assistant.ask(turn, history=history)
                history.append((turn, answer))
        else:
            answer = assistant.ask(q["question"])
        if q.get("answerable", True) is False:
            ok = answer.abstained
        else:
            ok = cites(answer, q["evidence"])
        rows.append([q["id"], "declined" if answer.abstained else f"{len(answer.citations)} cited", "ok" if ok else "MISS"])
    return rows


def latency(assistant: Assistant, questions: list[str]) -> tuple[str, str]:
    asks, retrieves = [], []
    for question in questions:
        t = time.perf_counter()
        assistant.ask(question)
        asks.append(time.perf_counter() - t)
        t = time.perf_counter()
        assistant.retrieve(question, 5)
        retrieves.append(time.perf_counter() - t)
    return p50_p95(asks), p50_p95(retrieves)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tune-only", action="store_true", help="leave the test half out")
    parser.add_argument("--show", action="store_true", help="print each own question's answer")
    parser.add_argument("--fresh", action="store_true", help="also the fresh test stories (bench/data/fresh): report only")
    parser.add_argument("--heldout", action="store_true", help="only the held-out stories (bench/data/HELDOUT.md)")
    parser.add_argument("--heldout2", action="store_true", help="only the second held-out set (bench/data/HELDOUT2.md)")
    parser.add_argument("--differ", action="store_true", help="only the pairs of reports that differ")
    add_without(parser)
    args = parser.parse_args()
    settings = settings_without(args.without)
    embedder = Embedder()
    if args.heldout or args.heldout2 or args.differ:
        for wanted, second in ((args.heldout, False), (args.heldout2, True)):
            if not wanted:
                continue
            questions = load_jsonl("heldout2_questions.jsonl" if second else "heldout_questions.jsonl")
            for q in questions:
                q["answerable"] = bool(q["evidence"])
            assistant = Assistant(heldout_index(embedder, second=second), settings=settings)
            result = evaluate(assistant, questions, args.show)
            print(f"Held-out stories{' (second set)' if second else ''} (test only):")
            print(table([[k, v] for k, v in result.items() if not k.startswith("_")], ["measure", "value"]))
        if args.differ:
            others = load_own() + load_fresh() + load_jsonl("heldout_questions.jsonl")
            pairs = Assistant(heldout_index(embedder, differ=True), settings=settings)
            rows = differ_figures(pairs, load_jsonl("differ_questions.jsonl"), others)
            print(table(rows, ["questions", "n", "'Reports differ' said", "with both answers"]))
        return
    if args.fresh:
        result = evaluate(Assistant(fresh_index(embedder), settings=settings), load_fresh(), args.show)
        print("Fresh stories (test only):")
        print(table([[k, v] for k, v in result.items() if not k.startswith("_")], ["measure", "value"]))
    own = Assistant(own_index(embedder), settings=settings)
    questions = load_own()
    for half in ("tune",) if args.tune_only else ("tune", "test"):
        result = evaluate(own, [q for q in questions if q["split"] == half], args.show)
        print(f"Own questions, {half} half:")
        print(table([[k, v] for k, v in result.items() if not k.startswith("_")], ["measure", "value"]))
        for piece in result["_broken"]:
            print(f"  fragment: {piece}")
    seed_index = RESULTS / f"seed-index-{embedder.backend}"
    build_index(ROOT / "corpus", seed_index, embedder=embedder, progress=False)
    seeds = Assistant(seed_index, settings=settings)
    print("\nSeed dev questions (smoke test):")
    print(table(seed_smoke(seeds), ["id", "answer", "evidence cited"]))
    dev = [q["question"] for q in dev_questions() if "question" in q]
    print("seeds: ask() p50/p95 %s, retrieve() %s" % latency(seeds, dev * 5))
    squad = write_squad_corpus(RESULTS / "squad-corpus")
    squad_index = RESULTS / f"squad-index-{embedder.backend}"
    build_index(RESULTS / "squad-corpus", squad_index, embedder=embedder, progress=False)
    big = Assistant(squad_index, settings=settings)
    sample = [q for q, _, _ in squad[::25]]
    print(f"SQuAD half ({big.searcher().data.size} passages): ask() p50/p95 %s, retrieve() %s" % latency(big, sample))


if __name__ == "__main__":
    main()
