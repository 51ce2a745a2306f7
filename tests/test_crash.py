"""Crash-point injection, the way SQLite tests its journal: every write, fsync and rename of
build, rebuild, update and merge is made to fail in turn, and after each the index must load,
hold exactly the old or the new state, and a rerun must converge on the new one. A random
kill -9 of a real `python -m assistant index --rebuild` process sits beside it."""
from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time

import pytest

from assistant.store.files import compaction, disk, durable
from assistant.errors import IndexNotFoundError
from assistant.ingest.indexer import build_index, merge_segments
from conftest import MEETING_PATH, ROOT


class Crash(BaseException):
    """Raised at the chosen step; BaseException, so no `except Exception` in the code hides it."""


FERRY = "---\ntitle: Ferry strike ends in Tromsø\noutlet: Nordlys\n---\nThe ferry strike in Tromsø ended on Tuesday.\n"


def _state(index_dir):
    """What a reader sees: live articles with their content hashes and passage texts; None: no index."""
    try:
        data = disk.load(index_dir)
    except IndexNotFoundError:
        return None
    try:
        articles = data.articles()
        return tuple(sorted((aid, meta.hash, tuple(data.passage(p).text for p in meta.passages))
                            for aid, meta in articles.items())), data.size, len(data.segments)
    finally:
        data.close()


def _disk(index_dir):
    return {p.name for p in index_dir.iterdir()} if index_dir.exists() else set()


def _named(index_dir):
    manifest = disk.read_manifest(index_dir)
    return manifest.names() | {disk.MANIFEST, ".lock"}


def _scenario(kind, base, memo):
    """(prepare(corpus, index), operation(corpus, index)) for one kind of write."""
    def build(corpus, index, **kw):
        return build_index(corpus, index, embedder=memo, progress=False, **kw)

    def seeds(corpus, index):
        build(corpus, index)

    if kind == "build":
        return (lambda c, i: None), build
    if kind == "rebuild":
        def change(c, i):
            seeds(c, i)
            (c / "ferry.md").write_text(FERRY, encoding="utf-8")
        return change, lambda c, i: build(c, i, rebuild=True)
    if kind == "update":
        def change(c, i):
            seeds(c, i)
            (c / "ferry.md").write_text(FERRY, encoding="utf-8")
            (c / MEETING_PATH).unlink()
        return change, build
    if kind == "ivf":  # crossing the exact-search limit: merge everything and train an IVF index
        def add(c, i):
            seeds(c, i)
            (c / "ferry.md").write_text(FERRY, encoding="utf-8")
        return add, build
    if kind == "merge":
        def many(c, i):
            seeds(c, i)
            for n in range(compaction.MAX_EXACT_SEGMENTS + 1):
                (c / f"ferry-{n}.md").write_text(FERRY.replace("Tuesday", f"day {n}"), encoding="utf-8")
                build(c, i, paths=[f"ferry-{n}.md"], merge=False)
        return many, lambda c, i: merge_segments(i)
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["build", "rebuild", "update", "merge", "ivf"])
def test_a_crash_at_any_write_step_leaves_the_old_or_the_new_index(kind, tmp_path, memo, monkeypatch):
    prepare, operation = _scenario(kind, tmp_path, memo)
    template = tmp_path / "template"
    shutil.copytree(ROOT / "corpus", template / "corpus")
    prepare(template / "corpus", template / "index")
    old = _state(template / "index")
    if kind == "ivf":
        from assistant.store.files import ann

        monkeypatch.setattr(ann, "FLAT_LIMIT", 10)  # the seeds' passages count as a large index

    steps: list[str] = []
    reference = tmp_path / "reference"
    shutil.copytree(template, reference)
    with monkeypatch.context() as patch:
        patch.setattr(durable, "checkpoint", steps.append)
        operation(reference / "corpus", reference / "index")
    new = _state(reference / "index")
    assert new != old and len(steps) >= 8, steps
    if kind == "ivf":
        assert disk.read_manifest(reference / "index").ann, "the scenario must train an IVF"

    for n, step in enumerate(steps):
        work = tmp_path / f"crash-{n}"
        shutil.copytree(template, work)
        before = _disk(work / "index")
        calls = iter(range(len(steps)))

        def crash_at(label, n=n):
            if next(calls) == n:
                raise Crash(label)

        with monkeypatch.context() as patch, pytest.raises(Crash):
            patch.setattr(durable, "checkpoint", crash_at)
            operation(work / "corpus", work / "index")
        seen = _state(work / "index")
        assert seen in (old, new), f"mixed state after a crash at {step!r}"
        operation(work / "corpus", work / "index")  # the rerun finishes the job
        assert _state(work / "index") == new, f"no convergence after a crash at {step!r}"
        left = _disk(work / "index") - _named(work / "index") - before
        assert not left, f"left behind after a crash at {step!r} and a rerun: {left}"
        shutil.rmtree(work)


def test_a_rebuild_never_reuses_a_published_name(tmp_path, memo):
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    build_index(corpus, tmp_path / "index", embedder=memo, progress=False)
    first = disk.read_manifest(tmp_path / "index")
    build_index(corpus, tmp_path / "index", embedder=memo, progress=False, rebuild=True)
    second = disk.read_manifest(tmp_path / "index")
    assert not first.names() & second.names()
    assert second.generation > first.generation and second.uid != first.uid


KILL_TRIALS = 5  # bench/crash_soak.py runs 50 over adds, changes, removes and rebuilds


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kill -9 semantics")
def test_kill_9_during_rebuild_leaves_a_loadable_index(tmp_path, memo):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(ROOT / "corpus", corpus)
    build_index(corpus, index, embedder=memo, progress=False)
    old = _state(index)
    (corpus / "ferry.md").write_text(FERRY, encoding="utf-8")
    rng = random.Random(7)
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT))
    states = set()
    for _ in range(KILL_TRIALS):
        process = subprocess.Popen([sys.executable, "-m", "assistant", "index", "--corpus", str(corpus), "--index",
                                    str(index), "--rebuild"], env=env, cwd=ROOT,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(2.0, 9.0))  # model load, then the write
        process.send_signal(signal.SIGKILL)
        process.wait()
        state = _state(index)
        assert state is not None and (state == old or "ferry" in {a for a, _, _ in state[0]})
        states.add(state == old)
    build_index(corpus, index, embedder=memo, progress=False)
    assert "ferry" in {a for a, _, _ in _state(index)[0]}


def test_a_running_assistant_sees_a_rebuild_made_elsewhere(tmp_path, memo):
    from assistant import Assistant

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(ROOT / "corpus", corpus)
    app = Assistant(index, corpus)
    app.embedder = memo
    app.build(progress=False)
    assert app.searcher().data.article("ferry") is None
    (corpus / "ferry.md").write_text(FERRY, encoding="utf-8")
    (corpus / MEETING_PATH).unlink()
    build_index(corpus, index, embedder=memo, progress=False, rebuild=True)  # as `index --rebuild` does
    data = app.searcher().data
    assert data.article("ferry") is not None and data.article("lukashenko-to-meet-putin-on-friday") is None
    assert app.retrieve("ferry strike Tromsø", 1)[0].article_id == "ferry"
