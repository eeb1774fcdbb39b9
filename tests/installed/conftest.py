"""The application as installed (README: `make run`), not the dev venv the suite runs in.

- `runtime_venv`: the runtime-only venv, built by the Makefile's own install rule (see runtime.py).
- `installed_server`: `make run` itself with that venv, on a port of 18800-18899, a fresh database (SQLite as
  `make run` uses; a fresh PostgreSQL database when the suite runs on PostgreSQL) and media directory; its output
  is the server log the tests read.
- `installed_pages`: Chromium contexts on that server, one per user (tests/e2e/browser.py).

A test here is skipped only when Chromium or Playwright are missing (browser tests), or, marked `postgres`, when
the suite runs on SQLite; with REQUIRE_INSTALLED_TESTS=1 (set by .ci/run) any other skip of a test here is a
failure, so CI cannot pass without them.
"""

import os
from pathlib import Path

import pytest

from ..e2e.browser import Chromium, browser_pages, unavailable
from . import runtime

INSTALLED_DIR = Path(__file__).resolve().parent

def _is_installed(item):
    return INSTALLED_DIR in Path(str(item.fspath)).resolve().parents


def _required():
    return os.environ.get("REQUIRE_INSTALLED_TESTS", "").lower() in {"1", "true", "yes", "on"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _is_installed(item):
            item.add_marker(pytest.mark.installed)


@pytest.fixture(scope="session")
def runtime_venv():
    try:
        return runtime.runtime_venv()
    except runtime.InstallError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="module")
def installed_server(runtime_venv, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("installed")
    with runtime.server_database(tmp) as database_url:
        server = runtime.Server(runtime_venv, database_url, tmp / "media", tmp / "server.log")
        try:
            server.start()
        except Exception as exc:
            server.stop()
            pytest.fail(str(exc), pytrace=False)
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="module")
def chromium():
    if reason := unavailable():
        pytest.skip(f"the installed application is driven in Chromium: {reason}")
    browser = Chromium()
    yield browser
    browser.stop()


@pytest.fixture
def installed_pages(chromium, installed_server):
    yield from browser_pages(chromium, installed_server.url)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not _is_installed(item):
        return
    # A `postgres` test skips by design when the suite runs on SQLite.
    if report.skipped and _required() and item.get_closest_marker("postgres") is None:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"REQUIRE_INSTALLED_TESTS is set, but the test was skipped: {reason}"
    server = item.funcargs.get("installed_server") if hasattr(item, "funcargs") else None
    if report.failed and server is not None:
        failed, tracebacks = runtime.server_errors(server.log_text())
        if failed or tracebacks:
            report.sections.append(("server errors", "\n".join(failed) + "\n\n" + "\n\n".join(tracebacks)))
        report.sections.append(("server log (end)", runtime.tail(server.log, 40)))
