"""Candidate answer sentences: the sentences of the retrieved passages that may stand in an
answer, with what the reader scores and the writer needs.

Fragment rules — never a candidate, each seen in real scraped news:
- fewer than four words, or no sentence-final punctuation: headings, labels, bylines;
- ending in "?": a section heading ("Where did it happen?") or a question the text asks; and
  a question it reports ("What opportunities would they have had, asks Røseth." '"Why now?" he
  asked.'), which is no more an answer than the question itself;
- a "Photo:" credit; a picture caption keeps its words but loses its all-caps label
  ("DEPENDENT: Arve Hansen believes …" → "Arve Hansen believes …", see `display_text`);
- ending in ":" with no sentence after it in the passage: a lead-in without what it introduces;
- opening with a word that points back ("he", "this", "they" …) when no earlier sentence of
  the passage can come with it and, for "he"/"she", no person is named just before (an "it"
  that announces what follows, "It is exciting that …", points nowhere).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from . import quotes

_SENTENCE_LIKE = re.compile(r"[.!\"”’):]$")
_CAPTION_LABEL = re.compile(r"^[A-ZÆØÅÄÖÜ][A-ZÆØÅÄÖÜ0-9 .,'’&-]{2,}:\s+", re.U)
_CREDIT = re.compile(r"^(Photo|Foto|Image|Illustration)s?:", re.I)
_ASKER = r"(?:he|she|they|we|I|the(?:\s+\w+){1,3}|[A-ZÆØÅ][\w’'-]*(?:\s+[A-ZÆØÅ][\w’'-]*){0,3})"
# ", asks Røseth." / '?" he asked.' closing a sentence: it reports a question
_REPORTED_QUESTION = re.compile(rf"(?:,|\?[”\"’']?)\s+(?:{_ASKER}\s+(?:asks|asked)|(?:asks|asked)\s+{_ASKER})\.$")
_POINTS_BACK = re.compile(r"^(he|she|they|it|this|that|these|those|his|her|their|its|there|then|also|so)\b", re.I)
# "It is exciting that …", "It was not the big table that …", "It could be that …": the "it" points at
# what follows, not back ("It is reminiscent of what Putin said …" and "It said …" do point back)
_EXPLETIVE = re.compile(r"^it\s+(?:is|was|’s|'s|could be|may be|might be|would be|seems|seemed|appears|appeared)\s+"
                        r"(?:[\w’'-]+\s+){0,6}?(?:that|if|whether)\b", re.I)
_PERSONAL = re.compile(r"^(he|she)\b", re.I)
_LIST_MARK = re.compile(r"^[•*·]\s*|^-\s+")
_CONNECTIVE = re.compile(r"^(however|but|and|yet|still|meanwhile|nevertheless)\b,?\s+", re.I)


@dataclass(frozen=True)
class Candidate:
    rank: int  # of the hit it comes from
    index: int  # in hit.sentences
    text: str  # the sentence as the article has it (quote dash removed)
    paragraph_start: int  # offset of its paragraph in hit.text
    paragraph: str
    previous_paragraph: str | None
    speaker: str | None  # who said it, when it is a quote and the article says so
    vector: np.ndarray
    similarity: float  # cosine with the query
    previous_similarity: float  # cosine of the sentence before it in the passage with the query (0: none)
    next_similarity: float
    opens_paragraph: bool
    lead_in: bool  # ends in ":" and brings the next sentence
    back_reference: bool  # opens pointing back: brings the sentence before it
    stand_in: str | None  # the person to name in place of an opening "he"/"she"

    @property
    def word_count(self) -> int:
        return len(self.text.split())


def paragraph_of(text: str, start: int) -> tuple[int, str]:
    """(start offset, text) of the paragraph of `text` containing offset `start`."""
    offset = 0
    for chunk in text.split("\n\n"):
        if offset <= start < offset + len(chunk) + 2:
            return offset, chunk
        offset += len(chunk) + 2
    return 0, text


def points_back(text: str) -> bool:
    text = text.lstrip("“\"")
    return bool(_POINTS_BACK.match(text)) and not _EXPLETIVE.match(text)


def previous_paragraph(hit, paragraph_start: int, paragraph: str, paragraph_before) -> str | None:
    """The paragraph before the one at `paragraph_start` of `hit.text`: in the passage, or for a
    quote opening the passage, the article's (`paragraph_before(hit)`; quotes are attributed there)."""
    if paragraph_start > 0:
        return paragraph_of(hit.text, paragraph_start - 3)[1]
    return paragraph_before(hit) if paragraph_before and quotes.is_quote(paragraph) else None


def is_fragment(sentence: str) -> bool:
    """Headings, questions, caption labels and scraps (see the module's rules)."""
    text = quotes.QUOTE_MARK.sub("", sentence).strip()
    text = _CAPTION_LABEL.sub("", text)
    return (len(text.split()) < 4 or not _SENTENCE_LIKE.search(text) or text.endswith("?")
            or bool(_CREDIT.match(text)) or bool(_REPORTED_QUESTION.search(text)))


def display_text(sentence: str) -> str:
    """A sentence as an answer shows it: no quote dash, no caption label, no opening "however"/"but"
    (the contrast it draws is with a sentence the answer does not show)."""
    text = _CAPTION_LABEL.sub("", _LIST_MARK.sub("", quotes.QUOTE_MARK.sub("", sentence).strip()))
    stripped = _CONNECTIVE.sub("", text, count=1)
    return stripped[:1].upper() + stripped[1:] if stripped != text else text


_SUBJECT_NAME = re.compile(r"^(?:[–—-]\s*)?(?P<name>[A-ZÆØÅ][\w’'-]+(?:\s+[A-ZÆØÅ][\w’'-]+)*)\s+[a-z]")
_NOT_NAMES = {"The", "A", "An", "This", "That", "These", "Those", "It", "He", "She", "They", "We", "In", "On", "At",
              "But", "And", "However", "According", "When", "If", "After", "Before", "Although", "While", "Since", "So"}


def person_named(sentence: str) -> str | None:
    """Whom "he"/"she" in the next sentence means: the person this sentence attributes words to,
    else the name it opens with ("Ortiz Mena declined …")."""
    named = quotes.named_speaker(sentence)
    if named:
        return named
    match = _SUBJECT_NAME.match(sentence.strip())
    if match and match.group("name").split()[0] not in _NOT_NAMES:
        return match.group("name")
    return None


def _speaker(sentence: str, before: str | None, paragraph: str, previous: str | None) -> str | None:
    """A dash quote's speaker is the paragraph's; an English quote's, the sentence's ('…," Walesa said.');
    `before` is the sentence before it (the paragraph before, for a passage's first)."""
    if quotes.is_quote(paragraph):
        return quotes.speaker(paragraph, previous)
    return quotes.sentence_speaker(sentence, before)


def collect(hits, vectors_per_hit: list[np.ndarray], query_vector: np.ndarray, paragraph_before) -> list[Candidate]:
    """Candidates from the sentences of `hits` (with their sentence vectors, in order)."""
    out: list[Candidate] = []
    for rank, (hit, vectors) in enumerate(zip(hits, vectors_per_hit)):
        if not len(vectors):
            continue
        sims = vectors @ query_vector
        before_cache: dict[int, str | None] = {}
        for index, (start, end) in enumerate(hit.sentences):
            raw = hit.text[start:end]
            if is_fragment(raw):
                continue
            text = display_text(raw)
            p_start, paragraph = paragraph_of(hit.text, start)
            if p_start not in before_cache:
                before_cache[p_start] = previous_paragraph(hit, p_start, paragraph, paragraph_before)
            previous = before_cache[p_start]
            lead_in = text.endswith(":")
            if lead_in and index + 1 >= len(hit.sentences):
                continue  # what it introduces is not in this passage
            # an English quote opening "They …" points back too: '"They should be cutting …," Lucky said.'
            opening = quotes.QUOTE_MARK.sub("", text).lstrip("\"“‘")
            back = points_back(opening) and not quotes.is_quote(paragraph)
            stand_in = None
            before = hit.text[slice(*hit.sentences[index - 1])] if index > 0 else previous
            if back and _PERSONAL.match(text):  # "He believes …": name the person the sentence before names
                stand_in = person_named(before) if before else None
                back = stand_in is None
            if back and index == 0:
                continue  # nothing it could point back to comes with it
            out.append(Candidate(
                rank=rank, index=index, text=text, paragraph_start=p_start, paragraph=paragraph,
                previous_paragraph=previous, speaker=_speaker(raw, before, paragraph, previous),
                vector=vectors[index],
                similarity=float(sims[index]), previous_similarity=float(sims[index - 1]) if index > 0 else 0.0,
                next_similarity=float(sims[index + 1]) if index + 1 < len(sims) else 0.0,
                opens_paragraph=start - p_start <= 2, lead_in=lead_in, back_reference=back, stand_in=stand_in,
            ))
    return out
