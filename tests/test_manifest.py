"""The typed manifest: the JSON an index publishes reads back field for field, and a manifest
that decodes but holds a field of the wrong type is damaged (nothing it names is trusted)."""
from __future__ import annotations

import json
import shutil

import pytest

from assistant.store.files import disk
from assistant.errors import IndexDamagedError
from assistant.store.files.manifest import AnnEntry, Manifest


def test_the_published_json_reads_back_field_for_field(seed_index):
    raw = json.loads((seed_index / disk.MANIFEST).read_text(encoding="utf-8"))
    manifest = disk.read_manifest(seed_index)
    assert manifest.to_json() == {k: v for k, v in raw.items() if k != "checksum"}
    assert manifest.names() == set(manifest.segment_names) and manifest.files
    with_ann = manifest.replace(ann=AnnEntry("ann-000002-0a1b2c3d.faiss", tuple(manifest.segment_names), 64, 8))
    assert Manifest.from_json(json.loads(json.dumps(with_ann.to_json()))) == with_ann
    assert with_ann.names() == manifest.names() | {"ann-000002-0a1b2c3d.faiss"}


@pytest.mark.parametrize("change, field", [
    (lambda m: m["segments"][0].update(passages="18"), "a segment's passages"),
    (lambda m: m.update(segments={"name": "seg"}), "segments"),
    (lambda m: m["counts"].pop("sentences"), "counts.sentences"),
    (lambda m: m.update(generation=True), "generation"),
    (lambda m: m.update(deleted=7), "deleted"),
    (lambda m: m.update(files={"seg/ids.npy": [1]}), "seg/ids.npy"),
    (lambda m: m.update(ann={"file": "ann.faiss", "segments": "seg", "nlist": 1, "nprobe": 1}), "ann.segments"),
    (lambda m: m.pop("model"), "model"),
])
def test_a_field_of_the_wrong_type_is_damage_named_by_the_field(seed_index, tmp_path, change, field):
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    raw = json.loads((index / disk.MANIFEST).read_text(encoding="utf-8"))
    change(raw)
    raw["checksum"] = disk.manifest_checksum(raw)  # well-formed JSON with a valid checksum: only the type is wrong
    (index / disk.MANIFEST).write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(IndexDamagedError, match="malformed") as caught:
        disk.read_manifest(index)
    assert field in str(caught.value)
