"""Answer quality and abstention on the seed dev questions and SQuAD; ask() latency.

    python bench/eval_answers.py [--quick]

Seeds: for answerable questions, the share whose cited passages contain an evidence
substring, evidence coverage and false-abstain rate; for unanswerable ones, abstain rate;
the follow-up conversation. SQuAD: answer-hit (a gold answer inside the composed answer
text), false-abstain on answerable questions, and false-answer on questions of one article
asked against an index that lacks it (built by removing that article incrementally).
"""
from __future__ import annotations

import argparse
import shutil
import time

from common import ROOT, dev_questions, normalise, p50_p95, squad_articles, table, write_squad_corpus

from assistant.answer import ABSTAIN_BELOW
from assistant.embedding import Embedder
from assistant.indexer import build_index
from assistant.service import Assistant

RESULTS = ROOT / "bench" / "results"


def seed_eval(assistant: Assistant) -> list[list]:
    rows, latencies, retrieve_latencies = [], [], []
    answered = hit = coverage = false_abstain = n = 0
    unanswerable = abstained = 0
    follow_ok = follow_n = 0
    for q in dev_questions():
        if "turns" in q:
            history = []
            for turn in q["turns"]:
                answer = assistant.ask(turn, history=history)
                history.append((turn, answer))
            cited = [normalise(c.hit.text) for c in answer.citations]
            follow_ok += any(normalise(e) in t for e in q["evidence"] for t in cited)
            follow_n += 1
            continue
        t = time.perf_counter()
        answer = assistant.ask(q["question"])
        latencies.append(time.perf_counter() - t)
        t = time.perf_counter()
        assistant.retrieve(q["question"], 5)
        retrieve_latencies.append(time.perf_counter() - t)
        if q.get("answerable", True) is False:
            unanswerable += 1
            abstained += answer.abstained
            continue
        n += 1
        if answer.abstained:
            false_abstain += 1
            continue
        answered += 1
        cited = [normalise(c.hit.text) for c in answer.citations]
        found = [any(normalise(e) in t for t in cited) for e in q["evidence"]]
        hit += any(found)
        coverage += sum(found) / len(found)
    rows.append(["cited passages hold evidence", hit / n])
    rows.append(["evidence coverage (cited)", coverage / n])
    rows.append(["false-abstain (answerable)", false_abstain / n])
    rows.append(["abstain (unanswerable)", abstained / max(1, unanswerable)])
    rows.append(["follow-up: right passage cited on turn 2", follow_ok / max(1, follow_n)])
    return rows, latencies, retrieve_latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 SQuAD questions instead of 1,500")
    args = parser.parse_args()
    embedder = Embedder()

    seed_index = RESULTS / f"seed-index-{embedder.backend}"
    build_index(ROOT / "corpus", seed_index, embedder=embedder, progress=False)
    assistant = Assistant(seed_index, model=None)
    rows, ask_lat, retrieve_lat = seed_eval(assistant)
    print("Seed dev questions:")
    print(table(rows, ["measure", "value"]))
    print(f"seed corpus latency p50/p95: ask() {p50_p95(ask_lat)}, retrieve() {p50_p95(retrieve_lat)}")

    # SQuAD: the full half, and a copy without its first article (negatives)
    corpus = RESULTS / "squad-corpus"
    questions = write_squad_corpus(corpus)
    build_index(corpus, RESULTS / f"squad-index-{embedder.backend}", embedder=embedder, progress=True)
    negatives = [q for q in questions if q[1].startswith("squad-00-")]
    lacking_corpus, lacking_index = RESULTS / "squad-corpus-lacking", RESULTS / f"squad-index-lacking-{embedder.backend}"
    shutil.rmtree(lacking_corpus, ignore_errors=True)
    shutil.copytree(corpus, lacking_corpus)
    for path in lacking_corpus.glob("squad-00-*.md"):
        path.unlink()
    if not lacking_index.exists():
        shutil.copytree(RESULTS / f"squad-index-{embedder.backend}", lacking_index)
    build_index(lacking_corpus, lacking_index, embedder=embedder, progress=False)

    step = 16 if args.quick else 3
    positives = [q for q in questions if not q[1].startswith("squad-00-")][::step]
    full = Assistant(RESULTS / f"squad-index-{embedder.backend}")
    answer_hit = abstain_pos = 0
    ask_lat, pos_conf = [], []
    for question, _, answers in positives:
        t = time.perf_counter()
        answer = full.ask(question)
        ask_lat.append(time.perf_counter() - t)
        pos_conf.append(answer.confidence)
        abstain_pos += answer.abstained
        answer_hit += (not answer.abstained) and any(normalise(a) in normalise(answer.text) for a in answers)
    lacking = Assistant(lacking_index)
    neg_answers = [lacking.ask(q) for q, _, _ in negatives[:: (4 if args.quick else 1)]]
    false_answer = sum(not a.abstained for a in neg_answers)
    n_neg = len(neg_answers)
    print(f"\nSQuAD half ({len(positives)} answerable questions, {n_neg} questions of '{squad_articles()[0]['title']}' against an index lacking it):")
    print(table([
        ["answer-hit (gold answer in the composed answer)", answer_hit / len(positives)],
        ["false-abstain (answerable)", abstain_pos / len(positives)],
        ["false-answer (article not indexed)", false_answer / n_neg],
    ], ["measure", "value"]))
    print(f"Abstention threshold sweep (current {ABSTAIN_BELOW}): threshold, false-abstain, false-answer")
    neg_conf = [a.confidence for a in neg_answers]
    for threshold in (0.30, 0.35, 0.40, 0.45, 0.50, 0.55):
        fa = sum(c < threshold for c in pos_conf) / len(pos_conf)
        fn = sum(c >= threshold for c in neg_conf) / len(neg_conf)
        print(f"  {threshold:.2f}  {fa:.3f}  {fn:.3f}")
    print(f"ask() latency on {full.searcher().data.size} passages: {p50_p95(ask_lat)}")


if __name__ == "__main__":
    main()
