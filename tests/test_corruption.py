"""Corruption is detected, never trusted: every kind of index file truncated, with a byte flipped,
zeroed or deleted gives one line naming the file at load and in `status --verify` (no
traceback, no different answers), and a plain `index` repairs it from the corpus so exactly that
`search` and `ask` print what they printed before the damage (issues 13 and 26)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from assistant.faces import render
from assistant.store.files import ann, disk
from assistant.store.files import FileLocation
from assistant.service import Assistant
from assistant.errors import IndexDamagedError, IndexNotFoundError
from assistant.ingest.indexer import build_index
from conftest import ROOT
from test_crash import FERRY, _state

QUESTION = "Why might Lukashenko deviate from Moscow?"
QUESTIONS = [QUESTION, "Who claimed responsibility for the attack?", "cocoa buffer stock price",
             "General Motors production cut", "When will Lukashenko meet Putin?"]
REUTERS = sorted((ROOT / "bench" / "data" / "reuters").glob("*.md"))[:6]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory, embedder):
    """The seeds in one segment, three Reuters stories in a second, three more and the ferry story
    in a third, then one article removed (a deletion list); built with the real model, no memo."""
    base = tmp_path_factory.mktemp("pristine")
    shutil.copytree(ROOT / "corpus", base / "corpus")
    build_index(base / "corpus", base / "index", embedder=embedder, progress=False)
    for batch in (REUTERS[:3], REUTERS[3:]):
        for source in batch:
            shutil.copyfile(source, base / "corpus" / source.name)
        (base / "corpus" / "ferry.md").write_text(FERRY, encoding="utf-8")
        build_index(base / "corpus", base / "index", embedder=embedder, progress=False, merge=False)
    (base / "corpus" / REUTERS[4].name).unlink()
    build_index(base / "corpus", base / "index", embedder=embedder, progress=False, merge=False)
    manifest = disk.read_manifest(base / "index")
    assert len(manifest.segments) == 3 and manifest.deleted
    return base


def _answers(index_dir) -> list[str]:
    """What `search --json` and `ask` (Markdown and JSON) print for QUESTIONS: the repaired index
    must print it byte for byte (scores and all)."""
    assistant = Assistant(index_dir)
    out = [json.dumps([render.hit_dict(h) for h in assistant.retrieve(q, 5)], default=str) for q in QUESTIONS]
    answers = [assistant.ask(q) for q in QUESTIONS[:2]]
    return out + [render.to_json(a) for a in answers] + [render.to_markdown(a) for a in answers]


def _targets(index_dir):
    """One file of each kind: (label, path), in the segment holding the seeds."""
    manifest = disk.read_manifest(index_dir)
    seg = index_dir / manifest.segments[0].name
    bm25 = sorted((seg / "bm25").iterdir())
    out = [("manifest", index_dir / disk.MANIFEST), ("deleted", index_dir / manifest.deleted)]
    out += [(name, seg / name) for name in ("ids.npy", "vectors.npy", "sentences.npy", "sentence_offsets.npy",
                                             "meta.sqlite")]
    out += [(f"bm25/{p.name}", p) for p in bm25]
    return out


def _corrupt(path, how):
    """Damage `path` so that its bytes change: cut in half, one byte flipped, 16 bytes zeroed
    (where they were not all zero), or deleted."""
    if how == "delete":
        path.unlink()
        return
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    if how == "truncate":
        del data[middle:]
    elif how == "flip":
        data[middle] ^= 0xFF
    else:  # zeros, at the first run of 16 bytes from the middle that holds something
        at = next(i for i in range(middle, len(data)) if any(data[i:i + 16])) if any(data[middle:]) else 0
        data[at:at + 16] = bytes(len(data[at:at + 16]))
    path.write_bytes(bytes(data))


def _cases():
    kinds = ["manifest", "deleted", "ids.npy", "vectors.npy", "sentences.npy", "sentence_offsets.npy", "meta.sqlite",
             "bm25/terms.npy", "bm25/offsets.npy", "bm25/rows.npy", "bm25/tf.npy", "bm25/lengths.npy"]
    return [(k, how) for k in kinds for how in ("truncate", "flip", "zeros", "delete")]


@pytest.fixture(scope="module")
def before(pristine, embedder):
    return _state(pristine / "index")[0], _answers(pristine / "index")


@pytest.mark.parametrize("kind,how", _cases())
def test_damage_is_named_and_plain_index_repairs_it_exactly(pristine, before, tmp_path, embedder, kind, how):
    work = tmp_path / "work"
    shutil.copytree(pristine, work)
    index = work / "index"
    target = dict(_targets(index))[kind]
    _corrupt(target, how)
    expected_error = IndexNotFoundError if (kind, how) == ("manifest", "delete") else IndexDamagedError
    with pytest.raises(expected_error) as caught:
        disk.load(index)
    message = str(caught.value)
    assert "\n" not in message and "python -m assistant index" in message
    assert kind.split("/")[0] in message or disk.MANIFEST in message or "cannot be read" in message, message
    if kind != "manifest":  # --verify checks every file against the manifest's checksums
        _, problems = FileLocation(index).verify()
        assert problems and any(kind.split("/")[-1] in p for p in problems), problems
    if how == "truncate":
        cli = subprocess.run([sys.executable, "-m", "assistant", "search", QUESTION, "--index", str(index)],
                             cwd=ROOT, capture_output=True, text=True, env=dict(os.environ, HF_HUB_OFFLINE="1"))
        assert cli.returncode == 2 and "Traceback" not in cli.stderr and cli.stderr.startswith("error: "), cli.stderr

    build_index(work / "corpus", index, embedder=embedder, progress=False)  # plain `index` repairs
    repaired = _state(index)
    assert repaired is not None and repaired[0] == before[0]
    assert not disk.damage(index, disk.read_manifest(index))
    assert _answers(index) == before[1]  # search and ask print what they printed before the damage


def test_a_damaged_ivf_index_is_dropped_and_rebuilt_from_the_segments(tmp_path, memo, monkeypatch):
    monkeypatch.setattr(ann, "FLAT_LIMIT", 10)
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    build_index(tmp_path / "corpus", tmp_path / "index", embedder=memo, progress=False)
    manifest = disk.read_manifest(tmp_path / "index")
    assert manifest.ann
    expected = _state(tmp_path / "index")[0]
    _corrupt(tmp_path / "index" / manifest.ann.file, "garble")
    with pytest.raises(IndexDamagedError, match=manifest.ann.file):
        disk.load(tmp_path / "index")
    (tmp_path / "corpus" / "ferry.md").write_text(FERRY, encoding="utf-8")
    build_index(tmp_path / "corpus", tmp_path / "index", embedder=memo, progress=False)
    data = disk.load(tmp_path / "index")
    assert {a for a, _, _ in expected} | {"ferry"} == set(data.articles())


def test_status_verify_reads_every_byte(pristine, tmp_path):
    work = tmp_path / "work"
    shutil.copytree(pristine, work)
    run = lambda: subprocess.run([sys.executable, "-m", "assistant", "status", "--verify", "--index",  # noqa: E731
                                  str(work / "index")], cwd=ROOT, capture_output=True, text=True)
    ok = run()
    assert ok.returncode == 0 and "all intact" in ok.stdout
    manifest = disk.read_manifest(work / "index")
    vectors = work / "index" / manifest.segments[1].name / "vectors.npy"
    array = np.load(vectors)
    array[0, 0] += 0.5  # a plausible float, same size: only the checksum can tell
    np.save(vectors, array)
    bad = run()
    assert bad.returncode == 2 and "vectors.npy is altered" in bad.stderr and "Traceback" not in bad.stderr
