"""A PDF's text with pypdf; the title from the document's metadata, else its first heading.

PDF text comes as lines broken wherever the layout wrapped them. pypdf's layout mode keeps
the vertical gaps as blank lines, and paragraphs are rebuilt from them; a document without
any gap falls back to ending a paragraph at a line that ends a sentence while falling clearly
short of the usual line width. Words hyphenated across a line break are joined. (Layout mode
reads multi-column pages row by row: such PDFs are better added as their web page.)
"""
from __future__ import annotations

import io
import re
import statistics

from ..errors import SourceError
from .extracted import Extracted

_HYPHENATED = re.compile(r"(\w)-$")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)]*$")
_SHORT_LINE = 0.8  # of the median line length: a paragraph's last line usually stops well before the margin


def extract(data: bytes, label: str) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise SourceError(label, "the PDF is encrypted; save an unprotected copy and add that")
        pages = [_page_text(page) for page in reader.pages]
        metadata = reader.metadata
    except SourceError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise SourceError(label, f"this is not a readable PDF ({type(exc).__name__})") from None
    lines = [line.rstrip() for page in pages for line in (page.splitlines() + [""])]
    paragraphs = _paragraphs(lines)
    if not paragraphs:
        raise SourceError(label, "the PDF has no text layer (a scan?); add a text version")
    title = (getattr(metadata, "title", None) or "").strip() if metadata else ""
    if not title or title.lower() in ("untitled", "microsoft word") or title.lower().endswith((".doc", ".docx")):
        title, paragraphs = _first_heading(paragraphs)
    elif paragraphs[0].casefold() == title.casefold():
        paragraphs = paragraphs[1:]
    author = (getattr(metadata, "author", None) or "").strip() if metadata else ""
    # No `published`: a PDF's creation date is when the file was made, not when the article
    # appeared; the user can add the date to the saved file's front matter.
    return Extracted(title=title, paragraphs=tuple(paragraphs), author=author or None)


def _page_text(page) -> str:
    try:
        return page.extract_text(extraction_mode="layout") or ""
    except Exception:  # layout mode is newer and stricter about odd fonts; plain mode still reads them
        return page.extract_text() or ""


def _paragraphs(lines: list[str]) -> list[str]:
    widths = [len(line.strip()) for line in lines if line.strip()]
    gaps = any(not a.strip() and b.strip() for a, b in zip(lines, lines[1:]))
    usual = statistics.median(widths) if widths and not gaps else 0
    paragraphs, current = [], ""
    for line in lines:
        text = line.strip()
        if not text:
            if current:
                paragraphs.append(current)
            current = ""
            continue
        if current and _HYPHENATED.search(current):
            current = current[:-1] + text
        else:
            current = f"{current} {text}" if current else text
        if _SENTENCE_END.search(text) and len(text) < _SHORT_LINE * usual:
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return [" ".join(p.split()) for p in paragraphs if p.strip()]


def _first_heading(paragraphs: list[str]) -> tuple[str | None, list[str]]:
    """The first short line that does not end like a sentence is the title."""
    first = paragraphs[0]
    if len(first.split()) <= 20 and not _SENTENCE_END.search(first):
        return first, paragraphs[1:]
    return None, paragraphs

