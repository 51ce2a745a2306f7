"""The fitted reader: three standardised logistic regressions, shipped as versioned JSON,
and the cross-encoder (cross_encoder.py) they consult.

- the *ranker*, over scorer.FEATURES of each candidate sentence: cheap features of every
  candidate, fitted on answerable questions only (so that questions the articles miss do not
  teach it to distrust good sentences); its best `shortlist` candidates go on;
- the *combiner*, over CROSS_FEATURES of each shortlisted candidate: the ranker's logit and
  the cross-encoder's, which reads the question and the sentence together; the probability
  that the sentence holds the answer, given that some sentence does;
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
from typing import Callable

import numpy as np

from ..errors import ModelError
from . import scorer

READER_FILE = Path(__file__).with_name("reader.json")
READER_FORMAT = "news-assistant-reader"
READER_VERSION = 3
CROSS_FEATURES = ("ranker_logit", "cross_logit")
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


# The cross-encoder's logits for some candidates, given their indices: the live model in the
# app (ExtractiveComposer), out-of-fold scores in bench/fit_reader.py.
CrossScores = Callable[[np.ndarray], np.ndarray]


def best(logits: np.ndarray, n: int) -> np.ndarray:
    """Indices of the `n` highest logits, highest first, ties in order: the shortlist the
    cross-encoder reads (serving, fitting and training choose it alike)."""
    return np.argsort(-logits, kind="stable")[:n]


@dataclass(frozen=True)
class Reader:
    ranker: Linear
    combiner: Linear
    abstainer: Linear
    threshold: float
    shortlist: int  # candidates the cross-encoder reads, the ranker's best
    info: dict

    def evidence(self, observation: scorer.Observation, cross: CrossScores) -> tuple[np.ndarray, np.ndarray]:
        """(each candidate's logit of holding the answer, the question's QUESTION_FEATURES row).

        Candidates off the shortlist are combined with the lowest cross-encoder logit of the
        shortlist: the ranker placed them below every sentence the cross-encoder read."""
        first = self.ranker.logits(observation.rows)
        top = best(first, self.shortlist)
        read = np.asarray(cross(top), dtype=np.float64) if len(top) else np.zeros(0)
        floor = np.full(len(first), read.min() if len(read) else 0.0)
        floor[top] = read
        logits = self.combiner.logits(np.column_stack([first, floor])) if len(first) else first
        return logits, scorer.question_features(observation, logits, top, read)

    def read(self, observation: scorer.Observation, cross: CrossScores) -> tuple[np.ndarray, float]:
        """(each candidate's probability of holding the answer, the probability that the question is answered)."""
        logits, question = self.evidence(observation, cross)
        return sigmoid(logits), float(sigmoid(self.abstainer.logits(question[None])[0]))


def linear_from(params: dict, names: tuple[str, ...], part: str, source: str) -> Linear:
    """One part of reader.json (its feature names, standardisation and weights), checked."""
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
        ranker = linear_from(params["ranker"], scorer.FEATURES, "ranker", source)
        combiner = linear_from(params["combiner"], CROSS_FEATURES, "combiner", source)
        abstainer = linear_from(params["abstainer"], scorer.QUESTION_FEATURES, "abstainer", source)
        threshold, shortlist = float(params["threshold"]), params["shortlist"]
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold {threshold} outside (0, 1)")
        if type(shortlist) is not int or not 1 <= shortlist <= 20:
            raise ValueError(f"shortlist {shortlist!r} not a number of candidates from 1 to 20")
        return Reader(ranker, combiner, abstainer, threshold, shortlist, params.get("cv", {}))
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{source} is damaged ({exc}): {_REFIT}.") from None


def params_of(fitted: Reader) -> dict:
    """What reader.json holds (the inverse of `reader_from`)."""
    return {"format": READER_FORMAT, "version": READER_VERSION, "threshold": float(fitted.threshold),
            "shortlist": fitted.shortlist,
            "ranker": {"features": list(scorer.FEATURES), **fitted.ranker.as_dict()},
            "combiner": {"features": list(CROSS_FEATURES), **fitted.combiner.as_dict()},
            "abstainer": {"features": list(scorer.QUESTION_FEATURES), **fitted.abstainer.as_dict()},
            "cv": fitted.info}


@lru_cache(maxsize=4)
def load_reader(path: Path = READER_FILE) -> Reader:
    try:
        params = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"Cannot read the reader's parameters {path} ({exc}): reinstall the package.") from None
    return reader_from(params, str(path))
