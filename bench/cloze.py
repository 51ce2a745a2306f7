"""Cloze questions from Reuters stories, to teach the span reader to find spans before it sees
SQuAD (unsupervised QA by cloze translation, Lewis et al. 2019; recurring spans, Ram et al. 2021).

A name or number that a story gives in two sentences is an answer waiting for a question: one
sentence, the name replaced by a question word, is the question ("GM plans to build how many
cars in the quarter?"), and a few other sentences of the story holding the name again are the
passage, the name's place in them the span. The same question with sentences of the story that
do not hold it is a passage with no answer. Nothing here is labelled by hand, and no story of
our own questions (bench/data) is used, not even its wording.
"""
from __future__ import annotations

import json
import random
import re

import sentencex
from common import REUTERS, ROOT, normalise

_SPAN = re.compile(r"\b(?:[A-Z][\w&.'-]*(?:\s+(?:of\s+|de\s+)?[A-Z][\w&.'-]*){0,3}|\d[\d,.]*(?:\s+(?:pct|mln|billion|dlrs|tonnes))?)\b")
_YEAR = re.compile(r"^(1[89]\d\d|20\d\d)$|^(January|February|March|April|May|June|July|August|September|October|"
                   r"November|December)\b")
_OPENERS = {"The", "A", "An", "In", "It", "He", "She", "They", "This", "That", "But", "And", "Reuter", "REUTER", "U.S",
            "On", "At", "For", "As", "If", "We", "I", "Its", "His", "Their", "There", "These", "Those", "By", "From"}
WINDOW_WORDS = 110


def _held_out_texts() -> list[str]:
    """The stories our own questions are asked over (bench/data): left out by their opening words."""
    paths = list((ROOT / "bench" / "data").rglob("*.md"))
    return [normalise(p.read_text(encoding="utf-8").split("---", 2)[-1])[:80] for p in paths]


def _question_word(span: str) -> str:
    if _YEAR.search(span):
        return "when"
    if span[0].isdigit():
        return "how much" if re.search(r"dlrs|pct|mln|billion", span) else "how many"
    return "what"


def _window(sentences: list[str], keep: int, drop: int, rng: random.Random) -> tuple[str, int]:
    """A passage of whole sentences around sentence `keep`, without sentence `drop`, of about
    WINDOW_WORDS words; (text, offset of sentence `keep` in it)."""
    chosen = [keep]
    before, after = keep - 1, keep + 1
    words = len(sentences[keep].split())
    while words < WINDOW_WORDS and (before >= 0 or after < len(sentences)):
        side = after if (rng.random() < 0.5 or before < 0) and after < len(sentences) else before
        if side == after:
            after += 1
        else:
            before -= 1
        if side != drop:
            chosen.append(side)
            words += len(sentences[side].split())
    chosen.sort()
    text = " ".join(sentences[i] for i in chosen)
    return text, len(" ".join(sentences[i] for i in chosen[:chosen.index(keep)])) + (1 if chosen.index(keep) else 0)


def cloze_pairs(count: int, seed: int = 0) -> list[tuple]:
    """About `count` (question, passage, target, start, end, weight) pairs, target "span" or
    "null" as in train_span_reader (about four with an answer to one without)."""
    rng = random.Random(seed)
    held = _held_out_texts()
    stories = [json.loads(line) for line in REUTERS.read_text(encoding="utf-8").splitlines()]
    stories = [s["body"] for s in stories if s["body"] and 400 < len(s["body"]) < 8000]
    rng.shuffle(stories)
    out: list[tuple] = []
    for body in stories:
        if len(out) >= count:
            break
        opening = normalise(body)[:80]
        if any(opening[:60] in h or h[:60] in opening for h in held):
            continue
        sentences = [s.strip() for s in sentencex.segment("en", re.sub(r"\s+", " ", body)) if len(s.split()) >= 6]
        where: dict[str, list[int]] = {}
        for i, sentence in enumerate(sentences):
            for match in _SPAN.finditer(sentence):
                span = match.group(0).rstrip(".,")
                if span.split()[0] not in _OPENERS and len(span) >= 3 and i not in where.get(span, []):
                    where.setdefault(span, []).append(i)
        recurring = [span for span, at in where.items() if len(at) >= 2]
        for span in rng.sample(recurring, min(5, len(recurring))):
            q, a = rng.sample(where[span], 2)
            question = re.sub(rf"(?<!\w){re.escape(span)}(?!\w)", _question_word(span), sentences[q], count=1)
            question = question.rstrip(".!\"' ") + "?"
            passage, offset = _window(sentences, a, q, rng)
            at = passage.find(span, offset)
            if at < 0 or question.count("?") != 1:
                continue
            out.append((question, passage, "span", at, at + len(span), 1.0))
            without = [i for i in range(len(sentences)) if span not in sentences[i]]
            if without:
                passage, _ = _window(sentences, rng.choice(without), q, rng)
                if span not in passage:
                    out.append((question, passage, "null", 0, 0, 1.0))
    return out[:count]


if __name__ == "__main__":
    for pair in cloze_pairs(12, seed=1):
        print(pair[2], "|", pair[0], "|", pair[1][pair[3]:pair[4]] if pair[2] == "span" else "-")
