"""The cross-encoder: the shipped adapter loads onto the packaged model and reads answers;
a damaged, foreign or outdated adapter is refused with a message saying what to do."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from assistant.answer import cross_encoder
from assistant.answer.cross_encoder import ADAPTER_FILE, CrossEncoder
from assistant.errors import ModelError

DATA = Path(__file__).with_name("data")


def _sentences(path) -> list[str]:
    text = re.sub(r"^---.*?---", "", path.read_text(encoding="utf-8"), flags=re.S)  # front matter off
    return [s for s in re.split(r"(?<=[.!?\"])\s+(?=[A-Z\"])", " ".join(text.split())) if s]


def test_the_shipped_adapter_reads_which_sentence_answers():
    """Questions in other words than two fixture articles the adapter never saw in training:
    the sentence holding the answer should score highest among its article's sentences.
    Chance is about 1.6 of 8 (4 and 7 sentences); the shipped adapter and all five fold
    adapters of 2026-12-02 got 5 to 7."""
    ferry, garage = _sentences(DATA / "tromso-ferry.txt"), _sentences(DATA / "trondheim-bicycle-garage.md")
    asked = [("How long will the ferry connection be out of service?", ferry, "at least three weeks"),
             ("How tall were the waves?", ferry, "six metres"),
             ("How much longer does the trip take on the substitute bus?", ferry, "forty minutes"),
             ("What has to happen before the quay can be fixed?", ferry, "Divers will inspect"),
             ("How many bikes fit in the new garage?", garage, "1,200"),
             ("What was the price of the garage?", garage, "85 million"),
             ("What job does Kari Nilsen have?", garage, "head of transport"),
             ("Where will the next bicycle garage be built?", garage, "Gløshaugen")]
    model = cross_encoder.load_cross_encoder()
    read = 0
    for question, sentences, answer in asked:
        logits = model.scores(question, sentences)
        assert logits.shape == (len(sentences),) and np.isfinite(logits).all()
        read += answer in sentences[int(logits.argmax())]
    assert read >= 5, read
    assert model.info["format"] == cross_encoder.ADAPTER_FORMAT and model.info["fold"] == "all"


def _arrays() -> dict[str, np.ndarray]:
    with np.load(ADAPTER_FILE, allow_pickle=False) as stored:
        return {k: stored[k] for k in stored.files}


def _write(path, arrays, **meta_changes):
    meta = json.loads(str(arrays["meta"]))
    arrays = {**arrays, "meta": np.array(json.dumps({**meta, **meta_changes}))}
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
    return path


def test_a_damaged_or_foreign_adapter_is_refused(tmp_path):
    arrays = _arrays()
    target = next(k for k in arrays if k.startswith("lora_a:"))
    cases = [
        (_write(tmp_path / "version.npz", arrays, version=99), "version 99"),
        (_write(tmp_path / "format.npz", arrays, format="pickle"), "adapter format 'pickle'"),
        (_write(tmp_path / "base.npz", arrays, base="0" * 16), "other base weights"),
        (_write(tmp_path / "missing.npz", {k: v for k, v in arrays.items() if k != "head_bias"}), "does not fit"),
        (_write(tmp_path / "nan.npz", {**arrays, target: np.full_like(arrays[target], np.nan)}), "not finite"),
        (_write(tmp_path / "shape.npz", {**arrays, target: arrays[target][:, :10]}), "LoRA of"),
    ]
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(ADAPTER_FILE.read_bytes()[:5000])
    cases.append((truncated, "Cannot read"))
    for path, message in cases:
        with pytest.raises(ModelError, match=message) as caught:
            CrossEncoder(path).scores("Who?", ["Somebody did it."])
        assert "train_cross_encoder.py" in str(caught.value) or "reinstall" in str(caught.value)
