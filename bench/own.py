"""Our own questions (bench/data/own_questions.jsonl), their fixed split, and their corpus:
the two seeds plus the Reuters stories (bench/data/reuters/), indexed together, or only
one half's articles (fitting sees no test article, not even as a distractor)."""
from __future__ import annotations

import json
import shutil

from common import ROOT

from assistant.ingest.indexer import build_index

DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results"


def halves() -> dict[str, str]:
    """Each article's half, "tune" or "test", from split.json: the split is by article."""
    split = json.loads((DATA / "split.json").read_text(encoding="utf-8"))
    return {article: name for name in ("tune", "test") for article in split[name]}


def load_own() -> list[dict]:
    """Every question with `split` ("tune" or "test") from split.json; the split is by article."""
    half = halves()
    questions = [json.loads(line) for line in (DATA / "own_questions.jsonl").read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    for q in questions:
        q["split"] = half[q["article"]]
        q.setdefault("answerable", bool(q["evidence"]))
    return questions


def load_fresh() -> list[dict]:
    """The fresh test questions (bench/data/fresh_questions.jsonl): a test set, never tuned on."""
    questions = [json.loads(line) for line in (DATA / "fresh_questions.jsonl").read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    for q in questions:
        q["answerable"] = bool(q["evidence"])
    return questions


def fresh_index(embedder):
    """The index of the seeds, our Reuters stories and the nine fresh ones, up to date; its directory."""
    corpus = RESULTS / "fresh-corpus"
    if corpus.exists():
        shutil.rmtree(corpus)
    corpus.mkdir(parents=True)
    for source in [*(ROOT / "corpus").glob("*.md"), *(DATA / "reuters").glob("*.md"), *(DATA / "fresh").glob("*.md")]:
        shutil.copy2(source, corpus / source.name)
    index = RESULTS / f"fresh-index-{embedder.backend}"
    build_index(corpus, index, embedder=embedder, progress=False)
    return index


def heldout_index(embedder, *, differ: bool = False, second: bool = False):
    """The index of the seeds, every Reuters story of bench/data (ours, the fresh ones, the held-out
    ones of HELDOUT.md), with `differ` the pairs of reports that differ and with `second` the
    stories of HELDOUT2.md; its directory."""
    name = "differ" if differ else "heldout2" if second else "heldout"
    corpus = RESULTS / f"{name}-corpus"
    if corpus.exists():
        shutil.rmtree(corpus)
    corpus.mkdir(parents=True)
    folders = ["reuters", "fresh", "heldout"] + (["differ"] if differ else []) + (["heldout2"] if second else [])
    for source in [*(ROOT / "corpus").glob("*.md"), *(p for f in folders for p in (DATA / f).glob("*.md"))]:
        shutil.copy2(source, corpus / source.name)
    index = RESULTS / f"{name}-index-{embedder.backend}"
    build_index(corpus, index, embedder=embedder, progress=False)
    return index


def load_jsonl(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def own_index(embedder, half: str | None = None):
    """The index of the seeds and the Reuters stories (only those of `half`, "tune" or "test",
    when given), brought up to date; its directory."""
    split = json.loads((DATA / "split.json").read_text(encoding="utf-8"))
    wanted = set(split[half]) if half else None
    name = f"-{half}" if half else ""
    corpus = RESULTS / f"own-corpus{name}"
    if corpus.exists():
        shutil.rmtree(corpus)
    corpus.mkdir(parents=True)
    for source in [*(ROOT / "corpus").glob("*.md"), *(DATA / "reuters").glob("*.md")]:
        if wanted is None or source.stem in wanted:
            shutil.copy2(source, corpus / source.name)
    index = RESULTS / f"own-index{name}-{embedder.backend}"
    build_index(corpus, index, embedder=embedder, progress=False)
    return index
