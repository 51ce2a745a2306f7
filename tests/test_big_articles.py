"""A huge article cannot stall the build (issue 38, item 8): over the per-article size limits
it is one line naming the file and the rest of the corpus is still indexed; a build embeds its
texts a slice at a time, so memory does not grow with everything it holds at once."""
from __future__ import annotations

import numpy as np
import pytest

from assistant.embedding import Embedder
from assistant.ingest import indexer
from assistant.ingest.corpus import MAX_ARTICLE_BYTES, parse_article
from assistant.ingest.indexer import build_index
from assistant.errors import ArticleError

SHORT = "---\ntitle: {title}\noutlet: Nordlys\n---\n{text}\n"


def _corpus(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ferry.md").write_text(SHORT.format(title="Ferry strike ends", text="The ferry strike in Tromsø ended "
                                                  "on Tuesday after a deal on pay."), encoding="utf-8")
    return corpus


def test_a_line_of_a_megabyte_and_a_half_is_refused_in_one_line_before_it_is_read(tmp_path, embedder):
    corpus = _corpus(tmp_path)
    (corpus / "dump.txt").write_bytes(b"Dump\n\n" + b"word " * 300_000)  # 1.5 MB, one line: once within 5 MB
    report = build_index(corpus, tmp_path / "index", embedder=embedder, progress=False)
    assert [(e.path, e.message) for e in report.errors] == [
        ("dump.txt", "the file is 1.5 MB; articles over 1 MB are refused")]
    assert report.added == ("ferry.md",)  # the rest of the corpus is indexed
    with pytest.raises(ArticleError, match="over 1 MB"):
        parse_article(b"Dump\n\n" + b"x " * (MAX_ARTICLE_BYTES // 2 + 1), "dump.txt")  # an upload or a link's page


def test_an_article_of_too_many_passages_is_refused_before_anything_is_embedded(tmp_path, embedder, monkeypatch):
    corpus = _corpus(tmp_path)
    sentence = "The council met again on Tuesday to discuss the harbour budget for the coming year. "
    items = [f"Item {i}. " + sentence * 6 for i in range(6)]  # distinct: cleaning drops repeated paragraphs
    (corpus / "minutes.txt").write_text("Council minutes\n\n" + "\n\n".join(items), encoding="utf-8")
    monkeypatch.setattr(indexer, "MAX_ARTICLE_PASSAGES", 4)  # the limit, small: this one makes 6
    report = build_index(corpus, tmp_path / "index", embedder=embedder, progress=False)
    assert [(e.path, e.message) for e in report.errors] == [
        ("minutes.txt", "it makes 6 passages; articles of more than 4 are refused: split it into several files")]
    assert report.added == ("ferry.md",) and report.passages_embedded == 1


class Recording(Embedder):
    """The real model; records how many texts each call embeds at once."""

    def __init__(self):
        super().__init__()
        self.calls: list[int] = []

    def encode(self, texts, **kwargs):
        self.calls.append(len(texts))
        return super().encode(texts, **kwargs)


def test_a_build_embeds_its_texts_a_slice_at_a_time(tmp_path, embedder, monkeypatch):
    corpus = _corpus(tmp_path)
    (corpus / "bridge.md").write_text(SHORT.format(title="Bridge opens", text="The bridge to Kvaløya opened on "
                                                   "Friday. Traffic was light. The mayor cut a ribbon. It rained."),
                                      encoding="utf-8")
    recording = Recording()
    monkeypatch.setattr(indexer, "EMBED_SLICE", 2)
    report = build_index(corpus, tmp_path / "index", embedder=recording, progress=False)
    assert report.passages_embedded == 2 and report.sentences_embedded == 5
    assert max(recording.calls) <= 2 and sum(recording.calls) == 7, recording.calls
    from assistant import Assistant

    service = Assistant(tmp_path / "index", corpus)
    hit = service.retrieve("When did the bridge to Kvaløya open?", 1)[0]
    assert hit.article_id == "bridge"
    alone = embedder.encode(["Bridge opens\nThe bridge to Kvaløya opened on Friday. Traffic was light. The mayor cut "
                             "a ribbon. It rained."])
    assert np.array_equal(service.searcher().data.passage_vectors([hit.passage_id]), alone)  # the same bits, sliced
