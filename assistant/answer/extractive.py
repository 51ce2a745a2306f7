"""The extractive composer: an answer made of sentences of the retrieved passages, each cited.

The span reader (span_reader.py) reads the question with each of the best passages and finds
where in them the answer is, or that it is not there; the reader (reader.py) gives every
candidate sentence a probability of holding the answer from that and cheap features, and the
question a probability of being answered by the articles at all. Below the fitted threshold
the composer declines (base.decide; saying what the articles do not say when they speak of the
topic), unless a rule of selection.py answers it. Otherwise it leads with the most likely
sentence and adds at most two more that are likely enough and say something new
(selection.select), and the span the reader found in the lead is the short answer. Because
every sentence is copied from a passage, its citation is by construction the passage it came
from: numbers run 1, 2, 3… in order of first appearance, one per passage.
"""
from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from ..retrieval import Hit, Searcher, name_words
from ..settings import DEFAULT, AnswerSettings
from ..store.base import EVERYTHING, Filter
from . import candidates as cands
from . import context, differ, features, phrasing, quotes, repair, spelling
from .base import Answer, Citation, ShortAnswer, decide, declined
from .repair import Repaired
from .reader import Reader, load_reader, span_rows
from .span_reader import Reading, Span, SpanReader, load_span_reader
from .selection import own_words, profile, select

def missing_names(searcher: Searcher, question: str) -> list[str]:
    """Capitalised words of the question (after its first) that no live passage contains."""
    return spelling.unknown(searcher, name_words(question))


def lead_span(lead: cands.Candidate, hits: list[Hit], readings: list[Reading], margin: float, words: int) -> Span | None:
    """The best span the span reader found inside the lead sentence, when it is at most `words`
    words that stand `margin` above "no answer" in its passage."""
    if lead.rank >= len(readings):
        return None
    reading, hit = readings[lead.rank], hits[lead.rank]
    span = reading.best_within(*hit.sentences[lead.index])
    if span is None or span.score - reading.null < margin:
        return None
    return span if 0 < len(hit.text[span.start:span.end].split()) <= words else None


def short_answer(lead: cands.Candidate, hits: list[Hit], readings: list[Reading], citations: tuple[Citation, ...],
                 margin: float, words: int) -> ShortAnswer | None:
    """The lead's span (lead_span) as the answer shows it, with the number of its citation."""
    span, hit = lead_span(lead, hits, readings, margin, words), hits[lead.rank]
    number = next((c.number for c in citations if c.hit is hit), None)
    return ShortAnswer(hit.text[span.start:span.end], number, span.start, span.end) if span and number else None


def short_margin_for(question: str, settings: AnswerSettings, fitted: float, fitted_why: float) -> float:
    """The margin a short answer to `question` needs: the settings' when set, else the fitted one;
    why-questions (features.asks_why) have their own; with the "compound" rule a question that asks
    two things has none (inf), since a span answers one of them ("When did it begin and why was it
    delayed?" is not answered by "two years")."""
    if "compound" in settings.rules and features.asks_several(question):
        return float("inf")
    if features.asks_why(question):
        return settings.short_margin_why if settings.short_margin_why is not None else fitted_why
    return settings.short_margin if settings.short_margin is not None else fitted


def _holding(found: list[cands.Candidate], hits: list[Hit], report: differ.Report) -> cands.Candidate | None:
    """The candidate sentence that holds a report's span."""
    return next((c for c in found if c.rank == report.rank and hits[c.rank].sentences[c.index][0] <= report.span.start
                 and report.span.end <= hits[c.rank].sentences[c.index][1]), None)


class ExtractiveComposer:
    """Composes answers from one searcher with the packaged reader."""

    def __init__(self, searcher: Searcher, settings: AnswerSettings = DEFAULT, reader: Reader | None = None,
                 spans: SpanReader | None = None):
        self.searcher = searcher
        self.settings = settings
        self._reader = reader
        self._spans = spans

    @property
    def reader(self) -> Reader:
        if self._reader is None:
            self._reader = load_reader()
        return self._reader

    @property
    def spans(self) -> SpanReader:
        if self._spans is None:
            self._spans = load_span_reader()
        return self._spans

    @property
    def threshold(self) -> float:
        return self.settings.threshold if self.settings.threshold is not None else self.reader.threshold

    def warm(self) -> None:
        _ = self.reader  # reads and checks reader.json
        self.spans.read("warm-up?", ["A sentence to read."])  # loads, checks and quantises the adapter
        phrasing.warm()

    def observe(self, query_text: str, vector: np.ndarray | None = None, where: Filter = EVERYTHING, searched=None):
        """(hits, candidates, features.Observation) for a question: what the reader sees (bench/fit_reader.py fits on
        it). `searched`: the (Query, hits) of this very query_text and filter, when repair made that search."""
        query, hits = searched or repair.search(self.searcher, query_text, where, vector, self.settings.retrieve_k)
        pool = hits[:self.settings.sentence_pool]
        vectors = self.searcher.sentence_vectors([h.passage_id for h in pool])
        found = cands.collect(pool, vectors, query.vector, self.searcher.paragraph_before)
        rows = features.observe(query_text, query, found, hits, len(missing_names(self.searcher, query_text)))
        return hits, found, rows

    def compose(self, question: str, repaired: Repaired, where: Filter = EVERYTHING) -> Answer:
        query_text, searched = repaired
        hits, found, observation = self.observe(query_text, where=where, searched=searched)
        readings = self.spans.read(query_text, [h.text for h in hits[:self.reader.read_passages]])
        verdict = self.reader.read(observation, span_rows(found, hits, readings), readings)
        probabilities, answered = verdict.probabilities, verdict.answered
        rules = self.settings.rules
        if not hits or not found or not (decide(answered, self.threshold)
                                         or ("who_is" in rules and profile(found, query_text))
                                         or ("own_words" in rules and own_words(found, probabilities, query_text))):
            return declined(question, query_text, hits, answered, verdict.covered >= 0.5)
        chosen = [found[i] for i in select(found, probabilities, query_text, self.settings,
                                              [h.article_id for h in hits])]
        # Each report must be a short answer its passage would show alone at the fitted short margin
        # (not the answer threshold, nor a margin the settings lower to show more short answers):
        # a weak span elsewhere (a past date in a background paragraph) is no report.
        fitted = self.reader.short_margin_why if features.asks_why(query_text) else self.reader.short_margin
        reports = differ.differing(hits, readings, fitted) if "differ" in rules else None
        holding = [_holding(found, hits, r) for r in reports] if reports else []
        if reports and all(c is not None for c in holding):
            chosen += [c for c in holding if c not in chosen]
        else:
            reports = None
        answer = self._render(question, query_text, hits, chosen, answered)
        if reports:  # "Reports differ: 140 [1]; 137 [2]." leads, and no one short answer is shown
            numbers = {id(c.hit): c.number for c in answer.citations}
            said = "; ".join(f"{r.text} [{n}]" for n, r in sorted((numbers[id(hits[r.rank])], r) for r in reports))
            return replace(answer, text=f"Reports differ: {said}. {answer.text}")
        margin = short_margin_for(query_text, self.settings, self.reader.short_margin, self.reader.short_margin_why)
        short = short_answer(chosen[0], hits, readings, answer.citations, margin, self.settings.short_words)
        return replace(answer, short_answer=short)

    def _render(self, question: str, query_text: str, hits: list[Hit], chosen: list[cands.Candidate],
                confidence: float) -> Answer:
        by_key = {(c.rank, c.index): c for c in chosen}
        numbers: dict[int, int] = {}
        spans: dict[int, list[tuple[int, int]]] = {}
        speakers: dict[int, list[str]] = {}
        quoted: dict[int, list[bool]] = {}  # per hit: whether each sentence starts inside a quotation
        pieces: list[list] = []  # [number, (rank, paragraph start, speaker), texts, attribution]
        for group in context.with_context(chosen, hits):
            for rank, index in group:
                hit = hits[rank]
                start, end = hit.sentences[index]
                number = numbers.setdefault(rank, len(numbers) + 1)
                spans.setdefault(rank, []).append((start, end))
                candidate = by_key.get((rank, index))
                p_start, paragraph = cands.paragraph_of(hit.text, start)
                if candidate is not None:
                    previous = candidate.previous_paragraph
                else:  # a context sentence (no searcher, as in the rendering tests: no article context)
                    searcher = getattr(self, "searcher", None)
                    previous = cands.previous_paragraph(hit, p_start, paragraph, searcher and searcher.paragraph_before)
                speaker = quotes.speaker(paragraph, previous) if quotes.is_quote(paragraph) else None
                raw = hit.text[start:end]
                if rank not in quoted:
                    quoted[rank] = quotes.open_at(hit.text, hit.sentences)
                english = quotes.split_english(raw) if candidate and candidate.speaker else (raw, None)
                if speaker or quotes.is_quote(paragraph):
                    text, attribution = quotes.split_attribution(raw)
                elif english[1]:  # an English quote: '"…," Walesa said.' or '"…," he said.'
                    (text, attribution), speaker = english, candidate.speaker
                elif quoted[rank][index]:
                    # inside a quote: its "But" is its own, and its closing "he said" names whom the text before it names
                    opener = quotes.opening(quoted[rank], index)
                    before = hit.text[slice(*hit.sentences[opener - 1])] if opener > 0 else None
                    text, attribution = quotes.named_attribution(quotes.QUOTE_MARK.sub("", raw).strip(), before), None
                else:
                    text, attribution = cands.display_text(raw), None
                    if candidate and candidate.stand_in:
                        text = re.sub(r"^(he|she)\b", candidate.stand_in, text, count=1, flags=re.I)
                if quoted[rank][index + 1] and index + 1 == len(hit.sentences):  # the quote runs on past the passage
                    text = text.rstrip() + quotes.run_on(hit.text)
                if speaker and not any(quotes.same_person(quotes.short_name(speaker), s) for s in speakers.get(rank, [])):
                    speakers.setdefault(rank, []).append(quotes.short_name(speaker))
                last = pieces[-1] if pieces else None
                if last and not last[3] and last[0] == number and (quoted[rank][index] or (speaker and last[1] == (rank, p_start, speaker))):
                    last[2].append(text)  # consecutive sentences of one quote (or inside one) become one quotation
                    last[3] = attribution
                else:
                    pieces.append([number, (rank, p_start, speaker), [text], attribution])
        rendered: list[list] = []  # [number, text]
        for number, (rank, p_start, speaker), texts, attribution in pieces:
            if speaker or attribution:
                body = quotes.quotation(texts, speaker, attribution)
            elif quotes.is_quote(cands.paragraph_of(hits[rank].text, p_start)[1]):
                body = f"“{' '.join(texts).strip()}”"  # a dash quote nobody is named for: still a quote, never the article's voice
            else:
                body = " ".join(texts)
            introduced = rendered and rendered[-1][0] == number and rendered[-1][1].endswith(":")
            if introduced and speaker and not attribution and quotes.short_name(speaker) in rendered[-1][1]:
                body = f"“{' '.join(texts)}”"  # "Røseth points to two reasons: “One is …”": named already
            joins = introduced or (rendered and rendered[-1][0] == number and cands.points_back(body))
            if joins:  # a lead-in and what it introduces, a sentence and the one that points back to it: one piece
                rendered[-1][1] += " " + body
            else:
                rendered.append([number, body])
        rendered = [f"{body} [{number}]" for number, body in rendered]
        citations = tuple(
            Citation(number, hits[rank], tuple(sorted(spans[rank])), tuple(speakers.get(rank, ())))
            for rank, number in sorted(numbers.items(), key=lambda item: item[1])
        )
        return Answer(question, query_text, " ".join(rendered), citations, tuple(hits), False, confidence)
