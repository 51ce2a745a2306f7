"""The span reader: the shipped adapter loads onto the packaged model, finds the words that answer
and says "no answer" where a passage has none; any question length reads; a pair reads the same
alone or with others; a damaged, foreign or outdated adapter is refused with what to do."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from assistant.answer import adapter, span_reader
from assistant.answer.span_reader import ADAPTER_FILE, SpanReader
from assistant.errors import ModelError

DATA = Path(__file__).with_name("data")


def _paragraphs(path) -> list[str]:
    text = re.sub(r"^---.*?---", "", path.read_text(encoding="utf-8"), flags=re.S)  # front matter off
    return [p.strip() for p in text.split("\n\n") if len(p.split()) > 8]


FERRY, GARAGE = _paragraphs(DATA / "tromso-ferry.txt"), _paragraphs(DATA / "trondheim-bicycle-garage.md")
# Questions in other words than two fixture articles no reader saw in training, with the words that answer.
ASKED = [("How long will the ferry connection be out of service?", FERRY, "at least three weeks"),
         ("How tall were the waves?", FERRY, "six metres"),
         ("How much longer does the trip take on the substitute bus?", FERRY, "forty minutes"),
         ("When did the storm hit the quay?", FERRY, "Sunday night"),
         ("How many bikes fit in the new garage?", GARAGE, "1,200"),
         ("What was the price of the garage?", GARAGE, "85 million kroner"),
         ("What job does Kari Nilsen have?", GARAGE, "head of transport"),
         ("Where will the next bicycle garage be built?", GARAGE, "Gløshaugen")]
# On the same topics, asking what the articles do not say.
MISSING = [("How much will the repairs to the quay cost?", FERRY), ("How many passengers use the ferry each day?", FERRY),
           ("Who designed the bicycle garage?", GARAGE), ("How much does it cost to park a bike in the garage?", GARAGE)]


def _overlap(found: str, answer: str) -> bool:
    a, b = set(re.findall(r"\w+", found.lower())), set(re.findall(r"\w+", answer.lower()))
    return len(a & b) >= max(1, len(b) // 2)


def test_the_shipped_reader_finds_the_words_that_answer_and_knows_when_none_do():
    model = span_reader.load_span_reader()
    found, margins = 0, []
    for question, passages, answer in ASKED:
        readings = model.read(question, passages)
        best = max(range(len(passages)), key=lambda i: readings[i].margin)
        span = readings[best].spans[0]
        found += _overlap(passages[best][span.start:span.end], answer)
        margins.append(readings[best].margin)
    assert found >= 6, found
    missing = [max(r.margin for r in model.read(question, passages)) for question, passages in MISSING]
    # the answerable questions' best margins stand above those of the questions the articles miss
    assert np.median(margins) > np.median(missing), (margins, missing)
    assert model.info["format"] == adapter.ADAPTER_FORMAT and model.info["fold"] == "all"


def test_a_pair_reads_the_same_alone_or_with_others_and_any_question_length_reads():
    model = span_reader.load_span_reader()
    questions = [q for q, _, _ in ASKED]
    passages = [p[0] for _, p, _ in ASKED]
    together = model.pairs(questions, passages)
    assert together == [model.read(q, [p])[0] for q, p in zip(questions, passages)]
    for question in ("x" * 20_000, "Why? " * 4_000, "日本" * 3_000, "?"):
        reading = model.read(question, [GARAGE[0]])[0]
        assert np.isfinite(reading.null) and all(0 <= s.start < s.end <= len(GARAGE[0]) for s in reading.spans)


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
    floats = next(k for k in arrays if k.startswith("param:"))
    whole = next((k for k in arrays if k.startswith("int8:")), None)
    cases = [
        (_write(tmp_path / "version.npz", arrays, version=99), "version 99"),
        (_write(tmp_path / "format.npz", arrays, format="pickle"), "span reader format 'pickle'"),
        (_write(tmp_path / "base.npz", arrays, base="0" * 16), "other base weights"),
        (_write(tmp_path / "missing.npz", {k: v for k, v in arrays.items() if k != "head_bias"}), "does not fit"),
        (_write(tmp_path / "extra.npz", {**arrays, "param:pooler.dense.weight2": arrays[floats]}), "does not fit"),
        (_write(tmp_path / "nan.npz", {**arrays, floats: np.full_like(arrays[floats], np.nan)}), "not finite"),
        (_write(tmp_path / "head.npz", {**arrays, "head_weight": arrays["head_weight"][:1]}), "head of shape"),
    ]
    if whole:
        cases.append((_write(tmp_path / "shape.npz", {**arrays, whole: arrays[whole][:, :10]}), "shape"))
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(ADAPTER_FILE.read_bytes()[:5000])
    cases.append((truncated, "Cannot read"))
    for path, message in cases:
        with pytest.raises(ModelError, match=message) as caught:
            SpanReader(path).read("Who?", ["Somebody did it."])
        assert "train_span_reader.py" in str(caught.value) or "reinstall" in str(caught.value)
