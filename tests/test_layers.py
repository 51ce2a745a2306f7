"""The storage seam holds: outside the index-directory backend, nothing imports its internals
(segments, deletion lists, compaction, the IVF file, postings, the manifest); retrieval,
answering, the indexer, the service and the faces reach storage through `storage.py`'s
protocols only. Checked on the import statements themselves."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "assistant"
FILE_BACKEND = {"filestore", "store", "index", "segment", "compaction", "ann", "integrity", "manifest"}


def _imports(path: Path) -> set[str]:
    """Modules of the package that `path` imports, by their name under assistant/ ("index", "pg.store")."""
    package = path.relative_to(PACKAGE).parent.parts
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(package[:len(package) - node.level + 1])
            if node.module:
                found.add(".".join(base + node.module.split(".")))
            else:
                found |= {".".join(base + [alias.name]) for alias in node.names}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            found |= {n.split(".", 1)[1] for n in names if n and n.startswith("assistant.")}
    return found


def test_only_the_file_backend_and_the_backend_switch_import_its_internals():
    offenders = {}
    for path in PACKAGE.rglob("*.py"):
        module = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        if module in FILE_BACKEND or module == "storage":  # storage.locate picks the backend by the index argument
            continue
        inside = _imports(path) & FILE_BACKEND
        if inside:
            offenders[module] = sorted(inside)
    assert not offenders, offenders


def test_the_import_reader_sees_relative_imports():
    assert {"index", "storage"} <= _imports(PACKAGE / "filestore.py")
    assert "storage" in _imports(PACKAGE / "pg" / "store.py")
