"""Integrity of an index: every file's size and CRC-32 in the manifest, checked before use.

The manifest records each file of its segments, deletion list and IVF index (files are
immutable, so an entry is computed once, when the file is first published) and a checksum
of its own content. A reader checks a file before it first opens it; `status --verify`
checks everything; `damage` lists every problem of an index, for the repair in indexer.py.
"""
from __future__ import annotations

import json
import sqlite3
import zlib
from pathlib import Path

from ...errors import REPAIR, IndexDamagedError, printable
from .manifest import Manifest
from .segment import Segment


def manifest_checksum(manifest: dict) -> int:
    """CRC-32 of the manifest's content without its own checksum (key order and spacing ignored)."""
    body = {k: v for k, v in manifest.items() if k != "checksum"}
    return zlib.crc32(json.dumps(body, sort_keys=True, ensure_ascii=False).encode())


# What reading a damaged segment, deletion list or IVF file can raise (numpy, sqlite, faiss, bm25s)
UNREADABLE = (OSError, ValueError, EOFError, KeyError, TypeError, RuntimeError, sqlite3.DatabaseError)


def _crc32(path: Path) -> int:
    crc = 0
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            crc = zlib.crc32(block, crc)
    return crc


def record_files(index_dir: Path, manifest: Manifest) -> Manifest:
    """`manifest` with the size and CRC-32 of every file it names (entries of files it already
    knew are kept: those files are immutable, so only new ones are read)."""
    files = {}
    for name in sorted(manifest.names()):
        path = index_dir / name
        for file in sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]:
            relative = file.relative_to(index_dir).as_posix()
            files[relative] = manifest.files.get(relative) or (file.stat().st_size, _crc32(file))
    return manifest.replace(files=files)


def check_files(index_dir: Path, manifest: Manifest, names: set[str], *, checksums: bool = True) -> list[str]:
    """The files of `names` (segments, deletion list, IVF) that are missing, of the wrong size
    or (with `checksums`) altered: one line each."""
    problems = []
    for relative, (size, crc) in sorted(manifest.files.items()):
        if relative.split("/", 1)[0] not in names:
            continue
        path = index_dir / relative
        try:
            actual = path.stat().st_size
        except OSError:
            problems.append(f"{relative} is missing")
            continue
        if actual != size:
            problems.append(f"{relative} has {actual} bytes, not {size}")
        elif checksums and _crc32(path) != crc:
            problems.append(f"{relative} is altered (checksum mismatch)")
    return problems


def damage(index_dir: Path, manifest: Manifest) -> dict[str, list[str]]:
    """Every problem of every file `manifest` names, by segment or file name (checksums included)."""
    found = {name: check_files(index_dir, manifest, {name}) for name in manifest.names()}
    for name in manifest.segment_names:
        if not found[name]:
            try:
                Segment(index_dir / name).warm().checked().close()
            except UNREADABLE as exc:
                found[name] = [f"{name} cannot be read ({exc})"]
    return {name: problems for name, problems in found.items() if problems}


def damaged_manifest(index_dir: Path, why: str) -> IndexDamagedError:
    """The manifest itself is damaged: nothing it names can be trusted, so a full rebuild."""
    return IndexDamagedError(f"The index in {printable(index_dir)} is damaged: manifest.json {why}; "
                             "run `python -m assistant index` to rebuild it from the corpus.", ("manifest.json",))


def damaged_error(index_dir: Path, problems: list[str]) -> IndexDamagedError:
    names = tuple(sorted({p.split("/", 1)[0].split(" ", 1)[0] for p in problems}))
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return IndexDamagedError(f"The index in {printable(index_dir)} is damaged: {problems[0]}{more}; {REPAIR}.", names)
