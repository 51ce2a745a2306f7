"""What the reader is calibrated and validated on: every question of SQuAD half A and of the
*tune* half of our news questions, asked as the composer asks it, in up to three conditions on
one index, by hiding passages (Index.without):
- present: everything indexed; a candidate sentence holding a gold answer (or evidence string)
  is a right lead, any other a wrong one;
- absent: all passages of the question's article hidden; nothing may answer (every third SQuAD
  question, every own one);
- fact: only the question's paragraph hidden (own questions: the passages holding the evidence);
  the rest of its article stays (every third SQuAD question, offset; every own one). Questions
  whose gold answer still shows in a candidate are not counted as negatives.
SQuAD 2.0's crowd-written unanswerable questions over the same paragraphs are asked with
everything indexed ("impossible"). None of these articles is in the span reader's training set
(the SQuAD v1.1 training set, bench/squad_pairs.py).

Records (hits and candidate sentences) are cached in bench/results by RECORDS_VERSION and the
data; readings (what a span reader file makes of each record's READ best passages) by that
file's sha256.
"""
from __future__ import annotations

import collections
import hashlib
import json
import pickle
import time

import numpy as np
from common import ROOT, normalise, squad_unanswerable, write_squad_corpus
from own import load_own, own_index

from assistant.answer import extractive, repair
from assistant.answer.span_reader import Reading, SpanReader
from assistant.embedding import Embedder
from assistant.ingest.indexer import build_index
from assistant.retrieval import Searcher
from assistant.settings import DEFAULT
from assistant.store.files import disk

RESULTS = ROOT / "bench" / "results"
RECORDS_VERSION = 1  # bump when what a record holds, or how the composer searches, changes
READ = 3  # passages the span reader reads per question (the app's reader.json says the same)
FOLDS = 5
FOLDS_FILE = ROOT / "bench" / "data" / "folds.json"  # each article's fold, fixed across sessions
OWN_WEIGHT = 10.0  # an own question counts this much: they are few and they are the product's kind


def squad_items(quick: bool) -> list[dict]:
    questions = write_squad_corpus(RESULTS / "squad-corpus")
    step = 4 if quick else 1
    answerable = [dict(question=q, group=f"squad:{aid[:8]}", paragraph=aid, gold=answers, weight=1.0)
                  for q, aid, answers in questions[::step]]
    return answerable + [dict(question=q, group=f"squad:{aid[:8]}", paragraph=aid, gold=[], weight=1.0, impossible=True)
                         for q, aid in squad_unanswerable()[::step]]


def _observe(index_dir, items, embedder, article_passages, paragraph_passages, every: int) -> list[dict]:
    data = Searcher(disk.load(index_dir).warm(), embedder)
    out = []
    for n, item in enumerate(items):
        vector = embedder.encode_query(item["question"])
        conditions = [("present", data.data)]
        if n % every == 0 and not item.get("impossible"):
            conditions.append(("absent", data.data.without(article_passages(item))))
        if n % every == every // 2 and not item.get("impossible"):
            conditions.append(("fact", data.data.without(paragraph_passages(item))))
        for condition, view in conditions:
            searcher = Searcher(view, embedder)
            query, searched = repair.names(searcher, item["question"], vector=vector, k=DEFAULT.retrieve_k)
            hits, found = extractive.ExtractiveComposer(searcher).observe(
                query, vector if query == item["question"] else None, searched=searched)
            gold = [normalise(g) for g in item["gold"]]
            labels = np.array([condition != "absent" and any(g in normalise(c.text) for g in gold) for c in found], bool)
            out.append(dict(item=item, condition=condition, query=query, hits=hits, candidates=found, labels=labels))
    return out


def _build(embedder: Embedder, quick: bool) -> list[dict]:
    started = time.perf_counter()
    items = squad_items(quick)  # writes the corpus of one article per paragraph
    squad_index = RESULTS / f"squad-index-{embedder.backend}"
    build_index(RESULTS / "squad-corpus", squad_index, embedder=embedder, progress=False)
    articles = disk.load(squad_index).articles()
    by_group: dict[str, list[int]] = {}
    for aid, meta in articles.items():
        by_group.setdefault(f"squad:{aid[:8]}", []).extend(meta.passages)
    records = _observe(squad_index, items, embedder, lambda it: by_group[it["group"]],
                       lambda it: articles[it["paragraph"]].passages, every=3)
    own_dir = own_index(embedder, "tune")  # no test article, not even as a distractor
    own_data = disk.load(own_dir)
    own_articles = own_data.articles()
    own_items = [dict(question=q["question"], group=f"own:{q['article']}", gold=q["evidence"], weight=OWN_WEIGHT,
                      article=q["article"]) for q in load_own() if q["split"] == "tune"]

    def evidence_passages(item):
        gold = [normalise(g) for g in item["gold"]]
        return [pid for pid in own_articles[item["article"]].passages
                if any(g in normalise(own_data.passage(pid).text) for g in gold)]

    records += _observe(own_dir, own_items, embedder, lambda it: own_articles[it["article"]].passages,
                        evidence_passages, every=1)
    print(f"{len(records)} question-conditions observed in {time.perf_counter() - started:.0f} s", flush=True)
    return records


def records(embedder: Embedder, quick: bool = False) -> list[dict]:
    digest = hashlib.sha256(f"{RECORDS_VERSION}{quick}{embedder.backend}".encode())
    for path in sorted((ROOT / "bench" / "data").glob("*.json*")):
        digest.update(path.read_bytes())
    cache = RESULTS / f"reader-records-{digest.hexdigest()[:16]}.pkl"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    built = _build(embedder, quick)
    cache.write_bytes(pickle.dumps(built))
    return built


def readings(records_: list[dict], adapter) -> list[list[Reading]]:
    """Each record's readings of its READ best passages by the span reader file `adapter`."""
    digest = hashlib.sha256(adapter.read_bytes()).hexdigest()[:16]
    cache = RESULTS / f"reader-readings-{digest}.json"
    known = json.loads(cache.read_text(encoding="utf-8")) if cache.exists() else {}
    keys = {f"{r['query']}\t{h.text}": (r["query"], h.text) for r in records_ for h in r["hits"][:READ]}
    todo = [k for k in keys if k not in known]
    if todo:
        started = time.perf_counter()
        read = SpanReader(adapter).pairs([keys[k][0] for k in todo], [keys[k][1] for k in todo])
        known.update({k: r.as_list() for k, r in zip(todo, read)})
        cache.write_text(json.dumps(known), encoding="utf-8")
        print(f"read {len(todo)} pairs in {time.perf_counter() - started:.0f} s", flush=True)
    return [[Reading.from_list(known[f"{r['query']}\t{h.text}"]) for h in r["hits"][:READ]] for r in records_]


def kinds(records_: list[dict]) -> np.ndarray:
    """Per record: "pos" (answerable), "absent", "fact", "impossible" or "skip" (fact absent, yet
    its answer still shows in a candidate)."""
    out = []
    for record in records_:
        if record["item"].get("impossible"):
            out.append("impossible")
        elif record["condition"] == "absent":
            out.append("absent")
        elif record["condition"] == "fact" or not record["item"]["gold"]:
            out.append("skip" if record["labels"].any() else "fact")
        else:
            out.append("pos")
    return np.array(out)


def folds_of(records_: list[dict]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) record indices of each fold, by article: an article in FOLDS_FILE keeps its
    fold; any other goes, the largest first, to the fold with the fewest records so far."""
    groups = [r["item"]["group"] for r in records_]
    sizes = collections.Counter(groups)
    fixed = json.loads(FOLDS_FILE.read_text(encoding="utf-8"))
    fold_of = {g: fixed[g] for g in sizes if g in fixed}
    load = [sum(sizes[g] for g, k in fold_of.items() if k == f) for f in range(FOLDS)]
    for g in sorted((g for g in sizes if g not in fixed), key=lambda g: (-sizes[g], g)):
        fold_of[g] = int(np.argmin(load))
        load[fold_of[g]] += sizes[g]
    assigned = np.array([fold_of[g] for g in groups])
    return [(np.flatnonzero(assigned != f), np.flatnonzero(assigned == f)) for f in range(FOLDS)]
