"""Browser tests: Chromium (Debian's, through Playwright) against pytest-django's live server.

- `browser`: one headless Chromium for the whole session.
- `pages`: opens a fresh browser context per user (so two users never share cookies) and closes them after the
  test; when a test fails, every page still open is saved as a full-page screenshot in test-artifacts/.
- `demo`: the demo case (agreements.data.demo) in the test database (tests/demo_data.py: loaded once per process
  on SQLite, then copied in before each test) and its files in MEDIA_ROOT. The live server runs in a thread of
  this process and shares the in-memory SQLite connection, so what the test writes the browser sees.

Without /usr/bin/chromium (or without the playwright package) every test here is skipped with the reason.
"""

from pathlib import Path
from types import SimpleNamespace

import pytest

from .browser import Chromium, browser_pages, unavailable

E2E_DIR = Path(__file__).resolve().parent


def _is_e2e(item):
    return item is not None and E2E_DIR in Path(str(item.fspath)).resolve().parents


def pytest_collection_modifyitems(config, items):
    if (reason := unavailable()) is None:
        return
    skip = pytest.mark.skip(reason=f"browser tests need Chromium and Playwright: {reason}")
    for item in items:
        if _is_e2e(item):
            item.add_marker(skip)


_chromium = Chromium()


@pytest.fixture(scope="session")
def browser():
    """The session's Chromium (headless, Debian's binary)."""
    if reason := unavailable():
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
def demo(demo_database, settings):
    from agreements import models as m

    from ..demo_data import demo_files

    demo_files(demo_database, settings)

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


@pytest.fixture
def pages(browser, live_server):
    yield from browser_pages(browser, live_server.url)
