"""Who said a quote: Norwegian news marks a quoted paragraph with a leading dash ("– …, says
Hansen."), English news quotes by sentence, with the attribution after the closing mark
('"…," Walesa said.'; sentence_speaker).

A speaker is named only when the article says so plainly: in the quote's own paragraph
("…, says Belarus expert Arve Hansen to TV 2", "…, Røseth points out"), or, when the quote
carries no attribution of its own or only "he says", in the paragraph just before it
("Røseth points to two possible reasons:"). An attribution whose subject is not a name
("the think tank points out") names nobody, and nothing further is guessed.
A quote that follows another quote ending in "continues:" has the same speaker.
Attribution clauses count only where news prose puts them: after a comma at the end of a
quote ("…, says Hansen"), or opening a sentence ("Røseth points to …"), so "what Putin said
in 2022" inside a quote never makes Putin its speaker.
"""
from __future__ import annotations

import re

QUOTE_MARK = re.compile(r"^[–—]\s*")
_VERBS = (r"(?:says|said|say|points out|pointed out|points to|believes|believed|asks|asked|claims|claimed|adds|"
          r"added|continues|explains|explained|writes|wrote|tells|told|thinks|argues|argued|notes|noted|"
          r"warns|warned|emphasizes|stresses|doubts|doubted|fears|feared|expects|expected|hopes|hoped|"
          r"admits|admitted|insists|insisted|predicts|predicted|estimates|estimated)")
_NAME_WORD = r"[A-ZÆØÅÄÖÜ][\wæøåäöüéèáíóúñ'’-]+"
_NAME = rf"{_NAME_WORD}(?:\s+{_NAME_WORD})*"
_STOP_NAMES = {"The", "He", "She", "They", "It", "We", "I", "This", "That", "There", "According", "In", "On", "At", "But", "And", "So",
               # words capitalised only by opening a sentence ("An estimated 65 pct …, one official said."), and
               # someone unnamed ("Another said …": a quote after it is not "Another said", see `continues`)
               "A", "An", "When", "Is", "If", "As", "While", "Another", "One", "Others", "Some"}
# "…, says [descriptors] Name [to Outlet]" or "…, Name says", or a sentence opening "Name says"
# (not "…, warned that if Latin countries …": what follows "that" is what was said, not who said it)
_VERB_THEN_NAME = re.compile(rf",\s+{_VERBS}\b\s+(?!(?:that|if|whether|it|to)\b)(?P<rest>[^.!?]*)")
_NAME_THEN_VERB = re.compile(rf"(?:,\s+|^|(?<=[.!?:]\s))(?P<name>{_NAME})\s+{_VERBS}\b")
_PRONOUN_ATTRIBUTION = re.compile(rf"\b(?:he|she)\s+{_VERBS}\b|\b{_VERBS}\s+(?:he|she)\b", re.I)
_PREPOSITIONS = {"to", "in", "at", "of", "from", "for", "the", "with", "on", "by"}


def is_quote(paragraph: str) -> bool:
    return bool(QUOTE_MARK.match(paragraph))


def _name_after_verb(rest: str) -> str | None:
    """The last run of capitalised words not introduced by a preposition: the person."""
    best = None
    for match in re.finditer(_NAME, rest):
        before = rest[:match.start()].split()
        if before and before[-1].lower().strip(",") in _PREPOSITIONS:
            continue
        words = [w for w in match.group(0).split() if w not in _STOP_NAMES]
        if words:
            best = " ".join(words)
    return best


def named_speaker(paragraph: str) -> str | None:
    """The person a paragraph names as saying something (the last attribution wins), if any."""
    found: list[tuple[int, str]] = []
    for match in _NAME_THEN_VERB.finditer(paragraph):
        words = [w for w in match.group("name").split() if w not in _STOP_NAMES]
        if words:
            found.append((match.start(), " ".join(words)))
    for match in _VERB_THEN_NAME.finditer(paragraph):
        name = _name_after_verb(match.group("rest"))
        if name:
            found.append((match.start(), name))
    return max(found)[1] if found else None


def has_attribution(paragraph: str) -> bool:
    return bool(_VERB_THEN_NAME.search(paragraph) or _NAME_THEN_VERB.search(paragraph))


def speaker(paragraph: str, previous: str | None) -> str | None:
    """Who said the quote `paragraph`, given the paragraph before it; None when unsure."""
    if not is_quote(paragraph):
        return None
    own = named_speaker(paragraph)
    if own:
        return own
    if has_attribution(paragraph) and not _PRONOUN_ATTRIBUTION.search(paragraph):
        return None  # attributed to something that is not a name: do not guess
    if previous is None:
        return None
    # A dash quote after another keeps its speaker ("– …, says Hansen." then "– When they say
    # something, …"), as after "…, says Røseth, and continues:"; after an unattributed one (an
    # interview's question) nobody is named, so nobody is guessed.
    return named_speaker(previous)


# English news quotes by sentence: '"…," Walesa said.', '"…," said Rudolph Hokanson, analyst at
# Milwaukee Co.', '"…," Shearson Lehman analyst Michael Lucky said.', '"…," he said.' The clause
# after the closing mark must end the sentence, short, so '…outside," said GM plans to build
# 1,042,708 cars …' (a report, not an attribution) names nobody.
_CLOSED = r"[,.!?]?[\"”]\s+"
_ENGLISH = re.compile(
    rf"{_CLOSED}(?:(?:[\w&.’'-]+\s+){{0,7}}?(?P<name>{_NAME})\s+{_VERBS}|{_VERBS}\s+(?P<after>{_NAME})"
    rf"(?:,(?:\s+[\w&.’'-]+){{1,6}})?|(?P<pronoun>he|she)\s+{_VERBS})\s*[.!?]\s*$")


# …or by one that opens the sentence: 'Ortiz Mena said, "It is …"', 'He added, "The only problem …"'
_LEADING = re.compile(rf'^(?:(?P<pronoun>[Hh]e|[Ss]he)|(?P<name>{_NAME}))\s+{_VERBS},?\s+["“]')


def sentence_speaker(sentence: str, before: str | None) -> str | None:
    """Who said an English quote sentence, by its closing attribution ('"…," Walesa said.') or
    its opening one ('Ortiz Mena said, "…"'); for "he said", the person the sentence `before`
    names as saying something. None when unsure."""
    match = _ENGLISH.search(sentence.strip()) or _LEADING.match(sentence.strip())
    if not match:
        return None
    if match.group("pronoun"):
        return (named_speaker(before) or sentence_speaker(before, None)) if before else None
    name = match.group("name") or (match.group("after") if "after" in match.re.groupindex else None)
    words = [w for w in name.split() if w not in _STOP_NAMES]
    return " ".join(words) or None


def split_english(sentence: str) -> tuple[str, str | None]:
    """(quoted words, attribution) of an English quote sentence: '"A," Walesa said.' → ("A", "Walesa said")."""
    text = sentence.strip()
    match = _ENGLISH.search(text)
    if not match:
        return text, None
    body = text[:match.start()].lstrip("\"“ ").strip()
    if '"' in body or "“" in body:  # a quote opening mid-sentence: 'Chiles "is obviously …," Miller said.'
        return text, None  # the reporter's words before it are not the speaker's: shown as written
    clause = re.sub(r"^[,.!?]?[\"”]\s+", "", text[match.start():]).rstrip(".!? ")
    return body, clause


def short_name(name: str) -> str:
    """Surname as news prose uses it on second mention."""
    return name.split()[-1]


def split_attribution(sentence: str) -> tuple[str, str | None]:
    """(quoted words, attribution clause or None): "– A, says X to TV 2." → ("A", "says X to TV 2");
    a clause handing over to the next quote keeps its colon: "– A, says X, and continues:" →
    ("A", "says X, and continues:")."""
    text = QUOTE_MARK.sub("", sentence).strip()
    tail = re.search(rf",\s+((?:{_VERBS}\b[^,.!?:]*(?:,[^.!?:]*)?|{_NAME}\s+{_VERBS}\b[^.!?:]*|(?:he|she)\s+{_VERBS}))"
                     rf"\s*(?:[.!?]|(:))$", text)
    if tail and tail.start() > 0:
        return text[:tail.start()], tail.group(1).strip() + (tail.group(2) or "")
    return text, None


def same_person(a: str, b: str) -> bool:
    """Spelling variants of one surname in one article ("Godzimirski", "Godzimirksi") are one speaker."""
    from difflib import SequenceMatcher

    a, b = a.lower(), b.lower()
    return a == b or (min(len(a), len(b)) >= 5 and a[:4] == b[:4] and SequenceMatcher(None, a, b).ratio() >= 0.8)


def quotation(texts: list[str], speaker: str | None, attribution: str | None) -> str:
    """One quote as an answer shows it: “…,” says [who the article says it is]; or Name: “…”."""
    body = " ".join(t.strip() for t in texts).lstrip('"“')  # its own marks go: the quotation sets them
    pronoun = re.match(r"^(?:he|she)\s+(\w+)$", attribution or "", re.I)
    if pronoun:  # "…, he says": name the person, or leave the clause out
        attribution = f"{short_name(speaker)} {pronoun.group(1)}" if speaker else None
    if attribution:  # a handing-over clause ends in its colon, before the quote it introduces
        return f"“{body.rstrip('.,')},” {attribution}" + ("" if attribution.endswith(":") else ".")
    if speaker:
        return f"{short_name(speaker)}: “{body}”"
    if pronoun:  # "…, he says." and nobody named: still a quote, never the article's own words
        return f"“{body.rstrip('.,')}.”"
    return body


_MARK = re.compile(r'["“”]')


def open_at(text: str, spans) -> list[bool]:
    """Per sentence (its (start, end) in `text`): whether a double quotation opened earlier in the
    text is still open where the sentence starts. English news runs one quote over several
    sentences and paragraphs ('"I am for reforms. I favour …' … 'But I am not …," he said.').
    A straight mark opens after a space or the start and closes otherwise, so the closing mark of
    a quote that opened before the passage never opens one."""
    state, depth, last = [], False, 0
    for start, end in [*spans, (len(text), len(text))]:
        for mark in _MARK.finditer(text, last, start):
            depth = _opens(text, mark.start())
        state.append(depth)
        for mark in _MARK.finditer(text, start, end):
            depth = _opens(text, mark.start())
        last = end
    return state  # one more than spans: the state after the last sentence


def _opens(text: str, at: int) -> bool:
    mark = text[at]
    if mark != '"':
        return mark == "“"
    return at == 0 or text[at - 1].isspace() or text[at - 1] in "([{–—-"


def quotation_of(text: str, spans, index: int, limit: int = 3) -> list[int]:
    """The other sentences of the quotation sentence `index` belongs to: back to the sentence that
    opens it and on to the one that closes it, so that an answer never shows half a quote as
    narration or leaves a quote open. Each way, nothing when the end lies more than `limit`
    sentences off (a stray mark must not pull in a whole passage); a quote still open where the text
    ends comes to its end (`run_on` closes it)."""
    inside = open_at(text, spans)
    out: list[int] = []
    j = opening(inside, index)
    if j < index and not inside[j] and index - j <= limit:
        out += range(j, index)
    k = index
    while inside[k + 1] and k + 1 < len(spans) and k - index < limit:
        k += 1
    if k > index and (not inside[k + 1] or k + 1 == len(spans)):  # it closes, or runs on past the text's end
        out += range(index + 1, k + 1)
    return out


def opening(inside: list[bool], index: int) -> int:
    """The sentence that opens the quotation sentence `index` starts inside (`inside`: open_at's
    list), or `index` when it starts outside one; 0 when the opening is before the text."""
    j = index
    while inside[j] and j > 0:
        j -= 1
    return j


def run_on(text: str) -> str:
    """What closes a quote shown up to the end of a passage while it runs on in the article: an
    ellipsis (unless the text ends in one) and the mark matching the one that opened it."""
    opening = [m.group(0) for m in _MARK.finditer(text) if _opens(text, m.start())]
    mark = "”" if opening and opening[-1] == "“" else '"'
    return mark if text.rstrip().endswith(("...", "…")) else " …" + mark


def named_attribution(sentence: str, before: str | None) -> str:
    """A quote's closing '…," he said.' with the person named, when `before` (what precedes the
    quotation's first sentence) says who speaks ('"…," Walesa said.'); else as it is."""
    match = _ENGLISH.search(sentence.strip())
    who = sentence_speaker(sentence, before) if match and match.group("pronoun") else None
    if not who:
        return sentence
    return re.sub(r"\b(he|she)(\s+\w+\s*[.!?]\s*)$", lambda m: short_name(who) + m.group(2), sentence.rstrip(), flags=re.I)


# Someone reported without a name: "Another said …", "One trader said …", "Another analyst noted …"
_UNNAMED_REPORT = re.compile(rf"^(?:Another|One)(?:\s+[a-z-]+){{0,2}}\s+{_VERBS}\b")


def continues(quote: str, sentence: str) -> bool:
    """`quote` ('"It's a hodge-podge …," he said.') is the words of the person `sentence` reports
    ("Another said Conrac might have trouble …"): the elaboration a reader wants with the claim."""
    match = _ENGLISH.search(quote.strip())
    return bool(match and match.group("pronoun") and not _ENGLISH.search(sentence.strip())
                and (named_speaker(sentence) or _UNNAMED_REPORT.match(sentence.strip())))
