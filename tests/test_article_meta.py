"""Typed article records: what an index stores about each article reads back field for field,
and a record of the wrong shape is damage that names its field, never a KeyError later."""
from __future__ import annotations

import json
import shutil
import sqlite3
import zlib

import pytest

from assistant.store.files import disk
from assistant.errors import IndexDamagedError
from assistant.types import ArticleMeta

RECORD = {"id": "ferry", "path": "ferry.md", "hash": "ab", "title": "Ferry strike", "passages": [3, 4],
          "outlet": "NRK", "published": "2026-10-14", "url": None, "byline": None, "paragraphs": 5, "sentences": 9,
          "size": 812, "mtime_ns": 1, "text_hash": "cd"}


def test_every_stored_article_reads_back_field_for_field(seed_index):
    data = disk.load(seed_index)
    stored = {}
    for segment in disk.read_manifest(seed_index).segment_names:
        with sqlite3.connect(seed_index / segment / "meta.sqlite") as db:
            stored.update({aid: json.loads(meta) for aid, meta in db.execute("SELECT id, meta FROM articles")})
    articles = data.articles()
    assert set(articles) == set(stored) and len(articles) == 2
    for aid, meta in articles.items():
        assert isinstance(meta, ArticleMeta) and meta.to_json() == stored[aid]  # the JSON is as before: old indexes load
        assert ArticleMeta.from_json(meta.to_json()) == meta
        assert meta.file_state == data.file_states()[aid]


@pytest.mark.parametrize("change, field", [
    (lambda r: r.update(passages="3,4"), "passages"),
    (lambda r: r.update(passages=[3, "4"]), "passages"),
    (lambda r: r.pop("title"), "title"),
    (lambda r: r.update(size=True), "size"),
    (lambda r: r.update(published=20261014), "published"),
])
def test_a_record_of_the_wrong_shape_names_its_field(change, field):
    assert ArticleMeta.from_json(dict(RECORD)).passages == (3, 4)
    record = json.loads(json.dumps(RECORD))
    change(record)
    with pytest.raises(ValueError, match=field):
        ArticleMeta.from_json(record)


def test_a_segment_holding_a_malformed_record_is_damaged(seed_index, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    segment = disk.read_manifest(index).segment_names[0]
    with sqlite3.connect(index / segment / "meta.sqlite") as db:
        aid, meta = db.execute("SELECT id, meta FROM articles").fetchone()
        db.execute("UPDATE articles SET meta = ? WHERE id = ?", (json.dumps({**json.loads(meta), "passages": "0-3"}), aid))
    # with the file's checksum updated too (as a writer's bug would leave it), only the record's type is wrong
    raw = json.loads((index / disk.MANIFEST).read_text(encoding="utf-8"))
    altered = index / segment / "meta.sqlite"
    raw["files"][f"{segment}/meta.sqlite"] = [altered.stat().st_size, zlib.crc32(altered.read_bytes())]
    raw["checksum"] = disk.manifest_checksum(raw)
    (index / disk.MANIFEST).write_text(json.dumps(raw), encoding="utf-8")
    data = disk.load(index)
    with pytest.raises(IndexDamagedError, match=rf"{segment}/meta.sqlite: article '{aid}': passages is str") as caught:
        data.article(aid)
    assert caught.value.damaged == (segment,)
