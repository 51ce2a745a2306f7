"""Errors the assistant raises on purpose: each message says what to do next."""
from __future__ import annotations


# What to do about a damaged index directory (the damaged parts are re-embedded from the corpus).
REPAIR = "run `python -m assistant index` to re-embed what it held from the corpus"


class AssistantError(Exception):
    """Base class: anything the user can fix (bad input, missing or foreign index)."""


class CorpusError(AssistantError):
    """The corpus directory is missing, empty or unusable as a whole."""


class ArticleError(AssistantError):
    """One article file cannot be used; the message names the file."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class IndexNotFoundError(AssistantError):
    """No index has been built in the given directory yet."""


class IndexMismatchError(AssistantError):
    """The index was built by another model, format or pipeline and cannot be mixed."""


class IndexDamagedError(AssistantError):
    """A file of the index is missing, truncated or altered; `python -m assistant index` repairs it."""

    def __init__(self, message: str, damaged: tuple[str, ...] = ()):
        super().__init__(message)
        self.damaged = damaged  # index-relative names of the damaged files' segments or files


class InputError(AssistantError):
    """An argument a caller gave is malformed; the message names it (e.g. `since`)."""


class SourceError(ArticleError):
    """A web page, link or PDF to add cannot be fetched or read; the message (and `path`)
    names the link or file as the user gave it."""


class ModelError(AssistantError):
    """The embedding model cannot be loaded."""
