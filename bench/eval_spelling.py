"""How often a question's name is respelt (answer/spelling.py), on the SQuAD half.

    python bench/eval_spelling.py [--every 3]

Every `every`-th SQuAD question is asked twice, as compose() asks it: with everything indexed
(a name no passage has is then the question's own misspelling: "Counil", "Bismark") and with
its whole article hidden (then a respelt name is a wrong guess: the article with that name is
not there). Prints how many questions had a name no passage has, how many were respelt, and
each respelling; and which questions typed without capitals after the first word get the
capitals their passages give words (spelling.truecase).
"""
from __future__ import annotations

import argparse
import collections

from common import ROOT, write_squad_corpus

from assistant.store.files import disk
from assistant.answer import spelling
from assistant.embedding import Embedder
from assistant.ingest.indexer import build_index
from assistant.retrieval import Searcher

RESULTS = ROOT / "bench" / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--every", type=int, default=3)
    args = parser.parse_args()
    embedder = Embedder()
    questions = write_squad_corpus(RESULTS / "squad-corpus")
    index = RESULTS / f"squad-index-{embedder.backend}"
    build_index(RESULTS / "squad-corpus", index, embedder=embedder, progress=False)
    data = disk.load(index)
    groups: dict[str, list[int]] = collections.defaultdict(list)
    for aid, meta in data.articles().items():
        groups[aid[:8]].extend(meta.passages)  # one Wikipedia article's paragraphs
    full, hidden, counts = Searcher(data, embedder), {}, collections.Counter()
    respelt: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
    for question, aid, _ in questions[::args.every]:
        if aid[:8] not in hidden:
            hidden = {aid[:8]: Searcher(data.without(groups[aid[:8]]), embedder)}
        for condition, searcher in (("indexed", full), ("article hidden", hidden[aid[:8]])):
            wrong = spelling.misspelt(question, searcher)
            if wrong:
                counts[condition] += 1
                asked = spelling.respell(question, wrong, [h.text for h in searcher.search(question, 5)])
                if asked != question:
                    respelt[condition].append((question, asked))
    cased = [(q, spelling.truecase(q, [h.text for h in full.search(q, 5)]))
             for q, _, _ in questions[::args.every] if spelling.lower_case(q)]
    print(f"{len(questions[::args.every])} questions; {len(cased)} name no one (a capital only first), "
          f"{sum(q != t for q, t in cased)} of them given capitals from their passages:")
    for question, asked in ((q, t) for q, t in cased if q != t):
        print(f"  {question!r} -> {asked!r}")
    for condition in ("indexed", "article hidden"):
        print(f"{condition}: {counts[condition]} with a name no passage has, {len(respelt[condition])} respelt")
        for question, asked in respelt[condition]:
            print(f"  {question!r} -> {asked!r}")


if __name__ == "__main__":
    main()
