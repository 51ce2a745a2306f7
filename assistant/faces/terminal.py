"""An answer for a terminal: `render.reply`'s words (the chat's and the API's), with the short answer,
the cited sentences and titles in bold and the citations in colour when the output is a terminal,
and as plain text (no `**`, no escape codes) when it is piped or NO_COLOR is set."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

from ..errors import CONTROLS
from . import render
from ..answer import Answer

# Article text is data: a passage holding ESC [ 2 J must not clear the reader's screen, a stray
# carriage return overwrite a line, nor a bidirectional override turn the next line backwards.
# Control characters (errors.CONTROLS) other than newline and tab go.
_CONTROL = re.compile(f"(?![\n\t])[{CONTROLS}]")


def inert(text: str) -> str:
    """`text` with no control character left that a terminal would act on."""
    return _CONTROL.sub("", text)


@dataclass(frozen=True)
class Style:
    """How each part is marked: a (start, end) pair of escape sequences each, empty for plain text."""

    strong: tuple[str, str]
    short: tuple[str, str]  # the short answer, inside its cited sentence (already strong)
    cite: tuple[str, str]
    faint: tuple[str, str]
    quote: str  # before each line of a quoted passage


PLAIN = Style(("", ""), ("", ""), ("", ""), ("", ""), "> ")
ANSI = Style(("\x1b[1m", "\x1b[22m"), ("\x1b[4m", "\x1b[24m"), ("\x1b[36m", "\x1b[39m"),
             ("\x1b[2m", "\x1b[22m"), "\x1b[2m│\x1b[22m ")


def style_for(stream) -> Style:
    """ANSI for a terminal, as `ls --color=auto` decides; plain when piped, on a dumb terminal or
    with NO_COLOR set (no-color.org)."""
    isatty = getattr(stream, "isatty", None)
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb" or not (isatty and isatty()):
        return PLAIN
    return ANSI


def _wrap(pair: tuple[str, str], text: str) -> str:
    return f"{pair[0]}{text}{pair[1]}"


def _quoted(text: str, style: Style) -> str:
    return "\n".join(style.quote + paragraph for paragraph in text.split("\n\n"))


def to_terminal(answer: Answer, style: Style = PLAIN) -> str:
    """The answer, a search note when a follow-up was rewritten, and the sources (or, for a
    decline, the closest passages), laid out as `render.to_markdown` lays them out."""
    lines = [render.reply(answer, strong=style.strong, escape=inert, cite=lambda n: _wrap(style.cite, f"[{n}]")), ""]
    if answer.rewritten:
        lines += [_wrap(style.faint, f"Searched for: {inert(answer.query)}"), ""]
    if answer.abstained:
        if answer.hits:
            lines.append("Closest passages (they do not answer the question):")
            for hit in answer.hits[:3]:
                where = inert(f"{hit.source_label()} ({hit.paragraph_label})")
                lines.append(f"- {_wrap(style.strong, where)}: {inert(hit.text[:200])}…")
        return "\n".join(lines).strip()
    lines.append(_wrap(style.strong, "Sources:"))
    for citation in answer.citations:
        number, title = f"[{citation.number}] ", inert(citation.hit.title)
        rest = inert(render.source_line(citation))[len(number) + len(title):]  # "[n] Title — Outlet (¶…) …"
        heading = _wrap(style.cite, number.strip()) + " " + _wrap(style.strong, title) + rest
        passage = render.marked(citation, *style.strong, escape=inert, short=render.short_span(answer, citation),
                                strong=style.short)
        lines += ["", heading, _quoted(passage, style)]
    return "\n".join(lines).strip()
