"""One vector per text, whatever it is batched with: through the real packaged model, no memo.

An index grown one article at a time must rank exactly like a full build of the same
articles, and a repaired index exactly like the one before the damage; both hold only if a
text's vector does not depend on its batch, its order in it, padding or the thread count."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from assistant.store.files import disk
from assistant.embedding import Embedder
from assistant.ingest.indexer import build_index
from assistant import int8
from assistant.int8 import TokenInt8Linear
from assistant.retrieval import Searcher
from conftest import CORPUS, ROOT

TEXTS = [
    "Lukashenko claims the terrorists were heading for Belarus.",
    "Why might Lukashenko deviate from Moscow?",
    "ISKP have claimed responsibility for the attack, and experts believe everything points to them.",
    "A short one.",
    "The ICCO council agreed on buffer stock rules after months of talks among producers and consumers "
    "of cocoa, who had been unable to settle how the stock manager would buy and at what prices.",
    "General Motors cut 100,000 cars from its second-quarter production schedule.",
    "Prices in Poland rose sharply.",
    "x " * 300,  # longer than the model's window: cut at its 256 word pieces
]


@pytest.mark.parametrize("backend", ["int8", "float32"])
def test_a_text_has_one_vector_alone_or_in_any_batch_order_or_thread_count(backend):
    embedder = Embedder(backend=backend)
    alone = np.vstack([embedder.encode_query(t) for t in TEXTS])
    together = embedder.encode(TEXTS)
    order = np.random.default_rng(7).permutation(len(TEXTS))
    shuffled = np.empty_like(together)
    shuffled[order] = embedder.encode([TEXTS[i] for i in order], batch_size=3)
    one_thread = embedder.encode(TEXTS + TEXTS[:2], threads=1)[:len(TEXTS)]
    for other in (together, shuffled, one_thread):
        assert np.abs(alone - other).max() <= 1e-6
    assert np.allclose(np.linalg.norm(alone, axis=1), 1.0, atol=1e-5)


def test_int8_is_close_to_float32_and_treats_every_token_alone():
    float_model, int8_model = Embedder(backend="float32"), Embedder(backend="int8")
    cosines = np.sum(float_model.encode(TEXTS) * int8_model.encode(TEXTS), axis=1)
    assert cosines.min() > 0.98, cosines
    torch.manual_seed(0)
    linear = torch.nn.Linear(64, 32)
    quantised = TokenInt8Linear(linear)
    rows = torch.randn(5, 64) * torch.tensor([[0.01], [1.0], [100.0], [3.0], [0.2]])  # scales far apart
    with torch.no_grad():
        each = torch.cat([quantised(r[None]) for r in rows])
        assert torch.equal(quantised(rows), each)  # no row's scale leaks into another's
        relative = (quantised(rows) - linear(rows)).norm(dim=1) / linear(rows).norm(dim=1)
    assert relative.max() < 0.05, relative


@pytest.mark.parametrize("inner", [64, 384, 1024, 1536])
def test_the_float_product_is_the_exact_integer_product(inner):
    """Where torch._int_mm is slow (AVX2-only CPUs) int8.py multiplies in float32 slices instead:
    the same int32 bits, random or at the extremes (every value ±127, the largest sums)."""
    generator = torch.Generator().manual_seed(inner)
    cases = [torch.randint(-127, 128, (33, inner), dtype=torch.int8, generator=generator),
             torch.full((33, inner), 127, dtype=torch.int8), torch.full((33, inner), -127, dtype=torch.int8)]
    weights = torch.randint(-127, 128, (inner, 96), dtype=torch.int8, generator=generator)
    for rows in cases:
        for w in (weights, torch.full_like(weights, 127)):
            assert torch.equal(int8.float_product(rows, w.float()), torch._int_mm(rows, w))
    assert int8.integer_product() in ("int_mm", "float")


def test_a_layer_gives_the_same_bits_whichever_product_it_uses(monkeypatch):
    torch.manual_seed(1)
    layer = TokenInt8Linear(torch.nn.Linear(1536, 384))
    rows = torch.randn(40, 1536)
    outputs = {}
    for way in ("int_mm", "float"):
        monkeypatch.setattr(int8, "integer_product", lambda way=way: way)
        with torch.no_grad():
            outputs[way] = layer(rows)
    assert torch.equal(outputs["int_mm"], outputs["float"])


QUESTIONS = [
    "Why might Lukashenko deviate from Moscow?", "When will Lukashenko meet Putin?", "cocoa buffer stock price",
    "semiconductor trade talks between the United States and Japan", "platinum demand", "Polish price rises",
    "supercomputer sale to India", "General Motors production cut", "Swedish financial deregulation",
    "loan default warning in Latin America", "mine aid in Quebec", "oil supplier talks",
    "Who claimed responsibility for the attack?", "What did the Australian current account deficit do?",
]


def test_an_index_grown_article_by_article_ranks_exactly_like_a_full_build(tmp_path, embedder):
    pool = sorted(CORPUS.glob("*.md")) + sorted((ROOT / "bench" / "data" / "reuters").glob("*.md"))[:10]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for source in pool:  # one build per article, each embedding only that article's texts
        shutil.copyfile(source, corpus / source.name)
        build_index(corpus, tmp_path / "grown", embedder=embedder, progress=False, paths=[source.name], merge=False)
    build_index(corpus, tmp_path / "full", embedder=embedder, progress=False)
    grown, full = disk.load(tmp_path / "grown"), disk.load(tmp_path / "full")
    try:
        assert len(grown.manifest.segment_names) > 1 and grown.size == full.size
        for question in QUESTIONS:
            a, b = Searcher(grown, embedder).search(question, 5), Searcher(full, embedder).search(question, 5)
            assert [(h.article_id, h.start, h.end) for h in a] == [(h.article_id, h.start, h.end) for h in b], question
            assert np.abs(np.array([h.score for h in a]) - [h.score for h in b]).max() <= 1e-6, question
    finally:
        grown.close()
        full.close()
