"""A question turned into the clause a decline names: "What is the population of Belarus?" →
"what the population of Belarus is", so the reply can say "The articles don't say what the
population of Belarus is."

English moves the auxiliary back behind the subject in such a clause, and do-support puts the
tense on the verb: "How many people did Belarus send …?" → "how many people Belarus sent …".
lemminflect (a maintained lexicon of English word forms) says which word can be a verb in its
base form and gives its third-person and past forms, so any verb is turned, not a listed few:
- a form of "be": the verb moves after its subject, before a participle that ends it ("what X is
  called"), and stays where a participle or preposition follows it at once ("what is known
  about …": who or what is the subject);
- do/does/did, a modal, or has/have/had: the verb is the first that can be one, not after a
  determiner, the last of a run ("the ISW report say" → "say"); "did" and "does" go onto it;
- a question whose question word is its subject keeps its order ("who claimed …");
- a yes/no question becomes "whether …" the same way.
What cannot be turned so is not quoted or guessed at: `indirect` returns None, and the decline
says so in other words (base.declined).
"""
from __future__ import annotations

import re
import threading
from functools import lru_cache

DECLINE_OPENING = "The articles don't"  # every decline opens so (conversation.py tells a declined turn by it)
_WH = r"(?:what|who|whom|whose|where|when|why|which|how)"
_BE_WORDS = {"is", "are", "was", "were"}
_DO_WORDS = {"do", "does", "did"}
_MODALS = {"will", "would", "can", "could", "should", "shall", "may", "might", "must"}
_HAVE_WORDS = {"has", "have", "had"}
_AUXILIARIES = _BE_WORDS | _DO_WORDS | _MODALS | _HAVE_WORDS
_DETERMINERS = {"the", "a", "an", "this", "that", "these", "those", "its", "his", "her", "their", "our", "your", "my",
                "whose", "some", "any", "each", "every", "no"}
_PARTICIPLE_OK = {"known", "said", "done", "made", "held", "seen", "given", "taken", "shown", "told", "found", "sold",
                  "paid", "kept", "lost", "won", "written", "brought", "bought", "caught", "chosen", "spent", "sent",
                  "begun", "meant", "built", "being", "been", "expected", "likely", "about", "going", "called", "named"}
_STRANDED = {"like", "for", "from", "to", "with", "of", "in", "on", "at", "by", "into", "after", "worth"}
_PREPOSITIONS = {"behind", "in", "on", "at", "for", "from", "with", "under", "inside", "between", "among", "about"}
_PRONOUNS = {"i", "you", "he", "she", "it", "we", "they", "him", "her", "them", "us", "me"}
_IDIOMS = {"take place", "take part", "take effect", "take office", "make sense", "take hold", "take over"}
_ASIDE = re.compile(r",\s+(?=according to\b)", re.I)
_NAME_RUN = re.compile(r"^(?:it|he|she|they|this|that|these|those|[A-ZÆØÅ][\w’'-]*(?:\s+[A-ZÆØÅ][\w’'-]*)*)(?=\s)")
_LOCK = threading.Lock()


@lru_cache(maxsize=4096)
def _lemmas(word: str) -> dict:
    import lemminflect  # its tables load on first use (about a second): only declines need them

    with _LOCK:
        return lemminflect.getAllLemmas(word.lower())


def warm() -> None:
    """Load lemminflect's tables now (the app does at start) rather than on the first decline."""
    _form(_verb("said") or "say", "VBD")


def _verb(word: str) -> str | None:
    """The word's verb lemma when the word is one of that verb's forms, else None."""
    lemmas = _lemmas(word).get("VERB", ())
    return lemmas[0] if lemmas else None


def _finite(word: str) -> bool:
    """A verb in a form of its own ("claimed", "died", "knows") that is no noun ("troops", "costs")."""
    return word.islower() and _verb(word) not in (None, word) and "NOUN" not in _lemmas(word)


def _form(lemma: str, tag: str) -> str:
    import lemminflect

    with _LOCK:
        forms = lemminflect.getInflection(lemma, tag=tag)
    return forms[0] if forms else lemma


def _is_base_verb(word: str) -> bool:
    return word.isalpha() and word.islower() and _verb(word) == word


def _is_participle(word: str) -> bool:
    lemma = word.isalpha() and word.islower() and _verb(word)
    return word in _PARTICIPLE_OK or bool(lemma and _form(lemma, "VBN") == word and word != lemma) or word.endswith("ing")


def _participle_at(words: list[str]) -> int | None:
    """Where a participle starts the rest of a clause after its subject ("the summit | being held")."""
    for i in range(1, len(words)):
        alone = i == 1 and words[0].lower() in ("this", "that", "these", "those")  # "where this was reported"
        if _is_participle(words[i]) and (words[i - 1].lower() not in _DETERMINERS or alone):
            return i
    return None


def _base_verb_at(words: list[str]) -> int | None:
    """Where the verb is in the words after do/does/did or a modal: the last word that can be a verb in
    its base form before the subject's phrase ends (at a preposition other than "of", a determiner
    not after "of", a pronoun or an auxiliary): "the head of the central bank | say", "the ISW report
    say | about", "the oil price fall"; "take place" and its like take the first."""
    end = len(words)
    for i in range(2, len(words)):
        word, before = words[i].lower(), words[i - 1].lower()
        if (word in _PREPOSITIONS | _STRANDED and word != "of") or word in _PRONOUNS or word in _AUXILIARIES \
                or (word in _DETERMINERS and before != "of"):
            end = i
            break
    verbs = [i for i in range(1, end) if _is_base_verb(words[i])]
    if not verbs:
        return None
    last = verbs[-1]
    return last - 1 if f"{words[last - 1]} {words[last]}".lower() in _IDIOMS and last - 1 in verbs else last


def _after_auxiliary(wh: str, auxiliary: str, words: list[str]) -> str | None:
    if auxiliary in _DO_WORDS:
        at = _base_verb_at(words)
        if at is None:
            return None
        tag = {"do": None, "does": "VBZ", "did": "VBD"}[auxiliary]
        verb = words[at] if tag is None else _form(words[at], tag)
        return " ".join([wh, *words[:at], verb, *words[at + 1:]])
    at = _base_verb_at(words) if auxiliary in _MODALS else _participle_at(words)
    return None if at is None else " ".join([wh, *words[:at], auxiliary, *words[at:]])


def _with_be(wh: str, be: str, rest: str) -> str | None:
    split = _ASIDE.search(rest)  # "…, according to Fildes" stays after the clause
    rest, aside = (rest[:split.start()], rest[split.start():]) if split else (rest, "")
    words = rest.split()
    if wh in ("who", "what") and words and (_is_participle(words[0]) or words[0] in _PREPOSITIONS):
        return f"{wh} {be} {rest}{aside}"  # "what is known about …": what is the subject
    at = _participle_at(words)
    if at is not None and words[at] != "about":
        return " ".join([wh, *words[:at], be, *words[at:]]) + aside
    subject = _NAME_RUN.match(rest)
    if subject and (wh == "whether" or subject.group(0).lower() in _PRONOUNS
                    or re.match(r"\s+an?\s", rest[subject.end():])):
        return f"{wh} {subject.group(0)} {be}{rest[subject.end():]}{aside}"  # "whether Belarus is complicit"
    if wh == "whether":
        return None  # "Is the border open?": where the subject ends is not known
    if len(words) >= 2 and words[-1].lower() in _STRANDED:  # "what the border is like"
        return " ".join([wh, *words[:-1], be, words[-1]]) + aside
    return f"{wh} {rest} {be}{aside}"


def indirect(question: str) -> str | None:
    """The clause that names what `question` asks (see the module), or None when it cannot be turned."""
    text = " ".join(question.strip().split()).rstrip("?").strip()
    words = text.split()
    if len(words) < 2:
        return None
    first = words[0].lower()
    if first in _AUXILIARIES:  # a yes/no question: "whether …"
        wh, auxiliary, rest = "whether", first, words[1:]
    elif re.fullmatch(_WH, first):
        # the question phrase runs to the auxiliary ("how many people did …", "what kind of aid did …"),
        # unless a verb in its own form comes first: then the question word is the subject ("who claimed …")
        for at, word in enumerate(words[1:6], 1):
            if word.lower() in _AUXILIARIES:
                break
            if _finite(word) and first in ("who", "what", "which", "how"):
                return text[:1].lower() + text[1:]
        else:  # no auxiliary: the question word is the subject, if a word after it can be a verb ("which companies left …")
            verb = any(w.islower() and w.isalpha() and _verb(w) not in (None, w) for w in words[2:6])
            return text[:1].lower() + text[1:] if verb and first in ("who", "what", "which", "how") else None
        wh, auxiliary, rest = " ".join(words[:at]).lower(), words[at].lower(), words[at + 1:]
        if not rest:
            return None
    else:
        return None
    if auxiliary in _BE_WORDS:
        return _with_be(wh, auxiliary, " ".join(rest))
    if wh in ("who", "what") and _is_participle(rest[0]) and auxiliary in _HAVE_WORDS:
        return " ".join([wh, auxiliary, *rest])  # "what has happened since": what is the subject
    return _after_auxiliary(wh, auxiliary, rest)
