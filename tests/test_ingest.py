"""News pages in: web pages (files and links) and PDFs become corpus articles with their
metadata, read by trafilatura and pypdf, fetched only from the link given, over a local
news site on 127.0.0.1 (tests/newssite.py) with ten fixture pages of different layouts.
That site is on this machine, which links may reach only when allowed (`urls.PRIVATE_OK`):
the tests that read it allow it explicitly, and the last tests check what is refused."""
from __future__ import annotations

import datetime as dt
import json
import re
import time

import pytest

from assistant import Assistant, SourceError
from assistant.faces import cli
from assistant.ingest import sources as ingest
from assistant.ingest.corpus import parse_article, read_article
from assistant.ingest import urls
from conftest import CORPUS
from newssite import PAGES, REPORT, REPORT_PDF
from pdfs import make_pdf

EXPECTED = json.loads((PAGES / "expected.json").read_text(encoding="utf-8"))
_SENTENCES = re.compile(r"(?<=[.!?\"”»])\s+(?=[\"“«A-ZÆØÅ])")


def _sentences(paragraphs) -> list[str]:
    return [s for p in paragraphs for s in _SENTENCES.split(p) if s.strip()]


def _article(news_site, name: str, path: str = "/pages/"):
    data, suffix, label = ingest.article_from(f"{news_site.url}{path}{name}", links=urls.PRIVATE_OK)
    assert suffix == ".md" and label.endswith(name)
    return parse_article(data, "saved.md")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_page_metadata_is_read_exactly(news_site, name):
    expected, article = EXPECTED[name], _article(news_site, name)
    published = dt.date.fromisoformat(expected["published"]) if expected["published"] else None
    assert (article.title, article.outlet, article.published) == (expected["title"], expected["outlet"], published)
    assert article.url == (expected["url"] or f"{news_site.url}/pages/{name}")  # canonical link, else where it came from


def test_body_is_kept_and_no_cruft_survives(news_site):
    """Target: ≥ 95% of body sentences kept, and no paragraph that is not the article's (0 cruft)."""
    kept = total = 0
    for name, expected in EXPECTED.items():
        article = _article(news_site, name)
        paragraphs = [article.text[a:b] for a, b in article.paragraphs]
        body = _sentences(expected["body"])
        total += len(body)
        kept += sum(sentence in article.text for sentence in body)
        strays = [p for p in paragraphs if p not in expected["body"]]
        assert not strays, (name, strays)
        assert not [c for c in expected["cruft"] if len(c.split()) >= 3 and c in paragraphs], name
    assert kept / total >= 0.95, (kept, total)


def test_authors_are_names_or_nothing(news_site):
    for name, expected in EXPECTED.items():
        author = _article(news_site, name).byline
        assert author in (expected["author"], None), (name, author)  # never a bio line or a date
    assert _article(news_site, "vaccine-clinic.html").byline == "Grace Mwangi; Tomas Ruiz"


def test_html_file_and_pdf_file(tmp_path):
    data, suffix, label = ingest.article_from(PAGES / "grain-prices.html")
    article = parse_article(data, "saved.md")
    assert (suffix, label, article.title, article.outlet) == (".md", "grain-prices.html",
                                                               "Drought pushes grain prices to a ten-year high",
                                                               "Farm & Market Weekly")
    assert article.url is None  # a file has no address unless the page names its canonical one
    pdf = tmp_path / "harbour-report.pdf"
    pdf.write_bytes(REPORT_PDF)
    data, suffix, _ = ingest.article_from(pdf)
    article = parse_article(data, "saved.md")
    assert article.title == REPORT[0][0] and article.byline == "Port Authority of Tromsø" and article.published is None
    assert [article.text[a:b] for a, b in article.paragraphs] == REPORT[0][1:] + REPORT[1]
    titled = make_pdf(REPORT, title="Harbour traffic in 2024: the annual report")  # metadata wins over the heading
    article = parse_article(ingest.from_upload(titled, "report.pdf")[0], "saved.md")
    assert article.title == "Harbour traffic in 2024: the annual report" and article.text.startswith(REPORT[0][0])
    with pytest.raises(SourceError, match="report.pdf: this is not a readable PDF"):
        ingest.from_upload(b"%PDF-1.4 not really", "report.pdf")
    with pytest.raises(SourceError, match=r"notes.docx: cannot add '.docx' files"):
        ingest.from_upload(b"PK\x03\x04", "notes.docx")


def test_link_errors_are_one_line_and_say_what_went_wrong(news_site):
    base = news_site.url
    cases = {
        f"{base}/missing": "the server answered 404",
        f"{base}/image.png": "it is image/png, not a web page or PDF",
        f"{base}/loop": "more than 5 redirects",
        f"{base}/redirect/6": "more than 5 redirects",
        f"{base}/to-ftp": "which is not an http(s) link",
        f"{base}/huge": "the page is 50.0 MB; over 10 MB is not an article",
        f"{base}/endless": "the page is over 10 MB, which is not an article",
        "http://127.0.0.1:9/closed": "cannot be reached",
        "ftp://example.org/story.html": "only http:// and https:// links can be added",
        "file:///etc/passwd": "only http:// and https:// links can be added",
        "sftp://example.org/page.html": "only http:// and https:// links can be added",
        "data:text/html,<p>hello</p>": "only http:// and https:// links can be added",
    }
    for link, reason in cases.items():
        with pytest.raises(SourceError) as error:
            ingest.article_from(link, links=urls.PRIVATE_OK)
        assert reason in str(error.value) and "\n" not in str(error.value) and str(error.value).startswith(link)
    with pytest.raises(SourceError, match="no answer within 0.5 s"):
        urls.download(f"{base}/slow", timeout=0.5, policy=urls.PRIVATE_OK)
    assert urls.TIMEOUT == 10 and urls.MAX_REDIRECTS == 5
    article = _article(news_site, "redirect/5", "/")  # five redirects are followed
    assert article.title == EXPECTED["ferry-strike.html"]["title"]


def test_only_the_given_link_and_its_redirects_are_requested(news_site):
    before = len(news_site.requests)
    _article(news_site, "redirect/2", "/")
    assert news_site.requests[before:] == ["/redirect/2", "/redirect/1", "/pages/ferry-strike.html"]


def test_cli_add_builds_the_index_from_nothing_and_refuses_duplicates(news_site, tmp_path, capsys, embedder):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(REPORT_PDF)
    sources = [f"{news_site.url}/pages/ferry-strike.html", str(PAGES / "school-meals.html"), str(pdf),
               str(CORPUS / "lukashenko-to-meet-putin-on-friday.md")]
    assert cli.main(["add", *sources, "--corpus", str(corpus), "--index", str(index)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("added ferry-strike-ends-in-tromso-after-three-weeks.md: Ferry strike ends in Tromsø after "
                             "three weeks — Nordlys, 2024-04-02 [") and len(out) == 4
    saved = read_article(corpus / "ferry-strike-ends-in-tromso-after-three-weeks.md", corpus)
    assert (saved.outlet, saved.published, saved.byline, saved.url) == (
        "Nordlys", dt.date(2024, 4, 2), "Kari Nilsen", "https://nordlys.example/news/2024/ferry-strike-ends")
    assert (corpus / "harbour-traffic-report-2024.md").is_file()
    hits = Assistant(index, corpus).retrieve("How long did the ferry strike in Tromsø last?", 1)
    assert hits[0].title == "Ferry strike ends in Tromsø after three weeks" and hits[0].published == dt.date(2024, 4, 2)
    assert cli.main(["add", f"{news_site.url}/pages/ferry-strike.html", str(tmp_path / "nothing.html"),
                     "--corpus", str(corpus), "--index", str(index)]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert errors[0].startswith("error: ") and "is already indexed as “Ferry strike ends in Tromsø" in errors[0]
    assert "nothing.html: cannot be read (No such file or directory)" in errors[1]
    assert len(list(corpus.iterdir())) == 4  # nothing half-written


def test_a_redirect_to_a_file_is_refused_as_not_an_http_link(news_site):
    with pytest.raises(SourceError) as error:
        urls.download(f"{news_site.url}/to-file", policy=urls.PRIVATE_OK)
    assert str(error.value) == (f"{news_site.url}/to-file: it redirects to 'file:///etc/passwd', "
                                "which is not an http(s) link")


@pytest.mark.parametrize("link, why", [
    ("{site}/pages/ferry-strike.html", "127.0.0.1 is a loopback address"),
    ("http://localhost:{port}/pages/ferry-strike.html", "is a loopback address"),  # a name: its addresses are checked
    ("http://[::1]:{port}/pages/ferry-strike.html", "::1 is a loopback address"),
    ("http://[::ffff:127.0.0.1]:{port}/", "127.0.0.1 is a loopback address"),
    ("http://0.0.0.0:{port}/", "0.0.0.0 is an unspecified address"),
    ("http://10.1.2.3/intranet", "10.1.2.3 is a private address"),
    ("http://192.168.1.1/admin", "192.168.1.1 is a private address"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),  # cloud credentials
    ("http://224.0.0.1/", "224.0.0.1 is a multicast address"),
    ("http://100.64.0.1/", "100.64.0.1 is a non-public address"),
])
def test_links_to_this_machine_or_its_network_are_refused_unless_allowed(news_site, link, why):
    link = link.format(site=news_site.url, port=news_site.url.rsplit(":", 1)[1])
    before = len(news_site.requests)
    with pytest.raises(SourceError) as error:
        urls.download(link)  # the app's default: nothing on this machine or its network
    message = str(error.value)
    assert message.startswith(f"{link}: ") and why in message and "not fetched" in message and "\n" not in message
    assert len(news_site.requests) == before, "the refused address was contacted"


def test_the_app_refuses_them_and_the_command_line_may_fetch_them(news_site, tmp_path):
    import app

    link = f"{news_site.url}/pages/ferry-strike.html"
    with pytest.raises(SourceError, match="loopback address"):
        Assistant(tmp_path / "index", tmp_path / "corpus").add_source(link)  # nothing is loaded or written first
    assert not (tmp_path / "corpus").exists()
    assert not app.parse_args([]).allow_private_links and app.parse_args(["--allow-private-links"]).allow_private_links
    # `python -m assistant add` fetches them: test_cli_add_builds_the_index_from_nothing… adds from this site


def test_every_redirect_is_checked_not_only_the_link(news_site):
    site = urls.LinkPolicy(networks=("127.0.0.1/32",))  # the test site's own address only
    before = len(news_site.requests)
    with pytest.raises(SourceError) as error:
        urls.download(f"{news_site.url}/to-other-loopback", policy=site)
    port = news_site.url.rsplit(":", 1)[1]
    assert str(error.value) == (f"{news_site.url}/to-other-loopback: it redirects to http://127.0.0.2:{port}/pages/"
                                "ferry-strike.html, and 127.0.0.2 is a loopback address; links to this machine or its "
                                "local network are not fetched")
    assert news_site.requests[before:] == ["/to-other-loopback"]
    assert urls.download(f"{news_site.url}/redirect/1", policy=site).kind == "html"  # redirects within it are fine


def test_a_server_that_drips_its_reply_is_cut_off_at_the_deadline(news_site):
    """One byte every 0.25 s never trips a 10 s read timeout; the deadline covers the whole fetch."""
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"/drip: no complete answer within 1.5 s$"):
        urls.download(f"{news_site.url}/drip", policy=urls.PRIVATE_OK, deadline=1.5)
    assert time.monotonic() - started < 4
    assert urls.DEADLINE <= 20
