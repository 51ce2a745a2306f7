"""Corruption is detected, never trusted: every kind of index file truncated, garbled (same
size) or deleted gives one line naming the file (no traceback, no different answers), and a
plain `index` repairs it from the corpus (issue 13)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from assistant import ann, store
from assistant.errors import IndexDamagedError, IndexNotFoundError
from assistant.indexer import build_index
from conftest import ROOT
from test_crash import FERRY, _state

QUESTION = "Why might Lukashenko deviate from Moscow?"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory, memo):
    """Seeds in one segment, the ferry story in a second, one article removed (a deletion list)."""
    base = tmp_path_factory.mktemp("pristine")
    shutil.copytree(ROOT / "corpus", base / "corpus")
    build_index(base / "corpus", base / "index", embedder=memo, progress=False)
    (base / "corpus" / "ferry.md").write_text(FERRY, encoding="utf-8")
    (base / "corpus" / "ferry-2.md").write_text(FERRY.replace("Tuesday", "Monday"), encoding="utf-8")
    build_index(base / "corpus", base / "index", embedder=memo, progress=False)
    (base / "corpus" / "ferry-2.md").unlink()
    build_index(base / "corpus", base / "index", embedder=memo, progress=False)
    manifest = store.read_manifest(base / "index")
    assert len(manifest.segments) == 2 and manifest.deleted
    return base


def _targets(index_dir):
    """One file of each kind: (label, path)."""
    manifest = store.read_manifest(index_dir)
    seg = index_dir / manifest.segments[0].name
    bm25 = sorted((seg / "bm25").iterdir())
    out = [("manifest", index_dir / store.MANIFEST), ("deleted", index_dir / manifest.deleted)]
    out += [(name, seg / name) for name in ("ids.npy", "vectors.npy", "sentences.npy", "sentence_offsets.npy",
                                             "meta.sqlite")]
    out += [(f"bm25/{p.name}", p) for p in bm25]
    return out


def _corrupt(path, how):
    if how == "delete":
        path.unlink()
    elif how == "truncate":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    else:  # garble: same size, different bytes in the middle
        data = bytearray(path.read_bytes())
        for i in range(len(data) // 2, min(len(data), len(data) // 2 + 16)):
            data[i] ^= 0x5A
        path.write_bytes(bytes(data))


def _cases():
    kinds = ["manifest", "deleted", "ids.npy", "vectors.npy", "sentences.npy", "sentence_offsets.npy", "meta.sqlite",
             "bm25/terms.npy", "bm25/offsets.npy", "bm25/rows.npy", "bm25/tf.npy", "bm25/lengths.npy"]
    return [(k, how) for k in kinds for how in ("truncate", "garble", "delete")]


@pytest.mark.parametrize("kind,how", _cases())
def test_damage_is_named_and_plain_index_repairs_it(pristine, tmp_path, memo, kind, how):
    work = tmp_path / "work"
    shutil.copytree(pristine, work)
    index = work / "index"
    expected = _state(pristine / "index")[0]
    target = dict(_targets(index))[kind]
    _corrupt(target, how)
    if kind == "manifest" and how == "garble":  # garbled JSON may still parse: then it must not load either
        try:
            json.loads(target.read_text(encoding="utf-8", errors="replace"))
        except ValueError:
            pass
    expected_error = IndexNotFoundError if (kind, how) == ("manifest", "delete") else IndexDamagedError
    with pytest.raises(expected_error) as caught:
        store.load(index)
    message = str(caught.value)
    assert "\n" not in message and "python -m assistant index" in message
    assert kind.split("/")[0] in message or store.MANIFEST in message or "cannot be read" in message, message

    cli = subprocess.run([sys.executable, "-m", "assistant", "search", QUESTION, "--index", str(index)],
                         cwd=ROOT, capture_output=True, text=True, env=dict(os.environ, HF_HUB_OFFLINE="1"))
    assert cli.returncode == 2 and "Traceback" not in cli.stderr and cli.stderr.startswith("error: "), cli.stderr

    build_index(work / "corpus", index, embedder=memo, progress=False)  # plain `index` repairs
    repaired = _state(index)
    assert repaired is not None and repaired[0] == expected
    assert not store.damage(index, store.read_manifest(index))


def test_a_damaged_ivf_index_is_dropped_and_rebuilt_from_the_segments(tmp_path, memo, monkeypatch):
    monkeypatch.setattr(ann, "FLAT_LIMIT", 10)
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    build_index(tmp_path / "corpus", tmp_path / "index", embedder=memo, progress=False)
    manifest = store.read_manifest(tmp_path / "index")
    assert manifest.ann
    expected = _state(tmp_path / "index")[0]
    _corrupt(tmp_path / "index" / manifest.ann.file, "garble")
    with pytest.raises(IndexDamagedError, match=manifest.ann.file):
        store.load(tmp_path / "index")
    (tmp_path / "corpus" / "ferry.md").write_text(FERRY, encoding="utf-8")
    build_index(tmp_path / "corpus", tmp_path / "index", embedder=memo, progress=False)
    data = store.load(tmp_path / "index")
    assert {a for a, _, _ in expected} | {"ferry"} == set(data.articles())


def test_status_verify_reads_every_byte(pristine, tmp_path):
    work = tmp_path / "work"
    shutil.copytree(pristine, work)
    run = lambda: subprocess.run([sys.executable, "-m", "assistant", "status", "--verify", "--index",  # noqa: E731
                                  str(work / "index")], cwd=ROOT, capture_output=True, text=True)
    ok = run()
    assert ok.returncode == 0 and "all intact" in ok.stdout
    manifest = store.read_manifest(work / "index")
    vectors = work / "index" / manifest.segments[1].name / "vectors.npy"
    array = np.load(vectors)
    array[0, 0] += 0.5  # a plausible float, same size: only the checksum can tell
    np.save(vectors, array)
    bad = run()
    assert bad.returncode == 2 and "vectors.npy is altered" in bad.stderr and "Traceback" not in bad.stderr
