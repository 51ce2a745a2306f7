"""English news quotes ('"…," Walesa said.'): their speaker, how an answer shows them, and
"What did X say about Y?" answered from them. Sentences are Reuters', as in bench/data/reuters."""
import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def test_a_topic_named_right_after_the_person_is_still_the_topic():
    """"What does Lech Walesa say about Reform?": the topic is Reform, though only
    function words part it from his name (they once ran together into one name and were dropped,
    so no sentence was on the topic and the person's likeliest words led instead)."""
    _, found = _walesa()
    quote = next(c for c in found if c.index == 1)
    assert selection._on_topic(quote, "Walesa", "What does Lech Walesa say about Reform?")
    assert not selection._on_topic(quote, "Walesa", "What does Lech Walesa say about Gdansk?")


# A passage as Reuters writes it: plain sentences, and quotes that run over one to four sentences.
BLOCKS = st.lists(st.one_of(st.just(0), st.integers(1, 4)), min_size=1, max_size=5)


def _passage(blocks: list[int]) -> tuple[list[str], list[bool]]:
    """The sentences of `blocks` (0: a plain sentence, n: a quote over n sentences) and, per sentence,
    whether it belongs to a quote over more than one sentence."""
    sentences, multi = [], []
    for n in blocks:
        if n == 0:
            sentences.append("Lech Walesa spoke to a crowd of supporters in the port of Gdansk.")
        elif n == 1:
            sentences.append('"We are against price rises as the only sign of reform," Walesa said.')
        else:
            sentences += ['"We are for reforms.', *["We favour the reforms now under way in Moscow."] * (n - 2),
                          'But we are not in favour of make-believe reforms," he said.']
        multi += [n > 1] * max(1, n)
    return sentences, multi


@settings(max_examples=60, deadline=None)
@given(BLOCKS, st.data())
def test_a_quote_over_several_sentences_is_shown_whole_whichever_sentence_is_chosen(blocks, data):
    sentences, multi = _passage(blocks)
    hits = [_passage_hit(0, sentences)]
    vectors = [np.eye(len(sentences), 8, dtype=np.float32)]
    found = {(c.rank, c.index): c for c in cands.collect(hits, vectors, np.ones(8, dtype=np.float32), lambda h: None)}
    index = data.draw(st.sampled_from(sorted(i for (_, i) in found)))
    answer = ExtractiveComposer.__new__(ExtractiveComposer)._render("q", "q", hits, [found[(0, index)]], 0.9)
    check_citations(answer)
    text = answer.text
    assert text.count('"') % 2 == 0 and text.count("“") == text.count("”"), text  # no quote left open or half shown
    assert not text.startswith(("But", "I favour", "We favour")), text  # never a quote's middle as narration
    if multi[index]:
        assert text.count("[1]") == 1 and "We are for reforms." in text and "make-believe reforms" in text, text


def test_a_quotes_closing_he_said_names_the_speaker_named_before_it():
    hits = [_passage_hit(0, [f'"{WALESA}', '"I am for reforms.', "I favour the reforms which Gorbachev is carrying out.",
                             'But I am not in favour of make-believe reforms," he said.'])]
    vectors = [np.eye(4, 8, dtype=np.float32)]
    found = {(c.rank, c.index): c for c in cands.collect(hits, vectors, np.ones(8, dtype=np.float32), lambda h: None)}
    answer = ExtractiveComposer.__new__(ExtractiveComposer)._render("q", "q", hits, [found[(0, 2)]], 0.9)
    assert answer.text == ('"I am for reforms. I favour the reforms which Gorbachev is carrying out. But I am not in '
                           'favour of make-believe reforms," Walesa said. [1]')
    assert quotes.quotation_of(hits[0].text, hits[0].sentences, 0) == []  # a quote within its sentence brings nothing
    assert quotes.quotation_of(hits[0].text, hits[0].sentences, 3) == [1, 2]
    assert quotes.quotation_of(hits[0].text, hits[0].sentences, 3, limit=1) == []  # its opening lies too far back


def test_the_closing_mark_of_a_quote_opened_before_the_passage_opens_nothing():
    hits, _ = _walesa()  # WALESA's opening mark is in the paragraph before the passage
    assert quotes.open_at(hits[0].text, hits[0].sentences) == [False, False, False, False]
    text = 'He heard the song "Hello" twice. "We sing. We dance," she said.'
    assert quotes.open_at(text, [(0, 32), (33, 42), (43, 63)]) == [False, False, True, False]


def test_what_follows_warned_that_is_what_was_said_not_who_said_it():
    sentence = ("Antonio Ortiz Mena, president of the Inter-American Development Bank, warned that if Latin countries "
                "were unable to speed up their economic growth, then in the long run there would be a default.")
    assert quotes.named_speaker(sentence) is None and cands.person_named(sentence) is None  # not "Latin"
    assert quotes.named_speaker("The plan failed, says Belarus expert Arve Hansen to TV 2.") == "Arve Hansen"


def test_a_quote_opening_mid_sentence_is_shown_as_written():
    sentence = ('Senate Budget Chairman Lawton Chiles (D-Fla.) "is obviously having trouble getting a majority to agree '
                'to his budget," Miller said.')
    assert quotes.split_english(sentence) == (sentence, None)
    hits = [_passage_hit(0, [sentence])]
    found = cands.collect(hits, [np.eye(1, 8, dtype=np.float32)], np.ones(8, dtype=np.float32), lambda h: None)
    answer = ExtractiveComposer.__new__(ExtractiveComposer)._render("q", "q", hits, found, 0.9)
    assert answer.text == f"{sentence} [1]"  # not “Senate … Chiles (D-Fla.) "is …,” Miller said.


def test_a_quote_after_a_paragraph_naming_who_doubts_is_theirs():
    before = "However, Hansen doubts that anything particularly concrete will come out of Friday’s meeting."
    quote = "– At the same time, it is what they do that is important to follow, and not what they say, he says."
    assert quotes.speaker(quote, before) == "Hansen"
    # and when nobody is named, "…, he says." is still shown as a quote, never as the article's own words
    words, attribution = quotes.split_attribution(quote)
    assert quotes.quotation([words], None, attribution) == (
        "“At the same time, it is what they do that is important to follow, and not what they say.”")


@pytest.mark.parametrize("sentence, before, speaker", [
    ('Ortiz Mena said, "It is in the interest of the creditors to push forward the development process."', None,
     "Ortiz Mena"),
    ('He added, "The only problem is the resources have not been enough."',
     'Ortiz Mena said, "It is in the interest of the creditors."', "Ortiz Mena"),
    ("Lucky estimates that GM needs to shut two or three more assembly plants.", None, None),  # reported, not quoted
])
def test_a_quote_attributed_before_it_opens(sentence, before, speaker):
    assert quotes.sentence_speaker(sentence, before) == speaker


@pytest.mark.parametrize("lead, follows", [
    ("Another said Conrac might have trouble if it tried to find another buyer.", True),  # "he" is the one reported
    ("One arbitrageur said Conrac might have trouble if it tried to find another buyer.", True),
    ("Hokanson said Conrac might have trouble if it tried to find another buyer.", True),
    ("Conrac might have trouble if it tried to find another buyer.", False),  # nobody is reported: "he" is unknown
])
def test_the_leads_speaker_going_on_in_a_quote_comes_with_it(lead, follows):
    quote = '"It\'s a hodge-podge of non-related businesses," he said.'
    hits = [_passage_hit(0, [lead, quote, "Conrac shares rose 7-7/8 to 29 in active trading today."])]
    found = {c.index: c for c in cands.collect(hits, [np.eye(3, 8, dtype=np.float32)], np.ones(8, dtype=np.float32),
                                               lambda h: None)}
    answer = ExtractiveComposer.__new__(ExtractiveComposer)._render("q", "q", hits, [found[0]], 0.9)
    assert ("hodge-podge" in answer.text) is follows and answer.text.count("[1]") == 1, answer.text
    assert "Another said." not in answer.text and "Another" not in answer.citations[0].speakers  # nobody named
    assert "shares rose" not in answer.text
    later = ExtractiveComposer.__new__(ExtractiveComposer)._render("q", "q", hits, [found[2], found[0]], 0.9)
    assert "hodge-podge" not in later.text  # only the lead brings its speaker's quote


def test_a_quote_handing_over_to_the_next_reads_as_one():
    """ "– …, says Røseth, and continues:" then "– Mistakes …": the clause is the attribution, and
    the next quote follows its colon (it was shown as Røseth: “…, says Røseth, and continues:”)."""
    first = ("– Prigozhin showed the weaknesses of the Putin regime, and this terror shows that the regime has more "
             "challenges with security than they admit, says Røseth, and continues:")
    second = "– Mistakes have probably been made and they have downplayed the threat of terrorism."
    assert quotes.split_attribution(first)[1] == "says Røseth, and continues:"
    text = first + "\n\n" + second
    hit = dataclasses.replace(_passage_hit(0, [first, second]), text=text, sentences=((0, len(first)), (len(first) + 2, len(text))))
    found = cands.collect([hit], [np.eye(2, 8, dtype=np.float32)], np.ones(8, dtype=np.float32), lambda h: None)
    assert found[0].lead_in
    answer = ExtractiveComposer.__new__(ExtractiveComposer)._render("q", "q", [hit], [found[0]], 0.9)
    assert answer.text == ("“Prigozhin showed the weaknesses of the Putin regime, and this terror shows that the regime "
                           "has more challenges with security than they admit,” says Røseth, and continues: “Mistakes "
                           "have probably been made and they have downplayed the threat of terrorism.” [1]"), answer.text


@pytest.mark.parametrize("sentence", [
    "An estimated 65 pct of the arsenal is still Soviet-made, one official said.",  # Reuters: was attributed to "An"
    "When asked if the storage program was taking up barge space, officials said no.",  # was "When"
    "Is expected to intervene in the market, political sources said.",  # was "Is"
])
def test_a_word_capitalised_by_opening_a_sentence_is_no_speaker(sentence):
    assert quotes.sentence_speaker(sentence, None) is None and quotes.named_speaker(sentence) is None


def test_a_dash_quote_nobody_is_named_for_keeps_its_quote_marks():
    sentence = "– When they say something, I always start to fear the opposite."
    hits = [_passage_hit(0, [sentence])]
    found = cands.collect(hits, [np.eye(1, 8, dtype=np.float32)], np.ones(8, dtype=np.float32), lambda h: None)
    answer = ExtractiveComposer.__new__(ExtractiveComposer)._render("q", "q", hits, found, 0.9)
    assert answer.text == "“When they say something, I always start to fear the opposite.” [1]"
