"""Compose a short answer from sentences of the retrieved passages, each cited by number.

Because every answer sentence is copied from a passage, its citation is by construction the
passage it came from: numbers run 1, 2, 3… in order of first appearance, one per passage,
and every number has a source and every source a number.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from . import lexical, quotes
from .retrieval import Hit, Query, Searcher

ABSTAIN_TEXT = "The articles don't cover this question."
RETRIEVE_K = 8
SENTENCE_POOL = 5  # passages whose sentences may be used
MAX_SENTENCES = 4
MAX_WORDS = 120
MMR_LAMBDA = 0.7
SPEAKER_BONUS = 0.1  # a quote by the person the question names
SAME_PASSAGE_PENALTY = 0.08  # spread the answer over passages (and so over articles)
_LIST_MARK = re.compile(r"^[•*·]\s*|^-\s+")
KEEP_RELATIVE = 0.72  # a sentence must score this share of the best one to be used
ABSTAIN_BELOW = 0.45  # balances false-abstain and false-answer on SQuAD (bench/eval_answers.py)
_BACK_REFERENCE = re.compile(r"^(he|she|they|it|this|that|these|those|his|her|their|its|but|and|so|then|there)\b", re.I)
_SENTENCE_LIKE = re.compile(r"[.!?\"”’):]$")
_INTRODUCES = re.compile(r":$")  # "Røseth points to two possible reasons:" brings what follows


@dataclass(frozen=True)
class Citation:
    number: int
    hit: Hit
    spans: tuple[tuple[int, int], ...]  # cited sentences inside hit.text
    speakers: tuple[str, ...] = ()  # people quoted from this passage in the answer


@dataclass(frozen=True)
class Answer:
    question: str
    query: str  # what was searched (the question, rewritten when it was a follow-up)
    text: str
    citations: tuple[Citation, ...]
    hits: tuple[Hit, ...]
    abstained: bool
    confidence: float

    @property
    def rewritten(self) -> bool:
        return self.query != self.question


@dataclass(frozen=True)
class _Sentence:
    hit_rank: int
    index: int  # in hit.sentences
    text: str
    paragraph: str
    previous_paragraph: str | None
    vector: np.ndarray
    relevance: float


def _paragraph_of(hit: Hit, start: int) -> tuple[int, str]:
    """(start offset, text) of the paragraph of `hit.text` containing offset `start`."""
    offset = 0
    for chunk in hit.text.split("\n\n"):
        if offset <= start < offset + len(chunk) + 2:
            return offset, chunk
        offset += len(chunk) + 2
    return 0, hit.text


def _names_match(speaker: str, question: str) -> bool:
    """The question names the speaker (first six letters of a name word, to survive typos)."""
    words = {w[:6].lower() for w in re.findall(r"\w+", question) if w[:1].isupper() and len(w) >= 4}
    return any(part[:6].lower() in words for part in speaker.split() if len(part) >= 4)


def _content_words(text: str) -> set[str]:
    return set(lexical.tokenize([text])[0])


class Composer:
    """Turns the hits of one searcher into an Answer."""

    def __init__(self, searcher: Searcher):
        self.searcher = searcher

    def _previous_paragraph(self, hit: Hit, paragraph_start: int) -> str | None:
        if paragraph_start > 0:
            return _paragraph_of(hit, paragraph_start - 3)[1]
        data = self.searcher.data
        ids = (data.article(hit.article_id) or {}).get("passages", [])
        position = ids.index(hit.passage_id) if hit.passage_id in ids else 0
        return data.passage(ids[position - 1]).text.rsplit("\n\n", 1)[-1] if position > 0 else None

    def confidence(self, query: Query, hits: list[Hit]) -> float:
        """How well the best passages answer the question, 0..1 (calibrated on dev questions)."""
        if not hits:
            return 0.0
        best = max(0.5 * h.sentence + 0.5 * h.dense for h in hits[:3])
        words = query.words
        top_words = set().union(*(_content_words(h.text + " " + h.title) for h in hits[:3])) if words else set()
        coverage = len(words & top_words) / len(words) if words else 0.0
        score = 0.6 * best + 0.4 * coverage
        missing = self.missing_names(query.text)
        if missing:
            score *= 0.5  # a name the articles never mention: almost surely not covered
        return float(np.clip(score, 0.0, 1.0))

    def missing_names(self, question: str) -> list[str]:
        """Capitalised words of the question (after its first) that no passage contains."""
        data = self.searcher.data
        missing = []
        for word in re.findall(r"(?<!^)(?<![.?!]\s)\b[A-ZÆØÅ][\wæøå'’-]+", question.strip()):
            stems = lexical.tokenize([word])[0]
            if stems and not any(data.knows(stem) for stem in stems):
                missing.append(word)
        return missing

    def _candidates(self, query: Query, hits: list[Hit]) -> list[_Sentence]:
        data = self.searcher.data
        top_score = hits[0].score if hits else 1.0
        out = []
        for rank, hit in enumerate(hits[:SENTENCE_POOL]):
            vectors = data.sentence_vectors(hit.passage_id).astype(np.float32)
            if not len(vectors):
                continue
            sims = vectors @ query.vector
            for index, (start, end) in enumerate(hit.sentences):
                text = hit.text[start:end]
                if len(text.split()) < 4 or not _SENTENCE_LIKE.search(text):
                    continue  # headings, labels, fragments
                words = _content_words(text)
                overlap = len(query.words & words) / len(query.words) if query.words else 0.0
                relevance = 0.5 * float(sims[index]) + 0.2 * overlap + 0.3 * (hit.score / top_score if top_score else 0)
                p_start, paragraph = _paragraph_of(hit, start)
                previous = self._previous_paragraph(hit, p_start)
                speaker = quotes.speaker(paragraph, previous)
                if speaker and _names_match(speaker, query.text):
                    relevance += SPEAKER_BONUS  # "What does Hansen say …": Hansen's own words first
                out.append(_Sentence(rank, index, text, paragraph, previous, vectors[index], relevance))
        return out

    def _select(self, candidates: list[_Sentence]) -> list[_Sentence]:
        """Maximal marginal relevance, within the sentence and word budgets."""
        if not candidates:
            return []
        best = max(c.relevance for c in candidates)
        pool = [c for c in candidates if c.relevance >= KEEP_RELATIVE * best]
        chosen: list[_Sentence] = []
        words = 0
        while pool and len(chosen) < MAX_SENTENCES:
            def mmr(c: _Sentence) -> float:
                redundancy = max((float(c.vector @ s.vector) for s in chosen), default=0.0)
                same_passage = any(s.hit_rank == c.hit_rank for s in chosen)
                return MMR_LAMBDA * c.relevance - (1 - MMR_LAMBDA) * redundancy - (SAME_PASSAGE_PENALTY if same_passage else 0.0)
            pick = max(pool, key=mmr)
            pool.remove(pick)
            if chosen and max(float(pick.vector @ s.vector) for s in chosen) > 0.9:
                continue  # says the same thing as a chosen sentence
            if chosen and words + len(pick.text.split()) > MAX_WORDS:
                continue
            chosen.append(pick)
            words += len(pick.text.split())
        return chosen

    def _with_context(self, chosen: list[_Sentence], hits: list[Hit]) -> list[tuple[int, int]]:
        """(hit rank, sentence index) pairs; a back-referring sentence brings the one before it."""
        keys = {(c.hit_rank, c.index) for c in chosen}
        for c in chosen:
            hit = hits[c.hit_rank]
            if _INTRODUCES.search(c.text) and c.index + 1 < len(hit.sentences):
                keys.add((c.hit_rank, c.index + 1))
            if c.index > 0 and _BACK_REFERENCE.match(quotes.QUOTE_MARK.sub("", c.text)):
                hit = hits[c.hit_rank]
                before = hit.sentences[c.index - 1]
                same_paragraph = _paragraph_of(hit, before[0])[0] == _paragraph_of(hit, hit.sentences[c.index][0])[0]
                if same_paragraph:
                    keys.add((c.hit_rank, c.index - 1))
        return sorted(keys)

    def compose(self, question: str, query_text: str) -> Answer:
        query = self.searcher.query(query_text)
        hits = self.searcher.search(query_text, RETRIEVE_K, query=query)
        confidence = self.confidence(query, hits)
        if not hits or confidence < ABSTAIN_BELOW:
            return Answer(question, query_text, ABSTAIN_TEXT, (), tuple(hits), True, confidence)
        chosen = self._select(self._candidates(query, hits))
        if not chosen:
            return Answer(question, query_text, ABSTAIN_TEXT, (), tuple(hits), True, confidence)
        keys = self._with_context(chosen, hits)
        article_rank: dict[str, int] = {}
        for rank, _ in keys:
            article_rank.setdefault(hits[rank].article_id, rank)
        keys.sort(key=lambda k: (article_rank[hits[k[0]].article_id], hits[k[0]].start + hits[k[0]].sentences[k[1]][0]))
        return self._render(question, query_text, hits, keys, confidence)

    def _render(self, question: str, query_text: str, hits: list[Hit], keys: list[tuple[int, int]], confidence: float) -> Answer:
        numbers: dict[int, int] = {}
        spans: dict[int, list[tuple[int, int]]] = {}
        speakers: dict[int, list[str]] = {}
        pieces: list[list] = []  # [number, (paragraph start, speaker), texts, article]
        for rank, index in keys:
            hit = hits[rank]
            start, end = hit.sentences[index]
            number = numbers.setdefault(rank, len(numbers) + 1)
            spans.setdefault(rank, []).append((start, end))
            p_start, paragraph = _paragraph_of(hit, start)
            speaker = quotes.speaker(paragraph, self._previous_paragraph(hit, p_start)) if quotes.is_quote(paragraph) else None
            text = hit.text[start:end]
            if speaker:
                text = quotes.strip_attribution(text)
                if quotes.short_name(speaker) not in speakers.setdefault(rank, []):
                    speakers[rank].append(quotes.short_name(speaker))
            else:
                text = _LIST_MARK.sub("", quotes.QUOTE_MARK.sub("", text))
            last = pieces[-1] if pieces else None
            if last and last[0] == number and last[1] == (p_start, speaker) and speaker:
                last[2].append(text)  # consecutive sentences of one quote become one quotation
            else:
                pieces.append([number, (p_start, speaker), [text], hit.article_id])
        rendered, article = [], None
        for number, (_, speaker), texts, article_id in pieces:
            body = " ".join(texts)
            if article is not None and article_id != article:
                rendered.append("\n\n")  # one paragraph per article
            article = article_id
            rendered.append(f"{quotes.short_name(speaker)}: “{body}” [{number}]" if speaker else f"{body} [{number}]")
        citations = tuple(
            Citation(number, hits[rank], tuple(sorted(spans[rank])), tuple(speakers.get(rank, ())))
            for rank, number in sorted(numbers.items(), key=lambda item: item[1])
        )
        text = " ".join(rendered).replace(" \n\n ", "\n\n")
        return Answer(question, query_text, text, citations, tuple(hits), False, confidence)
