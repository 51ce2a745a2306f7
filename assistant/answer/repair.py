"""Query repair, once per question and before any composer: what the reader asked becomes what
is searched.

- a follow-up is rewritten with the names of the conversation (conversation.rewrite);
- names are spelt (and, typed in lower case, capitalised) as the articles write them
  ("Roseth" → "Røseth", "moscow" → "Moscow"; spelling.py);
- a person asked about by role ("the NUPI researcher") is named as the passages name the role
  (roles.py), and a surname asked about alone gets the first name the passages give it ("Who is
  Putin?" → "Who is Vladimir Putin?").

The search made to decide this travels with the repaired query when the query stays as it was,
so the composer does not search twice (`Repaired.searched`).
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

from ..retrieval import Hit, Query, Searcher
from ..store.base import EVERYTHING, Filter
from . import features, roles, spelling
from .conversation import rewrite, spoken_of_as_person

SEARCHED = 8  # hits a repair search returns: the composer's retrieve_k, so it can reuse them


class Repaired(NamedTuple):
    query: str  # what to search
    searched: tuple[Query, list[Hit]] | None  # that search already made, when repairing made it


def lone_surname(question: str) -> str | None:
    """X of a "Who is X?" question whose X is one word ("Who is Putin?")."""
    person = features.who_is(question)
    return person if person and " " not in person else None


def search(searcher: Searcher, text: str, where: Filter, vector=None, k: int = SEARCHED) -> tuple[Query, list[Hit]]:
    query = searcher.query(text, vector, where)
    return query, searcher.search(text, k, query=query)


def names(searcher: Searcher, query_text: str, where: Filter = EVERYTHING, vector=None, k: int = SEARCHED) -> Repaired:
    """The query with its names spelt, capitalised and completed as the articles write them and
    each role named (see the module); no search when none of that applies."""
    wrong = spelling.misspelt(query_text, searcher)
    lower = spelling.lower_case(query_text)
    if not wrong and not lower and not roles.asked_roles(query_text) and not lone_surname(query_text):
        return Repaired(query_text, None)
    searched = search(searcher, query_text, where, vector, k)
    texts = [h.text for h in searched[1][:5]]
    asked = spelling.truecase(query_text, texts) if lower else query_text
    respelt = roles.with_holders(spelling.respell(asked, wrong, texts), texts)
    surname = lone_surname(respelt)
    if surname:  # "Who is Putin?" → "Who is Vladimir Putin?", as the passages naming him write him
        respelt = roles.with_first_name(respelt, surname, searcher.naming(surname, where=where))
    return Repaired(respelt, searched if respelt == query_text else None)


def repair(searcher: Searcher, question: str, history: Sequence[tuple[str, object]] = (), where: Filter = EVERYTHING,
           k: int = SEARCHED) -> Repaired:
    """The question as it is to be searched: rewritten from the conversation, then `names`."""
    query = rewrite(question, list(history),
                    person=lambda name: spoken_of_as_person(name, searcher.naming(name, where=where)))
    return names(searcher, query, where, k=k)
