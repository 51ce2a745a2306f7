"""Answers as Markdown (answer + numbered sources with cited sentences marked) and as JSON."""
from __future__ import annotations

import json
from dataclasses import asdict

from .answer import Answer, Citation


def marked_passage(citation: Citation, mark: str = "**") -> str:
    """The passage with its cited sentences wrapped in `mark`."""
    text, out, cursor = citation.hit.text, [], 0
    for start, end in citation.spans:
        out += [text[cursor:start], mark, text[start:end], mark]
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def source_line(citation: Citation) -> str:
    hit = citation.hit
    line = f"[{citation.number}] {hit.source_label()} ({hit.paragraph_label})"
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


def to_json(answer: Answer) -> str:
    return json.dumps(to_dict(answer), ensure_ascii=False, indent=2)
