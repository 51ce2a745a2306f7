"""One contract for every composer in answer.COMPOSERS, as txtai runs one suite over its ANN
backends: what any composer returns is numbered, cited and honest, whatever it is."""
from __future__ import annotations

import re

import pytest

from assistant import Assistant, InputError
from assistant.answer import COMPOSERS, ABSTAIN_TEXT
from assistant.answer.repair import Repaired, repair
from assistant.settings import AnswerSettings
from assistant.store.base import date_filter
from test_answer import check_citations

QUESTIONS = ["Why might Lukashenko deviate from Moscow?", "Who is Tom Røseth?", "Who claimed responsibility for the attack?",
             "When will Lukashenko and Putin meet?", "What is the name of Lukashenko's wife?",
             "How many people were killed at the concert hall?", "what does hansen think will happen at the meeting?"]


@pytest.fixture(params=sorted(COMPOSERS))
def composer_name(request):
    return request.param


def _check(answer):
    check_citations(answer)
    assert answer.text.strip() and 0.0 <= answer.confidence <= 1.0
    if answer.abstained:
        assert not answer.citations and not answer.short_answer
        assert answer.text == ABSTAIN_TEXT or answer.text.startswith("The articles don't say ")
        return
    assert answer.citations and all(re.search(rf"\[{c.number}\]", answer.text) for c in answer.citations)
    short = answer.short_answer
    if short:  # inside a cited sentence of the citation it names, exactly the passage's characters
        citation = next(c for c in answer.citations if c.number == short.number)
        assert citation.hit.text[short.start:short.end] == short.text
        assert any(s <= short.start < short.end <= e for s, e in citation.spans)


def test_every_composer_keeps_the_contract(seed_index, composer_name):
    assistant = Assistant(seed_index, settings=AnswerSettings(composer=composer_name))
    composer = assistant.composer()
    answered = 0
    for question in QUESTIONS:
        answer = composer.compose(question, repair(assistant.searcher(), question))
        _check(answer)
        answered += not answer.abstained
    assert answered >= 3
    nothing = date_filter("1990-01-01", "1990-12-31")  # the seeds state no date: nothing is admitted
    declined = composer.compose(QUESTIONS[0], Repaired(QUESTIONS[0], None), nothing)
    _check(declined)
    assert declined.abstained


def test_a_composer_is_chosen_by_name(seed_index):
    with pytest.raises(InputError, match="composer: 'generative' is not one of extractive"):
        Assistant(seed_index, settings=AnswerSettings(composer="generative"))


def test_the_settings_margin_decides_whether_a_short_answer_leads(seed_index):
    """AnswerSettings.short_margin overrides the fitted one: far above any span, no short answer;
    far below, the lead's best span is shown. The answer's sentences stay the same either way."""
    question = "When will Lukashenko and Putin meet?"
    strict, lenient = (Assistant(seed_index, settings=AnswerSettings(short_margin=m)) for m in (1e6, -1e6))
    shown, hidden = lenient.ask(question), strict.ask(question)
    assert not shown.abstained and shown.short_answer and shown.short_answer.text.strip()
    assert hidden.short_answer is None
    assert hidden.text == shown.text and hidden.citations == shown.citations


def test_a_why_question_gets_a_short_answer_only_at_its_own_margin(seed_index):
    """Held out, the span reader's few words answer SQuAD's why-questions at F1 0.47, below the bar
    at every margin, so the fitted reader shows none for them (a reason is no span: the card
    question's best span is "Kremlin’s line"); AnswerSettings.short_margin_why overrides it."""
    question = "Why might Lukashenko deviate from Moscow?"
    fitted = Assistant(seed_index).ask(question)
    lenient = Assistant(seed_index, settings=AnswerSettings(short_margin_why=-1e6)).ask(question)
    assert not fitted.abstained and fitted.short_answer is None
    assert lenient.short_answer and lenient.text == fitted.text
    other = Assistant(seed_index, settings=AnswerSettings(short_margin_why=1e6, short_margin=-1e6))
    assert other.ask("When will Lukashenko and Putin meet?").short_answer  # only why-questions
