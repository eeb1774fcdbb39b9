"""Smoke tests of the benchmark's measuring logic (agreements/benchmark.py) at a tiny scale.

Structure and query counts only: timings depend on the machine and are never asserted here.
"""

import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from agreements import benchmark as bench

PAGE_KEYS = [key for key, _label in bench.PAGES]
REFERENCE_KEYS = [key for key, _label in bench.REFERENCES]
FIGURES = {"url", "queries", "sql_ms", "slowest_queries", "bytes", "repeats", "median_ms", "p95_ms", "min_ms",
           "ratio_admin", "ratio_static"}

WRK_LINE = (
    "Running 1s test @ http://127.0.0.1:8000\n"
    "BENCHMARK requests=120 duration_us=2000000 bytes=1000 connect=0 read=1 write=0 status=2 timeout=1 "
    "unexpected=2 p50_us=20000 p90_us=90000 p95_us=150000 p99_us=400000 max_us=500000 mean_us=40000 codes=302:2\n"
)


@pytest.fixture
def static_root(settings, tmp_path):
    """WhiteNoise serves STATIC_ROOT with DEBUG off; the one file the reference asks for is enough."""
    settings.STATIC_ROOT = tmp_path / "static"
    target = Path(settings.STATIC_ROOT) / bench.STATIC_PATH
    target.parent.mkdir(parents=True)
    shutil.copy(Path(django_settings.BASE_DIR) / "static" / bench.STATIC_PATH, target)


def test_it_measures_every_page_at_two_scales_with_equal_query_counts(db, static_root):
    report, cast = bench.measure_all(scales=(1, 2), repeats=1, warmup=0, pdf_repeats=1, bundle=(2, 4))

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
    assert bench.not_constant(report) == []
    assert {key: small["pages"][key]["queries"] for key in PAGE_KEYS} == {
        key: large["pages"][key]["queries"] for key in PAGE_KEYS
    }
    assert cast.agreement.versions.filter(number__in=(1, 2)).count() == 2

    pdf = report["pdf"]
    assert pdf["vorlage_reference"] == bench.FIXED_VORLAGE
    assert pdf["vorlage"]["pages"] >= 1 and pdf["vorlage"]["overhead_ratio"] > 0
    assert pdf["bundle"]["anlagen"] == 2 and pdf["bundle"]["anlage_pages"] == 4

    report["load"] = {"skipped": "--no-load"}
    report["meta"] = {
        "date": "2026-01-01 00:00 CET", "command": "manage.py benchmark --no-load", "repeats": 2, "warmup": 1,
        "machine": bench.machine_info(), "versions": bench.software_versions(), "database_label": "test",
        "search_backend": "test", "run_seconds": 1.0, "load_average": {"start": 0.5},
    }
    report["targets"] = bench.evaluate_targets(report)
    results = dict((target, result) for target, result, _detail in report["targets"])
    assert results["Queries constant across scales for every page"] == "PASS"
    assert list(results.values())[2:4] == ["NOT RUN", "NOT RUN"]
    markdown = bench.render_markdown(report)
    assert "## Pages at 1x" in markdown and "## Pages at 2x" in markdown and "## Targets" in markdown
    assert "NOT CONSTANT" not in markdown


def _fake_report(board_queries=(5, 7)):
    page = {"url": "/", "queries": 5, "median_ms": 10.0, "p95_ms": 12.0, "ratio_admin": 1.0, "ratio_static": 9.0,
            "sql_ms": 1.0, "slowest_queries": [{"ms": 1.0, "sql": "SELECT 1"}]}
    scales = []
    for scale, queries in zip((1, 10), board_queries, strict=True):
        pages = {key: dict(page) for key in PAGE_KEYS + REFERENCE_KEYS}
        pages["board"]["queries"] = queries
        scales.append({"scale": scale, "years": bench.scale_years(scale), "pages": pages,
                       "counts": dict.fromkeys(("agreements", "goals", "versions", "steps", "letters", "vorlagen",
                                                "search_entries"), scale)})
    load = bench.parse_wrk(WRK_LINE)
    load.update(users=20, duration_requested_s=60, workers=2, threads_per_worker=2, tool="wrk",
                pages=list(bench.LOAD_PAGES), per_page={"board": {"requests": 3, "median_ms": 9.0, "p95_ms": 20.0}})
    pdf = {"vorlage_reference": bench.FIXED_VORLAGE,
           "vorlage": {"pages": 4, "bytes": 2048, "repeats": 3, "cold_seconds": 0.4, "warm_seconds": 0.004,
                       "seconds_per_page": 0.1, "weasyprint_direct_seconds": 0.3, "overhead_ratio": 1.33},
           "bundle": {"anlagen": 10, "anlage_pages": 200, "pages": 203, "seconds": 0.5, "seconds_median": 0.6,
                      "first_seconds": 0.7}}
    meta = {"date": "2026-01-01 00:00 CET", "command": "manage.py benchmark", "repeats": 30, "warmup": 3,
            "machine": {"cpu": "CPU", "cores": 2, "usable_cores": 2, "ram_gib": 4.0, "os": "Linux"},
            "versions": dict.fromkeys(("python", "django", "database", "gunicorn", "weasyprint", "pikepdf",
                                       "whitenoise"), "1"),
            "database_label": "test", "search_backend": "test", "run_seconds": 1.0, "load_average": {"start": 0.5}}
    return {"scales": scales, "load": load, "pdf": pdf, "meta": meta}


def test_it_marks_a_page_whose_query_count_grows_and_reports_failures_honestly():
    report = _fake_report(board_queries=(5, 7))

    assert bench.not_constant(report) == ["board"]
    report["targets"] = bench.evaluate_targets(report)
    # Queries, ratio to admin, load p95, load errors (two 302s, a read error, a timeout), PDF overhead, bundle.
    assert [result for _target, result, _detail in report["targets"]] == [
        "FAIL", "PASS", "PASS", "FAIL", "FAIL", "PASS",
    ]
    assert report["targets"][0][2] == "not constant: Overview board (all years)"
    assert report["targets"][3][2] == "4 errors (2 socket, 2 not 200)"
    markdown = bench.render_markdown(report)
    assert "7 **NOT CONSTANT**" in markdown
    assert "| p95 latency under load below 1000 ms | PASS | 150 ms |" in markdown
    assert "## Load" in markdown and "60.0 req/s" in markdown and "Capacity estimate" in markdown


def test_it_reads_the_load_figures_of_the_wrk_script():
    figures = bench.parse_wrk(WRK_LINE)

    assert figures["requests"] == 120
    assert figures["throughput_rps"] == pytest.approx(60)
    assert figures["p95_ms"] == pytest.approx(150)
    # Socket errors (a timeout among them) and answers other than 200 (a lost session's 302) are errors.
    assert figures["errors"] == 4
    assert figures["status_codes"] == "302:2"


def test_it_reads_per_page_times_from_the_access_log():
    log = "\n".join([
        "[2026-01-01 10:00:00 +0100] [1] [INFO] Booting worker with pid: 2",
        "BENCHMARK GET /  200 0.010",
        "BENCHMARK GET /  200 0.030",
        "BENCHMARK GET /uebersicht/tafel/ year_from=2011&year_to=2021 200 0.100",
    ])
    figures = bench.parse_access_log(log, {"dashboard": "/", "board": "/uebersicht/tafel/?year_from=2011&year_to=2021"})

    assert figures["dashboard"]["requests"] == 2
    assert figures["dashboard"]["median_ms"] == pytest.approx(20)
    assert figures["board"]["p95_ms"] == pytest.approx(100)


def test_it_refuses_a_database_that_is_not_a_throwaway_one(db):
    # The test database is neither under var/benchmark/ nor named *_benchmark: run() must not touch it.
    assert not bench.is_throwaway_database()
    with pytest.raises(bench.BenchmarkError, match="Refusing"):
        bench.run(load=False)


def test_it_computes_percentiles_by_linear_interpolation():
    assert bench.percentile([3, 1, 2], 0.5) == 2
    assert bench.percentile(range(1, 101), 0.95) == pytest.approx(95.05)
    assert bench.percentile([7], 0.95) == 7
