"""Train the span reader (assistant/answer/span_reader.npz) on the SQuAD v1.1 training set.

    python bench/train_span_reader.py [--questions N] [--milestones 10000,30000] [--batch 32]
                                      [--lr 1e-4] [--no-ship] [--fresh]

Pairs come from bench/squad_pairs.py: every training question with a window of its paragraph
holding the answer, and unanswerable pairs made from the same set ("no answer" at [CLS]). The
model is the packaged all-MiniLM-L6-v2 with a start/end head; encoder layers 2-5 are trained
whole (shipped in int8, under 10 MB), layers 0-1 and the embeddings stay the package's (no
gradient flows below layer 2, which makes a step about a fifth cheaper on a CPU). One pass,
AdamW, linear warm-up then linear decay to zero. fp32: bfloat16 autocast runs 20x slower on a
CPU without bf16 instructions. On a CUDA device, when one is present, the same recipe runs there.

The questions are one shuffled list; training runs over it in segments (the first 10k, up to
30k, then the rest), and at the end of each segment the adapter as it stands is written to
bench/results/span-reader-<N>q.npz, so bench/fit_reader.py can read half A with each and print
the curve (more data or not). It checkpoints every CHECKPOINT_EVERY steps to bench/results and a
rerun with the same arguments resumes there; its log (bench/results/span-train.log) has the time
of each stretch and the data's sha256. None of half A (the calibration and validation set) is
trained on.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import time

import numpy as np
import torch
import squad_pairs
from common import ROOT

from assistant.answer import adapter, span_reader

RESULTS = ROOT / "bench" / "results"
CHECKPOINT = RESULTS / "span-train.ckpt.pt"
LOG = RESULTS / "span-train.log"
CHECKPOINT_EVERY = 200
WARMUP = 200
FROZEN_BELOW = 2  # encoder layers under this one keep the package's weights


def log(message: str) -> None:
    line = f"{dt.datetime.now().isoformat(timespec='seconds')} {message}"
    print(line, flush=True)
    with open(LOG, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def plan(pairs: list[dict], questions: int, milestones: list[int], batch: int) -> tuple[list[list[int]], list[int]]:
    """Batches (indices into `pairs`) over the first `questions` questions, segment by segment,
    each of pairs of similar length (padding is wasted work) in random order; and the number of
    batches done at the end of each segment."""
    rng = random.Random(0)
    bounds = sorted({m for m in milestones if m < questions} | {questions})
    out, ends, low = [], [], 0
    lengths = [len(p["question"]) + len(p["passage"]) for p in pairs]
    for high in bounds:
        members = [i for i, p in enumerate(pairs) if low <= p["n"] < high]
        rng.shuffle(members)
        segment = []
        for start in range(0, len(members), batch * 50):
            pool = sorted(members[start:start + batch * 50], key=lengths.__getitem__)
            segment += [pool[j:j + batch] for j in range(0, len(pool), batch)]
        rng.shuffle(segment)
        out += segment
        ends.append(len(out))
        low = high
    return out, ends


def targets(encoded, rows: list[dict]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per pair: the positions a start or end may take ([CLS] and the passage's pieces) and the
    target's start and end positions (the answer's first and last pieces, or [CLS] for none)."""
    n, length = encoded["input_ids"].shape
    allowed = torch.zeros(n, length, dtype=torch.bool)
    starts, ends = torch.zeros(n, dtype=torch.long), torch.zeros(n, dtype=torch.long)
    for k, row in enumerate(rows):
        offsets = encoded["offset_mapping"][k].tolist()
        passage = [t for t, sid in enumerate(encoded.sequence_ids(k)) if sid == 1]
        allowed[k, 0] = True
        allowed[k, passage] = True
        inside = [t for t in passage if offsets[t][0] < row["end"] and offsets[t][1] > row["start"]]
        if row["end"] > row["start"] and inside:
            starts[k], ends[k] = inside[0], inside[-1]
    return allowed, starts, ends


def make_model(device: str):
    from transformers import AutoModel, AutoTokenizer

    base = str(adapter.base_model_path())
    tokenizer, model = AutoTokenizer.from_pretrained(base), AutoModel.from_pretrained(base)
    trainable = lambda name: (name.startswith("encoder.layer.")  # noqa: E731
                              and int(name.split(".")[2]) >= FROZEN_BELOW)
    for name, parameter in model.named_parameters():
        parameter.requires_grad = trainable(name)
    torch.manual_seed(0)
    head = torch.nn.Linear(model.config.hidden_size, 2)
    return tokenizer, model.to(device), head.to(device)


def save(model, head, path, info: dict) -> None:
    """The adapter file as serving loads it (adapter.save_adapter: the trained layers in int8)."""
    whole = tuple(n for n, p in model.named_parameters() if p.requires_grad and p.dim() == 2)
    cpu_model = model.to("cpu")
    adapter.save_adapter(path, cpu_model, (head.weight.detach().cpu().numpy(), head.bias.detach().cpu().numpy()),
                         info, whole)
    model.to(next(head.parameters()).device)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=0, help="train on the first N questions (0: all)")
    parser.add_argument("--milestones", default="10000,30000", help="also write the adapter after these many questions")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--no-ship", action="store_true", help="do not write assistant/answer/span_reader.npz")
    parser.add_argument("--fresh", action="store_true", help="ignore a checkpoint and start again")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cpu":
        torch.set_num_threads(max(1, torch.get_num_threads()))
    tokenizer, model, head = make_model(device)
    pairs, data = squad_pairs.load(RESULTS, tokenizer)
    questions = args.questions or data["data_questions"]
    milestones = [int(m) for m in args.milestones.split(",") if m]
    batches, ends = plan(pairs, questions, milestones, args.batch)
    config = {"questions": questions, "milestones": milestones, "batch": args.batch, "lr": args.lr,
              "frozen_below": FROZEN_BELOW, "warmup": WARMUP, **data}
    parameters = [p for p in model.parameters() if p.requires_grad] + list(head.parameters())
    optimiser = torch.optim.AdamW(parameters, lr=args.lr, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / WARMUP) * max(0.0, 1 - s / len(batches)))
    step, seconds = 0, 0.0
    if CHECKPOINT.exists() and not args.fresh:
        state = torch.load(CHECKPOINT, map_location=device)
        if state["config"] != config:
            raise SystemExit(f"{CHECKPOINT} was made with other arguments or data: rerun with --fresh")
        model.load_state_dict(state["model"])
        head.load_state_dict(state["head"])
        optimiser.load_state_dict(state["optimiser"])
        schedule.load_state_dict(state["schedule"])
        step, seconds = state["step"], state["seconds"]
        log(f"resumed at step {step}/{len(batches)} ({seconds:.0f} s trained)")
    else:
        log(f"start: {len(batches)} steps over {questions} questions on {device}; {json.dumps(config)}")
    model.train()
    started, running = time.perf_counter() - seconds, []
    while step < len(batches):
        rows = [pairs[i] for i in batches[step]]
        encoded = span_reader.encode_pairs(tokenizer, [r["question"] for r in rows], [r["passage"] for r in rows])
        allowed, starts, ends_ = targets(encoded, rows)
        encoded.pop("offset_mapping")
        hidden = model(**{k: v.to(device) for k, v in encoded.items()}).last_hidden_state
        logits = head(hidden).masked_fill(~allowed[..., None].to(device), -1e4)
        loss = (torch.nn.functional.cross_entropy(logits[..., 0], starts.to(device))
                + torch.nn.functional.cross_entropy(logits[..., 1], ends_.to(device)))
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimiser.step()
        schedule.step()
        step += 1
        running.append(loss.item())
        elapsed = time.perf_counter() - started
        if step % CHECKPOINT_EVERY == 0 or step == len(batches):
            tmp = CHECKPOINT.with_name(CHECKPOINT.name + ".tmp")
            torch.save({"config": config, "model": model.state_dict(), "head": head.state_dict(),
                        "optimiser": optimiser.state_dict(), "schedule": schedule.state_dict(), "step": step,
                        "seconds": elapsed}, tmp)
            tmp.replace(CHECKPOINT)
            log(f"step {step}/{len(batches)}, loss {np.mean(running[-CHECKPOINT_EVERY:]):.3f}, {elapsed:.0f} s")
        if step in ends:
            done = ([m for m in milestones if m < questions] + [questions])[ends.index(step)]
            info = {**config, "trained_questions": done, "steps": step, "seconds": round(elapsed),
                    "device": device, "trained": dt.date.today().isoformat()}
            path = RESULTS / f"span-reader-{done}q.npz"
            save(model, head, path, info)
            log(f"wrote {path.relative_to(ROOT)} after {done} questions, {elapsed:.0f} s")
            if done == questions and not args.no_ship:
                save(model, head, span_reader.ADAPTER_FILE, info)
                log(f"wrote {span_reader.ADAPTER_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
