"""Answers as Markdown (answer + numbered sources with cited sentences marked) and as JSON."""
from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import asdict

from ..answer import Answer, Citation
from ..dates import iso
from ..errors import printable
from ..retrieval import Hit


def marked(citation: Citation, before: str, after: str, escape=lambda text: text,
            short: tuple[int, int] | None = None, strong: tuple[str, str] = ("", "")) -> str:
    """The passage, escaped, with each cited sentence between `before` and `after`, and the
    characters `short` (the short answer, inside a cited sentence) between `strong`'s two."""
    text, out, cursor = citation.hit.text, [], 0

    def piece(start: int, end: int) -> str:
        if short is None or not start <= short[0] < short[1] <= end:
            return escape(text[start:end])
        return (escape(text[start:short[0]]) + strong[0] + escape(text[short[0]:short[1]]) + strong[1]
                + escape(text[short[1]:end]))

    for start, end in citation.spans:
        out += [escape(text[cursor:start]), before, piece(start, end), after]
        cursor = end
    out.append(escape(text[cursor:]))
    return "".join(out)


def short_text(answer: Answer) -> str | None:
    """The short answer as it leads the answer: capitalised, ending like a sentence."""
    short = answer.short_answer
    if short is None:
        return None
    text = short.text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


_CITED = re.compile(r"\[(\d+)\]")


def reply(answer: Answer, *, strong: tuple[str, str] = ("**", "**"), escape=lambda text: text,
          cite=lambda number: f"[{number}]") -> str:
    """The answer's words, as every face says them (the chat, the /chat API, the CLI): the short
    answer first, between `strong`'s two, then the text. Each face passes only how it marks them:
    `escape` for the article's words, `cite(n)` for a citation [n] of the answer (another "[n]"
    in the text is the article's own and stays text)."""
    numbers = {c.number for c in answer.citations}
    pieces, cursor = [], 0
    for match in _CITED.finditer(answer.text):
        if int(match.group(1)) in numbers:
            pieces += [escape(answer.text[cursor:match.start()]), cite(int(match.group(1)))]
            cursor = match.end()
    body = "".join(pieces) + escape(answer.text[cursor:])
    short = short_text(answer)
    return f"{strong[0]}{escape(short)}{strong[1]} {body}" if short else body


def short_span(answer: Answer, citation: Citation) -> tuple[int, int] | None:
    short = answer.short_answer
    return (short.start, short.end) if short and short.number == citation.number else None


def marked_passage(citation: Citation, mark: str = "**") -> str:
    """The passage with its cited sentences wrapped in `mark`."""
    return marked(citation, mark, mark)


def source_line(citation: Citation) -> str:
    hit = citation.hit
    line = f"[{citation.number}] {hit.source_label()} ({hit.paragraph_label})"
    line += f" — by {hit.byline}" if hit.byline else ""
    return line + (f" — quoting {', '.join(citation.speakers)}" if citation.speakers else "")


def to_markdown(answer: Answer) -> str:
    lines = [reply(answer), ""]
    if answer.rewritten:
        lines += [f"_Searched for: {answer.query}_", ""]
    if answer.abstained:
        if answer.hits:
            lines.append("Closest passages (they do not answer the question):")
            for hit in answer.hits[:3]:
                lines.append(f"- {hit.source_label()} ({hit.paragraph_label}): {hit.text[:200]}…")
        return "\n".join(lines).strip()
    lines.append("Sources:")
    for citation in answer.citations:
        quoted = marked_passage(citation).replace("\n\n", "\n> ")
        lines += ["", source_line(citation), f"> {quoted}"]
    return "\n".join(lines).strip()


def hit_dict(hit: Hit) -> dict:
    """A hit as JSON shows it: everything but the store's internal passage id, which a rebuild or
    a repair renumbers (the same answer prints the same bytes before and after)."""
    data = asdict(hit)
    del data["passage_id"]
    return data


def to_dict(answer: Answer) -> dict:
    data = asdict(answer)
    data["hits"] = [hit_dict(h) for h in answer.hits]
    for citation, shown in zip(answer.citations, data["citations"]):
        shown["hit"] = hit_dict(citation.hit)
    data["rewritten"] = answer.rewritten
    return data


def _source(hit: Hit) -> dict:
    return {"title": hit.title, "outlet": hit.outlet, "byline": hit.byline, "published": iso(hit.published),
            "url": hit.url, "file": hit.path,
            "paragraphs": hit.paragraph_label, "passage": hit.text}


def to_api(answer: Answer) -> dict:
    """The answer as the /chat API returns it: what a script needs, without scoring internals."""
    return {
        "question": answer.question, "query": answer.query, "text": reply(answer), "abstained": answer.abstained,
        "confidence": round(answer.confidence, 4), "covered": answer.covered,
        "short_answer": asdict(answer.short_answer) if answer.short_answer else None,
        "citations": [dict(_source(c.hit), number=c.number, cited=[c.hit.text[s:e] for s, e in c.spans],
                           spans=[list(span) for span in c.spans], speakers=list(c.speakers)) for c in answer.citations],
        "closest": [_source(h) for h in answer.hits[:3]] if answer.abstained else [],
    }


def api_text(answer: Answer) -> str:
    """The answer text as the /chat API returns it: the words every face says (`reply`), as
    Markdown in which the articles' words are inert (an image, a link or HTML in an article shows
    as text, as the browser shows it, and an API client that renders the Markdown fetches
    nothing); the bold short answer and the [n] citations stay. The answer as JSON (`to_api`)
    keeps every text as the articles give it."""
    return reply(answer, escape=escape_markdown)


def to_json(answer: Answer) -> str:
    return json.dumps(to_dict(answer), ensure_ascii=False, indent=2, default=str)  # dates as YYYY-MM-DD


# For the browser: article text is shown as Markdown, so it is escaped first and stays inert:
# it may hold "*", "_", HTML, images "![x](http://…)", links or bare addresses, and none of
# them may become markup, a link or a request. Cited sentences are wrapped in <mark>.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_~|#()!]|(?<=\]):)")  # "[x](…)", "![x](…)" and "[x]: …" lose their link
_ADDRESS = re.compile(r"(?i)(?<=[a-z])(?=://)|(?<=\bwww)(?=\.)")


def escape_markdown(text: str) -> str:
    """`text` shown literally by a Markdown renderer: no markup, no image, no link (a zero-width
    space after "http" and "www" keeps the renderer from turning an address into a link)."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))
    return _ADDRESS.sub("\u200b", text)


_ESCAPED = re.compile(r"\\([\\`*_~|#()!:])")


def unescape_markdown(text: str) -> str:
    """The text `escape_markdown` was given (the chat shows the reader's questions escaped)."""
    return html.unescape(_ESCAPED.sub(r"\1", text.replace("\u200b", "")))


def _quote(text: str) -> str:
    return "\n>\n".join(f"> {paragraph}" for paragraph in text.split("\n\n"))


def highlighted(citation: Citation, short: tuple[int, int] | None = None) -> str:
    """The cited passage as a Markdown block quote with its cited sentences in <mark> and the
    short answer (`short`, its characters in the passage) in bold."""
    return _quote(marked(citation, "<mark>", "</mark>", escape_markdown, short, ("<strong>", "</strong>")))


def anchor(answer: Answer, number: int) -> str:
    """The id of citation `number`'s passage where the page shows this answer's sources."""
    token = hashlib.sha1(f"{answer.question}\n{answer.text}".encode()).hexdigest()[:10]
    return f"src-{token}-{number}"


def chat_text(answer: Answer) -> str:
    """The answer as the chat shows it (inert Markdown): `reply`'s words, each citation [n] a link to
    its passage in the sources (web_page.JS_HEAD follows it there)."""
    return reply(answer, escape=escape_markdown, cite=lambda n: f"[\\[{n}\\]](#{anchor(answer, n)})")


def _where(hit: Hit) -> str:
    by = f"by {hit.byline}" if hit.byline else None
    return " · ".join(x for x in (hit.outlet, by, iso(hit.published) or "undated", f"paragraph{'s' if '–' in hit.paragraph_label else ''} "
                                  f"{hit.paragraph_label.lstrip('¶')}") if x)


def chat_sources(answer: Answer) -> str:
    """The collapsible Sources message under an answer: each cited passage, cited sentences marked."""
    blocks = []
    for c in answer.citations:
        heading = (f'**<span id="{anchor(answer, c.number)}-chat">[{c.number}]</span> {escape_markdown(c.hit.title)}** '
                   f"— {escape_markdown(_where(c.hit))}")
        blocks.append(f"{heading}\n\n{highlighted(c, short_span(answer, c))}")
    return "\n\n".join(blocks)


def closest_passages(answer: Answer, n: int = 3) -> str:
    """For an abstention: the nearest passages, plainly marked as not answering."""
    blocks = [f"**{escape_markdown(h.title)}** — {escape_markdown(_where(h))}\n\n{_quote(escape_markdown(h.text))}"
              for h in answer.hits[:n]]
    return "These passages came closest, but none of them answers the question.\n\n" + "\n\n".join(blocks)


def sources_panel(answer: Answer) -> str:
    """Side panel for the latest answer: every cited passage in full, with where it sits."""
    lines = [f"### Sources\n_For:_ {escape_markdown(answer.question)}"]
    if answer.rewritten:
        lines.append(f"_Searched for:_ {escape_markdown(answer.query)}")
    if answer.abstained:
        lines.append("**Not covered by the articles.** " + closest_passages(answer))
        return "\n\n".join(lines)
    for c in answer.citations:
        hit = c.hit
        lines.append(f'#### <span id="{anchor(answer, c.number)}">[{c.number}]</span> {escape_markdown(hit.title)}')
        detail = [escape_markdown(_where(hit)), f"file `{printable(hit.path)}`"]
        if c.speakers:
            detail.append("quoting " + escape_markdown(", ".join(c.speakers)))
        if hit.url and hit.url.startswith(("https://", "http://")):  # never a javascript: link
            detail.append(f"[original article]({hit.url.replace('(', '%28').replace(')', '%29')})")
        lines.append(" · ".join(detail))
        lines.append(highlighted(c, short_span(answer, c)))
    return "\n\n".join(lines)
