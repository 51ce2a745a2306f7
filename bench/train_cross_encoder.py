"""Train the cross-encoder (assistant/answer/cross_encoder.npz) held out by article, and
write its out-of-fold scores for bench/fit_reader.py.

    python bench/train_cross_encoder.py [--quick] [--folds 0,1,2,3,4] [--epochs 1.5] [--top 4] [--no-final]
    python bench/train_cross_encoder.py --rescore   # new records, the fold adapters already trained
    python bench/train_cross_encoder.py --folds ""  # only the shipped adapter

Records are fit_reader's (observe_all): every question-condition of SQuAD and the tune half
of our own questions. Training pairs are each record's `--top` best candidates by the shipped
ranker plus every candidate holding the answer, labelled as fit_reader labels them (a
candidate holding a gold answer or an evidence string, with the question's article indexed),
weighted as fit_reader weighs questions. The model is the packaged all-MiniLM-L6-v2 in
float32 with LoRA (rank 8) on attention query and value, its bias and LayerNorm terms and a
linear head over the mean-pooled output, trained with binary cross-entropy.

For each fold (GroupKFold by article, the same folds as fit_reader) it trains on the other
folds, writes that adapter, loads it through assistant.answer.cross_encoder.CrossEncoder
(int8, exactly as the app serves it) and scores every candidate of the held-out records.
Those out-of-fold logits go to bench/results/cross-oof.npz, keyed by condition, query and
sentence, which fit_reader reads to fit the reader's cross-encoder features without ever
seeing a score from a model trained on the same article. It then prints, held out, how often
the best pair holds the answer by the ranker, the cross-encoder and their sum, and the AUC of
the best score for answerable against fact-absent and article-absent questions. Finally
(unless --no-final) it trains on every fold and writes the shipped adapter.

`--rescore` trains nothing: it scores the records as observed now with the fold adapters of
an earlier run (bench/results/cross-fold*.npz), keeping the pairs cross-oof.npz already holds
(an interrupted rescore resumes), for when the records changed but not their
folds (candidate rules, or the corpus the tune questions are asked over). The folds depend
only on the records' article groups and their sizes; a changed fold is refused.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import time

import numpy as np
import torch
from common import ROOT
from fit_reader import FOLDS, OOF_FILE, RESULTS, _kinds, load_oof, observe_all, oof_key
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold

from assistant.answer import cross_encoder, reader, scorer
from assistant.embedding import Embedder

RANK, BATCH, LEARNING_RATE, WARMUP = 8, 32, 1e-3, 50


class LoRA(torch.nn.Module):
    """base(x) + x·Aᵀ·Bᵀ: a rank-RANK update of a frozen linear layer (B starts at zero)."""

    def __init__(self, base: torch.nn.Linear):
        super().__init__()
        self.base = base
        self.A = torch.nn.Parameter(torch.randn(RANK, base.in_features) * 0.01)
        self.B = torch.nn.Parameter(torch.zeros(base.out_features, RANK))

    def forward(self, x):
        return self.base(x) + (x @ self.A.T) @ self.B.T


def training_pairs(records, ranker: reader.Linear, top: int) -> list[tuple]:
    """(record number, query, sentence, label, weight) of each record's `top` best candidates and its positives."""
    out = []
    for r, record in enumerate(records):
        rows = record["observation"].rows
        if not len(rows):
            continue
        chosen = set(reader.best(ranker.logits(rows), top).tolist())
        chosen |= set(np.flatnonzero(record["labels"]).tolist())
        for c in sorted(chosen):
            out.append((r, record["query"], record["candidates"][c].text, float(record["labels"][c]),
                        float(record["item"]["weight"])))
    return out


def batches(pairs: list[tuple], tokenizer, epochs: float, seed: int = 0) -> list[list[tuple]]:
    """Batches of similar length (padding is most of the work), in random order, for `epochs` passes."""
    lengths = [len(x) for x in tokenizer([p[1] for p in pairs], [p[2] for p in pairs])["input_ids"]]
    rng = random.Random(seed)
    out: list[list[tuple]] = []
    for _ in range(int(math.ceil(epochs))):
        order = rng.sample(range(len(pairs)), len(pairs))
        for start in range(0, len(order), BATCH * 50):  # sort within pools of 50 batches, then cut
            pool = sorted(order[start:start + BATCH * 50], key=lambda i: lengths[i])
            out += [[pairs[i] for i in pool[j:j + BATCH]] for j in range(0, len(pool), BATCH)]
    rng.shuffle(out)
    return out[:int(len(pairs) / BATCH * epochs)]


def train(pairs: list[tuple], epochs: float, path, info: dict) -> None:
    """Fine-tune on `pairs` and write the adapter to `path`."""
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(0)
    base = str(cross_encoder.base_model_path())
    tokenizer, model = AutoTokenizer.from_pretrained(base), AutoModel.from_pretrained(base)
    for name, parameter in model.named_parameters():
        parameter.requires_grad = cross_encoder.trained(name)
    modules = dict(model.named_modules())
    adapters = {}
    for name in cross_encoder.lora_targets(model):
        parent, child = name.rsplit(".", 1)
        adapters[name] = LoRA(modules[name])
        setattr(modules[parent], child, adapters[name])
    head = torch.nn.Linear(model.config.hidden_size, 1)
    trainable = [p for p in model.parameters() if p.requires_grad] + list(head.parameters())
    optimiser = torch.optim.AdamW(trainable, lr=LEARNING_RATE, weight_decay=0.0)
    plan = batches(pairs, tokenizer, epochs)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / WARMUP) * max(0.0, 1 - s / len(plan)))
    started = time.perf_counter()
    model.train()
    for step, batch in enumerate(plan):
        encoded = tokenizer([p[1] for p in batch], [p[2] for p in batch], return_tensors="pt", padding=True,
                            truncation="only_second", max_length=cross_encoder.MAX_TOKENS)
        hidden = model(**encoded).last_hidden_state
        mask = encoded["attention_mask"].unsqueeze(-1).float()
        logits = head((hidden * mask).sum(1) / mask.sum(1)).squeeze(-1)
        labels, weights = torch.tensor([p[3] for p in batch]), torch.tensor([p[4] for p in batch])
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels, reduction="none")
        loss = (loss * weights).sum() / weights.sum()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        if step % 200 == 0:
            print(f"  step {step}/{len(plan)}, loss {loss.item():.3f}, {time.perf_counter() - started:.0f} s", flush=True)
    for name, adapter in adapters.items():  # the base layers back in place, so parameter names are the model's own
        parent, child = name.rsplit(".", 1)
        setattr(modules[parent], child, adapter.base)
    lora = {n: (a.A.detach().numpy(), a.B.detach().numpy()) for n, a in adapters.items()}
    head_pair = (head.weight.detach().numpy(), float(head.bias.detach()[0]))
    info = {**info, "pairs": len(pairs), "steps": len(plan), "seconds": round(time.perf_counter() - started)}
    cross_encoder.save_adapter(path, model, lora, head_pair, info)


def score_records(path, records, indices, known: dict[str, float]) -> dict[str, float]:
    """Every candidate of the records at `indices`, scored by the adapter at `path` as the app
    scores, but for those in `known` (scored by the same adapter earlier)."""
    model = cross_encoder.CrossEncoder(path)
    torch.set_num_threads(2)
    wanted = {oof_key(records[r], c): (records[r]["query"], c.text) for r in indices for c in records[r]["candidates"]}
    keys = [k for k in wanted if k not in known]
    print(f"  scoring {len(keys)} pairs ({len(wanted) - len(keys)} scored before)", flush=True)
    logits = model.pairs([wanted[k][0] for k in keys], [wanted[k][1] for k in keys], batch_size=128)
    return {**{k: known[k] for k in wanted if k in known}, **dict(zip(keys, logits.tolist()))}


def save_oof(scores: dict[str, float]) -> None:
    tmp = OOF_FILE.with_name(OOF_FILE.name + ".tmp.npz")
    np.savez(tmp, keys=np.array(list(scores)), logits=np.array(list(scores.values())))
    tmp.replace(OOF_FILE)


def report(records, kinds, ranker: reader.Linear, scores: dict[str, float]) -> None:
    """Held out: how often the best of the ranker's shortlist holds the answer by each score,
    and how well each one's best separates answerable questions from unanswerable ones."""
    for domain in ("squad", "own"):
        hits = {"ranker": [], "cross-encoder": [], "sum": [], "ceiling (top 4)": []}
        auc: dict[str, list] = {"kind": [], "ranker": [], "cross-encoder": []}
        for r, record in enumerate(records):
            found = [scores.get(oof_key(record, c)) for c in record["candidates"]]
            if not record["item"]["group"].startswith(domain + ":") or not found or None in found:
                continue
            logits, ce, labels = ranker.logits(record["observation"].rows), np.array(found), record["labels"]
            top = reader.best(logits, 4)
            if kinds[r] == "pos" and record["condition"] == "present":
                for name, score in (("ranker", logits[top]), ("cross-encoder", ce[top]), ("sum", logits[top] + ce[top])):
                    hits[name].append(bool(labels[top[int(np.argmax(score))]]))
                hits["ceiling (top 4)"].append(bool(labels[top].any()))
            if kinds[r] in ("pos", "fact", "absent"):
                auc["kind"].append(kinds[r])
                auc["ranker"].append(float(logits[top].max()))
                auc["cross-encoder"].append(float(ce[top].max()))
        if not hits["ranker"]:
            continue
        print(f"{domain}: {len(hits['ranker'])} answerable questions held out; the best of the ranker's top 4 holds "
              "the answer by: " + ", ".join(f"{k} {np.mean(v):.3f}" for k, v in hits.items()))
        kind = np.array(auc["kind"])
        for negative, label in (("fact", "fact absent"), ("absent", "article absent")):
            mask = (kind == "pos") | (kind == negative)
            if (kind[mask] == negative).any() and (kind[mask] == "pos").any():
                shown = {n: roc_auc_score(kind[mask] == "pos", np.array(auc[n])[mask]) for n in ("ranker", "cross-encoder")}
                print(f"  AUC of the best score, answerable vs {label}: " + ", ".join(f"{k} {v:.3f}" for k, v in shown.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a quarter of the SQuAD questions")
    parser.add_argument("--folds", default="0,1,2,3,4", help="the folds to hold out in turn (\"\": none)")
    parser.add_argument("--epochs", type=float, default=1.5)
    parser.add_argument("--top", type=int, default=4, help="candidates per question by the shipped ranker, besides positives")
    parser.add_argument("--no-final", action="store_true", help="do not train and write the shipped adapter")
    parser.add_argument("--rescore", action="store_true", help="score with the fold adapters already trained")
    args = parser.parse_args()
    records = observe_all(Embedder(), args.quick)
    torch.set_num_threads(2)
    # only the ranker, which every version of reader.json has, and only to choose training pairs
    # (and for the report): the reader itself is fitted afterwards on this run's scores
    params = json.loads(reader.READER_FILE.read_text(encoding="utf-8"))
    ranker, kinds = reader.linear_from(params["ranker"], scorer.FEATURES, "ranker", str(reader.READER_FILE)), _kinds(records)
    groups = np.array([r["item"]["group"] for r in records])
    folds = list(GroupKFold(n_splits=FOLDS).split(np.zeros(len(records)), groups=groups))
    pairs = training_pairs(records, ranker, args.top)
    info = {"epochs": args.epochs, "top": args.top, "rank": RANK, "batch": BATCH, "learning_rate": LEARNING_RATE,
            "quick": args.quick, "trained": dt.date.today().isoformat()}
    scores = load_oof() if OOF_FILE.exists() else {}
    # a rescore keeps what an interrupted rescore scored with these same adapters; training anew does not
    known = scores if args.rescore else {}
    for k in (int(f) for f in args.folds.split(",") if f):
        held = folds[k][1].tolist()
        path = RESULTS / f"cross-fold{k}.npz"
        groups_held = sorted({records[i]["item"]["group"] for i in held})
        if args.rescore:
            trained_on = cross_encoder.CrossEncoder(path, quantise=False)
            if trained_on.meta().get("held_out_groups") != groups_held:
                raise SystemExit(f"{path} held out other articles than fold {k} now does: train again")
        else:
            held_set = set(held)
            train_pairs = [p for p in pairs if p[0] not in held_set]
            print(f"fold {k}: {len(train_pairs)} training pairs, {len(held)} held-out question-conditions", flush=True)
            train(train_pairs, args.epochs, path, {**info, "fold": k, "held_out_groups": groups_held})
        scores.update(score_records(path, records, held, known))
        save_oof(scores)
        print("Held out so far (the shipped ranker was fitted on all folds: flattered):")
        report(records, kinds, ranker, scores)
    if not args.no_final and not args.rescore:
        print(f"final: {len(pairs)} training pairs", flush=True)
        train(pairs, args.epochs, cross_encoder.ADAPTER_FILE, {**info, "fold": "all"})
        print(f"wrote {cross_encoder.ADAPTER_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
