"""Load articles from the corpus directory: front matter, decoding, titles, cleaning.

Accepted files: Markdown (`.md`, `.markdown`) with or without YAML front matter, and plain
`.txt`, whose first line is the title when it reads like a headline. Each bad file becomes
one `ArticleError` naming it; the other articles still load.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import frontmatter
import yaml

from .cleaning import clean_paragraphs
from ..errors import ArticleError, CorpusError, printable

ARTICLE_SUFFIXES = (".md", ".markdown", ".txt")
# Ten times a long read (~100 kB). 5 MB let a 5,000,000-byte line through that held `index`
# (and app start-up) for over 7 minutes at 1.8 GB while the rest of the corpus waited.
MAX_ARTICLE_BYTES = 1024 * 1024
PARAGRAPH_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class Article:
    """One cleaned article; `text` is its paragraphs joined by a blank line."""

    id: str
    path: str  # relative to the corpus directory, with forward slashes
    title: str
    text: str
    paragraphs: tuple[tuple[int, int], ...]  # character span of each paragraph in `text`
    content_hash: str  # sha256 of the file's bytes
    outlet: str | None = None
    published: dt.date | None = None
    url: str | None = None
    byline: str | None = None


def article_id(relative_path: str) -> str:
    """Stable id from the path: lower-case slug of the path without its suffix."""
    stem = relative_path.rsplit(".", 1)[0]
    return re.sub(r"[^a-z0-9/]+", "-", stem.lower()).strip("-/") or "article"


def text_hash(text: str) -> str:
    """Identity of an article's words, blind to case, spacing and quote styles."""
    folded = unicodedata.normalize("NFKC", text).lower()
    folded = re.sub(r"[\"'“”‘’«»]", "", folded)
    return hashlib.sha256(" ".join(folded.split()).encode()).hexdigest()


def scan_corpus(corpus_dir: Path) -> tuple[list[tuple[str, os.stat_result]], list[ArticleError]]:
    """(relative path with forward slashes, stat) of each article file, sorted by path, and
    what was skipped and why.

    The corpus is one folder: symbolic links are never followed (a link can lead out of the
    corpus, or back into it in a loop), and FIFOs, sockets and devices are not articles;
    each is reported by name and skipped, as is an empty folder. Hidden files and folders
    and those starting with "_" are skipped silently. One directory walk with cached stats,
    so scanning 20k articles takes milliseconds, not a second.
    """
    if not corpus_dir.is_dir():
        raise CorpusError(f"Corpus directory {printable(corpus_dir)} does not exist: create it and put .md or .txt articles in it.")
    found: list[tuple[str, os.stat_result]] = []
    skipped: list[ArticleError] = []

    def walk(directory: str, prefix: str) -> None:
        try:
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            skipped.append(ArticleError(prefix.rstrip("/") or ".", f"cannot be listed ({exc.strerror})"))
            return
        if not entries and prefix:
            skipped.append(ArticleError(prefix.rstrip("/"), "is an empty folder"))
        for entry in entries:
            relative = prefix + entry.name
            if entry.name.startswith((".", "_")):
                continue
            if entry.is_symlink():
                skipped.append(ArticleError(relative, "is a symbolic link, which is not followed: "
                                                      "copy the article itself into the corpus"))
            elif entry.is_dir(follow_symlinks=False):
                walk(entry.path, f"{relative}/")
            elif not entry.is_file(follow_symlinks=False):
                skipped.append(ArticleError(relative, "is not a regular file (a FIFO, socket or device)"))
            elif os.path.splitext(entry.name)[1].lower() in ARTICLE_SUFFIXES:
                found.append((relative, entry.stat(follow_symlinks=False)))

    walk(str(corpus_dir), "")
    return sorted(found), skipped


def corpus_entries(corpus_dir: Path) -> list[tuple[str, os.stat_result]]:
    """The article files of `scan_corpus`, without what it skipped."""
    return scan_corpus(corpus_dir)[0]


def corpus_files(corpus_dir: Path) -> list[Path]:
    """Article files under `corpus_dir`, sorted; hidden files and folders are skipped."""
    return [corpus_dir / relative for relative, _ in corpus_entries(corpus_dir)]


def decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), else Latin-1 when the bytes read as text; refuse binaries."""
    if not data.strip():
        raise ArticleError(name, "the file is empty")
    if b"\x00" in data[:8192]:
        raise ArticleError(name, "this is a binary file, not text; save the article as UTF-8 .txt or .md")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    controls = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\n\r\t") or 0x7F <= ord(ch) < 0xA0)
    if controls > len(text) * 0.01:
        raise ArticleError(name, "the file is neither UTF-8 nor Latin-1 text; re-save it as UTF-8")
    return text


def _iso_date(value: object, name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ArticleError(name, f"front matter 'published' is {value!r}; write a date as YYYY-MM-DD") from None


def _optional_str(meta: dict, key: str, name: str) -> str | None:
    value = meta.get(key)
    if value is None:
        return None
    if not isinstance(value, (str, int, float)):
        raise ArticleError(name, f"front matter '{key}' must be text, not {type(value).__name__}")
    return str(value).strip() or None


_FENCE = re.compile(r"^---[ \t]*\r?$", re.M)


def _split_front_matter(text: str, name: str) -> tuple[dict, str]:
    if not text.lstrip("\ufeff").startswith("---"):
        return {}, text
    fences = list(_FENCE.finditer(text.lstrip("\ufeff")))
    if len(fences) < 2 or fences[0].start() != 0:
        raise ArticleError(name, "front matter is opened with '---' but never closed; end it with a '---' line")
    header = text.lstrip("\ufeff")[fences[0].end():fences[1].start()]
    try:
        parsed = yaml.safe_load(header) if header.strip() else {}
    except yaml.YAMLError:
        parsed = {}  # reported with its line below
    if parsed is not None and not isinstance(parsed, dict):
        raise ArticleError(name, f"front matter is a YAML {type(parsed).__name__}, not 'key: value' lines; "
                                 "write e.g. 'title: …' between the '---' lines")
    try:
        meta, body = frontmatter.parse(text)
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        where = f" near line {line + 1}" if line is not None else ""
        raise ArticleError(name, f"broken front matter{where}; fix the YAML between the '---' lines") from None
    if not isinstance(meta, dict):
        raise ArticleError(name, "front matter must be 'key: value' lines between '---' lines")
    return meta, body


_HEADLINE_MAX_WORDS = 20


def _check_size(size: int, name: str) -> None:
    if size > MAX_ARTICLE_BYTES:
        raise ArticleError(name, f"the file is {size / 1e6:.1f} MB; articles over {MAX_ARTICLE_BYTES // 2**20} MB are refused")


def _headline(line: str) -> bool:
    """A first line reads like a headline: short, and not ending like a sentence."""
    words = line.split()
    return 0 < len(words) <= _HEADLINE_MAX_WORDS and not line.rstrip().endswith((".", ",", ";", ":"))


def _title_from_sentence(paragraph: str) -> str:
    sentence = re.split(r"(?<=[.!?])\s", paragraph, maxsplit=1)[0].rstrip(".")
    words = sentence.split()
    return " ".join(words[:12]) + ("…" if len(words) > 12 else "")


def parse_article(data: bytes, relative_path: str) -> Article:
    """Turn one file's bytes into an Article, or raise ArticleError naming the file."""
    name = relative_path
    _check_size(len(data), name)
    text = decode(data, name)
    meta, body = _split_front_matter(text, name)
    title = _optional_str(meta, "title", name)
    if title is None and relative_path.lower().endswith(".txt"):
        first, _, rest = body.strip().partition("\n")
        if _headline(first) and rest.strip():
            title, body = first.strip(), rest
    if title is None and relative_path.lower().endswith((".md", ".markdown")):
        match = re.match(r"\s*#\s+(.+)\n", body)  # a Markdown "# Heading" first line is the title
        if match:
            title, body = match.group(1).strip(), body[match.end():]
    paragraphs = clean_paragraphs(body)
    if not paragraphs:
        raise ArticleError(name, "no article text is left after removing page cruft")
    if title is None:
        title = _title_from_sentence(paragraphs[0])
    spans, offset = [], 0
    for paragraph in paragraphs:
        spans.append((offset, offset + len(paragraph)))
        offset += len(paragraph) + len(PARAGRAPH_SEPARATOR)
    return Article(
        id=article_id(relative_path),
        path=relative_path,
        title=title,
        text=PARAGRAPH_SEPARATOR.join(paragraphs),
        paragraphs=tuple(spans),
        content_hash=hashlib.sha256(data).hexdigest(),
        outlet=_optional_str(meta, "outlet", name),
        published=_iso_date(meta.get("published", meta.get("date")), name),
        url=_optional_str(meta, "url", name),
        byline=_optional_str(meta, "author", name),
    )


def read_article(path: Path, corpus_dir: Path) -> Article:
    relative = path.relative_to(corpus_dir).as_posix()
    if path.is_symlink():
        raise ArticleError(relative, "is a symbolic link, which is not followed: copy the article itself into the corpus")
    try:
        _check_size(path.stat().st_size, relative)  # refuse before reading 50 MB into memory
        data = path.read_bytes()
    except OSError as exc:
        raise ArticleError(relative, f"cannot be read ({exc.strerror})") from None
    return parse_article(data, relative)


def load_corpus(corpus_dir: Path) -> tuple[list[Article], list[ArticleError]]:
    """Every readable article, and one error per file that could not be used."""
    entries, skipped = scan_corpus(corpus_dir)
    files = [corpus_dir / relative for relative, _ in entries]
    if not files:
        raise CorpusError(f"Corpus directory {printable(corpus_dir)} has no articles: add .md or .txt files to it.")
    articles: dict[str, Article] = {}
    errors: list[ArticleError] = list(skipped)
    for path in files:
        try:
            article = read_article(path, corpus_dir)
        except ArticleError as exc:
            errors.append(exc)
            continue
        if article.id in articles:
            errors.append(ArticleError(article.path, f"has the same id as {printable(articles[article.id].path)}; rename one of them"))
            continue
        articles[article.id] = article
    return list(articles.values()), errors
