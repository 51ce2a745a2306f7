"""File names are printed escaped: a newline, an escape sequence, a bidirectional override or a
byte that is not UTF-8 in a name keeps the message on one line and sends nothing to the
terminal (issue 38, item 10). One helper, errors.printable, is used wherever a name is printed."""
from __future__ import annotations

import os
import re
import sys

import pytest

from assistant.errors import ArticleError, printable
from assistant.faces import cli

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="any byte but / in a file name")

RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")  # a newline ends a line, nothing else
ARTICLE = "---\ntitle: Ferry strike ends\noutlet: Nordlys\n---\nThe ferry strike in Tromsø ended on Tuesday after a deal.\n"


def test_printable_escapes_what_would_break_the_line_or_the_terminal():
    assert printable("two\nlines\x1b[31m\u202egpj.md") == "two\\nlines\\x1b[31m\\u202egpj.md"
    assert printable(os.fsdecode(b"caf\xe9.md")) == "caf\\xe9.md"  # the byte itself, not a surrogate
    assert printable("Røseth – “quoted” 北京.md") == "Røseth – “quoted” 北京.md"  # ordinary text untouched
    assert str(ArticleError("a\nb.md", "the file is empty")) == "a\\nb.md: the file is empty"


def test_index_status_and_search_print_each_name_on_its_line(tmp_path, capsys, embedder):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "two\nlines\x1b[31m.md").write_text(ARTICLE, encoding="utf-8")
    (corpus / "bad\x07\u202edm.md").write_bytes(b"")
    (corpus / os.fsdecode(b"caf\xe9.md")).write_bytes(b"   \n")
    assert cli.main(["index", "--corpus", str(corpus), "--index", str(index)]) == 0
    out, err = capsys.readouterr()
    assert "  added    two\\nlines\\x1b[31m.md" in out.splitlines()
    assert "error: bad\\x07\\u202edm.md: the file is empty" in err.splitlines()
    assert "error: caf\\xe9.md: the file is empty" in err.splitlines()
    assert cli.main(["status", "--index", str(index)]) == 0
    status = capsys.readouterr().out
    assert "  two\\nlines\\x1b[31m.md: Ferry strike ends — Nordlys [1 passages]" in status.splitlines()
    assert cli.main(["search", "When did the ferry strike end?", "-k", "1", "--index", str(index)]) == 0
    search = capsys.readouterr().out
    assert "(two\\nlines\\x1b[31m.md ¶1)" in search.splitlines()[0]
    for printed in (out, err, status, search):
        assert not RAW.search(printed), RAW.findall(printed)
