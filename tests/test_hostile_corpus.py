"""The corpus is one folder, and a bad file is reported by name: links that lead out or loop,
FIFOs, empty folders, broken front matter and text no model window can hold (issue 13)."""
from __future__ import annotations

import os
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant import Assistant, build_index
from assistant.ingest.chunking import chunk_article
from assistant.ingest.corpus import parse_article
from assistant.errors import ArticleError
from conftest import CORPUS

GOOD = "---\ntitle: Ferry strike ends\noutlet: Nordlys\n---\nThe ferry strike in Tromsø ended on Tuesday after a deal.\n"


@pytest.fixture
def hostile(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    outside = tmp_path / "outside.txt"
    outside.write_text("Secret outside text that must never be indexed or deleted.\n", encoding="utf-8")
    (corpus / "passwd.txt").symlink_to("/etc/passwd")
    (corpus / "outside.txt").symlink_to(outside)
    (corpus / "etc").symlink_to("/etc")
    (corpus / "loop").symlink_to(".")
    (corpus / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    os.mkfifo(corpus / "pipe.md")
    (corpus / "empty").mkdir()
    (corpus / "inside.md").write_text(GOOD, encoding="utf-8")
    (corpus / "also-inside.md").symlink_to(corpus / "inside.md")
    (corpus / "unclosed.md").write_text("---\ntitle: Never closed\noutlet: X\nThe text goes on here.\n", encoding="utf-8")
    (corpus / "list.md").write_text("---\n- a\n- b\n---\nThe text goes on here for a while.\n", encoding="utf-8")
    # one 5,000-word "sentence" (a dump with no punctuation): 128 windows; 30,000 words took a minute per test
    (corpus / "one-line.txt").write_text("Dump\n\n" + " ".join(f"word{i}" for i in range(5000)), encoding="utf-8")
    return tmp_path, corpus, outside


def test_hostile_entries_are_reported_by_name_and_the_rest_indexes(hostile, embedder):
    tmp_path, corpus, outside = hostile
    report = build_index(corpus, tmp_path / "index", embedder=embedder, progress=False)
    reasons = {e.path: e.message for e in report.errors}
    for name in ("passwd.txt", "outside.txt", "etc", "loop", "dangling.md", "also-inside.md"):
        assert "symbolic link" in reasons[name], name
    assert "not a regular file" in reasons["pipe.md"]
    assert "empty folder" in reasons["empty"]
    assert "never closed" in reasons["unclosed.md"]
    assert "YAML list" in reasons["list.md"]
    assert set(report.added) == {"inside.md", "one-line.txt", "lukashenko-to-meet-putin-on-friday.md",
                                 "president-of-belarus-causing-trouble-for-putin.md"}
    app = Assistant(tmp_path / "index", corpus)
    assert not any("root:" in h.text or "Secret outside" in h.text for h in app.retrieve("root passwd secret", 10))


def test_removing_articles_never_touches_anything_outside(hostile, embedder):
    tmp_path, corpus, outside = hostile
    app = Assistant(tmp_path / "index", corpus)
    app.embedder = embedder
    app.build(progress=False)
    with pytest.raises(ArticleError):
        app.remove_article("outside")  # a link is never indexed, so there is nothing to remove
    app.remove_article("inside")
    assert outside.read_text(encoding="utf-8").startswith("Secret") and os.path.exists("/etc/passwd")
    assert (corpus / "also-inside.md").is_symlink()


@settings(max_examples=8, deadline=None)
@given(st.integers(300, 4000), st.sampled_from(["word", "Donaudampfschifffahrt", "a-b-c", "1234567"]),
       st.sampled_from([" ", "\n", " , "]))
def test_every_passage_fits_the_window_whatever_the_punctuation(embedder, words, word, separator):
    text = "Dump\n\n" + separator.join(f"{word}{i}" for i in range(words))
    article = parse_article(text.encode(), "dump.txt")
    passages = chunk_article(article, embedder.count_tokens, max_model_tokens=embedder.max_tokens)
    sizes = embedder.count_tokens([f"{article.title}\n{p.text}" for p in passages])
    assert max(sizes) + 2 <= embedder.max_tokens
    assert all(article.text[p.start:p.end] == p.text for p in passages)
    covered = "".join(article.text[p.start:p.end] for p in passages)
    assert covered.replace(" ", "").replace("\n", "").replace(",", "") == \
        article.text.replace(" ", "").replace("\n", "").replace(",", "")


# More hostile inputs, each either indexed correctly or reported by name: (file, bytes, expected)
# expected: "indexed" (its text is searchable), "ignored" (not an article: hidden or another type)
# or a fragment of the reason it is reported with.
MORE = [
    ("binary.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "binary"),
    ("empty.md", b"", "empty"),
    ("blank.txt", b"   \n\n\t\n", "empty"),
    ("latin1.txt", "Café in Tromsø\n\nThe café served crème brûlée to 40 guests.".encode("latin-1"), "indexed"),
    ("crlf.md", b"---\r\ntitle: Windows lines\r\n---\r\nThe ferry left at noon on Friday.\r\n", "indexed"),
    ("no-newline.txt", b"Storm warning\n\nWinds of 30 metres per second hit the coast", "indexed"),
    ("huge.txt", b"Huge\n\n" + b"A sentence of filler text. " * 200_000, "MB"),
    ("only-front-matter.md", b"---\ntitle: Nothing else\n---\n", "no article text"),
    ("title-list.md", b"---\ntitle: [a, b]\n---\nThe text of it is here.\n", "title"),
    ("bad-date.md", b"---\ntitle: Dated\npublished: 2 April\n---\nThe text of it is here.\n", "YYYY-MM-DD"),
    ("broken-yaml.md", b"---\ntitle: [unclosed\n---\nThe text of it is here.\n", "front matter"),
    ("same-id.md", b"The same id\n\nOne of two files with one name.", "indexed"),
    ("same-id.txt", b"The same id\n\nThe other of two files with one name.", "same id"),
    (".hidden.md", b"Hidden\n\nA hidden file is not an article.", "ignored"),
    ("_draft.md", b"Draft\n\nA file starting with an underscore is a draft.", "ignored"),
    ("page.html", b"<html><body>Not an article type</body></html>", "ignored"),
    ("nested/deeper/story.md", b"Nested story\n\nThe nested story speaks of glaciers in Svalbard.", "indexed"),
    ("space and ünïcode.md", b"Spaces\n\nA file name with spaces and letters such as \xc3\xbc.", "indexed"),
    ("controls.txt", b"Controls\n\n" + bytes(range(1, 9)) * 50 + b" text", "no article text"),
    ("zero-width.md", "Zero\u200bwidth\n\nThe zero\u200bwidth joiner sits inside words.".encode(), "indexed"),
]


def test_more_hostile_files_are_indexed_or_reported_by_name(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    for name, data, _ in MORE:
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        (corpus / name).write_bytes(data)
    (corpus / "folder.md").mkdir()  # a folder with an article's name
    (corpus / "folder.md" / "inner.md").write_bytes(b"Inner\n\nA story in a folder named like a file.")
    report = build_index(corpus, tmp_path / "index", embedder=embedder, progress=False)
    reasons = {e.path: e.message for e in report.errors}
    indexed = set(report.added)
    for name, _, expected in MORE:
        if expected == "indexed":
            assert name in indexed, (name, reasons.get(name))
        elif expected == "ignored":
            assert name not in indexed and name not in reasons
        else:
            assert expected in reasons.get(name, ""), (name, reasons.get(name), name in indexed)
    assert "folder.md/inner.md" in indexed
    assert len(MORE) + 13 >= 28  # with the links, FIFO, folders and front matter of the test above
