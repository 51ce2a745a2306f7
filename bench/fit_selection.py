"""Choose AnswerSettings.typed_share by article-level cross-validation on the SQuAD half.

    python bench/fit_selection.py [--every N]

The rule (answer/selection.py): when the likeliest sentence does not hold what the question
asks for (a date for "When …?", a number for "How many …?", a new name for "Who …?", a place
for "Where …?") and another sentence does, that one leads if its probability is at least
`typed_share` of the likeliest one's. For every SQuAD question of a known kind that the shipped
reader answers (everything indexed), the lead is recorded at each share on the grid; each
article-level fold then takes the share with the best lead-holds-the-answer rate on the other
folds, and the held-out rate is printed beside the rate at every share.

The reader's probabilities are the shipped reader's, fitted on these questions (fit_reader.py):
the rates are flattered alike at every share, and only the comparison between shares is the point.
"""
from __future__ import annotations

import argparse
import dataclasses

import numpy as np
from common import normalise, table
from fit_reader import FOLDS, RESULTS, squad_questions
from sklearn.model_selection import GroupKFold

from assistant import store
from assistant.answer import extractive, scorer
from assistant.answer.selection import select
from assistant.embedding import Embedder
from assistant.indexer import build_index
from assistant.retrieval import Searcher
from assistant.settings import DEFAULT

GRID = (2.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.25, 0.1)  # 2.0: the rule never applies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--every", type=int, default=1, help="every Nth SQuAD question")
    args = parser.parse_args()
    embedder = Embedder()
    items = squad_questions(False)[::args.every]
    index = RESULTS / f"squad-index-{embedder.backend}"
    if not index.exists():
        build_index(RESULTS / "squad-corpus", index, embedder=embedder, progress=False)
    composer = extractive.ExtractiveComposer(Searcher(store.load(index).warm(), embedder), DEFAULT)
    leads, kinds, groups = [], [], []
    for item in items:
        kind = scorer.question_type(item["question"])
        if kind is None:
            continue
        query, searched = composer.named(item["question"])
        hits, found, observation = composer.observe(query, searched=searched)
        if not found:
            continue
        probabilities, answered = composer.reader.read(
            observation, lambda top: composer.cross.scores(query, [found[i].text for i in top]))
        if answered < composer.threshold:
            continue
        gold = [normalise(g) for g in item["gold"]]
        leads.append([any(g in normalise(found[select(found, probabilities, query, dataclasses.replace(
            DEFAULT, typed_share=share))[0]].text) for g in gold) for share in GRID])
        kinds.append(kind)
        groups.append(item["group"])
    hits, kinds = np.array(leads, dtype=float), np.array(kinds)
    rows = [[f"{share:g}" + (" (never)" if share > 1 else ""), hits[:, j].mean(),
             *(hits[kinds == k, j].mean() for k in ("number", "date", "person", "place"))] for j, share in enumerate(GRID)]
    print(f"{len(hits)} answered questions of a known kind: " + ", ".join(
        f"{k} {int((kinds == k).sum())}" for k in ("number", "date", "person", "place")))
    print(table(rows, ["typed_share", "lead holds the answer", "number", "date", "person", "place"]))
    held, picks = [], []
    for train, test in GroupKFold(n_splits=FOLDS).split(hits, groups=groups):
        best = int(np.argmax(hits[train].mean(0)))
        picks.append(GRID[best])
        held += hits[test, best].tolist()
    print(f"held out by article ({FOLDS} folds; shares chosen {picks}): {np.mean(held):.3f}, "
          f"against {hits[:, 0].mean():.3f} without the rule; shipped typed_share {DEFAULT.typed_share:g}")


if __name__ == "__main__":
    main()
