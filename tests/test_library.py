"""Adding and removing articles (the Articles tab's back end), chat history parsing and UI rendering."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from assistant import ArticleError, Assistant
from assistant.answer.conversation import history_pairs
from assistant.ingest.library import pasted_article_bytes, prepare, slug
from assistant.faces.render import escape_markdown, sources_panel
from conftest import DATA, LUKASHENKO_PATH


@pytest.fixture
def assistant(corpus_dir, tmp_path, embedder):
    service = Assistant(tmp_path / "index", corpus_dir)
    service.build(progress=False)
    return service


@pytest.mark.parametrize("title, expected", [
    ("Tromsø ferry route suspended", "tromso-ferry-route-suspended"),
    ("../../etc/passwd", "etc-passwd"),
    ("Æ, Ø and Å: «quotes»", "ae-o-and-a-quotes"),
    ("???", "article"),
])
def test_slug_is_a_safe_file_stem(title, expected):
    assert slug(title) == expected


def test_file_name_comes_from_the_title_never_the_upload_name(corpus_dir):
    data = (DATA / "trondheim-bicycle-garage.md").read_bytes()
    name, article = prepare(data, "../../../etc/cron.d/evil.md", ".md", corpus_dir, lambda *_: [])
    assert name == "trondheim-opens-norway-s-largest-bicycle-garage-under-the-central-station.md"
    assert article.id == name[:-3]
    (corpus_dir / name).write_bytes(b"taken")
    assert prepare(data, "x.md", ".md", corpus_dir, lambda *_: [])[0].endswith("-station-2.md")


@pytest.mark.parametrize("suffix", [".pdf", ".html", ""])
def test_only_text_and_markdown_are_accepted(corpus_dir, suffix):
    with pytest.raises(ArticleError, match="only .txt and .md files"):
        prepare(b"Some title\n\nSome text.", f"upload{suffix}", suffix, corpus_dir, lambda *_: [])


def test_same_text_under_another_name_is_a_duplicate(assistant):
    original = (assistant.corpus_dir / LUKASHENKO_PATH).read_text(encoding="utf-8")
    retyped = original.replace("title: ", "title: Copy of ").replace("’", "'").replace(". ", ".  ")
    with pytest.raises(ArticleError, match="already indexed as “The president of Belarus"):
        assistant.add_article(retyped.encode(), name="retyped.md")


def test_add_then_remove_keeps_index_and_corpus_in_step(assistant):
    before = {a.id for a in assistant.articles()}
    info, report = assistant.add_article(pasted_article_bytes(
        "Trondheim opens a bicycle garage", (DATA / "trondheim-bicycle-garage.md").read_text().split("---", 2)[2],
        outlet="Test Fixture News", published="2026-10-14"))
    assert report.added == (info.path,) and report.passages_embedded == info.passages >= 1
    assert (info.published, info.outlet) == (dt.date(2026, 10, 14), "Test Fixture News")
    assert assistant.retrieve("How many bicycles fit in the Trondheim garage?", 1)[0].article_id == info.id

    removed, report = assistant.remove_article(info.id)
    assert removed == info and report.removed == (info.path,)
    assert {a.id for a in assistant.articles()} == before
    assert not (assistant.corpus_dir / info.path).exists()


def test_bad_dates_and_unknown_ids_are_refused_without_changes(assistant):
    generation = json.loads((assistant.index_dir / "manifest.json").read_text())["generation"]
    files = sorted(p.name for p in assistant.corpus_dir.iterdir())
    with pytest.raises(ArticleError, match="YYYY-MM-DD"):
        assistant.add_article(pasted_article_bytes("Title", "Text of it.", published="last Tuesday"))
    with pytest.raises(ArticleError, match="not in the index"):
        assistant.remove_article("no-such-article")
    assert sorted(p.name for p in assistant.corpus_dir.iterdir()) == files
    assert json.loads((assistant.index_dir / "manifest.json").read_text())["generation"] == generation


def test_the_last_article_cannot_be_removed(assistant):
    first, second = assistant.articles()
    assistant.remove_article(first.id)
    with pytest.raises(ArticleError, match="only article"):
        assistant.remove_article(second.id)


def test_history_from_browser_and_api_messages_skips_sources():
    messages = [
        {"role": "user", "content": [{"type": "text", "text": "Who is Tom Røseth?"}]},
        {"role": "assistant", "content": "Tom Røseth is a professor [1] at the college. [2]", "metadata": None},
        {"role": "assistant", "content": "**[1] Title** …", "metadata": {"title": "Sources (2)"}},
        {"role": "user", "content": "And Hansen?"},
        {"role": "assistant", "content": [{"type": "text", "text": "Hansen is an adviser. [1]"}]},
        {"role": "assistant", "content": {"path": "picture.png"}},
    ]
    assert history_pairs(messages) == [
        ("Who is Tom Røseth?", "Tom Røseth is a professor at the college."),
        ("And Hansen?", "Hansen is an adviser."),
    ]


def test_article_text_cannot_inject_markup(seed_index):
    assert escape_markdown("<img src=x onerror=alert(1)> *bold* [1]") == \
        "&lt;img src=x onerror=alert\\(1\\)&gt; \\*bold\\* [1]"
    from dataclasses import replace

    service = Assistant(seed_index)
    answer = service.ask("Why might Lukashenko deviate from Moscow?")
    hit = replace(answer.citations[0].hit, url="javascript:alert(1)")
    panel = sources_panel(replace(answer, citations=(replace(answer.citations[0], hit=hit),)))
    assert "javascript:" not in panel and "<mark>" in panel
