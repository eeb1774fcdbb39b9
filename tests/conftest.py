"""Shared fixtures. `world` is the standard cast of every permission test:

- anonymous: not logged in
- outsider: editor of another county (Kreis Nachbar), must get 404 on Mettmann's records
- reader: reader of the county that is party to the agreement, gets 403 on writes
- editor: editor of that county
- ministry: editor of the ministry, the other party
- committee: member of the county's Sozialausschuss, no party membership
- admin: superuser
"""

import datetime
import os
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.servers.basehttp import ThreadedWSGIServer

from agreements import models as m

from .demo_data import demo_2012, demo_database, demo_module  # noqa: F401 - the demo case, loaded once (tests/demo_data.py)
from .factories import aware, make_user, module_data, quiet_signals
from .sqlite_race import sqlite_file, sqlite_template  # noqa: F401 - fixtures of the races on a SQLite file

TESTS_DIR = Path(__file__).resolve().parent

class _OneRequestAtATimeOnSharedSQLite(ThreadedWSGIServer):
    """The live server's WSGI server. On SQLite the test database is in memory, and every thread of the live server
    uses the test's one connection (Django's connections_override). SQLite serialises the calls on a connection with
    its own mutex while Python's sqlite3 holds the GIL for some of them; a query that calls a Python function
    (Django's date functions: __date, TruncDate) inside SQLite then needs the GIL that another request thread holds
    while it waits for that mutex, and both stop for good. Requests that share the connection are handled one at a
    time; with a connection per thread (PostgreSQL) they run in parallel as in production."""

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, connections_override=connections_override, **kwargs)
        self._shared_connection = threading.Lock() if connections_override else None

    def set_app(self, application):
        lock = self._shared_connection
        if lock is None:
            return super().set_app(application)

        def one_at_a_time(environ, start_response):
            with lock:
                return application(environ, start_response)

        return super().set_app(one_at_a_time)


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, as the user's browser sees the application: with its static files (CSS) served
    through the finders as `make run` serves them. pytest-django looks for "django.contrib.staticfiles" by name in
    INSTALLED_APPS, which names it by its own AppConfig (zielsteuerung.apps.StaticFilesConfig), and would answer
    every stylesheet with 404, so the browser tests would check unstyled pages (contrast, focus, layout). Requests
    that share the test's SQLite connection are handled one at a time (_OneRequestAtATimeOnSharedSQLite)."""
    from pytest_django.live_server_helper import LiveServer

    addr = request.config.getvalue("liveserver") or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    server = LiveServer(addr, start=False)
    server.thread.static_handler = StaticFilesHandler
    server.thread.server_class = _OneRequestAtATimeOnSharedSQLite
    server.start()
    yield server
    server.stop()

# Tests that start a server or a browser, or run for tens of seconds: they go first, so that with pytest-xdist the
# workers do not wait for one of them at the end of the run.
SLOW_DIRS = (TESTS_DIR / "e2e", TESTS_DIR / "installed")
SLOW_MARKERS = ("slow", "e2e", "installed")
# Module-scoped fixtures that hold data in the test database until the module's last test: a test of the same
# module that does not take them must run before they are built.
MODULE_DATA = ("demo_module", "demo_2012", "nrw", "generated")


def _is_slow(item):
    if any(item.get_closest_marker(name) for name in SLOW_MARKERS) or "live_server" in item.fixturenames:
        return True
    return any(folder in Path(str(item.path)).parents for folder in SLOW_DIRS)


def _module_fixture(item):
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    return any(definition.scope in ("module", "package", "class")
               for name in info.names_closure for definition in info.name2fixturedefs.get(name, ()))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """For pytest-xdist (`make test`: -n auto --dist loadgroup): the tests of a module that share a module-scoped
    fixture (a data set, a rendered PDF, a server) run on one worker, so the fixture is built once, not once per
    worker. A module with MODULE_DATA runs on one worker as a whole, its tests without the data first.

    The largest pieces of work are handed out first, so that no worker is left with one of them while the other
    has nothing to do at the end: the slow tests, then the modules with MODULE_DATA (one piece of work each, up to
    minutes), then everything else. The order is the same on every worker (xdist requires it)."""
    with_data = {item.module.__name__ for item in items if _module_data(item)}
    for item in items:
        if _module_fixture(item) or item.module.__name__ in with_data:
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))
    items.sort(key=lambda item: (not _is_slow(item), item.module.__name__ not in with_data, _module_data(item)))


def _module_data(item):
    return any(name in item.fixturenames for name in MODULE_DATA)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A browser test that failed (tests/e2e, tests/installed) leaves screenshots of its open pages."""
    from .e2e.browser import save_screenshots

    outcome = yield
    save_screenshots(item, outcome.get_result())


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DEMO_SIGNING_DIR = tmp_path / "demo-signing"  # load_demo's keys, never var/demo-signing
    # PBKDF2 with a million rounds per user would dominate the suite's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _forget_content_type_ids():
    """A test that empties the database inside its transaction (`flush`, tests/archive_builders.py) gets content
    types with new ids, which its rollback takes back: ContentType's cache must not hand them to the next test
    of this process (with pytest-xdist, whichever test that is)."""
    yield
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


@pytest.fixture(autouse=True)
def _default_language():
    """A request in English leaves English active in this thread, as it does in a server thread until the next
    request sets its own; every test starts in German, the working language."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _login_through_axes(monkeypatch):
    """Client.login() authenticates without a request, which django-axes refuses (it throttles per address).
    Give it the request a browser on this machine would make, so tests still log in with a real password
    and go through the throttle like everyone else."""
    from django.test import Client, RequestFactory

    original = Client.login

    def login(self, **credentials):
        credentials.setdefault("request", RequestFactory().post("/anmelden/", REMOTE_ADDR="127.0.0.1"))
        return original(self, **credentials)

    monkeypatch.setattr(Client, "login", login)


@pytest.fixture
def world(db, request):
    """The cast and one agreement in negotiation with one record of each kind.

    Built with the audit, search and history receivers quiet (68 of its 113 queries): what a test does to these
    records afterwards is audited, indexed and versioned as always, but the records start without audit entries,
    search entries and history. A test about those records as the app writes them (a created goal is found, its
    history starts with the creation) is marked `world_records` and gets a world built with every receiver."""
    if request.node.get_closest_marker("world_records") is not None:
        return _build_world()
    with quiet_signals():
        return _build_world()


def _build_world():
    ministry = m.Party.objects.create(key="mais-nrw", name="Ministerium für Arbeit, Integration und Soziales",
                                      short_name="MAIS NRW", kind=m.Party.Kind.MINISTRY)
    county = m.Party.objects.create(key="kreis-mettmann", name="Kreis Mettmann", short_name="ME",
                                    kind=m.Party.Kind.KREIS)
    other_county = m.Party.objects.create(key="kreis-nachbar", name="Kreis Nachbar", short_name="NB",
                                          kind=m.Party.Kind.KREIS)
    jobcenter = m.Party.objects.create(key="jobcenter-kreis-mettmann", name="Jobcenter ME-aktiv",
                                       kind=m.Party.Kind.JOBCENTER, parent=county, jobcenter_form="gE")
    liga = m.Party.objects.create(key="liga-nrw", name="Liga der Wohlfahrtsverbände", kind=m.Party.Kind.VERBAND)
    committee = m.Committee.objects.create(party=county, name="Sozialausschuss")

    users = SimpleNamespace(
        anonymous=None,
        outsider=make_user("outsider", other_county),
        reader=make_user("reader", county, m.Membership.Role.READER),
        editor=make_user("editor", county),
        ministry=make_user("ministry", ministry),
        committee=make_user("committee"),
        admin=get_user_model().objects.create_superuser("admin", "admin@example.org", "pw"),
    )
    m.CommitteeMembership.objects.create(committee=committee, user=users.committee)

    agreement = m.Agreement.objects.create(title="Zielvereinbarung 2013 MAIS – Kreis Mettmann", year=2013,
                                           status=m.Agreement.Status.NEGOTIATION)
    m.AgreementParty.objects.create(agreement=agreement, party=ministry, role="land", order=0)
    m.AgreementParty.objects.create(agreement=agreement, party=county, role="kommunaler_traeger", order=1)
    other = m.Agreement.objects.create(title="Zielvereinbarung 2013 MAIS – Kreis Nachbar", year=2013)
    m.AgreementParty.objects.create(agreement=other, party=ministry, role="land", order=0)
    m.AgreementParty.objects.create(agreement=other, party=other_county, role="kommunaler_traeger", order=1)

    topic = m.Topic.objects.create(number=1, name="Alleinerziehende")
    indicator = m.Indicator.objects.create(code="K2", name="Integrationsquote", unit="%")
    section = m.AgreementSection.objects.create(agreement=agreement, order=1, heading="§ 1 Gegenstand", text="Text")
    goal = m.Goal.objects.create(agreement=agreement, order=1, title="Senkung der KdU", kind="qualitativ",
                                 direction="senkung", area="kdu")
    offer = m.SupportOffer.objects.create(agreement=agreement, topic=topic, title="Beratung", provider=ministry)
    # The county is "am Zug" (Agreement.pen_holder_id: the kommunaler Träger), so the ministry proposes.
    proposal = m.Proposal.objects.create(agreement=agreement, party=ministry, text="Bitte Liga-Stellungnahme anfügen")
    statement = m.Statement.objects.create(agreement=agreement, party=liga, date=datetime.date(2013, 1, 23),
                                           title="Stellungnahme der Liga")
    letter = m.Letter.objects.create(agreement=agreement, date=datetime.date(2013, 3, 29), direction="eingang",
                                     sender=ministry, recipient=county, subject="Übernahme der Vorschläge")
    step = m.ProcedureStep.objects.create(agreement=agreement, date=datetime.date(2012, 12, 16), kind="gespraech",
                                          title="Zielsteuerungsgespräch")
    version = m.AgreementVersion.objects.create(
        agreement=agreement, number=1, author_party=ministry, sent_at=aware(2013, 1, 10),
        snapshot={"title": agreement.title, "preamble": "", "sections": [], "goals": [], "offers": []},
    )
    return SimpleNamespace(
        users=users, ministry=ministry, county=county, other_county=other_county, jobcenter=jobcenter, liga=liga,
        committee=committee, agreement=agreement, other_agreement=other, topic=topic, indicator=indicator,
        section=section, goal=goal, offer=offer, proposal=proposal, statement=statement, letter=letter,
        step=step, version=version,
    )


@pytest.fixture(scope="module")
def nrw(django_db_setup, django_db_blocker):
    """tests/builders_nrw.py's data set, built once per module in a transaction rolled back at its end; a test
    takes it together with `db`, whose savepoint undoes the test's own writes."""
    from .builders_nrw import build_nrw

    with module_data(django_db_blocker), django_db_blocker.unblock():
        yield build_nrw()


@pytest.fixture
def login(client):
    """login(user) logs the test client in (None stays anonymous) and returns it."""

    def _login(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return _login


@pytest.fixture
def postgres(transactional_db):
    """Races of threads in one process need a real server database: pytest-django's in-memory SQLite is shared
    badly across threads. The SQLite side of each race runs on a file (tests/sqlite_race.py)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: pytest-django's in-memory SQLite is shared badly across threads "
                    "(the SQLite file variant covers SQLite)")
