"""The index argument chooses the backend: a postgresql:// URL is PostgreSQL (pg/), anything else
an index directory (files/). The only module that imports both (tests/test_layers.py)."""
from __future__ import annotations

from pathlib import Path

from .base import Location, is_url


def locate(spec: str | Path) -> Location:
    """The backend an index argument names: a postgresql:// URL, or a directory."""
    if is_url(spec):
        from .pg import PgLocation  # psycopg is optional: imported only for a URL

        return PgLocation(spec)
    from .files import FileLocation

    return FileLocation(Path(spec))
