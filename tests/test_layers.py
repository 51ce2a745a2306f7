"""The package's import graph, checked on the import statements themselves (function-level and
type-checking imports included): no cycles, no module importing one of a higher layer, and the
storage seam held: the two backends (files/, pg/) are imported by the backend switch only;
retrieval, answering, the indexer, the service and the faces reach storage through
`storage.py`'s protocols."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "assistant"
# Lowest first. A module may import its own layer and those below it, never one above.
LAYERS = [
    {"types", "errors", "dates", "settings", "int8", "lexical", "cleaning"},
    {"storage", "embedding", "corpus", "chunking"},
    {"files", "pg"},  # the backends (every module inside them)
    {"backends"},
    {"library", "ingest", "indexer", "retrieval"},
    {"answer"},
    {"service"},
    {"render", "web", "web_articles", "cli", "__init__", "__main__"},
]


def _imports(path: Path) -> set[str]:
    """Modules of the package that `path` imports, by their name under assistant/ ("files.view", "pg.store")."""
    package = path.relative_to(PACKAGE).parent.parts  # an __init__'s relative imports start at its own package
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
    top = module.split(".")[0]
    found = [i for i, layer in enumerate(LAYERS) if top in layer]
    assert found, f"{module} is in no layer of tests/test_layers.py: place it"
    return found[0]


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
    outside = {m: sorted(d for d in deps if d.split(".")[0] in ("files", "pg") and d.split(".")[0] != m.split(".")[0])
               for m, deps in _graph().items()}
    offenders = {m: d for m, d in outside.items() if d and m != "backends"}
    assert not offenders, offenders
    assert {"files", "pg"} <= {d.split(".")[0] for d in _graph()["backends"]}


def test_the_import_reader_sees_relative_and_lazy_imports():
    assert {"files.view", "storage", "files.disk"} <= _imports(PACKAGE / "files" / "location.py")
    assert "storage" in _imports(PACKAGE / "pg" / "store.py")
    assert {"pg", "files"} <= _imports(PACKAGE / "backends.py")  # both imported inside locate()
