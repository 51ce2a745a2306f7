"""Question answering over news articles with exact, numbered citations; fully offline."""
from __future__ import annotations

import os

# Before anything imports huggingface_hub or gradio: never reach for the network.
for _name, _value in (("HF_HUB_OFFLINE", "1"), ("HF_HUB_DISABLE_TELEMETRY", "1"), ("GRADIO_ANALYTICS_ENABLED", "False")):
    os.environ.setdefault(_name, _value)

from pathlib import Path  # noqa: E402

from .answer import ABSTAIN_TEXT, Answer, Citation  # noqa: E402
from .errors import (AssistantError, ArticleError, CorpusError, IndexMismatchError, IndexNotFoundError,  # noqa: E402
                     InputError, ModelError, SourceError)
from .ingest.indexer import BuildReport, FileError, build_index  # noqa: E402
from .retrieval import Hit  # noqa: E402
from .service import Assistant, IndexStatus  # noqa: E402
from .store.base import is_url  # noqa: E402

_assistants: dict[object, Assistant] = {}


def _assistant(index_dir: str | Path) -> Assistant:
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
