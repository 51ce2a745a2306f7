import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.ingest.chunking import chunk_article, embed_text, sentence_spans
from assistant.ingest.corpus import load_corpus, parse_article
from conftest import CORPUS


def _check_invariants(article, passages, count_tokens, limit):
    covered = []
    for passage in passages:
        assert passage.text == article.text[passage.start:passage.end]
        first, last = passage.paragraphs
        assert article.paragraphs[first][0] <= passage.start and passage.end <= article.paragraphs[last - 1][1]
        for s, e in passage.sentences:
            assert 0 <= s < e <= len(passage.text)
            covered.append((passage.start + s, passage.start + e))
        assert count_tokens([embed_text(article.title, passage.text)])[0] <= limit
    # the passages' sentences are exactly the article's sentences: none split, none lost
    expected = [(ps + s, ps + e) for ps, pe in article.paragraphs for s, e in sentence_spans(article.text[ps:pe])]
    assert covered == expected


def test_seed_passages_fit_the_model_and_map_back(embedder):
    articles, _ = load_corpus(CORPUS)
    limit = embedder.max_tokens - 2
    for article in articles:
        passages = chunk_article(article, embedder.count_tokens, max_model_tokens=embedder.max_tokens)
        assert len(passages) >= 5
        _check_invariants(article, passages, embedder.count_tokens, limit)


def test_quotes_stay_with_the_paragraph_before(embedder):
    articles, _ = load_corpus(CORPUS)
    for article in articles:
        for passage in chunk_article(article, embedder.count_tokens, max_model_tokens=embedder.max_tokens):
            assert not passage.text.startswith("–"), passage.text[:80]


def test_long_paragraph_is_split_between_sentences():
    sentence = "The committee met again on Tuesday to discuss the harbour budget. "
    article = parse_article(("Harbour budget\n\n" + sentence * 40).encode(), "harbour.txt")
    words = lambda texts: [len(t.split()) for t in texts]  # noqa: E731
    passages = chunk_article(article, words, max_model_tokens=128, passage_tokens=60)
    assert len(passages) > 5
    assert all(p.text.endswith("budget.") for p in passages)
    _check_invariants(article, passages, words, 128)


_word = st.text(alphabet="abcdefghij", min_size=1, max_size=8)
_sentence = st.lists(_word, min_size=1, max_size=12).map(lambda ws: " ".join(ws).capitalize() + ".")
_paragraph = st.lists(_sentence, min_size=1, max_size=6).map(" ".join)
_quote = _paragraph.map(lambda p: "– " + p)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(_paragraph, _quote), min_size=1, max_size=12), st.integers(20, 80))
def test_chunking_invariants_hold_for_any_article(paragraphs, budget):
    article = parse_article(("Title line\n\n" + "\n\n".join(paragraphs)).encode(), "random.txt")
    words = lambda texts: [len(t.split()) for t in texts]  # noqa: E731
    passages = chunk_article(article, words, max_model_tokens=1000, passage_tokens=budget)
    assert [p.ordinal for p in passages] == list(range(len(passages)))
    covered = [(p.start + s, p.start + e) for p in passages for s, e in p.sentences]
    expected = [(ps + s, ps + e) for ps, pe in article.paragraphs for s, e in sentence_spans(article.text[ps:pe])]
    pieces = iter(covered)
    for start, end in expected:  # a sentence, or one too long for a passage cut between words
        first = piece = next(pieces)
        while piece[1] < end:
            piece = next(pieces)
        assert (first[0], piece[1]) == (start, end)
        if first != (start, end):
            assert len(article.text[start:end].split()) > budget - 8
    assert next(pieces, None) is None
    assert all(len(article.text[s:e].split()) <= max(budget, 16) for s, e in covered)
    for p in passages:
        assert p.text == article.text[p.start:p.end]


@pytest.mark.parametrize("kind", ["words", "punctuation"])
def test_chunking_grows_linearly_with_the_text(embedder, kind):
    """One line with no sentence end (a dump, 5 MB of it held `index` for minutes): the tokenizer
    never reads more than MAX_TOKENIZED_CHARS at once, the characters it reads grow as the text
    does (1x against 8x), and every passage, even of one "word" of 20,000 "!", fits the model."""
    from assistant.ingest.chunking import MAX_TOKENIZED_CHARS

    read: list[int] = []

    def counting(texts):
        read.extend(len(t) for t in texts)
        return embedder.count_tokens(texts)

    work = {}
    for scale in (1, 8):
        body = " ".join(f"word{i}" for i in range(2_000 * scale)) if kind == "words" else "!" * (2_500 * scale)
        article = parse_article(f"Dump\n\n{body}".encode(), "dump.txt")
        read.clear()
        passages = chunk_article(article, counting, max_model_tokens=embedder.max_tokens)
        assert max(read) <= MAX_TOKENIZED_CHARS, f"the tokenizer read {max(read):,} characters at once"
        work[scale] = sum(read)
        assert work[scale] <= 4 * len(article.text)
        assert "".join(p.text for p in passages).replace(" ", "") == article.text.split("\n\n", 1)[-1].replace(" ", "")
        sizes = embedder.count_tokens([embed_text(article.title, p.text) for p in passages])
        assert max(sizes) <= embedder.max_tokens - 2, "a passage the model would cut"
    assert work[8] <= 9 * work[1], work
