"""A name the reader spells otherwise than the articles do ("Lukaschenko", "Tom Roseth").

The question is respelt with the articles' spelling, as a search engine shows "results for
Røseth", so that retrieval and every rule that matches names see the articles' name: "Who is
X?" (selection.profile), X's own words (selection.own_words), the speakers of quotes. The note
under the answer shows the question as it was searched. The spelling is taken from the words
of the passages the question retrieves, compared as written (marks aside), never from the
index's vocabulary of stems: there "Justin" is one edit from "justic" and "Saturn" from
"satur", and a name whose article is missing would be taken for another word.
"""
from __future__ import annotations

import re

from .. import lexical
from ..retrieval import Searcher, name_words

_POSSESSIVE = re.compile(r"[’']s$")
# capitalised inside a sentence (after a word or comma and a space): a name, not "Better" opening one
_CAPITALISED = re.compile(r"(?<=[\w,;)’'-] )[A-ZÆØÅÄÖÜ][\wæøåäöüéèáíóúñ’'-]+")
SHORTEST = 5  # letters; shorter names are too near too many others ("Iran", "Iraq")
_WORD = re.compile(r"(?<![\w’'-])[a-zæøåäöü][\wæøåäöüéèáíóúñ’'-]{2,}")  # a lower-case word


def unknown(searcher: Searcher, words: list[str]) -> list[str]:
    """The `words` that have BM25 tokens, none of which any live passage has."""
    return [w for w, stems in zip(words, lexical.stems(words)) if stems and not any(searcher.knows(s) for s in stems)]


def misspelt(question: str, searcher: Searcher) -> list[str]:
    """The question's names (five letters or more) and lower-case words (six or more: "who is tom
    roseth") that no passage has."""
    lower = [w for w in _WORD.findall(question) if len(w) >= 6]
    words = [_POSSESSIVE.sub("", w) for w in name_words(question) + lower]
    return [w for w in unknown(searcher, words) if len(w) >= SHORTEST]


def _reach(word: str) -> int:
    return 1 if len(word) < 9 else 2  # two edits only for long names: "Mongolia" is not "Mongol"


def respell(question: str, wrong: list[str], texts: list[str]) -> str:
    """`question` with each of the names `wrong` written as the nearest capitalised word of
    `texts` that starts with the same letter and is one edit away (two from nine letters),
    marks not counted ("Roseth" → "Røseth"); a name with no such word stays as asked."""
    words = {_POSSESSIVE.sub("", w) for text in texts for w in _CAPITALISED.findall(text)}
    out = question
    for name in wrong:
        key = lexical.plain(name.lower())
        near = sorted((lexical.edit_distance(key, lexical.plain(w.lower()), _reach(name)), w) for w in words
                      if lexical.plain(w[:1].lower()) == key[:1] and w.lower() != name.lower())
        if near and near[0][0] <= _reach(name):
            out = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", near[0][1], out)
    return out


_MID_WORD = re.compile(r"(?<=[\w,;)’'-] )[\wæøåäöüéèáíóúñ’'-]+")  # a word inside a sentence, as written


def lower_case(question: str) -> bool:
    """Typed without capitals after the first word ("who is tom roseth?"): names are not marked."""
    return not name_words(question) and bool(_WORD.search(question))


def truecase(question: str, texts: list[str]) -> str:
    """A question typed in lower case with the names capitalised as `texts` write them: a word
    that the texts write inside sentences at least twice, always in one capitalised form
    ("moscow" → "Moscow", "hansen" → "Hansen"; "war" stays). The embedding model and BM25 ignore case; the rules that find
    names (who is X, X's own words, names no article has) need it."""
    forms: dict[str, list[str]] = {}
    for text in texts:
        for word in _MID_WORD.findall(text):
            forms.setdefault(_POSSESSIVE.sub("", word).lower(), []).append(_POSSESSIVE.sub("", word))

    def cased(match: re.Match) -> str:
        word = match.group(0)
        seen = forms.get(_POSSESSIVE.sub("", word).lower(), [])
        if len(seen) < 2 or len(set(seen)) > 1 or not seen[0][:1].isupper() or not lexical.stems([word])[0]:
            return word  # seen once, in two forms, in lower case, or a stop word ("These" in a heading)
        return seen[0] + word[len(seen[0]):]  # "moscow's" → "Moscow's"
    return _WORD.sub(cased, question)
