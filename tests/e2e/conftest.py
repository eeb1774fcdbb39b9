"""Browser tests: Chromium (Debian's, through Playwright) against pytest-django's live server.

- `browser`: one headless Chromium for the whole session.
- `pages`: opens a fresh browser context per user (so two users never share cookies) and closes them after the
  test; when a test fails, every page still open is saved as a full-page screenshot in test-artifacts/.
- `demo`: the demo case (agreements.demo) loaded into the test database. The live server runs in a thread of
  this process and shares the in-memory SQLite connection, so what the test writes the browser sees.

Without /usr/bin/chromium (or without the playwright package) every test here is skipped with the reason.
"""

import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

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

# The pages opened by the running test, for the screenshots of a failure.
_open_pages = []


E2E_DIR = Path(__file__).resolve().parent


def _unavailable():
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (Debian: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed"
    return None


def _is_e2e(item):
    return item is not None and E2E_DIR in Path(str(item.fspath)).resolve().parents


def pytest_collection_modifyitems(config, items):
    if (reason := _unavailable()) is None:
        return
    skip = pytest.mark.skip(reason=f"browser tests need Chromium and Playwright: {reason}")
    for item in items:
        if _is_e2e(item):
            item.add_marker(skip)


class Chromium:
    """The one headless Chromium of a test run, started on first use.

    Playwright's sync API keeps its asyncio loop "running" in the main thread while it is started, and Django
    then refuses ORM calls there (SynchronousOnlyOperation), although nothing runs concurrently. So the loop
    runs only while browser tests do: DJANGO_ALLOW_ASYNC_UNSAFE is set for that time, and Chromium is stopped
    after the last browser test (pytest_runtest_teardown below), before the rest of a full run.
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


_chromium = Chromium()


@pytest.fixture(scope="session")
def browser():
    """The session's Chromium (headless, Debian's binary)."""
    if reason := _unavailable():
        pytest.skip(reason)
    yield _chromium
    _chromium.stop()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem):
    # trylast: after the test's own fixtures (its browser contexts) are torn down.
    if _is_e2e(item) and not _is_e2e(nextitem):
        _chromium.stop()


@pytest.fixture(autouse=True)
def _e2e_settings(settings):
    # The live server speaks plain HTTP on loopback; production sits behind TLS (deploy/).
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.SECURE_HSTS_SECONDS = 0


@pytest.fixture
def demo(transactional_db):
    from django.core.management import call_command

    call_command("load_demo", force=True, verbosity=0)
    from agreements import models as m

    agreement_2012 = m.Agreement.objects.get(year=2012, title__startswith="Zielvereinbarung 2012 zwischen dem Minis",
                                             agreement_parties__party__key="kreis-mettmann")
    return SimpleNamespace(agreement=agreement_2012, vorlage=m.Vorlage.objects.get(reference="50/015/2012"))


@pytest.fixture
def audit():
    """Accessibility checks on every page the test's helpers confirm (see helpers.checkpoint); the test asserts
    `not audit.problems` at its end."""
    from . import helpers
    from .a11y import Audit

    found = Audit()
    helpers.checkpoints.append(found.check)
    yield found
    helpers.checkpoints.remove(found.check)


class Browser:
    """Opens one context per user on the live server; `login` goes through the real login form."""

    def __init__(self, browser, base_url):
        self.browser = browser
        self.base_url = base_url
        self.contexts = []

    def context(self, **options):
        context = self.browser.new_context(base_url=self.base_url, locale="de-DE", timezone_id="Europe/Berlin",
                                           viewport={"width": 1280, "height": 900}, **options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        self.contexts.append(context)
        return context

    def page(self, **options):
        page = self.context(**options).new_page()
        _open_pages.append(page)
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


@pytest.fixture
def pages(browser, live_server):
    opened = Browser(browser, live_server.url)
    yield opened
    opened.close()
    _open_pages.clear()


def _safe(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:150]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed or not _open_pages:
        return
    ARTIFACTS.mkdir(exist_ok=True)
    for number, page in enumerate(list(_open_pages), start=1):
        if page.is_closed():
            continue
        target = ARTIFACTS / f"{_safe(item.nodeid)}-{number}.png"
        try:
            page.screenshot(path=str(target), full_page=True)
        except Exception as exc:  # a crashed page must not hide the test's own failure
            report.sections.append(("screenshot", f"{target.name}: {exc}"))
        else:
            report.sections.append(("screenshot", f"{target} ({page.url})"))
