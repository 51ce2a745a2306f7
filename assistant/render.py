"""Answers as Markdown (answer + numbered sources with cited sentences marked) and as JSON."""
from __future__ import annotations

import html
import json
import re
from dataclasses import asdict

from .answer import Answer, Citation
from .dates import iso
from .retrieval import Hit


def _marked(citation: Citation, before: str, after: str, escape=lambda text: text) -> str:
    """The passage, escaped, with each cited sentence between `before` and `after`."""
    text, out, cursor = citation.hit.text, [], 0
    for start, end in citation.spans:
        out += [escape(text[cursor:start]), before, escape(text[start:end]), after]
        cursor = end
    out.append(escape(text[cursor:]))
    return "".join(out)


def marked_passage(citation: Citation, mark: str = "**") -> str:
    """The passage with its cited sentences wrapped in `mark`."""
    return _marked(citation, mark, mark)


def source_line(citation: Citation) -> str:
    hit = citation.hit
    line = f"[{citation.number}] {hit.source_label()} ({hit.paragraph_label})"
    line += f" — by {hit.byline}" if hit.byline else ""
    return line + (f" — quoting {', '.join(citation.speakers)}" if citation.speakers else "")


def to_markdown(answer: Answer) -> str:
    lines = [answer.text, ""]
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


def to_dict(answer: Answer) -> dict:
    data = asdict(answer)
    data["rewritten"] = answer.rewritten
    return data


def _source(hit: Hit) -> dict:
    return {"title": hit.title, "outlet": hit.outlet, "byline": hit.byline, "published": iso(hit.published),
            "url": hit.url, "file": hit.path,
            "paragraphs": hit.paragraph_label, "passage": hit.text}


def to_api(answer: Answer) -> dict:
    """The answer as the /chat API returns it: what a script needs, without scoring internals."""
    return {
        "question": answer.question, "query": answer.query, "text": answer.text, "abstained": answer.abstained,
        "confidence": round(answer.confidence, 4),
        "citations": [dict(_source(c.hit), number=c.number, cited=[c.hit.text[s:e] for s, e in c.spans],
                           spans=[list(span) for span in c.spans], speakers=list(c.speakers)) for c in answer.citations],
        "closest": [_source(h) for h in answer.hits[:3]] if answer.abstained else [],
    }


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


def _quote(text: str) -> str:
    return "\n>\n".join(f"> {paragraph}" for paragraph in text.split("\n\n"))


def highlighted(citation: Citation) -> str:
    """The cited passage as a Markdown block quote with its cited sentences in <mark>."""
    return _quote(_marked(citation, "<mark>", "</mark>", escape_markdown))


def _where(hit: Hit) -> str:
    by = f"by {hit.byline}" if hit.byline else None
    return " · ".join(x for x in (hit.outlet, by, iso(hit.published) or "undated", f"paragraph{'s' if '–' in hit.paragraph_label else ''} "
                                  f"{hit.paragraph_label.lstrip('¶')}") if x)


def chat_sources(answer: Answer) -> str:
    """The collapsible Sources message under an answer: each cited passage, cited sentences marked."""
    blocks = []
    for c in answer.citations:
        heading = f"**[{c.number}] {escape_markdown(c.hit.title)}** — {escape_markdown(_where(c.hit))}"
        blocks.append(f"{heading}\n\n{highlighted(c)}")
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
        lines.append(f"#### [{c.number}] {escape_markdown(hit.title)}")
        detail = [escape_markdown(_where(hit)), f"file `{hit.path}`"]
        if c.speakers:
            detail.append("quoting " + escape_markdown(", ".join(c.speakers)))
        if hit.url and hit.url.startswith(("https://", "http://")):  # never a javascript: link
            detail.append(f"[original article]({hit.url.replace('(', '%28').replace(')', '%29')})")
        lines.append(" · ".join(detail))
        lines.append(highlighted(c))
    return "\n\n".join(lines)
