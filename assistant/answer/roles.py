"""People asked about by their role: "the NUPI researcher", "the Shearson analyst".

News names a source once, with a role ("NUPI researcher Jakub Godzimirski believes …",
"Shearson Lehman analyst Michael Lucky said", "Hansen is an adviser to the Norwegian
Helsinki Committee"), and a reader who paraphrases asks by the role. The retrieved passages
say who holds it; the composer then searches again with the name added, so the person's own
words and attributions count (extractive.ExtractiveComposer.compose).

Only a role noun with a qualifier is resolved ("the NUPI researcher", not "the researcher"),
and only when one sentence holds the noun, every qualifier and a name right beside them.
"""
from __future__ import annotations

import re

ROLE_NOUNS = ("researcher", "expert", "adviser", "advisor", "analyst", "director", "minister", "president",
              "chairman", "chairwoman", "spokesman", "spokeswoman", "spokesperson", "head", "leader", "professor",
              "teacher", "manager", "governor", "chief", "editor", "officer", "economist", "official", "secretary",
              "ambassador", "commissioner", "executive", "diplomat", "ruler")
_NOUN = "(?:" + "|".join(ROLE_NOUNS) + ")"
# "the NUPI researcher", "Imperial's crude supply manager" (the owner's name is a qualifier)
_ASKED = re.compile(rf"(?:\b(?i:the)\s+|\b(?=[A-ZÆØÅ][\w-]*[’']s\s))(?P<qualifier>(?:[\w’'-]+\s+){{1,3}}?)"
                    rf"(?P<noun>(?i:{_NOUN}))(?i:s)?\b")
_NAME = re.compile(r"[A-ZÆØÅ][\wæøåäöü’'-]+(?:\s+[A-ZÆØÅ][\wæøåäöü’'-]+)*")
_SMALL = {"the", "a", "an", "of", "to", "at", "in", "and", "for", "on", "s", "’s", "'s"}
_NEAR = 40  # characters between the role and the name: "researcher and Russia expert Jakub …"
_OF = re.compile(r"\s+(?:to|of|at|for|with|in)\b")
_OPENERS = {"The", "A", "An", "But", "And", "However", "According", "In", "On", "At", "As", "He", "She", "They", "It",
            "This", "That", "When", "While", "If", "Since", "After", "Before", "Although"}


def asked_roles(question: str) -> list[tuple[int, str, list[str]]]:
    """(end in the question, role noun, qualifier words) of each "the <qualifier> <role>"."""
    found = []
    for match in _ASKED.finditer(question):
        words = re.findall(r"[\w-]+(?:[’'][\w-]+)?", match.group("qualifier"))
        qualifier = [re.sub(r"[’']s$", "", w) for w in words if w.lower() not in _SMALL]
        if qualifier:
            found.append((match.end(), match.group("noun").lower(), qualifier))
    return found


def with_holders(question: str, texts: list[str]) -> str:
    """The question with the name of each role's holder after the role, when the texts give it:
    "Where does the NUPI researcher Jakub Godzimirksi work?"; unchanged when none is found."""
    out = question
    for end, noun, qualifier in reversed(asked_roles(question)):  # from the end: earlier offsets stay valid
        name = holder((noun, qualifier), texts)
        if name and name.split()[-1] not in question:
            out = f"{out[:end]} {name}{out[end:]}"
    return out


def _stem(word: str) -> str:
    return word.lower()[:5]  # "Belarusian" ~ "Belarus", "development" ~ "developing": loose on purpose


def holder(role: tuple[str, list[str]], texts: list[str]) -> str | None:
    """The name the texts give the holder of `role`: the first sentence where the role noun has
    every qualifier just before it ("NUPI researcher") or after a preposition ("adviser to the
    Norwegian Helsinki Committee"), and a name beside it (after it first, then before)."""
    noun, qualifier = role
    wanted = {_stem(w) for w in qualifier}
    for text in texts:
        for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
            for found in re.finditer(rf"\b{noun}s?\b", sentence, re.I):
                start, end = found.span()
                around = sentence[max(0, start - _NEAR):start]
                if _OF.match(sentence, end):
                    around += " " + sentence[end:end + 2 * _NEAR]
                if wanted <= {_stem(w) for w in re.findall(r"[\w’'-]+", around)}:
                    name = _beside(sentence, start, end, wanted)
                    if name:
                        return name
    return None


def _beside(sentence: str, start: int, end: int, qualifier: set[str]) -> str | None:
    """A person's name next to the role: two words or more after it ("analyst Michael Lucky";
    one word there is a place: "researcher and Russia expert"), any before it ("Hansen is an …")."""
    def person(match: re.Match) -> bool:
        words = match.group(0).split()
        return words[0] not in _OPENERS and not any(_stem(w) in qualifier for w in words)
    after = [m for m in _NAME.finditer(sentence, end) if m.start() - end <= _NEAR and person(m) and " " in m.group(0)]
    before = [m for m in _NAME.finditer(sentence, 0, start) if start - m.end() <= _NEAR and person(m)]
    found = after[0] if after else before[-1] if before else None
    return re.sub(r"[’']s$", "", found.group(0)) if found else None


def with_first_name(question: str, surname: str, texts: list[str]) -> str:
    """ "Who is Putin?" → "Who is Vladimir Putin?" when the texts write the name in full, so the
    search finds the sentences that introduce the person ("Russian President Vladimir Putin")."""
    first = [m.group(1) for text in texts for m in re.finditer(rf"\b([A-ZÆØÅ][\w’'-]+)\s+{re.escape(surname)}\b", text)
             if m.group(1) not in _OPENERS and m.group(1).lower() not in ROLE_NOUNS and not m.group(1).endswith(("’s", "'s"))]
    if not first:
        return question
    name = max(set(first), key=first.count)
    return re.sub(rf"\b{re.escape(surname)}\b", f"{name} {surname}", question, count=1)
