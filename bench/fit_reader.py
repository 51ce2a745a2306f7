"""Calibrate the reader (assistant/answer/reader.json) on SQuAD half A and the tune half of our
news questions, and print its held-out figures.

    python bench/fit_reader.py [--adapter FILE] [--quick] [--dry-run] [--curve FILE,FILE,...]

The span reader was trained on the SQuAD v1.1 training set (bench/train_span_reader.py); here it
reads every record of bench/reader_records.py (half A and our tune questions, in the present,
article-absent and fact-absent conditions, and SQuAD 2.0's unanswerable questions) and what is
fitted on those readings is small (assistant/answer/reader.py): the margin threshold, a
logistic curve from margin to probability, the coverage model, the short answers' margins.
Figures are held out by article (5 folds, bench/data/folds.json): each fold's figures come from
what was fitted on the other four. The shipped values are fitted on all five.

Threshold criterion: the least cost, averaged over the two domains (SQuAD, our news), with COSTS
per error; the short answers' margin: the least at which the short answers shown to SQuAD's
questions reach SHORT_F1 with SHORT_SHOWN shown. `--curve` prints the held-out figures of each
span reader file given (the 10k / 30k / all questions checkpoints of training).
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import reader_records as rr
from common import ROOT, exact_and_f1, table
from sklearn.linear_model import LogisticRegression

from assistant.answer import extractive, questions, reader, selection, span_reader
from assistant.embedding import Embedder
from assistant.settings import DEFAULT

# Declining what the articles answer tells the reader the answer does not exist: it costs most.
# Answering from an unrelated article is a full error; citing an on-topic passage that lacks the
# fact costs half, since every answer shows the passage it cites.
COSTS = {"false_abstain": 2.0, "absent": 1.0, "fact": 0.5, "impossible": 0.5}
GRID = np.round(np.arange(-8.0, 8.01, 0.25), 2)
SHORT_F1, SHORT_SHOWN = 0.72, 20
MARGINS = (-4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0)
MEASURES = ("false_abstain", "answered_absent", "answered_fact", "answered_impossible", "first_hit", "answer_hit",
            "short_exact", "short_f1", "short_shown", "sentences", "decline_says_covered", "decline_says_not_covered")


def _linear(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> reader.Linear:
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(C=1.0, max_iter=3000).fit((X - mean) / scale, y, sample_weight=w)
    return reader.Linear(mean, scale, model.coef_[0], float(model.intercept_[0]))


def fit(records, kinds, reads, settings=DEFAULT) -> reader.Reader:
    """The reader fitted on these records, the threshold chosen with the rules `settings` has."""
    used = [i for i, k in enumerate(kinds) if k != "skip"]
    weights = np.array([records[i]["item"]["weight"] for i in used])
    margins = np.array([[reader.best_margin(reads[i])] for i in used])
    curve = _linear(margins, kinds[used] == "pos", weights)
    slope = float(curve.coef[0] / curve.scale[0])
    intercept = float(curve.intercept - curve.coef[0] * curve.mean[0] / curve.scale[0])
    rows = np.vstack([reader.coverage_row(reads[i], records[i]["hits"]) for i in used])
    coverage = _linear(rows, kinds[used] != "absent", weights)
    partial = reader.Reader(0.0, slope, intercept, coverage, rr.READ, 0.0, math.inf, {})
    outs = outcomes(records, kinds, reads, partial, settings)
    fitted = dataclasses.replace(partial, threshold=float(GRID[int(np.argmin([cost(outs, t) for t in GRID]))]))
    return dataclasses.replace(fitted, short_margin=short_margin(outs, fitted, why=False),
                               short_margin_why=short_margin(outs, fitted, why=True))


def outcomes(records, kinds, reads, fitted: reader.Reader, settings=DEFAULT) -> list[dict]:
    """What the composer does with each record: answers or not, its lead and shown sentences, its short answer."""
    out = []
    for record, kind, read in zip(records, kinds, reads):
        found, query = record["candidates"], record["query"]
        verdict = fitted.read(found, record["hits"], read)
        ruled = bool(found) and (("who_is" in settings.rules and bool(selection.profile(found, query)))
                                 or ("own_words" in settings.rules
                                     and selection.own_words(found, verdict.probabilities, query)))
        o = dict(kind=kind, margin=verdict.margin, ruled=ruled, found=bool(found), covered=verdict.covered >= 0.5,
                 first=False, any=False, sentences=0, short=None, domain=record["item"]["group"].split(":")[0],
                 why=questions.asks_why(query))
        if kind == "pos" and found:
            articles = [h.title if o["domain"] == "squad" else h.article_id for h in record["hits"]]
            chosen = selection.select(found, verdict.probabilities, query, settings, articles)
            o.update(first=bool(record["labels"][chosen[0]]), any=bool(record["labels"][chosen].any()),
                     sentences=len(chosen))
            span = extractive.lead_span(found[chosen[0]], record["hits"], read, -math.inf, settings.short_words)
            if span is not None:
                hit = record["hits"][found[chosen[0]].rank]
                em, f1 = exact_and_f1(hit.text[span.start:span.end], record["item"]["gold"])
                o["short"] = (span.score - read[found[chosen[0]].rank].null, em, f1)
        out.append(o)
    return out


def rates(outs: list[dict], threshold: float, short_margin: float = -math.inf, short_margin_why: float = -math.inf):
    said = [o["found"] and (o["margin"] >= threshold or o["ruled"]) for o in outs]
    of = lambda kind: [s for o, s in zip(outs, said) if o["kind"] == kind]  # noqa: E731
    share = lambda values: float(np.mean(values)) if values else float("nan")  # noqa: E731
    pos = [(o, s) for o, s in zip(outs, said) if o["kind"] == "pos"]
    shorts = [o["short"] if s and o["short"] and o["short"][0] >= (short_margin_why if o["why"] else short_margin)
              else None for o, s in pos]
    squad_shorts = [x for (o, _), x in zip(pos, shorts) if o["domain"] == "squad"]
    declines = [(o, s) for o, s in zip(outs, said) if not s and o["kind"] in ("fact", "impossible", "absent")]
    return dict(
        false_abstain=share([not s for _, s in pos]), answered_absent=share(of("absent")),
        answered_fact=share(of("fact")), answered_impossible=share(of("impossible")),
        first_hit=share([s and o["first"] for o, s in pos]), answer_hit=share([s and o["any"] for o, s in pos]),
        short_exact=share([x[1] if x else 0.0 for x in squad_shorts]), short_f1=share([x[2] if x else 0.0 for x in squad_shorts]),
        short_shown=share([x is not None for x in squad_shorts]),
        short_f1_shown=share([x[2] for x in squad_shorts if x]), short_count=sum(x is not None for x in squad_shorts),
        sentences=share([o["sentences"] for o, s in pos if s]),
        decline_says_covered=share([o["covered"] for o, _ in declines if o["kind"] != "absent"]),
        decline_says_not_covered=share([not o["covered"] for o, _ in declines if o["kind"] == "absent"]))


def cost(outs: list[dict], threshold: float) -> float:
    per_domain = []
    for domain in sorted({o["domain"] for o in outs}):
        r = rates([o for o in outs if o["domain"] == domain], threshold)
        per_domain.append(sum(w * (0.0 if math.isnan(v) else v) for w, v in (
            (COSTS["false_abstain"], r["false_abstain"]), (COSTS["absent"], r["answered_absent"]),
            (COSTS["fact"], r["answered_fact"]), (COSTS["impossible"], r["answered_impossible"]))))
    return float(np.mean(per_domain))


def short_margin(outs: list[dict], fitted, why: bool) -> float:
    """The least margin at which the short answers shown to SQuAD's (why-, or other) questions reach
    SHORT_F1 with at least SHORT_SHOWN shown; inf (none shown) if none does. (What a record's lead
    is does not depend on the threshold, so `outs` may come from a reader with another.)"""
    outs = [o for o in outs if o["domain"] == "squad" and o["why"] == why]
    for margin in MARGINS:
        r = rates(outs, fitted.threshold, margin, margin)
        if r["short_count"] >= SHORT_SHOWN and r["short_f1_shown"] >= SHORT_F1:
            return margin
    return math.inf


def held_out(records, kinds, reads, folds, settings=DEFAULT) -> tuple[list[dict], dict[int, reader.Reader]]:
    """Every record's outcome under the reader fitted on the other folds, with that reader's margins."""
    outs: list[dict] = [{}] * len(records)
    fitted_by_fold = {}
    for k, (train, test) in enumerate(folds):
        fitted = fit([records[i] for i in train], kinds[train], [reads[i] for i in train], settings)
        fitted_by_fold[k] = fitted
        for i, o in zip(test, outcomes([records[i] for i in test], kinds[test], [reads[i] for i in test], fitted,
                                       settings)):
            outs[i] = {**o, "fold": k}
    return outs, fitted_by_fold


def held_out_rates(outs, fitted_by_fold, domain: str) -> dict:
    """rates() fold by fold with each fold's own threshold and margins, averaged by records."""
    parts = []
    for k, fitted in fitted_by_fold.items():
        mine = [o for o in outs if o["fold"] == k and o["domain"] == domain]
        if mine:
            parts.append((rates(mine, fitted.threshold, fitted.short_margin, fitted.short_margin_why), len(mine)))
    return {m: float(np.average([p[m] for p, _ in parts if not math.isnan(p[m])],
                                weights=[n for p, n in parts if not math.isnan(p[m])]) if any(
                                    not math.isnan(p[m]) for p, _ in parts) else float("nan")) for m in MEASURES}


def report(path, records, kinds, folds, settings=DEFAULT) -> tuple[dict, reader.Reader]:
    reads = rr.readings(records, path)
    outs, by_fold = held_out(records, kinds, reads, folds, settings)
    figures = {d: held_out_rates(outs, by_fold, d) for d in ("squad", "own")}
    final = fit(records, kinds, reads, settings)
    return figures, final


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--adapter", default=str(span_reader.ADAPTER_FILE), help="the span reader file to calibrate")
    parser.add_argument("--quick", action="store_true", help="a quarter of the SQuAD questions")
    parser.add_argument("--dry-run", action="store_true", help="print the figures, do not write reader.json")
    parser.add_argument("--curve", default="", help="span reader files to compare, held out (comma-separated)")
    parser.add_argument("--rules", action="store_true", help="each hand rule of selection.py left out in turn, held out")
    args = parser.parse_args()
    embedder = Embedder()
    records = rr.records(embedder, args.quick)
    kinds, folds = rr.kinds(records), rr.folds_of(records)
    print(f"{len(records)} question-conditions: " + ", ".join(f"{k} {int((kinds == k).sum())}" for k in
                                                             ("pos", "absent", "fact", "impossible", "skip")))
    rows = []
    for path in [p for p in args.curve.split(",") if p] or [args.adapter]:
        figures, final = report(Path(path), records, kinds, folds)
        for domain in ("squad", "own"):
            rows.append([path.split("/")[-1], domain] + [figures[domain][m] for m in MEASURES])
        print(f"{path}: shipped threshold {final.threshold:+.2f}, probability = sigmoid({final.slope:.3f} * margin "
              f"{final.intercept:+.3f}), short margin {final.short_margin:+.1f} (why {final.short_margin_why:+.1f})")
    print("Held out (5 folds by article; each fold's values fitted on the other four):")
    print(table(rows, ["span reader", "domain", *MEASURES]))
    if args.rules:
        ablation = []
        for left_out in ("none", *sorted(DEFAULT.rules)):
            settings = dataclasses.replace(DEFAULT, rules=DEFAULT.rules - {left_out})
            figures_without, _ = report(Path(args.adapter), records, kinds, folds, settings)
            ablation += [[f"without {left_out}", d] + [figures_without[d][m] for m in MEASURES] for d in ("squad", "own")]
        print(table(ablation, ["rules", "domain", *MEASURES]))
    if args.dry_run or args.curve:
        return
    cv = {"folds": rr.FOLDS, "by": "article", "quick": args.quick, "question_conditions": len(records),
          "held_out_squad": figures["squad"], "held_out_own_tune": figures["own"], "adapter": args.adapter.split("/")[-1],
          "fitted": dt.date.today().isoformat(), "costs": COSTS}
    params = reader.params_of(dataclasses.replace(final, info=cv))
    reader.READER_FILE.write_text(json.dumps(params, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {reader.READER_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
