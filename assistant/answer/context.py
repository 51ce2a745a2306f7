"""The sentences a chosen sentence brings with it, so the answer reads whole: what a lead-in
introduces ("… points to two possible reasons:" brings "One is …" and "The second is …"), the
rest of a quote over several sentences, the sentence a "they"/"this" points back to, and the
lead's speaker going on in a quote."""
from __future__ import annotations

import re

from ..retrieval import Hit
from . import candidates as cands
from . import quotes

_COUNTED = re.compile(r"\b(two|three|four|several|some|a few|many)\b[^:]*:$", re.I)  # "points to two possible reasons:"
_ENUMERATES = re.compile(r"^(one|first|firstly|the first|second|secondly|the second|the other|another|third|"
                         r"the third|finally|lastly)\b", re.I)


def _enumerated(hits: list[Hit], rank: int, index: int, limit: int = 8) -> set[tuple[int, int]]:
    """Sentences opening "One …", "The second …" after a counted lead-in, in its passage and
    in the article's next passage when that was retrieved too."""
    hit = hits[rank]
    following = [(rank, i) for i in range(index + 2, len(hit.sentences))]
    after = [(r, h) for r, h in enumerate(hits) if h.article_id == hit.article_id and 0 <= h.start - hit.end <= 4]
    following += [(r, i) for r, h in after[:1] for i in range(len(h.sentences))]
    found = set()
    for r, i in following[:limit]:
        start, end = hits[r].sentences[i]
        if _ENUMERATES.match(cands.display_text(hits[r].text[start:end])):
            found.add((r, i))
    return found


def _referents(hits: list[Hit], rank: int, index: int, limit: int = 3) -> set[tuple[int, int]]:
    """The sentences of hit `rank` before sentence `index` that it needs: the one before, and further
    back while each in turn points back ("… the arbitrageur said." ← "But he added …" ← "He noted …")."""
    hit, keys = hits[rank], set()
    for j in range(index - 1, max(-1, index - 1 - limit), -1):
        start, end = hit.sentences[j]
        if cands.is_fragment(hit.text[start:end]):
            break  # a heading or caption is no referent, and never part of an answer
        keys.add((rank, j))
        if not cands.points_back(cands.display_text(hit.text[start:end])):
            break
    return keys


def with_context(chosen: list[cands.Candidate], hits: list[Hit]) -> list[list[tuple[int, int]]]:
    """Per chosen sentence, the (hit rank, sentence index) keys it brings, in article order."""
    taken: dict[tuple[int, int], int] = {}  # key → its group
    groups: list[set[tuple[int, int]]] = []
    for c in chosen:
        keys = {(c.rank, c.index)}
        if c.lead_in:
            keys.add((c.rank, c.index + 1))
            if _COUNTED.search(c.text):  # "two possible reasons:" brings "One is …" and "The second is …"
                keys |= _enumerated(hits, c.rank, c.index)
        hit = hits[c.rank]  # a quote over several sentences comes whole ('"I am for reforms. …," he said.')
        keys |= {(c.rank, j) for j in quotes.quotation_of(hit.text, hit.sentences, c.index)}
        if c is chosen[0] and c.index + 1 < len(hit.sentences):  # the lead's speaker goes on in a quote
            raw, after = (hit.text[slice(*hit.sentences[i])] for i in (c.index, c.index + 1))
            if quotes.continues(after, raw):
                keys.add((c.rank, c.index + 1))
        before = (c.rank, c.index - 1)
        if c.back_reference and c.index > 0 and before in taken:
            keys -= taken.keys()  # "They declined …" goes right after the sentence it points back to
            groups[taken[before]] |= keys
            taken.update(dict.fromkeys(keys, taken[before]))
            continue
        if c.back_reference and c.index > 0:
            keys |= _referents(hits, c.rank, c.index)
        keys -= taken.keys()
        if keys:
            taken.update(dict.fromkeys(keys, len(groups)))
            groups.append(keys)
    return [sorted(group) for group in groups]
