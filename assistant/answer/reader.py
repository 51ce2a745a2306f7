"""The fitted reader: two standardised logistic regressions, shipped as versioned JSON.

- the *ranker*, over scorer.FEATURES of each candidate sentence: the probability that the
  sentence holds the answer, given that some sentence does (fitted on answerable questions
  only, so that questions the articles miss do not teach it to distrust good sentences);
- the *abstainer*, over scorer.QUESTION_FEATURES: the probability that the articles answer
  the question at all. The composer declines below `threshold`.

`bench/fit_reader.py` fits both with article-level cross-validation and writes
`reader.json` (weights, standardisation, the threshold and the held-out figures behind
them; never pickle). What is read back is checked: format tag, version, feature names,
shapes and finiteness.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import ModelError
from . import scorer

READER_FILE = Path(__file__).with_name("reader.json")
READER_FORMAT = "news-assistant-reader"
READER_VERSION = 2
_REFIT = "re-fit it with `python bench/fit_reader.py`"


@dataclass(frozen=True)
class Linear:
    """z = ((x - mean) / scale) · coef + intercept."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def logits(self, rows: np.ndarray) -> np.ndarray:
        return ((rows - self.mean) / self.scale) @ self.coef + self.intercept if len(rows) else np.zeros(0)

    def as_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "scale": self.scale.tolist(), "coef": self.coef.tolist(),
                "intercept": float(self.intercept)}


def sigmoid(z: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))


@dataclass(frozen=True)
class Reader:
    ranker: Linear
    abstainer: Linear
    threshold: float
    info: dict

    def read(self, observation: scorer.Observation) -> tuple[np.ndarray, float]:
        """(each candidate's probability of holding the answer, the probability that the question is answered)."""
        logits = self.ranker.logits(observation.rows)
        question = scorer.question_features(observation, logits)
        return sigmoid(logits), float(sigmoid(self.abstainer.logits(question[None])[0]))


def _linear(params: dict, names: tuple[str, ...], part: str, source: str) -> Linear:
    if tuple(params.get("features", ())) != names:
        raise ModelError(f"{source}: its {part} was fitted on other features than this program computes: {_REFIT}.")
    arrays = [np.asarray(params[k], dtype=np.float64) for k in ("mean", "scale", "coef")]
    if any(a.shape != (len(names),) for a in arrays) or not all(np.isfinite(a).all() for a in arrays):
        raise ValueError(f"{part} weights of the wrong shape or not finite")
    if (arrays[1] <= 0).any():
        raise ValueError(f"{part} scale not positive")
    return Linear(*arrays, float(params["intercept"]))


def reader_from(params: dict, source: str) -> Reader:
    if params.get("format") != READER_FORMAT or params.get("version") != READER_VERSION:
        raise ModelError(f"{source} is reader format {params.get('format')!r} version {params.get('version')!r}, "
                         f"not {READER_FORMAT!r} version {READER_VERSION}: {_REFIT}.")
    try:
        ranker = _linear(params["ranker"], scorer.FEATURES, "ranker", source)
        abstainer = _linear(params["abstainer"], scorer.QUESTION_FEATURES, "abstainer", source)
        threshold = float(params["threshold"])
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold {threshold} outside (0, 1)")
        return Reader(ranker, abstainer, threshold, params.get("cv", {}))
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{source} is damaged ({exc}): {_REFIT}.") from None


def params_of(ranker: Linear, abstainer: Linear, threshold: float, cv: dict) -> dict:
    """What reader.json holds (the inverse of `reader_from`)."""
    return {"format": READER_FORMAT, "version": READER_VERSION, "threshold": float(threshold),
            "ranker": {"features": list(scorer.FEATURES), **ranker.as_dict()},
            "abstainer": {"features": list(scorer.QUESTION_FEATURES), **abstainer.as_dict()}, "cv": cv}


@lru_cache(maxsize=4)
def load_reader(path: Path = READER_FILE) -> Reader:
    try:
        params = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"Cannot read the reader's parameters {path} ({exc}): reinstall the package.") from None
    return reader_from(params, str(path))
