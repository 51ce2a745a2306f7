"""The app in a real browser: Debian's Chromium driven by Playwright (tests/browser.py)."""
from __future__ import annotations

import os
import re
import shutil

from browser import ask, browser, last_answer, page, wait_for_answer  # noqa: F401 (fixtures)
from conftest import DATA

SCREENSHOT = os.environ.get("SCREENSHOT")  # copy the answered chat here too (README picture)


def test_clicking_an_example_answers_it(page):
    page.get_by_text("Who is Tom Røseth?", exact=True).click()
    wait_for_answer(page, "Who is Tom Røseth?")
    chat = page.inner_text("#chat")
    assert "Røseth" in chat and re.search(r"\[1\]", chat)


def test_card_question_streams_cited_answer_with_sources(page, live_app):
    question = "Why might Lukashenko deviate from Moscow?"
    ask(page, question)
    chat = page.inner_text("#chat")
    numbers = {int(n) for n in re.findall(r"\[(\d+)\]", chat.split(question, 1)[1])}
    assert numbers and numbers == set(range(1, max(numbers) + 1))
    assert f"Sources ({max(numbers)})" in chat
    panel = page.locator("#sources-panel")
    assert "The president of Belarus is causing trouble for Putin" in panel.inner_text()
    assert panel.locator("mark").count() >= max(numbers)  # every source has its cited sentence marked
    for n in numbers:
        assert f"[{n}]" in panel.locator("h4").all_inner_texts()[n - 1]
    page.locator("#chat").get_by_text(f"Sources ({max(numbers)})").click()  # the collapsible opens
    page.locator("#chat mark").first.wait_for(state="visible")
    page.locator("#chat").get_by_text(f"Sources ({max(numbers)})").click()
    shot = live_app.screenshots / "answered-chat.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000
    if SCREENSHOT:
        shutil.copy(shot, SCREENSHOT)


def test_article_added_in_the_page_is_citable_next_question(page, live_app):
    title, _, text = (DATA / "tromso-ferry.txt").read_text(encoding="utf-8").partition("\n")
    page.get_by_role("tab", name="Articles").click()
    page.fill("#paste-title textarea, #paste-title input", title)
    page.fill("#paste-outlet textarea, #paste-outlet input", "Test Fixture News")
    page.fill("#paste-author textarea, #paste-author input", "Ola Fixture")
    page.fill("#paste-text textarea", text.strip())
    page.click("#add-text")
    page.wait_for_function("() => document.querySelector('#articles-message')?.innerText.includes('Added')", timeout=60_000)
    assert title in page.inner_text("#articles-table")
    page.wait_for_function("() => document.querySelector('#paste-text textarea').value === ''")  # the form clears
    assert page.input_value("#paste-title textarea, #paste-title input") == ""
    assert (live_app.corpus / "tromso-ferry-route-suspended-after-storm-damages-quay.md").is_file()

    page.get_by_role("tab", name="Chat").click()
    ask(page, "Why was the ferry to Kvaløya suspended?")
    panel = page.inner_text("#sources-panel")
    assert title in panel and "Test Fixture News · by Ola Fixture" in panel
    assert "storm" in page.inner_text("#chat")


def test_a_link_added_in_the_page_is_citable_next_question(page, live_app, news_site):
    page.get_by_role("tab", name="Articles").click()
    page.fill("#add-link textarea, #add-link input", f"{news_site.url}/pages/school-meals.html")
    page.click("#add-url")
    page.wait_for_function("() => document.querySelector('#articles-message')?.innerText.includes('Added')", timeout=60_000)
    assert "Northern Gazette, 2025-01-27" in page.inner_text("#articles-message")
    assert "Free school meals extended" in page.inner_text("#articles-table")
    saved = live_app.corpus / "free-school-meals-extended-to-all-primary-pupils.md"
    try:
        page.get_by_role("tab", name="Chat").click()
        ask(page, "What did the head teacher say about hungry children?")
        panel = page.inner_text("#sources-panel")
        assert "Free school meals extended to all primary pupils" in panel and "Northern Gazette" in panel
        assert "2025-01-27" in panel, panel
        assert "hard to concentrate" in page.inner_text("#chat")
    finally:
        live_app.assistant.remove_article(saved.stem)


def test_the_date_range_limits_the_answer(page):
    page.get_by_text("Date range: only articles published in it").click()  # open the accordion
    page.fill("#since textarea, #since input", "2030-01-01")
    ask(page, "Why might Lukashenko deviate from Moscow?")
    assert "don't cover" in last_answer(page)  # the seeds are undated: a date range leaves them out
    page.fill("#since textarea, #since input", "2 April")
    page.fill("#question textarea", "Who is Tom Røseth?")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#chat')?.innerText.includes(\"is not a date\")", timeout=30_000)


PAYLOADS = ("![pixel]({base}/md-image.png) [a link]({base}/md-link) <img src=\"{base}/html-image.png\"> "
            "<script>window.__pwned = 1</script> <a href=\"{base}/html-link\">x</a> "
            "<iframe src=\"{base}/frame\"></iframe> Bare address {base}/bare and www.example.invalid/page.")


def test_article_text_is_inert_in_chat_sources_and_articles(page, live_app):
    """Markdown and HTML in an article never become an image, a link, a request or a script."""
    import http.server
    import threading

    from conftest import free_port

    requests: list[str] = []

    class Counter(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            requests.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Counter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        text = ("The harbour authority in Bodø closed the northern quay for repairs on Monday. "
                + PAYLOADS.format(base=base) + "\n\nThe quay repairs in Bodø will take three weeks, the harbour master said.\n")
        body = f"---\ntitle: Bodø quay closed for repairs\noutlet: Harbour News\n---\n{text}"
        live_app.assistant.add_article(body.encode(), name="payload.md")
        ask(page, "Why did the harbour authority in Bodø close the quay?")
        page.locator("#chat").get_by_text("Sources (", exact=False).last.click()
        page.get_by_role("tab", name="Articles").click()
        page.wait_for_timeout(1500)
        assert page.evaluate("() => window.__pwned") is None
        for area in ("#chat", "#sources-panel", "#articles-table"):
            html = page.inner_html(area)
            assert base not in "".join(page.locator(f"{area} img").evaluate_all("els => els.map(e => e.src)"))
            assert base not in "".join(page.locator(f"{area} a").evaluate_all("els => els.map(e => e.href)"))
            assert "<script" not in html and "<iframe" not in html
        assert "Bodø" in page.inner_text("#articles-table")
        assert requests == [], requests
    finally:
        server.shutdown()
        live_app.assistant.remove_article("bodo-quay-closed-for-repairs") if live_app.assistant.searcher().data.article(
            "bodo-quay-closed-for-repairs") else None


def test_removing_an_article_asks_first(page, live_app):
    """Dismissing the confirmation keeps the article; accepting removes its file and passages."""
    (live_app.corpus / "ferry-note.md").write_text(
        "---\ntitle: Ferry note for removal\n---\nThe night ferry to Senja was cancelled on Sunday.\n", encoding="utf-8")
    live_app.assistant.build(progress=False, paths=["ferry-note.md"])
    page.get_by_role("tab", name="Articles").click()
    page.wait_for_function("() => document.querySelector('#articles-table')?.innerText.includes('Ferry note')")
    page.locator("#remove-choice input").click()
    page.get_by_role("option", name="Ferry note for removal (ferry-note.md)").click()
    answers = iter([False, True])
    page.on("dialog", lambda dialog: dialog.accept() if next(answers) else dialog.dismiss())
    page.click("#remove")
    page.wait_for_timeout(1500)
    assert (live_app.corpus / "ferry-note.md").exists()
    page.click("#remove")
    page.wait_for_function("() => document.querySelector('#articles-message')?.innerText.includes('Removed')",
                           timeout=30_000)
    assert not (live_app.corpus / "ferry-note.md").exists()


def test_cancelling_a_removal_changes_nothing_on_the_page(page, live_app):
    """Dismissing the confirmation leaves the table, the list and the message as they were: no
    "Error" badge (the dialog's cancel used to throw, which failed every output)."""
    page.get_by_role("tab", name="Articles").click()
    page.wait_for_function("() => document.querySelector('#articles-table')?.innerText.includes('Lukashenko')")
    page.locator("#remove-choice input").click()
    page.get_by_role("option").first.click()
    before = page.inner_text("#articles-table")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#remove")
    page.wait_for_timeout(1500)
    assert page.locator(".error, [class*=error]").filter(has_text="Error").count() == 0
    assert page.inner_text("#articles-table") == before
    assert page.locator("#remove-choice input").input_value()  # the choice stays, ready to remove or change


def test_a_question_is_shown_as_typed_never_rendered(page):
    """Markdown or HTML typed into the question stays text in the user's bubble: no image is
    fetched, no bold, no tag; the question is still answered as asked."""
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url) if "pixel.example" in request.url else None)
    page.fill("#question textarea", "Who is Tom Røseth? ![x](http://pixel.example/img.png) **loud** <b>tag</b>")
    page.keyboard.press("Enter")
    page.wait_for_function("() => { const p = document.querySelector('#sources-panel');"
                           " return p && p.innerText.includes('loud') && /\\[1\\]|Not covered/.test(p.innerText); }",
                           timeout=60_000)
    bubble = page.locator("#chat .user").last
    assert "![x](http://pixel.example/img.png) **loud** <b>tag</b>" in bubble.inner_text().replace("\u200b", "")
    assert bubble.locator("img, b, strong").count() == 0
    assert requests == []


def test_a_citation_number_leads_to_its_source(page):
    ask(page, "Why might Lukashenko deviate from Moscow?")
    link = page.locator("#chat .bot a", has_text="[1]").last
    link.click()
    flashed = page.locator("#sources-panel .cited-flash")
    flashed.wait_for(timeout=5_000)
    assert "[1]" in flashed.inner_text() or "[1]" in page.locator("#sources-panel h4").first.inner_text()
    assert page.url.endswith("/") or "#src-" not in page.url  # followed in the page, not navigated to


def test_on_a_phone_the_articles_table_headers_stay_words(browser, live_app):
    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        phone.goto(live_app.url, wait_until="load")
        phone.get_by_role("tab", name="Articles").click()
        phone.wait_for_function("() => document.querySelector('#articles-table')?.innerText.includes('Lukashenko')")
        heights = phone.locator("#articles-table th").evaluate_all("els => els.map(e => e.getBoundingClientRect().height)")
        line = phone.locator("#articles-table td").first.evaluate("e => parseFloat(getComputedStyle(e).lineHeight) || 20")
        assert heights and max(heights) < 3 * line, heights  # a header broken letter by letter is many lines tall
    finally:
        phone.close()


def test_a_decline_under_a_date_range_says_what_it_left_out(page):
    page.get_by_text("Date range: only articles published in it").click()
    page.fill("#until textarea, #until input", "2001-01-01")
    ask(page, "Who claimed responsibility for the attack?")
    text = last_answer(page)
    assert "don't" in text and "Only articles published from any date to 2001-01-01 were searched" in text, text


def test_an_overlong_question_gets_one_line_and_the_chat_goes_on(page):
    page.fill("#question textarea", "Why? " * 4_000)
    page.keyboard.press("Enter")
    # a 20,000-character question is slow to type and send on a loaded machine
    page.wait_for_function("() => document.querySelector('#chat')?.innerText.includes('characters long')", timeout=60_000)
    assert "Error" not in page.inner_text("#chat")
    ask(page, "Who is Tom Røseth?")  # the box is usable again
    assert "Røseth" in last_answer(page)


def test_the_short_answer_leads_in_bold_and_is_marked_in_its_source(page):
    ask(page, "When will Lukashenko and Putin meet?")
    bot = page.locator("#chat .bot").last
    strong = bot.locator("strong").first
    strong.wait_for(timeout=5_000)
    assert strong.inner_text().strip() and bot.inner_text().startswith(strong.inner_text().strip())
    assert page.locator("#sources-panel mark strong").count() == 1


def test_a_citation_of_an_earlier_answer_leads_to_that_answers_source(page):
    ask(page, "Who is Tom Røseth?")
    ask(page, "When will Lukashenko and Putin meet?")
    page.locator("#chat .bot a", has_text="[1]").first.click()
    flashed = page.locator("#chat .cited-flash")
    flashed.wait_for(timeout=5_000)
    assert "The president of Belarus is causing trouble for Putin" in flashed.inner_text()


def test_a_follow_up_leans_on_the_question_and_short_answer_before(page):
    """"When did that happen?" is searched with the question before and its short answer, which the
    chat shows in bold ("**Vladimir Putin.**"), and answered from the sentence giving the day."""
    ask(page, "Who will Lukashenko meet on Friday?")
    ask(page, "When did that happen?")
    note, _, answer = last_answer(page).partition("\n\n")
    assert note == "Searched for: When did that happen? Who will Lukashenko meet on Friday Vladimir Putin"
    assert answer.startswith("On Friday, Belarusian President Aleksandr Lukashenko will meet")
