"""What every reader of a source (html.py, pdf.py) returns, and the size limit every source has."""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import SourceError
from .library import pasted_article_bytes

MAX_SOURCE_BYTES = 10 * 2**20  # a news page with inline scripts and styles is 0.5–3 MB; a PDF report a few MB


@dataclass(frozen=True)
class Extracted:
    """What was read off a page or document, before it is written as a corpus article."""

    title: str | None
    paragraphs: tuple[str, ...]
    outlet: str | None = None
    published: str | None = None  # YYYY-MM-DD, only when the source states it
    author: str | None = None
    url: str | None = None

    def markdown(self, label: str) -> bytes:
        """The corpus file: front matter and paragraphs (library.pasted_article_bytes writes it)."""
        if not self.paragraphs:
            raise SourceError(label, "no article text was found in it")
        title = self.title or ""
        if not title.strip():
            raise SourceError(label, "it has no title (no <title>, heading or document title)")
        return pasted_article_bytes(title, "\n\n".join(self.paragraphs), outlet=self.outlet or "",
                                    published=self.published or "", url=self.url or "", author=self.author or "")
