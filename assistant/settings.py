"""Every knob of the answer layer in one frozen object, passed down instead of module constants.

Fitted values (the reader's weights and its abstention threshold) are not here: they live
in the versioned `answer/reader.json` that `bench/fit_reader.py` writes. These are budgets
and structural choices, each with its reason.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AnswerSettings:
    retrieve_k: int = 8  # hits returned with an answer (the closest passages when declining)
    sentence_pool: int = 5  # passages whose sentences may answer: retrieval's R@5 is 0.97 on SQuAD
    max_sentences: int = 3  # the lead sentence plus at most two that bring something new
    max_words: int = 120  # a short answer; a quote paragraph may be long
    extra_share: float = 0.5  # a further sentence needs half the lead's probability (and to clear the threshold)
    redundancy: float = 0.85  # cosine above which a sentence repeats one already chosen
    threshold: float | None = None  # abstention threshold; None: the one fitted in reader.json
    speaker_share: float = 0.0  # "what does he say": the person's own words lead if this share of the best (0: always)


DEFAULT = AnswerSettings()
