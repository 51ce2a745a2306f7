"""What a decline says: the fixed reply when the articles are about something else, and what they
do not say when they speak of the question's topic (answer/phrasing.py)."""
from __future__ import annotations

import pytest

from assistant import ABSTAIN_TEXT
from assistant.answer.base import declined
from assistant.answer.phrasing import indirect
from assistant.types import Hit


@pytest.mark.parametrize("question, clause", [
    ("What is the population of Belarus?", "what the population of Belarus is"),
    ("Who is Tom Røseth?", "who Tom Røseth is"),
    ("What is the border like?", "what the border is like"),
    ("Why was the meeting called off?", "why the meeting was called off"),
    ("Where is the summit being held?", "where the summit is being held"),
    ("What is the price of oil expected to be?", "what the price of oil is expected to be"),
    # "this" and "that" alone are the subject; an irregular participle ends the clause too
    ("Where was this reported?", "where this was reported"),
    ("How was this done?", "how this was done"),
    ("Where were these found?", "where these were found"),
    ("When was the deal made?", "when the deal was made"),
    ("What is this plan?", "what this plan is"),
    # who or what as the subject keeps the order; a closing "worth"; an aside after a comma stays last
    ("Who is standing in as chief executive?", "who is standing in as chief executive"),
    ("What is behind the rush into premium fuel?", "what is behind the rush into premium fuel"),
    ("What is the airline deal worth?", "what the airline deal is worth"),
    ("Why was Squibb a good partner, according to Fildes?", "why Squibb was a good partner, according to Fildes"),
    ("Why is it hard to attract companies to the area?", "why it is hard to attract companies to the area"),
    ("Who claimed responsibility for the attack?", "who claimed responsibility for the attack"),
    ("How many people died in the attack?", "how many people died in the attack"),
    ("What happened at the concert hall?", "what happened at the concert hall"),
    # do-support with a verb of saying or thinking, whose forms are known
    ("What did Zelensky say about the Friday meeting?", "what Zelensky said about the Friday meeting"),
    ("How does Hansen see the meeting?", "how Hansen sees the meeting"),
    ("What do the experts think will happen?", "what the experts think will happen"),
    ("What did the ISW report say about the escape route?", "what the ISW report said about the escape route"),
    ("What did the plan propose?", "what the plan proposed"),
    ("What did Russian media report?", "what Russian media reported"),
    ("What did Hansen say he would do?", "what Hansen said he would do"),
    # ... or with a verb of what happened
    ("When did the attack happen?", "when the attack happened"),
    ("When did Putin arrive in Minsk?", "when Putin arrived in Minsk"),
    ("Where did the meeting take place?", "where the meeting took place"),
    ("How much did the new plant cost?", "how much the new plant cost"),
    ("Why does the union fear the cuts?", "why the union fears the cuts"),
    ("How did the market react to the price rise?", "how the market reacted to the price rise"),
    # any verb after "do" or a modal, and yes/no questions, turned with lemminflect's word forms
    ("When did Putin land in Minsk?", "when Putin landed in Minsk"),
    ("How much will the payment cost?", "how much the payment will cost"),
    ("Is Belarus complicit?", "whether Belarus is complicit"),
    ("Did Putin say anything?", "whether Putin said anything"),
    ("What does the council recommend the city government do?", "what the council recommends the city government do"),
    ("How many troops does Belarus have?", "how many troops Belarus has"),
    ("How many people did Belarus send to fight in Ukraine?", "how many people Belarus sent to fight in Ukraine"),
    ("When will the new factory open?", "when the new factory will open"),
    ("When did the oil price fall?", "when the oil price fell"),
    ("What kind of aid did Belarus send?", "what kind of aid Belarus sent"),
    ("What has Lukashenko done since?", "what Lukashenko has done since"),
    # who or what as the subject of a passive keeps the order: never "what known is about"
    ("What is known about the escape route?", "what is known about the escape route"),
    ("What was said about the cuts?", "what was said about the cuts"),
    ("What has happened since?", "what has happened since"),
    ("What did the head of the central bank say?", "what the head of the central bank said"),
    # no auxiliary: the question word is the subject, even where the verb can be a noun too
    ("Which companies left Belarus?", "which companies left Belarus"),
    ("How many workers lost their jobs?", "how many workers lost their jobs"),
])
def test_a_question_becomes_the_clause_a_decline_names(question, clause):
    assert indirect(question) == clause


@pytest.mark.parametrize("question", ["Tell me about the salary of Lukashenko", "Is the border open?", "Belarus?",
                                      "Anything new on the escape route?"])
def test_what_cannot_be_turned_is_neither_quoted_nor_guessed(question):
    assert indirect(question) is None
    text = declined(question, "q", [_hit()], 0.1, covered=True).text
    assert text.startswith("The articles don't answer this question, though they speak of its topic. Closest: ")
    assert question not in text


def _hit() -> Hit:
    return Hit(1, "The population is not a supporter of the war.", 0.5, "a", "The president of Belarus is causing "
               "trouble for Putin", "ITavisen", None, "a.md", None, (19, 23), 0, 40, ((0, 40),))


def test_a_decline_says_what_the_articles_do_not_say_only_when_they_cover_the_topic():
    covered = declined("What is the population of Belarus?", "q", [_hit()], 0.1, covered=True)
    assert covered.text == ("The articles don't say what the population of Belarus is. Closest: The president of "
                            "Belarus is causing trouble for Putin — ITavisen (¶20–23).")
    assert covered.abstained and covered.covered and not covered.citations
    elsewhere = declined("What is the capital of Australia?", "q", [_hit()], 0.1, covered=False)
    assert elsewhere.text == ABSTAIN_TEXT and elsewhere.abstained and not elsewhere.covered
    assert declined("Anything?", "q", [], 0.0, covered=True).text == ABSTAIN_TEXT  # nothing close: nothing to name


def test_the_readme_decline_is_what_the_seeds_give(seed_index):
    """The README's examples of a decline, through the real models on the seed articles."""
    from assistant import ask

    hedged = ask("What is Lukashenko's salary?", index_dir=seed_index)
    assert hedged.abstained and hedged.covered
    assert hedged.text.startswith("The articles don't say what Lukashenko's salary is. Closest: ")
    off_topic = ask("Who won the football match?", index_dir=seed_index)
    assert off_topic.abstained and not off_topic.covered and off_topic.text == ABSTAIN_TEXT
