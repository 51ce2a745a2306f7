"""English news quotes ('"…," Walesa said.'): their speaker, how an answer shows them, and
"What did X say about Y?" answered from them. Sentences are Reuters', as in bench/data/reuters."""
import numpy as np
import pytest

from assistant.answer import ExtractiveComposer, quotes, selection
from assistant.answer import candidates as cands
from test_answer import _passage_hit, check_citations

WALESA = 'I am against price rises as being the only sign of reform," Walesa said.'


@pytest.mark.parametrize("sentence, before, speaker", [
    (WALESA, None, "Walesa"),  # the opening mark was in the paragraph before
    ('"I\'m telling retail clients to sell and leave the rest for those who can take the risk," said Rudolph '
     'Hokanson, analyst at Milwaukee Co.', None, "Rudolph Hokanson"),
    ('"They should be cutting a lot more than they are," Shearson Lehman analyst Michael Lucky said.', None,
     "Michael Lucky"),
    ('"We have talked to a number of our major suppliers," Imperial\'s manager of western crude supply Gary Strong said.',
     None, "Gary Strong"),
    ('"We have to know what they have," he said.', "Imperial wants to match supply against demand, Strong said.",
     "Strong"),  # "he": the person the sentence before names
    ('"They\'re not beginners," he said.', '"The offer is inadequate," the second arbitrageur said.', None),
    ('"It\'s a case of ChemLawn euphoria," said one arbitrageur, referring to a recent hostile tender.', None, None),
    ('The trade paper, citing "sources both within GM and on the outside," said GM plans to build 1,042,708 cars in '
     'the quarter, a nine pct reduction from its earlier estimate.', None, None),  # a report, not an attribution
    ("Solidarity leader Lech Walesa condemned the increases in front of a crowd in Gdansk.", None, None),
])
def test_the_speaker_of_an_english_quote(sentence, before, speaker):
    assert quotes.sentence_speaker(sentence, before) == speaker


def test_an_english_quote_splits_into_words_and_attribution():
    assert quotes.split_english(WALESA) == ("I am against price rises as being the only sign of reform", "Walesa said")
    assert quotes.split_english("No quote here.") == ("No quote here.", None)


def _walesa():
    hits = [_passage_hit(0, ["Solidarity leader Lech Walesa condemned the increases in front of a crowd in Gdansk.",
                             WALESA, "The government said the rises were needed to balance the market."])]
    vectors = [np.eye(8, dtype=np.float32)[:3]]
    found = cands.collect(hits, vectors, np.ones(8, dtype=np.float32), lambda h: None)
    return hits, found


def test_an_english_quote_is_shown_in_the_answers_quote_style_and_names_its_speaker():
    hits, found = _walesa()
    quote = next(c for c in found if c.index == 1)
    assert quote.speaker == "Walesa"
    answer = ExtractiveComposer.__new__(ExtractiveComposer)._render("q", "q", hits, [quote], 0.9)
    assert answer.text == "“I am against price rises as being the only sign of reform,” Walesa said. [1]"
    assert answer.citations[0].speakers == ("Walesa",)
    check_citations(answer)


@pytest.mark.parametrize("question, answers", [
    ("What did Walesa say about the price rises?", True),
    ("What did Walesa say about the weather in Gdansk?", False),  # his words are on something else
    ("What did Jaruzelski say about the price rises?", False),  # someone else's words
])
def test_what_x_said_about_y_is_answered_from_xs_own_words(question, answers):
    _, found = _walesa()
    probabilities = np.array([0.2 if c.index == 1 else 0.1 for c in found])
    assert selection.own_words(found, probabilities, question) is answers
