"""The reader: for each candidate sentence, the probability that it answers the question.

A logistic regression over cheap features (below), fitted by `bench/fit_reader.py` on the
SQuAD half and our own tune questions with article-level cross-validation, and shipped as
the versioned `reader.json` (weights, standardisation, the abstention threshold and the
cross-validated figures behind them; no pickle). Features, and why each is there:

- similarity, its gap to the best candidate, the similarity of the sentences before and
  after it: the packaged model's judgement of the sentence and of its context (an answer
  often follows the sentence that matches: "These proteins are used to …");
- the passage's retrieval score, its gap to the top hit, 1/(1+rank): what retrieval knew;
- plain, IDF-weighted and two-word-phrase share of the question's words in the sentence,
  and in its paragraph (an attribution or the sentence before carries the names);
- new words the sentence brings, its length, first in its paragraph, opening with a word
  that points back: an answer adds something, a restatement of the question does not;
- the question's type (who / when / how many / where) and whether the sentence holds that
  kind of thing (a name, a date, a number, a place); numbers and new names at all;
- quote; a quote by the person the question names when it asks what that person says,
  thinks or calls something; a sentence that says who the person asked about is ("Who is X?");
- names in the question that no article mentions, how much of the question the top
  passages cover, the top passage's cosine and how strongly BM25 matched at all:
  question-level evidence that the articles do not cover it.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .. import lexical
from ..errors import ModelError
from .candidates import Candidate

READER_FILE = Path(__file__).with_name("reader.json")
READER_FORMAT = "news-assistant-reader"
READER_VERSION = 1

FEATURES = (
    "similarity", "similarity_gap", "previous_similarity", "next_similarity", "hit_score", "hit_gap", "inverse_rank",
    "overlap", "idf_overlap", "bigram_overlap", "paragraph_overlap", "novelty", "log_words", "first_in_paragraph",
    "points_back", "type_known", "type_match", "has_number", "new_names", "is_quote", "asked_speaker",
    "defines_person", "missing_names", "coverage", "top_dense", "bm25_strength",
)

_ASKS = {
    "number": re.compile(r"\bhow (many|much|long|old|far|big|large|often|high|tall)\b|\bwhat (percentage|share|proportion|number|amount|size)\b|\bby how much\b", re.I),
    "date": re.compile(r"^\s*when\b|\bwhat (year|date|day|month|time|century|decade)\b|\bin which (year|month)\b|\bsince when\b", re.I),
    "person": re.compile(r"^\s*(who|whom|whose)\b|\bwhich (person|man|woman|official|leader|player|team|company|group)\b", re.I),
    "place": re.compile(r"^\s*where\b|\b(which|what) (city|country|place|region|state|town|nation)\b", re.I),
}
_NUMBER = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|dozen|half)\b", re.I)
_DATE = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})s?\b|\b(January|February|March|April|May|June|July|August|September|October|November|December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b|\b(century|decade|yesterday|tomorrow|ago)\b")
_CAPITALISED = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-ZÆØÅÄÖÜ][\wæøåäöü'’-]+")
_PLACE = re.compile(r"\b(in|at|from|near|to|into|across)\s+(the\s+)?[A-ZÆØÅÄÖÜ]")
_ASKS_WORDS = re.compile(r"\b(say|says|said|think|thinks|believe|believes|mean|argue|argues|claim|claims|view|views|"
                         r"opinion|characteri[sz]e|characteri[sz]es|describe|describes|call|calls|see|sees|warn|warns)\b", re.I)
_WHO_IS = re.compile(r"^\s*who\s+(is|was|are|were)\s+(?P<name>.+?)\??$", re.I)
_ROLE = r"(?:[a-z][\w-]*\s+){1,8}"  # lower-case words that describe someone: "head teacher in intelligence at …"


def asks_for_words(question: str) -> bool:
    """"What does Hansen say/think …", "How does Godzimirski characterize …": a person's own words answer it."""
    return bool(_ASKS_WORDS.search(question))


def question_type(question: str) -> str | None:
    if who_is(question):
        return None  # "Who is Tom Røseth?" asks for a role, not for a name
    for kind, pattern in _ASKS.items():
        if pattern.search(question):
            return kind
    return None


def _holds(kind: str, sentence: str, question_words: set[str]) -> bool:
    if kind == "number":
        return bool(_NUMBER.search(sentence))
    if kind == "date":
        return bool(_DATE.search(sentence))
    new_names = [w for w in _CAPITALISED.findall(sentence) if w.lower() not in question_words]
    if kind == "person":
        return bool(new_names)
    return bool(new_names) and bool(_PLACE.search(sentence))


def names_match(speaker: str, question: str) -> bool:
    """The question names the speaker (first six letters of a name word, to survive misspellings)."""
    words = {w[:6].lower() for w in re.findall(r"\w+", question) if w[:1].isupper() and len(w) >= 4}
    return any(part[:6].lower() in words for part in speaker.split() if len(part) >= 4)


_SPEECH = r"(?:says|said|according to|explains|points out|believes|thinks|tells)"
_ROLE_NOUN = (r"(?:researcher|expert|adviser|advisor|analyst|director|minister|president|chairman|chairwoman|"
              r"spokesman|spokeswoman|spokesperson|head|leader|professor|teacher|manager|governor|chief|editor|officer)")


def defines(person: str, sentence: str) -> bool:
    """The sentence says who `person` is: "…, says head teacher at X, Tom Røseth", "Hansen is an
    adviser to …", "Belarus expert Arve Hansen", "Taylor, Noranda's insurance director, …"."""
    surname = re.escape(person.split()[-1])
    names = rf"(?:[A-ZÆØÅ][\w’'-]+\s+)*{surname}\b"
    patterns = (rf"\b{_SPEECH}\s+(?:the\s+)?{_ROLE}[\w ,’'-]*?,?\s+{names}",
                rf"\b{surname},\s+(?:a|an|the|[\w’'-]+’s|[\w'-]+'s)\s", rf"\b{surname}\s+(?:is|was)\s+(?:a|an|the)\s",
                rf"\b{_ROLE_NOUN}s?\b(?:\s+[\w-]+){{0,4}}\s+{names}")
    return any(re.search(p, sentence) for p in patterns)


def who_is(question: str) -> str | None:
    """The person a "Who is/was X?" question asks about, when X is a name."""
    match = _WHO_IS.match(question.strip())
    name = match.group("name").strip() if match else ""
    return name if name[:1].isupper() and not name.lower().startswith(("the ", "a ", "an ")) else None


@dataclass(frozen=True)
class Reader:
    """Standardised logistic regression over FEATURES; `threshold` is where it declines."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float
    info: dict

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        if not len(features):
            return np.zeros(0)
        z = ((features - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))


def reader_from(params: dict, source: str) -> Reader:
    if params.get("format") != READER_FORMAT or params.get("version") != READER_VERSION:
        raise ModelError(f"{source} is reader format {params.get('format')!r} version {params.get('version')!r}, "
                         f"not {READER_FORMAT!r} version {READER_VERSION}: re-fit it with `python bench/fit_reader.py`.")
    if tuple(params.get("features", ())) != FEATURES:
        raise ModelError(f"{source} was fitted on other features than this program computes: "
                         "re-fit it with `python bench/fit_reader.py`.")
    try:
        arrays = [np.asarray(params[k], dtype=np.float64) for k in ("mean", "scale", "coef")]
        if any(a.shape != (len(FEATURES),) for a in arrays) or not all(np.isfinite(a).all() for a in arrays):
            raise ValueError("weights of the wrong shape or not finite")
        return Reader(*arrays, float(params["intercept"]), float(params["threshold"]), params.get("cv", {}))
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{source} is damaged ({exc}): re-fit it with `python bench/fit_reader.py`.") from None


@lru_cache(maxsize=4)
def load_reader(path: Path = READER_FILE) -> Reader:
    try:
        params = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"Cannot read the reader's parameters {path} ({exc}): reinstall the package.") from None
    return reader_from(params, str(path))


def _stems(text: str) -> set[str]:
    return set(lexical.tokenize([text])[0])


def _bigrams(stems: list[str]) -> set[tuple[str, str]]:
    return set(zip(stems, stems[1:]))


def features(question: str, query, candidates: list[Candidate], hits, missing_names: int) -> np.ndarray:
    """One row of FEATURES per candidate (float64); `query` is the retrieval Query."""
    if not candidates:
        return np.zeros((0, len(FEATURES)))
    words = set(query.words)
    question_bigrams = _bigrams(lexical.tokenize([question])[0])
    tokens = [lexical.tokenize([c.text])[0] for c in candidates]
    sentence_stems = [set(t) for t in tokens]
    paragraph_stems: dict[tuple[int, int], set[str]] = {}
    n = len(candidates)
    df = {w: sum(w in s for s in sentence_stems) for w in words}
    idf = {w: math.log((n + 1) / (df[w] + 0.5)) for w in words}
    idf_total = sum(idf.values()) or 1.0
    top_text = set().union(*(_stems(h.text + " " + h.title) for h in hits[:3])) if words else set()
    coverage = len(words & top_text) / len(words) if words else 0.0
    kind = question_type(question)
    lower_question = {w.lower() for w in re.findall(r"\w+", question)}
    person = who_is(question)
    wants_words = asks_for_words(question)
    best_similarity = max(c.similarity for c in candidates)
    top_score = hits[0].score if hits else 0.0
    top_dense = hits[0].dense if hits else 0.0
    strength = math.log1p(query.bm25.best / max(1, len(words)))
    rows = np.zeros((n, len(FEATURES)))
    for i, (c, stems, toks) in enumerate(zip(candidates, sentence_stems, tokens)):
        key = (c.rank, c.paragraph_start)
        if key not in paragraph_stems:
            paragraph_stems[key] = _stems(c.paragraph + " " + (c.previous_paragraph or ""))
        shared = words & stems
        hit = hits[c.rank]
        new_names = [w for w in _CAPITALISED.findall(c.text) if w.lower() not in lower_question]
        rows[i] = (
            c.similarity, c.similarity - best_similarity, c.previous_similarity, c.next_similarity,
            hit.score, hit.score - top_score, 1.0 / (1 + c.rank),
            len(shared) / len(words) if words else 0.0,
            sum(idf[w] for w in shared) / idf_total if words else 0.0,
            len(question_bigrams & _bigrams(toks)) / len(question_bigrams) if question_bigrams else 0.0,
            len(words & paragraph_stems[key]) / len(words) if words else 0.0,
            math.log1p(len(stems - words)), math.log(max(1, c.word_count)), float(c.opens_paragraph),
            float(c.back_reference or c.stand_in is not None),
            float(kind is not None), float(kind is not None and _holds(kind, c.text, lower_question)),
            float(bool(_NUMBER.search(c.text))), math.log1p(len(new_names)),
            float(c.is_quote), float(wants_words and bool(c.speaker) and names_match(c.speaker, question)),
            float(bool(person) and defines(person, c.text)),
            float(missing_names), coverage, top_dense, strength,
        )
    return rows
