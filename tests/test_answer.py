import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant import ABSTAIN_TEXT, Assistant, ask
import numpy as np

from assistant.answer import ExtractiveComposer, quotes
from assistant.answer import candidates as cands
from assistant.answer.conversation import answer_names, entities, is_follow_up, rewrite, spoken_of_as_person
from assistant.ingest.corpus import load_corpus
from assistant.faces.render import to_json, to_markdown
from assistant.settings import AnswerSettings
from assistant.retrieval import Hit
from conftest import CORPUS, LUKASHENKO_PATH

REASONS = ["Ukraine has opinion support in Belarus", "Lukashenko sees that Putin is struggling at home",
           "Lukashenko wants to be a little independent"]


def check_citations(answer):
    """Numbers 1..n in order of first appearance; no number without a source or source without a number."""
    numbers = [int(n) for n in re.findall(r"\[(\d+)\]", answer.text)]
    first_seen = list(dict.fromkeys(numbers))
    assert first_seen == list(range(1, len(first_seen) + 1))
    assert [c.number for c in answer.citations] == first_seen
    for citation in answer.citations:
        assert citation.spans
        for start, end in citation.spans:
            assert 0 <= start < end <= len(citation.hit.text)
        assert citation.hit in answer.hits


def test_card_question_cites_roseths_reasons(seed_index):
    answer = ask("Why might Lukashenko deviate from Moscow?", index_dir=seed_index)
    assert not answer.abstained and 0 < answer.confidence <= 1
    check_citations(answer)
    cited_text = " ".join(c.hit.text for c in answer.citations)
    assert sum(reason in cited_text for reason in REASONS) >= 2
    assert all(c.hit.path == LUKASHENKO_PATH for c in answer.citations)
    assert len(answer.text.split()) <= 140
    for sentence in re.split(r"(?<=\])\s+", answer.text):
        assert re.search(r"\[\d+\]$", sentence), sentence  # every sentence ends with its citation


ALWAYS = AnswerSettings(threshold=0.0)  # rendering tests: never decline, whatever the reader thinks


def test_cited_sentences_are_in_the_answer_verbatim_or_as_quotes(seed_index):
    answer = Assistant(seed_index, settings=ALWAYS).ask("How does Godzimirski characterize Lukashenko?")
    check_citations(answer)
    assert "Godzimir" in answer.text
    for citation in answer.citations:
        for start, end in citation.spans:
            sentence = citation.hit.text[start:end]
            core = cands.display_text(quotes.split_attribution(sentence)[0]).rstrip(".")[:40]
            assert core in answer.text


@pytest.mark.parametrize("question", ["What is the capital of Australia?", "What did Zelensky say about the Friday meeting?"])
def test_unanswerable_questions_abstain(seed_index, question):
    """Declined without citations; off the articles' topics plainly. Zelensky's words on the
    meeting the seeds report may be declined either way: the meeting is covered, he is not."""
    answer = ask(question, index_dir=seed_index)
    assert answer.abstained and answer.citations == ()
    plain = answer.text == ABSTAIN_TEXT
    assert plain or ("Australia" not in question and answer.text.startswith("The articles don't say "))
    assert "do not answer" in to_markdown(answer)


def test_follow_up_is_rewritten_and_finds_the_passage(seed_index):
    assistant = Assistant(seed_index)
    first = assistant.ask("Who is Tom Røseth?")
    second = assistant.ask("What does he say about the escape route?", history=[("Who is Tom Røseth?", first)])
    assert second.rewritten and second.query == "What does Tom Røseth say about the escape route?"
    assert any("Belarus is a much more logical escape route" in h.text for h in second.hits[:3])
    # below the abstainer's threshold, but Røseth's own words on the escape route answer it (own_words),
    # led by the sentence that gives his view of the route, his quote beside it
    assert not second.abstained and second.text.startswith("As the intelligence expert sees it, Belarus is a much")
    assert "Røseth points out. [1]" in second.text and "“That it is natural to escape towards Belarus" in second.text
    assert "Belarus is a much more logical escape route" in second.citations[0].hit.text
    assert "Røseth" in second.citations[0].speakers
    # an independent question is searched as asked: earlier sources do not leak in
    third = assistant.ask("What topics will Lukashenko and Putin discuss on Friday?",
                          history=[("Who is Tom Røseth?", first), ("What does he say about the escape route?", second.text)])
    assert not third.rewritten
    assert any("issues of an economic, military and political nature" in c.hit.text for c in third.citations)


def test_that_and_a_new_person_are_searched_in_context(seed_index):
    """"When did that happen?" after a question about the meeting is answered from the sentence
    giving its day (it was declined, then answered with a quote on the 2020 election); "And what
    about Hansen?" asks Røseth's question of Hansen."""
    assistant = Assistant(seed_index)
    first = assistant.ask("Who will Lukashenko meet on Friday?")
    when = assistant.ask("When did that happen?", history=[("Who will Lukashenko meet on Friday?", first)])
    assert when.query.startswith("When did that happen? Who will Lukashenko meet on Friday")
    assert not when.abstained and when.text.startswith("On Friday, Belarusian President Aleksandr Lukashenko will meet")
    first = assistant.ask("What does Røseth say about Lukashenko?")
    other = assistant.ask("And what about Hansen?", history=[("What does Røseth say about Lukashenko?", first)])
    assert other.query == "What does Hansen say about Lukashenko?"
    assert not other.abstained and all("Hansen" in c.hit.text for c in other.citations[:1])


@pytest.mark.parametrize("question,follow_up", [
    ("What does he say about the escape route?", True), ("What about Hansen?", True), ("Why?", True),
    ("How many people were killed in the attack on Crocus City Hall?", False), ("What did Putin say about Ukraine?", False),
])
def test_follow_up_detection(question, follow_up):
    assert is_follow_up(question) is follow_up
    history = [("Who is Tom Røseth?", "Røseth teaches intelligence.")]
    assert (rewrite(question, history) != question) is follow_up


def _speakers():
    out = {}
    for article in load_corpus(CORPUS)[0]:
        paragraphs = [article.text[s:e] for s, e in article.paragraphs]
        for i, paragraph in enumerate(paragraphs):
            if quotes.is_quote(paragraph):
                out[paragraph[:40]] = quotes.speaker(paragraph, paragraphs[i - 1] if i else None)
    return out


def test_quote_attribution_on_the_seeds():
    speakers = _speakers()
    expected = {
        "– One is that Ukraine has opinion suppor": "Røseth",  # named in the paragraph before
        "– It could be that Lukashenko wants to b": "Røseth",  # "…, Røseth points out."
        "– It is exciting that he does not follow": "Tom Røseth",
        "– Mistakes have probably been made and t": "Røseth",  # after "…, says Røseth, and continues:"
        "– What they say they will discuss, and w": "Arve Hansen",
        "– I am ready to fight together with the ": "Lukashenko",  # "he said", after "Lukashenko claimed"
        "– It is reminiscent of what Putin said i": "Hansen",  # not Putin, who is only mentioned
        "– The idea that the attackers traveled t": None,  # "the think tank points out": no name
        "– When they say something, I always star": "Hansen",  # no attribution: the quote before it goes on
    }
    for start, speaker in expected.items():
        assert speakers[start] == speaker, start


def test_quotes_are_attributed_in_answers(seed_index):
    answer = Assistant(seed_index, settings=ALWAYS).ask("How does Godzimirski characterize Lukashenko?")
    assert re.search(r"“[^”]+,” says Godzimir\w+|Godzimir\w+: “[^”]+”", answer.text)
    assert any(c.speakers for c in answer.citations)
    # "Godzimirski" and the article's misspelt "Godzimirksi" are one speaker of a passage
    for citation in answer.citations:
        assert len([s for s in citation.speakers if s.startswith("Godzim")]) <= 1, citation.speakers


def test_render_markdown_and_json(seed_index):
    answer = ask("Why might Lukashenko deviate from Moscow?", index_dir=seed_index)
    markdown = to_markdown(answer)
    assert "Sources:" in markdown and "[1] The president of Belarus is causing trouble for Putin — ITavisen (¶" in markdown
    assert markdown.count("**") >= 2
    data = json.loads(to_json(answer))
    assert data["citations"][0]["number"] == 1 and data["abstained"] is False


def _hit(pid: int, n_sentences: int) -> Hit:
    sentences, text, cursor = [], [], 0
    for i in range(n_sentences):
        sentence = f"Passage {pid} says thing number {i} here."
        sentences.append((cursor, cursor + len(sentence)))
        text.append(sentence)
        cursor += len(sentence) + 1
    return Hit(pid, " ".join(text), 1.0, f"a{pid % 3}", f"Title {pid % 3}", "Outlet", None, "p.md", None, (0, 1), 0,
               cursor, tuple(sentences))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=6), st.data())
def test_numbering_invariants_for_any_selection(sizes, data):
    hits = [_hit(pid, n) for pid, n in enumerate(sizes)]
    vectors = [np.eye(8, dtype=np.float32)[:n] for n in sizes]
    found = cands.collect(hits, vectors, np.ones(8, dtype=np.float32) / np.sqrt(8), lambda hit: None)
    chosen = data.draw(st.lists(st.sampled_from(found), min_size=1, max_size=8, unique_by=lambda c: (c.rank, c.index)))
    composer = ExtractiveComposer.__new__(ExtractiveComposer)  # rendering needs no index for non-quote passages
    answer = composer._render("q", "q", hits, chosen, 0.9)
    check_citations(answer)
    for c in chosen:
        start, end = hits[c.rank].sentences[c.index]
        assert hits[c.rank].text[start:end] in answer.text
    assert answer.text.startswith(chosen[0].text)  # the lead comes first


def _passage_hit(pid: int, sentences: list[str]) -> Hit:
    spans, cursor = [], 0
    for sentence in sentences:
        spans.append((cursor, cursor + len(sentence)))
        cursor += len(sentence) + 1
    return Hit(pid, " ".join(sentences), 1.0, f"a{pid}", f"Title {pid}", "Reuters", None, "p.md", None, (0, 1), 0,
               cursor, tuple(spans))


def test_a_sentence_pointing_back_follows_the_sentence_it_points_to():
    """"They declined …" chosen after another passage's sentence still comes right after the
    "U.S. officials said …" it refers to, in one piece, never as a piece opening "They"."""
    hits = [_passage_hit(0, ["U.S. officials said the United States offered India a choice of machines.",
                             "They declined to comment on a newspaper report about a weaker model."]),
            _passage_hit(1, ["The New York Times said the United States wanted to sell a weaker model."])]
    vectors = [np.eye(8, dtype=np.float32)[:2], np.eye(8, dtype=np.float32)[2:3]]
    found = {(c.rank, c.index): c for c in cands.collect(hits, vectors, np.ones(8, dtype=np.float32), lambda h: None)}
    assert found[(0, 1)].back_reference
    composer = ExtractiveComposer.__new__(ExtractiveComposer)
    answer = composer._render("q", "q", hits, [found[(0, 0)], found[(1, 0)], found[(0, 1)]], 0.9)
    pieces = [p.strip() for p in re.split(r"\s*\[\d+\]\s*", answer.text) if p.strip()]
    assert pieces[0].endswith("about a weaker model.") and pieces[1].startswith("The New York Times")
    assert not any(re.match(r"^(they|he|she|this)\b", p, re.I) for p in pieces)
    check_citations(answer)


def test_a_chain_of_sentences_pointing_back_comes_whole():
    hits = [_passage_hit(0, ["Shares of the company rose sharply on the offer today.",
                             "\"The offer is too low,\" the second arbitrageur said in New York.",
                             "But he added it was hard to see the company worth much more.",
                             "He noted the stock recently sold in the high teens."])]
    vectors = [np.eye(8, dtype=np.float32)[:4]]
    found = {(c.rank, c.index): c for c in cands.collect(hits, vectors, np.ones(8, dtype=np.float32), lambda h: None)}
    composer = ExtractiveComposer.__new__(ExtractiveComposer)
    answer = composer._render("q", "q", hits, [found[(0, 3)]], 0.9)
    assert answer.text.startswith("\"The offer is too low,\" the second arbitrageur said") or \
        answer.text.startswith("“The offer is too low,” the second arbitrageur said"), answer.text
    assert "He noted the stock" in answer.text and "Shares of the company" not in answer.text


def test_a_byline_travels_with_its_citation():
    import dataclasses

    from assistant.answer import Citation
    from assistant.faces.render import chat_sources, source_line

    hit = dataclasses.replace(_passage_hit(0, ["The new cranes cost 240 million kroner, the authority said."]),
                              byline="Ingrid *Moe*")
    citation = Citation(1, hit, (hit.sentences[0],))
    assert source_line(citation) == "[1] Title 0 — Reuters (¶1) — by Ingrid *Moe*"
    answer = ExtractiveComposer.__new__(ExtractiveComposer)._render("q", "q", [hit], [], 0.9)
    answer = dataclasses.replace(answer, citations=(citation,))
    assert "Reuters · by Ingrid \\*Moe\\* · undated" in chat_sources(answer)  # article data stays inert


def test_a_capitalised_function_word_is_no_name():
    # after an answer opening "At least 140 people …", "Where were they arrested?" was searched with "At"
    assert entities("At least 140 people were killed in the attack on Crocus City Hall on Friday.") == [
        "Crocus City Hall", "Friday"]
    history = [("How many were killed?", "At least 140 people are said to have been killed. [1]")]
    # no name: "they" is searched with the question before it, not with "At"
    assert rewrite("Where were they arrested?", history) == "Where were they arrested? How many were killed"


def test_what_about_a_topic_keeps_the_person_and_a_person_the_topic():
    people = {"Hansen", "Arve Hansen", "Røseth", "Tom Røseth"}
    history = [("What does Arve Hansen say about the meeting?", "Hansen doubts … [1]")]
    # a topic: the same person on it
    assert rewrite("And what about Ukraine?", history, person=people.__contains__) == \
        "What does Arve Hansen say about Ukraine?"
    # a person: the previous question with the new person in its person's place, its topic kept
    history.append(("And what about Ukraine?", "Arve Hansen believes … [1]"))
    assert rewrite("What about Røseth?", history, person=people.__contains__) == "What does Røseth say about Ukraine?"
    # without knowing who is a person, every name is taken for a new subject, as before
    assert rewrite("What about Ukraine?", history[:1]) == "What about Ukraine? What does say about the meeting"


def test_he_after_a_question_asking_who_is_the_person_the_answer_names():
    history = [("Who is Paradyne's new chief executive?",
                ("Paradyne also said it named Jerry Kendall as president and chief executive officer, succeeding "
                 "Robert Wiggins who resigned. [1]"))]
    # the question names only the company; "he" is the man the answer gives (and "Wiggins" keeps its s)
    assert rewrite("What job did he hold before?", history) == "What job did Jerry Kendall hold before?"
    assert answer_names(history[0][1]) == ["Jerry Kendall", "Robert Wiggins"]  # "Paradyne" opens the sentence
    # a declined question names nobody: its "Closest: …" titles are no referent
    history = [("Who manages the buffer stock?", "The articles don't say who manages the buffer stock. Closest: "
                "ICCO Council Agrees Cocoa Buffer Stock Rules — Reuters, 1987-03-27 (¶1–2).")]
    assert rewrite("When will he start buying?", history) == "When will he start buying? Who manages the buffer stock"
    # "Who is X?" asks about X: "he" is X, whoever the answer names
    history = [("Who is Tom Røseth?", "Røseth teaches at the Norwegian Defence University College. [1]")]
    assert rewrite("What does he say about Ukraine?", history) == "What does Tom Røseth say about Ukraine?"


def test_it_and_that_are_searched_with_the_question_before():
    history = [("When does Alberta's trial deregulation begin?", "On June 1, … [1]")]
    assert rewrite("How long will it last?", history) == \
        "How long will it last? When does Alberta's trial deregulation begin"
    # ... and with its short answer, here as the chat shows it (bold, leading)
    history = [("Which railway carries Zambia's exports?", "**The TAZARA line.** Exports go along the TAZARA line. [1]")]
    assert rewrite("How much freight did it handle?", history) == \
        "How much freight did it handle? Which railway carries Zambia's exports The TAZARA line"
    history = [("How much copper did Zambia produce last year?", "… 463,000 tonnes last year … [1]")]
    assert rewrite("And the year before?", history) == "And the year before? How much copper did Zambia produce last year"
    # a chain of such follow-ups stays bounded: each takes at most the 30 first words of the one before
    history, query = [], ""
    for turn in ["How much copper did Zambia produce last year?"] + ["And the year before that?"] * 12:
        query = rewrite(turn, history)
        history.append((turn, "It fell. [1]"))
    assert query.startswith("And the year before that? And the year before that?") and len(query.split()) <= 36
    # a sentence's first word is no name: "Since prices …" names nobody
    assert answer_names("Since prices are below the level, the manager Juergen Plambeck will buy. [1]") == [
        "Juergen Plambeck"]
    # the chat's answer text leads with the short answer in bold: a name there comes first
    assert answer_names("**Jerry Kendall.** Paradyne named Jerry Kendall as chief. [1]")[0] == "Jerry Kendall"


def test_who_the_seed_articles_speak_of_as_a_person(seed_index):
    searcher = Assistant(seed_index).searcher()
    for name, is_person in (("Hansen", True), ("Godzimirski", True), ("Putin", True),  # "President Vladimir Putin"
                            ("Ukraine", False), ("Moscow", False), ("Belta", False)):
        assert spoken_of_as_person(name, searcher.naming(name)) is is_person, name


def test_a_pronoun_never_goes_to_a_question_word_nor_past_an_unrelated_turn():
    """After "What's a good recipe for banana bread?" (declined: off every article's topic), "Why did
    he say that?" is searched alone, not as "Why did What say that?"."""
    off_topic = [("What's a good recipe for banana bread?", "The articles don't cover this.")]
    assert entities("What's a good recipe for banana bread?") == []
    assert rewrite("Why did he say that?", off_topic) == "Why did he say that?"
    declined_on_topic = [("What is Lukashenko's salary?", "The articles don't say what Lukashenko's salary is. "
                                                         "Closest: The president of Belarus — ITavisen (¶2).")]
    assert "Lukashenko" in rewrite("Why is it not given?", declined_on_topic)  # on topic: the turn before still counts


def test_a_pronoun_goes_first_to_the_person_the_question_itself_names():
    history = [("Who is Tom Røseth?", "Tom Røseth is head teacher in intelligence at the Norwegian Defence University "
                                      "College.")]
    long_question = "Why did Lukashenko say that he would only join the war if Belarus was attacked?"
    assert rewrite(long_question, history, person=lambda name: True) == long_question
    assert rewrite("What does he say about Ukraine?", history) == "What does Tom Røseth say about Ukraine?"


def test_a_follow_up_shows_his_quotes_in_quote_marks_under_his_name(seed_index):
    """After "Who is Arve Hansen?", "What does he say about Ukraine?": his words are quoted and
    named, never shown in the assistant's own voice (issue 39)."""
    assistant = Assistant(seed_index, settings=ALWAYS)
    first = assistant.ask("Who is Arve Hansen?")
    answer = assistant.ask("What does he say about Ukraine?", history=[("Who is Arve Hansen?", first)])
    assert answer.query == "What does Arve Hansen say about Ukraine?"
    assert "Hansen: “When they say something, I always start to fear the opposite.”" in answer.text
    assert not re.search(r"(^|\] )When they say something", answer.text)


@pytest.mark.parametrize("question, several", [
    ("When did construction begin and why was it delayed?", True), ("Who won, and how many votes did she get?", True),
    ("What did Hansen say or what did he mean?", True), ("Who is the man who met Putin?", False),
    ("How many people died and were injured?", False), ("Why might Lukashenko deviate from Moscow?", False),
])
def test_a_question_that_asks_two_things_is_told(question, several):
    from assistant.answer.features import asks_several

    assert asks_several(question) is several


def test_a_question_that_asks_two_things_leads_with_no_one_span(tmp_path, embedder):
    """Over "Construction began in 2019 and was delayed by two years …", "When did construction
    begin and why was it delayed?" must not lead with "two years" (issue 36)."""
    from assistant.ingest.indexer import build_index

    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "bridge.md").write_text(
        "---\ntitle: New bridge opens after long delay\noutlet: Valley Courier\npublished: 2024-05-02\n---\n\n"
        "The new river bridge in Hamden opened to traffic on Wednesday.\n\nConstruction began in 2019 and was delayed "
        "by two years because of a dispute over the steel contract.\n\nThe bridge cost 48 million dollars, the county "
        "said.\n", encoding="utf-8")
    build_index(tmp_path / "corpus", tmp_path / "index", embedder=embedder, progress=False)
    assistant = Assistant(tmp_path / "index", tmp_path / "corpus")
    answer = assistant.ask("When did construction begin and why was it delayed?")
    assert not answer.abstained and "Construction began in 2019" in answer.text and answer.short_answer is None
    assert assistant.ask("How much did the bridge cost?").short_answer.text == "48 million dollars"
