import json

import numpy as np
import pytest

from assistant import Assistant, build_index, retrieve
from assistant import lexical, store
from assistant.errors import IndexMismatchError, IndexNotFoundError
from conftest import LUKASHENKO_PATH, MEETING_PATH

EXTRA = """---
title: Ferry strike ends in Tromsø
outlet: Nordlys
published: 2024-04-02
---
The ferry strike in Tromsø ended on Tuesday after the union accepted a new wage offer.

– We got what we asked for, says union leader Kari Nordmann.
"""


def _build(corpus_dir, index_dir, embedder, **kw):
    return build_index(corpus_dir, index_dir, embedder=embedder, progress=False, **kw)


def test_round_trip(seed_index):
    data = store.load(seed_index)
    manifest = json.loads((seed_index / "manifest.json").read_text())
    assert manifest["format"] == store.FORMAT and manifest["version"] == store.FORMAT_VERSION
    assert manifest["model"]["dimension"] == 384 and manifest["model"]["id"] == "all-MiniLM-L6-v2"
    ids = sorted(pid for meta in manifest["articles"].values() for pid in meta["passages"])
    assert ids == sorted(data.passages) and data.vectors.ntotal == len(ids)
    assert len(data.sentence_ids) == manifest["counts"]["sentences"] == sum(len(p.sentences) for p in data.passages.values())
    vectors = data.vectors.reconstruct_batch(np.array(ids, dtype=np.int64))
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    assert set(data.bm25_ids.tolist()) == set(ids)


def test_incremental_add_change_remove(corpus_dir, tmp_path, embedder):
    index = tmp_path / "index"
    first = _build(corpus_dir, index, embedder)
    assert sorted(first.added) == sorted([LUKASHENKO_PATH, MEETING_PATH])
    before = store.load(index)
    meeting_ids = before.articles["lukashenko-to-meet-putin-on-friday"]["passages"]

    (corpus_dir / "ferry.md").write_text(EXTRA, encoding="utf-8")
    added = _build(corpus_dir, index, embedder)
    assert added.added == ("ferry.md",) and not added.updated and not added.removed
    assert added.passages_embedded == 1 and added.sentences_embedded == 2
    assert set(added.unchanged) == {LUKASHENKO_PATH, MEETING_PATH}
    after = store.load(index)
    assert after.articles["lukashenko-to-meet-putin-on-friday"]["passages"] == meeting_ids  # ids are stable

    (corpus_dir / "ferry.md").write_text(EXTRA.replace("Tuesday", "Wednesday"), encoding="utf-8")
    changed = _build(corpus_dir, index, embedder)
    assert changed.updated == ("ferry.md",) and changed.passages_embedded == 1

    (corpus_dir / MEETING_PATH).unlink()
    removed = _build(corpus_dir, index, embedder)
    assert removed.removed == (MEETING_PATH,) and removed.passages_embedded == 0
    final = store.load(index)
    assert not set(meeting_ids) & set(final.passages)
    assert final.vectors.ntotal == len(final.passages)
    assert all(final.passages[int(pid)].article_id != "lukashenko-to-meet-putin-on-friday" for pid in final.sentence_ids)

    nothing = _build(corpus_dir, index, embedder)
    assert not nothing.changed and nothing.passages_embedded == 0
    assert store.read_manifest(index)["generation"] == final.manifest["generation"]


def test_new_article_is_retrievable_without_restart(corpus_dir, tmp_path, embedder):
    index = tmp_path / "index"
    _build(corpus_dir, index, embedder)
    assistant = Assistant(index, corpus_dir)
    assistant.embedder = embedder
    assert "Tromsø" not in assistant.retrieve("How did the ferry strike end?", 1)[0].text
    (corpus_dir / "ferry.md").write_text(EXTRA, encoding="utf-8")
    _build(corpus_dir, index, embedder)
    hit = assistant.retrieve("How did the ferry strike end?", 1)[0]
    assert hit.title == "Ferry strike ends in Tromsø" and hit.outlet == "Nordlys" and hit.published == "2024-04-02"


def test_bad_files_are_reported_and_the_rest_indexes(corpus_dir, tmp_path, embedder):
    (corpus_dir / "empty.txt").write_bytes(b"")
    (corpus_dir / "image.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    (corpus_dir / "broken.md").write_text("---\ntitle: [oops\n---\nBody.")
    (corpus_dir / "cruft.txt").write_text("View more\n\nTags: nothing")
    (corpus_dir / "latin.txt").write_bytes("Fjord news\n\nThe fjord in Ålesund froze.".encode("latin-1"))
    report = _build(corpus_dir, tmp_path / "index", embedder)
    assert sorted(e.path for e in report.errors) == ["broken.md", "cruft.txt", "empty.txt", "image.md"]
    assert sorted(report.added) == sorted([LUKASHENKO_PATH, MEETING_PATH, "latin.txt"])


def test_an_article_that_turns_bad_keeps_its_indexed_version(corpus_dir, tmp_path, embedder):
    index = tmp_path / "index"
    _build(corpus_dir, index, embedder)
    (corpus_dir / MEETING_PATH).write_bytes(b"")
    report = _build(corpus_dir, index, embedder)
    assert [e.path for e in report.errors] == [MEETING_PATH] and not report.removed
    assert "lukashenko-to-meet-putin-on-friday" in store.load(index).articles


def test_foreign_model_or_format_is_refused(corpus_dir, tmp_path, embedder):
    index = tmp_path / "index"
    _build(corpus_dir, index, embedder)
    manifest_path = index / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["model"]["fingerprint"] = "0123456789abcdef"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        _build(corpus_dir, index, embedder)
    assistant = Assistant(index)
    assistant.embedder = embedder
    with pytest.raises(IndexMismatchError, match="built with model"):
        assistant.retrieve("Lukashenko")
    assert _build(corpus_dir, index, embedder, rebuild=True).rebuilt
    manifest = json.loads(manifest_path.read_text())
    manifest["version"] = 99
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="version 99"):
        store.load(index)


def test_missing_index_is_a_clear_error(tmp_path):
    with pytest.raises(IndexNotFoundError, match="python -m assistant index"):
        retrieve("anything", index_dir=tmp_path / "none")


@pytest.mark.parametrize("where", ["bm25", "manifest"])
def test_crash_mid_write_leaves_the_old_index(corpus_dir, tmp_path, embedder, monkeypatch, where):
    index = tmp_path / "index"
    _build(corpus_dir, index, embedder)
    before = store.load(index)
    (corpus_dir / "ferry.md").write_text(EXTRA, encoding="utf-8")

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(lexical, "save", crash) if where == "bm25" else monkeypatch.setattr(store.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        _build(corpus_dir, index, embedder)
    monkeypatch.undo()
    after = store.load(index)
    assert after.manifest["generation"] == before.manifest["generation"]
    assert set(after.passages) == set(before.passages) and "ferry" not in after.articles
    report = _build(corpus_dir, index, embedder)  # the next build finishes the job and tidies up
    assert report.added == ("ferry.md",)
    assert not list(index.glob(".staging-*")) and not list(index.glob(".*.tmp"))
    assert len(list(index.glob("gen-*"))) <= store.KEEP_GENERATIONS


def test_retrieval_finds_the_reasons(seed_index):
    hits = retrieve("Why might Lukashenko deviate from Moscow?", 5, index_dir=seed_index)
    text = " ".join(h.text for h in hits)
    assert "Ukraine has opinion support in Belarus" in text
    assert "Lukashenko wants to be a little independent" in text
    top = hits[0]
    assert top.path == LUKASHENKO_PATH and top.outlet == "ITavisen"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    data = store.load(seed_index)
    for hit in hits:  # offsets point at the cleaned article text
        passage = data.passages[hit.passage_id]
        assert (hit.start, hit.end, hit.text) == (passage.start, passage.end, passage.text)
