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
