"""Which candidate sentences an answer uses, and the rules the reader cannot learn from SQuAD,
which has neither quotes nor profiles:

- "Who is X?" is answered, leading with a sentence that says who X is, whenever an
  article says so in so many words (features.defines: a definition, else a role beside the name);
- "What does X (or he) say/think about Y?" is answered below the threshold when one of the two
  likeliest sentences is X's own words on what was asked about (own_words).

A rule that a sentence holding the date, number, name or place a question asks for leads went
when the span reader came: left out held out, it changed nothing. So did one that led with X's
own words whenever a question asked what X says: left out, the first sentence held the answer
more often on the tune half's conversations (docs/experiments.md).
"""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from .. import lexical
from ..settings import DEFAULT, AnswerSettings
from . import candidates as cands
from . import features, quotes

_NAME_RUN = re.compile(r"\b[A-ZÆØÅ][\w’'-]*(?: [A-ZÆØÅ][\w’'-]*)*")
_FUNCTION_WORDS = re.compile(r"\b(what|who|whom|whose|which|how|why|when|where|does|do|did|is|are|was|were|has|have|"
                             r"had|about|of|on|in|to|for|with|the|a|an|his|her|their)\b", re.I)  # bm25s keeps these


def profile(candidates: list[cands.Candidate], question: str) -> list[int]:
    """For "Who is X?": the candidates that say most plainly who X is (the articles' own
    description of X, features.defines), none when no candidate says it."""
    person = features.who_is(question)
    strength = [features.defines(person, c.text, bool(c.speaker) or quotes.is_quote(c.paragraph))
                for c in candidates] if person else []
    best = max(strength, default=0)
    return [i for i, s in enumerate(strength) if s == best] if best else []


def own_words(candidates: list[cands.Candidate], probabilities: np.ndarray, question: str, top: int = 2) -> bool:
    """For "What does X say about Y?": one of the `top` likeliest sentences is X's own words and
    names at least half of Y's words ("escape route": "… natural to escape towards Belarus").
    The abstainer learnt from SQuAD, which has no speakers, and declines these when the
    question's words are mostly the name and the verb ("say", "think")."""
    if not features.asks_for_words(question) or not len(candidates):
        return False
    return any(_on_topic(candidates[i], candidates[i].speaker, question)
               for i in np.argsort(-probabilities, kind="stable")[:top])


def _on_topic(candidate: cands.Candidate, speaker: str | None, question: str) -> bool:
    """The candidate is `speaker`'s words, `speaker` is the question's X, and it names at least
    half of the words of the question's Y (the question without X's name, the verb and
    function words)."""
    if not speaker or not features.names_match(speaker, question):
        return False
    # Y: the question without X's name (all of it: "Tom Røseth"), the verb and function words; the name first,
    # while the words between still part it from Y's names ("Arve Hansen say about Ukraine")
    named = _NAME_RUN.sub(lambda m: " " if features.names_match(speaker, m.group(0)) else m.group(0), question)
    about = _FUNCTION_WORDS.sub(" ", features.ASKS_WORDS.sub(" ", named))
    topic_stems, sentence_stems = lexical.stems([about, candidate.text])
    topic = set(topic_stems)
    return bool(topic) and 2 * len(topic & set(sentence_stems)) >= len(topic)


def select(candidates: list[cands.Candidate], probabilities: np.ndarray, question: str,
           settings: AnswerSettings = DEFAULT, articles: Sequence[str] = ()) -> list[int]:
    """Indices of the candidates to use, the lead first (also used by bench/fit_reader.py).
    `articles`: the article of each hit, by rank (without them every sentence counts as the lead's article)."""
    if not len(candidates):
        return []
    order = list(np.argsort(-probabilities, kind="stable"))
    lead = order[0]
    defining = set(profile(candidates, question)) if "who_is" in settings.rules else set()
    if defining:
        lead = next(i for i in order if i in defining)
    chosen, words = [lead], candidates[lead].word_count
    floor = settings.extra_share * probabilities[lead]
    other_floor = settings.other_article_share * probabilities[lead]
    lead_article = articles[candidates[lead].rank] if articles else None
    for i in order:
        if len(chosen) >= settings.max_sentences or probabilities[i] < floor:
            break
        if i in chosen or words + candidates[i].word_count > settings.max_words:
            continue
        if articles and articles[candidates[i].rank] != lead_article and probabilities[i] < other_floor:
            continue
        if max(float(candidates[i].vector @ candidates[j].vector) for j in chosen) > settings.redundancy:
            continue  # says what a chosen sentence says
        chosen.append(i)
        words += candidates[i].word_count
    return chosen
