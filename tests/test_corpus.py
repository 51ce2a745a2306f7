import datetime as dt
import pytest

from assistant.ingest.corpus import article_id, load_corpus, parse_article
from assistant.errors import ArticleError, CorpusError
from conftest import CORPUS, LUKASHENKO_PATH, MEETING_PATH


def test_bundled_corpus_loads_with_front_matter():
    articles, errors = load_corpus(CORPUS)
    assert errors == []
    by_path = {a.path: a for a in articles}
    lukashenko = by_path[LUKASHENKO_PATH]
    assert lukashenko.title == "The president of Belarus is causing trouble for Putin"
    assert lukashenko.outlet == "ITavisen"
    assert lukashenko.id == "president-of-belarus-causing-trouble-for-putin"
    assert by_path[MEETING_PATH].outlet == "TV 2 via California18"
    for article in articles:
        for start, end in article.paragraphs:
            assert article.text[start:end].strip() == article.text[start:end] != ""


def test_txt_title_is_first_line_when_it_reads_like_a_headline():
    article = parse_article(b"Storm hits the coast\n\nWinds of 120 km/h were measured on Monday.", "news/storm.txt")
    assert article.title == "Storm hits the coast"
    assert article.text == "Winds of 120 km/h were measured on Monday."
    assert article.id == "news/storm"


def test_txt_title_derived_from_first_sentence_otherwise():
    text = b"The central bank raised its key rate by half a point on Thursday to fight inflation. Markets fell."
    article = parse_article(text, "rates.txt")
    assert article.title == "The central bank raised its key rate by half a point on…"
    assert article.text.startswith("The central bank raised")


def test_markdown_without_front_matter_uses_heading():
    article = parse_article("# Ferry strike ends\n\nThe ferries run again from Friday.\n".encode(), "ferry.md")
    assert (article.title, article.text, article.outlet) == ("Ferry strike ends", "The ferries run again from Friday.", None)


def test_front_matter_fields_and_dates():
    data = "---\ntitle: Budget day\noutlet: NRK\npublished: 2024-03-26\nurl: https://example.org/a\n---\nThe budget passed.\n"
    article = parse_article(data.encode(), "budget.md")
    assert (article.title, article.outlet, article.published, article.url) == ("Budget day", "NRK", dt.date(2024, 3, 26), "https://example.org/a")


def test_latin1_file_is_decoded():
    article = parse_article("Røseth says the border is open.\n\nThe talks go on in Tromsø.".encode("latin-1"), "latin.txt")
    assert "Røseth" in article.text + article.title


@pytest.mark.parametrize("data,reason", [
    (b"", "empty"),
    (b"   \n\n  ", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    (bytes(range(0x80, 0xA0)) * 20, "neither UTF-8 nor Latin-1"),
    (b"---\ntitle: [unclosed\n---\nText.", "broken front matter"),
    (b"---\npublished: last week\n---\nText here.", "YYYY-MM-DD"),
    (b"Photo: AP / NTB\n\nView more\n\nTags: x", "no article text"),
])
def test_bad_input_names_the_file(data, reason):
    with pytest.raises(ArticleError) as info:
        parse_article(data, "bad/file.md")
    assert "bad/file.md" in str(info.value) and reason in str(info.value)


def test_huge_file_is_refused_without_reading_it(tmp_path):
    (tmp_path / "huge.txt").write_bytes(b"Word. " * (50 * 1024 * 1024 // 6))
    (tmp_path / "fine.txt").write_text("Fine title\n\nA fine article about ferries.")
    articles, errors = load_corpus(tmp_path)
    assert [a.path for a in articles] == ["fine.txt"]
    assert len(errors) == 1 and errors[0].path == "huge.txt" and "MB" in errors[0].reason


def test_missing_or_empty_corpus_is_a_clear_error(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus(tmp_path / "missing")
    (tmp_path / ".hidden.md").write_text("x")
    with pytest.raises(CorpusError, match="no articles"):
        load_corpus(tmp_path)


def test_ids_are_stable_and_collisions_reported(tmp_path):
    assert article_id("World/Belarus Talks.md") == "world/belarus-talks"
    (tmp_path / "a.md").write_text("First article text.")
    (tmp_path / "a.txt").write_text("Second article text.")
    articles, errors = load_corpus(tmp_path)
    assert len(articles) == 1 and "same id" in errors[0].reason
