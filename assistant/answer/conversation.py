"""Follow-up questions: detect questions that lean on the conversation and rewrite the query.

- "He", "she" and their forms point back to someone named earlier: "What does he say about the
  escape route?" after "Who is Tom Røseth?" is searched as "What does Tom Røseth say about the
  escape route?"; after a question asking *for* someone ("Who is Paradyne's new chief
  executive?") the person its answer names ("What job did Jerry Kendall hold before?"); a declined
  answer names nobody (its "Closest: …" titles are no one), so the question before is searched along.
- "What about X?": a new topic for the same person when the articles never speak of X as a
  person (`spoken_of_as_person`): "And what about Ukraine?" after "What does Hansen say about the
  meeting?" → "What does Hansen say about Ukraine?"; a new person on the same topic: "What about
  Røseth?" → "What does Røseth say about the meeting?" (when the question before named one person
  ahead of its topic; otherwise the question with that question's frame, its people left out).
- "It", "that", "there", a short question ("And the year before?"): searched with the question
  before it, as it was searched, and that question's short answer ("How much freight did it
  handle? Which railway carries Zambia's exports TAZARA"): its names alone lose what "it" was.

Otherwise a question that names its own subject is searched as asked, so earlier turns never
leak into an unrelated answer. bench/eval_followups.py measures this on conversations in our
own words.
"""
from __future__ import annotations

import re
from typing import Callable, Sequence

from bm25s.stopwords import STOPWORDS_EN

from . import features, quotes
from .phrasing import DECLINE_OPENING

_PRONOUNS = re.compile(
    r"\b(he|she|him|her|his|hers|they|them|their|theirs|it|its|this|that|these|those|there|the same)\b", re.I)
_PERSONAL = re.compile(r"\b(he|she|him|her|his|hers)\b", re.I)  # always someone named earlier
_SUBJECT = re.compile(r"\b(he|she|him|his)\b", re.I)  # "her" is left: object or possessive, it cannot be told
_FOLLOW_UP_OPENERS = re.compile(r"^\s*(what about|how about|and\b|also\b|why\?|why not|what else|anything else|more\b|who else)", re.I)
_NAME = re.compile(r"\b[A-ZÆØÅ][\wæøåäöü'’-]+(?:\s+[A-ZÆØÅ][\wæøåäöü'’-]+)*")
_QUESTION_WORDS = {"What", "Who", "Why", "How", "When", "Where", "Which", "Is", "Are", "Does", "Do", "Did", "Can",
                   "Could", "Would", "Will", "Should", "Tell", "The", "A", "An", "And", "But", "In", "On", "According"}
_ABOUT = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\b", re.I)
_ASKED_ABOUT = re.compile(_ABOUT.pattern + r"[^?]*\?\s*(?=\S)", re.I)  # "What about Hansen? " before a frame
_TOPIC = re.compile(r"\b(about|of|on|regarding)\s+([^?]+)\??\s*$", re.I)  # what the question is about, at its end
_POSSESSIVE = re.compile(r"(?:[’']s?)$")  # "Paradyne's" → "Paradyne"; "Wiggins" stays
_CONTEXT_WORDS = 30  # of the question before, searched with an "it" or "that" follow-up
_SHORT = 3  # words: "And Hansen?" is short, so it leans on the conversation


def entities(text: str) -> list[str]:
    """Names in `text`: runs of capitalised words, question words left out."""
    found = []
    for match in _NAME.finditer(text):
        words = match.group(0).split()
        # "At least 140 people …" names nobody called "At", nor "What's a good recipe …" anybody called "What"
        while words and (_POSSESSIVE.sub("", words[0]) in _QUESTION_WORDS or words[0].lower() in STOPWORDS_EN):
            words.pop(0)
        name = _POSSESSIVE.sub("", " ".join(words)).strip()
        if name and name not in found:
            found.append(name)
    return found


def is_follow_up(question: str) -> bool:
    """True when the question cannot be understood without the previous turns."""
    if _FOLLOW_UP_OPENERS.search(question):
        return True
    if _PERSONAL.search(question) or (_PRONOUNS.search(question) and not entities(question)):
        return True
    return len(re.findall(r"\w+", question)) <= _SHORT


def spoken_of_as_person(name: str, texts: Sequence[str]) -> bool:
    """Whether the passages `texts` quote `name` ("…, says Hansen") or give them a title ("Belarus
    expert Arve Hansen"): a person, not a place or a topic. ("X is a …" is no sign: places and
    organisations are described so too.)"""
    surname = quotes.short_name(name)
    # a role just before the name: "expert Arve Hansen", "President Vladimir Putin" (not "President of Ukraine")
    titled = re.compile(rf"\b(?i:{features.ROLE_NOUN})\s+(?:[A-ZÆØÅ][\w’'-]+\s+){{0,2}}{re.escape(surname)}\b")
    for text in texts:
        for paragraph in text.split("\n\n"):
            speaker = quotes.named_speaker(paragraph)
            if (speaker and quotes.same_person(quotes.short_name(speaker), surname)) or titled.search(paragraph):
                return True
    return False


def _text(answer: object) -> str:
    return getattr(answer, "text", answer) if answer is not None else ""


_SENTENCE_START = re.compile(r"(?:^|[.!?…]\s+|\[\d+\]\s*|\*\*\s*)$")  # what comes before a sentence's first word
_ASKS_PERSON = re.compile(r"^\s*(?:and\s+)?(?:who|whom|whose)\b|\bwhich (?:person|man|woman|official|leader|analyst|"
                          r"executive|minister|manager|spokesman|spokeswoman)\b", re.IGNORECASE)
_BOLD_LEAD = re.compile(r"^\s*\*\*(?P<short>[^*]+?)\.?\*\*")  # the chat's answer text: "**On Friday.** …"


def short_answer(answer: object) -> str:
    """An earlier answer's few words: its `short_answer`, or the bold lead of its text in the chat."""
    short = getattr(getattr(answer, "short_answer", None), "text", "")
    lead = _BOLD_LEAD.match(_text(answer) or "")
    return short or (lead.group("short") if lead else "")


def declined(answer: object) -> bool:
    """An earlier answer that declined: its names are the closest articles' titles, nobody's."""
    flag = getattr(answer, "abstained", None)
    return flag if isinstance(flag, bool) else str(_text(answer) or "").lstrip().startswith(DECLINE_OPENING)


def answer_names(answer: object) -> list[str]:
    """Names an answer gives, its short answer first: a one-word name opening a sentence is left
    out ("Since prices are below …", "Delegates said …" name nobody)."""
    short, text = short_answer(answer), _text(answer)
    found = entities(short) if short else []
    for match in _NAME.finditer(text):
        for name in entities(match.group(0)):
            if " " in name or not _SENTENCE_START.search(text[:match.start() + match.group(0).find(name)]):
                found.append(name)
    return list(dict.fromkeys(found))


def _referent(history: Sequence[tuple[str, object]], own: set[str], person: Callable[[str], bool] | None) -> list[str]:
    """Whom "he" or "she" points back to: the latest turn's people. After a question asking who
    ("Who is Paradyne's new chief executive?"), the person its answer names; otherwise the
    question's own names, or failing them the first name its answer gives."""
    is_person = person or (lambda name: True)
    for previous_question, previous_answer in reversed(history):
        asked = [n for n in entities(previous_question) if n not in own]
        given = [] if declined(previous_answer) else [n for n in answer_names(previous_answer)
                                                     if n not in own and n not in asked]
        if _ASKS_PERSON.search(previous_question) and not features.who_is(previous_question):
            # it asked for someone: a person its answer names, one the articles quote or title, or else a full name
            people = [n for n in given if is_person(n)] or [n for n in given if " " in n]
            if people:
                return people[:1]
        people = [n for n in asked if is_person(n)] or asked
        if people:
            return people
        if given:
            return given[:1]
    return []


def unrelated(answer: object) -> bool:
    """An earlier answer that found its question off the articles' topics ("The articles don't cover
    this."): the conversation starts again after it."""
    covered = getattr(answer, "covered", None)
    if isinstance(covered, bool):
        return declined(answer) and not covered
    return str(_text(answer) or "").strip().startswith(f"{DECLINE_OPENING} cover this")


def named_before(question: str, pronoun: re.Match, person: Callable[[str], bool] | None) -> bool:
    """The question itself names someone before its "he"/"she": the pronoun is theirs ("Why did
    Lukashenko say that he would stay out of the war?")."""
    return any(person is None or person(name) for name in entities(question[:pronoun.start()]))


def rewrite(question: str, history: Sequence[tuple[str, object]], person: Callable[[str], bool] | None = None) -> str:
    """The query to search: the question, plus the names of the conversation when it leans on them.
    `person(name)`: whether the articles speak of `name` as a person (quote or describe them);
    without it every name a follow-up brings is taken for a new subject."""
    if not history or not is_follow_up(question) or unrelated(history[-1][1]):
        return question
    personal = _PERSONAL.search(question)
    if personal and named_before(question, personal, person):
        return question
    own = set(entities(question))
    if own and not _PERSONAL.search(question):
        previous = rewrite(history[-1][0], history[:-1], person)  # as searched: "What does Arve Hansen say …"
        about = _TOPIC.search(previous)
        if about and _ABOUT.match(question) and person and not any(person(name) for name in own):
            # "And what about Ukraine?" after "What does Arve Hansen say about the meeting?": a new topic, same person
            return f"{previous[:about.start(2)]}{' and '.join(sorted(own, key=question.find))}?"
        # "What about Røseth?" after "What does Arve Hansen think of the border?": the new person in the
        # other's place ("What does Røseth think of the border?")
        frame = _ASKED_ABOUT.sub("", previous)
        framed = bool(about) and frame == previous  # a question of its own, its topic at its end
        head = frame[:about.start()] if framed else frame
        subjects = [n for n in entities(head) if person is None or person(n)]
        if framed and _ABOUT.match(question) and len(subjects) == 1 and person and all(person(n) for n in own):
            return frame.replace(subjects[0], " and ".join(sorted(own, key=question.find)), 1)
        # otherwise the frame with its people gone (and, not knowing who is a person, all its names)
        topic = frame
        for name in entities(head):
            if person is None or person(name):
                topic = topic.replace(name, " ")
        topic = re.sub(r"\s+", " ", re.sub(r"[?!.]", " ", topic)).strip()
        return f"{question.strip()} {topic}" if topic else question
    names = _referent(history, own, person)
    subject = _SUBJECT.search(question)
    if names and subject and len(names) == 1:  # "What does he say …" → "What does Tom Røseth say …"
        word = subject.group(0)
        name = f"{names[0]}’s" if word.lower() in ("his", "hers") else names[0]
        return question[:subject.start()] + name + question[subject.end():]
    if _PERSONAL.search(question) and names:
        return f"{question.strip()} {' '.join(names)}"
    # "it", "that", "And the year before?", or "he" with nobody named: searched with the question before it and
    # its short answer ("How long will it last? When does Alberta's trial deregulation begin June 1"); its names
    # alone lose what "it" was
    previous = rewrite(history[-1][0], history[:-1], person)  # as searched
    context = " ".join(previous.split()[:_CONTEXT_WORDS]).rstrip("?")  # a long conversation does not pile up
    return f"{question.strip()} {context} {short_answer(history[-1][1])}".strip()


def _content_text(content: object) -> str:
    """Text of a chat message's content: a string, or browser-style parts [{"type": "text", "text": …}]."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text", "")) if content.get("type", "text") == "text" else ""
    if isinstance(content, (list, tuple)):
        return " ".join(filter(None, (_content_text(part) for part in content)))
    return ""  # files, images, components: nothing to search with


def _field(message: object, name: str):
    return message.get(name) if isinstance(message, dict) else getattr(message, name, None)


_CITATION = re.compile(r"\s*\[\d+\]")


def history_pairs(messages: Sequence[object]) -> list[tuple[str, str]]:
    """(question, answer text) pairs from chat messages (dicts or message objects), oldest first.

    Messages with a metadata title (the Sources lists, search notes) are not part of the
    conversation; citation markers are dropped from answers.
    """
    pairs: list[tuple[str, str]] = []
    for message in messages:
        metadata = _field(message, "metadata") or {}
        if (metadata.get("title") if isinstance(metadata, dict) else getattr(metadata, "title", None)):
            continue
        text = _content_text(_field(message, "content")).strip()
        role = _field(message, "role")
        if role == "user" and text:
            pairs.append((text, ""))
        elif role == "assistant" and text and pairs:
            question, answer = pairs[-1]
            pairs[-1] = (question, f"{answer} {_CITATION.sub('', text)}".strip())
    return pairs
