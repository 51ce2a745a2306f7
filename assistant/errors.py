"""Errors the assistant raises on purpose: each message says what to do next."""
from __future__ import annotations

import re


# What to do about a damaged index directory (the damaged parts are re-embedded from the corpus).
REPAIR = "run `python -m assistant index` to re-embed what it held from the corpus"


# The characters that act instead of showing, as a regex class: C0 and C1 control characters (a
# newline splits the line, ESC starts a terminal command), Unicode line separators and the
# bidirectional controls that make text read backwards. One definition for every place text
# crosses a boundary: names in messages (printable, escaped), article text on a terminal
# (faces/terminal.inert, dropped but for newline and tab), questions (service.question_text,
# whitespace ones read as spaces, the rest dropped).
CONTROLS = "\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
# Names also escape lone surrogates (a file name's bytes that are not UTF-8, as Python lists
# them; printing one raises UnicodeEncodeError).
_UNPRINTABLE = re.compile(f"[{CONTROLS}\ud800-\udfff]")


def _escaped(match: re.Match) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, as os.fsdecode hands it over
        return f"\\x{code - 0xDC00:02x}"
    return match.group().encode("unicode_escape").decode("ascii")


def printable(name: object) -> str:
    """`name` (a file or folder name, a link, an index location) as every message prints it:
    control characters, line separators, bidirectional controls and undecodable bytes as
    Python escapes ("a\\nb.md", "\\x1b[31m", "caf\\xe9.md"), so a name stays on its line and
    sends nothing to the terminal."""
    return _UNPRINTABLE.sub(_escaped, str(name))


class AssistantError(Exception):
    """Base class: anything the user can fix (bad input, missing or foreign index)."""


class CorpusError(AssistantError):
    """The corpus directory is missing, empty or unusable as a whole."""


class ArticleError(AssistantError):
    """One article file cannot be used; the message names the file."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{printable(path)}: {reason}")
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
