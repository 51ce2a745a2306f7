"""Names spelt otherwise than the articles spell them: respelt from the retrieved passages."""
import pytest

from assistant import Assistant, ask
from assistant.answer import spelling

TEXT = ("– It is exciting, says head teacher in intelligence at the Norwegian Defense Academy, Tom Røseth. "
        "Belarusian President Aleksandr Lukashenko claims that the terrorists fled. Better days, said Norman Stone.")


@pytest.mark.parametrize("question, asked", [
    ("Who is Tom Roseth?", "Who is Tom Røseth?"),  # marks aside, the same letters
    ("What did Lukaschenko claim?", "What did Lukashenko claim?"),  # two edits from nine letters
    ("What is Roseth's view?", "What is Røseth's view?"),
    ("What did Begter say?", "What did Begter say?"),  # "Better" opens a sentence: not a name
    ("Where is Nortmann?", "Where is Nortmann?"),  # "Norman" is two edits away, and eight letters allow one
    ("What did Stone say?", "What did Stone say?"),  # spelt right
])
def test_respell_takes_the_nearest_name_of_the_passages(question, asked):
    wrong = [w for w in ("Roseth", "Lukaschenko", "Begter", "Nortmann") if w in question]
    assert spelling.respell(question, wrong, [TEXT]) == asked


def test_a_misspelt_name_is_asked_as_the_articles_spell_it(seed_index):
    answer = ask("Who is Tom Roseth?", index_dir=seed_index)
    assert answer.query == "Who is Tom Røseth?" and not answer.abstained
    assert "head teacher in intelligence at the Norwegian Defense Academy" in answer.text
    assistant = Assistant(seed_index)
    assert spelling.misspelt("Why might Lukaschenko deviate from Moscow?", assistant.searcher()) == ["Lukaschenko"]
    follow = assistant.ask("Why might Lukaschenko deviate from Moscow?")
    assert follow.query == "Why might Lukashenko deviate from Moscow?" and "opinion support" in follow.text


def test_a_name_no_article_has_nor_resembles_stays_missing(seed_index):
    answer = ask("What did Zelensky say about the Friday meeting?", index_dir=seed_index)
    assert answer.abstained and answer.query == "What did Zelensky say about the Friday meeting?"


def test_a_question_typed_in_lower_case_gets_the_articles_capitals():
    texts = ["Belarus’s Lukashenko will meet Putin in Moscow, and Hansen says Moscow wants more. The war goes on.",
             "Later Lukashenko said the war was far away. These days, he said. These plans failed."]
    assert spelling.lower_case("why might lukashenko deviate from moscow?")
    assert not spelling.lower_case("Why might Lukashenko deviate from Moscow?")
    assert spelling.truecase("why might lukashenko deviate from moscow's line in the war?", texts) == (
        "why might Lukashenko deviate from Moscow's line in the war?")  # "war" is written in lower case
    assert spelling.truecase("what does hansen say about these plans?", texts) == (
        "what does hansen say about these plans?")  # "Hansen" seen once; "These" a stop word


def test_a_lower_case_question_about_a_person_is_answered_with_their_words(seed_index):
    answer = ask("what does hansen think will happen at the meeting?", index_dir=seed_index)
    assert answer.query == "what does Hansen think will happen at the meeting?" and not answer.abstained
    assert "Hansen" in answer.citations[0].speakers or answer.text.startswith("Hansen"), answer.text
