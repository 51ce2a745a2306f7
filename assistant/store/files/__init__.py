"""The default backend: an index directory of immutable segments, as pg/ is the PostgreSQL one.

    location.py    FileLocation: the store.base.Location of a directory (open, update, verify, merge)
    disk.py        the format on disk: manifest, loading, publishing in one atomic step
    durable.py     staged, flushed, renamed writes and the crash-point hook
    view.py        Index: a loaded generation, the store.base.PassageStore searches read
    segment.py     one immutable segment: vectors, passages, BM25 postings
    manifest.py    the typed manifest
    integrity.py   sizes and CRC-32 of every file, checked on load and by `status --verify`
    compaction.py  merging segments, the IVF index of large collections
    ann.py         the FAISS indexes

Outside this package only store/backends.py imports it (tests/test_layers.py).
"""
from .location import FileLocation

__all__ = ["FileLocation"]
