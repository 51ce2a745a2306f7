"""Writers of the corpus folder (the app's Articles tab, `python -m assistant add`, a second app
over the same corpus) never lose each other's articles, and what they write survives a power
loss: the same-title race between two processes, the folder fsynced after an add or a removal,
leftovers of a killed add swept at build, and a segment's folders fsynced before it is published."""
from __future__ import annotations

import multiprocessing
import os
import sys
import time

import pytest

from assistant.ingest import library
from assistant.ingest.library import pasted_article_bytes, prepare

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork, /proc/self/fd")

TITLE = "Harbour reopens after the storm"


def _add_same_title(corpus, text, barrier, results):
    """One writer: choose the name, wait until the other writer has chosen too, then write."""
    data = pasted_article_bytes(TITLE, text, outlet="Nordlys")
    name, _ = prepare(data, "pasted article", ".md", corpus, lambda *_: [])
    barrier.wait(timeout=30)
    results.put((name, library.write_atomically(corpus, name, data).name, text))


def test_two_processes_adding_the_same_title_at_once_keep_both_articles(tmp_path):
    ctx = multiprocessing.get_context("fork")  # two real processes; the lock of one process is no help
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for round_ in range(3):
        barrier, results = ctx.Barrier(2), ctx.Queue()
        texts = [f"Round {round_}: the harbour in Tromsø reopened on {day} after the storm." for day in ("Monday", "Friday")]
        writers = [ctx.Process(target=_add_same_title, args=(corpus, text, barrier, results)) for text in texts]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join(60)
            assert writer.exitcode == 0
        chosen = [results.get(timeout=5) for _ in writers]
        assert chosen[0][0] == chosen[1][0], "both writers chose the same free name before writing"
        written = {name for _, name, _ in chosen}
        assert len(written) == 2, f"round {round_}: both were 'added' as {written}, one replaced the other"
        for _, name, text in chosen:
            assert text in (corpus / name).read_text(encoding="utf-8")
    assert len(list(corpus.glob("*.md"))) == 6 and not list(corpus.glob(".adding-*"))


SHORT = ("---\ntitle: {title}\noutlet: Nordlys\n---\n{text}\n")


def _tiny_corpus(tmp_path):
    """Two one-passage articles: a build embeds a handful of texts, not the seed corpus."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ferry.md").write_text(SHORT.format(title="Ferry strike ends", text="The ferry strike in Tromsø ended "
                                                  "on Tuesday after a deal on pay."), encoding="utf-8")
    (corpus / "bridge.md").write_text(SHORT.format(title="Bridge opens", text="The new bridge to Kvaløya opened to "
                                                   "traffic on Friday morning."), encoding="utf-8")
    return corpus


@pytest.fixture
def fsynced(monkeypatch):
    """The paths of what is fsynced, in order (the real fsync still runs)."""
    seen: list[str] = []
    real = os.fsync

    def recording(fd):
        seen.append(os.readlink(f"/proc/self/fd/{fd}"))
        return real(fd)

    monkeypatch.setattr(os, "fsync", recording)
    return seen


def test_the_corpus_folder_is_fsynced_after_an_add_and_a_removal(tmp_path, embedder, fsynced):
    from assistant import Assistant

    corpus = _tiny_corpus(tmp_path)
    app = Assistant(tmp_path / "index", corpus)
    app.embedder = embedder
    app.build(progress=False)
    fsynced.clear()
    info, _ = app.add_article(pasted_article_bytes("Harbour reopens", "The harbour in Tromsø reopened on Monday."))
    folder = str(corpus.resolve())
    assert folder in fsynced, "the new name is not durable: the folder was never fsynced"
    written = max(i for i, path in enumerate(fsynced) if "/.adding-" in path)
    assert fsynced.index(folder, written) > written  # after the file's bytes, before "added" is said
    fsynced.clear()
    app.remove_article(info.id)
    assert not (corpus / info.path).exists() and folder in fsynced, "the removal is not durable"
    if app.merging:
        app.merging.join()


def test_a_build_sweeps_leftovers_of_a_killed_add_older_than_a_minute(tmp_path, embedder):
    from assistant.ingest.indexer import build_index

    corpus = _tiny_corpus(tmp_path)
    old, fresh = corpus / ".adding-k1ll3d", corpus / ".adding-n0wb31ng"
    for path in (old, fresh):
        path.write_bytes(b"half an article")
    os.utime(old, (time.time() - 120, time.time() - 120))  # a writer killed two minutes ago
    build_index(corpus, tmp_path / "index", embedder=embedder, progress=False)
    assert not old.exists(), "the leftover of a killed add is never removed"
    assert fresh.exists(), "an add in progress (under a minute old) must be left alone"


def test_a_new_segments_folders_are_fsynced_before_the_manifest_names_them(tmp_path, embedder, fsynced):
    from assistant.ingest.indexer import build_index

    index = tmp_path / "index"
    build_index(_tiny_corpus(tmp_path), index, embedder=embedder, progress=False)
    root = str(index.resolve())
    folders = [path for path in fsynced if path.startswith(root + "/.staging-seg-")]
    segment = next((path for path in folders if path.count("/") == root.count("/") + 1), None)
    assert segment, "the new segment's folder is never fsynced"
    manifest = next(i for i, path in enumerate(fsynced) if "/.manifest.json." in path)
    for folder in (segment, segment + "/bm25"):
        assert folder in fsynced[:manifest], f"{folder} is not fsynced before the manifest is written"
