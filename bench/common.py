"""Shared helpers for the evaluation and benchmark scripts (run from the repository root)."""
from __future__ import annotations

import json
import re
import statistics
import string
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"
QUESTIONS = SHARED / "eval" / "questions.jsonl"
SQUAD = SHARED / "data" / "squad-v1.1-dev-half-a.json"
SQUAD2 = SHARED / "data" / "squad-v2.0-dev-half-a.json"  # the same paragraphs, with crowd-written unanswerable questions
REUTERS = SHARED / "data" / "reuters21578.jsonl"

_FOLD = str.maketrans({"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-", "‐": "-", "−": "-"})


def normalise(text: str) -> str:
    """NFKC, curly quotes and dashes folded, whitespace collapsed, lower case."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).translate(_FOLD)).strip().lower()


PIECE = re.compile(r"\s*\[\d+\]\s*")  # what parts an answer's text into its cited pieces


def shows(text: str, evidence: list[str]) -> bool:
    """Whether an answer's text holds one of the evidence strings; the quotation marks an answer sets
    around a quote (Røseth: “…”) are not the article's, so they go first."""
    text = normalise(text.replace("“", "").replace("”", ""))
    return any(normalise(e) in text for e in evidence)


def cites(answer, evidence: list[str]) -> bool:
    """Whether a passage the answer cites holds one of the evidence strings."""
    return any(normalise(e) in normalise(c.hit.text) for e in evidence for c in answer.citations)


def dev_questions() -> list[dict]:
    return [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]


def squad_articles() -> list[dict]:
    """[{title, paragraphs: [{context, qas: [{question, answers}]}]}] from the SQuAD half."""
    return json.loads(SQUAD.read_text(encoding="utf-8"))["data"]


def write_squad_corpus(directory: Path, articles: list[dict] | None = None) -> list[tuple[str, str, list[str]]]:
    """One Markdown article per SQuAD paragraph; returns (question, article id, answers)."""
    directory.mkdir(parents=True, exist_ok=True)
    questions = []
    for a_index, article in enumerate(articles or squad_articles()):
        title = article["title"].replace("_", " ")
        for p_index, paragraph in enumerate(article["paragraphs"]):
            name = f"squad-{a_index:02d}-{p_index:03d}"
            body = paragraph["context"].strip()
            (directory / f"{name}.md").write_text(f"---\ntitle: {json.dumps(title)}\n---\n{body}\n", encoding="utf-8")
            for qa in paragraph["qas"]:
                questions.append((qa["question"], name, [x["text"] for x in qa["answers"]]))
    return questions


def squad_unanswerable() -> list[tuple[str, str]]:
    """(question, article id as write_squad_corpus names it) of SQuAD 2.0's unanswerable questions
    over the half's paragraphs (found by their text: SQuAD 2.0 orders articles otherwise)."""
    where = {p["context"]: f"squad-{a:02d}-{i:03d}" for a, article in enumerate(squad_articles())
             for i, p in enumerate(article["paragraphs"])}
    return [(qa["question"], where[p["context"]]) for article in json.loads(SQUAD2.read_text(encoding="utf-8"))["data"]
            for p in article["paragraphs"] for qa in p["qas"] if qa.get("is_impossible")]


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = set(string.punctuation)


def squad_tokens(text: str) -> list[str]:
    """SQuAD's answer normalisation: lower case, no punctuation or articles, words."""
    text = "".join(c for c in text.lower() if c not in _PUNCTUATION)
    return _ARTICLES.sub(" ", text).split()


def exact_and_f1(prediction: str, answers: list[str]) -> tuple[float, float]:
    """(exact match, F1) of a predicted answer against the best of the gold answers, as SQuAD scores them."""
    best = (0.0, 0.0)
    for answer in answers:
        p, g = squad_tokens(prediction), squad_tokens(answer)
        common = sum(min(p.count(w), g.count(w)) for w in set(p))
        best = max(best, (float(p == g), 2 * common / (len(p) + len(g)) if common else 0.0))
    return best


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def p50_p95(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f} / {percentile(values, 95) * 1000:.1f} ms"


def table(rows: list[list], header: list[str]) -> str:
    cells = [header] + [[f"{c:.3f}" if isinstance(c, float) else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    line = lambda row: "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |"  # noqa: E731
    return "\n".join([line(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(r) for r in cells[1:]])


def add_without(parser) -> None:
    """--without RULE,…: what eval_answers.py and eval_followups.py measure with hand rules left out."""
    parser.add_argument("--without", default="", help="e.g. differ,compound: these hand rules of settings.rules "
                        "left out, to measure what each does")


def settings_without(spec: str):
    """The default answer settings with the hand rules named in `spec` (comma-separated) left out."""
    import dataclasses

    from assistant.settings import DEFAULT  # here: the package is importable once ROOT is on sys.path (above)

    left_out = {r for r in spec.split(",") if r}
    if not left_out <= DEFAULT.rules:
        raise SystemExit(f"--without: rules are {', '.join(sorted(DEFAULT.rules))}")
    return dataclasses.replace(DEFAULT, rules=DEFAULT.rules - left_out)
