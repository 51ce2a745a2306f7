"""Driving the app in a real browser: Debian's Chromium through Playwright (never `playwright
install`). Test modules import the fixtures and helpers; without Chromium they are skipped
(failed in CI)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}

if not Path(CHROMIUM).exists():
    message = f"{CHROMIUM} is missing: sudo apt-get install chromium (the browser tests drive Debian's Chromium)"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message, allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def open_app(browser, live_app, **options):
    """A page of the app in a browser context of its own: its own localStorage, so no saved chats."""
    page = browser.new_page(**options)
    page.goto(live_app.url, wait_until="load")
    page.wait_for_selector("#question textarea", timeout=30_000)
    return page


@pytest.fixture
def page(browser, live_app):
    page = open_app(browser, live_app, viewport={"width": 1400, "height": 900})
    yield page
    page.close()


@pytest.fixture
def phone(browser, live_app):
    page = open_app(browser, live_app, viewport=PHONE, is_mobile=True)
    yield page
    page.close()


def wait_for_answer(page, question: str):
    """Until the sources panel shows the finished answer to `question` and the chat is saved (the
    question box takes questions again)."""
    page.wait_for_function(
        "q => { const p = document.querySelector('#sources-panel');"
        " return p && p.innerText.includes(q) && /\\[1\\]|Not covered/.test(p.innerText); }",
        arg=question, timeout=60_000)
    wait_until_ready(page)


def wait_until_ready(page):
    page.wait_for_function("() => !document.querySelector('#question textarea').disabled", timeout=60_000)


def ask(page, question: str):
    page.fill("#question textarea", question)
    page.keyboard.press("Enter")
    wait_for_answer(page, question)


def last_answer(page) -> str:
    return page.locator("#chat .bot").last.inner_text() if page.locator("#chat .bot").count() else page.inner_text("#chat")
