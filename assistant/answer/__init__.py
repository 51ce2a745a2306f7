"""The answer layer: composers that turn retrieved passages into cited answers, or decline.

    base.py          Answer, Citation, ShortAnswer, the Composer protocol, the shared abstention decision
    repair.py        query repair, before any composer: follow-ups, spelling, roles, first names
    extractive.py    the composer that copies and cites sentences of the passages
    candidates.py    which sentences may answer (fragment rules)
    features.py        what the reader sees: sentence and question features
    span_reader.py   the model that reads a question with a passage: the answer's span, or none
    reader.py        the fitted reader (ranker, combiner, abstainer, coverage) from the versioned reader.json
    selection.py     which sentences an answer shows, and the rules the reader cannot learn
    quotes.py        who said a quote
    conversation.py  follow-up questions
    phrasing.py      what a decline says the articles do not say

Composers are chosen by name (AnswerSettings.composer) from COMPOSERS; each takes (searcher,
settings) and honours the Composer protocol (tests/test_composers.py runs one suite over all).
"""
from .base import ABSTAIN_TEXT, Answer, Citation, Composer, ShortAnswer, decide, declined
from .extractive import ExtractiveComposer

COMPOSERS: dict[str, type] = {"extractive": ExtractiveComposer}

__all__ = ["ABSTAIN_TEXT", "Answer", "COMPOSERS", "Citation", "Composer", "ExtractiveComposer", "ShortAnswer", "decide",
           "declined"]
