"""The reader's two kinds of model as plain arrays: what a tree ensemble computes, and that a
damaged or hostile reader.json part is refused rather than read (a loop, a shared node, a split on
a feature that is not there)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.answer import models

# Two trees over two features. Tree 0: x0 <= 1 ? (x1 <= 5 ? 0.5 : -0.5) : 2.0. Tree 1: a lone leaf, 0.25.
TREES = {"kind": "trees", "base": -1.0, "roots": [0, 5],
         "feature": [0, 1, 0, 0, 0, 0], "threshold": [1.0, 5.0, 0.0, 0.0, 0.0, 0.0],
         "left": [1, 3, -1, -1, -1, -1], "right": [2, 4, -1, -1, -1, -1],
         "value": [0.0, 0.0, 2.0, 0.5, -0.5, 0.25]}


def by_hand(x0: float, x1: float) -> float:
    first = (0.5 if x1 <= 5 else -0.5) if x0 <= 1 else 2.0
    return -1.0 + first + 0.25


@given(st.lists(st.tuples(st.floats(-10, 10), st.floats(-10, 10)), max_size=20))
def test_trees_add_up_the_leaf_each_row_reaches(rows):
    trees = models.model_from(TREES, 2, "combiner")
    assert trees.depth == 2
    got = trees.logits(np.array(rows, dtype=np.float64).reshape(-1, 2))
    assert got.tolist() == pytest.approx([by_hand(*row) for row in rows])


def test_a_part_survives_its_round_trip_through_json_values():
    trees = models.model_from(TREES, 2, "combiner")
    again = models.model_from(trees.as_dict(), 2, "combiner")
    rows = np.array([[0.0, 0.0], [0.0, 9.0], [3.0, 0.0]])
    assert again.logits(rows).tolist() == trees.logits(rows).tolist() == [-0.25, -1.25, 1.25]
    linear = models.Linear(np.zeros(2), np.ones(2), np.array([1.0, -1.0]), 0.5)
    assert models.model_from(linear.as_dict(), 2, "abstainer").logits(rows).tolist() == [0.5, -8.5, 3.5]


@pytest.mark.parametrize("change, message", [
    ({"left": [1, 0, -1, -1, -1, -1]}, "does not follow its parent"),  # node 1 → node 0: a loop
    ({"left": [1, 3, -1, -1, -1, -1], "right": [2, 3, -1, -1, -1, -1]}, "two parents"),
    ({"right": [2, 4, -1, -1, -1, 9]}, "roots or leaves"),  # a leaf with one child
    ({"left": [1, 3, -1, -1, -1, 6], "right": [2, 4, -1, -1, -1, 6]}, "does not follow"),  # past the arrays
    ({"feature": [0, 2, 0, 0, 0, 0]}, "feature it does not have"),
    ({"roots": [0, 6]}, "roots or leaves"),
    ({"roots": []}, "roots or leaves"),
    ({"value": [0.0, 0.0, 2.0, 0.5, -0.5]}, "different lengths"),
    ({"threshold": [1.0, float("nan"), 0.0, 0.0, 0.0, 0.0]}, "not finite"),
    ({"feature": [0.0, 1.5, 0, 0, 0, 0]}, "not integers"),
    ({"kind": "forest"}, "unknown kind"),
])
def test_a_damaged_tree_part_is_refused(change, message):
    with pytest.raises(ValueError, match=message):
        models.model_from({**TREES, **change}, 2, "combiner")


def test_a_missing_field_is_refused():
    with pytest.raises(KeyError):
        models.model_from({k: v for k, v in TREES.items() if k != "value"}, 2, "combiner")
    with pytest.raises(ValueError, match="wrong shape"):
        models.model_from({"kind": "linear", "mean": [0.0], "scale": [1.0], "coef": [1.0], "intercept": 0.0}, 2, "x")
