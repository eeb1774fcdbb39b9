"""Chromium through Playwright, shared by the browser tests against pytest-django's live server (tests/e2e) and
against the installed application started by `make run` (tests/installed).

- `Chromium`: one headless Debian Chromium, started on first use.
- `Browser`: one context per user (so two users never share cookies); `login` goes through the real login form;
  `browser_pages` is the fixture around it.
- `save_screenshots`: full-page screenshots of the pages still open when a test failed, in test-artifacts/.
"""

import os
import re
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DEMO_PASSWORD = "demo"
# Playwright waits this long (ms) for an element or a navigation; the app answers locally in well under 1 s,
# the PDF renderings take a few seconds on a slow machine.
DEFAULT_TIMEOUT_MS = 20_000


def unavailable():
    """Why the browser tests cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (Debian: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed"
    return None


class Chromium:
    """One headless Chromium, started on first use.

    Playwright's sync API keeps its asyncio loop "running" in the main thread while it is started, and Django
    then refuses ORM calls there (SynchronousOnlyOperation), although nothing runs concurrently. So the loop
    runs only while browser tests do: DJANGO_ALLOW_ASYNC_UNSAFE is set for that time, and `stop` is called after
    the last browser test, before the rest of a full run.
    """

    def __init__(self):
        self._playwright = None
        self._browser = None
        self._previous_env = None

    def _start(self):
        from playwright.sync_api import sync_playwright

        self._previous_env = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                         args=CHROMIUM_ARGS)

    def new_context(self, **options):
        if self._browser is None:
            self._start()
        return self._browser.new_context(**options)

    def stop(self):
        if self._browser is None:
            return
        try:
            self._browser.close()
            self._playwright.stop()
        finally:
            self._browser = self._playwright = None
            if self._previous_env is None:
                os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            else:
                os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = self._previous_env


class Browser:
    """Opens one context per user on `base_url`; every page opened is also appended to `open_pages` (for the
    screenshots of a failure)."""

    def __init__(self, browser, base_url, open_pages):
        self.browser = browser
        self.base_url = base_url
        self.contexts = []
        self.open_pages = open_pages

    def context(self, **options):
        context = self.browser.new_context(base_url=self.base_url, locale="de-DE", timezone_id="Europe/Berlin",
                                           viewport={"width": 1280, "height": 900}, **options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        self.contexts.append(context)
        return context

    def page(self, **options):
        page = self.context(**options).new_page()
        self.open_pages.append(page)
        return page

    def login(self, username, password=DEMO_PASSWORD, **options):
        page = self.page(**options)
        page.goto("/anmelden/")
        page.get_by_label("Benutzername").fill(username)
        page.get_by_label("Passwort").fill(password)
        page.get_by_role("button", name="Anmelden").click()
        page.wait_for_url(re.compile(r"/$"))
        return page

    def close(self):
        for context in self.contexts:
            context.close()
        self.contexts.clear()


# The pages opened by the running test (one test at a time per process), for the screenshots of a failure.
OPEN_PAGES = []


def browser_pages(chromium, base_url):
    """What the `pages` (tests/e2e) and `installed_pages` (tests/installed) fixtures yield: a Browser on
    `base_url`; after the test its contexts are closed and its pages forgotten."""
    opened = Browser(chromium, base_url, OPEN_PAGES)
    yield opened
    opened.close()
    OPEN_PAGES.clear()


def _safe(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:150]


def save_screenshots(item, report):
    """After a failed test call: a full-page screenshot of every page still open, named in the report (called by
    tests/conftest.py for every test)."""
    if report.when != "call" or not report.failed or not OPEN_PAGES:
        return
    ARTIFACTS.mkdir(exist_ok=True)
    for number, page in enumerate(list(OPEN_PAGES), start=1):
        if page.is_closed():
            continue
        target = ARTIFACTS / f"{_safe(item.nodeid)}-{number}.png"
        try:
            page.screenshot(path=str(target), full_page=True)
        except Exception as exc:  # a crashed page must not hide the test's own failure
            report.sections.append(("screenshot", f"{target.name}: {exc}"))
        else:
            report.sections.append(("screenshot", f"{target} ({page.url})"))
