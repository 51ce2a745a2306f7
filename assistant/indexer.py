"""Build or update the index from the corpus: only new or changed articles are embedded, and
an update writes only a segment with them plus a small deletion list (see store.py)."""
from __future__ import annotations

import datetime as dt
import fcntl
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import compaction, lexical, store
from .chunking import DEFAULT_PASSAGE_TOKENS, chunk_article, embed_text
from .cleaning import CLEANING_VERSION
from .corpus import Article, article_id, read_article, scan_corpus, text_hash
from .embedding import Embedder
from .errors import ArticleError, CorpusError, IndexDamagedError, IndexNotFoundError
from .index import Index
from .segment import StoredPassage


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


def _previous(index_dir: Path, embedder: Embedder, pipeline: dict, rebuild: bool) -> tuple[Index | None, bool]:
    """(the index to update or None to start afresh, whether it is the salvaged part of a damaged one)."""
    if rebuild:
        return None, False
    try:
        manifest = store.read_manifest(index_dir)
    except IndexNotFoundError:
        return None, False
    except IndexDamagedError:
        return None, False  # the manifest itself is gone to pieces: nothing to keep, build afresh
    store.check_model(manifest, embedder, index_dir)
    if manifest.get("pipeline") != pipeline:
        return None, False  # chunking or cleaning changed: every article must be re-chunked and re-embedded
    try:
        return store.load(index_dir), False
    except IndexDamagedError:
        salvaged = _salvage(index_dir, manifest)
        return salvaged, salvaged is not None


def _salvage(index_dir: Path, manifest: dict) -> Index | None:
    """The undamaged part of a damaged index, for an update to re-embed the rest from the corpus.

    Damaged segments are dropped (their articles then read as new), and an IVF index that is
    damaged or covers a dropped segment; a damaged deletion list or file list means nothing
    can be trusted, so the index is built afresh (None).
    """
    if not isinstance(manifest.get("files"), dict) or not isinstance(manifest.get("segments"), list):
        return None
    broken = store.damage(index_dir, manifest)
    if manifest.get("deleted") in broken:
        return None
    segments = [s for s in manifest["segments"] if s["name"] not in broken]
    ann = manifest.get("ann")
    if ann and (ann["file"] in broken or any(name in broken for name in ann["segments"])):
        ann = None
    kept = dict(manifest, segments=segments, ann=ann)
    old = store.open_manifest(index_dir, kept)
    articles = old.articles()
    kept["counts"] = {"articles": len(articles), "passages": sum(len(m["passages"]) for m in articles.values()),
                      "sentences": sum(m.get("sentences", 0) for m in articles.values())}
    print(f"repairing {index_dir}: " + "; ".join(p for problems in broken.values() for p in problems), file=sys.stderr)
    return old


def _scan(corpus_dir: Path, old: Index | None, paths: list[str] | None):
    """(articles to compare with their (size, mtime), errors, known file states by id, unchanged paths).

    A full scan skips reading files whose size and modification time match the index;
    `paths` limits the work to those files (the app knows what it just added or removed).
    """
    skipped: list[ArticleError] = []
    if paths is None:
        entries, skipped = scan_corpus(corpus_dir)
        if not entries:
            raise CorpusError(f"Corpus directory {corpus_dir} has no articles: add .md or .txt files to it.")
        known = old.file_states() if old else {}
    else:
        entries = [(p, (corpus_dir / p).lstat()) for p in paths if (corpus_dir / p).is_file()
                   and not (corpus_dir / p).is_symlink()]
        known = {aid: m for aid in (article_id(p) for p in paths) if old and (m := old.article(aid))}
    by_path = {m["path"]: m for m in known.values()}
    articles, errors, unchanged, seen = [], list(skipped), [], {}
    for relative, st in entries:
        meta = by_path.get(relative)
        stat = (st.st_size, st.st_mtime_ns)
        if meta and (meta.get("size"), meta.get("mtime_ns")) == stat:
            unchanged.append(relative)
            continue
        try:
            article = read_article(corpus_dir / relative, corpus_dir)
        except ArticleError as exc:
            errors.append(exc)
            continue
        if article.id in seen:
            errors.append(ArticleError(relative, f"has the same id as {seen[article.id]}; rename one of them"))
            continue
        seen[article.id] = relative
        articles.append((article, stat))
    return articles, errors, known, unchanged


def _article_entry(article: Article, stat: tuple[int, int], passage_ids: list[int], sentences: int) -> dict:
    return {
        "id": article.id, "path": article.path, "hash": article.content_hash, "title": article.title,
        "outlet": article.outlet, "published": article.published, "url": article.url,
        "byline": article.byline, "paragraphs": len(article.paragraphs), "passages": passage_ids,
        "sentences": sentences, "size": stat[0], "mtime_ns": stat[1],
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
    paths: list[str] | None = None,
    merge: bool = True,
) -> BuildReport:
    """Bring the index in `index_dir` up to date with the articles in `corpus_dir`.

    `paths` (corpus-relative) checks only those files: added, changed or deleted.
    `merge=False` leaves merging segments to a later `merge_segments` (e.g. in the background).
    """
    started = time.perf_counter()
    corpus_dir, index_dir = Path(corpus_dir), Path(index_dir)
    embedder = embedder or Embedder()
    progress = sys.stderr.isatty() if progress is None else progress
    if not corpus_dir.is_dir():
        raise CorpusError(f"Corpus directory {corpus_dir} does not exist: create it and put .md or .txt articles in it.")
    pipeline = pipeline_config(embedder, passage_tokens)
    with _build_lock(index_dir):
        old, salvaged = _previous(index_dir, embedder, pipeline, rebuild)
        scanned, errors, known, unchanged = _scan(corpus_dir, old, None if old is None else paths)
        broken = {e.path for e in errors}
        fresh = [(a, st) for a, st in scanned if a.id not in known or known[a.id]["hash"] != a.content_hash]
        unchanged += [a.path for a, _ in scanned if a.id in known and known[a.id]["hash"] == a.content_hash]
        kept = set(unchanged)
        current = {a.id for a, _ in scanned} | {aid for aid, m in known.items() if m["path"] in kept}
        removed = [m for aid, m in known.items() if aid not in current and m["path"] not in broken]
        report = dict(
            index_dir=str(index_dir),
            added=tuple(a.path for a, _ in fresh if a.id not in known),
            updated=tuple(a.path for a, _ in fresh if a.id in known),
            removed=tuple(m["path"] for m in removed),
            unchanged=tuple(unchanged),
            errors=tuple(FileError(e.path, e.reason) for e in errors),
            rebuilt=old is None,
        )
        if old is not None and not fresh and not removed and not salvaged:  # a salvaged index is always published
            store.tidy(index_dir, old.manifest)
            return BuildReport(**report, passages_embedded=0, sentences_embedded=0, seconds=time.perf_counter() - started)
        replaced = [old.article(m["id"]) for m in removed] + [old.article(a.id) for a, _ in fresh if a.id in known]
        manifest, n_passages, n_sentences = _write_update(index_dir, old, fresh, replaced, embedder, pipeline,
                                                          passage_tokens, progress)
        manifest, merged = compaction.maybe_merge(index_dir, manifest) if merge else (manifest, ())
        store.publish(index_dir, manifest)
        if old is not None:
            old.close()
    return BuildReport(**report, passages_embedded=n_passages, sentences_embedded=n_sentences,
                       seconds=time.perf_counter() - started, merged=merged)


def _write_update(index_dir: Path, old: Index | None, fresh: list, dropped: list[dict], embedder: Embedder,
                  pipeline: dict, passage_tokens: int, progress: bool) -> tuple[dict, int, int]:
    """Write the segment of `fresh` articles and the deletion list; return the new manifest."""
    # A rebuild goes on counting from the published generation, so readers see a change.
    base = old.manifest if old else {"segments": [], "next_id": 0, "generation": store.last_generation(index_dir),
                                     "deleted": None, "counts": {"articles": 0, "passages": 0, "sentences": 0}}
    generation = int(base["generation"]) + 1
    next_id = int(base["next_id"])
    entries, passages, titles = [], [], {}
    for article, stat in fresh:
        chunks = chunk_article(article, embedder.count_tokens, max_model_tokens=embedder.max_tokens,
                               passage_tokens=passage_tokens)
        ids = list(range(next_id, next_id + len(chunks)))
        next_id += len(chunks)
        entries.append(_article_entry(article, stat, ids, sum(len(c.sentences) for c in chunks)))
        titles[article.id] = article.title
        passages += [StoredPassage(pid, article.id, c.ordinal, c.text, c.start, c.end, c.paragraphs, c.sentences)
                     for c, pid in zip(chunks, ids)]
    vectors = embedder.encode([embed_text(titles[p.article_id], p.text) for p in passages], progress=progress)
    sentence_texts = [p.text[s:e] for p in passages for s, e in p.sentences]
    sentence_vectors = embedder.encode(sentence_texts, progress=progress)

    segments = list(base["segments"])
    if passages:
        name = store.unique_name("seg", generation)
        store.write_segment(index_dir, name, articles=entries, passages=passages, titles=titles,
                            vectors=vectors, sentence_vectors=sentence_vectors)
        segments.append({"name": name, "passages": len(passages)})
    deleted_file = base.get("deleted")
    gone = [pid for meta in dropped for pid in meta["passages"]]
    if gone:
        previous = old.deleted if old else np.zeros(0, np.int64)
        deleted_file = store.unique_name("deleted", generation, ".npy")
        store.write_array(index_dir, deleted_file, np.union1d(previous, np.array(gone, dtype=np.int64)))
    counts = dict(base["counts"])
    counts["articles"] += len(entries) - len(dropped)
    counts["passages"] += len(passages) - len(gone)
    counts["sentences"] += len(sentence_texts) - sum(m.get("sentences", 0) for m in dropped)
    manifest = dict(
        base, format=store.FORMAT, version=store.FORMAT_VERSION, generation=generation, next_id=next_id,
        model={"id": embedder.model_id, "fingerprint": embedder.fingerprint, "dimension": embedder.dimension,
               "backend": embedder.backend},
        pipeline=pipeline, segments=segments, deleted=deleted_file, counts=counts,
        built_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    )
    return manifest, len(passages), len(sentence_texts)


def merge_segments(index_dir: str | Path) -> tuple[str, ...]:
    """Merge segments if the policy in compaction.py asks for it; the names merged."""
    index_dir = Path(index_dir)
    with _build_lock(index_dir):
        manifest = store.read_manifest(index_dir)
        manifest = dict(manifest, generation=manifest["generation"] + 1)  # fresh names for the files it writes
        manifest, merged = compaction.maybe_merge(index_dir, manifest)
        if merged:
            store.publish(index_dir, manifest)
        else:
            store.tidy(index_dir, manifest)
    return merged
