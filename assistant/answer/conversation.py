"""Follow-up questions: detect questions that lean on the conversation and rewrite the query.

"What does he say about the escape route?" after "Who is Tom Røseth?" is searched as
"What does Tom Røseth say about the escape route?" (the pronoun replaced by the one name the
conversation gives it; with several names they are added after the question), and "And Hansen?" after "What does
Røseth think of the border?" as "And Hansen? What does think of the border", but "And what about
Ukraine?" after "What does Hansen say about the meeting?" as "What does Hansen say about Ukraine?"
when the articles never speak of Ukraine as a person (`spoken_of_as_person`). "He", "she" and
their forms always point back to someone named earlier. Otherwise a question that names its
own subject is searched as asked, so earlier turns never leak into an unrelated answer.
"""
from __future__ import annotations

import re
from typing import Callable, Sequence

from bm25s.stopwords import STOPWORDS_EN

from . import features, quotes

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
_SHORT = 3  # words: "And Hansen?" is short, so it leans on the conversation


def entities(text: str) -> list[str]:
    """Names in `text`: runs of capitalised words, question words left out."""
    found = []
    for match in _NAME.finditer(text):
        words = match.group(0).split()
        while words and (words[0] in _QUESTION_WORDS or words[0].lower() in STOPWORDS_EN):
            words.pop(0)  # "At least 140 people …" names nobody called "At"
        name = " ".join(words).rstrip("’'s").strip()
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


def rewrite(question: str, history: Sequence[tuple[str, object]], person: Callable[[str], bool] | None = None) -> str:
    """The query to search: the question, plus the names of the conversation when it leans on them.
    `person(name)`: whether the articles speak of `name` as a person (quote or describe them);
    without it every name a follow-up brings is taken for a new subject."""
    if not history or not is_follow_up(question):
        return question
    own = set(entities(question))
    if own and not _PERSONAL.search(question):
        previous = rewrite(history[-1][0], history[:-1], person)  # as searched: "What does Arve Hansen say …"
        about = _TOPIC.search(previous)
        if about and _ABOUT.match(question) and person and not any(person(name) for name in own):
            # "And what about Ukraine?" after "What does Arve Hansen say about the meeting?": a new topic, same person
            return f"{previous[:about.start(2)]}{' and '.join(sorted(own, key=question.find))}?"
        # "What about Hansen?" after "What does Røseth think of the border?": a new subject, the previous topic
        # (its names go, or only its people's when `person` tells them: "… about Ukraine" keeps Ukraine)
        topic = _ASKED_ABOUT.sub("", previous)  # "What about Hansen? What does think of …": its frame
        for name in entities(topic):
            if person is None or person(name):
                topic = topic.replace(name, " ")
        topic = re.sub(r"\s+", " ", re.sub(r"[?!.]", " ", topic)).strip()
        return f"{question.strip()} {topic}" if topic else question
    for previous_question, previous_answer in reversed(history):
        names = [n for n in entities(previous_question) if n not in own]
        if not names:  # the previous question had no name: take the first of its answer
            names = [n for n in entities(_text(previous_answer))[:1] if n not in own]
        if names:
            person = " ".join(names)
            subject = _SUBJECT.search(question)
            if subject and len(names) == 1:  # "What does he say …" → "What does Tom Røseth say …"
                word = subject.group(0)
                name = f"{person}’s" if word.lower() in ("his", "hers") else person
                return question[:subject.start()] + name + question[subject.end():]
            return f"{question.strip()} {person}"
    return question


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
