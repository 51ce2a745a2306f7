"""PostgreSQL-only guarantees on a real server: an update is one transaction (crash points,
kill -9), a foreign model or format is refused, and separate processes share one database."""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import psycopg
import pytest

from assistant import build_index
from assistant.store import backends
from assistant.errors import IndexMismatchError, IndexNotFoundError
from assistant.store.pg import writer
from assistant.store.pg.schema import SCHEMA
from conftest import CORPUS, MEETING_PATH, ROOT, free_port, interrupt, output_until_serving

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:platformdirs")
FERRY = "---\ntitle: Ferry strike ends in Tromsø\noutlet: Nordlys\n---\nThe ferry strike in Tromsø ended on Tuesday.\n"
ENV = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")


class Crash(BaseException):
    pass


def _state(url):
    """Live articles with hashes and passage texts, the counts and the BM25 statistics; None: no index."""
    try:
        data = backends.locate(url).open()
    except IndexNotFoundError:
        return None
    articles = data.articles()
    texts = data.passages([p for m in articles.values() for p in m.passages])
    rows = data.rows(f"SELECT (SELECT count(*) FROM {SCHEMA}.passages), (SELECT coalesce(sum(df), 0) FROM "
                     f"{SCHEMA}.terms), (SELECT count(*) FROM {SCHEMA}.postings)")[0]
    assert rows[0] == data.size and rows[1] == rows[2]  # every posting counted once in df, none stale
    return (tuple(sorted((aid, m.hash, tuple(texts[p].text for p in m.passages)) for aid, m in articles.items())),
            data.size, data.meta["documents"], data.meta["total_length"])


def _build(corpus, url, memo, **kw):
    return build_index(corpus, url, embedder=memo, progress=False, **kw)


@pytest.mark.parametrize("kind", ["build", "update", "rebuild"])
def test_a_crash_at_any_statement_leaves_the_old_or_the_new_state(kind, tmp_path, pg_url, memo, monkeypatch):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    if kind != "build":
        _build(corpus, pg_url, memo)
    (corpus / "ferry.md").write_text(FERRY, encoding="utf-8")
    if kind == "update":
        (corpus / MEETING_PATH).unlink()
    old = _state(pg_url)
    steps: list[str] = []
    monkeypatch.setattr(writer, "checkpoint", steps.append)
    _build(corpus, pg_url, memo, rebuild=kind == "rebuild")
    new = _state(pg_url)
    assert new != old and len(steps) >= 5, steps
    monkeypatch.setattr(writer, "checkpoint", lambda at: None)
    # Back to the old state, then crash at each step in turn.
    for n, step in enumerate(steps):
        if kind == "build":
            with psycopg.connect(pg_url, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
        else:
            saved = {p.name: p.read_bytes() for p in corpus.iterdir()}
            shutil.rmtree(corpus)
            shutil.copytree(CORPUS, corpus)
            _build(corpus, pg_url, memo, rebuild=True)
            shutil.rmtree(corpus)
            corpus.mkdir()
            for name, data in saved.items():
                (corpus / name).write_bytes(data)
        before = _state(pg_url)
        assert before == old or kind != "build" and before[0] == old[0]

        def crash(at, n=n):
            if at == steps[n]:
                raise Crash(at)

        monkeypatch.setattr(writer, "checkpoint", crash)
        with pytest.raises(Crash):
            _build(corpus, pg_url, memo, rebuild=kind == "rebuild")
        assert _state(pg_url) == before, step
        monkeypatch.setattr(writer, "checkpoint", lambda at: None)
        _build(corpus, pg_url, memo, rebuild=kind == "rebuild")
        assert _state(pg_url)[0] == new[0], step


KILL_TRIALS = 3  # bench/crash_soak.py --pg runs 20


def test_kill_9_during_an_update_leaves_the_old_or_the_new_state(tmp_path, pg_url, memo):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    for path in sorted((ROOT / "bench" / "data" / "reuters").glob("*.md")):
        shutil.copyfile(path, corpus / path.name)
    _build(corpus, pg_url, memo)
    old = _state(pg_url)[0]
    rng = random.Random(11)
    outcomes = set()
    for trial in range(KILL_TRIALS):
        process = subprocess.Popen([sys.executable, "-m", "assistant", "index", "--corpus", str(corpus), "--index",
                                    pg_url, "--rebuild"], env=ENV, cwd=ROOT,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(2.0, 12.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
        state = _state(pg_url)
        assert state is not None and state[0] == old  # a rebuild of the same corpus: same articles either way
        outcomes.add(trial)
    (corpus / "ferry.md").write_text(FERRY, encoding="utf-8")
    assert _build(corpus, pg_url, memo).added == ("ferry.md",)  # the writer's lock died with it


def test_foreign_model_or_format_is_refused(tmp_path, pg_url, memo):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    _build(corpus, pg_url, memo)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"UPDATE {SCHEMA}.meta SET value = jsonb_set(value, '{{model,fingerprint}}', '\"0123456789abcdef\"')")
    with pytest.raises(IndexMismatchError, match="built with model .* Use that model, or rebuild"):
        _build(corpus, pg_url, memo)
    from assistant import Assistant

    assistant = Assistant(pg_url)
    assistant.embedder = memo
    with pytest.raises(IndexMismatchError, match="built with model"):
        assistant.retrieve("Lukashenko")
    assert _build(corpus, pg_url, memo, rebuild=True).rebuilt
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"UPDATE {SCHEMA}.meta SET value = jsonb_set(value, '{{version}}', '99')")
    with pytest.raises(IndexMismatchError, match="version 99.*--rebuild"):
        backends.locate(pg_url).open()


def test_an_unreachable_database_is_one_clear_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "assistant", "status", "--index",
                             f"postgresql://nobody:secret@/nowhere?host={tmp_path}"],
                            env=ENV, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: Cannot use the database at postgresql://nobody:***@")
    assert "secret" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_two_processes_share_one_database(tmp_path, pg_url):
    """`python app.py` serves from PostgreSQL; an article indexed by another process is cited next."""
    from gradio_client import Client

    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    port = free_port()
    app = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--corpus", str(corpus), "--index", pg_url,
                            "--port", str(port)], env=ENV, cwd=tmp_path, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    try:
        output = output_until_serving(app)
        assert output.splitlines()[-1:] and output.splitlines()[-1].startswith("Serving at"), output
        assert "postgresql://postgres:***@" in output
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        question = "How did the ferry strike in Tromsø end?"
        text, _ = client.predict(question, [], api_name="/chat")
        assert "don't cover" in text
        (corpus / "ferry.md").write_text(FERRY, encoding="utf-8")
        other = subprocess.run([sys.executable, "-m", "assistant", "index", "--corpus", str(corpus), "--index", pg_url],
                               env=ENV, cwd=ROOT, capture_output=True, text=True, timeout=180)
        assert other.returncode == 0 and "1 added" in other.stdout, other.stderr
        text, sources = client.predict(question, [], api_name="/chat")
        cited = json.loads(sources) if isinstance(sources, str) else sources
        assert "Tuesday" in text and "Ferry strike ends in Tromsø" in json.dumps(cited, ensure_ascii=False)
    finally:
        interrupt(app)


def test_maxscore_top_k_is_the_full_bm25_aggregate(tmp_path, pg_url, memo):
    """BM25's MaxScore top k (pg/bm25.py) returns the full aggregate's passages and scores, or
    hands over to it when its bound cannot prove the result; both paths are taken here."""
    import numpy as np

    from assistant import lexical
    from assistant.store.pg import bm25

    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    for path in sorted((ROOT / "bench" / "data" / "reuters").glob("*.md")):
        shutil.copy(path, corpus / path.name)
    build_index(corpus, pg_url, embedder=memo, progress=False)
    data = backends.locate(pg_url).open()
    questions = ["What did the Polish government decide about food and fuel prices?", "cocoa buffer stock rules",
                 "Why might Lukashenko deviate from Moscow?", "said the company", "GM second quarter car output",
                 "supercomputer sale to India", "the price of platinum in 1991", "Noranda mine Quebec help"]
    proved = 0
    for question in questions:
        query = data.lexical(lexical.tokenize([question])[0])
        for k in (5, 30):
            full = data.rows(bm25._BM25.format(where=""), {"terms": query.terms, "k1": lexical.K1, "b": lexical.B, "k": k})
            found = query._maxscore(k)
            if found is None:
                continue
            proved += 1
            assert [pid for pid, _ in found] == [pid for pid, _ in full], (question, k)
            np.testing.assert_allclose([s for _, s in found], [s for _, s in full], rtol=1e-9)
        assert query.top(30) == [pid for pid, _ in data.rows(bm25._BM25.format(where=""), {
            "terms": query.terms, "k1": lexical.K1, "b": lexical.B, "k": 30})]
    assert 4 <= proved < 2 * len(questions)  # the bound proves most, and some fall back
