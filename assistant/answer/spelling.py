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


def misspelt(question: str, searcher: Searcher) -> list[str]:
    """The question's names (five letters or more) that no passage has."""
    words = [_POSSESSIVE.sub("", w) for w in name_words(question)]
    return [w for w, stems in zip(words, lexical.stems(words))
            if len(w) >= SHORTEST and stems and not any(searcher.knows(s) for s in stems)]


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
                      if lexical.plain(w[:1].lower()) == key[:1] and w != name)
        if near and near[0][0] <= _reach(name):
            out = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", near[0][1], out)
    return out
