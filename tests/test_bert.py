"""The embedder runs the packaged all-MiniLM-L6-v2 in assistant/bert.py instead of through
sentence-transformers: its vectors must be the ones sentence-transformers gave (what every
existing index holds), for both backends. The reference below is embedding.py's encoding path
as it was before (sentence-transformers 6.2, transformers 5.24), kept verbatim.

bert.py also offers the span reader (answer/span_reader.py) a drop-in for transformers'
AutoModel and AutoTokenizer: the same hidden states and the same word pieces, checked here."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from functools import lru_cache

import numpy as np
import pytest
import torch

from assistant import bert
from assistant.embedding import BUILD_THREADS, QUERY_THREADS, Embedder, same_length_chunks
from assistant.errors import ModelError
from assistant.int8 import quantise_int8
from conftest import CORPUS, ROOT

EDGES = [
    "Why might Lukashenko deviate from Moscow?", "", "   spaces around   ", "\n\nblank lines\n\n",
    "Tom Røseth, café, naïve, Ærø, 東京, emoji 😀, zero\u200bwidth, tab\tand control\x00 characters",
    "Don't stop—“quoted” text… ISKP's 1,000,000 $5.3bn e.g. U.S.", "antidisestablishmentarianism " * 3,
    "x " * 300,  # longer than the model's window: cut at its 256 word pieces
]


def texts() -> list[str]:
    """Edge cases and real news text: every paragraph of the seed corpus and of three Reuters stories."""
    found = list(EDGES)
    for path in sorted(CORPUS.glob("*.md")) + sorted((ROOT / "bench" / "data" / "reuters").glob("*.md"))[:3]:
        found += [p for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    return found


@lru_cache(maxsize=2)
def todays_model(backend: str):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(Embedder().path), device="cpu")
    return quantise_int8(model) if backend == "int8" else model


def todays_vectors(texts: list[str], backend: str, threads: int, batch_size: int = 64) -> np.ndarray:
    """Embedder._vectors as it was: sentence-transformers' model, quantised by int8.py for "int8"."""
    model = todays_model(backend)
    pieces = model.tokenizer(texts, truncation=True, max_length=model.max_seq_length, verbose=False)["input_ids"]
    out = np.zeros((len(texts), model.get_embedding_dimension()), dtype=np.float32)
    torch.set_num_threads(threads)
    try:
        with torch.inference_mode():
            for rows in same_length_chunks([len(ids) for ids in pieces], batch_size):
                vectors = model(model.preprocess([texts[i] for i in rows]))["sentence_embedding"].float()
                out[rows] = torch.nn.functional.normalize(vectors, dim=1).numpy()
    finally:
        torch.set_num_threads(QUERY_THREADS)
    return out


@pytest.mark.parametrize("backend", ["int8", "float32"])
def test_query_and_passage_vectors_are_the_ones_sentence_transformers_gave(backend):
    corpus = texts()
    embedder = Embedder(backend=backend)
    passages, queries = embedder.encode(corpus), np.vstack([embedder.encode_query(t) for t in EDGES])
    assert np.abs(passages - todays_vectors(corpus, backend, BUILD_THREADS)).max() <= 1e-6
    assert np.abs(queries - todays_vectors(EDGES, backend, QUERY_THREADS, batch_size=1)).max() <= 1e-6
    assert (embedder.max_tokens, embedder.dimension) == (256, 384)


def test_encoding_needs_neither_sentence_transformers_nor_transformers():
    code = ("import sys; from assistant.embedding import Embedder; e = Embedder(); e.encode_query('Who is Tom Røseth?');"
            "e.encode(['a', 'b c']); print(sorted(m for m in ('sentence_transformers', 'transformers', 'sklearn')"
            " if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.fixture(scope="module")
def transformers_pair():
    from transformers import AutoModel, AutoTokenizer

    path = str(Embedder().path)
    return AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()


def test_the_tokenizer_gives_transformers_word_pieces(transformers_pair):
    """What the span reader asks of its tokenizer (answer/span_reader.py: encode_pairs)."""
    theirs, ours = transformers_pair[0], bert.load_tokenizer(Embedder().path)
    corpus = texts()
    for kwargs in ({"add_special_tokens": False}, {"truncation": True, "max_length": 256}):
        assert ours(corpus, **kwargs)["input_ids"] == theirs(corpus, **kwargs)["input_ids"]
    questions = [corpus[0], "who " * 80, EDGES[4], "When?"]
    passages = [corpus[9], corpus[10] * 8, EDGES[5], ""]
    kwargs = dict(truncation="only_second", max_length=256, padding=True, return_offsets_mapping=True,
                  return_tensors="pt")
    a, b = theirs(questions, passages, **kwargs), ours(questions, passages, **kwargs)
    assert set(a) == set(b) and all(torch.equal(a[k], b[k]) for k in a)
    assert all(a.sequence_ids(i) == b.sequence_ids(i) for i in range(len(questions)))
    for text in questions + corpus[:12]:
        ids = theirs([text], add_special_tokens=False)["input_ids"][0][:64]
        assert ours.decode(ids) == theirs.decode(ids)


@pytest.mark.parametrize("int8", [False, True])
def test_the_encoder_gives_transformers_hidden_states(transformers_pair, int8):
    tokenizer, theirs = transformers_pair
    ours = bert.load_bert(Embedder().path)
    assert {n for n, _ in theirs.named_parameters() if not n.startswith("pooler.")} == {n for n, _ in ours.named_parameters()}
    if int8:  # quantise copies: the fixture's float model is shared
        import copy

        theirs, ours = quantise_int8(copy.deepcopy(theirs)), quantise_int8(ours)
    questions, passages = ["Why might Lukashenko deviate?", "Who?"], [texts()[9], texts()[10]]
    padded = tokenizer(questions, passages, truncation="only_second", max_length=256, padding=True, return_tensors="pt")
    single = tokenizer([texts()[11]], return_tensors="pt")
    with torch.inference_mode():
        for inputs in (padded, single):
            a, b = theirs(**inputs).last_hidden_state, ours(**inputs).last_hidden_state
            kept = inputs["attention_mask"].bool()  # padding rows are never read
            assert torch.equal(a[kept], b[kept])


def test_a_model_this_program_cannot_run_is_refused_with_what_to_do(tmp_path):
    source = Embedder().path
    for name in ("config.json", "modules.json", "sentence_bert_config.json", "tokenizer.json"):
        shutil.copyfile(source / name, tmp_path / name)
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_cls_token": True}))
    with pytest.raises(ModelError, match="not a mean-pooled sentence-transformers model.*--model"):
        Embedder(str(tmp_path)).dimension
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_mean_tokens": True}))
    assert Embedder(str(tmp_path)).max_tokens == 256
    with pytest.raises(ModelError, match="no model.safetensors"):
        Embedder(str(tmp_path)).encode_query("x")
    config = json.loads((source / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({**config, "model_type": "roberta"}))
    with pytest.raises(ModelError, match="not a BERT encoder"):
        bert.BertConfig.read(tmp_path)


def test_the_span_reader_reads_as_it_did_on_transformers(monkeypatch, transformers_pair):
    """answer/span_reader.py loads its base through bert.py; its readings (int8, as served) must
    be the ones it gave on transformers' BertModel and tokenizer."""
    from transformers import AutoModel

    from assistant.answer.span_reader import SpanReader

    questions = ["Why might Lukashenko deviate from Moscow?", "Who is Tom Røseth?", "When?", EDGES[4]]
    passages = texts()[8:14]
    pairs = ([q for q in questions for _ in passages], [p for _ in questions for p in passages])
    ours = SpanReader().pairs(*pairs)
    monkeypatch.setattr(bert, "load_tokenizer", lambda path: transformers_pair[0])
    monkeypatch.setattr(bert, "load_bert", lambda path: AutoModel.from_pretrained(str(path)))
    theirs = SpanReader().pairs(*pairs)
    assert [r.as_list() for r in ours] == [r.as_list() for r in theirs]


def test_a_questions_passages_read_side_by_side_read_as_one_at_a_time(monkeypatch):
    """read() runs a question's passages on two threads at once: each passage's reading must be
    the bits it gets read alone (int8 rows do not depend on what else runs, or where)."""
    from assistant.answer import span_reader

    reader = span_reader.load_span_reader()
    question, passages = "Why might Lukashenko deviate from Moscow?", texts()[8:11]
    pooled = []
    monkeypatch.setattr(span_reader, "READ_THREADS", 2)
    monkeypatch.setattr(span_reader, "_pool", lambda: pooled.append(1) or span_reader.ThreadPoolExecutor(2))
    side_by_side = reader.read(question, passages)
    assert pooled  # the passages were of other lengths, so they went to the pool
    alone = [reader.read(question, [p])[0] for p in passages]
    monkeypatch.setattr(span_reader, "READ_THREADS", 1)
    assert [r.as_list() for r in side_by_side] == [r.as_list() for r in alone] == \
        [r.as_list() for r in reader.read(question, passages)]
