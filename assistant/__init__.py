"""Question answering over news articles with exact, numbered citations; fully offline."""
from __future__ import annotations

import importlib
import os

# Before anything imports huggingface_hub or gradio: never reach for the network.
for _name, _value in (("HF_HUB_OFFLINE", "1"), ("HF_HUB_DISABLE_TELEMETRY", "1"), ("GRADIO_ANALYTICS_ENABLED", "False")):
    os.environ.setdefault(_name, _value)

from pathlib import Path  # noqa: E402

# Where each name of the package's API lives. They load on first use (PEP 562), so that
# `python -m assistant status` does not import the answer composers, torch or bm25s first.
_EXPORTS = {
    ".answer": ("ABSTAIN_TEXT", "Answer", "Citation"),
    ".errors": ("AssistantError", "ArticleError", "CorpusError", "IndexMismatchError", "IndexNotFoundError",
                "InputError", "ModelError", "SourceError"),
    ".ingest.indexer": ("BuildReport", "FileError", "build_index"),
    ".retrieval": ("Hit",),
    ".service": ("Assistant", "IndexStatus"),
}
_HOME = {name: module for module, names in _EXPORTS.items() for name in names}


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module 'assistant' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOME[name], __name__), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


_assistants: dict[object, Assistant] = {}


def _assistant(index_dir: str | Path) -> Assistant:
    from .service import Assistant
    from .store.base import is_url

    key = index_dir if is_url(index_dir) else Path(index_dir).resolve()
    if key not in _assistants:
        _assistants[key] = Assistant(index_dir)
    return _assistants[key]


def retrieve(question: str, k: int = 5, *, since=None, until=None, index_dir: str | Path = "index") -> list[Hit]:
    """The `k` passages that best answer `question`; the index and model load on first call.

    `since`/`until` (datetime.date or "YYYY-MM-DD", inclusive) keep only articles published in
    that range; undated articles drop out of a filtered search. `index_dir` is an index
    directory or a postgresql:// URL (as for `build_index` and `ask`)."""
    return _assistant(index_dir).retrieve(question, k, since=since, until=until)


def ask(question: str, *, history=(), since=None, until=None, index_dir: str | Path = "index") -> Answer:
    """A short answer whose every sentence cites its passage; declines when the articles don't cover it."""
    return _assistant(index_dir).ask(question, history=history, since=since, until=until)


__all__ = [
    "ABSTAIN_TEXT", "Answer", "Citation", "ask",
    "Assistant", "AssistantError", "ArticleError", "BuildReport", "CorpusError", "FileError", "Hit",
    "IndexMismatchError", "IndexNotFoundError", "IndexStatus", "InputError", "ModelError", "SourceError", "build_index",
    "retrieve",
]
