"""manage.py benchmark: page timings and query counts at two data scales, PDF figures and a load run.

Never on the user's data. The command re-executes itself in a child process per database whose environment
points at a throwaway database (DEBUG=0, a random SECRET_KEY, loopback hosts, no TLS redirects):
- SQLite (the default): a fresh file under var/benchmark/, deleted afterwards;
- PostgreSQL (postgres://…/NAME): the database NAME_benchmark, created and dropped here.
Which databases: --database, once per database ("sqlite" or a PostgreSQL URL), in that order; without it the
configured DATABASE_URL. Each child migrates, generates the data, measures (agreements/tooling/benchmark/) and hands
its figures back as JSON; the parent writes one report over all of them and prints it.
"""

import argparse
import json
import os
import secrets
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agreements.management.base import TranslatedCommand, argument, flag
from agreements.tooling import benchmark as bench
from zielsteuerung.settings import parse_database_url

CHILD_FLAG = "ZS_BENCHMARK_CHILD"
# The child's folders under var/benchmark/, made fresh for each database and removed afterwards.
SUBDIRS = ("media", "static", "demo-signing")


# The numeric options, in --help's order; the parent passes each on to the child as given.
NUMBERS = (
    ("--repeats", bench.DEFAULT_REPEATS, _("gemessene Aufrufe je Seite (nach 3 zum Aufwärmen)")),
    ("--load-seconds", bench.DEFAULT_LOAD_SECONDS, _("Dauer des Lasttests in Sekunden")),
    ("--users", bench.DEFAULT_USERS, _("gleichzeitige Benutzer im Lasttest")),
    ("--writers", bench.DEFAULT_WRITERS, _("gleichzeitig speichernde Bearbeiter im Lasttest (0: nur Lesen)")),
    ("--sign-clicks", bench.DEFAULT_SIGN_CLICKS, _("gleichzeitige Klicks auf „Unterzeichnen“ (0: keine)")),
    ("--runserver-seconds", bench.DEFAULT_RUNSERVER_SECONDS,
     _("Dauer der Schreiblast unter dem Server von make run (nur SQLite; 0: keine)")),
    ("--signature-repeats", bench.SIGNATURE_REPEATS,
     _("Durchgänge der Messung elektronischer Signaturen, höchstens 50 (0: keine)")),
)


def _dest(flag):
    return flag.removeprefix("--").replace("-", "_")


def _scales(value):
    try:
        scales = sorted({int(part) for part in value.split(",") if part.strip()})
    except ValueError:
        raise CommandError(gettext("--scales %(value)r: durch Kommas getrennte ganze Zahlen, z. B. 1,10")
                           % {"value": value}) from None
    if len(scales) < 2 or scales[0] < 1:
        raise CommandError(gettext("--scales braucht mindestens zwei verschiedene positive Datenmengen, z. B. 1,10"))
    return scales


class PostgresDatabase:
    """NAME_benchmark next to the given database, created fresh and dropped afterwards."""

    def __init__(self, url):
        self.parts = urlsplit(url)
        base = self.parts.path.lstrip("/")
        self.name = f"{base}_benchmark"
        self.url = urlunsplit(self.parts._replace(path="/" + quote(self.name)))
        self.server = parse_database_url(url)

    def _admin(self, sql):
        import psycopg2
        from psycopg2 import sql as pgsql

        db = self.server
        conn = psycopg2.connect(dbname="postgres", user=db["USER"] or None, password=db["PASSWORD"] or None,
                                host=db["HOST"] or None, port=db["PORT"] or None, **db.get("OPTIONS", {}))
        try:
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute(pgsql.SQL(sql).format(pgsql.Identifier(self.name)))
        finally:
            conn.close()

    def create(self):
        self.drop()
        self._admin("CREATE DATABASE {}")

    def drop(self):
        # Only ever a *_benchmark database (the name is built above, never taken from the user).
        self._admin("DROP DATABASE IF EXISTS {} WITH (FORCE)")

    def label(self):
        return f"PostgreSQL database {self.name} (created and dropped by the command)"


class SqliteDatabase:
    def __init__(self, workdir):
        self.path = workdir / "benchmark.sqlite3"
        self.url = "sqlite:///" + str(self.path) if self.path.is_absolute() else f"sqlite:///{self.path}"

    def create(self):
        self.drop()

    def drop(self):
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def label(self):
        return "SQLite file var/benchmark/benchmark.sqlite3 (fresh, deleted afterwards)"


def throwaway_database(spec, workdir):
    """ "sqlite" (or any sqlite: URL) → the throwaway file; a postgres[ql]:// URL → NAME_benchmark next to it."""
    scheme = urlsplit(spec).scheme.lower() if "://" in spec else spec.lower()
    if scheme == "sqlite":
        return SqliteDatabase(workdir)
    if scheme in {"postgres", "postgresql", "pgsql"}:
        if not urlsplit(spec).path.lstrip("/"):
            raise CommandError(gettext("--database %(value)r: die PostgreSQL-URL nennt keine Datenbank.")
                               % {"value": spec})
        return PostgresDatabase(spec)
    raise CommandError(gettext("--database %(value)r: „sqlite“ oder eine URL postgresql://…/name")
                       % {"value": spec})


class Command(TranslatedCommand):
    help = _(
        "Misst Seiten (Abfragen, Median, p95) bei zwei Datenmengen, PDF-Erzeugung und Last mit gunicorn, "
        "auf einer Wegwerf-Datenbank, und schreibt docs/benchmarks.md."
    )
    # The parent never touches the configured database; the child migrates its own.
    requires_system_checks = []

    arguments = (
        argument("--scales", default="1,10", help=_("Datenmengen in Jahren, z. B. 1,10")),
        *(argument(name, type=int, default=default, help=help_text) for name, default, help_text in NUMBERS),
        argument("--database", action="append", dest="databases", metavar="sqlite|URL",
                 help=_("Datenbank der Messung: „sqlite“ oder postgresql://…/name (es wird name_benchmark "
                        "angelegt); mehrfach angeben für mehrere; ohne die Option DATABASE_URL")),
        flag("--no-load", _("ohne Lasttest")),
        flag("--no-pdf", _("ohne PDF-Messung")),
        argument("--output", default="docs/benchmarks.md", help=_("Bericht (Markdown)")),
        flag("--keep", _("Wegwerf-Datenbank und var/benchmark/ nicht löschen (zur Fehlersuche)")),
        argument("--child", action="store_true", help=argparse.SUPPRESS),
        argument("--json", help=argparse.SUPPRESS),
    )

    def handle(self, *args, **options):
        if options["repeats"] < 1 or options["load_seconds"] < 1 or options["users"] < 1:
            raise CommandError(gettext("--repeats, --load-seconds und --users müssen positiv sein."))
        if min(options["writers"], options["sign_clicks"], options["runserver_seconds"]) < 0:
            raise CommandError(gettext("--writers, --sign-clicks und --runserver-seconds dürfen nicht negativ sein."))
        if not 0 <= options["signature_repeats"] <= bench.MAX_SIGNATURE_REPEATS:
            raise CommandError(gettext("--signature-repeats: 0 bis %(max)s.") % {"max": bench.MAX_SIGNATURE_REPEATS})
        scales = _scales(options["scales"])
        if options["child"]:
            return self.child(scales, options)
        return self.parent(options)

    # --- Parent: throwaway database, child process, clean-up --------------------------------------------------

    def parent(self, options):
        if not options["no_load"] and not shutil.which("wrk"):
            # Fail before minutes of measuring, not after.
            raise CommandError(gettext("Der Lasttest braucht wrk (Debian: apt-get install wrk); oder mit --no-load "
                                       "aufrufen."))
        base = Path(settings.BASE_DIR)
        workdir = base / "var" / "benchmark"
        workdir.mkdir(parents=True, exist_ok=True)
        specs = options["databases"] or [os.environ.get("DATABASE_URL") or "sqlite"]
        databases = [throwaway_database(spec, workdir) for spec in specs]
        command_line = "manage.py benchmark" + "".join(
            f" {arg}" for arg in (shlex.quote(a) for a in sys.argv[2:]))
        reports = []
        for number, database in enumerate(databases):
            json_path = workdir / f"report-{number}.json"
            json_path.unlink(missing_ok=True)
            self._run_child(options, database, workdir, command_line, json_path)
            reports.append(json.loads(json_path.read_text(encoding="utf-8")))
        markdown = bench.render_markdown(reports)
        output = Path(options["output"])
        if not output.is_absolute():
            output = base / output
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(markdown, encoding="utf-8")
        self.stdout.write(markdown)
        self.stderr.write(f"Report written to {output}.")

    def _run_child(self, options, database, workdir, command_line, json_path):
        base = Path(settings.BASE_DIR)
        for sub in SUBDIRS:
            shutil.rmtree(workdir / sub, ignore_errors=True)
        database.create()
        env = {
            **os.environ,
            CHILD_FLAG: "1",
            "DATABASE_URL": database.url,
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "SECURE_HSTS_SECONDS": "0",
            "BEHIND_TLS_PROXY": "0",
            "MEDIA_ROOT": str(workdir / "media"),
            "STATIC_ROOT": str(workdir / "static"),
            "DEMO_SIGNING_DIR": str(workdir / "demo-signing"),  # the demo's keys (load_demo), not var/demo-signing
            "ZS_BENCHMARK_COMMAND": command_line,
            "ZS_BENCHMARK_DATABASE": database.label(),
            "PYTHONUNBUFFERED": "1",
        }
        child = [sys.executable, str(base / "manage.py"), "benchmark", "--child", "--scales", options["scales"],
                 "--json", str(json_path)]
        for option, _default, _help in NUMBERS:
            child += [option, str(options[_dest(option)])]
        child += [option for option in ("--no-load", "--no-pdf") if options[_dest(option)]]
        try:
            process = subprocess.Popen(child, cwd=base, env=env)
            try:
                code = process.wait()
            except KeyboardInterrupt:
                # The child got the same SIGINT (one process group) and stops its servers on the way out:
                # give it the time to, rather than kill it and leave a server running.
                try:
                    code = process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.terminate()
                    code = process.wait()
        finally:
            if not options["keep"]:
                database.drop()
                for sub in SUBDIRS:
                    shutil.rmtree(workdir / sub, ignore_errors=True)
        if code:
            raise CommandError(gettext("Die Messung ist fehlgeschlagen (Exit-Status %(code)s); Protokolle unter "
                                       "%(workdir)s.") % {"code": code, "workdir": workdir})

    # --- Child: the measurements ------------------------------------------------------------------------------

    def child(self, scales, options):
        if os.environ.get(CHILD_FLAG) != "1" or not bench.is_throwaway_database() or not options["json"]:
            raise CommandError(gettext("--child ist intern: manage.py benchmark ohne diese Option aufrufen."))
        try:
            report = bench.run(
                scales=scales, repeats=options["repeats"], load=not options["no_load"],
                load_seconds=options["load_seconds"], users=options["users"], writers=options["writers"],
                sign_clicks=options["sign_clicks"], runserver_seconds=options["runserver_seconds"],
                pdf=not options["no_pdf"], signature_repeats=options["signature_repeats"],
                command=os.environ.get("ZS_BENCHMARK_COMMAND", "manage.py benchmark"),
                database_label=os.environ.get("ZS_BENCHMARK_DATABASE", ""),
            )
        except bench.BenchmarkError as error:
            raise CommandError(str(error)) from error
        bench.dump_json(report, options["json"])
