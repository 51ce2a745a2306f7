"""What a question asks, read from its words: a reason ("why"), someone's own words ("What does
Hansen say …"), who someone is ("Who is Tom Røseth?"), and whether a sentence says who a person
is. The span reader decides what answers (reader.py); these tell the composer how to lead and
what a decline says, for the kinds of question news readers ask that SQuAD, the reader's training
set, has almost none of (selection.py, conversation.py).
"""
from __future__ import annotations

import re

ASKS_WORDS = re.compile(r"\b(say|says|said|think|thinks|believe|believes|mean|argue|argues|claim|claims|view|views|"
                         r"opinion|characteri[sz]e|characteri[sz]es|describe|describes|call|calls|see|sees|warn|warns)\b", re.I)
_NAME_PARTICLES = {"of", "de", "da", "di", "du", "del", "von", "van", "der", "den", "la", "le", "al", "bin", "ibn"}
_WHO_IS = re.compile(r"^\s*who\s+(is|was|are|were)\s+(?P<name>.+?)\??$", re.I)

_QUESTION_WORD = re.compile(r"\b(why|how|what|which|who|whom|whose|when|where)\b", re.IGNORECASE)


def asks_why(question: str) -> bool:
    """The question's first question word is "why" ("Why might Lukashenko deviate …?",
    "And why is that?"): it asks for a reason, not a name, a date or a number."""
    first = _QUESTION_WORD.search(question)
    return bool(first) and first.group(1).lower() == "why"


def asks_for_words(question: str) -> bool:
    """"What does Hansen say/think …", "How does Godzimirski characterize …": a person's own words answer it."""
    return bool(ASKS_WORDS.search(question))


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
