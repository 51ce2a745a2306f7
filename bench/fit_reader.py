"""Fit the answer reader (assistant/answer/reader.json) and print its cross-validated figures.

    python bench/fit_reader.py [--quick] [--dry-run]

Data: the SQuAD half (each paragraph one article, grouped by Wikipedia article) and the
*tune* half of our own questions (bench/data, grouped by news article). Every question is
asked in up to three conditions, on one index, by hiding passages (Index.without):
- present: everything indexed; a sentence containing a gold answer (or an evidence
  string) is a positive, every other candidate a negative;
- article absent: all passages of the question's article hidden; nothing may answer;
- fact absent: only the question's paragraph hidden (own questions: the passages holding
  the evidence); the rest of its article stays. Questions whose gold answer still shows in
  a candidate are not counted as negatives.

Three models are fitted (assistant/answer/reader.py): the ranker on the candidates of
answerable questions asked with everything indexed; the combiner on the ranker's logit and
the cross-encoder's for the ranker's SHORTLIST best candidates of the same questions; the
abstainer on one row per question-condition (its question features, computed with the
ranker and combiner of the same fold), labelled answerable or not. The cross-encoder's
logits are out-of-fold: bench/train_cross_encoder.py (run it first) scored each record with a
model trained on the other folds' articles, and wrote them to bench/results/cross-oof.npz.

Cross-validation is by article (GroupKFold): no held-out question's article is in its
training folds. The abstention threshold is chosen per fold on the other folds' held-out
probabilities, so the figures printed are held-out twice over; the shipped threshold is the
one chosen on all held-out probabilities. Criterion: the lowest weighted sum of the three
error rates (COSTS), averaged over the SQuAD and the news domain.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import time
from pathlib import Path

import numpy as np
from common import ROOT, normalise, write_squad_corpus
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from assistant import store
from assistant.answer import extractive, reader, scorer, selection
from assistant.embedding import Embedder
from assistant.indexer import build_index
from assistant.retrieval import Searcher
from assistant.settings import DEFAULT
from own import load_own, own_index

RESULTS = ROOT / "bench" / "results"
# Our questions are news, like the product's, and SQuAD outnumbers them 160 to 1, so each of
# their rows counts more. Chosen on held-out folds (2026-12-02): weights 3, 5, 10, 20, 50, 200
# gave own-question answer-hit 0.634, 0.634, 0.649, 0.634, 0.617, 0.572 and SQuAD
# false-abstain 0.038, 0.039, 0.043, 0.047, 0.061, 0.122.
OWN_WEIGHT = 10.0
FOLDS = 5
# Candidates the cross-encoder reads per question. Held out (2026-12-02), reading the ranker's
# best 2, 3 or 4 gave the same figures within noise (SQuAD first / any / fact-absent answered:
# 0.756 / 0.860 / 0.614, 0.756 / 0.860 / 0.609, 0.757 / 0.862 / 0.606), while each pair costs
# about 9 ms on one thread (int8): two keep ask() near 45 ms on the seeds, four took it to 60.
SHORTLIST = 2
OOF_FILE = RESULTS / "cross-oof.npz"


def squad_questions(quick: bool):
    questions = write_squad_corpus(RESULTS / "squad-corpus")
    step = 4 if quick else 1
    return [dict(question=q, group=f"squad:{aid[:8]}", paragraph=aid, gold=answers, weight=1.0)
            for q, aid, answers in questions[::step]]


def observe(searcher: Searcher, view, question: str, vector: np.ndarray):
    """(query, hits, candidates, observation): what the reader sees of `question` on `view`,
    searched as compose() searches it (`query`: the question with role holders named)."""
    composer = extractive.ExtractiveComposer(Searcher(view, searcher.embedder), DEFAULT)
    query_text, searched = composer.named(question, vector=vector)
    return (query_text, *composer.observe(query_text, vector if query_text == question else None, searched=searched))


def collect(index_dir: Path, items: list[dict], embedder: Embedder, article_passages, paragraph_passages, every: int):
    """Rows of (features, label, weight, question number, condition) over the three conditions."""
    data = Searcher(store.load(index_dir).warm(), embedder)
    out = []
    for n, item in enumerate(items):
        vector = embedder.encode_query(item["question"])
        conditions = [("present", data.data)]
        if n % every == 0:
            conditions.append(("absent", data.data.without(article_passages(item))))
        if n % every == every // 2:
            conditions.append(("fact", data.data.without(paragraph_passages(item))))
        for condition, view in conditions:
            query, hits, found, observation = observe(data, view, item["question"], vector)
            texts = [normalise(c.text) for c in found]
            gold = [normalise(g) for g in item["gold"]]
            labels = np.array([condition != "absent" and any(g in t or (len(t) > 20 and t in g) for g in gold)
                               for t in texts], dtype=bool)
            out.append(dict(item=item, condition=condition, query=query, observation=observation, labels=labels,
                            candidates=found))
    return out


def _linear(X, y, w) -> reader.Linear:
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(C=1.0, max_iter=3000).fit((X - mean) / scale, y, sample_weight=w)
    return reader.Linear(mean, scale, model.coef_[0], float(model.intercept_[0]))


def oof_key(record: dict, candidate) -> str:
    """What an out-of-fold cross-encoder logit is stored under: the condition, the query searched, the sentence."""
    return f"{record['condition']}\t{record['query']}\t{candidate.text}"


def load_oof() -> dict[str, float]:
    with np.load(OOF_FILE, allow_pickle=False) as stored:
        return dict(zip(stored["keys"].tolist(), stored["logits"].tolist()))


def out_of_fold(record: dict, scores: dict[str, float]) -> reader.CrossScores:
    """The record's out-of-fold cross-encoder logits, as the reader asks for them (by candidate index)."""
    def cross(top: np.ndarray) -> np.ndarray:
        keys = [oof_key(record, record["candidates"][i]) for i in top]
        missing = [k for k in keys if k not in scores]
        if missing:
            raise SystemExit(f"no out-of-fold cross-encoder score for {missing[0]!r}: "
                             "run `python bench/train_cross_encoder.py` with these records first")
        return np.array([scores[k] for k in keys])
    return cross


def fit(records, kinds, crosses) -> reader.Reader:
    """Ranker on the candidates of answerable, fully indexed questions; combiner on their
    shortlists; abstainer on every question-condition that is a clear positive or negative,
    with this ranker and combiner. `crosses`: each record's out-of-fold cross-encoder scores."""
    ranked = [i for i, (r, k) in enumerate(zip(records, kinds)) if k == "pos" and r["condition"] == "present"
              and len(r["observation"].rows)]
    X = np.vstack([records[i]["observation"].rows for i in ranked])
    y = np.concatenate([records[i]["labels"] for i in ranked])
    w = np.concatenate([np.full(len(records[i]["labels"]), records[i]["item"]["weight"]) for i in ranked])
    ranker = _linear(X, y, w)
    pairs, labels, weights = [], [], []
    for i in ranked:
        first = ranker.logits(records[i]["observation"].rows)
        top = reader.best(first, SHORTLIST)
        pairs.append(np.column_stack([first[top], crosses[i](top)]))
        labels.append(records[i]["labels"][top])
        weights.append(np.full(len(top), records[i]["item"]["weight"]))
    combiner = _linear(np.vstack(pairs), np.concatenate(labels), np.concatenate(weights))
    n = len(scorer.QUESTION_FEATURES)  # the abstainer is not fitted yet; evidence() does not use it
    unfitted = reader.Linear(np.zeros(n), np.ones(n), np.zeros(n), 0.0)
    partial = reader.Reader(ranker, combiner, unfitted, 0.5, SHORTLIST, {})
    used = [i for i, k in enumerate(kinds) if k != "skip"]
    Q = np.vstack([partial.evidence(records[i]["observation"], crosses[i])[1] for i in used])
    abstainer = _linear(Q, kinds[used] == "pos", np.array([records[i]["item"]["weight"] for i in used]))
    return reader.Reader(ranker, combiner, abstainer, 0.5, SHORTLIST, {})


def _kinds(records) -> np.ndarray:
    """Per record: "pos" (answerable), "absent", "fact" (a real fact-absent negative) or "skip"."""
    kinds = []
    for record in records:
        if record["condition"] == "absent":
            kinds.append("absent")
        elif record["condition"] == "fact" or not record["item"]["gold"]:
            kinds.append("skip" if record["labels"].any() else "fact")  # the fact still shows elsewhere
        else:
            kinds.append("pos")
    return np.array(kinds)


def error_rates(kinds: np.ndarray, best: np.ndarray, threshold: float) -> dict:
    answered = best >= threshold
    share = lambda mask: float(mask.mean()) if len(mask) else 0.0  # noqa: E731
    return dict(false_abstain=share(~answered[kinds == "pos"]), false_answer_absent=share(answered[kinds == "absent"]),
                false_answer_fact=share(answered[kinds == "fact"]))


def rates(records, read, threshold, settings=DEFAULT):
    """Error rates, and the share of answerable questions answered with the answer in the lead
    (first) or in any sentence, and the sentences per answer; `read` holds (sentence
    probabilities, answered probability) per record."""
    kinds = _kinds(records)
    best = np.array([answered for _, answered in read])
    out = error_rates(kinds, best, threshold)
    first = anyhit = shown = answered = 0
    for record, (p, _), kind, b in zip(records, read, kinds, best):
        if kind == "pos" and b >= threshold and len(p):
            chosen = selection.select(record["candidates"], p, record["query"], settings)
            first += bool(record["labels"][chosen[0]])
            anyhit += bool(record["labels"][chosen].any())
            shown, answered = shown + len(chosen), answered + 1
    n_pos = max(1, int((kinds == "pos").sum()))
    out.update(first_hit=first / n_pos, answer_hit=anyhit / n_pos, sentences=shown / max(1, answered),
               answerable=int((kinds == "pos").sum()), absent=int((kinds == "absent").sum()),
               fact=int((kinds == "fact").sum()))
    return out


GRID = np.round(np.arange(0.02, 0.96, 0.01), 2)


# What each error costs a reader. Declining a question the articles answer costs most: the
# reader is told the answer does not exist. Answering from an unrelated article is a full
# error; citing an on-topic passage that lacks the fact costs half, since every answer shows
# the passage it cites and the reader sees it does not say.
COSTS = {"false_abstain": 2.0, "false_answer_absent": 1.0, "false_answer_fact": 0.5}


def choose_threshold(records, read) -> float:
    """The threshold of least cost, averaged over the two domains: SQuAD's encyclopaedia
    questions outnumber our news questions 160 to 1, but the product answers news."""
    kinds = _kinds(records)
    best = np.array([answered for _, answered in read])
    domains = np.array([r["item"]["group"].split(":")[0] for r in records])
    present = [d for d in ("squad", "own") if (domains == d).any()]
    costs = [np.mean([sum(w * error_rates(kinds[domains == d], best[domains == d], t)[k] for k, w in COSTS.items())
                      for d in present]) for t in GRID]
    return float(GRID[int(np.argmin(costs))])


def observe_all(embedder: Embedder, quick: bool) -> list[dict]:
    """The records of every question-condition: SQuAD's (a quarter if `quick`) and the tune half's."""
    started = time.perf_counter()
    squad_index = RESULTS / f"squad-index-{embedder.backend}"
    build_index(RESULTS / "squad-corpus", squad_index, embedder=embedder, progress=False) if not squad_index.exists() else None
    items = squad_questions(quick)
    squad_data = store.load(squad_index)
    arts = squad_data.articles()
    by_group: dict[str, list[int]] = {}
    for aid, meta in arts.items():
        by_group.setdefault(f"squad:{aid[:8]}", []).extend(meta.passages)
    records = collect(squad_index, items, embedder, lambda it: by_group[it["group"]],
                      lambda it: arts[it["paragraph"]].passages, every=3)

    own_dir = own_index(embedder, "tune")  # no test article, not even as a distractor
    own_data = store.load(own_dir)
    own_articles = own_data.articles()
    tune = [q for q in load_own() if q["split"] == "tune"]
    own_items = [dict(question=q["question"], group=f"own:{q['article']}", gold=q["evidence"], weight=OWN_WEIGHT,
                      article=q["article"]) for q in tune]

    def evidence_passages(item):
        gold = [normalise(g) for g in item["gold"]]
        ids = own_articles[item["article"]].passages
        return [pid for pid in ids if any(g in normalise(own_data.passage(pid).text) for g in gold)]

    records += collect(own_dir, own_items, embedder, lambda it: own_articles[it["article"]].passages,
                       evidence_passages, every=1)
    print(f"{len(records)} question-conditions observed in {time.perf_counter() - started:.0f} s")
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a quarter of the SQuAD questions")
    parser.add_argument("--dry-run", action="store_true", help="print the figures, do not write reader.json")
    parser.add_argument("--extra-shares", default="", help="e.g. 0.15,0.25,0.5: held-out answer-hit and sentences "
                        "per answer at each share of the lead's probability a further sentence needs (AnswerSettings)")
    args = parser.parse_args()
    embedder = Embedder()
    records = observe_all(embedder, args.quick)

    groups = np.array([r["item"]["group"] for r in records])
    kinds = _kinds(records)
    scores = load_oof()
    crosses = [out_of_fold(r, scores) for r in records]
    folds = list(GroupKFold(n_splits=FOLDS).split(np.zeros(len(records)), groups=groups))
    oof: list = [None] * len(records)
    for train, test in folds:
        fold_reader = fit([records[i] for i in train], kinds[train], [crosses[i] for i in train])
        for i in test:
            oof[i] = fold_reader.read(records[i]["observation"], crosses[i])
    domains = {"all": "", "SQuAD": "squad:", "own tune": "own:"}
    held: dict[str, dict[str, list]] = {d: {} for d in domains}
    for k, (_, test) in enumerate(folds):  # threshold from the other folds, figures on this one
        others = [i for j, (_, t) in enumerate(folds) if j != k for i in t]
        t = choose_threshold([records[i] for i in others], [oof[i] for i in others])
        for domain, prefix in domains.items():
            part = [i for i in test if records[i]["item"]["group"].startswith(prefix)]
            for key, value in rates([records[i] for i in part], [oof[i] for i in part], t).items():
                held[domain].setdefault(key, []).append((value, len(part)))
    per_domain = {d: {k: float(np.average([v for v, _ in vs], weights=[max(n, 1e-9) for _, n in vs]))
                      for k, vs in held[d].items()} for d in domains}
    figures = per_domain["all"]
    threshold = choose_threshold(records, oof)
    print("Held-out figures (article-level CV, threshold chosen on the other folds):")
    for key in figures:
        print(f"  {key:22} " + "  ".join(f"{d} {per_domain[d][key]:.3f}" for d in domains))
    print("Curve (held-out probabilities): threshold, false-abstain, false-answer absent, false-answer fact, "
          "first-hit, answer-hit")
    for t in GRID[::4]:
        r = rates(records, oof, float(t))
        print(f"  {t:.2f}  {r['false_abstain']:.3f}  {r['false_answer_absent']:.3f}  {r['false_answer_fact']:.3f}  "
              f"{r['first_hit']:.3f}  {r['answer_hit']:.3f}")
    for share in (float(x) for x in args.extra_shares.split(",") if x):
        by_domain = {d: rates([r for r in records if r["item"]["group"].startswith(p)],
                              [o for r, o in zip(records, oof) if r["item"]["group"].startswith(p)], threshold,
                              dataclasses.replace(DEFAULT, extra_share=share)) for d, p in domains.items()}
        print(f"extra_share {share}: " + "  ".join(f"{d} answer-hit {r['answer_hit']:.3f}, {r['sentences']:.2f} sentences"
                                                   for d, r in by_domain.items()))
    final = fit(records, kinds, crosses)
    print(f"shipped threshold {threshold:.2f}")
    for name, model, names in (("ranker", final.ranker, scorer.FEATURES),
                               ("combiner", final.combiner, reader.CROSS_FEATURES),
                               ("abstainer", final.abstainer, scorer.QUESTION_FEATURES)):
        print(f"{name} weights: " + ", ".join(f"{n} {c:+.2f}" for n, c in zip(names, model.coef)))
    if args.dry_run:
        return
    cv = {"folds": FOLDS, "by": "article", "quick": args.quick, "questions": len({id(r["item"]) for r in records}),
          "question_conditions": len(records), "held_out": figures, "held_out_squad": per_domain["SQuAD"],
          "held_out_own_tune": per_domain["own tune"], "fitted": dt.date.today().isoformat(),
          "embedder_backend": embedder.backend}
    params = reader.params_of(dataclasses.replace(final, threshold=threshold, info=cv))
    reader.READER_FILE.write_text(json.dumps(params, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {reader.READER_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
