"""BM25 over passages: bm25s's tokenizer (English stop words, Snowball stems), our own postings.

A segment stores raw postings (term → rows and term frequencies) and each row's length, not
precomputed scores: a score then uses the document frequencies and average length of the
whole live collection, summed over segments at query time, as Lucene does. An index grown
one article at a time therefore ranks exactly as a fresh build of the same passages.
bm25s precomputes per-index scores, which bakes one segment's statistics into them.

    bm25/terms.npy    sorted vocabulary (fixed-width unicode, no pickle)
    bm25/offsets.npy  int64; term i owns postings offsets[i]:offsets[i+1]
    bm25/rows.npy     int32 segment rows, ascending within a term
    bm25/tf.npy       float32 term frequency in that row
    bm25/lengths.npy  int32 tokens per row
"""
from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import Stemmer

BM25_TOKENIZER = "bm25s-en-stop-snowball"  # recorded in the manifest
K1, B = 1.5, 0.75  # the usual BM25 constants (also bm25s's defaults); the same in every backend
PARTS = ("terms", "offsets", "rows", "tf", "lengths")


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def tokenize(texts: list[str]) -> list[list[str]]:
    import bm25s  # on first use: it pulls in scipy (0.3-1.5 s), which `status` and a no-op `index` never need

    return bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)


_STEMS: dict[str, tuple[str, ...]] = {}
_STEMS_LIMIT = 100_000  # texts (~30 MB at worst); the cache starts afresh past it


def stems(texts: list[str]) -> list[tuple[str, ...]]:
    """`tokenize` for the sentences, questions and titles an answer looks at, remembered: bm25s
    costs ~0.4 ms a call however short the text (it builds its vocabulary and progress bar
    each time), and the same sentences come back question after question. One call for
    everything not seen yet; safe across threads (a lost entry is only tokenised again)."""
    found = {text: _STEMS.get(text) for text in texts}
    missing = [text for text, tokens in found.items() if tokens is None]
    if missing:
        if len(_STEMS) > _STEMS_LIMIT:
            _STEMS.clear()
        for text, tokens in zip(missing, tokenize(missing)):
            found[text] = _STEMS[text] = tuple(tokens)
    return [found[text] for text in texts]


def idf(n: int, df: np.ndarray) -> np.ndarray:
    """Lucene's BM25 idf: never negative, however common the term."""
    return np.log1p((n - df + 0.5) / (df + 0.5))


def weight(tf: np.ndarray, length: np.ndarray, average_length: float) -> np.ndarray:
    """Lucene's saturated term frequency (no (k1 + 1) factor; it only scales every score)."""
    return tf / (tf + K1 * (1 - B + B * length / max(average_length, 1e-9)))


@dataclass(frozen=True)
class Postings:
    """One segment's lexical data; arrays may be memory-mapped."""

    terms: np.ndarray
    offsets: np.ndarray
    rows: np.ndarray
    tf: np.ndarray
    lengths: np.ndarray

    def lookup(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(rows, term frequencies) of `term`; empty when the segment never saw it."""
        i = int(np.searchsorted(self.terms, term))
        if i >= len(self.terms) or self.terms[i] != term:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        start, end = int(self.offsets[i]), int(self.offsets[i + 1])
        return np.asarray(self.rows[start:end]), np.asarray(self.tf[start:end])

    def check(self, rows: int) -> None:
        """Raise ValueError unless the arrays describe `rows` documents consistently."""
        if len(self.lengths) != rows or len(self.offsets) != len(self.terms) + 1 or self.offsets[-1] != len(self.rows) \
                or len(self.tf) != len(self.rows) or (len(self.terms) > 1 and not (self.terms[1:] > self.terms[:-1]).all()):
            raise ValueError("postings arrays disagree with each other")
        if len(self.rows) and (int(self.rows.max()) >= rows or int(self.rows.min()) < 0):
            raise ValueError("postings name rows the segment does not have")


def build(texts: list[str]) -> Postings:
    """Postings of `texts` (row i is text i)."""
    counts = [Counter(tokens) for tokens in tokenize(texts)] if texts else []
    by_term: dict[str, list[tuple[int, int]]] = {}
    for row, counter in enumerate(counts):
        for term, tf in counter.items():
            by_term.setdefault(term, []).append((row, tf))
    terms = sorted(by_term)
    postings = [by_term[t] for t in terms]
    sizes = [len(p) for p in postings]
    flat = [x for p in postings for x in p]
    width = max((len(t) for t in terms), default=1)
    return Postings(
        terms=np.array(terms, dtype=f"<U{width}"),
        offsets=np.concatenate(([0], np.cumsum(sizes))).astype(np.int64),
        rows=np.array([r for r, _ in flat], dtype=np.int32),
        tf=np.array([f for _, f in flat], dtype=np.float32),
        lengths=np.array([sum(c.values()) for c in counts], dtype=np.int32),
    )


def save(postings: Postings, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name in PARTS:
        np.save(directory / f"{name}.npy", getattr(postings, name))


def load(directory: Path, *, mmap: bool = False) -> Postings:
    mode = "r" if mmap else None
    return Postings(**{name: np.load(directory / f"{name}.npy", mmap_mode=mode) for name in PARTS})


def collection_scores(segments: list[Postings], live: list[np.ndarray | None], tokens: list[str],
                      documents: int, total_length: float,
                      admitted: list[np.ndarray | None] | None = None) -> list[np.ndarray]:
    """BM25 of every row of every segment with collection-wide statistics (deleted rows: 0).

    `live[i]` masks segment i's rows that are not deleted; `documents` and `total_length` are
    the live collection's, so deleted passages count nowhere. `admitted[i]` (a search filter)
    zeroes the rows it leaves out without touching the statistics: a passage scores the same
    whether a filter is set or not.
    """
    scores = [np.zeros(len(p.lengths), dtype=np.float32) for p in segments]
    if not documents:
        return scores
    average = total_length / documents
    for term in dict.fromkeys(tokens):  # a repeated query word counts once, as in bm25s
        found = []
        for postings, mask in zip(segments, live):
            rows, tf = postings.lookup(term)
            if mask is not None and len(rows):
                keep = mask[rows]
                rows, tf = rows[keep], tf[keep]
            found.append((rows, tf))
        df = sum(len(rows) for rows, _ in found)
        if not df:
            continue
        term_idf = float(idf(documents, np.float64(df)))
        for out, postings, (rows, tf) in zip(scores, segments, found):
            if len(rows):
                out[rows] += (term_idf * weight(tf, postings.lengths[rows], average)).astype(np.float32)
    for out, mask in zip(scores, admitted or ()):
        if mask is not None:
            out[~mask] = 0.0
    return scores


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Optimal string alignment distance (insertions, deletions, substitutions and swaps of two
    neighbouring letters each count 1), or `limit` + 1 once it is sure to exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before, row = None, list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + (x != y))
            if before is not None and i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        before, row = row, current
    return min(row[-1], limit + 1)


_PLAIN = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "đ": "d", "ł": "l", "þ": "th", "ð": "d", "Ø": "O", "Æ": "AE",
                        "Đ": "D", "Ł": "L", "Þ": "Th", "Ð": "D"})


def plain(text: str) -> str:
    """Letters without their marks, as a reader without a Norwegian keyboard types them: "røseth" → "roseth"."""
    text = unicodedata.normalize("NFKD", text.translate(_PLAIN))
    return "".join(ch for ch in text if not unicodedata.combining(ch))
