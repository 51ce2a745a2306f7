"""A news web page's main text and metadata, read with trafilatura (no HTML parsing of our own).

trafilatura finds the article body and leaves out navigation, cookie banners, related-story
lists, footers and figure captions (`favor_precision`), and reads the metadata from
`og:`/`article:` tags, JSON-LD, `<meta name=author>`, the canonical link and the byline.
What is left here is tidying what it returns, by rules that hold for any news page:

- the title loses the " | Outlet" tail a `<title>` carries; with no site name in the
  metadata, that tail is the outlet ("Library reopens – Valley Courier");
- the author loses "By" and separators, and is dropped unless every name in it looks like
  a name (a bio line such as "Sofia Marin is a transport planner" is not one);
- the headline repeated in the text, a kicker or section label above it ("Opinion"), a
  dateline ("Updated 20 October · First published 17 October") and a pull quote that
  repeats a sentence of the text are left out, as is a closing appeal ("Local journalism
  needs your support. Become a member today.");
- a page laid out in tables, where the precise extraction finds nothing, is read again
  with trafilatura's default balance of precision and recall.
"""
from __future__ import annotations

import re

from ..errors import SourceError
from .extracted import Extracted

# htmldate (inside trafilatura): prefer the original publication date to a later update, and
# look in the byline and the page's text too ("2 April 2024") when no tag gives it. A page
# that states no date anywhere gets none: `published` stays empty rather than guessed.
_DATES = {"original_date": True, "extensive_search": True, "outputformat": "%Y-%m-%d"}
_BY = re.compile(r"^(?:by|av|von|par)\s+", re.I)
_EDGES = " \t·|,;:–—-/"
_SEPARATORS = (" | ", " - ", " – ", " — ", " · ", ": ")
_DATELINE = re.compile(r"^(?:(?:last )?updated|(?:first |originally )?published|posted)\b[^.!?]{0,80}\d[^.!?]*$", re.I)
_HOST = re.compile(r"^[\w.-]+\.[a-z]{2,}$|^[\w.-]+:\d+$|^\d+(\.\d+){3}$", re.I)
_APPEAL = re.compile(r"(?i)\b(support (our|local|independent|quality) journalism|journalism needs your support|"
                     r"become a (member|subscriber|supporter)|subscribe (now|today)|donate (now|today)|"
                     r"sign up for our (free )?newsletter)\b")
_SENTENCE_END = re.compile(r"[.!?…\"”’»)]$")
_NAME_WORD = re.compile(r"^(?:[A-ZÆØÅÄÖÜÉ][\w’'.-]*|van|von|de|da|der|den|al|bin|la|le)$")


def extract(data: bytes | str, label: str, *, url: str | None = None) -> Extracted:
    import trafilatura

    document = None
    for precise in (True, False):
        try:
            document = trafilatura.bare_extraction(
                data, url=url, with_metadata=True, include_comments=False, include_tables=False, include_images=False,
                include_links=False, favor_precision=precise, date_extraction_params=_DATES)
        except Exception as exc:  # trafilatura raises lxml's and its own errors on broken input
            raise SourceError(label, f"the page could not be read ({type(exc).__name__})") from None
        if document is not None and (document.text or "").strip():
            break
    if document is None or not (document.text or "").strip():
        raise SourceError(label, "no article text was found on the page")
    outlet = _clean(document.sitename)
    titled = _outlet_from_title(data, document.title)
    if outlet is None or _HOST.match(outlet):  # trafilatura falls back to the host name: the last resort
        outlet = titled or (outlet.removeprefix("www.") if outlet else None)
    elif titled and " " not in outlet and _letters(titled).endswith(_letters(outlet)):
        outlet = titled  # a handle ("@dailyember" → "Dailyember") spelt out in the <title>: "The Daily Ember"
    title = _title(document.title, outlet)
    lines = _body([line.strip() for line in document.text.splitlines() if line.strip()], title)
    return Extracted(title=title, paragraphs=tuple(lines), outlet=outlet, published=document.date or None,
                     author=_author(document.author), url=document.url or url)


def _body(lines: list[str], title: str | None) -> list[str]:
    folded_title = (title or "").casefold()
    lines = [line for line in lines if line.casefold() != folded_title and not _DATELINE.match(line)]
    while lines and len(lines[0].split()) <= 3 and not _SENTENCE_END.search(lines[0]):
        lines = lines[1:]  # a kicker or section label above the text
    while lines and _APPEAL.search(lines[-1]):
        lines = lines[:-1]  # "support our journalism", "become a member": the page asking, not the article
    # A pull quote repeats (part of) a sentence of another paragraph: keep that paragraph only.
    return [line for i, line in enumerate(lines)
            if not (len(line.split()) <= 30 and any(_core(line) in other for j, other in enumerate(lines)
                                                     if j != i and len(other) > len(line)))]


def _letters(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.casefold())


def _core(line: str) -> str:
    """A quote's words without its quotation marks and final stop (a pull quote ends in "."
    where the sentence it repeats goes on with ", she said")."""
    return line.strip('"“”«»„ ').rstrip(".,!?…").strip('"“”«» ')


def _outlet_from_title(data: bytes | str, title: str | None) -> str | None:
    """The page's `<title>` as "Headline – Outlet" names the outlet when no metadata does."""
    import lxml.html

    try:
        page_title = lxml.html.fromstring(data).findtext(".//title") or ""
    except (ValueError, lxml.etree.ParserError):
        return None
    page_title = " ".join(page_title.split())
    for separator in _SEPARATORS:
        head, sep, tail = page_title.rpartition(separator)
        if sep and head and title and head.casefold().startswith(title.casefold()[:20]) and len(tail.split()) <= 5:
            return _clean(tail)
    return None


def _clean(value: str | None) -> str | None:
    value = (value or "").strip(_EDGES)
    return value or None


def _title(title: str | None, outlet: str | None) -> str | None:
    """The headline: a `<title>`'s "Headline | Outlet" or "Headline - Outlet" loses the outlet."""
    title = _clean(title)
    if title and outlet:
        for separator in _SEPARATORS:
            head, sep, tail = title.rpartition(separator)
            if sep and head and tail.strip().casefold() == outlet.casefold():
                return head.strip()
    return title


def _author(author: str | None) -> str | None:
    """"By Kari Nilsen ·" → "Kari Nilsen"; several authors stay as trafilatura joins them ("A; B")."""
    author = _clean(_BY.sub("", _clean(author) or ""))
    if not author:
        return None
    names = [name.split() for name in author.split(";")]
    if all(1 <= len(words) <= 4 and all(_NAME_WORD.match(w) for w in words) and _NAME_WORD.match(words[0])
           and words[0][0].isupper() for words in names):
        return author
    return None
