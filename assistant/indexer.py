"""Build or update the index from the corpus: only new or changed articles are embedded."""
from __future__ import annotations

import datetime as dt
import fcntl
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from . import lexical, store
from .chunking import DEFAULT_PASSAGE_TOKENS, Passage, chunk_article, embed_text
from .cleaning import CLEANING_VERSION
from .corpus import Article, load_corpus, text_hash
from .embedding import Embedder
from .errors import IndexNotFoundError
from .store import IndexData, StoredPassage


@dataclass(frozen=True)
class FileError:
    path: str
    message: str


@dataclass(frozen=True)
class BuildReport:
    """What a build did; article lists hold corpus-relative paths."""

    index_dir: str
    added: tuple[str, ...]
    updated: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: tuple[str, ...]
    passages_embedded: int
    sentences_embedded: int
    errors: tuple[FileError, ...]
    rebuilt: bool
    seconds: float

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def pipeline_config(embedder: Embedder, passage_tokens: int) -> dict:
    """Everything that shapes passages and vectors besides the model: a change means re-embedding."""
    return {
        "cleaning": CLEANING_VERSION,
        "passage_tokens": passage_tokens,
        "max_model_tokens": embedder.max_tokens,
        "sentence_splitter": "sentencex-en",
        "embed_text": "title\\ntext",
        "bm25": lexical.BM25_TOKENIZER,
    }


@contextmanager
def _build_lock(index_dir: Path):
    """One writer per index directory, across processes."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _empty_index(embedder: Embedder) -> IndexData:
    dimension = embedder.dimension
    return IndexData(
        manifest={"articles": {}, "next_id": 0}, vectors=store.new_vector_index(dimension), passages={},
        sentence_vectors=np.zeros((0, dimension), np.float16), sentence_ids=np.zeros(0, np.int64),
        bm25=None, bm25_ids=np.zeros(0, np.int64),
    )


def _previous(index_dir: Path, embedder: Embedder, pipeline: dict, rebuild: bool) -> IndexData | None:
    """The index to update, or None to start afresh (rebuild, nothing there, or a new pipeline)."""
    if rebuild:
        return None
    try:
        manifest = store.read_manifest(index_dir)
    except IndexNotFoundError:
        return None
    store.check_model(manifest, embedder.model_id, embedder.fingerprint, index_dir)
    if manifest.get("pipeline") != pipeline:
        return None  # chunking or cleaning changed: every article must be re-chunked and re-embedded
    return store.load(index_dir)


def _article_entry(article: Article, passage_ids: list[int]) -> dict:
    return {
        "path": article.path, "hash": article.content_hash, "title": article.title,
        "outlet": article.outlet, "published": article.published, "url": article.url,
        "byline": article.byline, "paragraphs": len(article.paragraphs), "passages": passage_ids,
        "text_hash": text_hash(article.text),  # finds the same article added again under another name
    }


def build_index(
    corpus_dir: str | Path = "corpus",
    index_dir: str | Path = "index",
    *,
    rebuild: bool = False,
    embedder: Embedder | None = None,
    passage_tokens: int = DEFAULT_PASSAGE_TOKENS,
    progress: bool | None = None,
) -> BuildReport:
    """Bring the index in `index_dir` up to date with the articles in `corpus_dir`."""
    started = time.perf_counter()
    corpus_dir, index_dir = Path(corpus_dir), Path(index_dir)
    embedder = embedder or Embedder()
    progress = sys.stderr.isatty() if progress is None else progress
    articles, errors = load_corpus(corpus_dir)
    pipeline = pipeline_config(embedder, passage_tokens)
    with _build_lock(index_dir):
        old = _previous(index_dir, embedder, pipeline, rebuild)
        base = old or _empty_index(embedder)
        known = base.articles
        broken = {e.path for e in errors}
        current = {a.id: a for a in articles}
        fresh = [a for a in articles if a.id not in known or known[a.id]["hash"] != a.content_hash]
        fresh_ids = {a.id for a in fresh}
        removed = [aid for aid, meta in known.items() if aid not in current and meta["path"] not in broken]
        report = dict(
            index_dir=str(index_dir),
            added=tuple(a.path for a in fresh if a.id not in known),
            updated=tuple(a.path for a in fresh if a.id in known),
            removed=tuple(known[aid]["path"] for aid in removed),
            unchanged=tuple(a.path for a in articles if a.id not in fresh_ids),
            errors=tuple(FileError(e.path, e.reason) for e in errors),
            rebuilt=old is None,
        )
        if old is not None and not fresh and not removed:
            return BuildReport(**report, passages_embedded=0, sentences_embedded=0, seconds=time.perf_counter() - started)
        data, n_passages, n_sentences = _apply(base, fresh, removed, embedder, passage_tokens, progress)
        data.manifest.update(
            format=store.FORMAT, version=store.FORMAT_VERSION,
            model={"id": embedder.model_id, "fingerprint": embedder.fingerprint, "dimension": embedder.dimension},
            pipeline=pipeline, built_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            counts={"articles": len(data.articles), "passages": len(data.passages), "sentences": len(data.sentence_ids)},
        )
        store.save(index_dir, data)
    return BuildReport(**report, passages_embedded=n_passages, sentences_embedded=n_sentences,
                       seconds=time.perf_counter() - started)


def _apply(
    base: IndexData, fresh: list[Article], removed: list[str], embedder: Embedder, passage_tokens: int, progress: bool
) -> tuple[IndexData, int, int]:
    """A new IndexData: `base` without removed or re-embedded articles, plus `fresh` ones."""
    articles = dict(base.articles)
    dropped_articles = set(removed) | {a.id for a in fresh if a.id in articles}
    dropped = {pid for aid in dropped_articles for pid in articles[aid]["passages"]}
    for aid in dropped_articles:
        del articles[aid]
    next_id = int(base.manifest.get("next_id", 0))

    chunks: list[tuple[Article, Passage, int]] = []
    for article in fresh:
        passages = chunk_article(article, embedder.count_tokens, max_model_tokens=embedder.max_tokens, passage_tokens=passage_tokens)
        ids = list(range(next_id, next_id + len(passages)))
        next_id += len(passages)
        articles[article.id] = _article_entry(article, ids)
        chunks.extend((article, p, pid) for p, pid in zip(passages, ids))

    passage_vectors = embedder.encode([embed_text(a.title, p.text) for a, p, _ in chunks], progress=progress)
    sentence_texts = [p.text[s:e] for _, p, _ in chunks for s, e in p.sentences]
    sentence_vectors = embedder.encode(sentence_texts, progress=progress)

    vectors = faiss.clone_index(base.vectors)  # readers may still use the old one
    if dropped:
        vectors.remove_ids(np.fromiter(dropped, dtype=np.int64))
    new_ids = np.array([pid for _, _, pid in chunks], dtype=np.int64)
    if len(new_ids):
        vectors.add_with_ids(passage_vectors, new_ids)

    passages = {pid: p for pid, p in base.passages.items() if pid not in dropped}
    for article, p, pid in chunks:
        passages[pid] = StoredPassage(pid, article.id, p.ordinal, p.text, p.start, p.end, p.paragraphs, p.sentences)

    keep = ~np.isin(base.sentence_ids, np.fromiter(dropped, dtype=np.int64)) if dropped else slice(None)
    new_sentence_ids = np.array([pid for _, p, pid in chunks for _ in p.sentences], dtype=np.int64)
    titles = {aid: meta["title"] for aid, meta in articles.items()}
    bm25_ids = np.fromiter(passages.keys(), dtype=np.int64, count=len(passages))
    data = IndexData(
        manifest=dict(base.manifest, articles=articles, next_id=next_id),
        vectors=vectors,
        passages=passages,
        sentence_vectors=np.concatenate([base.sentence_vectors[keep], sentence_vectors.astype(np.float16)]),
        sentence_ids=np.concatenate([base.sentence_ids[keep], new_sentence_ids]),
        bm25=lexical.build([embed_text(titles[p.article_id], p.text) for p in passages.values()]),
        bm25_ids=bm25_ids,
    )
    return data, len(chunks), len(sentence_texts)
