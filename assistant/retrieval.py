"""Hybrid retrieval: dense (FAISS) and BM25 candidates, re-scored with cheap features.

Candidates are the union of the dense and BM25 top lists. Each gets four features:
passage similarity, best sentence similarity (max-sim over the passage's sentences),
BM25 score relative to the query's best, and the share of query words in the title.
`method="rrf"` ranks by plain reciprocal rank fusion instead (kept for comparison).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import lexical
from .embedding import Embedder
from .store import IndexData

RRF_K = 60
CANDIDATES = 30
# Feature weights, set by hand and checked on the SQuAD dev half and seed questions (bench/eval_retrieval.py).
WEIGHTS = {"dense": 0.35, "sentence": 0.35, "bm25": 0.25, "title": 0.05}


@dataclass(frozen=True)
class Hit:
    """A retrieved passage with everything a citation needs."""

    passage_id: int
    text: str
    score: float
    article_id: str
    title: str
    outlet: str | None
    published: str | None
    path: str
    url: str | None
    paragraphs: tuple[int, int]  # 0-based [first, last + 1) in the cleaned article
    start: int  # character offsets into the cleaned article text
    end: int
    sentences: tuple[tuple[int, int], ...]  # sentence spans inside `text`
    dense: float = 0.0  # the features behind `score`
    sentence: float = 0.0
    bm25: float = 0.0
    title_match: float = 0.0
    best_sentence: int = 0  # index into `sentences` of the sentence most like the query

    @property
    def paragraph_label(self) -> str:
        first, last = self.paragraphs[0] + 1, self.paragraphs[1]
        return f"¶{first}" if first == last else f"¶{first}–{last}"

    def source_label(self) -> str:
        """`Title — Outlet, date`, leaving out what is unknown."""
        where = ", ".join(x for x in (self.outlet, self.published) if x)
        return f"{self.title} — {where}" if where else self.title


@dataclass(frozen=True)
class Query:
    text: str
    vector: np.ndarray
    bm25: np.ndarray  # score per BM25 row
    words: frozenset[str]


def _top(scores: np.ndarray, n: int) -> np.ndarray:
    n = min(n, len(scores))
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, n - 1)[:n]
    return part[np.argsort(-scores[part], kind="stable")]


class Searcher:
    """Searches one loaded index; cheap to create, safe to share between threads."""

    def __init__(self, data: IndexData, embedder: Embedder):
        self.data = data
        self.embedder = embedder
        self._bm25_row = {int(pid): row for row, pid in enumerate(data.bm25_ids)}

    def query(self, question: str) -> Query:
        """Everything about the question that scoring needs, computed once."""
        return Query(
            text=question,
            vector=self.embedder.encode_query(question),
            bm25=lexical.scores(self.data.bm25, question, len(self.data.bm25_ids)),
            words=frozenset(lexical.tokenize([question])[0]),
        )

    def search(
        self, question: str, k: int = 5, *, method: str = "rerank", candidates: int = CANDIDATES, query: Query | None = None
    ) -> list[Hit]:
        """The `k` best passages for `question`, best first."""
        data = self.data
        if not question.strip() or data.vectors.ntotal == 0 or k <= 0:
            return []
        query = query or self.query(question)
        pool = max(k, candidates)
        dense_scores, dense_ids = data.vectors.search(query.vector[None, :], min(pool, data.vectors.ntotal))
        dense = [int(i) for i in dense_ids[0] if i >= 0]
        lexical_rows = [r for r in _top(query.bm25, pool) if query.bm25[r] > 0]
        sparse = [int(data.bm25_ids[r]) for r in lexical_rows]
        fused: dict[int, float] = {}
        for ranking in (dense, sparse):
            for rank, pid in enumerate(ranking):
                fused[pid] = fused.get(pid, 0.0) + 1.0 / (RRF_K + rank + 1)
        ids = list(fused)
        features = self._features(query, ids)
        if method == "rrf":
            combined = np.array([fused[pid] for pid in ids])
        elif method == "rerank":
            combined = sum(WEIGHTS[name] * values for name, values in features.items() if name != "best")
        else:
            raise ValueError(f"unknown ranking method {method!r}: use 'rerank' or 'rrf'")
        order = np.argsort(-combined, kind="stable")[:k]
        return [self._hit(ids[i], float(combined[i]), {n: v[i] for n, v in features.items()}) for i in order]

    def _features(self, query: Query, ids: list[int]) -> dict[str, np.ndarray]:
        data = self.data
        id_array = np.array(ids, dtype=np.int64)
        passage_vectors = data.vectors.reconstruct_batch(id_array) if ids else np.zeros((0, len(query.vector)))
        dense = passage_vectors @ query.vector
        sentence = np.zeros(len(ids), dtype=np.float32)
        best = np.zeros(len(ids), dtype=np.int64)
        for i, pid in enumerate(ids):
            rows = data.sentence_rows.get(pid)
            if rows:
                sims = data.sentence_vectors[rows[0]:rows[1]].astype(np.float32) @ query.vector
                best[i] = int(np.argmax(sims))
                sentence[i] = sims[best[i]]
        top_bm25 = float(query.bm25.max()) if len(query.bm25) else 0.0
        bm25 = np.array([query.bm25[self._bm25_row[pid]] for pid in ids], dtype=np.float32)
        bm25 = bm25 / top_bm25 if top_bm25 > 0 else bm25
        title = np.zeros(len(ids), dtype=np.float32)
        if query.words:
            titles = {}
            for i, pid in enumerate(ids):
                aid = data.passages[pid].article_id
                if aid not in titles:
                    words = set(lexical.tokenize([data.articles[aid]["title"]])[0])
                    titles[aid] = len(query.words & words) / len(query.words)
                title[i] = titles[aid]
        return {"dense": dense, "sentence": sentence, "bm25": bm25, "title": title, "best": best}

    def _hit(self, pid: int, score: float, features: dict) -> Hit:
        passage = self.data.passages[pid]
        meta = self.data.articles[passage.article_id]
        return Hit(
            passage_id=pid, text=passage.text, score=score, article_id=passage.article_id,
            title=meta["title"], outlet=meta.get("outlet"), published=meta.get("published"),
            path=meta["path"], url=meta.get("url"), paragraphs=passage.paragraphs,
            start=passage.start, end=passage.end, sentences=passage.sentences,
            dense=float(features["dense"]), sentence=float(features["sentence"]),
            bm25=float(features["bm25"]), title_match=float(features["title"]),
            best_sentence=int(features["best"]),
        )

