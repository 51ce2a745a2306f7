"""Turning what a reader has — a web page, a link, a PDF, a text file — into a corpus article.

Every source becomes the same thing: Markdown with front matter (`title`, `outlet`,
`published`, `author`, `url`) and the article's paragraphs, which `library.prepare` then
checks and the corpus cleaning rules read like any hand-written article. Nothing here
writes: `article_from` returns the bytes and the suffix to save them under.

    SOURCE                    read by
    http(s)://…               urls.download, then html or pdf by the reply's content type
    .html / .htm file         html.extract (trafilatura: main text and metadata)
    .pdf file                 pdf.extract (pypdf: text; title from metadata or first heading)
    .txt / .md file           as it is (front matter optional, as in the corpus)
"""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from ..errors import SourceError

TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm")
PDF_SUFFIXES = (".pdf",)
SOURCE_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + PDF_SUFFIXES
_OTHER_SCHEME = re.compile(r"(?i)^(?:[a-z][a-z0-9+.-]*://|(?:data|javascript|mailto|file):)")  # ftp://, file:…
from .extracted import MAX_SOURCE_BYTES, Extracted  # noqa: E402,F401 (part of this package's API)
from . import urls  # noqa: E402
from .urls import LinkPolicy  # noqa: E402


def is_link(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def article_from(source: str | Path, *, links: LinkPolicy = LinkPolicy()) -> tuple[bytes, str, str]:
    """(bytes to save, suffix, label for messages) for one SOURCE, or SourceError/ArticleError;
    `links` says which addresses a link may lead to (by default none on this machine or its network)."""
    text = str(source)
    if is_link(text):
        reply = urls.download(text, policy=links)
        return _from_bytes(reply.data, reply.kind, text, url=reply.url), ".md", text
    if _OTHER_SCHEME.match(text):
        raise SourceError(text, "only http:// and https:// links can be added")
    path = Path(text)
    suffix = path.suffix.lower()
    if suffix not in SOURCE_SUFFIXES:
        raise SourceError(text, f"cannot add '{suffix or 'no suffix'}' files: give a .txt, .md, .html, .htm or .pdf "
                                "file, or an http(s):// link")
    try:
        if path.stat().st_size > MAX_SOURCE_BYTES:
            raise SourceError(text, f"the file is over {MAX_SOURCE_BYTES // 2**20} MB")
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(text, f"cannot be read ({exc.strerror})") from None
    return (*from_upload(data, path.name), path.name)


def from_upload(data: bytes, name: str) -> tuple[bytes, str]:
    """(bytes to save, suffix) for an uploaded file of any accepted kind (the browser's Articles tab)."""
    suffix = Path(name).suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return data, suffix
    if suffix not in SOURCE_SUFFIXES:
        raise SourceError(name, f"cannot add '{suffix or 'no suffix'}' files: give a .txt, .md, .html, .htm or .pdf file")
    if len(data) > MAX_SOURCE_BYTES:
        raise SourceError(name, f"the file is over {MAX_SOURCE_BYTES // 2**20} MB")
    return _from_bytes(data, "html" if suffix in HTML_SUFFIXES else "pdf", name), ".md"


def _from_bytes(data: bytes, kind: str, label: str, *, url: str | None = None) -> bytes:
    if kind == "pdf":
        from . import pdf

        extracted = pdf.extract(data, label)
        if url and not extracted.url:
            extracted = replace(extracted, url=url)
    else:
        from . import html

        extracted = html.extract(data, label, url=url)
    return extracted.markdown(label)


__all__ = ["Extracted", "article_from", "from_upload", "is_link", "SOURCE_SUFFIXES"]
