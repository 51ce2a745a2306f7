"""The answer layer: composers that turn retrieved passages into cited answers, or decline.

    base.py          Answer, Citation, the Composer protocol, the shared abstention decision
    extractive.py    the composer that copies and cites sentences of the passages
    candidates.py    which sentences may answer (fragment rules)
    scorer.py        what the reader sees: sentence and question features
    reader.py        the fitted reader (ranker + abstainer), loaded from the versioned reader.json
    quotes.py        who said a quote
    conversation.py  follow-up questions
"""
from .base import ABSTAIN_TEXT, Answer, Citation, Composer, decide, declined
from .extractive import ExtractiveComposer

__all__ = ["ABSTAIN_TEXT", "Answer", "Citation", "Composer", "ExtractiveComposer", "decide", "declined"]
