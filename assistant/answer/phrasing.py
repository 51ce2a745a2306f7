"""A question turned into the clause a decline names: "What is the population of Belarus?" →
"what the population of Belarus is", so the reply can say "The articles don't say what the
population of Belarus is."

Only what can be turned without parsing is turned: a question word followed by a form of "be"
(the verb moves after its subject, or before the participle that ends it: "what X is called"),
a question whose question word is its subject ("who claimed responsibility", "how many
people died"), and do-support with one of the verbs news questions ask with, whose forms are
listed ("What did Zelensky say about …?" → "what Zelensky said about …", "When did the attack
happen?" → "when the attack happened"). Anything else (other verbs after "do", modals, yes/no
questions) is named as asked, in quotation marks: "The articles don't say “When did Putin
land?”" reads better than a wrong conjugation would.
"""
from __future__ import annotations

import re

DECLINE_OPENING = "The articles don't"  # every decline opens so (conversation.py tells a declined turn by it)
_WH = r"(?:what|who|whom|whose|where|when|why|which|how(?:\s+(?:much|many|long|far|old|big|often|large))?)"
_BE = re.compile(rf"^(?P<wh>{_WH})\s+(?P<be>is|are|was|were)\s+(?P<rest>.+)$", re.I)
# the verb of a subject question: "who claimed …", "what happened …", "how many people died …"
_SUBJECT = re.compile(r"^(?P<wh>(?:who|what|which\s+\w+|how\s+(?:many|much)\s+\w+))\s+(?P<verb>\w+)\b", re.I)
_PAST = re.compile(r"^\w+(ed|[^s]s)$", re.I)
_IRREGULAR = {"said", "says", "made", "took", "led", "left", "met", "won", "lost", "hit", "came", "went", "gave", "told",
              "got", "began", "knew", "thought", "saw", "held", "sold", "bought", "paid", "fell", "rose", "spent", "sent",
              "wrote", "ran", "set", "put", "cut", "became", "brought", "kept", "built", "fled", "killed", "died"}
_AUXILIARY = {"do", "does", "did", "can", "could", "will", "would", "should", "shall", "may", "might", "must", "has",
              "have", "had"}
# where "be" goes back in: before a participle or the word of a fixed phrase that ends the clause
_BEFORE = re.compile(r"\b(?:\w+(?:ing|ed)|being|been|called|named|known|held|expected|likely|about|going|done|found|made|"
                     r"said|built|given|taken|seen|sold|paid|told|kept|lost|won|shown|written|brought|bought|caught|"
                     r"chosen|spent|sent|begun|meant)\b", re.I)
# a subject that ends where its predicate starts: a personal pronoun, or a name before "a"/"an"
_LEAD_SUBJECT = re.compile(r"^(?:(?:it|he|she|they)|[A-ZÆØÅ][\w’'-]*(?:\s+[A-ZÆØÅ][\w’'-]*)*(?=\s+an?\s))\s+(?=\S)")
_ASIDE = re.compile(r",\s+(?=according to\b)", re.I)
_PRONOUN = re.compile(r"^(?:this|that|these|those)\s+$", re.I)  # "where this was reported": a subject, not "this plan"
_STRANDED = {"like", "for", "from", "to", "with", "of", "in", "on", "at", "by", "into", "after", "worth"}  # a closing preposition
# who or what is the subject, "be" followed by a participle or a preposition: the order stays
_SUBJECT_ASKED = re.compile(r"^(?:who|what)\s+(?:\w+ing|behind|in|on|at|for|from|with|under|inside|between|among)\b",
                            re.I)
_DETERMINER = re.compile(r"\b(?:the|a|an|this|that|its|his|her|their|our|your|whose)\s+$", re.I)  # "the meeting": a noun


# verbs of saying and thinking (what news questions ask people about): base → (third person, past)
_FORMS = {"say": ("says", "said"), "think": ("thinks", "thought"), "mean": ("means", "meant"),
          "see": ("sees", "saw"), "know": ("knows", "knew"), "tell": ("tells", "told"), "do": ("does", "did"),
          "make": ("makes", "made"), "want": ("wants", "wanted"), "expect": ("expects", "expected"),
          "believe": ("believes", "believed"), "claim": ("claims", "claimed"), "call": ("calls", "called"),
          "describe": ("describes", "described"), "fear": ("fears", "feared"), "hope": ("hopes", "hoped"),
          "suggest": ("suggests", "suggested"), "argue": ("argues", "argued"), "warn": ("warns", "warned"),
          "plan": ("plans", "planned"), "propose": ("proposes", "proposed"), "predict": ("predicts", "predicted"),
          "write": ("writes", "wrote"), "report": ("reports", "reported"),
          # ... and of what news questions ask happened: "When did the attack happen?"
          "happen": ("happens", "happened"), "occur": ("occurs", "occurred"), "start": ("starts", "started"),
          "begin": ("begins", "began"), "end": ("ends", "ended"), "arrive": ("arrives", "arrived"),
          "leave": ("leaves", "left"), "meet": ("meets", "met"), "die": ("dies", "died"), "win": ("wins", "won"),
          "lose": ("loses", "lost"), "pay": ("pays", "paid"), "cost": ("costs", "cost"), "rise": ("rises", "rose"),
          "fall": ("falls", "fell"), "grow": ("grows", "grew"), "announce": ("announces", "announced"),
          "agree": ("agrees", "agreed"), "decide": ("decides", "decided"), "sell": ("sells", "sold"),
          "buy": ("buys", "bought"), "take": ("takes", "took"), "give": ("gives", "gave"), "get": ("gets", "got"),
          "go": ("goes", "went"), "come": ("comes", "came"), "react": ("reacts", "reacted"),
          "respond": ("responds", "responded"), "change": ("changes", "changed"), "become": ("becomes", "became")}
_DO = re.compile(rf"^(?P<wh>{_WH})\s+(?P<do>do|does|did)\s+(?P<after>\S.*)$", re.I)
_VERB = re.compile(rf"\b(?:{'|'.join(_FORMS)})\b", re.I)


def _do_support(match: re.Match) -> str | None:
    """"what Zelensky said about …" from "What did Zelensky say about …": the verb is the first listed
    one that does not follow a determiner ("the report") or stand before another ("the ISW report say")."""
    after = match.group("after")
    verbs = [m for m in _VERB.finditer(after) if m.start() > 0 and not _DETERMINER.search(after[:m.start()])]
    for k, verb in enumerate(verbs):
        if k + 1 < len(verbs) and not after[verb.end():verbs[k + 1].start()].strip():
            continue
        words = after[:verb.start()].split()
        if any(w.lower() in ("the", "a", "an") and words[j - 1].lower() not in _STRANDED for j, w in enumerate(words) if j):
            return None  # a second noun phrase not after a preposition: an unlisted verb came first (quoted instead)
        do, base = match.group("do").lower(), verb.group(0).lower()
        form = base if do == "do" else _FORMS[base][0 if do == "does" else 1]
        return f"{match.group('wh').lower()} {after[:verb.start()].rstrip()} {form}{after[verb.end():]}"
    return None


def indirect(question: str) -> str:
    """The clause that names what `question` asks (see the module's rules), or the question quoted."""
    text = " ".join(question.strip().split()).rstrip("?").strip()
    match = _BE.match(text)
    if match:
        wh, be, rest = match.group("wh").lower(), match.group("be").lower(), match.group("rest")
        split = _ASIDE.search(rest)  # "…, according to Fildes" stays after the clause
        rest, aside = (rest[:split.start()], rest[split.start():]) if split else (rest, "")
        inside = next((m for m in _BEFORE.finditer(rest, 1)
                       if not _DETERMINER.search(rest[:m.start()]) or _PRONOUN.match(rest[:m.start()])), None)
        if inside:
            return f"{wh} {rest[:inside.start()].rstrip()} {be} {rest[inside.start():]}{aside}"
        if _SUBJECT_ASKED.match(f"{wh} {rest}"):  # "who is standing in …", "what is behind …": the verb stays
            return f"{wh} {be} {rest}{aside}"
        subject = _LEAD_SUBJECT.match(rest)  # "why it is hard to …", "why Squibb was a good partner"
        if subject:
            return f"{wh} {subject.group(0).rstrip()} {be} {rest[subject.end():]}{aside}"
        last = rest.rsplit(" ", 1)
        if len(last) == 2 and last[1].lower() in _STRANDED:  # "what the border is like", "where it is from"
            return f"{wh} {last[0]} {be} {last[1]}{aside}"
        return f"{wh} {rest} {be}{aside}"
    match = _DO.match(text)
    turned = _do_support(match) if match else None
    if turned:
        return turned
    match = _SUBJECT.match(text)
    if match and match.group("verb").lower() not in _AUXILIARY and (
            _PAST.match(match.group("verb")) or match.group("verb").lower() in _IRREGULAR):
        return text[:1].lower() + text[1:]
    return f"“{question.strip()}”"
