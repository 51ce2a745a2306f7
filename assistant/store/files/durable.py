"""Durable writes of the index directory: each file is written under a staging name, flushed to
disk and renamed into place, and its directory flushed before a manifest names it; no
published name is ever written again.

Every write, fsync and rename first calls `checkpoint`: crash-point tests replace it with one
that raises at the Nth step, the way SQLite tests its journal, to check that every prefix of
an update is harmless.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

import numpy as np


def checkpoint(step: str) -> None:
    """Called before every write, fsync and rename of an index update.

    It does nothing; crash-point tests replace it with one that raises at the Nth step,
    the way SQLite tests its journal, to check that every prefix of an update is harmless.
    """


def unique_name(prefix: str, generation: int, suffix: str = "") -> str:
    """A file or segment name no manifest has used: the generation plus a random tag.

    The generation alone is not enough: a rebuild of an unreadable index starts counting
    again, and a reused name would be overwritten while a published manifest names it.
    """
    return f"{prefix}-{generation:06d}-{secrets.token_hex(4)}{suffix}"


def fsync_dir(path: Path) -> None:
    checkpoint(f"fsync {path.name}/")
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file(index_dir: Path, name: str, write) -> None:
    """`write(path)` under a staging name, fsync it, rename it into place; never over a published file."""
    if (index_dir / name).exists():
        raise FileExistsError(index_dir / name)
    staging = index_dir / f".staging-{name}"
    checkpoint(f"write {name}")
    write(staging)
    checkpoint(f"fsync {name}")
    with staging.open("rb") as fh:
        os.fsync(fh.fileno())
    checkpoint(f"rename {name}")
    os.rename(staging, index_dir / name)


def write_array(index_dir: Path, name: str, array: np.ndarray) -> None:
    write_file(index_dir, name, lambda path: save_npy(path, array))


def save_npy(path: Path, array: np.ndarray) -> None:
    with path.open("wb") as fh:
        np.save(fh, array)
