import datetime as dt
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant import Assistant, build_index, retrieve
from assistant import lexical
from assistant.store.files import ann, compaction, disk
from assistant.ingest.corpus import read_article
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
    data = disk.load(seed_index)
    manifest = json.loads((seed_index / "manifest.json").read_text())
    assert manifest["format"] == disk.FORMAT and manifest["version"] == disk.FORMAT_VERSION
    assert manifest["model"]["dimension"] == 384 and manifest["model"]["id"] == "all-MiniLM-L6-v2"
    assert manifest["model"]["backend"] == "int8" and manifest["ann"] is None if "ann" in manifest else True
    articles = data.articles()
    ids = sorted(pid for meta in articles.values() for pid in meta.passages)
    assert ids == sorted(int(i) for s in data.segments for i in s.ids) and len(ids) == manifest["counts"]["passages"]
    passages = [data.passage(pid) for pid in ids]
    assert manifest["counts"]["sentences"] == sum(len(p.sentences) for p in passages)
    assert [len(v) for v in data.sentence_vectors(ids)] == [len(p.sentences) for p in passages]
    assert np.allclose(np.linalg.norm(data.passage_vectors(ids), axis=1), 1, atol=1e-4)
    for segment in data.segments:
        assert len(segment.bm25.lengths) == len(segment)


def _files(index):
    """(name, inode, mtime) of every file of every segment: written once, never touched again."""
    return {(str(p.relative_to(index)), p.stat().st_ino, p.stat().st_mtime_ns)
            for p in index.glob("seg-*/**/*") if p.is_file()}


def test_incremental_add_change_remove(corpus_dir, tmp_path, embedder):
    index = tmp_path / "index"
    first = _build(corpus_dir, index, embedder)
    assert sorted(first.added) == sorted([LUKASHENKO_PATH, MEETING_PATH])
    before = disk.load(index)
    meeting_ids = before.article("lukashenko-to-meet-putin-on-friday").passages
    files = _files(index)

    (corpus_dir / "ferry.md").write_text(EXTRA, encoding="utf-8")
    added = _build(corpus_dir, index, embedder)
    assert added.added == ("ferry.md",) and not added.updated and not added.removed
    assert added.passages_embedded == 1 and added.sentences_embedded == 2
    assert set(added.unchanged) == {LUKASHENKO_PATH, MEETING_PATH}
    assert files < _files(index)  # the old segment is untouched; one new segment holds the ferry
    assert len(disk.read_manifest(index).segments) == 2
    after = disk.load(index)
    assert after.article("lukashenko-to-meet-putin-on-friday").passages == meeting_ids  # ids are stable

    (corpus_dir / "ferry.md").write_text(EXTRA.replace("Tuesday", "Wednesday"), encoding="utf-8")
    old_ferry = after.article("ferry").passages
    changed = _build(corpus_dir, index, embedder)
    assert changed.updated == ("ferry.md",) and changed.passages_embedded == 1
    updated = disk.load(index)
    assert all(updated.is_deleted(pid) for pid in old_ferry)
    assert "Wednesday" in updated.passage(updated.article("ferry").passages[0]).text

    (corpus_dir / MEETING_PATH).unlink()
    removed = _build(corpus_dir, index, embedder)
    assert removed.removed == (MEETING_PATH,) and removed.passages_embedded == 0
    final = disk.load(index)
    assert final.article("lukashenko-to-meet-putin-on-friday") is None
    assert set(final.articles()) == {"ferry", "president-of-belarus-causing-trouble-for-putin"}
    assert not set(meeting_ids) & set(final.dense(embedder.encode_query("Lukashenko meets Putin on Friday"), 100))
    counts = disk.read_manifest(index).counts
    assert counts.articles == 2 and counts.passages == sum(len(m.passages) for m in final.articles().values())

    nothing = _build(corpus_dir, index, embedder)
    assert not nothing.changed and nothing.passages_embedded == 0
    assert disk.read_manifest(index).generation == final.generation


def test_unchanged_files_are_not_even_read(corpus_dir, tmp_path, embedder, monkeypatch):
    index = tmp_path / "index"
    _build(corpus_dir, index, embedder)
    from assistant.ingest import indexer

    reads = []
    monkeypatch.setattr(indexer, "read_article", lambda path, root: reads.append(path) or read_article(path, root))
    (corpus_dir / "ferry.md").write_text(EXTRA, encoding="utf-8")
    report = _build(corpus_dir, index, embedder)
    assert report.added == ("ferry.md",) and [p.name for p in reads] == ["ferry.md"]


def test_targeted_update_checks_only_the_named_files(corpus_dir, tmp_path, embedder):
    index = tmp_path / "index"
    _build(corpus_dir, index, embedder)
    (corpus_dir / "ferry.md").write_text(EXTRA, encoding="utf-8")
    (corpus_dir / MEETING_PATH).unlink()
    report = _build(corpus_dir, index, embedder, paths=["ferry.md"])
    assert report.added == ("ferry.md",) and not report.removed  # the meeting article was not asked about
    report = _build(corpus_dir, index, embedder, paths=[MEETING_PATH])
    assert report.removed == (MEETING_PATH,) and not report.added


def test_small_segments_are_merged(corpus_dir, tmp_path, embedder):
    index = tmp_path / "index"
    _build(corpus_dir, index, embedder)
    question = "Why might Lukashenko deviate from Moscow?"
    expected = [h.passage_id for h in Assistant(index, corpus_dir).retrieve(question, 5)]
    merged = ()
    for n in range(compaction.MAX_EXACT_SEGMENTS + 1):
        (corpus_dir / f"ferry-{n}.md").write_text(EXTRA.replace("Tuesday", f"day {n}"), encoding="utf-8")
        merged = _build(corpus_dir, index, embedder).merged or merged
    manifest = disk.read_manifest(index)
    assert len(merged) == compaction.MAX_EXACT_SEGMENTS + 1 and len(manifest.segments) == 2
    data = disk.load(index)
    assert len(data.articles()) == 2 + compaction.MAX_EXACT_SEGMENTS + 1
    assert [h.passage_id for h in Assistant(index, corpus_dir).retrieve(question, 5)] == expected


def test_large_index_migrates_to_ivf_and_stays_correct(corpus_dir, tmp_path, embedder, monkeypatch):
    monkeypatch.setattr(ann, "FLAT_LIMIT", 10)  # the seeds' 18 passages count as large
    index = tmp_path / "index"
    report = _build(corpus_dir, index, embedder)
    manifest = disk.read_manifest(index)
    assert report.merged and manifest.ann.segments == (manifest.segments[0].name,)
    data = disk.load(index)
    assert data.ann is not None and data.ann.ntotal == manifest.counts.passages
    hits = Assistant(index, corpus_dir).retrieve("Why might Lukashenko deviate from Moscow?", 5)
    assert "Ukraine has opinion support in Belarus" in " ".join(h.text for h in hits)

    (corpus_dir / MEETING_PATH).unlink()  # IVF cannot remove: the deletion list hides the passages
    gone = data.article("lukashenko-to-meet-putin-on-friday").passages
    _build(corpus_dir, index, embedder)
    after = disk.load(index)
    probe = after.dense(embedder.encode_query("Lukashenko will meet Putin on Friday"), 50)
    assert probe and not set(gone) & set(probe)


def test_new_article_is_retrievable_without_restart(corpus_dir, tmp_path, embedder):
    index = tmp_path / "index"
    _build(corpus_dir, index, embedder)
    assistant = Assistant(index, corpus_dir)
    assistant.embedder = embedder
    assert "Tromsø" not in assistant.retrieve("How did the ferry strike end?", 1)[0].text
    (corpus_dir / "ferry.md").write_text(EXTRA, encoding="utf-8")
    _build(corpus_dir, index, embedder)
    hit = assistant.retrieve("How did the ferry strike end?", 1)[0]
    assert hit.title == "Ferry strike ends in Tromsø" and hit.outlet == "Nordlys" and hit.published == dt.date(2024, 4, 2)


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
    assert disk.load(index).article("lukashenko-to-meet-putin-on-friday") is not None


def test_foreign_model_or_format_is_refused(corpus_dir, tmp_path, embedder):
    index = tmp_path / "index"
    _build(corpus_dir, index, embedder)
    manifest_path = index / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["model"]["fingerprint"] = "0123456789abcdef"
    manifest["checksum"] = disk.manifest_checksum(manifest)  # a real foreign index, not a damaged one
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
        disk.load(index)


def test_missing_index_is_a_clear_error(tmp_path):
    with pytest.raises(IndexNotFoundError, match="python -m assistant index"):
        retrieve("anything", index_dir=tmp_path / "none")


@pytest.mark.parametrize("where", ["bm25", "manifest"])
def test_crash_mid_write_leaves_the_old_index(corpus_dir, tmp_path, embedder, monkeypatch, where):
    index = tmp_path / "index"
    _build(corpus_dir, index, embedder)
    before = disk.load(index)
    (corpus_dir / "ferry.md").write_text(EXTRA, encoding="utf-8")

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(lexical, "save", crash) if where == "bm25" else monkeypatch.setattr(disk.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        _build(corpus_dir, index, embedder)
    monkeypatch.undo()
    after = disk.load(index)
    assert after.generation == before.generation
    assert after.articles().keys() == before.articles().keys() and after.article("ferry") is None
    report = _build(corpus_dir, index, embedder)  # the next build finishes the job and tidies up
    assert report.added == ("ferry.md",)
    assert not list(index.glob(".staging-*")) and not list(index.glob(".*.tmp"))
    named = set(disk.read_manifest(index).segment_names)
    assert {p.name for p in index.glob("seg-*")} <= named | {s.name for s in before.segments}


def test_retrieval_finds_the_reasons(seed_index):
    hits = retrieve("Why might Lukashenko deviate from Moscow?", 5, index_dir=seed_index)
    text = " ".join(h.text for h in hits)
    assert "Ukraine has opinion support in Belarus" in text
    assert "Lukashenko wants to be a little independent" in text
    top = hits[0]
    assert top.path == LUKASHENKO_PATH and top.outlet == "ITavisen"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    data = disk.load(seed_index)
    for hit in hits:  # offsets point at the cleaned article text
        passage = data.passage(hit.passage_id)
        assert (hit.start, hit.end, hit.text) == (passage.start, passage.end, passage.text)


def test_vectors_of_another_backend_are_refused(corpus_dir, tmp_path, embedder):
    from assistant.embedding import Embedder

    index = tmp_path / "index"
    _build(corpus_dir, index, embedder)
    assert disk.read_manifest(index).model.backend == embedder.backend == "int8"
    with pytest.raises(IndexMismatchError, match="ASSISTANT_BACKEND=int8"):
        _build(corpus_dir, index, Embedder(backend="float32"))


def test_int8_vectors_stay_close_to_the_float_model(embedder):
    from assistant.embedding import Embedder

    texts = ["Lukashenko will meet Putin on Friday.", "The ferry strike in Tromsø ended on Tuesday.",
             "Experts believe Belarus would be a more logical escape route than Ukraine."]
    quantised, exact = embedder.encode(texts), Embedder(backend="float32").encode(texts)
    cosines = (quantised * exact).sum(axis=1)
    assert cosines.min() > 0.97
    assert (np.argmax(quantised @ exact.T, axis=1) == np.arange(3)).all()


def test_merging_can_wait_for_later(corpus_dir, tmp_path, embedder):
    from assistant.ingest.indexer import merge_segments

    index = tmp_path / "index"
    _build(corpus_dir, index, embedder)
    for n in range(compaction.MAX_EXACT_SEGMENTS + 1):
        (corpus_dir / f"ferry-{n}.md").write_text(EXTRA.replace("Tuesday", f"day {n}"), encoding="utf-8")
        assert not _build(corpus_dir, index, embedder, paths=[f"ferry-{n}.md"], merge=False).merged
    assert len(disk.read_manifest(index).segments) == compaction.MAX_EXACT_SEGMENTS + 2
    before = disk.load(index).articles().keys()
    assert len(merge_segments(index)) == compaction.MAX_EXACT_SEGMENTS + 2  # all of them: none is under an IVF
    assert len(disk.read_manifest(index).segments) == 1 and disk.load(index).articles().keys() == before
    assert merge_segments(index) == ()


def test_words_of_removed_articles_are_no_longer_known(corpus_dir, tmp_path, embedder):
    index = tmp_path / "index"
    (corpus_dir / "ferry.md").write_text(EXTRA, encoding="utf-8")
    _build(corpus_dir, index, embedder)
    stem = lexical.tokenize(["Nordmann"])[0][0]
    assert disk.load(index).knows(stem)
    (corpus_dir / "ferry.md").unlink()
    _build(corpus_dir, index, embedder)  # the ferry's segment keeps its vocabulary; its passages are deleted
    assert not disk.load(index).knows(stem)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab Røseth's 1,655 the SANCTIONS sanction.\n")), max_size=40),
                max_size=8))
def test_remembered_stems_are_the_tokenizers(texts):
    """lexical.stems (cached, one call for the unseen) gives what the BM25 tokenizer gives each text alone."""
    assert lexical.stems(texts) == [tuple(lexical.tokenize([t])[0]) for t in texts]
    assert lexical.stems(texts) == [tuple(lexical.tokenize([t])[0]) for t in texts]  # again, from the cache


def _osa(a: str, b: str) -> int:
    """Optimal string alignment distance, the textbook table (no cut-off)."""
    d = [[i + j if not i * j else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcø", max_size=9), st.text(alphabet="abcø", max_size=9), st.integers(0, 3))
def test_edit_distance_is_the_textbook_one_up_to_its_limit(a, b, limit):
    assert lexical.edit_distance(a, b, limit) == min(_osa(a, b), limit + 1)


def test_plain_letters():
    assert lexical.plain("Røseth Schrödinger Céloron Ærø") == "Roseth Schrodinger Celoron AEro"
