"""The package's import graph, checked on the import statements themselves (function-level and
type-checking imports included): no cycles, no module importing one of a higher layer
(faces → service → answer → retrieval → store; ingest → store), and the storage seam held: the
two backends (store/files/, store/pg/) are imported by the backend switch only; retrieval,
answering, ingestion, the service and the faces reach storage through store/base.py's protocols."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "assistant"
# Lowest first. A module may import its own layer and those below it, never one above. A module's
# layer is that of the longest entry naming it or a package above it ("store.files.view": "store.files").
LAYERS = [
    {"types", "errors", "dates", "settings", "int8", "lexical", "bert"},
    {"store", "store.base", "embedding"},
    {"store.files", "store.pg"},  # the backends (every module inside them)
    {"store.backends"},
    {"ingest", "retrieval"},
    {"answer"},
    {"service"},
    {"faces", "__init__", "__main__"},
]
BACKENDS = ("store.files", "store.pg")
TOP_LEVEL_LIMIT = 10  # modules at the top of assistant/ beside __init__ and __main__


def _imports(path: Path) -> set[str]:
    """Modules of the package that `path` imports, by their name under assistant/ ("files.view", "pg.store")."""
    package = path.relative_to(PACKAGE).parent.parts  # an __init__'s relative imports start at its own package
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(package[:len(package) - node.level + 1])
            if node.module:  # "from ..store import backends" imports store.backends: _graph keeps what exists
                found.add(".".join(base + node.module.split(".")))
                found |= {".".join(base + node.module.split(".") + [alias.name]) for alias in node.names}
            else:
                found |= {".".join(base + [alias.name]) for alias in node.names}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            if isinstance(node, ast.ImportFrom) and node.module:
                names += [f"{node.module}.{alias.name}" for alias in node.names]
            found |= {n.split(".", 1)[1] for n in names if n and n.startswith("assistant.")}
    return found


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        out[".".join(parts[:-1]) if parts[-1] == "__init__" and len(parts) > 1 else ".".join(parts)] = path
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        deps = set()
        for target in _imports(path):
            while target and target not in modules:  # "files.view.Index" → "files.view"
                target = target.rpartition(".")[0]
            if target and target != name:
                deps.add(target)
        graph[name] = deps
    return graph


def _layer(module: str) -> int:
    parts = module.split(".")
    for size in range(len(parts), 0, -1):
        found = [i for i, layer in enumerate(LAYERS) if ".".join(parts[:size]) in layer]
        if found:
            return found[0]
    raise AssertionError(f"{module} is in no layer of tests/test_layers.py: place it")


def _backend(module: str) -> str | None:
    return next((b for b in BACKENDS if module == b or module.startswith(b + ".")), None)


def test_the_import_graph_has_no_cycle():
    graph, state, cycles = _graph(), {}, []

    def visit(node, path):
        state[node] = "open"
        for dep in sorted(graph[node]):
            if state.get(dep) == "open":
                cycles.append(path[path.index(dep):] + [dep])
            elif dep not in state:
                visit(dep, path + [dep])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, cycles


def test_no_module_imports_a_higher_layer():
    upward = {m: sorted(d for d in deps if _layer(d) > _layer(m)) for m, deps in _graph().items()}
    assert not {m: d for m, d in upward.items() if d}, upward


def test_only_the_backend_switch_imports_a_backend():
    outside = {m: sorted(d for d in deps if _backend(d) and _backend(d) != _backend(m)) for m, deps in _graph().items()}
    offenders = {m: d for m, d in outside.items() if d and m != "store.backends"}
    assert not offenders, offenders
    assert set(BACKENDS) <= {_backend(d) for d in _graph()["store.backends"]}


def test_the_tree_shows_the_layers():
    """ingest/, store/ and faces/ hold their rooms; the top level keeps only the shared modules."""
    top = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__"))
    assert len(top) <= TOP_LEVEL_LIMIT, top
    for package in ("ingest", "store", "faces", "answer", "store/files", "store/pg"):
        init = PACKAGE / package / "__init__.py"
        assert init.exists() and ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))), package
    assert _layer("store.files.view") < _layer("store.backends") < _layer("ingest.indexer") < _layer("answer.reader")
    assert _layer("retrieval") < _layer("answer") < _layer("service") < _layer("faces.cli")


def test_the_import_reader_sees_relative_and_lazy_imports():
    assert {"store.files.view", "store.base", "store.files.disk"} <= _imports(PACKAGE / "store" / "files" / "location.py")
    assert "store.base" in _imports(PACKAGE / "store" / "pg" / "store.py")
    assert {"store.pg", "store.files"} <= _imports(PACKAGE / "store" / "backends.py")  # both imported inside locate()
    assert "store.backends" in _graph()["ingest.indexer"]  # "from ..store import backends" names a module
