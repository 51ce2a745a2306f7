"""Build or update the index from the corpus: only new or changed articles are embedded, and
the backend (store/files/ or store/pg/) applies each update atomically (see store/base.py)."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..store import backends
from ..store import base as store
from .. import lexical
from . import library
from .chunking import DEFAULT_PASSAGE_TOKENS, chunk_article, embed_text
from .cleaning import CLEANING_VERSION
from .corpus import Article, article_id, read_article, scan_corpus, text_hash
from ..dates import iso
from ..embedding import Embedder
from ..errors import ArticleError, CorpusError, printable
from ..store.base import ChangeSet, ModelInfo, PassageStore
from ..types import ArticleMeta, StoredPassage


# A 100 kB long read makes about 150 passages. Past this many, embedding one article would hold
# the build, and app start-up, for minutes while the rest of the corpus waits: it is refused.
MAX_ARTICLE_PASSAGES = 2_000
# Texts tokenized and embedded at a time: the tokenizer's output for a whole build (a million
# passages) is never held at once. A text's vector is the same in any batch (embedding.py).
EMBED_SLICE = 4_096


@dataclass(frozen=True)
class FileError:
    path: str
    message: str

    @property
    def reason(self) -> str:
        return self.message


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
    merged: tuple[str, ...] = ()  # segments folded into one by this build

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
        # vectors from a text alone, whatever its batch (embedding.py); earlier ones varied with the batch
        "encoder": "unpadded batches, per-token int8",
    }


def _scan(corpus_dir: Path, old: PassageStore | None, paths: list[str] | None):
    """(articles to compare with their (size, mtime), errors, known file states by id, unchanged paths).

    A full scan skips reading files whose size and modification time match the index;
    `paths` limits the work to those files (the app knows what it just added or removed).
    """
    skipped: list[ArticleError] = []
    if paths is None:
        entries, skipped = scan_corpus(corpus_dir)
        if not entries:
            raise CorpusError(f"Corpus directory {printable(corpus_dir)} has no articles: add .md or .txt files to it.")
        known = old.file_states() if old else {}
    else:
        entries = [(p, (corpus_dir / p).lstat()) for p in paths if (corpus_dir / p).is_file()
                   and not (corpus_dir / p).is_symlink()]
        known = {aid: m.file_state for aid in (article_id(p) for p in paths) if old and (m := old.article(aid))}
    by_path = {m.path: m for m in known.values()}
    articles, errors, unchanged, seen = [], list(skipped), [], {}
    for relative, st in entries:
        meta = by_path.get(relative)
        stat = (st.st_size, st.st_mtime_ns)
        if meta and (meta.size, meta.mtime_ns) == stat:
            unchanged.append(relative)
            continue
        try:
            article = read_article(corpus_dir / relative, corpus_dir)
        except ArticleError as exc:
            errors.append(exc)
            continue
        if article.id in seen:
            errors.append(ArticleError(relative, f"has the same id as {printable(seen[article.id])}; rename one of them"))
            continue
        seen[article.id] = relative
        articles.append((article, stat))
    return articles, errors, known, unchanged


def _article_entry(article: Article, stat: tuple[int, int], passage_ids: list[int], sentences: int) -> ArticleMeta:
    return ArticleMeta(
        id=article.id, path=article.path, hash=article.content_hash, title=article.title, passages=tuple(passage_ids),
        outlet=article.outlet, published=iso(article.published), url=article.url, byline=article.byline,
        paragraphs=len(article.paragraphs), sentences=sentences, size=stat[0], mtime_ns=stat[1],
        text_hash=text_hash(article.text),  # finds the same article added again under another name
    )


def build_index(
    corpus_dir: str | Path = "corpus",
    index_dir: str | Path = "index",
    *,
    rebuild: bool = False,
    embedder: Embedder | None = None,
    passage_tokens: int = DEFAULT_PASSAGE_TOKENS,
    progress: bool | None = None,
    paths: list[str] | None = None,
    merge: bool = True,
) -> BuildReport:
    """Bring the index at `index_dir` (a directory, or a postgresql:// URL) up to date with `corpus_dir`.

    `paths` (corpus-relative) checks only those files: added, changed or deleted.
    `merge=False` leaves merging segments to a later `merge_segments` (e.g. in the background).
    """
    started = time.perf_counter()
    corpus_dir = Path(corpus_dir)
    location = backends.locate(index_dir)
    embedder = embedder or Embedder()
    progress = sys.stderr.isatty() if progress is None else progress
    if not corpus_dir.is_dir():
        raise CorpusError(f"Corpus directory {printable(corpus_dir)} does not exist: create it and put .md or .txt articles in it.")
    library.sweep_leftovers(corpus_dir)  # of adds killed before they linked their article
    pipeline = pipeline_config(embedder, passage_tokens)
    model = ModelInfo.of(embedder)
    with location.lock():
        old, salvaged = location.previous(model, pipeline, rebuild)
        scanned, errors, known, unchanged = _scan(corpus_dir, old, None if old is None else paths)
        broken = {e.path for e in errors}
        fresh = [(a, st) for a, st in scanned if a.id not in known or known[a.id].hash != a.content_hash]
        unchanged += [a.path for a, _ in scanned if a.id in known and known[a.id].hash == a.content_hash]
        chunked, too_long = _chunk(fresh, embedder, passage_tokens)  # before embedding anything
        errors += too_long
        broken |= {e.path for e in too_long}  # an indexed earlier version stays, as for a file that cannot be read
        fresh = [(article, stat) for article, stat, _ in chunked]
        kept = set(unchanged)
        current = {a.id for a, _ in scanned} | {aid for aid, m in known.items() if m.path in kept}
        removed = [m for aid, m in known.items() if aid not in current and m.path not in broken]
        report = dict(
            index_dir=store.display(index_dir),
            added=tuple(a.path for a, _ in fresh if a.id not in known),
            updated=tuple(a.path for a, _ in fresh if a.id in known),
            removed=tuple(m.path for m in removed),
            unchanged=tuple(unchanged),
            errors=tuple(FileError(e.path, e.reason) for e in errors),
            rebuilt=old is None,
        )
        if old is not None and not fresh and not removed and not salvaged:  # a salvaged index is always published
            location.unchanged(old)
            return BuildReport(**report, passages_embedded=0, sentences_embedded=0, seconds=time.perf_counter() - started)
        replaced = [old.article(m.id) for m in removed] + [old.article(a.id) for a, _ in fresh if a.id in known]
        change = _embed(chunked, replaced, old.next_id if old else 0, embedder, model, pipeline, progress)
        merged = location.apply(old, change, merge=merge)
    return BuildReport(**report, passages_embedded=len(change.passages), sentences_embedded=change.sentences,
                       seconds=time.perf_counter() - started, merged=merged)


def _chunk(fresh: list, embedder: Embedder, passage_tokens: int) -> tuple[list, list[ArticleError]]:
    """(article, stat, passages) of each fresh article, and an error for each that makes more than
    MAX_ARTICLE_PASSAGES passages (refused before anything is embedded)."""
    chunked, refused = [], []
    for article, stat in fresh:
        chunks = chunk_article(article, embedder.count_tokens, max_model_tokens=embedder.max_tokens,
                               passage_tokens=passage_tokens)
        if len(chunks) > MAX_ARTICLE_PASSAGES:
            refused.append(ArticleError(article.path, f"it makes {len(chunks):,} passages; articles of more than "
                                                      f"{MAX_ARTICLE_PASSAGES:,} are refused: split it into several files"))
        else:
            chunked.append((article, stat, chunks))
    return chunked, refused


def _encode(embedder: Embedder, texts: list[str], progress: bool) -> np.ndarray:
    """The vectors of `texts`, EMBED_SLICE at a time, into one array."""
    if len(texts) <= EMBED_SLICE:
        return embedder.encode(texts, progress=progress)
    vectors = np.empty((len(texts), embedder.dimension), dtype=np.float32)
    for start in range(0, len(texts), EMBED_SLICE):
        vectors[start:start + EMBED_SLICE] = embedder.encode(texts[start:start + EMBED_SLICE], progress=progress)
    return vectors


def _embed(chunked: list, dropped: list[ArticleMeta | None], next_id: int, embedder: Embedder, model: ModelInfo,
           pipeline: dict, progress: bool) -> ChangeSet:
    """Embed the chunked fresh articles, numbering their passages from `next_id`."""
    entries, passages, titles = [], [], {}
    for article, stat, chunks in chunked:
        ids = list(range(next_id, next_id + len(chunks)))
        next_id += len(chunks)
        entries.append(_article_entry(article, stat, ids, sum(len(c.sentences) for c in chunks)))
        titles[article.id] = article.title
        passages += [StoredPassage(pid, article.id, c.ordinal, c.text, c.start, c.end, c.paragraphs, c.sentences)
                     for c, pid in zip(chunks, ids)]
    vectors = _encode(embedder, [embed_text(titles[p.article_id], p.text) for p in passages], progress)
    sentence_texts = [p.text[s:e] for p in passages for s, e in p.sentences]
    sentence_vectors = _encode(embedder, sentence_texts, progress)
    return ChangeSet(articles=entries, passages=passages, titles=titles, vectors=vectors,
                     sentence_vectors=sentence_vectors, dropped=[m for m in dropped if m], model=model,
                     pipeline=pipeline, next_id=next_id, sentences=len(sentence_texts))


def merge_segments(index_dir: str | Path) -> tuple[str, ...]:
    """Fold small segments together if the backend's policy asks for it; what was merged."""
    return backends.locate(index_dir).merge()
