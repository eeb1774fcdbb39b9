"""Small browser helpers shared by the e2e tests. Everything goes through what a user sees: links, buttons and
fields found by their accessible names."""


import io
import itertools
import os
import re
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import expect

MAIS = "Ministerium für Arbeit, Integration und Soziales des Landes Nordrhein-Westfalen"

# Called with (page, label) whenever a helper has confirmed that a new page is shown; the `audit` fixture
# registers its accessibility check here, so a journey is checked on every page it passes.
checkpoints = []
# E2E_SCREENSHOTS=<folder>: a full-page screenshot of every page a journey confirms, numbered in order, for looking
# at what the users saw (e.g. for an issue's closing note). Off by default.
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS", "")
_taken = itertools.count(1)


def checkpoint(page, label):
    for check in checkpoints:
        check(page, label)
    if SCREENSHOTS:
        folder = Path(SCREENSHOTS)
        folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9ÄÖÜäöüß]+", "-", label).strip("-")[:60]
        page.screenshot(path=str(folder / f"{next(_taken):03d}-{name}.png"), full_page=True)


def nav(page, name):
    """A link of the main navigation."""
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name=name, exact=True).click()


def tab(page, name):
    """A tab of the agreement page."""
    page.get_by_role("navigation", name="Bereiche der Zielvereinbarung").get_by_role(
        "link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=2, name=name, exact=True)).to_be_visible()
    checkpoint(page, f"Tab {name}")


def field(scope, label):
    """The field with exactly this label; a required field's label ends in crispy's asterisk."""
    return scope.get_by_label(re.compile(rf"^\s*{re.escape(label)}\*?\s*$"))


def named(action, item):
    """The accessible name of a button like "Bearbeiten<span class=visually-hidden>: Titel</span>" (Chromium puts
    a space before the hidden part)."""
    return re.compile(rf"^{re.escape(action)}\s*:\s*{re.escape(item)}$")


def main(page):
    return page.get_by_role("main")


def expect_message(page, text):
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()
    checkpoint(page, text)


def expect_heading(page, text):
    expect(page.get_by_role("heading", level=1)).to_have_text(text if isinstance(text, re.Pattern) else
                                                              re.compile(re.escape(text)))
    checkpoint(page, str(text))


def iso(day):
    return day.isoformat()


def today():
    return timezone.localdate()


def pdf_pages(content):
    from pypdf import PdfReader

    assert content[:5] == b"%PDF-", f"not a PDF: {content[:20]!r}"
    return len(PdfReader(io.BytesIO(content)).pages)


def download(page, link):
    """Click a link that answers with a file; returns (suggested file name, bytes)."""
    with page.expect_download() as info:
        link.click()
    dl = info.value
    path = dl.path()
    with open(path, "rb") as handle:
        return dl.suggested_filename, handle.read()


def make_pdf(pages):
    """A small valid PDF with `pages` blank A4 pages (to upload as an Anlage)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def choose_language(page, code):
    """The language switch in the navigation, as a user chooses ("de" or "en"): the choice is kept in the language
    cookie (agreements.infra.middleware.ChosenLanguageMiddleware) and the page comes back in that language."""
    page.get_by_role("combobox", name=re.compile(r"^(Sprache|Language)$")).select_option(code)
    page.get_by_role("button", name=re.compile(r"^(Wechseln|Switch)$")).click()
    expect(page.locator("html")).to_have_attribute("lang", code)
