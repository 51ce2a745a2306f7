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
    # A further sentence needs this share of the lead's probability. On held-out folds of the tune
    # data (bench/fit_reader.py), 0.25 against 0.5 puts the answer in some shown sentence for 0.872
    # against 0.838 of SQuAD questions (own tune half 0.762 against 0.746), at 2.1 sentences against 1.5.
    extra_share: float = 0.25
    # Cosine above which a sentence repeats one already chosen ("Lukashenko claims that the terrorists
    # … tried to flee to Belarus" / "… claimed on Tuesday that the terrorists … fled in the direction of
    # Belarus": 0.78). With the shipped reader, 0.85 / 0.75 / 0.70: some shown sentence holds the answer
    # for 0.904 / 0.903 / 0.899 of SQuAD questions (every third) and 0.810 / 0.810 / 0.785 of the own
    # tune half, at 2.06 / 2.04 / 2.00 sentences per answer.
    redundancy: float = 0.75
    threshold: float | None = None  # abstention threshold; None: the one fitted in reader.json
    # A sentence holding what the question asks for (a date for "When …?", a number, a name, a place)
    # leads if it has this share of the best one's probability, when the best holds none (>1: never).
    # Chosen by article-level cross-validation on the SQuAD half (the shipped reader, questions it
    # answers): lead holds the answer, date/number questions 0.820 -> 0.832, person/place 0.759 -> 0.768.
    typed_share: float = 0.5
    speaker_share: float = 0.0  # "what does he say": the person's own words lead if this share of the best (0: always)


DEFAULT = AnswerSettings()
