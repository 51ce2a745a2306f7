"""Train the span reader (assistant/answer/span_reader.npz) held out by article, and write its
out-of-fold readings for bench/fit_reader.py.

    python bench/train_span_reader.py [--quick] [--folds 0,1,2,3,4] [--epochs 2] [--no-final] [--rescore]
    python bench/train_span_reader.py --folds ""     # only the shipped reader

Records are fit_reader's (observe_all): SQuAD v1.1's questions with everything indexed, with
their paragraph hidden (every third) and with their article hidden (every third), SQuAD 2.0's
unanswerable questions with everything indexed, and our tune-half news questions in all three
conditions. What serving reads for a record is its query with each of its READ best passages.
Training pairs come from the same passages:
- the passage holding a gold answer: its first occurrence is the span (SQuAD); for our news
  questions the evidence string is a region the span must fall in (its likelihood summed);
- the best passage that does not hold it, and for SQuAD 2.0's unanswerable questions (their own
  paragraph, written to look answerable) and the hidden conditions the best two or one: "no
  answer", the [CLS] position.
Pairs whose passage holds the gold text outside the question's paragraph are left out.

The model is the packaged all-MiniLM-L6-v2 and a start/end head; `--mode full` (the default)
trains encoder layers 1-5 whole (shipped in int8), `--mode lora` a rank-RANK LoRA on every
linear layer plus the bias and LayerNorm terms; bfloat16 autocast on the CPU. `--cloze N`
starts every fold from N cloze pairs of Reuters (cloze.py, cached in bench/results);
`--swaps S` adds entity-swapped unanswerable copies of S of the answerable SQuAD questions;
`--impossible-weight W` weighs SQuAD 2.0's unanswerable pairs. The defaults are what ships
(--cloze 30000 --swaps 0.5 --impossible-weight 2). For
each fold (by article, fit_reader's folds_of) it trains on the other folds, writes that
adapter, loads it through assistant.answer.span_reader.SpanReader (int8, exactly as the app
serves it) and reads every held-out record's passages. Those out-of-fold readings go to
bench/results/span-oof.json, keyed by query and passage, which fit_reader fits on. It prints,
held out, exact match and F1 of the best span of the gold passage, and how well the best
margin over a record's passages tells answerable questions from each kind of unanswerable one
(AUC). Finally (unless --no-final) it trains on every fold and writes the shipped adapter.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import re
import time

import numpy as np
import torch
from cloze import cloze_pairs
from common import ROOT, exact_and_f1, normalise
from fit_reader import OOF_FILE, READ, RESULTS, _kinds, folds_of, load_oof, observe_all, oof_key
from sklearn.metrics import roc_auc_score

from assistant.answer import adapter, span_reader
from assistant.embedding import Embedder

RANK, BATCH, WARMUP = 16, 16, 100
LEARNING_RATE = {"lora": 2e-3, "full": 1e-4}
OWN_WEIGHT = 3.0  # our news questions are few: each counts thrice (fit_reader's linear parts use 10)


class LoRA(torch.nn.Module):
    """base(x) + x·Aᵀ·Bᵀ: a rank-RANK update of a frozen linear layer (B starts at zero)."""

    def __init__(self, base: torch.nn.Linear):
        super().__init__()
        self.base = base
        self.A = torch.nn.Parameter(torch.randn(RANK, base.in_features) / math.sqrt(base.in_features))
        self.B = torch.nn.Parameter(torch.zeros(base.out_features, RANK))

    def forward(self, x):
        return self.base(x) + (x @ self.A.T) @ self.B.T


def _occurrence(text: str, answers: list[str]) -> tuple[int, int] | None:
    """Character span of the first gold answer found in `text` (the longest answer first)."""
    for answer in sorted({a.strip() for a in answers if a.strip()}, key=len, reverse=True):
        at = text.find(answer)
        if at >= 0:
            return at, at + len(answer)
    return None


def _holds(text: str, answers: list[str]) -> bool:
    folded = normalise(text)
    return any(normalise(a) in folded for a in answers if a.strip())


def pairs_of(record: dict, kind: str) -> list[tuple]:
    """(query, passage, target, start, end, weight) of one record; target "span", "region" or "null"."""
    item, hits, query = record["item"], record["hits"][:READ], record["query"]
    weight = OWN_WEIGHT if item["group"].startswith("own:") else 1.0
    gold = item["gold"]
    out = []
    if kind == "pos":
        for hit in hits:
            mine = hit.article_id == item["paragraph"] if "paragraph" in item else True
            found = _occurrence(hit.text, gold) if mine else None
            if found:
                out.append((query, hit.text, "region" if item["group"].startswith("own:") else "span", *found, weight))
        negatives = [h for h in hits if not _holds(h.text, gold)][:1]
    elif kind == "impossible":
        negatives = hits[:2]
    elif kind in ("fact", "absent"):
        negatives = [h for h in hits if not _holds(h.text, gold)][:1]
    else:
        negatives = []
    return out + [(query, h.text, "null", 0, 0, weight) for h in negatives]


_NAME_OR_NUMBER = re.compile(r"(?<!^)\b[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)*|\b\d[\d,.]*\d\b|\b\d\b")


def swap_pool(records, indices) -> dict[tuple[str, str], list[str]]:
    """Names and numbers of the SQuAD questions at `indices`, by (article group, kind) and by
    ("", kind) for all groups, to swap into others' questions."""
    pool: dict[tuple[str, str], set[str]] = {}
    for i in indices:
        group = records[i]["item"]["group"]
        if group.startswith("squad:"):
            for m in _NAME_OR_NUMBER.finditer(records[i]["query"]):
                kind = "number" if m.group(0)[0].isdigit() else "name"
                pool.setdefault((group, kind), set()).add(m.group(0))
                pool.setdefault(("", kind), set()).add(m.group(0))
    return {key: sorted(values) for key, values in pool.items()}


def swapped(record: dict, pool: dict[tuple[str, str], list[str]], rng: random.Random) -> list[tuple]:
    """An answerable SQuAD question with one of its names or numbers that the passage holding the
    answer also holds replaced by one of another question that the passage does not hold, of the
    same Wikipedia article when there is one (a plausible swap): an unanswerable question on the
    same passage, as SQuAD 2.0's writers made many of theirs ("What is Warsaw known as in
    Carpathian?"). Its pair is that passage with "no answer"."""
    item, query = record["item"], record["query"]
    passages = [h.text for h in record["hits"][:READ] if h.article_id == item.get("paragraph") and _holds(h.text, item["gold"])]
    shared = [m for m in _NAME_OR_NUMBER.finditer(query) if passages and m.group(0) in passages[0]]
    if not shared:
        return []
    chosen = rng.choice(shared)
    kind = "number" if chosen.group(0)[0].isdigit() else "name"
    absent = lambda values: [x for x in values if x.lower() not in passages[0].lower()]  # noqa: E731
    others = absent(pool.get((item["group"], kind), [])) or absent(pool.get(("", kind), []))
    if not others:
        return []
    question = query[:chosen.start()] + rng.choice(others) + query[chosen.end():]
    return [(question, passages[0], "null", 0, 0, 1.0)]


def _targets(encoded, rows) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per pair: the allowed positions ([CLS] and the passage's pieces), and the start and end
    position masks of the target (one position for a span or "no answer", several for a region)."""
    n, length = encoded["input_ids"].shape
    allowed = torch.zeros(n, length, dtype=torch.bool)
    starts, ends = torch.zeros(n, length, dtype=torch.bool), torch.zeros(n, length, dtype=torch.bool)
    for k, (_, _, target, a, b, _) in enumerate(rows):
        ids = encoded.sequence_ids(k)
        offsets = encoded["offset_mapping"][k].tolist()
        passage = [t for t, sid in enumerate(ids) if sid == 1]
        allowed[k, 0] = True
        allowed[k, passage] = True
        inside = [t for t in passage if offsets[t][0] < b and offsets[t][1] > a]
        if target == "null" or not inside:  # a span cut off by truncation counts as none
            starts[k, 0] = ends[k, 0] = True
        elif target == "span":
            starts[k, inside[0]] = ends[k, inside[-1]] = True
        else:  # a region: the answer starts and ends somewhere inside it
            starts[k, inside] = ends[k, inside] = True
    return allowed, starts, ends


def batches(pairs: list[tuple], tokenizer, epochs: float, seed: int = 0) -> list[list[tuple]]:
    """Batches of similar length (padding is most of the work), in random order, for `epochs` passes."""
    lengths = [len(a) + len(b) for a, b in zip(*[[p[0] for p in pairs], [p[1] for p in pairs]])]
    rng = random.Random(seed)
    out: list[list[tuple]] = []
    for _ in range(int(math.ceil(epochs))):
        order = rng.sample(range(len(pairs)), len(pairs))
        for start in range(0, len(order), BATCH * 50):
            pool = sorted(order[start:start + BATCH * 50], key=lambda i: lengths[i])
            out += [[pairs[i] for i in pool[j:j + BATCH]] for j in range(0, len(pool), BATCH)]
    rng.shuffle(out)
    return out[:int(len(pairs) / BATCH * epochs)]


def train(pairs: list[tuple], epochs: float, path, info: dict, mode: str = "lora", start=None) -> dict:
    """Fine-tune on `pairs` (from the weights `start`, a state returned by an earlier call), write the
    adapter to `path` when given, and return the model's and head's weights."""
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(0)
    base = str(adapter.base_model_path())
    tokenizer, model = AutoTokenizer.from_pretrained(base), AutoModel.from_pretrained(base)
    for name, parameter in model.named_parameters():
        # "full": every layer but the first whole (what ships is then int8, under 10 MB), else LoRA
        parameter.requires_grad = adapter.trained(name) or (
            mode == "full" and name.startswith("encoder.layer.") and not name.startswith("encoder.layer.0."))
    modules = dict(model.named_modules())
    adapters = {}
    for name in adapter.lora_targets(model) if mode == "lora" else []:
        parent, child = name.rsplit(".", 1)
        adapters[name] = LoRA(modules[name])
        setattr(modules[parent], child, adapters[name])
    head = torch.nn.Linear(model.config.hidden_size, 2)
    if start is not None:
        model.load_state_dict(start["model"])
        head.load_state_dict(start["head"])
    trainable = [p for p in model.parameters() if p.requires_grad] + list(head.parameters())
    optimiser = torch.optim.AdamW(trainable, lr=LEARNING_RATE[mode], weight_decay=0.01)
    plan = batches(pairs, tokenizer, epochs)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / WARMUP) * max(0.0, 1 - s / len(plan)))
    started, running = time.perf_counter(), []
    model.train()
    for step, rows in enumerate(plan):
        encoded = span_reader.encode_pairs(tokenizer, [r[0] for r in rows], [r[1] for r in rows])
        allowed, starts, ends = _targets(encoded, rows)
        encoded.pop("offset_mapping")
        with torch.autocast("cpu", dtype=torch.bfloat16):
            hidden = model(**encoded).last_hidden_state
        logits = head(hidden.float()).masked_fill(~allowed[..., None], -1e4)
        loss = 0
        for column, target in ((0, starts), (1, ends)):
            log_p = torch.log_softmax(logits[..., column], dim=1)
            loss = loss - torch.logsumexp(log_p.masked_fill(~target, -1e4), dim=1)
        weights = torch.tensor([r[5] for r in rows])
        loss = (loss * weights).sum() / weights.sum()
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimiser.step()
        schedule.step()
        running.append(loss.item())
        if step % 200 == 0:
            print(f"  step {step}/{len(plan)}, loss {np.mean(running[-200:]):.3f}, {time.perf_counter() - started:.0f} s",
                  flush=True)
    for name, lora_layer in adapters.items():  # the base layers back in place, so parameter names are the model's own
        parent, child = name.rsplit(".", 1)
        setattr(modules[parent], child, lora_layer.base)
    state = {"model": {k: v.detach().clone() for k, v in model.state_dict().items()},
             "head": {k: v.detach().clone() for k, v in head.state_dict().items()}}
    if path is None:
        return state
    lora = {n: (a.A.detach().numpy(), a.B.detach().numpy()) for n, a in adapters.items()}
    head_pair = (head.weight.detach().numpy(), head.bias.detach().numpy())
    info = {**info, "pairs": len(pairs), "steps": len(plan), "seconds": round(time.perf_counter() - started)}
    whole = tuple(n for n, p in model.named_parameters() if p.requires_grad and not adapter.trained(n))
    adapter.save_adapter(path, model, lora, head_pair, info, whole)
    return state


def read_records(path, records, indices, known: dict[str, list]) -> dict[str, list]:
    """Every record at `indices` read by the adapter at `path` as the app reads: its READ best passages."""
    model = span_reader.SpanReader(path)
    wanted = {oof_key(records[r]["query"], h.text): (records[r]["query"], h.text)
              for r in indices for h in records[r]["hits"][:READ]}
    keys = [k for k in wanted if k not in known]
    print(f"  reading {len(keys)} pairs ({len(wanted) - len(keys)} read before)", flush=True)
    readings = model.pairs([wanted[k][0] for k in keys], [wanted[k][1] for k in keys])
    return {**{k: known[k] for k in wanted if k in known}, **{k: r.as_list() for k, r in zip(keys, readings)}}


def held_out_by_adapters(folds: int) -> list[set[str]]:
    """The articles each fold adapter in bench/results held out. The folds were trained together,
    so every article then known was held out by exactly one of them: an adapter was trained on
    what its siblings held out, and an article none holds out (questions written since) none saw."""
    return [set(span_reader.SpanReader(RESULTS / f"span-fold{j}.npz").meta().get("held_out_groups", []))
            for j in range(folds)]


def save_oof(readings: dict[str, list]) -> None:
    tmp = OOF_FILE.with_name(OOF_FILE.name + ".tmp")
    tmp.write_text(json.dumps(readings), encoding="utf-8")
    tmp.replace(OOF_FILE)


def report(records, kinds, readings: dict[str, list]) -> dict[str, float]:
    """Held out: EM/F1 of the best span of the passage holding the answer (SQuAD), and the AUC of
    the best margin over the passages read, answerable against each kind of unanswerable."""
    em, f, margins = [], [], {"pos": [], "impossible": [], "fact": [], "absent": []}
    for record, kind in zip(records, kinds):
        got = [span_reader.Reading.from_list(readings[k]) for k in
               (oof_key(record["query"], h.text) for h in record["hits"][:READ]) if k in readings]
        if not got or kind not in margins or not record["item"]["group"].startswith("squad:"):
            continue
        margins[kind].append(max(r.margin for r in got))
        if kind == "pos" and record["condition"] == "present":
            hits = record["hits"][:READ]
            gold = [i for i, h in enumerate(hits) if h.article_id == record["item"]["paragraph"]
                    and _holds(h.text, record["item"]["gold"])]
            if gold and got[gold[0]].spans:
                span = got[gold[0]].spans[0]
                e, s = exact_and_f1(hits[gold[0]].text[span.start:span.end], record["item"]["gold"])
                em.append(e)
                f.append(s)
    if not em:
        return {}
    figures = {"exact_match": float(np.mean(em)), "f1": float(np.mean(f)), "questions": len(em)}
    print(f"  SQuAD, best span of the passage holding the answer: EM {figures['exact_match']:.3f}, "
          f"F1 {figures['f1']:.3f} ({len(em)} questions)")
    for negative in ("impossible", "fact", "absent"):
        if margins[negative]:
            y = [1] * len(margins["pos"]) + [0] * len(margins[negative])
            figures[f"auc_{negative}"] = auc = float(roc_auc_score(y, margins["pos"] + margins[negative]))
            print(f"  AUC of the best margin, answerable vs {negative}: {auc:.3f} ({len(margins[negative])})")
    return figures


def augmented(indices: list[int], records, kinds, args) -> list[tuple]:
    """Entity-swapped unanswerable pairs (`swapped`) for `args.swaps` of the answerable SQuAD
    questions at `indices`, their names and numbers drawn from the same records only."""
    if not args.swaps:
        return []
    rng, pool = random.Random(7), swap_pool(records, indices)
    return [p for i in indices if kinds[i] == "pos" and records[i]["condition"] == "present"
            and records[i]["item"]["group"].startswith("squad:") and rng.random() < args.swaps
            for p in swapped(records[i], pool, rng)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a quarter of the SQuAD questions")
    parser.add_argument("--folds", default="0,1,2,3,4", help="the folds to hold out in turn (\"\": none)")
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--no-final", action="store_true", help="do not train and write the shipped adapter")
    parser.add_argument("--rescore", action="store_true", help="read with the fold adapters already trained")
    parser.add_argument("--share", type=float, default=1.0, help="train on this share of each fold's pairs (pilots)")
    parser.add_argument("--mode", choices=("lora", "full"), default="full")
    parser.add_argument("--cloze", type=int, default=30000,
                        help="first train on this many cloze pairs from Reuters (cloze.py; 0: none)")
    parser.add_argument("--swaps", type=float, default=0.5,
                        help="this share of answerable SQuAD questions also gives an entity-swapped unanswerable one")
    parser.add_argument("--impossible-weight", type=float, default=2.0, help="weight of SQuAD 2.0's unanswerable pairs")
    args = parser.parse_args()
    records = observe_all(Embedder(), args.quick)
    torch.set_num_threads(2)
    kinds = _kinds(records)
    folds = folds_of(records)
    pairs = [(i, p if k != "impossible" else (*p[:5], args.impossible_weight))
             for i, (r, k) in enumerate(zip(records, kinds)) for p in pairs_of(r, k)]
    started = time.perf_counter()
    info = {"epochs": args.epochs, "rank": RANK, "batch": BATCH, "learning_rate": LEARNING_RATE, "read": READ,
            "quick": args.quick, "trained": dt.date.today().isoformat(), "swaps": args.swaps,
            "impossible_weight": args.impossible_weight}
    readings = load_oof() if OOF_FILE.exists() else {}
    known = readings if args.rescore else {}
    start = None
    if args.cloze:  # no fold's article is in Reuters: one start serves every fold
        cached = RESULTS / f"span-cloze-{args.cloze}-{args.mode}.pt"
        if cached.exists():
            start = torch.load(cached)
        else:
            start = train(cloze_pairs(args.cloze), 1.0, None, info, args.mode)
            torch.save(start, cached)
        info["cloze"] = args.cloze
    adapters_held = held_out_by_adapters(len(folds)) if args.rescore else []
    for k in (int(f) for f in args.folds.split(",") if f):
        held = folds[k][1].tolist()
        path = RESULTS / f"span-fold{k}.npz"
        groups_held = sorted({records[i]["item"]["group"] for i in held})
        if args.rescore:
            leaked = set(groups_held) & set().union(*(h for j, h in enumerate(adapters_held) if j != k))
            if leaked:
                raise SystemExit(f"{path} was trained on {len(leaked)} articles fold {k} now holds out "
                                 f"(e.g. {min(leaked)}): train again")
        else:
            held_set = set(held)
            train_pairs = [p for i, p in pairs if i not in held_set]
            train_pairs += augmented([i for i in range(len(records)) if i not in held_set], records, kinds, args)
            train_pairs = random.Random(k).sample(train_pairs, int(len(train_pairs) * args.share))
            print(f"fold {k}: {len(train_pairs)} training pairs, {len(held)} held-out question-conditions", flush=True)
            train(train_pairs, args.epochs, path, {**info, "fold": k, "held_out_groups": groups_held}, args.mode, start)
        fold_readings = read_records(path, records, held, known)
        readings.update(fold_readings)
        save_oof(readings)
        print(f"Held out, fold {k}:")
        info.setdefault("held_out", {})[str(k)] = report([records[i] for i in held], kinds[held], fold_readings)
    if not args.no_final and not args.rescore:
        everything = [p for _, p in pairs] + augmented(list(range(len(records))), records, kinds, args)
        print(f"final: {len(everything)} training pairs", flush=True)
        info["all_seconds"] = round(time.perf_counter() - started)  # the folds' training and reading, before the final
        train(everything, args.epochs, span_reader.ADAPTER_FILE, {**info, "fold": "all"}, args.mode, start)
        print(f"wrote {span_reader.ADAPTER_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
