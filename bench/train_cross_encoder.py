"""Fine-tune the packaged MiniLM as a cross-encoder over (question, candidate sentence) pairs,
held out by article, and print what it adds to the reader. An experiment, not shipped yet.

    python bench/train_cross_encoder.py [--quick] [--folds 0,1,2,3,4] [--epochs 2] [--top 4]

Records are fit_reader's (observe_all): every question-condition of SQuAD and the tune half.
Each record's `--top` best candidates by the shipped ranker become pairs, labelled as
fit_reader labels them (a candidate holding a gold answer, with everything indexed). The
model is the packaged all-MiniLM-L6-v2 in float32 with LoRA (rank 8) on attention query and
value and its bias and LayerNorm terms trained (about 105k parameters), a linear head over
the pooled output, binary cross-entropy weighted as fit_reader weighs questions. For each
fold in `--folds` it trains on the other folds (GroupKFold by article, as fit_reader) and
scores the held-out fold's pairs, then prints, held out: how often the top pair holds the
answer by the ranker, by the cross-encoder, and by their summed logits; and the AUC of the
best pair's score for answerable against fact-absent and article-absent questions, beside the
shipped abstainer's. 2026-12-02, one fold, every second SQuAD question, 2 epochs: 28 minutes
on 2 cores (bench/README.md).
"""
from __future__ import annotations

import argparse
import math
import random
import time

import numpy as np
import torch
from fit_reader import FOLDS, _kinds, observe_all
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold

from assistant.answer import reader, scorer
from assistant.embedding import Embedder, _packaged_model_path

RANK, BATCH, LEARNING_RATE, MAX_TOKENS = 8, 16, 1e-3, 128


class LoRA(torch.nn.Module):
    """base(x) + x·Aᵀ·Bᵀ: a rank-`RANK` update of a frozen linear layer (B starts at zero)."""

    def __init__(self, base: torch.nn.Linear):
        super().__init__()
        self.base = base
        self.A = torch.nn.Parameter(torch.randn(RANK, base.in_features) * 0.01)
        self.B = torch.nn.Parameter(torch.zeros(base.out_features, RANK))

    def forward(self, x):
        return self.base(x) + (x @ self.A.T) @ self.B.T


def pairs_of(records, ranker, top: int) -> list[tuple]:
    """(record, candidate, question, sentence, label, weight) of each record's `top` best candidates."""
    out = []
    for r, record in enumerate(records):
        rows = record["observation"].rows
        if not len(rows):
            continue
        for c in np.argsort(-ranker.logits(rows), kind="stable")[:top]:
            out.append((r, int(c), record["item"]["question"], record["candidates"][c].text,
                        float(record["labels"][c]), float(record["item"]["weight"])))
    return out


def train_and_score(train: list[tuple], test: list[tuple], epochs: float) -> dict[tuple[int, int], float]:
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(0)
    path = str(_packaged_model_path())
    tokenizer, model = AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path)
    for name, parameter in model.named_parameters():
        parameter.requires_grad = "bias" in name or "LayerNorm" in name
    for layer in model.encoder.layer:
        layer.attention.self.query = LoRA(layer.attention.self.query)
        layer.attention.self.value = LoRA(layer.attention.self.value)
    head = torch.nn.Linear(model.config.hidden_size, 1)
    trained = [p for p in model.parameters() if p.requires_grad] + list(head.parameters())
    optimiser = torch.optim.AdamW(trained, lr=LEARNING_RATE, weight_decay=0.0)
    steps = int(math.ceil(len(train) / BATCH * epochs))
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: min(1.0, (s + 1) / 50) * max(0.0, 1 - s / steps))

    def logits(batch):
        encoded = tokenizer([p[2] for p in batch], [p[3] for p in batch], return_tensors="pt", padding=True,
                            truncation="only_second", max_length=MAX_TOKENS)
        hidden = model(**encoded).last_hidden_state
        mask = encoded["attention_mask"].unsqueeze(-1).float()
        return head((hidden * mask).sum(1) / mask.sum(1)).squeeze(-1)

    order = random.Random(0).sample(train, len(train))
    started = time.perf_counter()
    model.train()
    for step in range(steps):
        batch = [order[(step * BATCH + j) % len(order)] for j in range(BATCH)]
        labels, weights = torch.tensor([p[4] for p in batch]), torch.tensor([p[5] for p in batch])
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits(batch), labels, reduction="none")
        loss = (loss * weights).sum() / weights.sum()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        if step % 200 == 0:
            print(f"  step {step}/{steps}, loss {loss.item():.3f}, {time.perf_counter() - started:.0f} s", flush=True)
    model.eval()
    scores = {}
    with torch.no_grad():
        for i in range(0, len(test), 64):
            batch = test[i:i + 64]
            scores.update({(p[0], p[1]): float(v) for p, v in zip(batch, logits(batch).numpy())})
    return scores


def report(records, kinds, shipped: reader.Reader, scores: dict[tuple[int, int], float]) -> None:
    by_record: dict[int, dict[int, float]] = {}
    for (r, c), value in scores.items():
        by_record.setdefault(r, {})[c] = value
    for domain in ("squad", "own"):
        hits = {"ranker": [], "cross-encoder": [], "sum": [], "ceiling": []}
        auc: dict[str, list] = {"kind": [], "abstainer": [], "cross-encoder": []}
        for r, found in by_record.items():
            record = records[r]
            if not record["item"]["group"].startswith(domain + ":"):
                continue
            logits, ids = shipped.ranker.logits(record["observation"].rows), list(found)
            labels = record["labels"]
            if kinds[r] == "pos" and record["condition"] == "present":
                for name, score in (("ranker", [logits[c] for c in ids]), ("cross-encoder", [found[c] for c in ids]),
                                    ("sum", [logits[c] + found[c] for c in ids])):
                    hits[name].append(bool(labels[ids[int(np.argmax(score))]]))
                hits["ceiling"].append(bool(labels[ids].any()))
            if kinds[r] in ("pos", "fact", "absent"):
                question = scorer.question_features(record["observation"], logits)
                auc["kind"].append(kinds[r])
                auc["abstainer"].append(float(shipped.abstainer.logits(question[None])[0]))
                auc["cross-encoder"].append(max(found.values()))
        if not hits["ranker"]:
            continue
        print(f"{domain}: {len(hits['ranker'])} answerable questions held out; top pair holds the answer: "
              + ", ".join(f"{k} {np.mean(v):.3f}" for k, v in hits.items()))
        kind = np.array(auc["kind"])
        for negative in ("fact", "absent"):
            mask = (kind == "pos") | (kind == negative)
            if (kind[mask] == negative).any() and (kind[mask] == "pos").any():
                shown = {name: roc_auc_score(kind[mask] == "pos", np.array(auc[name])[mask])
                         for name in ("abstainer", "cross-encoder")}
                label = "fact absent" if negative == "fact" else "article absent"
                print(f"  AUC answerable vs {label}: " + ", ".join(f"{k} {v:.3f}" for k, v in shown.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a quarter of the SQuAD questions")
    parser.add_argument("--folds", default="0", help="the folds to hold out in turn, e.g. 0,1,2,3,4")
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--top", type=int, default=4, help="candidates per question, by the shipped ranker")
    parser.add_argument("--max-pairs", type=int, default=0, help="train on at most this many pairs (0: all)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    records = observe_all(Embedder(), args.quick)
    shipped, kinds = reader.load_reader(), _kinds(records)
    groups = np.array([r["item"]["group"] for r in records])
    folds = list(GroupKFold(n_splits=FOLDS).split(np.zeros(len(records)), groups=groups))
    pairs = pairs_of(records, shipped.ranker, args.top)
    scores: dict[tuple[int, int], float] = {}
    for k in (int(f) for f in args.folds.split(",")):
        held = set(folds[k][1].tolist())
        train = [p for p in pairs if p[0] not in held]
        train = random.Random(0).sample(train, min(len(train), args.max_pairs or len(train)))
        print(f"fold {k}: {len(train)} training pairs, {sum(p[0] in held for p in pairs)} held out", flush=True)
        scores.update(train_and_score(train, [p for p in pairs if p[0] in held], args.epochs))
    print("Held out (the shipped ranker and abstainer were fitted on all folds, so their figures are flattered):")
    report(records, kinds, shipped, scores)


if __name__ == "__main__":
    main()
