"""`Assistant`: one corpus + index + model, with the loaded index cached and hot-reloaded."""
from __future__ import annotations

import re
import reprlib
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .store import backends
from .store import base as store
from .ingest import library
from .answer import COMPOSERS, Answer, Composer
from .settings import DEFAULT, AnswerSettings
from .answer.repair import repair
from .embedding import Embedder
from .errors import CONTROLS, ArticleError, IndexNotFoundError, InputError
from .ingest.corpus import article_id
from .ingest.indexer import BuildReport, build_index, merge_segments
from .ingest.library import ArticleInfo
from .ingest.urls import LinkPolicy
from .retrieval import Hit, Searcher


@dataclass(frozen=True)
class IndexStatus:
    index_dir: str
    articles: int
    passages: int
    sentences: int
    model: str
    dimension: int
    built_at: str
    generation: int
    backend: str = "files"


def with_range_note(answer: Answer, where: store.Filter, articles: dict) -> Answer:
    """A decline under a date range says how many articles the range left out: the answer may be there."""
    outside = sum(not where.admits(store.parse_day(meta.published)) for meta in articles.values())
    if not outside:
        return answer
    since, until = (day or "any date" for day in (store.iso(where.since), store.iso(where.until)))
    note = (f" Only articles published from {since} to {until} were searched; {outside} of the {len(articles)} "
            f"indexed article{'s' * (len(articles) != 1)} fall outside that range"
            f"{' (undated ones included)' if any(not m.published for m in articles.values()) else ''}.")
    return replace(answer, text=answer.text + note)


# A question is text: control characters (errors.CONTROLS; a NUL from a script made the reader decline) are dropped,
# whitespace ones read as spaces; a lone surrogate (a command-line byte that was not UTF-8, as
# Python hands it over; "\\udc80" in JSON) breaks the tokenizers and becomes U+FFFD.
_CONTROL = re.compile(f"[{CONTROLS}]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def question_text(question: object, field: str = "question") -> str:
    """`question` as text the search can read, or InputError naming `field`."""
    if not isinstance(question, str):
        raise InputError(f"{field}: give the question as text, not {type(question).__name__}")
    return _CONTROL.sub(lambda m: " " if m.group().isspace() else "", _SURROGATE.sub("\ufffd", question))


def history_turns(history: object) -> list[tuple[str, object]]:
    """`history` as (question, answer) pairs, oldest first (None: no history), or InputError saying
    what it must be: a string is not read as a list of characters, nor a pair as two turns."""
    if history is None:
        return []
    if isinstance(history, (str, bytes, bytearray)) or not isinstance(history, Sequence):
        raise InputError(f"history: give a list of [question, answer] pairs, oldest first ([] for none), "
                         f"not {type(history).__name__} {reprlib.repr(history)}")
    turns = []
    for number, turn in enumerate(history, 1):
        if not (isinstance(turn, (list, tuple)) and len(turn) == 2 and isinstance(turn[0], str)
                and isinstance(turn[1], (str, Answer))):
            raise InputError(f"history: turn {number} is {reprlib.repr(turn)}; each turn is a [question, answer] "
                             "pair of texts (in Python the answer may be the Answer itself), oldest first")
        answer = turn[1] if isinstance(turn[1], Answer) else question_text(turn[1], "history")
        turns.append((question_text(turn[0], "history"), answer))
    return turns


def checked_question(question: object, settings: AnswerSettings) -> str:
    """`question` as text (question_text), or InputError when it is empty or too long to be one
    (settings.max_question_chars)."""
    question = question_text(question)
    if not question.strip():
        raise InputError("The question is empty: ask something about the articles, e.g. “Who is Tom Røseth?”")
    if len(question) > settings.max_question_chars:
        raise InputError(f"The question is {len(question):,} characters long; ask it in at most "
                         f"{settings.max_question_chars:,} (to ask about a text, add it as an article).")
    return question


class Assistant:
    """Scripts that manage several indexes make one of these per index.

    The loaded index is swapped in whole when a build publishes a new generation, so a
    reader never sees a half-updated index: it answers from the old one until then.
    """

    def __init__(self, index_dir: str | Path = "index", corpus_dir: str | Path = "corpus", *, model: str | None = None,
                 settings: AnswerSettings = DEFAULT, allow_private_links: bool = False):
        if settings.composer not in COMPOSERS:
            raise InputError(f"composer: {settings.composer!r} is not one of {', '.join(sorted(COMPOSERS))}")
        self.settings = settings
        self.index_dir = index_dir if store.is_url(index_dir) else Path(index_dir)
        self.location = backends.locate(index_dir)
        self.corpus_dir = Path(corpus_dir)
        self.embedder = Embedder(model)
        self._searcher: Searcher | None = None
        self._lock = threading.Lock()
        self._corpus_lock = threading.Lock()  # one add or remove at a time: check, write, index
        self.merging: threading.Thread | None = None  # the latest background merge, for tests and shutdown
        # where a link to add may lead: this machine and its network only when its owner says so
        self.links = LinkPolicy(private=allow_private_links)

    def build(self, *, rebuild: bool = False, progress: bool | None = None, paths: list[str] | None = None,
              merge: bool = True) -> BuildReport:
        """Update the index from the corpus (only `paths`, corpus-relative, when given)."""
        report = build_index(self.corpus_dir, self.index_dir, rebuild=rebuild, embedder=self.embedder, progress=progress,
                             paths=paths, merge=merge)
        self.searcher()  # pick up the new generation now rather than on the next question
        return report

    def searcher(self) -> Searcher:
        """The searcher over the newest published generation (reloaded when it changes)."""
        published = self.location.published()  # one small read per question: no stale view, whoever wrote
        current = self._searcher
        if current is not None and current.data.version == published:
            return current
        with self._lock:
            current = self._searcher
            if current is None or current.data.version != published:
                data = self.location.open(reuse=current.data if current else None)
                store.check_same_model(data.info.model, store.ModelInfo.of(self.embedder),
                                         store.display(self.index_dir))
                current = self._searcher = Searcher(data, self.embedder)
            return current

    def retrieve(self, question: str, k: int = 5, *, method: str = "rerank", since=None, until=None) -> list[Hit]:
        """The k best passages; `since`/`until` (dates or YYYY-MM-DD, inclusive) keep only
        articles published in that range, and leave undated ones out."""
        question = checked_question(question, self.settings)
        return self.searcher().search(question, k, method=method, where=store.date_filter(since, until))

    def ask(self, question: str, *, history: Sequence[tuple[str, object]] = (), since=None, until=None) -> Answer:
        """A cited answer; `history` is earlier (question, answer or answer text) pairs, oldest first;
        `since`/`until` restrict it to articles published in that range, as for `retrieve`.
        A question or history of another shape raises InputError saying what it must be."""
        question = checked_question(question, self.settings)
        history = history_turns(history)
        where = store.date_filter(since, until)
        searcher = self.searcher()  # one view of the index for the repair and the answer
        repaired = repair(searcher, question, history, where, self.settings.retrieve_k)
        answer = self.composer(searcher).compose(question, repaired, where)
        return with_range_note(answer, where, searcher.data.articles()) if answer.abstained and where.active else answer

    def warm(self) -> None:
        """Load the models now (the embedder, the composer's reader), so the first question does not wait."""
        self.embedder.encode_query("warm-up")
        self.composer().warm()

    def composer(self, searcher: Searcher | None = None) -> Composer:
        """The composer `settings.composer` names, over the current index (or `searcher`'s view of it)."""
        return COMPOSERS[self.settings.composer](searcher or self.searcher(), self.settings)

    def status(self) -> IndexStatus:
        info = self.location.info()
        return IndexStatus(
            index_dir=store.display(self.index_dir), articles=info.articles, passages=info.passages,
            sentences=info.sentences, model=info.model.id, dimension=info.model.dimension,
            built_at=info.built_at, generation=info.generation, backend=info.backend,
        )

    def articles(self) -> list[ArticleInfo]:
        """The indexed articles, newest first."""
        return library.indexed_articles(self.searcher().data.articles())

    def add_article(self, data: bytes, *, name: str = "pasted article", suffix: str = ".md") -> tuple[ArticleInfo, BuildReport]:
        """Check, write into the corpus and index one article; the next question can cite it.

        Anything wrong raises ArticleError (naming `name`) and leaves corpus and index as they were.
        """
        with self._corpus_lock:
            indexed = self._indexed()
            duplicates = indexed.data.duplicates if indexed else (lambda text_hash, file_hash: [])
            filename, _ = library.prepare(data, name, suffix, self.corpus_dir, duplicates)
            path = library.write_atomically(self.corpus_dir, filename, data)
            filename = path.name  # another writer may have taken the name meanwhile: the next free one
            try:  # with no index yet, the first build takes in the whole corpus
                report = self.build(progress=False, paths=[filename] if indexed else None, merge=False)
            except BaseException:
                library.remove_file(path)
                raise
            self._merge_in_background()
            meta = self.searcher().data.article(article_id(filename))
            failed = [e for e in report.errors if e.path == filename]
            if failed or meta is None:
                library.remove_file(path)
                raise ArticleError(name, failed[0].reason if failed else "it could not be indexed")
            return library.info(meta), report

    def add_source(self, source: str | Path) -> tuple[ArticleInfo, BuildReport]:
        """Add a web page (http/https link or .html file), a PDF, or a .txt/.md file: read with
        assistant.ingest, saved into the corpus as Markdown with its metadata, and indexed. A link
        to this machine or its network is refused unless `allow_private_links` was given."""
        from .ingest import sources as ingest

        data, suffix, label = ingest.article_from(source, links=self.links)
        return self.add_article(data, name=label, suffix=suffix)

    def _indexed(self) -> Searcher | None:
        """The searcher, or None when no index has been built here yet."""
        try:
            return self.searcher()
        except IndexNotFoundError:
            return None

    def remove_article(self, article_id: str) -> tuple[ArticleInfo, BuildReport]:
        """Delete an article's file and its passages from the index."""
        with self._corpus_lock:
            index = self.searcher().data
            meta = index.article(article_id)
            if meta is None:
                raise ArticleError(article_id, "is not in the index; refresh the article list")
            if index.info.articles <= 1:
                raise ArticleError(meta.path, "is the only article; add another before removing it")
            path = library.corpus_path(self.corpus_dir, meta.path)
            data = path.read_bytes() if path.is_file() else None
            library.remove_file(path)
            try:
                report = self.build(progress=False, paths=[meta.path], merge=False)
            except BaseException:
                if data is not None:  # put it back: the index still holds it
                    library.write_atomically(path.parent, path.name, data)
                raise
            self._merge_in_background()
            return library.info(meta), report

    def _merge_in_background(self) -> None:
        """Fold small segments together without making the reader who added an article wait."""
        def run():
            try:
                if merge_segments(self.index_dir):
                    self.searcher()
            except Exception as exc:  # the index stays valid unmerged; the next update tries again
                print(f"background merge of {self.index_dir} failed: {exc}", file=sys.stderr)

        thread = threading.Thread(target=run, name="merge-segments", daemon=True)
        thread.start()
        self.merging = thread
