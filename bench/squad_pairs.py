"""Training pairs for the span reader from the SQuAD v1.1 training set (../shared/data).

Every question gives an answerable pair: the question with a window of its paragraph (whole
sentences, PASSAGE_BUDGET word pieces at most, like the app's passages) holding the answer.
Unanswerable pairs, "no answer" at [CLS], are made from the same set:
- *other*: the question with the window of the most similar other paragraph of its own
  article (TF-IDF cosine) that lacks the answer: the topic is there, the fact is not, as when a
  news question's fact is in no story;
- *detail*: the question with one detail changed, read against its own window, as SQuAD 2.0's
  writers made theirs: a name, number or year the window holds swapped for one of the same
  kind from the article's other questions that the window lacks (swap), a word swapped for its
  antonym that the window lacks (antonym), or the first auxiliary negated when the window
  has no negation (negation).

Questions are shuffled once (seed 0) and numbered; a question's pairs carry its number, so
training on the first N questions is a prefix of one shuffled list (the 10k / 30k / all curve).
"""
from __future__ import annotations

import hashlib
import json
import random
import re
from pathlib import Path

from common import SHARED

TRAIN = SHARED / "data" / "squad-v1.1-train.json"
PAIRS_VERSION = 1
PASSAGE_BUDGET = (56, 160)  # a window's word pieces: drawn per pair, so short and full passages are both seen
OTHER_SHARE = 0.4  # questions that also give an "other paragraph" pair
DETAIL_SHARE = 0.35  # questions that also give a changed-detail pair, where one can be made
_ANTONYMS = [("first", "last"), ("largest", "smallest"), ("most", "least"), ("highest", "lowest"), ("before", "after"),
             ("earliest", "latest"), ("longest", "shortest"), ("oldest", "youngest"), ("increase", "decrease"),
             ("increased", "decreased"), ("north", "south"), ("east", "west"), ("northern", "southern"),
             ("eastern", "western"), ("maximum", "minimum"), ("won", "lost"), ("win", "lose"), ("began", "ended"),
             ("start", "end"), ("higher", "lower"), ("more", "less"), ("larger", "smaller"), ("major", "minor"),
             ("public", "private"), ("positive", "negative"), ("best", "worst"), ("top", "bottom"), ("open", "closed"),
             ("early", "late"), ("upper", "lower"), ("inside", "outside"), ("accepted", "rejected"), ("rise", "fall"),
             ("allowed", "banned"), ("supported", "opposed"), ("male", "female"), ("modern", "ancient")]
ANTONYM = {a: b for pair in _ANTONYMS for a, b in (pair, pair[::-1])}
_NEGATE = {"is": "isn't", "was": "wasn't", "are": "aren't", "were": "weren't", "did": "didn't", "does": "doesn't",
           "do": "don't", "can": "can't", "could": "couldn't", "has": "hasn't", "have": "haven't", "had": "hadn't",
           "will": "won't", "would": "wouldn't", "should": "shouldn't"}
_AUXILIARY = re.compile(r"^((?:what|who|which|when|where|how|why)(?: \w+)?) (" + "|".join(_NEGATE) + r")\b", re.I)
_NEGATION = re.compile(r"\b(not|no|never|none|nor|without)\b|n't\b", re.I)
_DETAIL = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})\b|(?<!^)\b[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)*|\b\d[\d,.]*\d\b|\b\d\b")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _kind(value: str) -> str:
    return "year" if re.fullmatch(r"1[0-9]{3}|20[0-9]{2}", value) else "number" if value[0].isdigit() else "name"


def windows(text: str, spans: list[tuple[int, int]], counts: list[int], budget: int) -> list[tuple[int, int]]:
    """Character ranges of runs of whole sentences of at most `budget` word pieces (a longer
    sentence alone), one starting at each sentence."""
    out = []
    for i in range(len(spans)):
        j, used = i, counts[i]
        while j + 1 < len(spans) and used + counts[j + 1] <= budget:
            j, used = j + 1, used + counts[j + 1]
        out.append((spans[i][0], spans[j][1]))
    return out


def _around(ranges: list[tuple[int, int]], start: int, end: int, rng: random.Random) -> tuple[int, int] | None:
    holding = [r for r in ranges if r[0] <= start and end <= r[1]]
    return rng.choice(holding) if holding else None


def detail_changed(question: str, window: str, pool: dict[str, list[str]], rng: random.Random) -> tuple[str, str] | None:
    """(changed question, how) with one detail the window holds changed so that it no longer answers, or None."""
    ways = []
    shared = [m for m in _DETAIL.finditer(question) if m.group(0) in window]
    others = {m: [x for x in pool.get(_kind(m.group(0)), []) if x.lower() not in window.lower() and x != m.group(0)]
              for m in shared}
    if any(others.values()):
        ways.append("swap")
    words = [m for m in re.finditer(r"\b[a-z]+\b", question) if m.group(0) in ANTONYM
             and not re.search(rf"\b{ANTONYM[m.group(0)]}\b", window, re.I)]
    if words:
        ways.append("antonym")
    if _AUXILIARY.match(question) and not _NEGATION.search(window):
        ways.append("negation")
    if not ways:
        return None
    how = rng.choice(ways)
    if how == "swap":
        m = rng.choice([m for m in shared if others[m]])
        return question[:m.start()] + rng.choice(others[m]) + question[m.end():], how
    if how == "antonym":
        m = rng.choice(words)
        return question[:m.start()] + ANTONYM[m.group(0)] + question[m.end():], how
    m = _AUXILIARY.match(question)
    return f"{m.group(1)} {_NEGATE[m.group(2).lower()]}{question[m.end():]}", how


def build(tokenizer, seed: int = 0) -> list[dict]:
    """Every question's pairs: {n (its number), question, passage, start, end (characters; 0, 0 for
    none), kind ("answer", "other", "swap", "antonym" or "negation")}."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from assistant.chunking import sentence_spans

    data = json.loads(TRAIN.read_text(encoding="utf-8"))["data"]
    rng = random.Random(seed)
    items = []  # (question, answer, answer start, article index, paragraph index)
    paragraphs = []  # per article: [(text, sentence spans, word pieces per sentence)]
    for a, article in enumerate(data):
        paragraphs.append([])
        for p, paragraph in enumerate(article["paragraphs"]):
            text = paragraph["context"]
            spans = sentence_spans(text)
            counts = [len(ids) for ids in tokenizer([text[s:e] for s, e in spans], add_special_tokens=False)["input_ids"]]
            paragraphs[a].append((text, spans, counts))
            items += [(q["question"].strip(), q["answers"][0]["text"], q["answers"][0]["answer_start"], a, p)
                      for q in paragraph["qas"]]
    rng.shuffle(items)
    found: list[dict[str, set[str]]] = [{} for _ in data]  # names, numbers and years of each article's questions
    for question, _, _, a, _ in items:
        for m in _DETAIL.finditer(question):
            found[a].setdefault(_kind(m.group(0)), set()).add(m.group(0))
    pools = [{k: sorted(v) for k, v in pool.items()} for pool in found]
    similar = _similar_paragraphs(items, paragraphs, TfidfVectorizer)
    out = []
    for n, (question, answer, at, a, p) in enumerate(items):
        text, spans, counts = paragraphs[a][p]
        budget = rng.randint(*PASSAGE_BUDGET)
        window = _around(windows(text, spans, counts, budget), at, at + len(answer), rng)
        if window is None or text[at:at + len(answer)] != answer:
            continue  # the answer crosses the sentences the splitter found, or its offset is off
        passage = text[window[0]:window[1]]
        out.append(dict(n=n, question=question, passage=passage, start=at - window[0], end=at - window[0] + len(answer),
                        kind="answer"))
        if rng.random() < OTHER_SHARE:
            for q in similar[n]:
                other, o_spans, o_counts = paragraphs[a][q]
                if answer.lower() in other.lower():
                    continue
                best = max(windows(other, o_spans, o_counts, budget), key=lambda r: _overlap(question, other[r[0]:r[1]]))
                out.append(dict(n=n, question=question, passage=other[best[0]:best[1]], start=0, end=0, kind="other"))
                break
        if rng.random() < DETAIL_SHARE:
            changed = detail_changed(question, passage, pools[a], rng)
            if changed:
                out.append(dict(n=n, question=changed[0], passage=passage, start=0, end=0, kind=changed[1]))
    return out


def _overlap(question: str, text: str) -> int:
    words = set(re.findall(r"\w{3,}", question.lower()))
    return len(words & set(re.findall(r"\w{3,}", text.lower())))


def _similar_paragraphs(items, paragraphs, vectorizer_class) -> list[list[int]]:
    """Per question: the other paragraphs of its article, most similar to the question first (TF-IDF)."""
    texts = [t for article in paragraphs for t, _, _ in article]
    vectorizer = vectorizer_class(stop_words="english", sublinear_tf=True, ngram_range=(1, 2), min_df=2).fit(texts)
    offsets, total = [], 0
    for article in paragraphs:
        offsets.append(total)
        total += len(article)
    matrix = vectorizer.transform(texts)
    questions = vectorizer.transform([q for q, *_ in items])
    out = []
    for k, (_, _, _, a, p) in enumerate(items):
        block = matrix[offsets[a]:offsets[a] + len(paragraphs[a])]
        scores = (block @ questions[k].T).toarray().ravel()
        scores[p] = -1.0
        out.append([int(i) for i in scores.argsort()[::-1][:5] if i != p])
    return out


def load(cache_dir: Path, tokenizer) -> tuple[list[dict], dict]:
    """The pairs (built once, cached by the data's sha256 and PAIRS_VERSION) and what they came from."""
    digest = sha256(TRAIN)
    path = cache_dir / f"squad-train-pairs-v{PAIRS_VERSION}-{digest[:12]}.jsonl"
    if not path.exists():
        pairs = build(tokenizer)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text("".join(json.dumps(p) + "\n" for p in pairs), encoding="utf-8")
        tmp.replace(path)
    pairs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    kinds: dict[str, int] = {}
    for p in pairs:
        kinds[p["kind"]] = kinds.get(p["kind"], 0) + 1
    return pairs, {"data": TRAIN.name, "sha256": digest, "pairs_version": PAIRS_VERSION, "kinds": kinds,
                   "data_questions": 1 + max(p["n"] for p in pairs)}
