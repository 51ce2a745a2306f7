"""The reader: what the span reader (span_reader.py) makes of the best passages decides.

The span reader reads the question with each of the retrieval's `read_passages` best passages
and gives each a "no answer" score and its best spans. Its *margin* in a passage is how far its
best span stands above "no answer" there; the question's margin is the best over the passages
read. That one number decides, calibrated on SQuAD half A (`bench/fit_reader.py`, article-level
cross-validation), as SQuAD 2.0 readers decide:

- the articles answer when the margin reaches `threshold`; the probability shown with an answer
  is a logistic curve fitted on the margin (`slope`, `intercept`);
- a candidate sentence's probability of holding the answer is the same curve at the margin of
  the best span inside it (FLOOR where the span reader did not read its passage, or kept no
  span inside it): the sentence holding the best span leads, and its span is the short answer;
- a decline says what the articles do not say when they speak of the question's topic: the
  *coverage* model, a logistic regression over COVERAGE_FEATURES (retrieval's and the span
  reader's view of the best passage), fitted on the same folds; else "don't cover this".

reader.json holds these numbers (versioned, never pickle); what is read back is checked: format
tag, version, feature names, shapes, finiteness and ranges.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np

from ..errors import ModelError
from .span_reader import Reading

READER_FILE = Path(__file__).with_name("reader.json")
READER_FORMAT = "news-assistant-reader"
READER_VERSION = 6
COVERAGE_FEATURES = ("best_margin", "top_null", "top_dense", "top_score")
FLOOR = -20.0  # the margin of a sentence the span reader did not read, or found no span in
_REFIT = "re-fit it with `python bench/fit_reader.py`"


def _floats(params: dict, key: str, part: str) -> np.ndarray:
    array = np.asarray(params[key], dtype=np.float64)
    if not np.isfinite(array).all():
        raise ValueError(f"{part} {key} not finite")
    return array


@dataclass(frozen=True)
class Linear:
    """The coverage model: z = ((x - mean) / scale) · coef + intercept (a standardised logistic regression)."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def logits(self, rows: np.ndarray) -> np.ndarray:
        return ((rows - self.mean) / self.scale) @ self.coef + self.intercept if len(rows) else np.zeros(0)

    def as_dict(self) -> dict:
        return {"kind": "linear", "mean": self.mean.tolist(), "scale": self.scale.tolist(), "coef": self.coef.tolist(),
                "intercept": float(self.intercept)}

    @classmethod
    def from_dict(cls, params: dict, width: int, part: str) -> Linear:
        arrays = [_floats(params, key, part) for key in ("mean", "scale", "coef")]
        if any(a.shape != (width,) for a in arrays):
            raise ValueError(f"{part} weights of the wrong shape")
        if (arrays[1] <= 0).any():
            raise ValueError(f"{part} scale not positive")
        return cls(*arrays, float(_floats(params, "intercept", part)))


def sigmoid(z: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))


def best_margin(readings: Sequence[Reading]) -> float:
    """The question's margin: its best span's lead over "no answer", the best over the passages read."""
    return max((max(r.margin, FLOOR) for r in readings), default=FLOOR)


def sentence_margins(candidates, hits, readings: Sequence[Reading]) -> np.ndarray:
    """Per candidate sentence: the margin of the best span inside it over its passage's "no answer"."""
    out = np.full(len(candidates), FLOOR)
    for i, c in enumerate(candidates):
        if c.rank < len(readings):
            span = readings[c.rank].best_within(*hits[c.rank].sentences[c.index])
            if span is not None:
                out[i] = max(FLOOR, span.score - readings[c.rank].null)
    return out


def coverage_row(readings: Sequence[Reading], hits) -> np.ndarray:
    return np.array([best_margin(readings), readings[0].null if readings else 0.0,
                     hits[0].dense if hits else 0.0, hits[0].score if hits else 0.0])


class Verdict(NamedTuple):
    probabilities: np.ndarray  # per candidate: holds the answer
    answered: float  # the probability that the articles answer the question
    margin: float  # the question's margin (best_margin)
    covered: float  # the articles speak of what it asks about


@dataclass(frozen=True)
class Reader:
    threshold: float  # the margin at which the articles answer
    slope: float  # probability = sigmoid(slope · margin + intercept)
    intercept: float
    coverage: Linear
    read_passages: int  # the retrieval's best passages the span reader reads
    short_margin: float  # a short answer stands this far above "no answer" in its passage
    short_margin_why: float  # the same for why-questions (questions.asks_why); inf: none is shown
    info: dict

    def probability(self, margins: np.ndarray | float) -> np.ndarray:
        return sigmoid(self.slope * np.asarray(margins, dtype=np.float64) + self.intercept)

    def answers(self, margin: float) -> bool:
        return margin >= self.threshold

    def read(self, candidates, hits, readings: Sequence[Reading]) -> Verdict:
        margin = best_margin(readings)
        covered = float(sigmoid(self.coverage.logits(coverage_row(readings, hits)[None])[0]))
        return Verdict(self.probability(sentence_margins(candidates, hits, readings)), float(self.probability(margin)),
                       margin, covered)


def reader_from(params: dict, source: str) -> Reader:
    if params.get("format") != READER_FORMAT or params.get("version") != READER_VERSION:
        raise ModelError(f"{source} is reader format {params.get('format')!r} version {params.get('version')!r}, "
                         f"not {READER_FORMAT!r} version {READER_VERSION}: {_REFIT}.")
    try:
        numbers = {k: float(params[k]) for k in ("threshold", "slope", "intercept", "short_margin")}
        if not all(math.isfinite(v) for v in numbers.values()) or numbers["slope"] <= 0:
            raise ValueError(f"threshold, slope, intercept or short margin out of range: {numbers}")
        coverage = params["coverage"]
        if not isinstance(coverage, dict):
            raise ValueError("coverage not a mapping")
        if tuple(coverage.get("features", ())) != COVERAGE_FEATURES:
            raise ModelError(f"{source}: its coverage model was fitted on other features than this program computes: "
                             f"{_REFIT}.")
        read = params["read_passages"]
        if type(read) is not int or not 1 <= read <= 10:
            raise ValueError(f"read_passages {read!r} not a number of passages from 1 to 10")
        why = math.inf if params["short_margin_why"] is None else float(params["short_margin_why"])  # null: never
        if not math.isfinite(why) and why != math.inf:
            raise ValueError("short_margin_why neither a number nor null")
        return Reader(numbers["threshold"], numbers["slope"], numbers["intercept"],
                      Linear.from_dict(coverage, len(COVERAGE_FEATURES), "coverage"), read, numbers["short_margin"],
                      why, params.get("cv", {}))
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{source} is damaged ({exc}): {_REFIT}.") from None


def params_of(fitted: Reader) -> dict:
    """What reader.json holds (the inverse of `reader_from`)."""
    return {"format": READER_FORMAT, "version": READER_VERSION, "threshold": fitted.threshold, "slope": fitted.slope,
            "intercept": fitted.intercept, "short_margin": fitted.short_margin,
            "short_margin_why": None if fitted.short_margin_why == math.inf else fitted.short_margin_why,
            "read_passages": fitted.read_passages,
            "coverage": {"features": list(COVERAGE_FEATURES), **fitted.coverage.as_dict()}, "cv": fitted.info}


@lru_cache(maxsize=4)
def load_reader(path: Path = READER_FILE) -> Reader:
    try:
        params = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"Cannot read the reader's parameters {path} ({exc}): reinstall the package.") from None
    return reader_from(params, str(path))
