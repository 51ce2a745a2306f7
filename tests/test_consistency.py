"""One ranking whatever the index's history: after any sequence of adds, changes, removes and
merges, BM25 scores and search results equal those of a fresh build of the same articles."""
from __future__ import annotations

import shutil

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

from assistant import lexical
from assistant.store.files import compaction, disk
from assistant.store.files import FileLocation
from assistant.ingest.indexer import build_index
from assistant.retrieval import Searcher
from conftest import CORPUS, ROOT

POOL = sorted(CORPUS.glob("*.md")) + sorted((ROOT / "bench" / "data" / "reuters").glob("*.md"))
QUESTIONS = [
    "Why might Lukashenko deviate from Moscow?", "When will Lukashenko meet Putin?", "cocoa buffer stock price",
    "semiconductor trade talks between the United States and Japan", "platinum demand", "Polish price rises",
    "supercomputer sale to India", "General Motors production cut", "Swedish financial deregulation",
    "loan default warning in Latin America", "mine aid in Quebec", "oil supplier talks",
]

operation = st.one_of(
    st.tuples(st.just("add"), st.integers(0, len(POOL) - 1)),
    st.tuples(st.just("change"), st.integers(0, len(POOL) - 1)),
    st.tuples(st.just("remove"), st.integers(0, len(POOL) - 1)),
    st.tuples(st.just("merge"), st.just(0)),
)


def _apply(corpus, index, memo, op, n):
    name = POOL[n].name
    if op == "add":
        shutil.copyfile(POOL[n], corpus / name)
    elif op == "change" and (corpus / name).exists():
        with (corpus / name).open("a", encoding="utf-8") as fh:
            fh.write(f"\nA later paragraph about {name[:-3].replace('-', ' ')} and the markets.\n")
    elif op == "remove" and (corpus / name).exists() and len(list(corpus.glob("*.md"))) > 1:
        (corpus / name).unlink()
    elif op == "merge":
        with FileLocation(index).lock():
            manifest = disk.read_manifest(index)
            manifest = manifest.replace(generation=manifest.generation + 1)
            names = manifest.segment_names
            if len(names) > 1:
                disk.publish(index, compaction.merge(index, manifest, names, with_ann=False))
        return
    build_index(corpus, index, embedder=memo, progress=False, paths=[name], merge=False)


def _lexical(data, question):
    """(article, ordinal) → BM25 score of every passage that scores."""
    scores = data.lexical(lexical.tokenize([question])[0])
    top = scores.top(1000)
    passages = data.passages(top)
    return dict(zip(((passages[p].article_id, passages[p].ordinal) for p in top), scores.scores(top).tolist()))


def _same(a: dict, b: dict):
    assert a.keys() == b.keys()
    for key in a:
        assert abs(a[key] - b[key]) <= 1e-4 * max(1.0, abs(b[key])), (key, a[key], b[key])


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, min_size=3, max_size=9))
def test_a_grown_index_ranks_like_a_fresh_build(ops, tmp_path_factory, memo):
    base = tmp_path_factory.mktemp("grown")
    corpus, grown, fresh = base / "corpus", base / "grown", base / "fresh"
    corpus.mkdir()
    shutil.copyfile(POOL[0], corpus / POOL[0].name)
    build_index(corpus, grown, embedder=memo, progress=False)
    for op, n in ops:
        _apply(corpus, grown, memo, op, n)
    build_index(corpus, fresh, embedder=memo, progress=False)
    a, b = disk.load(grown), disk.load(fresh)
    try:
        assert a.size == b.size and a.lexical_totals[0] == b.lexical_totals[0]
        assert abs(a.lexical_totals[1] - b.lexical_totals[1]) < 1e-6
        for question in QUESTIONS:
            _same(_lexical(a, question), _lexical(b, question))
            hits_a = Searcher(a, memo).search(question, 5)
            hits_b = Searcher(b, memo).search(question, 5)
            assert np.allclose([h.score for h in hits_a], [h.score for h in hits_b], atol=1e-5)
            untied = [i for i, h in enumerate(hits_b) if sum(abs(h.score - g.score) < 1e-5 for g in hits_b) == 1]
            assert [(hits_a[i].article_id, hits_a[i].start) for i in untied] == \
                   [(hits_b[i].article_id, hits_b[i].start) for i in untied]
    finally:
        a.close()
        b.close()
