"""Adding and removing articles in the corpus directory, as the browser's Articles tab does.

An added article is checked completely before anything is written: type, size, text,
front matter and duplicate content. Its file name comes from its title (never from an
upload's name) and it is written atomically, so the corpus never holds half a file.
"""
from __future__ import annotations

import datetime as dt
import errno
import fcntl
import hashlib
import os
import re
import tempfile
import time
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import yaml

from .corpus import MAX_ARTICLE_BYTES, Article, parse_article, text_hash
from ..errors import ArticleError, printable
from ..store.base import parse_day
from ..types import ArticleMeta

MAX_UPLOAD_BYTES = MAX_ARTICLE_BYTES  # what the build would refuse is refused at once
UPLOAD_SUFFIXES = (".txt", ".md")
_MAX_SLUG = 80
_LATIN = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ß": "ss", "đ": "d", "ł": "l", "Ł": "L", "œ": "oe", "þ": "th"})


@dataclass(frozen=True)
class ArticleInfo:
    """One indexed article as listed to readers."""

    id: str
    title: str
    outlet: str | None
    published: dt.date | None
    passages: int
    path: str


def info(meta: ArticleMeta) -> ArticleInfo:
    return ArticleInfo(meta.id, meta.title, meta.outlet, parse_day(meta.published), len(meta.passages), meta.path)


def indexed_articles(articles: dict[str, ArticleMeta]) -> list[ArticleInfo]:
    """Indexed articles (metadata by id), newest first, undated ones last, then by title."""
    infos = [info(meta) for meta in articles.values()]
    infos.sort(key=lambda a: a.title.lower())
    infos.sort(key=lambda a: a.published or dt.date.min, reverse=True)
    return infos


def slug(title: str) -> str:
    """A file-name stem from a title: ASCII letters, digits and hyphens only."""
    ascii_title = unicodedata.normalize("NFKD", title.translate(_LATIN)).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:_MAX_SLUG].rstrip("-")
    return stem or "article"


def _free_name(corpus_dir: Path, stem: str, suffix: str) -> str:
    existing = {p.stem.lower() for p in corpus_dir.iterdir()} if corpus_dir.is_dir() else set()
    name, n = stem, 2
    while name in existing:
        name, n = f"{stem}-{n}", n + 1
    return name + suffix


def pasted_article_bytes(title: str, text: str, *, outlet: str = "", published: str = "", url: str = "",
                         author: str = "") -> bytes:
    """A Markdown file with front matter for an article typed or pasted into the page.

    Errors name the form's field the user filled, never front matter or a file they never wrote.
    """
    if not title.strip():
        raise ArticleError("pasted article", "give the article a title")
    if not text.strip():
        raise ArticleError("pasted article", "paste the article's text")
    label = f"“{title.strip()}”"
    day = None
    if published.strip():
        try:
            day = dt.date.fromisoformat(published.strip())  # written as a YAML date, unquoted
        except ValueError:
            raise ArticleError(label, f"published: {published.strip()!r} is not a date; use YYYY-MM-DD") from None
    if url.strip() and not re.match(r"https?://[^\s/]+(/\S*)?$", url.strip()):
        raise ArticleError(label, f"link: {url.strip()!r} is not a web address; start it with http or https")
    fields = {"title": title.strip(), "outlet": outlet.strip(), "published": day, "author": author.strip(), "url": url.strip()}
    meta = {key: value for key, value in fields.items() if value}
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
    return f"---\n{front}---\n\n{text.strip()}\n".encode("utf-8")


def check_size(size: int, label: str) -> None:
    """Refuse an upload over MAX_UPLOAD_BYTES (callers may check a file's size before reading it)."""
    if size > MAX_UPLOAD_BYTES:
        raise ArticleError(label, f"the file is {size / 2**20:.1f} MB; articles over {MAX_UPLOAD_BYTES // 2**20} MB are refused")


def prepare(data: bytes, label: str, suffix: str, corpus_dir: Path,
            duplicates: Callable[[str, str], list[dict]]) -> tuple[str, Article]:
    """(file name, parsed article) for new article bytes, or ArticleError saying what is wrong.

    `label` names the input in messages (e.g. the upload's name); `duplicates(text hash,
    file hash)` returns indexed articles with the same text or bytes.
    """
    suffix = suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise ArticleError(label, f"only {' and '.join(UPLOAD_SUFFIXES)} files can be added, not '{suffix or 'no suffix'}'")
    check_size(len(data), label)
    try:  # the suffix decides how the text is read; messages name the input as the user knows it
        draft = parse_article(data, label if label.lower().endswith(suffix) else label + suffix)
    except ArticleError as exc:
        raise ArticleError(label, exc.reason) from None
    name = _free_name(corpus_dir, slug(draft.title), suffix)
    article = parse_article(data, name)  # again, so its id comes from the final file name
    for meta in duplicates(text_hash(article.text), hashlib.sha256(data).hexdigest()):
        raise ArticleError(label, f"the same text is already indexed as “{printable(meta.title)}” ({printable(meta.path)})")
    return name, article


def write_atomically(corpus_dir: Path, name: str, data: bytes) -> Path:
    """Write a new file `corpus_dir/name`, or the next free name when another writer took that
    one meanwhile; the path written. Readers see all of it or nothing, and nothing is replaced.

    The bytes go to a hidden temporary file, fsynced, which is then linked under the name: a
    link fails if the name exists, so two processes adding articles with the same title at
    the same moment (the app and `python -m assistant add`, or two apps over one corpus)
    keep both. Choosing the name and linking happen under a lock on the folder, so a name
    whose stem another writer just took with another suffix (the same article id) is not
    chosen either.
    """
    corpus_dir.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=".adding-", dir=corpus_dir)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # as any file saved there, not mkstemp's owner-only 0600
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        with _locked(corpus_dir) as folder:
            stem, suffix = os.path.splitext(name)
            while True:
                target = corpus_dir / _free_name(corpus_dir, stem, suffix)
                try:
                    _link_or_rename(temp, target)
                    break
                except FileExistsError:
                    continue  # taken by a writer that does not lock (another program): the next name
            Path(temp).unlink(missing_ok=True)
            os.fsync(folder)  # the new name survives a power loss once the caller says "added"
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target


def _link_or_rename(temp: str, target: Path) -> None:
    """`target` made to name the file `temp`; FileExistsError if it names something already."""
    try:
        os.link(temp, target)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK):
            raise  # FileExistsError included
        # a file system without hard links (FAT, some network shares): under the folder's lock a
        # rename after a check is as good against our own writers
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, "exists", str(target)) from None
        os.rename(temp, target)


@contextmanager
def _locked(corpus_dir: Path):
    """An open descriptor of the folder, locked against the other writers of this corpus
    (flock on the folder itself: no lock file appears among the articles)."""
    folder = os.open(corpus_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(folder, fcntl.LOCK_EX)
        except OSError:
            pass  # no flock here (some network file systems): the exclusive link still keeps both files
        yield folder
    finally:
        os.close(folder)  # closing releases the lock


def remove_file(path: Path) -> None:
    """Delete an article's file, durably: the folder is fsynced, so the removal survives a power loss."""
    path.unlink(missing_ok=True)
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


LEFTOVER_AGE = 60.0  # seconds: an add writes and links its temporary file within moments


def sweep_leftovers(corpus_dir: Path) -> list[str]:
    """Remove the temporary files of adds killed before they finished (`.adding-*` over a
    minute old; a younger one may be an add in progress in another process); their names."""
    swept = []
    try:
        entries = list(os.scandir(corpus_dir))
    except OSError:
        return swept  # no corpus folder: the build says so
    cutoff = time.time() - LEFTOVER_AGE
    for entry in entries:
        try:
            if (entry.name.startswith(".adding-") and entry.is_file(follow_symlinks=False)
                    and entry.stat(follow_symlinks=False).st_mtime < cutoff):
                os.unlink(entry.path)
                swept.append(entry.name)
        except OSError:
            continue  # gone already (another build swept it) or not ours to remove
    return swept


def corpus_path(corpus_dir: Path, relative: str) -> Path:
    """The file of an indexed article, refusing anything outside the corpus directory."""
    root = corpus_dir.resolve()
    candidate = root / relative
    path = candidate.parent.resolve() / candidate.name  # the last part is not resolved: a link is itself
    if root not in path.parents or path.is_symlink():
        raise ArticleError(relative, "is not a file inside the corpus directory")
    return path
