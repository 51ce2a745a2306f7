"""Dates as data: `published` typed on articles and hits, stored in the index, and date
filters applied inside dense and lexical search on every backend (files and PostgreSQL)."""
from __future__ import annotations

import datetime as dt
import shutil

import numpy as np
import pytest

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:platformdirs")

from assistant import Assistant, InputError, build_index, lexical
from assistant.faces import cli
from assistant.store import backends, base as storage
from assistant.retrieval import Searcher, asks_for_recent, recency_order
from assistant.store.base import Filter, date_filter
from conftest import CORPUS, ROOT

REUTERS = sorted((ROOT / "bench" / "data" / "reuters").glob("*.md"))
APRIL = dt.date(1987, 4, 1)
QUESTIONS = ["What did the government decide about prices?", "Why might Lukashenko deviate from Moscow?",
             "semiconductor trade talks", "cocoa buffer stock rules"]
STRIKE = "The ferry strike in Tromsø ended after the union accepted a new wage offer from the operator, Torghatten Nord."


@pytest.fixture
def corpus(tmp_path):
    """The two undated seeds and ten Reuters stories dated March to June 1987."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    for path in REUTERS:
        shutil.copy(path, target / path.name)
    return target


def _searcher(corpus, where, memo) -> Searcher:
    build_index(corpus, where, embedder=memo, progress=False)
    return Searcher(backends.locate(where).open(), memo)


def _admitted_ids(data, where: Filter) -> list[int]:
    return sorted(pid for meta in data.articles().values() if where.admits(storage.parse_day(meta.published))
                  for pid in meta.passages)


def test_filters_restrict_candidates_before_ranking(where, corpus, memo):
    """Filtered dense search is the exact top-k of the admitted passages, and filtered BM25 keeps
    every admitted passage's unfiltered score: the filter runs inside, with the same statistics."""
    searcher = _searcher(corpus, where, memo)
    data = searcher.data
    for window in (Filter(since=APRIL), Filter(until=dt.date(1987, 3, 29)), Filter(APRIL, dt.date(1987, 4, 7))):
        admitted = _admitted_ids(data, window)
        assert 0 < len(admitted) < data.size
        for question in QUESTIONS:
            vector = memo.encode_query(question)
            scores = data.passage_vectors(admitted) @ vector
            exact = [admitted[i] for i in np.argsort(-scores, kind="stable")[:5]]
            assert data.dense(vector, 5, window) == exact, (window, question)
            tokens = lexical.tokenize([question])[0]
            filtered, everything = data.lexical(tokens, window), data.lexical(tokens)
            assert set(filtered.top(100)) <= set(admitted)
            np.testing.assert_allclose(filtered.scores(admitted), everything.scores(admitted), rtol=1e-5)
            positive = [pid for pid, s in zip(admitted, everything.scores(admitted)) if s > 0]
            assert sorted(filtered.top(100)) == sorted(positive)


def test_undated_articles_drop_out_and_hits_carry_typed_dates(where, corpus, memo):
    searcher = _searcher(corpus, where, memo)
    question = "Why might Lukashenko deviate from Moscow?"
    unfiltered = searcher.search(question, 5)
    assert unfiltered[0].published is None and "Lukashenko" in unfiltered[0].text  # the seeds state no date
    filtered = searcher.search(question, 5, where=Filter(since=dt.date(1900, 1, 1)))
    assert len(filtered) == 5  # the best admitted ones, although none made the unfiltered top 30 of this question
    assert all(isinstance(h.published, dt.date) and h.outlet == "Reuters" for h in filtered)
    assert all(APRIL <= h.published for h in searcher.search("prices", 8, where=Filter(since=APRIL)))


def test_ask_and_retrieve_take_since_and_until(where, corpus, memo):
    build_index(corpus, where, embedder=memo, progress=False)
    assistant = Assistant(where, corpus)
    assistant.embedder = memo
    card = "Why might Lukashenko deviate from Moscow?"
    assert not assistant.ask(card).abstained
    assert assistant.ask(card, until="1987-12-31").abstained  # only 1987 stories: none covers it
    hits = assistant.retrieve("Polish food and fuel prices", 3, since=dt.date(1987, 3, 1), until="1987-12-31")
    assert hits and all(dt.date(1987, 3, 1) <= h.published <= dt.date(1987, 12, 31) for h in hits)
    answer = assistant.ask("By how much will food prices rise in Poland?", since="1987-01-01")
    assert not answer.abstained and all(c.hit.published for c in answer.citations)


def test_a_changed_date_is_what_the_filter_sees(where, corpus, memo):
    build_index(corpus, where, embedder=memo, progress=False)
    path = corpus / "poland-price-rises.md"
    path.write_text(path.read_text().replace("published: 1987-03-29", "published: 1990-01-02"))
    build_index(corpus, where, embedder=memo, progress=False)
    searcher = Searcher(backends.locate(where).open(), memo)
    hits = searcher.search("Polish food and fuel price rises", 3, where=Filter(since=dt.date(1990, 1, 1)))
    assert {h.path for h in hits} == {"poland-price-rises.md"}
    assert not searcher.search("Polish price rises", 3, where=Filter(until=dt.date(1989, 1, 1)))[0].path.startswith("poland")


def test_date_arguments_are_checked():
    with pytest.raises(InputError, match=r"since: '2 April' is not a date; use YYYY-MM-DD"):
        date_filter("2 April")
    with pytest.raises(InputError, match="since 1987-05-01 is after until 1987-04-01"):
        date_filter("1987-05-01", "1987-04-01")
    assert date_filter("", None) == Filter() and not Filter().active
    assert date_filter(dt.datetime(2024, 4, 2, 10, 30)).since == dt.date(2024, 4, 2)


def test_recency_rule_moves_only_near_ties():
    days = [dt.date(2024, 1, 1), dt.date(2024, 3, 1), None, dt.date(2024, 6, 1)]
    # within 0.05 of the best: positions 0, 1, 2 -> newest first, undated last; 3 is newer but not close
    assert recency_order([0.80, 0.78, 0.79, 0.60], days) == [1, 0, 2, 3]
    assert recency_order([0.80, 0.60], [dt.date(2020, 1, 1), dt.date(2024, 1, 1)]) == [0, 1]
    assert all(asks_for_recent(q) for q in ("What is the latest on Lukashenko?", "Where do the talks stand now?",
                                            "What is the most recent price rise?"))
    assert not any(asks_for_recent(q) for q in ("Who is Tom Røseth?", "Why might Lukashenko deviate from Moscow?",
                                                "Is there a known issue?"))


def test_latest_question_prefers_the_newer_of_two_close_reports(where, tmp_path, memo):
    corpus = tmp_path / "strikes"
    corpus.mkdir()
    for name, day, extra in (("a-early.md", "2024-04-02", "Talks went on all night."),
                             ("b-later.md", "2024-05-10", "Talks went on all day.")):
        (corpus / name).write_text(f"---\ntitle: Ferry strike\noutlet: Nordlys\npublished: {day}\n---\n{STRIKE} {extra}\n")
    searcher = _searcher(corpus, where, memo)
    plain = searcher.search("How did the ferry strike end?", 2)
    latest = searcher.search("What is the latest on how the ferry strike ended?", 2)
    assert abs(plain[0].score - plain[1].score) < 0.05
    assert [h.published for h in latest] == [dt.date(2024, 5, 10), dt.date(2024, 4, 2)]


def test_cli_search_and_ask_take_since_and_until(corpus, tmp_path, capsys, embedder):
    index = tmp_path / "index"
    build_index(corpus, index, embedder=embedder, progress=False)
    assert cli.main(["search", "price rises", "-k", "3", "--since", "1987-03-30", "--index", str(index)]) == 0
    shown = capsys.readouterr().out
    assert shown.count("— Reuters, 1987-") == 3 and "ITavisen" not in shown
    assert cli.main(["ask", "Why might Lukashenko deviate from Moscow?", "--until", "1987-12-31",
                     "--index", str(index)]) == 0
    assert "don't cover" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        cli.main(["search", "prices", "--since", "March", "--index", str(index)])
    assert exit_.value.code == 2 and "'March' is not a date; use YYYY-MM-DD" in capsys.readouterr().err
    assert cli.main(["search", "prices", "--since", "1988-01-01", "--until", "1987-01-01", "--index", str(index)]) == 2
    assert "is after until" in capsys.readouterr().err


def test_filters_over_an_ivf_index(corpus, tmp_path, memo, monkeypatch):
    """Over IVF segments a wide filter searches IVF with a selector of the admitted ids and a
    narrow one searches its few passages exactly; both only ever return admitted passages."""
    from assistant.store.files import ann

    monkeypatch.setattr(ann, "FLAT_LIMIT", 10)  # the corpus's ~60 passages count as a large index
    searcher = _searcher(corpus, str(tmp_path / "index"), memo)
    data = searcher.data
    assert data.ann is not None
    wide, narrow = Filter(since=dt.date(1987, 3, 28)), Filter(dt.date(1987, 4, 3), dt.date(1987, 4, 3))
    assert len(_admitted_ids(data, wide)) > ann.FLAT_LIMIT >= len(_admitted_ids(data, narrow)) > 0
    for window in (wide, narrow):
        admitted = _admitted_ids(data, window)
        for question in QUESTIONS:
            vector = memo.encode_query(question)
            found = data.dense(vector, 5, window)
            assert found and set(found) <= set(admitted)
            exact = [admitted[i] for i in np.argsort(-(data.passage_vectors(admitted) @ vector), kind="stable")[:5]]
            assert len(set(found) & set(exact)) >= min(4, len(exact)), (window, question)
