"""Measuring logic of `manage.py benchmark`: page timings and query counts at two data scales, PDF figures,
a load run against gunicorn, and the Markdown report with its targets.

The command runs all of this in a child process whose settings point at a throwaway database (see the command);
`run()` refuses any other database, because it migrates, generates data and creates users.

Method, in short:
- Scales: scale k is the 53 counties' synthetic agreements for k years (2012 …), plus the demo case (Kreis
  Mettmann 2012, Vorlage 50/015/2012), which gives the fixed agreement and Vorlage every scale measures.
  The smaller scale is generated and measured first, then the same database is extended to the larger one.
- Pages: django.test.Client in the same process, DEBUG off. For each page: `warmup` requests, one request
  under CaptureQueriesContext for the query count, then `repeats` timed requests (time.perf_counter around
  the request, the body consumed), taken in rounds over all pages. Two references measured the same way in
  the same run: the admin changelist of agreements (as a superuser) and a static file served by WhiteNoise.
- Jobs: the deadline reminders of the 53 counties and the daily digest, in-process like the pages (jobs.py), with
  recipients that grow with the scale.
- PDF: pdf (the demo Vorlage; a bundle of 10 Anlagen with 200 pages).
- Electronic signatures: one PAdES signature at B-T and at B-LTA and the validation of a file with two, with the
  demo PKI made in a temporary folder and the demo agreement's Endfassung (signatures.py).
- Load: gunicorn with deploy/gunicorn.conf.py on loopback, wrk with deploy/load/walk.lua and the session cookie
  of the ministry editor obtained through the real login form.

The package, one module a concern: base (error, log, percentile, the throwaway-database guard), scales (data and
the cast of users and fixed rows), pages, jobs, pdf, signatures (PAdES signing and validation), servers (gunicorn,
runserver, HTTP client), writes (editors saving forms), sign (parallel clicks on "Unterzeichnen"), load (wrk and
the write mix against a server), machine, targets, report (Markdown). This module runs them in order (`run`).
"""

import datetime
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection

from agreements.tooling.benchmark.base import BenchmarkError, is_throwaway_database, progress
from agreements.tooling.benchmark.jobs import measure_jobs
from agreements.tooling.benchmark.load import (
    DEFAULT_LOAD_SECONDS,
    DEFAULT_RUNSERVER_SECONDS,
    DEFAULT_USERS,
    run_load,
    run_runserver,
)
from agreements.tooling.benchmark.machine import (
    database_options,
    load_average,
    machine_info,
    software_versions,
    source_revision,
)
from agreements.tooling.benchmark.pages import DEFAULT_REPEATS, DEFAULT_WARMUP, measure_scale
from agreements.tooling.benchmark.pdf import BUNDLE_SIZE, PDF_REPEATS, measure_pdf
from agreements.tooling.benchmark.report import dump_json, render_markdown
from agreements.tooling.benchmark.scales import DEFAULT_SCALES, grow_to, load_demo_case, prepare_cast, scale_years
from agreements.tooling.benchmark.sign import DEFAULT_SIGN_CLICKS
from agreements.tooling.benchmark.signatures import MAX_SIGNATURE_REPEATS, SIGNATURE_REPEATS, measure_signatures
from agreements.tooling.benchmark.targets import evaluate_targets
from agreements.tooling.benchmark.writes import DEFAULT_WRITERS, prepare_writers

# What manage.py benchmark uses.
__all__ = [
    "DEFAULT_LOAD_SECONDS", "DEFAULT_REPEATS", "DEFAULT_RUNSERVER_SECONDS", "DEFAULT_SIGN_CLICKS", "DEFAULT_USERS",
    "DEFAULT_WRITERS", "MAX_SIGNATURE_REPEATS", "SIGNATURE_REPEATS", "BenchmarkError", "dump_json",
    "is_throwaway_database", "measure_all", "render_markdown", "run",
]


def prepare_database():
    """Schema and static files of the throwaway installation (WhiteNoise serves STATIC_ROOT with DEBUG off)."""
    progress(f"migrating {settings.DATABASES['default']['NAME']}")
    call_command("migrate", verbosity=0, interactive=False)
    progress(f"collectstatic into {settings.STATIC_ROOT}")
    call_command("collectstatic", verbosity=0, interactive=False, clear=True)


def measure_all(*, scales=DEFAULT_SCALES, repeats=DEFAULT_REPEATS, warmup=DEFAULT_WARMUP, pdf=True,
                pdf_repeats=PDF_REPEATS, bundle=BUNDLE_SIZE, password=None, signature_repeats=SIGNATURE_REPEATS):
    """Everything that runs in-process, on the current database: demo case, scales, pages, PDF, signatures
    (signature_repeats 0: not measured).

    Returns (report without meta/load/targets, cast).
    """
    scales = sorted(set(scales))
    load_demo_case()
    results, cast = [], None
    for scale in scales:
        progress(f"generating {scale}x ({scale_years(scale)[0]}–{scale_years(scale)[-1]})")
        grow_to(scale)
        if cast is None:
            cast = prepare_cast(last_year=scale_years(scales[-1])[-1], password=password)
        results.append(measure_scale(scale, cast, repeats=repeats, warmup=warmup))
        results[-1]["jobs"] = measure_jobs(scale, repeats=repeats)
    report = {
        "scales": results, "pdf": measure_pdf(cast, repeats=pdf_repeats, bundle=bundle) if pdf else None,
        "signatures": measure_signatures(cast.agreement, repeats=signature_repeats) if signature_repeats else None,
    }
    return report, cast


def run(*, scales=DEFAULT_SCALES, repeats=DEFAULT_REPEATS, warmup=DEFAULT_WARMUP, load=True,
        load_seconds=DEFAULT_LOAD_SECONDS, users=DEFAULT_USERS, writers=DEFAULT_WRITERS,
        sign_clicks=DEFAULT_SIGN_CLICKS, runserver_seconds=DEFAULT_RUNSERVER_SECONDS, pdf=True,
        signature_repeats=SIGNATURE_REPEATS, command="manage.py benchmark", workdir=None, database_label=""):
    """The benchmark on the current (throwaway) database; returns the report dict with its Markdown.

    The write mix and the runserver figures belong to the load run: --no-load skips them too. The runserver
    figures are taken on SQLite only (the embedded default that `make run` serves).
    """
    if not is_throwaway_database():
        raise BenchmarkError(
            f"Refusing to benchmark on {settings.DATABASES['default']['NAME']}: only a SQLite file under "
            "var/benchmark/ or a PostgreSQL database named *_benchmark is used (the run migrates and writes data)."
        )
    started = time.monotonic()
    # Other processes on the machine change every figure: the 1-minute load average says how busy it was.
    busy = {"start": load_average()}
    workdir = Path(workdir or Path(settings.BASE_DIR) / "var" / "benchmark")
    prepare_database()
    report, cast = measure_all(scales=scales, repeats=repeats, warmup=warmup, pdf=pdf,
                               signature_repeats=signature_repeats)
    busy["before_load"] = load_average()
    report["runserver"] = None
    if load:
        # A year no scale generates: the writers' and signers' own draft agreements.
        year = scale_years(max(scales))[-1] + 1
        cast_writers = prepare_writers(writers, password=cast.password, year=year) if writers else []
        report["load"] = run_load(cast, seconds=load_seconds, users=users, workdir=workdir, writers=cast_writers,
                                  sign_clicks=sign_clicks, year=year)
        busy["after_load"] = load_average()
        if connection.vendor == "sqlite" and runserver_seconds:
            report["runserver"] = run_runserver(cast, writers=cast_writers, seconds=runserver_seconds,
                                                sign_clicks=sign_clicks, workdir=workdir, year=year)
    else:
        report["load"] = {"skipped": "--no-load"}
    report["meta"] = {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "command": command,
        "machine": machine_info(),
        "versions": software_versions(),
        "repeats": repeats,
        "warmup": warmup,
        "database_label": database_label or connection.vendor,
        "database_options": database_options(),
        "revision": source_revision(),
        "search_backend": "PostgreSQL full text (tsvector)" if connection.vendor == "postgresql"
        else "SQLite fallback (LIKE over title and body)",
        "run_seconds": time.monotonic() - started,
        "load_average": {**busy, "end": load_average()},
    }
    report["targets"] = evaluate_targets(report)
    report["markdown"] = render_markdown([report])
    return report
