"""The two kinds of model the reader (reader.py) is made of, as plain arrays: a standardised
linear model and an ensemble of regression trees (gradient boosting). Both give a logit per row
of features; both are read from reader.json and checked, never trusted: shapes, finiteness, and
for trees that every split names a feature and every child lies after its parent (so no tree
loops or reads past its arrays). scikit-learn fits them (bench/fit_reader.py); the app needs numpy.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LEAF = -1  # a leaf's children


def _floats(params: dict, key: str, part: str) -> np.ndarray:
    array = np.asarray(params[key], dtype=np.float64)
    if not np.isfinite(array).all():
        raise ValueError(f"{part} {key} not finite")
    return array


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


@dataclass(frozen=True)
class Trees:
    """z = base + the sum over trees of the leaf each row reaches. All trees' nodes in flat arrays:
    tree t starts at node roots[t]; at node n a row goes left when x[feature[n]] <= threshold[n];
    left/right are absolute node numbers, LEAF at a leaf; value is the leaf's share of the logit
    (the learning rate applied)."""

    base: float
    roots: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    depth: int  # the longest path from a root to a leaf

    def logits(self, rows: np.ndarray) -> np.ndarray:
        if not len(rows):
            return np.zeros(0)
        nodes = np.broadcast_to(self.roots, (len(rows), len(self.roots))).copy()  # every row in every tree
        row_of = np.arange(len(rows))[:, None]
        for _ in range(self.depth):
            inner = self.left[nodes] != LEAF
            goes_left = rows[row_of, self.feature[nodes]] <= self.threshold[nodes]
            nodes = np.where(inner, np.where(goes_left, self.left[nodes], self.right[nodes]), nodes)
        return self.base + self.value[nodes].sum(axis=1)

    def as_dict(self) -> dict:
        return {"kind": "trees", "base": float(self.base), "roots": self.roots.tolist(), "feature": self.feature.tolist(),
                "threshold": self.threshold.tolist(), "left": self.left.tolist(), "right": self.right.tolist(),
                "value": self.value.tolist()}

    @classmethod
    def from_dict(cls, params: dict, width: int, part: str) -> Trees:
        ints = {key: np.asarray(params[key]) for key in ("roots", "feature", "left", "right")}
        if any((a.dtype.kind not in "iu" and a.size) or a.ndim != 1 for a in ints.values()):
            raise ValueError(f"{part} node numbers not integers")
        floats = {key: _floats(params, key, part) for key in ("threshold", "value")}
        n = len(floats["value"])
        if any(len(a) != n for a in (*floats.values(), ints["feature"], ints["left"], ints["right"])) or not n:
            raise ValueError(f"{part} node arrays of different lengths")
        roots, feature, left, right = (ints[k].astype(np.int64) for k in ("roots", "feature", "left", "right"))
        leaf = left == LEAF
        node = np.arange(n)
        if not len(roots) or ((roots < 0) | (roots >= n)).any() or (leaf != (right == LEAF)).any():
            raise ValueError(f"{part} roots or leaves malformed")
        if (~leaf & ((left <= node) | (right <= node) | (left >= n) | (right >= n))).any():
            raise ValueError(f"{part} a child that does not follow its parent")  # so every path ends
        children = np.concatenate([left[~leaf], right[~leaf], roots])
        if len(np.unique(children)) != len(children):
            raise ValueError(f"{part} a node with two parents")  # each node on one path: no tree is a maze
        if (~leaf & ((feature < 0) | (feature >= width))).any():
            raise ValueError(f"{part} splits on a feature it does not have")
        feature = np.where(leaf, 0, feature)  # a leaf's feature is never used; any column will do
        return cls(float(_floats(params, "base", part)), roots, feature, floats["threshold"], left, right,
                   floats["value"], _depth(roots, left, right))


def _depth(roots: np.ndarray, left: np.ndarray, right: np.ndarray) -> int:
    """The longest path from a root to a leaf (children follow their parents, so this ends)."""
    depth, frontier = 0, roots
    while (left[frontier] != LEAF).any():
        inner = frontier[left[frontier] != LEAF]
        frontier = np.concatenate([left[inner], right[inner]])
        depth += 1
    return depth


KINDS = {"linear": Linear, "trees": Trees}


def model_from(params: dict, width: int, part: str) -> Linear | Trees:
    """A part of reader.json, of either kind, checked (ValueError, KeyError or TypeError if not)."""
    kind = KINDS.get(params.get("kind"))
    if kind is None:
        raise ValueError(f"{part} is of unknown kind {params.get('kind')!r}")
    return kind.from_dict(params, width, part)
