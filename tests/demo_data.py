"""The demo case (agreements.data.demo) for the tests that work on it, loaded once instead of once per test:
`load_demo` writes some thousand rows and renders PDFs, seconds a test.

- `demo_module`: for tests with `db` (each rolls its writes back); `demo_2012` takes it and gives a test the 2012
  agreement of the case. The demo is loaded once per module inside a
  transaction that is rolled back at the module's end, as conftest's `nrw` does; its files are written to a
  directory of the module. A test of such a module that does not take the demo must not see it: conftest runs
  those tests of the module before the first test that takes it (`pytest_collection_modifyitems`).
- `demo_database`: for tests with `transactional_db` (the live server of the browser tests), whose data are
  committed and flushed after the test. The demo is loaded once per process and kept as a snapshot that is copied
  back into the (flushed) test database before each test: on SQLite with SQLite's backup API into a second
  in-memory database, on PostgreSQL as copies of the tables in a schema of their own (a load took 10-20 s a test).

`demo_files(source, settings)` copies the demo's files into the test's own MEDIA_ROOT, so that a test which
damages a stored file damages only its copy.
"""

import shutil
import sqlite3

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import override_settings
from django.utils import translation

from .factories import module_data

# conftest's _test_settings sets these for every test; a fixture of a wider scope runs before it.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _load(media_root):
    # DEBUG plays no part in what load_demo writes; without it the command has to be forced (known passwords).
    # The demo's signing keys next to its files, not in them (demo_files copies those) and never in var/.
    with override_settings(MEDIA_ROOT=media_root, PASSWORD_HASHERS=FAST_HASHERS,
                           DEMO_SIGNING_DIR=f"{media_root}-signing"), \
            translation.override(django_settings.LANGUAGE_CODE):
        call_command("load_demo", force=True, verbosity=0)


def demo_files(source, settings):
    """The demo's files, copied into the test's MEDIA_ROOT."""
    shutil.copytree(source, settings.MEDIA_ROOT, dirs_exist_ok=True)


def _forget_cached_ids():
    # A restored or reloaded database may give the content types other ids than the ones this process cached.
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


@pytest.fixture(scope="module")
def demo_module(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo in the test database for this module's tests (with `db`); the directory of its files."""
    media = tmp_path_factory.mktemp("demo-media")
    try:
        with module_data(django_db_blocker):
            with django_db_blocker.unblock():
                _load(media)
            yield media
    finally:
        _forget_cached_ids()


class _SqliteSnapshot:
    """The test database right after load_demo, kept in a second in-memory SQLite database of this process."""

    def __init__(self):
        self.copy = None

    def take(self):
        self.copy = sqlite3.connect(":memory:", check_same_thread=False)
        connection.connection.backup(self.copy)

    def restore(self):
        self.copy.backup(connection.connection)


class _PostgresSnapshot:
    """The test database right after load_demo, kept as copies of its tables in the schema SCHEMA of the same
    database (outside the search path, so the flush after each test leaves them alone). Restoring empties the
    tables, copies the rows back in one transaction (Django's foreign keys are deferred to its end) and sets every
    sequence past the highest id, as `loaddata` does."""

    SCHEMA = "demo_snapshot"

    def __init__(self):
        self.tables = None

    def take(self):
        self.tables = [name for name in connection.introspection.table_names() if name != "django_migrations"]
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {self.SCHEMA} CASCADE")
            cursor.execute(f"CREATE SCHEMA {self.SCHEMA}")
            for table in self.tables:
                cursor.execute(f'CREATE TABLE {self.SCHEMA}."{table}" AS TABLE public."{table}"')

    def restore(self):
        from django.apps import apps
        from django.core.management.color import no_style
        from django.db import transaction

        quoted = ", ".join(f'public."{table}"' for table in self.tables)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {quoted} CASCADE")
            for table in self.tables:
                cursor.execute(f'INSERT INTO public."{table}" SELECT * FROM {self.SCHEMA}."{table}"')
            for statement in connection.ops.sequence_reset_sql(no_style(), apps.get_models(include_auto_created=True)):
                cursor.execute(statement)


class _Snapshot:
    """The demo, loaded once per process (the first time a test asks) and restored for every later test."""

    def __init__(self):
        self.media = None
        self.kept = None

    def restore_or_load(self, media_factory):
        connection.ensure_connection()
        if self.kept is None:
            self.media = media_factory()
            _load(self.media)
            self.kept = _SqliteSnapshot() if connection.vendor == "sqlite" else _PostgresSnapshot()
            self.kept.take()
        else:
            self.kept.restore()
            _forget_cached_ids()
        return self.media


_snapshot = _Snapshot()


@pytest.fixture
def demo_database(transactional_db, tmp_path_factory):
    """The demo in the (committed) test database; the directory of its files."""
    return _snapshot.restore_or_load(lambda: tmp_path_factory.mktemp("demo-media"))


@pytest.fixture
def demo_2012(demo_module, db, settings):
    """The demo's 2012 agreement of Kreis Mettmann, for a test with `demo_module`: the demo's files in the test's
    MEDIA_ROOT, and DEBUG on, as `load_demo` wants it (the archive tests always ran with it)."""
    from agreements import models as m
    from agreements.data.demo import TITLE_2012

    settings.DEBUG = True
    demo_files(demo_module, settings)
    return m.Agreement.objects.get(title=TITLE_2012, year=2012)
