import re

import pytest

from assistant.ingest.cleaning import clean_paragraphs, is_cruft_line, remove_tooltips
from conftest import raw_seed


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("seed", ["000", "001"])
def test_seed_cruft_is_removed(seed):
    cleaned = "\n\n".join(clean_paragraphs(raw_seed(seed)))
    for cruft in ("Photo:", "View more", "Tags:", "NEXT ", "Welcome to", "Leave a Reply", "Also read", "<-", "California18"):
        assert cruft not in cleaned, cruft
    assert not re.search(r"^-+$", cleaned, re.M)


@pytest.mark.parametrize("seed", ["000", "001"])
def test_no_sentence_of_the_article_is_dropped(seed):
    cleaned = _norm(" ".join(clean_paragraphs(raw_seed(seed))))
    boilerplate = "Welcome to California18"
    checked = 0
    for paragraph in raw_seed(seed).split("\n\n"):
        paragraph = remove_tooltips(_norm(paragraph))
        # sentences: long enough and ending like one; captions end in a credit, not punctuation
        if len(paragraph.split()) >= 6 and paragraph[-1] in ".!?”\"" and not paragraph.startswith(boilerplate):
            assert paragraph in cleaned, paragraph
            checked += 1
    assert checked >= 25


def test_captions_scraped_twice_are_kept_once_without_credit():
    paragraphs = clean_paragraphs(raw_seed("001"))
    border = [p for p in paragraphs if p.startswith("BORDER CONTROL")]
    assert border == ["BORDER CONTROL: Belarus shares a border with both Russia and Ukraine. The picture is from the border with Ukraine, in the Brest region."]


def test_rules_are_general():
    body = """Headline text here

Next, the minister said the plan would work.

NEXT Another story – Some Site

Photo: JANE DOE / REUTERS

The minister spoke in Oslo. Photo: JANE DOE / REUTERS

Read more

Related: Ten things about budgets

Tags: budget, Oslo

A paragraph.

A paragraph.

© 2024 Example Media. All rights reserved.

ExampleSite"""
    assert clean_paragraphs(body) == [
        "Headline text here",
        "Next, the minister said the plan would work.",
        "The minister spoke in Oslo.",
        "A paragraph.",
    ]


@pytest.mark.parametrize("line,cruft", [
    ("View more", True), ("Share this article", True), ("--", True), ("Also read: The Moscow terror", True),
    ("Next week the talks resume.", False), ("Photographs were taken: many.", False), ("Tagging along, he left.", False),
])
def test_cruft_lines(line, cruft):
    assert is_cruft_line(line) is cruft


def test_quote_and_bullet_lines_start_paragraphs():
    assert clean_paragraphs("Intro line.\n• first point.\n• second point.\n– A quote, he says.") == [
        "Intro line.", "• first point.", "• second point.", "– A quote, he says."]


def test_glossary_tooltips_are_cut_from_the_seed():
    cleaned = " ".join(clean_paragraphs(raw_seed("000")))
    for fixed in ("The think tank The Institute for the Study of War", "undermines Kremlin’s version of the escape route",
                  "ISKP have claimed responsibility", "introduced sanctions against Belarus",
                  "former Soviet republic Tajikistan.", "deprives Putin of Ukraine-the narrative around the terrorist operation"):
        assert fixed in cleaned, fixed
    for definition in ("An organization that conducts research", "also used as a term for", "Punitive measures",
                       "among the poorest", "A narrative or a way"):
        assert definition not in cleaned, definition


@pytest.mark.parametrize("text", [
    "He bought an iPhone at McDonald's. Then he left.", "Use e.g. the tool today.", "YouTube is big. The site grows.",
    "Visit example.com today.", "The Chief Executive said growth was slow.",
    # an acronym ending in "A" before a lower-case word is no glued "A" (Reuters, SQuAD: these sentences were lost)
    "Last December TAZARA carried 36,000 tonnes of Zambian mineral ore, the line's record, he added. Copper rose.",
    "NASA announced the selection of the crew. The USDA noted that 1.2 mln acres were signed up.",
    # an abbreviation's period before a lower-case word is no glued end; nor is a web address, nor "SpA"
    "Former chairman John Smith Jr. said the company, Acme Co. and its unit agreed. Sales fell in the qtr. to March.",
    "She now earns most on TeachersPayTeachers.com, a site for lessons.",
    "Montedison SpA taken a 67 pct stake in the seed cotton mill, sources said. Shares rose.",
])
def test_tooltip_rule_leaves_ordinary_text_alone(text):
    assert remove_tooltips(text) == text


def test_a_title_tooltip_glued_to_the_next_word_is_cut():
    cleaned = " ".join(clean_paragraphs(raw_seed("000")))
    assert "Putinhas" not in cleaned and "Putin has gone so far as to say" in cleaned
    assert remove_tooltips("Smith Jane Ann Smithson said so.") == "Smith Jane Ann Smithson said so."  # a name, not a tooltip
    assert remove_tooltips("Putin met Putin in Minsk.") == "Putin met Putin in Minsk."
