"""Retrieval quality: seed dev questions and the SQuAD half, every ranking measured in one run.

    python bench/eval_retrieval.py [--quick] [--no-txtai]

SQuAD: every paragraph is indexed as one article; a question hits when a top-k passage
comes from its paragraph (R@k, MRR@10) or contains a gold answer (answer-hit@k).
The SQuAD index is kept in bench/results/squad and updated incrementally between runs.
"""
from __future__ import annotations

import argparse
import time

from common import ROOT, dev_questions, normalise, p50_p95, table, write_squad_corpus

from assistant.embedding import Embedder
from assistant.ingest.indexer import build_index
from assistant.retrieval import Searcher
from assistant import lexical
from assistant.store.files import disk

RESULTS = ROOT / "bench" / "results"


class PrecomputedQueries(Embedder):
    """The real embedder, with query vectors encoded in one batch up front (same vectors)."""

    def __init__(self, questions: list[str]):
        super().__init__()
        self.cache = dict(zip(questions, self.encode(questions, batch_size=128)))

    def encode_query(self, text):
        return self.cache[text] if text in self.cache else super().encode_query(text)


def rankings(searcher: Searcher, question: str, depth: int = 20) -> dict[str, list[int]]:
    data = searcher.data
    return {
        "BM25": data.lexical(lexical.tokenize([question])[0]).top(depth),
        "dense": data.dense(searcher.embedder.encode_query(question), depth),
        "RRF": [h.passage_id for h in searcher.search(question, depth, method="rrf")],
        "hybrid (ours)": [h.passage_id for h in searcher.search(question, depth, method="rerank")],
    }


def squad_metrics(ranked_articles: list[list[str]], gold: list[str]) -> dict[str, float]:
    ranks = []
    for ranking, target in zip(ranked_articles, gold):
        ranks.append(ranking.index(target) + 1 if target in ranking else None)
    n = len(gold)
    return {
        "R@1": sum(1 for r in ranks if r and r <= 1) / n,
        "R@5": sum(1 for r in ranks if r and r <= 5) / n,
        "R@20": sum(1 for r in ranks if r and r <= 20) / n,
        "MRR@10": sum(1 / r for r in ranks if r and r <= 10) / n,
    }


def txtai_rankings(passages, titles, questions, depth, model_path):
    from txtai import Embeddings

    embeddings = Embeddings(path=str(model_path), content=True, hybrid=True)
    embeddings.index((str(pid), f"{titles[p.article_id]}\n{p.text}", None) for pid, p in passages.items())
    out = []
    for question in questions:
        out.append([int(r["id"]) for r in embeddings.search(question, depth)])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 SQuAD questions instead of all")
    parser.add_argument("--no-txtai", action="store_true", help="skip the txtai peer")
    args = parser.parse_args()

    # Seeds
    embedder = Embedder()
    seed_index = RESULTS / f"seed-index-{embedder.backend}"
    build_index(ROOT / "corpus", seed_index, embedder=embedder, progress=False)
    searcher = Searcher(disk.load(seed_index), embedder)
    rows = []
    for method in ("rrf", "rerank"):
        h1 = h5 = cov = n = 0
        for q in dev_questions():
            if q.get("answerable", True) is False or "question" not in q:
                continue
            hits = searcher.search(q["question"], 5, method=method)
            texts = [normalise(h.text) for h in hits]
            found = [any(normalise(e) in t for t in texts) for e in q["evidence"]]
            h1 += any(normalise(e) in texts[0] for e in q["evidence"]) if texts else 0
            h5 += any(found)
            cov += sum(found) / len(found)
            n += 1
        rows.append([method, h1 / n, h5 / n, cov / n])
    print("Seed dev questions (answerable, single-turn):")
    print(table(rows, ["ranking", "hit@1", "hit@5", "evidence coverage@5"]))

    # SQuAD
    corpus = RESULTS / "squad-corpus"
    questions = write_squad_corpus(corpus)
    if args.quick:
        questions = questions[:: max(1, len(questions) // 1000)]
    texts = [q for q, _, _ in questions]
    embedder = PrecomputedQueries(texts)
    started = time.perf_counter()
    report = build_index(corpus, RESULTS / f"squad-index-{embedder.backend}", embedder=embedder, progress=True)
    print(f"\nSQuAD index: {report.passages_embedded} passages embedded in {time.perf_counter() - started:.1f} s")
    data = disk.load(RESULTS / f"squad-index-{embedder.backend}")
    passages = {p.id: p for s in data.segments for p in s.all_passages() if not data.is_deleted(p.id)}
    searcher = Searcher(data, embedder)
    per_method: dict[str, list[list[int]]] = {}
    latencies = []
    for question in texts:
        t = time.perf_counter()
        ranked = rankings(searcher, question)
        latencies.append(time.perf_counter() - t)
        for method, ids in ranked.items():
            per_method.setdefault(method, []).append(ids)
    if not args.no_txtai:
        titles = {aid: meta.title for aid, meta in data.articles().items()}
        per_method["txtai hybrid"] = txtai_rankings(passages, titles, texts, 20, embedder.path)
    gold = [aid for _, aid, _ in questions]
    answers = [[normalise(a) for a in ans] for _, _, ans in questions]
    rows = []
    for method, ranked in per_method.items():
        articles = [[passages[pid].article_id for pid in ids] for ids in ranked]
        metrics = squad_metrics(articles, gold)
        answer_hit = sum(
            any(a in normalise(passages[pid].text) for pid in ids[:5] for a in ans) for ids, ans in zip(ranked, answers)
        ) / len(gold)
        rows.append([method, metrics["R@1"], metrics["R@5"], metrics["R@20"], metrics["MRR@10"], answer_hit])
    print(f"\nSQuAD v1.1 dev half: {len(texts)} questions over {len(passages)} passages")
    print(table(rows, ["ranking", "R@1", "R@5", "R@20", "MRR@10", "answer-hit@5"]))
    print(f"(four rankings per question, query vectors precomputed: {p50_p95(latencies)})")


if __name__ == "__main__":
    main()
