"""Hybrid retrieval: dense (FAISS) and BM25 candidates, re-scored with cheap features.

Candidates are the union of the dense and BM25 top lists. Each gets four features:
passage similarity, best sentence similarity (max-sim over the passage's sentences),
BM25 score relative to the query's best, and the share of query words in the title.
`method="rrf"` ranks by plain reciprocal rank fusion instead (kept for comparison).

A date `Filter` restricts both candidate lists inside the store, before ranking. A question
that asks for the newest ("latest", "most recent", "now", …) puts the passages scoring
within RECENCY_MARGIN of the best newest first (see `recency_order`).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np

from . import lexical
from .embedding import Embedder
from .store.base import EVERYTHING, Filter, LexicalQuery, PassageStore, parse_day
from .types import ArticleMeta, Hit, StoredPassage  # noqa: F401 (Hit: part of this module's API)

RRF_K = 60
CANDIDATES = 30
# Close enough to prefer the newer for a "latest" question, in combined-score units (which run
# ~0.3–0.9). Chosen, not fitted: there is no data here with judgements of recency, so it is
# kept small enough that only near-ties move; tests/test_dates.py checks the rule, not the value.
RECENCY_MARGIN = 0.05
_RECENCY = re.compile(r"(?i)\b(latest|newest|most recent(ly)?|recently|lately|currently|nowadays|now|today|"
                      r"this (week|month|year)|so far|still)\b")
# Feature weights, set by hand and checked on the SQuAD dev half and seed questions (bench/eval_retrieval.py).
WEIGHTS = {"dense": 0.35, "sentence": 0.35, "bm25": 0.25, "title": 0.05}


def asks_for_recent(question: str) -> bool:
    """The question wants the newest state of things ("the latest on Lukashenko", "now")."""
    return bool(_RECENCY.search(question))


def recency_order(scores: list[float], days: list[dt.date | None], margin: float = RECENCY_MARGIN) -> list[int]:
    """Positions of `scores` best first, except that those within `margin` of the best come
    newest first (undated after dated, ties by score): the rule for "latest" questions.

    Only near-ties move: a newer but clearly less relevant passage stays where its score puts it.
    """
    if not scores:
        return []
    top = max(scores)
    close = [i for i, s in enumerate(scores) if s >= top - margin]
    chosen = set(close)
    rest = [i for i in range(len(scores)) if i not in chosen]
    close.sort(key=lambda i: (days[i] is None, -(days[i] or dt.date.min).toordinal(), -scores[i]))
    rest.sort(key=lambda i: -scores[i])
    return close + rest


_NAME_WORD = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-ZÆØÅ][\wæøå'’-]+")  # capitalised, not opening a sentence


def name_words(question: str) -> list[str]:
    """The question's capitalised words after its first: the names it asks about."""
    return _NAME_WORD.findall(question.strip())


@dataclass(frozen=True)
class Query:
    text: str
    vector: np.ndarray
    bm25: LexicalQuery
    words: frozenset[str]
    where: Filter = EVERYTHING


class Searcher:
    """Searches one loaded index; cheap to create, safe to share between threads."""

    def __init__(self, data: PassageStore, embedder: Embedder):
        self.data = data
        self.embedder = embedder
        self._alike: dict[str, tuple[str, ...]] = {}  # spelled_alike, per token (this view of the index never changes)

    def query(self, question: str, vector: np.ndarray | None = None, where: Filter = EVERYTHING) -> Query:
        """Everything about the question that scoring needs, computed once (`vector`: already encoded)."""
        tokens = list(lexical.stems([question])[0])
        names = {stem for stems in lexical.stems(name_words(question)) for stem in stems}
        alike = [other for stem in sorted(names) for other in self.spelled_alike(stem) if other not in tokens]
        return Query(
            text=question,
            vector=self.embedder.encode_query(question) if vector is None else vector,
            bm25=self.data.lexical(tokens + alike, where),  # a name scores under its other spellings too
            words=frozenset(tokens),
            where=where,
        )

    def search(
        self, question: str, k: int = 5, *, method: str = "rerank", candidates: int = CANDIDATES,
        query: Query | None = None, where: Filter = EVERYTHING,
    ) -> list[Hit]:
        """The `k` best passages for `question` among those `where` admits, best first (a given
        `query` carries its own filter)."""
        if not question.strip() or self.data.size == 0 or k <= 0:
            return []
        query = query or self.query(question, where=where)
        pool = max(k, candidates)
        fused: dict[int, float] = {}
        for ranking in (self.data.dense(query.vector, pool, query.where), query.bm25.top(pool)):
            for rank, pid in enumerate(ranking):
                fused[pid] = fused.get(pid, 0.0) + 1.0 / (RRF_K + rank + 1)
        passages = self.data.passages(list(fused))
        ids = [pid for pid in fused if pid in passages]  # a store may drop what was deleted meanwhile
        articles = self.data.article_metas({p.article_id for p in passages.values()})
        ids = [pid for pid in ids if passages[pid].article_id in articles]
        features = self._features(query, ids, passages, articles)
        if method == "rrf":
            combined = np.array([fused[pid] for pid in ids])
        elif method == "rerank":
            combined = sum(WEIGHTS[name] * values for name, values in features.items() if name != "best")
        else:
            raise ValueError(f"unknown ranking method {method!r}: use 'rerank' or 'rrf'")
        # Ties (the same story filed twice) break on the article and position, never on passage ids or
        # backend order, so an index ranks alike whatever its history and backend.
        order = sorted(range(len(ids)), key=lambda i: (-round(float(combined[i]), 6), passages[ids[i]].article_id,
                                                       passages[ids[i]].ordinal))
        if asks_for_recent(question):
            days = [parse_day(articles[passages[ids[i]].article_id].published) for i in order]
            order = [order[j] for j in recency_order([float(combined[i]) for i in order], days)]
        order = order[:k]
        return [self._hit(passages[ids[i]], articles[passages[ids[i]].article_id], float(combined[i]),
                          {n: v[i] for n, v in features.items()}) for i in order]

    def _features(self, query: Query, ids: list[int], passages: dict, articles: dict) -> dict[str, np.ndarray]:
        dense = self.data.passage_vectors(ids) @ query.vector if ids else np.zeros(0, dtype=np.float32)
        sentence = np.zeros(len(ids), dtype=np.float32)
        best = np.zeros(len(ids), dtype=np.int64)
        for i, vectors in enumerate(self.data.sentence_vectors(ids)):
            if len(vectors):
                sims = vectors @ query.vector
                best[i] = int(np.argmax(sims))
                sentence[i] = sims[best[i]]
        bm25 = np.asarray(query.bm25.scores(ids), dtype=np.float32)
        bm25 = bm25 / query.bm25.best if query.bm25.best > 0 else bm25
        title = np.zeros(len(ids), dtype=np.float32)
        if query.words and articles:  # titles tokenised once per process (lexical.stems), not per question
            titles = lexical.stems([meta.title for meta in articles.values()])
            shares = {aid: len(query.words & set(words)) / len(query.words) for aid, words in zip(articles, titles)}
            title = np.array([shares[passages[pid].article_id] for pid in ids], dtype=np.float32)
        return {"dense": dense, "sentence": sentence, "bm25": bm25, "title": title, "best": best}

    # What the answer layer asks for, so that it never reaches into the index itself.
    def sentence_vectors(self, passage_ids: list[int]) -> list[np.ndarray]:
        """float32 sentence vectors of each passage, in one batched lookup."""
        return self.data.sentence_vectors(list(passage_ids))

    def paragraph_before(self, hit: Hit) -> str | None:
        """The article's paragraph just before the hit's first one (quotes are attributed there)."""
        meta = self.data.article(hit.article_id)
        ids = list(meta.passages) if meta else []
        position = ids.index(hit.passage_id) if hit.passage_id in ids else 0
        before = self.data.passages([ids[position - 1]]).get(ids[position - 1]) if position > 0 else None
        return before.text.rsplit("\n\n", 1)[-1] if before else None

    def naming(self, name: str, k: int = 20, where: Filter = EVERYTHING) -> list[str]:
        """Texts of the `k` passages that match `name`'s words best by BM25 (who the articles say it is)."""
        ids = self.data.lexical(list(lexical.stems([name])[0]), where).top(k)
        found = self.data.passages(ids)
        return [found[i].text for i in ids if i in found]

    def knows(self, stem: str) -> bool:
        """Some live passage contains this BM25 token."""
        return self.data.knows(stem)

    def spelled_alike(self, stem: str) -> tuple[str, ...]:
        """Live tokens that are the name token `stem` with two neighbouring letters swapped, when
        passages have `stem` too: one article spells one person "Godzimirski" and "Godzimirksi".
        Names of six letters or more. (A name no passage has is respelt from the passages a
        question retrieves, answer/spelling.py: the vocabulary alone is too loose a guide, its
        stems make "Justin" one edit from "justic" and "Saturn" from "satur".)"""
        if stem in self._alike:
            return self._alike[stem]
        found: tuple[str, ...] = ()
        if len(stem) >= 6 and self.data.knows(stem):  # every swap of two neighbours, looked up
            swaps = dict.fromkeys(stem[:i] + stem[i + 1] + stem[i] + stem[i + 2:] for i in range(len(stem) - 1))
            found = tuple(t for t in swaps if t != stem and self.data.knows(t))
        if len(self._alike) < 10_000:
            self._alike[stem] = found
        return found

    @staticmethod
    def _hit(passage: StoredPassage, meta: ArticleMeta, score: float, features: dict) -> Hit:
        return Hit(
            passage_id=passage.id, text=passage.text, score=score, article_id=passage.article_id,
            title=meta.title, outlet=meta.outlet, published=parse_day(meta.published),
            path=meta.path, url=meta.url, paragraphs=passage.paragraphs,
            start=passage.start, end=passage.end, sentences=passage.sentences,
            dense=float(features["dense"]), sentence=float(features["sentence"]),
            bm25=float(features["bm25"]), title_match=float(features["title"]),
            best_sentence=int(features["best"]), byline=meta.byline,
        )
