"""What the reader sees: features of each candidate sentence, and of the question as a whole.

The reader (reader.py) fits logistic regressions on them with article-level cross-validation
(`bench/fit_reader.py`): a *ranker* over FEATURES (which sentence answers, given that one does)
and, with what the span reader reads, an *abstainer* over QUESTION_FEATURES (whether the
articles answer at all). Sentence features, and why each is there:

- similarity, its gap to the best candidate, the similarity of the sentences before and
  after it: the packaged model's judgement of the sentence and of its context (an answer
  often follows the sentence that matches: "These proteins are used to …");
- the passage's retrieval score, its gap to the top hit, 1/(1+rank): what retrieval knew;
- plain, IDF-weighted and two-word-phrase share of the question's words in the sentence,
  and in its paragraph (an attribution or the sentence before carries the names);
- new words the sentence brings, its length, first in its paragraph, opening with a word
  that points back: an answer adds something, a restatement of the question does not;
- whether the sentence holds what the question asks for (a name for who, a date for when,
  a number for how many, a place for where); numbers and new names at all.

Quotes, "what does X say" and "who is X" are not learned: SQuAD has neither quotes nor
profiles, and the few news questions made those weights swing from fold to fold (a quote
by the person asked about scored -15 in one held-out fold). selection.select applies them
as rules instead.

Question features: the reader's best and second-best logit; the best similarity, word
overlaps and answer-type match over the candidates; whether the question's type is known;
names in the question that no article mentions; how much of the question the top passages
cover; the top passage's cosine and how strongly BM25 matched at all. They are word and vector
matches, which a paraphrased question defeats; what the span reader reads (reader.py,
READING_FEATURES) says whether the best sentence answers or is only the nearest text on the topic.
"""
from __future__ import annotations

import math
import re
from typing import Callable, NamedTuple

import numpy as np

from .. import lexical
from .candidates import Candidate

FEATURES = (
    "similarity", "similarity_gap", "previous_similarity", "next_similarity", "hit_score", "hit_gap", "inverse_rank",
    "overlap", "idf_overlap", "bigram_overlap", "paragraph_overlap", "novelty", "log_words", "first_in_paragraph",
    "points_back", "type_match", "has_number", "new_names",
)
QUESTION_FEATURES = (
    "best_logit", "second_logit", "best_similarity", "best_idf_overlap", "best_overlap", "best_bigram_overlap",
    "top3_type_match", "type_known", "missing_names", "coverage", "top_dense", "bm25_strength", "top_hit_score",
    "lead_idf_overlap",
)

_ASKS = {
    "number": re.compile(r"\bhow (many|much|long|old|far|big|large|often|high|tall)\b|\bwhat (percentage|share|proportion|number|amount|size)\b|\bby how much\b", re.I),
    "date": re.compile(r"^\s*when\b|\bwhat (year|date|day|month|time|century|decade)\b|\bin which (year|month)\b|\bsince when\b", re.I),
    "person": re.compile(r"^\s*(who|whom|whose)\b|\bwhich (person|man|woman|official|leader|player|team|company|group)\b", re.I),
    "place": re.compile(r"^\s*where\b|\b(which|what) (city|country|place|region|state|town|nation)\b", re.I),
}
_NUMBER = re.compile(r"\d[\d,.]*\d|\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|dozen|half)\b", re.I)
_DATE = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})s?\b|\b(January|February|March|April|May|June|July|August|September|October|November|December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b|\b(century|decade|yesterday|tomorrow|ago)\b")
_CAPITALISED = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-ZÆØÅÄÖÜ][\wæøåäöü'’-]+")
_PLACE = re.compile(r"\b(in|at|from|near|to|into|across)\s+(the\s+)?[A-ZÆØÅÄÖÜ]")
ASKS_WORDS = re.compile(r"\b(say|says|said|think|thinks|believe|believes|mean|argue|argues|claim|claims|view|views|"
                         r"opinion|characteri[sz]e|characteri[sz]es|describe|describes|call|calls|see|sees|warn|warns)\b", re.I)
_NAME_PARTICLES = {"of", "de", "da", "di", "du", "del", "von", "van", "der", "den", "la", "le", "al", "bin", "ibn"}
_WHO_IS = re.compile(r"^\s*who\s+(is|was|are|were)\s+(?P<name>.+?)\??$", re.I)
_ROLE = r"(?:[a-z][\w-]*\s+){1,8}"  # lower-case words that describe someone: "head teacher in intelligence at …"


_QUESTION_WORD = re.compile(r"\b(why|how|what|which|who|whom|whose|when|where)\b", re.IGNORECASE)


def asks_why(question: str) -> bool:
    """The question's first question word is "why" ("Why might Lukashenko deviate …?",
    "And why is that?"): it asks for a reason, not a name, a date or a number."""
    first = _QUESTION_WORD.search(question)
    return bool(first) and first.group(1).lower() == "why"


_SECOND_ASK = re.compile(r"(?:\band|\bor|,|;)\s+(?:also\s+)?(why|how|what|which|who|whom|whose|when|where)\b", re.I)


def asks_several(question: str) -> bool:
    """The question asks two things ("When did construction begin and why was it delayed?"): a
    question word opens a second clause after "and", "or" or a comma. No one short span answers it."""
    return bool(_QUESTION_WORD.search(question)) and bool(_SECOND_ASK.search(question))


def asks_for_words(question: str) -> bool:
    """"What does Hansen say/think …", "How does Godzimirski characterize …": a person's own words answer it."""
    return bool(ASKS_WORDS.search(question))


def question_type(question: str) -> str | None:
    if who_is(question):
        return None  # "Who is Tom Røseth?" asks for a role, not for a name
    for kind, pattern in _ASKS.items():
        if pattern.search(question):
            return kind
    return None


def _found(pattern: re.Pattern, text: str) -> set[str]:
    return {m.group(0).lower().replace(",", "") for m in pattern.finditer(text)}


_KIND_PATTERN = {"number": _NUMBER, "date": _DATE}


def asked_for(question: str) -> Callable[[str], bool] | None:
    """A test of whether a sentence holds the kind of thing the question asks for and does not
    name itself (a date for "When …?", a number for "How many …?", a new name for "Who …?", a
    place for "Where …?"); None when the question's kind is not known. The question is read once."""
    kind = question_type(question)
    if kind is None:
        return None
    words = {w.lower() for w in re.findall(r"\w+", question)}
    named = _found(_KIND_PATTERN[kind], question) if kind in _KIND_PATTERN else set()
    return lambda sentence: _holds(kind, sentence, words, named)


def _holds(kind: str, sentence: str, question_words: set[str], named: set[str]) -> bool:
    """The sentence holds a thing of the kind asked for that the question does not already name
    (`named`: the question's own numbers or dates; "How many of the 140 victims …" is not
    answered by a sentence whose only number is 140)."""
    if kind in _KIND_PATTERN:
        return bool(_found(_KIND_PATTERN[kind], sentence) - named)
    new_names = [w for w in _CAPITALISED.findall(sentence) if w.lower() not in question_words]
    if kind == "person":
        return bool(new_names)
    return bool(new_names) and bool(_PLACE.search(sentence))


def names_match(speaker: str, question: str) -> bool:
    """The question names the speaker (first six letters of a name word, to survive misspellings)."""
    words = {w[:6].lower() for w in re.findall(r"\w+", question) if w[:1].isupper() and len(w) >= 4}
    return any(part[:6].lower() in words for part in speaker.split() if len(part) >= 4)


_SPEECH = r"(?:says|said|according to|explains|points out|believes|thinks|tells)"
ROLE_NOUN = (r"(?:researcher|expert|adviser|advisor|analyst|director|minister|president|chairman|chairwoman|"
              r"spokesman|spokeswoman|spokesperson|head|leader|professor|teacher|manager|governor|chief|editor|officer)")


def defines(person: str, sentence: str, quoted: bool = False) -> int:
    """How plainly the sentence says who `person` is: 2 for a definition ("Hansen is an adviser
    to …", "Taylor, Noranda's insurance director, …"), 1 for a role beside the name ("…, says
    head teacher at X, Tom Røseth", "Belarus expert Arve Hansen believes …"), 0 for neither.
    "Who is X?" leads with the plainest: a role beside the name is often the opening of a claim."""
    surname = re.escape(person.split()[-1])
    names = rf"(?:[A-ZÆØÅ][\w’'-]+\s+)*{surname}\b"
    # "X is a …" opens the sentence: "Hansen believes that Lukashenko is an accomplice" is an opinion
    plain = (rf"\b{surname},\s+(?:a|an|the|[\w’'-]+’s|[\w'-]+'s)\s", rf"^{names}\s+(?:is|was)\s+(?:a|an|the)\s")
    # the role words hold a role ("says head teacher in …, Tom Røseth", not "believes the costs … for
    # Lukashenko"), and only the name's other parts stand between a title and the name
    beside = (rf"\b{_SPEECH}\s+(?:the\s+)?(?:[a-z][\w-]*\s+){{0,3}}?{ROLE_NOUN}\b[\w ,’'-]*?,?\s+{names}",
              rf"\b(?i:{ROLE_NOUN})s?\s+{names}")  # "Russian President Vladimir Putin", "expert Arve Hansen"
    # someone's opinion in a quote ("“Lukashenko is a trickster …,” says …") is no definition;
    # `quoted`: the whole sentence is a quote (a dash-quote paragraph has no marks to tell it)
    if not quoted and any(not _quoted(sentence, m.start()) for p in plain for m in re.finditer(p, sentence)):
        return 2
    return int(any(re.search(p, sentence) for p in beside))


def _quoted(sentence: str, at: int) -> bool:
    """Position `at` of the sentence lies inside quotation marks."""
    before = sentence[:at]
    return before.count("“") > before.count("”") or before.count('"') % 2 == 1


def who_is(question: str) -> str | None:
    """The person a "Who is/was X?" question asks about, when X is a name: every word capitalised
    but a particle ("Boleslaw II of Masovia"). "Who is Conrac's chief executive?" and "Who was
    Iqbal a critic of?" ask for someone else, whom a profile of Conrac or Iqbal does not name."""
    match = _WHO_IS.match(question.strip())
    name = match.group("name").strip() if match else ""
    words = name.split()
    if not words or "'s" in name or "’s" in name:
        return None
    return name if all(w[:1].isupper() or w.lower() in _NAME_PARTICLES for w in words) and words[0][:1].isupper() \
        and words[0].lower() not in ("the", "a", "an") else None


def _bigrams(stems: list[str]) -> set[tuple[str, str]]:
    return set(zip(stems, stems[1:]))


class Observation(NamedTuple):
    """What the reader sees of one question: a row of FEATURES per candidate, and the
    question-level evidence (type known, missing names, coverage, top cosine, BM25 strength)."""

    rows: np.ndarray
    evidence: np.ndarray


def observe(question: str, query, candidates: list[Candidate], hits, missing_names: int) -> Observation:
    """The candidates' FEATURES (float64) and the question's evidence; `query` is the retrieval Query."""
    words = set(query.words)
    # A question word is no shared content: "When did the attack happen?" led with "When Russia
    # went to war …" and "Who is …" found "…, and who, if so, …". It still counts in the
    # denominators, as when the reader was fitted, so only such spurious matches score less.
    content = words - _INTERROGATIVE
    top_text = set().union(*lexical.stems([h.text + " " + h.title for h in hits[:3]])) if words else set()
    kind = question_type(question)
    evidence = np.array([
        float(kind is not None), float(missing_names), len(content & top_text) / len(words) if words else 0.0,
        hits[0].dense if hits else 0.0, math.log1p(query.bm25.best / max(1, len(words))),
    ])
    if not candidates:
        return Observation(np.zeros((0, len(FEATURES))), evidence)
    question_bigrams = _bigrams(list(lexical.stems([question])[0]))
    tokens = [list(t) for t in lexical.stems([c.text for c in candidates])]
    sentence_stems = [set(t) for t in tokens]
    # a sentence's paragraph, with the paragraph before it (an attribution or a lead-in carries the names)
    contexts = {(c.rank, c.paragraph_start): c.paragraph + " " + (c.previous_paragraph or "") for c in candidates}
    paragraph_stems = {key: set(s) for key, s in zip(contexts, lexical.stems(list(contexts.values())))}
    n = len(candidates)
    df = {w: sum(w in s for s in sentence_stems) for w in words}
    idf = {w: math.log((n + 1) / (df[w] + 0.5)) for w in words}
    idf_total = sum(idf.values()) or 1.0
    lower_question = {w.lower() for w in re.findall(r"\w+", question)}
    holds = asked_for(question)
    best_similarity = max(c.similarity for c in candidates)
    top_score = hits[0].score if hits else 0.0
    rows = np.zeros((n, len(FEATURES)))
    for i, (c, stems, toks) in enumerate(zip(candidates, sentence_stems, tokens)):
        key = (c.rank, c.paragraph_start)
        shared = content & stems
        hit = hits[c.rank]
        new_names = [w for w in _CAPITALISED.findall(c.text) if w.lower() not in lower_question]
        rows[i] = (
            c.similarity, c.similarity - best_similarity, c.previous_similarity, c.next_similarity,
            hit.score, hit.score - top_score, 1.0 / (1 + c.rank),
            len(shared) / len(words) if words else 0.0,
            sum(idf[w] for w in shared) / idf_total if words else 0.0,
            len(question_bigrams & _bigrams(toks)) / len(question_bigrams) if question_bigrams else 0.0,
            len(content & paragraph_stems[key]) / len(words) if words else 0.0,
            math.log1p(len(stems - words)), math.log(max(1, c.word_count)), float(c.opens_paragraph),
            float(c.back_reference or c.stand_in is not None),
            float(holds is not None and holds(c.text)),
            float(bool(_NUMBER.search(c.text))), math.log1p(len(new_names)),
        )
    return Observation(rows, evidence)


_INTERROGATIVE = frozenset({"what", "when", "where", "which", "who", "whom", "whose", "why", "how"})  # bm25s keeps them
_COLUMN = {name: i for i, name in enumerate(FEATURES)}


def question_features(observation: Observation, logits: np.ndarray) -> np.ndarray:
    """One row of QUESTION_FEATURES from the candidates' rows and the reader's logits."""
    rows = observation.rows
    if not len(rows):  # nothing to answer from: the lowest logits the reader gives, no overlap
        return np.concatenate([[-10.0, -10.0, 0, 0, 0, 0, 0], observation.evidence, [0, 0]])
    order = np.argsort(-logits, kind="stable")
    column = lambda name: rows[:, _COLUMN[name]]  # noqa: E731
    return np.concatenate([
        [logits[order[0]], logits[order[1]] if len(order) > 1 else logits[order[0]] - 3.0,
         column("similarity").max(), column("idf_overlap").max(), column("overlap").max(),
         column("bigram_overlap").max(), column("type_match")[order[:3]].max()],
        observation.evidence, [column("hit_score").max(), column("idf_overlap")[order[0]]],
    ])
