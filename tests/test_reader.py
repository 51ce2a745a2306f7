"""The learned reader and the answer text it leads to: parameters checked on load, fragment
rules as properties, who-is answers, person follow-ups, declining what the seeds lack."""
from __future__ import annotations

import dataclasses
import json
import re
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant import Assistant, ask
from assistant.answer import candidates as cands
from assistant.answer import features, models, reader, selection
from assistant.answer.span_reader import Reading, Span
from assistant.errors import ModelError
from assistant.settings import AnswerSettings

DANGLING = re.compile(r"^(however|but|he|she|they|this)\b", re.I)


def test_the_shipped_reader_loads_and_its_format_is_checked(tmp_path):
    shipped = reader.load_reader()
    assert 0 < shipped.threshold < 1 and shipped.ranker.coef.shape == (len(features.FEATURES),)
    for part, names in reader._PARTS:  # linear or trees, each part reads rows of its features
        assert getattr(shipped, part).logits(np.zeros((2, len(names)))).shape == (2,)
    assert shipped.info["by"] == "article" and "held_out" in shipped.info and shipped.read_passages >= 1
    params = json.loads(reader.READER_FILE.read_text(encoding="utf-8"))
    assert reader.params_of(shipped) == params
    ranker, combiner, abstainer = params["ranker"], params["combiner"], params["abstainer"]
    for change, message in (({"version": 99}, "version 99"), ({"format": "pickle"}, "re-fit"),
                            ({"ranker": {**ranker, "features": ["similarity"]}}, "ranker was fitted on other features"),
                            ({"combiner": {**combiner, "features": ["cross_logit"]}}, "combiner was fitted on other"),
                            ({"combiner": {**combiner, "kind": "forest"}}, "unknown kind"),
                            ({"read_passages": 0}, "read_passages 0"), ({"read_passages": "3"}, "read_passages '3'"),
                            ({"abstainer": {**abstainer, "coef": [0.0]}}, "damaged"),
                            ({"abstainer": {**abstainer, "scale": [0.0] * len(abstainer["scale"])}}, "not positive"),
                            ({"ranker": {**ranker, "mean": [float("nan")] * len(ranker["mean"])}}, "not finite"),
                            ({"coverage": None}, "damaged"), ({"threshold": 1.5}, "outside"),
                            ({"short_margin": float("nan")}, "short_margin not finite"), ({"short_margin": "x"}, "damaged"),
                            ({"short_margin_why": float("nan")}, "neither a number nor null"),
                            ({"short_margin_why": "x"}, "damaged"),
                            ({"threshold": None}, "damaged")):
        with pytest.raises(ModelError, match=message):
            reader.reader_from({**params, **change}, "reader.json")
    never = reader.reader_from({**params, "short_margin_why": None}, "reader.json")
    assert never.short_margin_why == float("inf") and reader.params_of(never)["short_margin_why"] is None
    assert reader.reader_from({**params, "short_margin_why": 2.0}, "reader.json").short_margin_why == 2.0
    broken = tmp_path / "reader.json"
    broken.write_text(reader.READER_FILE.read_text(encoding="utf-8")[:100], encoding="utf-8")
    with pytest.raises(ModelError, match="Cannot read"):
        reader.load_reader(broken)


LABEL = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ ", min_size=3, max_size=20).filter(lambda s: s.strip() and s[0] != " ")
WORDS = st.lists(st.sampled_from(["the", "minister", "said", "prices", "rose", "in", "March", "Belarus"]), min_size=4, max_size=12)


@given(LABEL, WORDS)
def test_caption_labels_never_open_what_an_answer_shows(label, words):
    sentence = f"{label}: {' '.join(words).capitalize()}."
    shown = cands.display_text(sentence)
    assert not shown.startswith(label + ":") and shown.endswith(".")


@given(WORDS, st.sampled_from(["?", ":", ""]))
def test_questions_headings_and_scraps_are_never_candidates(words, end):
    sentence = " ".join(words).capitalize() + end
    if end == "?" or end == "":
        assert cands.is_fragment(sentence)
    assert cands.is_fragment("Photo: " + sentence)
    assert cands.is_fragment(" ".join(words[:3]) + ".")


def test_a_reported_question_is_no_answer_but_a_sentence_about_asking_is():
    assert cands.is_fragment("What opportunities would those accused of terrorism have had to escape via Ukraine, asks Røseth.")
    assert cands.is_fragment("“Where is all the money going now?” asked the finance minister.")
    assert cands.is_fragment("Is the border with Belarus guarded at all, the reporter asked.")
    assert not cands.is_fragment("He asked the court to dismiss the case before the trial.")
    assert not cands.is_fragment("The company, which asked for a delay, said it would appeal.")


@given(st.sampled_from(["However,", "But", "however,"]), WORDS)
def test_an_opening_however_or_but_is_dropped(connective, words):
    shown = cands.display_text(f"{connective} {' '.join(words)}.")
    assert not DANGLING.match(shown) or shown.lower().startswith(("he ", "she ", "they ", "this "))


QUESTIONS = [
    "Why might Lukashenko deviate from Moscow?", "Who is Tom Røseth?", "Who is Arve Hansen?",
    "What happened at the concert hall?", "Where did the attack take place?", "Why would IS attack Russia?",
    "What does Hansen believe about Lukashenko and Putin?", "What did Lukashenko say on Thursday?",
    "Is Belarus complicit in the war?", "What is Godzimirski's view of Lukashenko?",
    "How many people were arrested?", "What did Putin say about the attack?",
]


def _pieces(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\s*\[\d+\]\s*", text) if p.strip()]


@pytest.mark.parametrize("question", QUESTIONS)
def test_answers_hold_no_fragments(seed_index, question):
    answer = ask(question, index_dir=seed_index)
    for piece in _pieces(answer.text) if not answer.abstained else []:
        assert not piece.endswith(("?", ":")), piece
        assert not re.match(r"^[A-ZÆØÅ][A-ZÆØÅ ]{2,}:", piece), piece
        assert not DANGLING.match(piece.lstrip("“")), piece
        assert "Putinhas" not in piece
        assert piece.count('"') % 2 == 0 and piece.count("“") == piece.count("”"), piece  # no half quote


def test_who_is_answers_with_the_role_the_article_gives(seed_index):
    answer = ask("Who is Tom Røseth?", index_dir=seed_index)
    assert not answer.abstained
    assert "head teacher in intelligence at the Norwegian Defense Academy" in _pieces(answer.text)[0]


def test_a_he_follow_up_answers_with_that_persons_words_first(seed_index):
    assistant = Assistant(seed_index)
    first = assistant.ask("Who is Arve Hansen?")
    follow = assistant.ask("What does he say about Ukraine?", history=[("Who is Arve Hansen?", first)])
    assert "Hansen" in follow.query and not follow.abstained
    lead = follow.citations[0]
    assert "Hansen" in lead.speakers, follow.text


# The wife and age questions are declined by a small margin (probabilities 0.296 and 0.282 against
# the threshold 0.31, the reader with a tree combiner; the linear one answered both): a refit that
# answers them again fails here.
@pytest.mark.parametrize("question", ["In which year was Arve Hansen born?", "What is the name of Lukashenko's wife?",
                                      "How old is Lukashenko?",
                                      # Røseth's words answer only what they are about (selection.own_words)
                                      "What does Røseth say about the Olympic Games?",
                                      "What does Hansen say about the price of gas in Minsk?"])
def test_a_fact_the_seeds_lack_is_declined(seed_index, question):
    assert ask(question, index_dir=seed_index).abstained


@pytest.mark.parametrize("question, why", [
    ("Why might Lukashenko deviate from Moscow?", True), ("And why is that?", True), ("why?", True),
    ("What is the reason why he left?", False), ("Who knows why he left?", False), ("How did it happen?", False),
    ("Whyte said what?", False)])
def test_a_why_question_is_one_whose_first_question_word_is_why(question, why):
    assert features.asks_why(question) is why


def _candidate(rank: int, index: int):
    return cands.Candidate(rank, index, "x", 0, "x", None, None, np.zeros(2), 0.0, 0.0, 0.0, True, False, False, None)


def test_what_the_span_reader_found_can_change_the_lead():
    """Three candidates, one cheap feature: the ranker orders them 0 > 1 > 2; the span reader
    finds the best span in candidate 1's sentence, and reads no passage of candidate 2's."""
    n = len(features.FEATURES)
    ranker = models.Linear(np.zeros(n), np.ones(n), np.eye(n)[0], 0.0)  # logit = the first feature
    m = len(reader.SPAN_FEATURES)
    combiner = models.Linear(np.zeros(m), np.ones(m), np.array([1.0, 1.0, 0.0, 0.0, 0.0]), 0.0)
    q = len(reader.ABSTAINER_FEATURES)
    abstainer = models.Linear(np.zeros(q), np.ones(q), np.eye(q)[reader.ABSTAINER_FEATURES.index("best_margin")], 0.0)
    fitted = reader.Reader(ranker, combiner, abstainer, abstainer, 0.5, 2, 0.0, 0.0, {})
    hits = [SimpleNamespace(sentences=((0, 10), (11, 20))), SimpleNamespace(sentences=((0, 10),)),
            SimpleNamespace(sentences=((0, 10),))]
    found = [_candidate(0, 0), _candidate(0, 1), _candidate(2, 0)]
    readings = [Reading(null=1.0, spans=(Span(12, 15, 6.0), Span(2, 4, 2.0))), Reading(null=3.0, spans=())]
    rows = reader.span_rows(found, hits, readings)
    assert rows.tolist() == [[1.0, 5.0, -4.0, 0.0], [5.0, 5.0, 0.0, 1.0], [reader.FLOOR, reader.FLOOR, reader.FLOOR - 5.0, 0.0]]
    observation = features.Observation(np.array([[3.0] + [0] * (n - 1), [2.0] + [0] * (n - 1), [1.0] + [0] * (n - 1)]),
                                       np.zeros(5))
    verdict = fitted.read(observation, rows, readings)
    assert verdict.probabilities.argmax() == 1  # 2 + 5 beats 3 + 1
    assert verdict.answered == pytest.approx(1 / (1 + np.exp(-5.0)))  # the best passage margin, 6 - 1
    _, row = fitted.evidence(observation, rows, readings)
    assert row[reader.ABSTAINER_FEATURES.index("second_margin")] == reader.FLOOR  # the second passage kept no span
    assert row[reader.ABSTAINER_FEATURES.index("lead_span_margin")] == 5.0
    nothing = features.Observation(np.zeros((0, n)), np.zeros(5))
    assert fitted.read(nothing, np.zeros((0, 4)), []).probabilities.shape == (0,)


@pytest.mark.parametrize("sentence, back", [
    ("It is exciting that he does not follow Moscow’s line, says Røseth.", False),
    ("It was not the big table that separated Putin and Lukashenko when they met.", False),
    ("It could be that Lukashenko wants to be a little independent.", False),
    ("It is very strange if they do not discuss the war in Ukraine.", False),
    ("It is reminiscent of what Putin said in February 2022, that this was a military exercise.", True),
    ("It said the rises would badly affect the lower paid and the old.", True),
    ("It was believed to have started on a new conveyor system.", True),
    ("They declined to comment.", True),
])
def test_an_it_that_announces_what_follows_points_nowhere(sentence, back):
    assert cands.points_back(sentence) is back


def test_who_is_leads_with_a_definition_before_a_role_beside_the_name(seed_index):
    # "Belarus expert Arve Hansen believes …" gives a role, but opens a claim; "Hansen is an adviser …" says who he is
    answer = ask("Who is Arve Hansen?", index_dir=seed_index)
    assert _pieces(answer.text)[0].startswith("Hansen is an adviser to the Norwegian Helsinki Committee"), answer.text


@pytest.mark.parametrize("question, person", [
    ("Who is Tom Røseth?", "Tom Røseth"),
    ("Who was Boleslaw II of Masovia?", "Boleslaw II of Masovia"),
    ("Who is Lukashenko?", "Lukashenko"),
    ("Who is Conrac's chief executive?", None),  # asks for a name the article may not give
    ("Who was Iqbal a critic of?", None),
    ("Who is the president of Belarus?", None),
])
def test_who_is_asks_about_a_named_person_only(question, person):
    assert features.who_is(question) == person


@pytest.mark.parametrize("sentence, strength", [
    ("Hansen is an adviser to the Norwegian Helsinki Committee.", 2),
    ("Taylor, Noranda's insurance director, said the plant was closed.", 2),
    ("On Friday, Belarusian President Aleksandr Lukashenko will meet Russian President Vladimir Putin.", 1),
    ("“It is exciting,” says head teacher in intelligence at the Norwegian Defense Academy, Tom Røseth.", 1),
    ("“Putin is a trickster who is good at deciphering which way the wind is blowing,” says Godzimirksi.", 0),
    ("Putin has gone so far as to say that the terrorist attack is part of Ukraine’s attack on Russia.", 0),
    ("Belarus expert Arve Hansen believes that Putin is an undeniable accomplice in the war.", 0),  # an opinion
    ("NUPI researcher Jakub Godzimirski believes the costs will be too great for Putin if he loses.", 0),
])
def test_how_plainly_a_sentence_says_who_someone_is(sentence, strength):
    person = {"Putin is": "Vladimir Putin", "for Putin": "Vladimir Putin", "Hansen": "Arve Hansen", "Taylor": "Taylor",
              "Røseth": "Tom Røseth"}
    name = next((v for k, v in person.items() if k in sentence), "Vladimir Putin")
    assert features.defines(name, sentence) == strength


def test_a_question_word_is_no_shared_word(seed_index):
    """ "Who is the president of Belarus?" shares "Belarus" with "… and who, if so, they would have
    been welcomed by", not "who": a sentence opening "When …" is no answer to "When …?"."""
    composer = Assistant(seed_index).composer()
    _, found, observation = composer.observe("Who is the president of Belarus?")
    column = features.FEATURES.index("overlap")
    row = next(i for i, c in enumerate(found) if "who, if so," in c.text)
    assert observation.rows[row, column] == pytest.approx(1 / 3)  # of who, presid, belarus


def test_a_claim_is_not_repeated_in_other_words(seed_index):
    # the two reports of Lukashenko's claim (cosine 0.78) both led this answer at a redundancy of 0.85
    answer = ask("What did Lukashenko claim on Tuesday?", index_dir=seed_index)
    assert "claimed on Tuesday" in answer.text
    assert "claims that the terrorists behind the attack in Moscow tried to flee" not in answer.text, answer.text


def test_a_further_sentence_from_another_story_needs_a_larger_share_of_the_leads_probability():
    """The lead is from article a; a sentence of article b at 0.5 of its probability stays out
    (other_article_share 0.6), one of article a at 0.3 comes in (extra_share 0.25)."""
    found = [_candidate(0, 0), _candidate(1, 0), _candidate(0, 1)]
    for i, c in enumerate(found):
        found[i] = dataclasses.replace(c, vector=np.eye(3)[i])  # none repeats another
    probabilities = np.array([0.8, 0.4, 0.24])
    settings = AnswerSettings(extra_share=0.25, other_article_share=0.6)
    assert selection.select(found, probabilities, "q", settings, ["a", "b"]) == [0, 2]
    assert selection.select(found, probabilities, "q", settings) == [0, 1, 2]  # articles unknown: one story
    assert selection.select(found, probabilities, "q", dataclasses.replace(settings, other_article_share=0.25),
                            ["a", "b"]) == [0, 1, 2]



def test_span_reader_tokenizes_safely_from_many_chats_at_once():
    """The tokenizer's truncation and padding are settings of one shared backend: eight chats
    tokenizing at once once got each other's (CI: "Unable to create tensor" from the app's /chat)."""
    from concurrent.futures import ThreadPoolExecutor

    from assistant.answer.span_reader import encode_pairs, load_span_reader

    tokenizer = load_span_reader().loaded()[0]
    passages = ["Lukashenko meets Putin.", "A much longer passage about the meeting in Sochi. " * 12, "On Friday."]

    def work(k: int) -> list[int]:
        return [encode_pairs(tokenizer, [f"Question {k} {j}?" + " word" * (k % 5)] * 3, passages)["input_ids"].shape[1]
                for j in range(100)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        widths = [w for ws in pool.map(work, range(8)) for w in ws]
    assert len(widths) == 800 and min(widths) > 100  # every batch padded to its longest pair
