"""BM25 over passages with bm25s: English stop words and Snowball stemming."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

BM25_TOKENIZER = "bm25s-en-stop-snowball"  # recorded in the manifest


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def tokenize(texts: list[str]) -> list[list[str]]:
    return bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)


def build(texts: list[str]) -> bm25s.BM25 | None:
    """A BM25 index over `texts` (row i is text i); None for an empty collection."""
    if not texts:
        return None
    retriever = bm25s.BM25()
    retriever.index(tokenize(texts), show_progress=False)
    return retriever


def save(retriever: bm25s.BM25 | None, directory: Path) -> None:
    if retriever is not None:
        retriever.save(str(directory), show_progress=False)


def load(directory: Path, *, mmap: bool = False) -> bm25s.BM25 | None:
    if not (directory / "params.index.json").is_file():
        return None
    return bm25s.BM25.load(str(directory), mmap=mmap, show_progress=False, verbosity=0)


def scores_for(retriever: bm25s.BM25 | None, tokens: list[str], size: int) -> np.ndarray:
    """BM25 score of every row for already tokenized query words."""
    if retriever is None or not tokens:
        return np.zeros(size, dtype=np.float32)
    ids = retriever.get_tokens_ids(tokens)
    if not ids:
        return np.zeros(size, dtype=np.float32)
    return np.asarray(retriever.get_scores_from_ids(ids), dtype=np.float32)
