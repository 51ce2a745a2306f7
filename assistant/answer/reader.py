"""The fitted reader: four models (models.py: a standardised logistic regression or gradient-
boosted trees each), shipped as versioned JSON, over what the span reader (span_reader.py)
makes of the best passages.

- the *ranker*, over features.FEATURES of each candidate sentence: cheap features of every
  candidate, fitted on answerable questions only (so that questions the articles miss do not
  teach it to distrust good sentences);
- the *combiner*, over SPAN_FEATURES of each candidate: the ranker's logit, how far the best
  span the span reader finds inside the sentence stands above "no answer" in its passage, and
  that passage's own margin; the probability that the sentence holds the answer, given that
  some sentence does. Trees: held out, they lead with the answer more often than a linear
  combiner did, most on news (docs/experiments.md);
- the *abstainer*, over features.QUESTION_FEATURES + READING_FEATURES: the probability that the
  articles answer the question at all. The composer declines below `threshold`;
- the *coverage* model, over the same features: the probability that the articles speak of
  what the question is about, answered or not (a decline then says what they do not say).

`bench/fit_reader.py` fits them with article-level cross-validation on the span reader's
out-of-fold readings and writes `reader.json` (weights, standardisation, the threshold, the
number of passages read, the margin a short answer needs and the held-out figures behind them;
never pickle). What is read back is checked: format tag, version, feature names, shapes,
finiteness, and that every tree is a tree (models.py).
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
from . import features
from .models import Linear, Trees, model_from
from .span_reader import Reading

READER_FILE = Path(__file__).with_name("reader.json")
READER_FORMAT = "news-assistant-reader"
READER_VERSION = 5
SPAN_FEATURES = ("ranker_logit", "span_margin", "passage_margin", "span_gap", "holds_best")
READING_FEATURES = ("best_margin", "second_margin", "best_span", "top_null", "lead_span_margin")
FLOOR = -20.0  # the margin of a sentence the span reader did not read, or found no span in
_REFIT = "re-fit it with `python bench/fit_reader.py`"


def sigmoid(z: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))


def span_rows(candidates, hits, readings: Sequence[Reading]) -> np.ndarray:
    """Per candidate: its best span's margin over "no answer", its passage's margin (FLOOR where
    the span reader did not read its passage, it reads the `read` best, or kept no span inside
    it), how far its span's margin falls below the best candidate's, and whether it holds the
    best span of all the passages read."""
    rows = np.full((len(candidates), 2), FLOOR)
    best_of_all = max(((r.margin, k) for k, r in enumerate(readings) if r.spans), default=None)
    holds = np.zeros(len(candidates))
    for i, c in enumerate(candidates):
        if c.rank < len(readings):
            reading = readings[c.rank]
            start, end = hits[c.rank].sentences[c.index]
            best = reading.best_within(start, end)
            rows[i] = (best.score - reading.null if best else FLOOR, reading.margin)
            if best_of_all and best_of_all[1] == c.rank and reading.spans[0] == best:
                holds[i] = 1.0
    rows = np.maximum(rows, FLOOR)
    gap = rows[:, :1] - rows[:, 0].max() if len(rows) else np.zeros((0, 1))
    return np.column_stack([rows, gap, holds])


class Verdict(NamedTuple):
    probabilities: np.ndarray  # per candidate: holds the answer
    answered: float  # the articles answer the question
    covered: float  # the articles speak of what it asks about


@dataclass(frozen=True)
class Reader:
    ranker: Linear | Trees
    combiner: Linear | Trees
    abstainer: Linear | Trees
    coverage: Linear | Trees
    threshold: float
    read_passages: int  # the retrieval's best passages the span reader reads
    short_margin: float  # a short answer stands this far above "no answer" in its passage (start + end logits)
    short_margin_why: float  # the same for why-questions (features.asks_why); inf: none is shown
    info: dict

    def evidence(self, observation: features.Observation, spans: np.ndarray,
                 readings: Sequence[Reading]) -> tuple[np.ndarray, np.ndarray]:
        """(each candidate's logit of holding the answer, the question's row of abstainer features);
        `spans` is span_rows() of the candidates."""
        first = self.ranker.logits(observation.rows)
        logits = self.combiner.logits(np.column_stack([first, spans])) if len(first) else first
        margins = sorted((max(r.margin, FLOOR) for r in readings), reverse=True) + [FLOOR, FLOOR]
        best_span = max((r.spans[0].score for r in readings if r.spans), default=FLOOR)
        lead = spans[int(np.argmax(logits)), 0] if len(logits) else FLOOR
        top_null = readings[0].null if readings else 0.0
        row = np.concatenate([features.question_features(observation, logits),
                              [margins[0], margins[1], best_span, top_null, lead]])
        return logits, row

    def read(self, observation: features.Observation, spans: np.ndarray, readings: Sequence[Reading]) -> Verdict:
        logits, row = self.evidence(observation, spans, readings)
        return Verdict(sigmoid(logits), float(sigmoid(self.abstainer.logits(row[None])[0])),
                       float(sigmoid(self.coverage.logits(row[None])[0])))


ABSTAINER_FEATURES = features.QUESTION_FEATURES + READING_FEATURES


def part_from(params: dict, names: tuple[str, ...], part: str, source: str) -> Linear | Trees:
    """One part of reader.json (its feature names and model), checked."""
    if not isinstance(params, dict):
        raise ValueError(f"{part} is {type(params).__name__}, not an object")
    if tuple(params.get("features", ())) != names:
        raise ModelError(f"{source}: its {part} was fitted on other features than this program computes: {_REFIT}.")
    return model_from(params, len(names), part)


_PARTS = (("ranker", features.FEATURES), ("combiner", SPAN_FEATURES), ("abstainer", ABSTAINER_FEATURES),
          ("coverage", ABSTAINER_FEATURES))


def reader_from(params: dict, source: str) -> Reader:
    if params.get("format") != READER_FORMAT or params.get("version") != READER_VERSION:
        raise ModelError(f"{source} is reader format {params.get('format')!r} version {params.get('version')!r}, "
                         f"not {READER_FORMAT!r} version {READER_VERSION}: {_REFIT}.")
    try:
        parts = [part_from(params[name], names, name, source) for name, names in _PARTS]
        threshold, read, margin = float(params["threshold"]), params["read_passages"], float(params["short_margin"])
        why = math.inf if params["short_margin_why"] is None else float(params["short_margin_why"])  # null: never
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold {threshold} outside (0, 1)")
        if type(read) is not int or not 1 <= read <= 10:
            raise ValueError(f"read_passages {read!r} not a number of passages from 1 to 10")
        if not np.isfinite(margin):
            raise ValueError("short_margin not finite")
        if np.isnan(why) or why == -math.inf:
            raise ValueError("short_margin_why neither a number nor null")
        return Reader(*parts, threshold, read, margin, why, params.get("cv", {}))
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{source} is damaged ({exc}): {_REFIT}.") from None


def params_of(fitted: Reader) -> dict:
    """What reader.json holds (the inverse of `reader_from`)."""
    return {"format": READER_FORMAT, "version": READER_VERSION, "threshold": float(fitted.threshold),
            "read_passages": fitted.read_passages, "short_margin": float(fitted.short_margin),
            "short_margin_why": None if fitted.short_margin_why == math.inf else float(fitted.short_margin_why),
            **{name: {"features": list(names), **getattr(fitted, name).as_dict()} for name, names in _PARTS},
            "cv": fitted.info}


@lru_cache(maxsize=4)
def load_reader(path: Path = READER_FILE) -> Reader:
    try:
        params = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"Cannot read the reader's parameters {path} ({exc}): reinstall the package.") from None
    return reader_from(params, str(path))
