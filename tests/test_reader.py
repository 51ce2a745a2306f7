"""The reader and the answer text it leads to: parameters checked on load, the span reader's
margin deciding and choosing the lead, fragment rules as properties, who-is answers, person
follow-ups, declining what the seeds lack."""
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
from assistant.answer import questions, reader, selection
from assistant.answer.span_reader import Reading, Span
from assistant.errors import ModelError
from assistant.settings import AnswerSettings

DANGLING = re.compile(r"^(however|but|he|she|they|this)\b", re.I)


def test_the_shipped_reader_loads_and_its_format_is_checked(tmp_path):
    shipped = reader.load_reader()
    assert shipped.slope > 0 and shipped.read_passages >= 1 and shipped.info["by"] == "article"
    assert shipped.coverage.logits(np.zeros((2, len(reader.COVERAGE_FEATURES)))).shape == (2,)
    params = json.loads(reader.READER_FILE.read_text(encoding="utf-8"))
    assert reader.params_of(shipped) == params
    coverage = params["coverage"]
    for change, message in (({"version": 99}, "version 99"), ({"format": "pickle"}, "re-fit"),
                            ({"coverage": {**coverage, "features": ["top_dense"]}}, "coverage model was fitted on other"),
                            ({"read_passages": 0}, "read_passages 0"), ({"read_passages": "3"}, "read_passages '3'"),
                            ({"coverage": {**coverage, "coef": [0.0]}}, "damaged"),
                            ({"coverage": {**coverage, "scale": [0.0] * len(coverage["scale"])}}, "not positive"),
                            ({"coverage": {**coverage, "mean": [float("nan")] * len(coverage["mean"])}}, "not finite"),
                            ({"coverage": None}, "damaged"), ({"slope": -1.0}, "out of range"),
                            ({"threshold": float("nan")}, "out of range"), ({"short_margin": "x"}, "damaged"),
                            ({"short_margin_why": float("nan")}, "neither a number nor null"),
                            ({"short_margin_why": "x"}, "damaged"), ({"threshold": None}, "damaged")):
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
    assert questions.asks_why(question) is why


def _candidate(rank: int, index: int):
    return cands.Candidate(rank, index, "x", 0, "x", None, None, np.zeros(2), False, False, None)


def test_the_best_span_decides_and_its_sentence_leads():
    """Three candidates: the span reader's best span (6 over a "no answer" of 1) lies in candidate 1's
    sentence, a weaker one in candidate 0's, and it read no passage of candidate 2's. The question's
    margin is 5, the best over the passages read; the decision is that margin against the threshold."""
    coverage = reader.Linear(np.zeros(4), np.ones(4), np.eye(4)[0], 0.0)
    fitted = reader.Reader(4.0, 1.0, -4.0, coverage, 2, 0.0, float("inf"), {})
    hits = [SimpleNamespace(sentences=((0, 10), (11, 20)), dense=0.5, score=1.0), SimpleNamespace(sentences=((0, 10),)),
            SimpleNamespace(sentences=((0, 10),))]
    found = [_candidate(0, 0), _candidate(0, 1), _candidate(2, 0)]
    readings = [Reading(null=1.0, spans=(Span(12, 15, 6.0), Span(2, 4, 2.0))), Reading(null=3.0, spans=())]
    assert reader.sentence_margins(found, hits, readings).tolist() == [1.0, 5.0, reader.FLOOR]
    verdict = fitted.read(found, hits, readings)
    assert verdict.probabilities.argmax() == 1 and verdict.margin == 5.0
    assert verdict.answered == pytest.approx(1 / (1 + np.exp(-1.0)))  # sigmoid(1 · 5 - 4)
    assert fitted.answers(verdict.margin) and not dataclasses.replace(fitted, threshold=5.5).answers(verdict.margin)
    assert verdict.covered == pytest.approx(1 / (1 + np.exp(-5.0)))  # the coverage model reads the margin here
    assert fitted.read([], hits, []).probabilities.shape == (0,) and fitted.read([], hits, []).margin == reader.FLOOR


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
    assert questions.who_is(question) == person


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
    assert questions.defines(name, sentence) == strength


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


def test_the_short_answer_answers_the_first_thing_asked(tmp_path, embedder):
    """Issue 36: over "Construction began in 2019 and was delayed by two years …", asking when it
    began and why it was delayed must not lead with "Two years."."""
    from assistant import build_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bridge.md").write_text(
        "---\ntitle: Harbour bridge opens two years late\noutlet: Test Wire\npublished: 2024-05-02\n---\n\n"
        "The new harbour bridge opened on Thursday. Construction began in 2019 and was delayed by two years "
        "after the steel supplier went bankrupt. The city paid 40 million euros for the bridge.\n", encoding="utf-8")
    build_index(corpus, tmp_path / "index", embedder=embedder, progress=False)
    answer = Assistant(tmp_path / "index").ask("When did construction begin and why was it delayed?")
    assert not answer.abstained and "Construction began in 2019" in answer.text
    assert answer.short_answer is None or not answer.short_answer.text.lower().startswith("two years")
