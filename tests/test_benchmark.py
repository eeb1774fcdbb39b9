"""Smoke tests of the benchmark's measuring logic (agreements/tooling/benchmark/) at a tiny scale.

Structure and query counts only: timings depend on the machine and are never asserted here.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from django.conf import settings as django_settings

from agreements import models as m
from agreements.tooling import benchmark as bench
from agreements.tooling.benchmark.base import percentile
from agreements.tooling.benchmark.jobs import JOBS
from agreements.tooling.benchmark.load import LOAD_PAGES, parse_wrk
from agreements.tooling.benchmark.machine import machine_info, software_versions
from agreements.tooling.benchmark.pages import PAGES, REFERENCES, STATIC_PATH
from agreements.tooling.benchmark.scales import FIXED_VORLAGE, scale_years
from agreements.tooling.benchmark.servers import free_port, parse_access_log
from agreements.tooling.benchmark.signatures import FIGURES as SIGNATURE_FIGURES
from agreements.tooling.benchmark.signatures import MAX_SIGNATURE_REPEATS, measure_signatures, signature_targets
from agreements.tooling.benchmark.targets import evaluate_targets, jobs_not_constant, not_constant
from agreements.tooling.benchmark.writes import RequestLog, fill_form
from agreements.tooling.ports import first_free_port

PAGE_KEYS = [key for key, _label in PAGES]
REFERENCE_KEYS = [key for key, _label in REFERENCES]
FIGURES = {"url", "queries", "sql_ms", "slowest_queries", "bytes", "repeats", "median_ms", "p95_ms", "min_ms",
           "ratio_admin", "ratio_static"}

WRK_LINE = (
    "Running 1s test @ http://127.0.0.1:8000\n"
    "BENCHMARK requests=120 duration_us=2000000 bytes=1000 connect=0 read=1 write=0 status=1 timeout=1 "
    "unexpected=2 server_errors=1 p50_us=20000 p90_us=90000 p95_us=150000 p99_us=400000 max_us=500000 mean_us=40000 "
    "codes=302:1,500:1\n"
)


@pytest.fixture
def static_root(settings, tmp_path):
    """WhiteNoise serves STATIC_ROOT with DEBUG off; the one file the reference asks for is enough."""
    settings.STATIC_ROOT = tmp_path / "static"
    target = Path(settings.STATIC_ROOT) / STATIC_PATH
    target.parent.mkdir(parents=True)
    shutil.copy(Path(django_settings.BASE_DIR) / "static" / STATIC_PATH, target)


def test_it_measures_every_page_at_two_scales_with_equal_query_counts(db, static_root):
    # The signatures have a test of their own (below).
    report, cast = bench.measure_all(scales=(1, 2), repeats=1, warmup=0, pdf_repeats=1, bundle=(2, 4),
                                     signature_repeats=0)

    assert [s["scale"] for s in report["scales"]] == [1, 2]
    small, large = report["scales"]
    assert large["counts"]["agreements"] > small["counts"]["agreements"] >= 53
    for scale in report["scales"]:
        assert list(scale["pages"]) == PAGE_KEYS + REFERENCE_KEYS
        for figures in scale["pages"].values():
            assert FIGURES <= set(figures)
            assert figures["repeats"] == 1
            assert figures["bytes"] > 0
        assert scale["pages"]["admin_changelist"]["ratio_admin"] == pytest.approx(1)
        assert scale["pages"]["static_file"]["queries"] == 0
    # Pages issue a fixed number of queries, whatever the amount of data (design.md).
    assert not_constant(report) == []
    assert {key: small["pages"][key]["queries"] for key in PAGE_KEYS} == {
        key: large["pages"][key]["queries"] for key in PAGE_KEYS
    }
    assert cast.agreement.versions.filter(number__in=(1, 2)).count() == 2

    # The background jobs: the reminders (and, with the notifications app, their sending and the digest) at both
    # scales, with more recipients at the larger one and the same queries (per reminder, for the sending).
    for scale in report["scales"]:
        assert list(scale["jobs"]) == [key for key, _label in JOBS]
    small_jobs, large_jobs = small["jobs"], large["jobs"]
    assert small_jobs["reminders"]["reminders"] > 0
    assert large_jobs["reminders"]["recipients"] > small_jobs["reminders"]["recipients"]
    assert large_jobs["reminders"]["queries"] == small_jobs["reminders"]["queries"]
    # Notices for the recipients with an address (the demo's own accounts have none).
    assert 0 < small_jobs["reminders_sent"]["notices"] <= small_jobs["reminders"]["recipients"]
    # Sending calls notify() once per reminder: a handful of queries per call, whatever its recipients (twice as
    # many at 2x); calls for nobody with an address stop early, so the share per reminder varies a little.
    per_reminder = [j["reminders_sent"]["queries"] / j["reminders"]["reminders"] for j in (small_jobs, large_jobs)]
    assert per_reminder[1] <= per_reminder[0] * 1.05, per_reminder
    assert (small_jobs["digest"]["users"], large_jobs["digest"]["users"]) == (100, 200)
    # The digest's queries are the notifications app's (its bulk writes go in batches); the report judges them.
    assert large_jobs["digest"]["mails"] == 200 and small_jobs["digest"]["queries"] > 0
    assert "reminders" not in jobs_not_constant(report)

    pdf = report["pdf"]
    assert pdf["vorlage_reference"] == FIXED_VORLAGE
    assert pdf["vorlage"]["pages"] >= 1 and pdf["vorlage"]["overhead_ratio"] > 0
    assert pdf["bundle"]["anlagen"] == 2 and pdf["bundle"]["anlage_pages"] == 4

    report["load"] = {"skipped": "--no-load"}
    report["meta"] = {
        "date": "2026-01-01 00:00 CET", "command": "manage.py benchmark --no-load", "repeats": 2, "warmup": 1,
        "machine": machine_info(), "versions": software_versions(), "database_label": "test",
        "search_backend": "test", "run_seconds": 1.0, "load_average": {"start": 0.5},
    }
    report["targets"] = evaluate_targets(report)
    results = dict((target, result) for target, result, _detail in report["targets"])
    assert results["Queries constant across scales for every page"] == "PASS"
    assert list(results.values())[2:4] == ["NOT RUN", "NOT RUN"]
    assert "Queries constant across scales for the background jobs (reminders computed, digest)" in results
    assert report["signatures"] is None and list(results.values())[-1] == "NOT RUN"
    markdown = bench.render_markdown(report)
    assert "## Pages at 1x" in markdown and "## Pages at 2x" in markdown and "## Targets" in markdown
    assert "NOT CONSTANT" not in markdown
    assert "### Background jobs" in markdown and "| Deadline reminders: which are due, and to whom |" in markdown


def _fake_report(board_queries=(5, 7)):
    page = {"url": "/", "queries": 5, "median_ms": 10.0, "p95_ms": 12.0, "ratio_admin": 1.0, "ratio_static": 9.0,
            "sql_ms": 1.0, "slowest_queries": [{"ms": 1.0, "sql": "SELECT 1"}]}
    scales = []
    for scale, queries in zip((1, 10), board_queries, strict=True):
        pages = {key: dict(page) for key in PAGE_KEYS + REFERENCE_KEYS}
        pages["board"]["queries"] = queries
        scales.append({"scale": scale, "years": scale_years(scale), "pages": pages,
                       "counts": dict.fromkeys(("agreements", "goals", "versions", "steps", "letters", "vorlagen",
                                                "search_entries"), scale)})
    load = parse_wrk(WRK_LINE)
    load.update(users=20, duration_requested_s=60, workers=2, threads_per_worker=2, tool="wrk",
                pages=list(LOAD_PAGES), per_page={"board": {"requests": 3, "median_ms": 9.0, "p95_ms": 20.0}},
                writes=_fake_writes(), signing=_fake_signing())
    pdf = {"vorlage_reference": FIXED_VORLAGE,
           "vorlage": {"pages": 4, "bytes": 2048, "repeats": 3, "cold_seconds": 0.4, "warm_seconds": 0.004,
                       "seconds_per_page": 0.1, "weasyprint_direct_seconds": 0.3, "overhead_ratio": 1.33},
           "bundle": {"anlagen": 10, "anlage_pages": 200, "pages": 203, "seconds": 0.5, "seconds_median": 0.6,
                      "first_seconds": 0.7}}
    meta = {"date": "2026-01-01 00:00 CET", "command": "manage.py benchmark", "repeats": 30, "warmup": 3,
            "machine": {"cpu": "CPU", "cores": 2, "usable_cores": 2, "ram_gib": 4.0, "os": "Linux"},
            "versions": dict.fromkeys(("python", "django", "database", "gunicorn", "weasyprint", "pikepdf",
                                       "whitenoise"), "1"),
            "database_label": "test", "search_backend": "test", "run_seconds": 1.0, "load_average": {"start": 0.5}}
    return {"scales": scales, "load": load, "pdf": pdf, "meta": meta, "runserver": {
        "server": "manage.py runserver", "writes": _fake_writes(p95_ms=250.0, server_errors=0),
        "signing": _fake_signing(server_errors=0)}}


def _fake_writes(*, p95_ms=450.0, server_errors=2):
    """The figures of run_writers: 30 saves sent, 27 went through, 1 refused, `server_errors` answers 500."""
    log = RequestLog()
    for n in range(90):
        log.add("goal", "POST" if n % 3 == 1 else "GET", 200, 0.1)
    log.rows[-1] = ("goal", "GET", 200, p95_ms / 1000 * 1.5)
    for n in range(server_errors):
        log.rows[n] = ("goal", "POST", 500, 0.2)
    figures = log.figures(10.0)
    figures.update(writers=10, duration_requested_s=20, posts=30, writes_saved=27, writes_refused=1,
                   writes_without_form=0, by_action={"goal": {"saved": 27, "refused": 1}})
    figures["p95_ms"] = p95_ms
    return figures


def _fake_signing(*, server_errors=20):
    log = RequestLog()
    for n in range(20):
        log.add("sign", "POST", 500 if n < server_errors else 302, 0.3)
    figures = log.figures(2.0)
    figures.update(clicks=20, posts=20, signatures=0 if server_errors else 2, parties=2, status="abgestimmt",
                   signed_pdf=False, agreement=1)
    return figures


def test_it_marks_a_page_whose_query_count_grows_and_reports_failures_honestly():
    report = _fake_report(board_queries=(5, 7))

    assert not_constant(report) == ["board"]
    report["targets"] = evaluate_targets(report)
    results = {target: (result, detail) for target, result, detail in report["targets"]}
    assert [result for _target, result, _detail in report["targets"]] == [
        # queries, ratio to admin, p95 reads, p95 writers, errors reads, errors writers, signing (gunicorn),
        # runserver writers, runserver signing, PDF overhead, bundle
        "FAIL", "PASS", "PASS", "FAIL", "FAIL", "FAIL", "FAIL", "FAIL", "PASS", "FAIL", "PASS",
    ]
    assert report["targets"][0][2] == "not constant: Overview board (all years)"
    # The target is the one set for the product, 300 ms, not a moved one.
    assert results["p95 latency under load below 300 ms (reads)"] == ("PASS", "150 ms")
    assert results["p95 latency under load below 300 ms (writers' requests)"][0] == "FAIL"
    assert results["Zero errors under load (reads)"] == ("FAIL", "4 errors (2 socket, 2 not 200, 1 5xx)")
    assert results["Zero errors under load (writers), every save went through"] == (
        "FAIL", "27 of 30 saves went through; 2 errors (2 5xx, 0 socket), 1 refused")
    signing = results["20 parallel clicks on Unterzeichnen under gunicorn: no error, every party signed once"]
    assert signing[0] == "FAIL" and signing[1].startswith("20 answers 5xx, 20 errors in all; 0 of 2 signatures")
    # A refused save is no HTTP error, but the save did not happen: the writers' target fails on it too.
    assert results["make run's server (runserver): 10 writers for 20 s without an error"][0] == "FAIL"
    markdown = bench.render_markdown(report)
    assert "7 **NOT CONSTANT**" in markdown
    assert "| p95 latency under load below 300 ms (reads) | PASS | 150 ms |" in markdown
    assert "## Load" in markdown and "60.0 req/s" in markdown and "Capacity estimate" in markdown
    assert "### make run's server" in markdown and "Unterzeichnen" in markdown


def test_it_fails_a_job_whose_queries_grow_with_the_scale():
    report = _fake_report(board_queries=(5, 5))
    for scale, (queries, sent) in zip(report["scales"], ((7, 40), (9, 400)), strict=True):
        scale["jobs"] = {
            "reminders": {"queries": queries, "median_ms": 5.0, "p95_ms": 6.0, "reminders": 10 * scale["scale"],
                          "recipients": 20 * scale["scale"], "day": "2026-06-09"},
            "reminders_sent": {"queries": sent, "median_ms": 50.0, "p95_ms": 60.0,
                               "reminders": 10 * scale["scale"], "notices": 20 * scale["scale"]},
        }
    # The computing grows; the sending is shown per reminder (4 at both scales: 40/10, 400/100), not judged.
    assert jobs_not_constant(report) == ["reminders"]
    report["targets"] = evaluate_targets(report)
    target = report["targets"][-1]
    assert target[1] == "FAIL" and target[2] == "not constant: Deadline reminders: which are due, and to whom"
    markdown = bench.render_markdown(report)
    assert "| Deadline reminders handed to notify() (rolled back) | 40 | 400 | 1.00 per reminder |" in markdown
    assert "| Deadline reminders: which are due, and to whom | 7 | 9 | 1.29 |" in markdown


def test_it_reports_every_database_with_its_own_figures_and_a_summary():
    sqlite, postgres = _fake_report(board_queries=(5, 5)), _fake_report(board_queries=(5, 5))
    postgres["meta"] = {**postgres["meta"], "versions": {**postgres["meta"]["versions"], "database": "PostgreSQL 15"},
                        "database_label": "PostgreSQL database zs_benchmark"}
    sqlite["meta"]["versions"]["database"] = "SQLite 3.40.1"
    postgres["runserver"] = None
    postgres["load"]["writes"] = _fake_writes(p95_ms=120.0, server_errors=0)
    postgres["load"]["p95_ms"] = 290.0
    for report in (sqlite, postgres):
        report["targets"] = evaluate_targets(report)

    markdown = bench.render_markdown([sqlite, postgres])

    assert "## SQLite 3.40.1" in markdown and "## PostgreSQL 15" in markdown
    assert markdown.count("### Targets") == 2 and markdown.count("### make run's server") == 1
    summary = markdown.split("## Summary", 1)[1].split("## Method", 1)[0]
    rows = [line for line in summary.splitlines() if line.startswith(("| SQLite", "| PostgreSQL"))]
    # One line per database in the load table (after the targets' first lines): errors, 5xx, saves, p95s, result.
    # Errors: reads' 1 answer 500 and 2 socket errors, writers' 500s; a read's 302 (a lost session) is an error of
    # the reads' target, not of this column, which counts answers other than 2xx/3xx.
    assert rows[-2] == ("| SQLite 3.40.1 | 210 | 5 (2 socket) | 3 | 27 of 30 | 69.0 | 20.0 | 150 | 100 | 450 "
                        "| FAIL |")
    assert rows[-1] == ("| PostgreSQL 15 | 210 | 3 (2 socket) | 1 | 27 of 30 | 69.0 | 20.0 | 290 | 100 | 120 "
                        "| PASS |")


def test_it_times_signatures_at_b_t_and_b_lta_and_the_validation_of_two(world):
    """Two parties sign the world's agreement at B-T and at B-LTA with a demo PKI of the benchmark's own, and the
    files with both signatures are validated; the report judges each figure against 1 s. Timings are the
    machine's: only that there are some is asserted."""
    signatures = measure_signatures(world.agreement, repeats=1)

    assert signatures["repeats"] == 1 and signatures["pdf_bytes"] > 1000
    assert signatures["parties"] == [world.ministry.name, world.county.name]
    assert list(signatures["figures"]) == [key for key, _label in SIGNATURE_FIGURES]
    for key, figures in signatures["figures"].items():
        # one signature per party and level in a round; one validation of the file with both
        assert figures["samples"] == (2 if key.startswith("sign") else 1)
        assert 0 < figures["median_s"] <= figures["max_s"]
    # Nothing is stored: the keys lived in a temporary folder, no record was written.
    assert not m.SigningKey.objects.exists() and not m.TimestampAuthority.objects.exists()
    assert not world.agreement.signatures.exists()

    report = _fake_report(board_queries=(5, 5))
    report["signatures"] = signatures
    report["targets"] = evaluate_targets(report)
    judged = report["targets"][-4:]
    assert [target for target, _result, _detail in judged] == [
        "One signature at PAdES B-T: median below 1 s", "One signature at PAdES B-LTA: median below 1 s",
        "Validating a PDF with two B-T signatures: median below 1 s",
        "Validating a PDF with two B-LTA signatures: median below 1 s",
    ]
    for (_target, result, detail), key in zip(judged, signatures["figures"], strict=True):
        assert result == ("PASS" if signatures["figures"][key]["median_s"] < 1 else "FAIL")
        assert detail.startswith("median ") and detail.endswith(" runs)")
    markdown = bench.render_markdown(report)
    assert "### Electronic signatures" in markdown and "| One signature at PAdES B-LTA |" in markdown
    assert "demo TSA key in process (no network)" in markdown

    # A slow signature fails its target; a run without the figures says so.
    slow = {**signatures, "figures": {**signatures["figures"],
                                      "sign_lta": {"median_s": 1.2, "max_s": 1.5, "samples": 2}}}
    assert signature_targets(slow)[1] == ("One signature at PAdES B-LTA: median below 1 s", "FAIL",
                                          "median 1200 ms, max 1500 ms (2 runs)")
    assert [result for _target, result, _detail in signature_targets(None)] == ["NOT RUN"]
    with pytest.raises(bench.BenchmarkError, match="repeats"):
        measure_signatures(world.agreement, repeats=MAX_SIGNATURE_REPEATS + 1)


def test_it_fills_a_form_as_a_browser_submits_it():
    page = """
      <form method="post" action="/abmelden/"><input type="hidden" name="csrfmiddlewaretoken" value="t1"></form>
      <form method="post">
        <input type="hidden" name="csrfmiddlewaretoken" value="t2">
        <input type="hidden" name="lock_version" value="3">
        <input type="text" name="title" value="alt">
        <select name="kind"><option value="a">A</option><option value="b" selected>B</option></select>
        <select name="level"><option value="lokal">lokal</option><option value="land">Land</option></select>
        <textarea name="text">Erste &amp; zweite Zeile</textarea>
        <input type="checkbox" name="annex" value="1" checked><input type="checkbox" name="other" value="1">
        <input type="file" name="file"><button type="submit" name="save">Speichern</button>
      </form>"""

    action, body = fill_form(page, "/vereinbarungen/1/ziele/neu/", {"title": "Neu", "level": "land"})

    assert action == "/vereinbarungen/1/ziele/neu/"
    assert dict(parse_qsl(body, keep_blank_values=True)) == {
        "csrfmiddlewaretoken": "t2", "lock_version": "3", "title": "Neu", "kind": "b", "level": "land",
        "text": "Erste & zweite Zeile", "annex": "1",
    }
    with pytest.raises(bench.BenchmarkError, match="no POST form"):
        fill_form(page, "/x/", {"heading": "Kopf"})


def test_it_counts_errors_and_answers_5xx_separately():
    log = RequestLog()
    for status in (200, 302, 404, 500, 503, None):
        log.add("goal", "POST", status, 0.1)

    figures = log.figures(2.0)

    assert figures["requests"] == 6 and figures["throughput_rps"] == 3
    assert (figures["errors"], figures["http_errors"], figures["server_errors"], figures["socket_errors"]) == (
        4, 3, 2, 1)
    assert figures["status_codes"] == "200:1,302:1,404:1,500:1,503:1,socket:1"
    assert figures["post_p95_ms"] == pytest.approx(100)


def test_it_takes_its_servers_ports_from_the_given_range(monkeypatch):
    monkeypatch.setenv("BENCHMARK_PORTS", "19090-19099")
    assert 19090 <= free_port() <= 19099
    monkeypatch.setenv("BENCHMARK_PORTS", "nineteen")
    with pytest.raises(bench.BenchmarkError, match="BENCHMARK_PORTS"):
        free_port()


def test_each_xdist_worker_looks_for_a_port_in_its_own_part_of_the_range(monkeypatch):
    # The benchmark's and the installed app's servers are started by other processes after the look: two workers
    # looking at the same moment must not pick the same port (as two did for the SMTP test server once).
    ports = range(19500, 19600)
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    first = first_free_port(ports)
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    second = first_free_port(ports)
    assert 19500 <= first < 19510 and 19510 <= second < 19520, (first, second)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", second))
        taken.listen()
        assert first_free_port(ports) not in (second, None)
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw3")
    assert first_free_port(range(19597, 19600)) in range(19597, 19600)  # a short range: round from the start


@pytest.mark.parametrize(("spec", "expected"), [
    ("sqlite", "SqliteDatabase"),
    ("sqlite:///var/db.sqlite3", "SqliteDatabase"),
    ("postgresql://postgres@127.0.0.1:5432/zs", "zs_benchmark"),
])
def test_it_measures_only_on_throwaway_databases(tmp_path, spec, expected):
    from agreements.management.commands.benchmark import throwaway_database

    database = throwaway_database(spec, tmp_path)
    assert expected in (type(database).__name__, getattr(database, "name", ""))
    if expected == "SqliteDatabase":
        assert database.path == tmp_path / "benchmark.sqlite3"


def test_it_refuses_a_database_it_cannot_throw_away(tmp_path):
    from django.core.management.base import CommandError

    from agreements.management.commands.benchmark import throwaway_database

    with pytest.raises(CommandError):
        throwaway_database("mysql://root@localhost/zs", tmp_path)


def test_it_reads_the_load_figures_of_the_wrk_script():
    figures = parse_wrk(WRK_LINE)

    assert figures["requests"] == 120
    assert figures["throughput_rps"] == pytest.approx(60)
    assert figures["p95_ms"] == pytest.approx(150)
    # Socket errors (a timeout among them) and answers other than 200 (a lost session's 302) are errors; the
    # answers 5xx among them are counted on their own as well.
    assert figures["errors"] == 4
    assert figures["server_errors"] == 1 and figures["http_errors"] == 1
    assert figures["status_codes"] == "302:1,500:1"


def test_it_reads_per_page_times_from_the_access_log():
    log = "\n".join([
        "[2026-01-01 10:00:00 +0100] [1] [INFO] Booting worker with pid: 2",
        "BENCHMARK GET /  200 0.010",
        "BENCHMARK GET /  200 0.030",
        "BENCHMARK GET /uebersicht/tafel/ year_from=2011&year_to=2021 200 0.100",
    ])
    figures = parse_access_log(log, {"dashboard": "/", "board": "/uebersicht/tafel/?year_from=2011&year_to=2021"})

    assert figures["dashboard"]["requests"] == 2
    assert figures["dashboard"]["median_ms"] == pytest.approx(20)
    assert figures["board"]["p95_ms"] == pytest.approx(100)


def test_it_refuses_a_database_that_is_not_a_throwaway_one(db):
    # The test database is neither under var/benchmark/ nor named *_benchmark: run() must not touch it.
    assert not bench.is_throwaway_database()
    with pytest.raises(bench.BenchmarkError, match="Refusing"):
        bench.run(load=False)


def test_it_computes_percentiles_by_linear_interpolation():
    assert percentile([3, 1, 2], 0.5) == 2
    assert percentile(range(1, 101), 0.95) == pytest.approx(95.05)
    assert percentile([7], 0.95) == 7


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("wrk"), reason="the load run needs wrk (Debian: apt-get install wrk)")
def test_it_runs_readers_writers_and_signing_clicks_against_the_real_servers(tmp_path):
    """`manage.py benchmark` as it is run, at the smallest scales and durations: gunicorn with readers (wrk) and
    writers at once, parallel clicks on Unterzeichnen, and (on SQLite) the same under make run's server. Timings are
    the machine's; what must hold anywhere is that every save goes through and nothing answers 5xx."""
    output = tmp_path / "benchmark.md"
    report_json = Path(django_settings.BASE_DIR) / "var" / "benchmark" / "report-0.json"
    report_json.unlink(missing_ok=True)
    env = {**os.environ, "BENCHMARK_PORTS": os.environ.get("BENCHMARK_PORTS", "19000-19099")}
    done = subprocess.run(
        # One reader is enough for wrk's figures; two writers, to write at the same time; the runs as short as
        # still give every writer saves to count.
        [sys.executable, "manage.py", "benchmark", "--scales", "1,2", "--repeats", "1", "--load-seconds", "2",
         "--users", "1", "--writers", "2", "--sign-clicks", "4", "--runserver-seconds", "1", "--no-pdf",
         "--output", str(output)],
        cwd=django_settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=900, check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    report = json.loads(report_json.read_text(encoding="utf-8"))

    load = report["load"]
    assert load["requests"] > 0 and load["errors"] == 0 and load["server_errors"] == 0
    writes = load["writes"]
    assert writes["writers"] == 2 and writes["posts"] > 0
    assert writes["writes_saved"] == writes["posts"] and writes["errors"] == 0
    assert set(writes["by_action"]) <= {"goal", "proposal", "section"}
    signing = load["signing"]
    assert signing["clicks"] == signing["posts"] == 4
    assert signing["server_errors"] == 0 and signing["signatures"] == signing["parties"] == 2
    assert signing["signed_pdf"]
    if report["meta"]["versions"]["database"].startswith("SQLite"):
        runserver = report["runserver"]
        assert runserver["writes"]["errors"] == 0
        assert runserver["writes"]["writes_saved"] == runserver["writes"]["posts"] > 0
        assert runserver["signing"]["server_errors"] == 0 and runserver["signing"]["signatures"] == 2
    markdown = output.read_text(encoding="utf-8")
    assert "p95 latency under load below 300 ms (writers' requests)" in markdown
    assert "## Summary" in markdown and "saves that went through" in markdown
    # Which code was measured: the git commit of this checkout.
    assert report["meta"]["revision"] != "unknown" and f"- Code: {report['meta']['revision']}" in markdown
