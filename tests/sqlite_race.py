"""Races on a real SQLite file, in a fresh process with zielsteuerung.settings (IMMEDIATE transactions, WAL,
busy timeout), one connection per thread: what pytest-django's in-memory test database cannot show.

Used by tests/test_versions.py (parallel "Entwurf übersenden"), tests/test_double_submit.py (one form posted
by many threads at once) and tests/test_sqlite_concurrency.py (many writers adding goals, with the shipped and
with older SQLite options). This module is also the child script:
`python tests/sqlite_race.py migrate|send|submit|goals DATABASE THREADS [OPTIONS-JSON]`; it prints
`RESULT {json}`. OPTIONS-JSON, when given and not null, replaces the database OPTIONS the settings build.
"""

import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
# Every thread must be done within this; a hung race fails instead of blocking the suite.
RACE_SECONDS = 90


# --- The child process -----------------------------------------------------------------------------------------

def _setup(database, options=None):
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "zielsteuerung.settings",
        "DATABASE_URL": f"sqlite:///{database}",  # database is absolute: sqlite:////tmp/…
        "DEBUG": "0",
        "SECRET_KEY": "sqlite-race-test",
        "ALLOWED_HOSTS": "testserver",
        "SECURE_SSL_REDIRECT": "0",
    })
    sys.path.insert(0, str(BASE_DIR))
    if options is not None:
        from django.conf import settings

        # Before django.setup(): no connection exists yet, so every connection of this process gets them.
        settings.DATABASES["default"]["OPTIONS"] = options
    import django

    django.setup()


def _world(threads):
    """The ministry, a county, their agreement in negotiation with Fassung 1 sent, and editors of the county."""
    from django.contrib.auth import get_user_model

    from agreements import models as m
    from agreements.services import versions

    ministry = m.Party.objects.create(key="mais-nrw", name="MAIS NRW", kind=m.Party.Kind.MINISTRY)
    county = m.Party.objects.create(key="kreis-mettmann", name="Kreis Mettmann", kind=m.Party.Kind.KREIS)
    agreement = m.Agreement.objects.create(title="Zielvereinbarung 2013", year=2013,
                                           status=m.Agreement.Status.NEGOTIATION)
    m.AgreementParty.objects.create(agreement=agreement, party=ministry, role="land", order=0)
    m.AgreementParty.objects.create(agreement=agreement, party=county, role="kommunaler_traeger", order=1)
    editors = []
    for number in range(threads):
        user = get_user_model().objects.create_user(f"editor-{number}", password="-")
        m.Membership.objects.create(user=user, party=county, role=m.Membership.Role.EDITOR)
        editors.append(user)
    versions.send_draft(user=editors[0], agreement=agreement)
    agreement.preamble = "Geändert nach Fassung 1."
    agreement.save()
    return agreement, editors


def _run_threads(count, work):
    """Start `count` threads that call work(number) at the same moment; collect outcomes and errors."""
    import threading
    import time

    barrier = threading.Barrier(count)
    lock = threading.Lock()
    outcomes, errors = [], []

    def run(number):
        from django.db import connection as own  # this thread's connection

        try:
            barrier.wait(timeout=30)
            result = work(number)
            with lock:
                outcomes.append(result)
        except Exception as error:  # noqa: BLE001 - reported to the test, which fails on it
            with lock:
                errors.append(repr(error))
        finally:
            own.close()

    threads = [threading.Thread(target=run, args=(n,), daemon=True) for n in range(count)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.1, began + RACE_SECONDS - time.monotonic()))
    return {"outcomes": outcomes, "errors": errors, "hung": sum(t.is_alive() for t in threads),
            "seconds": round(time.monotonic() - began, 2)}


def _race_send(threads):
    """Every editor presses "Entwurf übersenden" on the same working text at once."""
    from django.db import connection

    from agreements import models as m
    from agreements.infra.errors import DomainError
    from agreements.services import versions

    agreement, editors = _world(threads)
    connection.close()

    def send(number):
        try:
            return versions.send_draft(user=editors[number], agreement=agreement, note="parallel").number
        except DomainError:
            return "refused"

    result = _run_threads(threads, send)
    result["versions"] = sorted(agreement.versions.values_list("number", flat=True))
    result["steps"] = agreement.steps.filter(kind=m.ProcedureStep.Kind.DRAFT_SENT).count()
    return result


def _race_submit(threads):
    """One editor's "Ziel hinzufügen" form, opened once, arrives `threads` times at once (double click, retry)."""
    import re

    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    agreement, editors = _world(threads)
    url = reverse("goal_add", args=[agreement.pk])
    opener = Client()
    opener.force_login(editors[0])
    token = re.search(r'name="submission_token" value="([^"]+)"', opener.get(url).content.decode()).group(1)
    data = {"kind": "qualitativ", "level": "lokal", "area": "kdu", "title": "Doppelt geklickt",
            "direction": "senkung", "submission_token": token}
    connection.close()

    def post(number):
        client = Client()
        client.force_login(editors[0])
        response = client.post(url, data)
        return response.status_code

    result = _run_threads(threads, post)
    result["goals"] = agreement.goals.filter(title="Doppelt geklickt").count()
    return result


GOALS_PER_THREAD = 5


def _race_goals(threads):
    """Every editor adds GOALS_PER_THREAD goals through services.goals.save_goal, all at once: the app's
    read-then-write transaction (access check, agreement re-read "for update", next order number, INSERT)."""
    from django.db import OperationalError, connection

    from agreements import models as m
    from agreements.services import goals

    agreement, editors = _world(threads)
    with connection.cursor() as cursor:
        journal_mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
    connection.close()

    def write(number):
        counts = {"saved": 0, "locked": 0}
        for goal in range(GOALS_PER_THREAD):
            data = {"kind": m.Goal.Kind.QUALITATIVE, "level": m.Goal.Level.LOCAL, "area": m.Goal.Area.OTHER,
                    "title": f"Ziel {number}.{goal}", "direction": m.Goal.Direction.OPTIMIERUNG}
            try:
                goals.save_goal(user=editors[number], agreement=agreement, data=data)
                counts["saved"] += 1
            except OperationalError as error:
                if "database is locked" not in str(error):
                    raise
                counts["locked"] += 1
        return counts

    result = _run_threads(threads, write)
    result["saved"] = sum(outcome["saved"] for outcome in result["outcomes"])
    result["locked"] = sum(outcome["locked"] for outcome in result["outcomes"])
    orders = list(agreement.goals.values_list("order", flat=True))
    result.update(journal_mode=journal_mode, goals=len(orders), distinct_orders=len(set(orders)))
    return result


def main(argv):
    mode, database, threads = argv[1], argv[2], int(argv[3])
    _setup(database, json.loads(argv[4]) if len(argv) > 4 else None)
    if mode == "migrate":
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0, interactive=False)
        # Everything into the main file, so that a plain copy of it is the whole database.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
        return
    result = {"send": _race_send, "submit": _race_submit, "goals": _race_goals}[mode](threads)
    print("RESULT " + json.dumps(result), flush=True)
    # Daemon threads still hanging must not keep the process alive.
    os._exit(0)


# --- For the tests -------------------------------------------------------------------------------------------------

def child(mode, database, threads=0, *, options=None, timeout=RACE_SECONDS + 60):
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), mode, str(database), str(threads), json.dumps(options)],
        cwd=BASE_DIR, capture_output=True, text=True, timeout=timeout, check=False,
        env={key: value for key, value in os.environ.items() if key != "DATABASE_URL"},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(done.stdout.split("RESULT ", 1)[1]) if mode != "migrate" else None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A migrated SQLite file, made once per test run; each race works on a copy in its own tmp_path. With
    pytest-xdist the workers share the run's base directory: the first one to need the file migrates it (under a
    file lock) and the others copy it."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    path = shared / "sqlite-race-template.sqlite3"
    with open(shared / "sqlite-race-template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            scratch = tmp_path_factory.mktemp("sqlite-race") / "template.sqlite3"
            child("migrate", scratch, timeout=300)
            partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
            shutil.copy(scratch, partial)
            os.replace(partial, path)  # complete or absent: a worker never copies half a file
    return path


@pytest.fixture
def sqlite_file(sqlite_template, tmp_path):
    database = tmp_path / "db.sqlite3"
    shutil.copy(sqlite_template, database)
    return database


if __name__ == "__main__":
    main(sys.argv)
