"""Split a cleaned article into passages that fit the embedding model's window.

Passages follow paragraphs and never split a sentence (a "sentence" longer than a passage,
as in text with no punctuation, is cut between words, and a "word" longer than a passage
between characters). The tokenizer never reads more than MAX_TOKENIZED_CHARS at once, so the
work grows with the text's length, not faster. A quote paragraph ("– …") stays with
the paragraph before it and a heading with the paragraph after it, when they fit together.
Every passage records its character span in the article text and its sentences' spans, so a
citation can point at the exact words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

import sentencex

from .corpus import Article

DEFAULT_PASSAGE_TOKENS = 160
# A sentence is a few hundred characters; a longer "sentence" (a dump with no punctuation, one
# 5 MB line) is cut into windows of at most this many before the tokenizer sees it: a tokenizer
# handed one huge string works superlinearly (a 400 kB line of "!" took 9x a 100 kB one) and
# holds every word piece of it in memory at once.
MAX_TOKENIZED_CHARS = 4_000
SPECIAL_TOKENS = 2  # [CLS] and [SEP]
_QUOTE_START = re.compile(r"^[–—\-\"“«„]")
_SENTENCE_END = re.compile(r"[.!…\"”’)]$")  # not "?" or ":": "What happened?" heads a section


@dataclass(frozen=True)
class Passage:
    article_id: str
    ordinal: int  # position of the passage in its article
    text: str  # exactly article.text[start:end]
    start: int
    end: int
    paragraphs: tuple[int, int]  # 0-based paragraph range [first, last + 1)
    sentences: tuple[tuple[int, int], ...]  # spans inside `text`


@dataclass(frozen=True)
class _Unit:
    """Consecutive sentences of one paragraph."""

    paragraph: int
    spans: tuple[tuple[int, int], ...]  # in article text
    tokens: int


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of `text`, whitespace trimmed, in order."""
    spans, cursor, raw = [], 0, 0
    for sentence in sentencex.segment("en", text):
        raw += len(sentence)  # the splitter's pieces follow each other: this one ends about here
        stripped = sentence.strip()
        if not stripped:
            continue
        start = text.find(stripped, cursor, max(raw, cursor + len(stripped)))  # never a search to the end
        if start < 0:  # the splitter altered the text: fall back to the raw cursor
            start = cursor
        end = start + len(stripped)
        spans.append((start, end))
        cursor = end
    return spans


def embed_text(title: str, text: str) -> str:
    """What the model reads for a passage: the title gives the passage its context."""
    return f"{title}\n{text}"


def is_heading(paragraph: str) -> bool:
    """A short line that introduces what follows: a section title or a Q&A-box question."""
    return len(paragraph.split()) <= 8 and not _SENTENCE_END.search(paragraph)


_LAST_SPACE = re.compile(r".*\s", re.S)


def _windows(text: str, start: int, end: int, width: int = MAX_TOKENIZED_CHARS) -> list[tuple[int, int]]:
    """`text[start:end]` as consecutive spans of at most `width` characters, cut at the last
    whitespace inside each (inside a word only when it has none), whitespace left out."""
    spans = []
    while end - start > width:
        space = _LAST_SPACE.match(text, start, start + width)
        cut = space.end() - 1 if space and space.end() - 1 > start else start + width
        end_of_words = cut
        while end_of_words > start and text[end_of_words - 1].isspace():
            end_of_words -= 1
        spans.append((start, end_of_words))  # text[start] is no space: never empty
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        spans.append((start, end))
    return spans


def _units(article: Article, count_tokens: Callable[[list[str]], list[int]], budget: int) -> list[_Unit]:
    per_paragraph = []
    for p_start, p_end in article.paragraphs:
        spans = [(p_start + s, p_start + e) for s, e in sentence_spans(article.text[p_start:p_end])]
        per_paragraph.append([window for s, e in spans or [(p_start, p_end)] for window in _windows(article.text, s, e)])
    flat = [article.text[s:e] for spans in per_paragraph for s, e in spans]
    counts_flat = count_tokens(flat)
    if any(c > budget for c in counts_flat):  # a "sentence" longer than a passage: cut it between words
        per_paragraph, counts_flat = _cut_long(article.text, per_paragraph, counts_flat, count_tokens, budget)
    tokens = iter(counts_flat)
    units: list[_Unit] = []
    for index, spans in enumerate(per_paragraph):
        counts = [next(tokens) for _ in spans]
        current: list[tuple[int, int]] = []
        current_tokens = 0
        for span, count in zip(spans, counts):
            if current and current_tokens + count > budget:
                units.append(_Unit(index, tuple(current), current_tokens))
                current, current_tokens = [], 0
            current.append(span)
            current_tokens += count
        units.append(_Unit(index, tuple(current), current_tokens))
    return units


_WORD = re.compile(r"\S+")


def _cut_long(text: str, per_paragraph, counts, count_tokens, budget):
    """Sentences over `budget` word pieces split at word boundaries into pieces that fit.

    Text without sentence punctuation (a pasted one-line dump, a list of names) would
    otherwise become one passage the model silently truncates.
    """
    new_paragraphs, new_counts, flat = [], [], iter(counts)
    for spans in per_paragraph:
        out: list[tuple[tuple[int, int], int]] = []
        for start, end in spans:
            count = next(flat)
            if count <= budget:
                out.append(((start, end), count))
                continue
            words = [(start + m.start(), start + m.end()) for m in _WORD.finditer(text[start:end])]
            if len(words) == 1:  # one "word" ("!!!…"): its characters, as words
                words = [(i, i + 1) for i in range(start, end)]
            # pieces of the size the sentence's own word pieces per word suggest, halved until they fit
            per_piece = max(1, int(len(words) * budget * 0.9 / count))
            pending = [words[i:i + per_piece] for i in range(0, len(words), per_piece)]
            pieces = []
            while pending:
                sizes = count_tokens([text[p[0][0]:p[-1][1]] for p in pending])
                again = []
                for piece, size in zip(pending, sizes):
                    if size <= budget or len(piece) == 1:
                        pieces.append(((piece[0][0], piece[-1][1]), size))
                    else:
                        again += [piece[:len(piece) // 2], piece[len(piece) // 2:]]
                pending = again
            out += sorted(pieces)
        new_paragraphs.append([span for span, _ in out])
        new_counts += [n for _, n in out]
    return new_paragraphs, new_counts


def _groups(article: Article, units: list[_Unit], budget: int) -> list[list[_Unit]]:
    """Glue quotes to the paragraph before and headings to the paragraph after."""
    groups: list[list[_Unit]] = []
    for unit in units:
        text = article.text[unit.spans[0][0]:unit.spans[-1][1]]
        whole_paragraph_start = unit.spans[0][0] == article.paragraphs[unit.paragraph][0]
        if groups:
            previous = groups[-1]
            size = sum(u.tokens for u in previous) + unit.tokens
            last = previous[-1]
            last_text = article.text[last.spans[0][0]:last.spans[-1][1]]
            glue = whole_paragraph_start and (_QUOTE_START.match(text) or is_heading(last_text))
            if glue and size <= budget:
                previous.append(unit)
                continue
        groups.append([unit])
    return groups


def chunk_article(
    article: Article,
    count_tokens: Callable[[list[str]], list[int]],
    *,
    max_model_tokens: int,
    passage_tokens: int = DEFAULT_PASSAGE_TOKENS,
) -> list[Passage]:
    """Passages of `article`; each fits `max_model_tokens` together with the title."""
    title_tokens = count_tokens([embed_text(article.title, "")])[0]
    # a small margin: word pieces of joined text can differ slightly from the sum of parts
    budget = max(16, min(passage_tokens, max_model_tokens - SPECIAL_TOKENS - title_tokens - 8))
    passages: list[Passage] = []
    current: list[_Unit] = []

    def emit(units: Sequence[_Unit]) -> None:
        start, end = units[0].spans[0][0], units[-1].spans[-1][1]
        passages.append(Passage(
            article_id=article.id,
            ordinal=len(passages),
            text=article.text[start:end],
            start=start,
            end=end,
            paragraphs=(units[0].paragraph, units[-1].paragraph + 1),
            sentences=tuple((s - start, e - start) for unit in units for s, e in unit.spans),
        ))

    for group in _groups(article, _units(article, count_tokens, budget), budget):
        size = sum(u.tokens for u in group)
        if current and sum(u.tokens for u in current) + size > budget:
            emit(current)
            current = []
        current.extend(group)
    if current:
        emit(current)
    return passages
