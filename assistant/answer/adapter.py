"""The span reader's weights file (`span_reader.npz`): what training writes and loading checks.

It holds only what fine-tuning changed from the packaged all-MiniLM-L6-v2: every bias and
LayerNorm term, the weight matrices of the layers fine-tuned whole (in int8 with a scale per
row, as int8.py serves them: nothing is lost that serving keeps) or the LoRA pairs of a low-rank
update, and the start/end head; numpy arrays, no pickle, with a JSON `meta` entry (format,
version, the base model's fingerprint, how it was trained). Loading merges it into a private
copy of the base model after checking every array's name, shape and finiteness.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..embedding import DEFAULT_MODEL, Embedder
from ..errors import ModelError

ADAPTER_FORMAT = "news-assistant-span-reader"
ADAPTER_VERSION = 1
RETRAIN = "re-train it with `python bench/train_span_reader.py`"
LORA_PARTS = ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
              "intermediate.dense", "output.dense")


def lora_targets(model) -> list[str]:
    """Names of the linear layers the adapter updates (`encoder.layer.N.attention.self.query`, …)."""
    return [f"encoder.layer.{i}.{part}" for i in range(len(model.encoder.layer)) for part in LORA_PARTS]


def trained(name: str) -> bool:
    """The base parameters the adapter replaces: biases and LayerNorm terms (not the unused pooler)."""
    return ("bias" in name or "LayerNorm" in name) and not name.startswith("pooler")


def base_model_path() -> Path:
    """The packaged all-MiniLM-L6-v2 (whatever model the index uses: the adapter was trained on this one)."""
    return Embedder(DEFAULT_MODEL).path


def save_adapter(path: Path, model, lora: dict[str, tuple[np.ndarray, np.ndarray]], head: tuple[np.ndarray, np.ndarray],
                 info: dict, whole: tuple[str, ...] = ()) -> None:
    """Write the adapter: the trained base parameters, the `whole` weight matrices fine-tuned whole
    (in int8 with a scale per row, as int8.py serves them: nothing is lost that serving keeps),
    each LoRA pair (A, B) and the start/end head."""
    from ..int8 import symmetric_int8

    arrays = {}
    for name, parameter in model.named_parameters():
        value = parameter.detach().float()
        if name in whole and value.dim() == 2:
            quantised, scale = symmetric_int8(value)
            arrays[f"int8:{name}"], arrays[f"scale:{name}"] = quantised.numpy(), scale.numpy()
        elif trained(name) or name in whole:
            arrays[f"param:{name}"] = value.numpy()
    for name, (a, b) in lora.items():
        arrays[f"lora_a:{name}"], arrays[f"lora_b:{name}"] = a.astype(np.float32), b.astype(np.float32)
    arrays["head_weight"] = np.asarray(head[0], dtype=np.float32)
    arrays["head_bias"] = np.asarray(head[1], dtype=np.float32)
    meta = {"format": ADAPTER_FORMAT, "version": ADAPTER_VERSION, "base": Embedder(DEFAULT_MODEL).fingerprint, **info}
    arrays["meta"] = np.array(json.dumps(meta))
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    tmp.replace(path)


def merge_adapter(model, arrays: dict[str, np.ndarray], path: Path) -> None:
    """Copy the trained base parameters into `model` (at least its biases and LayerNorm terms, and
    whole weight matrices where they were fine-tuned whole, stored in int8 with a scale per row)
    and add each LoRA update to its weight, checked."""
    import torch

    params = dict(model.named_parameters())
    floats = {k[6:] for k in arrays if k.startswith("param:")}
    whole = {k[5:] for k in arrays if k.startswith("int8:")}
    lora = {k for k in arrays if k.startswith("lora_")}
    expected_lora = {f"{kind}:{t}" for t in lora_targets(model) for kind in ("lora_a", "lora_b")} if lora else set()
    unknown = ((floats | whole) - set(params)) | (floats & whole) | (lora ^ expected_lora)
    unknown |= {n for n in params if trained(n)} - floats
    unknown |= set(arrays) - {f"param:{n}" for n in floats} - {f"{kind}:{n}" for n in whole for kind in ("int8", "scale")} \
        - lora - {"head_weight", "head_bias"}
    if unknown or "head_weight" not in arrays or "head_bias" not in arrays:
        raise ModelError(f"{path} does not fit this model (arrays {sorted(unknown)[:3]}…): {RETRAIN}.")
    bad = [k for k, a in arrays.items() if a.dtype != np.int8 and not np.isfinite(a).all()]
    if bad:
        raise ModelError(f"{path} is damaged (not finite: {bad[0]}): {RETRAIN}.")
    values = {n: arrays[f"param:{n}"] for n in floats}
    for name in whole:
        quantised, scale = arrays[f"int8:{name}"], arrays[f"scale:{name}"]
        if quantised.dtype != np.int8 or quantised.ndim != 2 or scale.shape != (quantised.shape[0],):
            raise ModelError(f"{path} is damaged (int8:{name} of shape {quantised.shape}): {RETRAIN}.")
        values[name] = quantised.astype(np.float32) * scale[:, None]
    with torch.no_grad():
        for name, value in values.items():
            target = params[name]
            if tuple(value.shape) != tuple(target.shape):
                raise ModelError(f"{path} is damaged ({name} has shape {value.shape}): {RETRAIN}.")
            target.copy_(torch.from_numpy(value))
        for name in lora_targets(model) if lora else []:
            weight = params[f"{name}.weight"]
            a, b = arrays[f"lora_a:{name}"], arrays[f"lora_b:{name}"]
            if b.shape[0] != weight.shape[0] or a.shape[1] != weight.shape[1] or a.shape[0] != b.shape[1]:
                raise ModelError(f"{path} is damaged (LoRA of {name} has shapes {a.shape}, {b.shape}): {RETRAIN}.")
            weight += torch.from_numpy(b @ a)
