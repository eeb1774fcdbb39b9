"""The Markdown report of one run over one or more databases, and the JSON hand-over between processes."""

import json
import statistics
from pathlib import Path

from agreements.tooling.benchmark.jobs import DIGEST_NOTICES_PER_USER, DIGEST_USERS_PER_SCALE, JOBS
from agreements.tooling.benchmark.pages import PAGES, REFERENCES, page_label
from agreements.tooling.benchmark.scales import FIRST_YEAR, FIXED_VORLAGE
from agreements.tooling.benchmark.signatures import FIGURES as SIGNATURE_FIGURES
from agreements.tooling.benchmark.signatures import MAX_SIGNATURE_SECONDS
from agreements.tooling.benchmark.targets import MAX_BUNDLE_SECONDS, MAX_LOAD_P95_MS, MAX_PDF_OVERHEAD, not_constant
from agreements.tooling.benchmark.writes import MAX_WRITER_ROUNDS

JOB_METHOD = ("one counted run, then the timed ones; a job that writes runs in a transaction that is rolled back, so "
              "every run does the same work")


def _ms(value):
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _ratio(value):
    return "–" if value is None else f"{value:.2f}"


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def database_title(report):
    return report["meta"]["versions"]["database"]


def _load_summary_rows(reports):
    rows = []
    for report in reports:
        load = report.get("load") or {}
        title = database_title(report)
        if "p95_ms" not in load:
            rows.append([title, *(["–"] * 9), "NOT RUN"])
            continue
        writes = load.get("writes") or {}
        requests = load["requests"] + writes.get("requests", 0)
        http_errors = load.get("http_errors", 0) + writes.get("http_errors", 0)
        server_errors = load.get("server_errors", 0) + writes.get("server_errors", 0)
        socket_errors = load["socket_errors"] + writes.get("socket_errors", 0)
        passed = load["p95_ms"] < MAX_LOAD_P95_MS and writes.get("p95_ms", 0) < MAX_LOAD_P95_MS
        rows.append([
            title, requests,
            f"{http_errors + socket_errors} ({socket_errors} socket)", server_errors,
            f"{writes['writes_saved']} of {writes['posts']}" if writes else "–",
            f"{load['throughput_rps'] + writes.get('throughput_rps', 0):.1f}",
            _ms(load["p50_ms"]), _ms(load["p95_ms"]),
            _ms(writes["p50_ms"]) if "p50_ms" in writes else "–", _ms(writes["p95_ms"]) if "p95_ms" in writes else "–",
            "PASS" if passed else "FAIL",
        ])
    return rows


def render_markdown(reports):
    """The report of one run over one or more databases (a list of run() reports; one report alone is fine)."""
    if isinstance(reports, dict):
        reports = [reports]
    first = reports[0]
    meta, machine, versions = first["meta"], first["meta"]["machine"], first["meta"]["versions"]
    out = [
        "# Benchmarks",
        "",
        "Written by `manage.py benchmark` (agreements/tooling/benchmark/); re-run it to refresh this file. "
        "Figures are from one run on the machine below, on a throwaway database, never on real data.",
        "",
        f"- Date: {meta['date']}",
        f"- Command: `{meta['command']}` (run time {sum(r['meta'].get('run_seconds', 0) for r in reports):.0f} s)",
        f"- Code: {meta.get('revision', 'unknown')}",
        f"- Machine: {machine['cpu']}, {machine['cores']} logical cores ({machine['usable_cores']} usable), "
        f"{machine['ram_gib']} GiB RAM, {machine['os']}",
        f"- Software: Python {versions['python']}, Django {versions['django']}, "
        f"{', '.join(database_title(r) for r in reports)}, gunicorn {versions['gunicorn']}, "
        f"WeasyPrint {versions['weasyprint']}, pikepdf {versions['pikepdf']}, WhiteNoise {versions['whitenoise']}",
        "- Settings: DEBUG=0 (cached templates, WhiteNoise with compressed static files)",
    ]
    for report in reports:
        rmeta = report["meta"]
        options = f"; options {rmeta['database_options']}" if rmeta.get("database_options") else ""
        out.append(
            f"- {database_title(report)}: {rmeta['database_label']}{options}; search: {rmeta['search_backend']}; "
            f"run time {rmeta.get('run_seconds', 0):.0f} s; machine busy (1-minute load average, other processes "
            "included): " + ", ".join(f"{when.replace('_', ' ')} {value:.2f}"
                                      for when, value in rmeta["load_average"].items() if value is not None))
    out += ["", "## Summary", ""]
    out += _table(["database", *(["target", "result", "detail"])],
                  [[database_title(r) if i == 0 else "", *target] for r in reports
                   for i, target in enumerate(r["targets"])])
    if any("p95_ms" in (r.get("load") or {}) for r in reports):
        load = next(r["load"] for r in reports if "p95_ms" in (r.get("load") or {}))
        writes = load.get("writes") or {}
        out += ["", f"Load per database: {load['users']} reading connections (wrk) and "
                f"{writes.get('writers', 0)} writers at once for {load['duration_requested_s']} s against gunicorn "
                f"({load['workers']} workers × {load['threads_per_worker']} threads); target p95 below "
                f"{MAX_LOAD_P95_MS:g} ms for reads and writers' requests, zero errors.", ""]
        out += _table(["database", "requests (reads + writers)", "errors (not 2xx/3xx)", "of them 5xx",
                       "saves that went through", "req/s", "reads median ms", "reads p95 ms",
                       "writers median ms", "writers p95 ms", f"p95 < {MAX_LOAD_P95_MS:g} ms"],
                      _load_summary_rows(reports))
    out += [
        "",
        "## Method",
        "",
        f"- Data: scale k = the synthetic agreements of the 53 NRW counties for k years from {FIRST_YEAR} "
        "(agreements.data.synthetic: goals, versions, procedure steps, letters, Vorlagen in proportion) plus the demo "
        f"case (Kreis Mettmann 2012, Vorlage {FIXED_VORLAGE}). The smaller scale is generated and measured first, "
        "then the same database is extended to the larger one; the search index is rebuilt after each step.",
        f"- Pages: django.test.Client in-process; per page {meta['warmup']} warm-up requests, one request counted "
        f"with CaptureQueriesContext, then {meta['repeats']} timed requests (time.perf_counter around the request, "
        "body read), taken in rounds over all pages so that noise from other processes spreads evenly. Server "
        "time only: no network, no browser. Pages as the ministry editor (editor of MAIS NRW, sees every "
        "county's agreement); admin changelist as a superuser; OParl and the static file anonymous.",
        "- Ratios: a page's median divided by the median of the reference measured in the same run at the same "
        "scale (admin changelist of agreements; static file served by WhiteNoise through the same middleware).",
        "- Load, reads: wrk with `deploy/load/walk.lua`, every connection a logged-in ministry editor walking the "
        "pages in turn without think time. Anything but 200 is an error; 5xx are counted on their own too.",
        "- Load, writes (at the same time): each writer is an editor of another county, logged in through the "
        "login form, working on the county's own draft agreement (created through the services before the run). "
        "In turn: open the form for a new goal and save it, open the form for a proposal and save it, open the "
        "section's form and save its text again (with the lock_version the form carries); each save is followed "
        "to the page it redirects to, as a browser does. Closed loop without think time, one connection per "
        f"request (Python http.client threads), at most {MAX_WRITER_ROUNDS} saves per writer. A save went "
        "through when the POST answered with a redirect; a form shown again counts as refused.",
        "- Unterzeichnen: an agreement is agreed through the services (draft, a goal, abgestimmt); every click "
        "opens the signing form and sends it first, which answers with the confirmation step (the county's editor "
        "for half the clicks, the ministry's editor for the other half), then all clicks send their confirmation "
        "at the same moment. Afterwards the database must hold one signature per party.",
        "- Electronic signatures: the demo PKI (a root CA, a seal per party, a timestamp authority whose key stamps in "
        "process, so no network) made in a temporary folder; the fixed agreement's Endfassung frozen as the signing "
        "service freezes it. Per round and level (B-T, B-LTA) both parties sign in turn, each signature timed on its "
        "own as services.signing.seal makes it (keys opened, certificate checked, timestamp, at B-LTA validation data "
        "and document timestamp, the new signature read back); then the file with both is validated as the "
        "validation page checks it (every signature, timestamp and change, trust against the demo root). One round "
        "to warm up, not counted.",
        "",
    ]
    for report in reports:
        out += [f"## {database_title(report)}", ""]
        out += _render_database(report)
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _writes_rows(writes):
    by_action = "; ".join(
        f"{label} {counts.get('saved', 0)}" + (f" (refused {counts['refused']})" if counts.get("refused") else "")
        for label, counts in sorted(writes["by_action"].items()))
    rows = [
        ["writers", f"{writes['writers']} for {writes['duration_requested_s']} s"],
        ["requests (form, save, page after the save)", writes["requests"]],
        ["saves sent (POST)", writes["posts"]],
        ["saves that went through", f"{writes['writes_saved']} ({by_action})"],
        ["throughput", f"{writes['throughput_rps']:.1f} req/s"],
    ]
    if "p50_ms" in writes:
        rows += [["latency median / p95 / max, all writers' requests",
                  f"{_ms(writes['p50_ms'])} / {_ms(writes['p95_ms'])} / {_ms(writes['max_ms'])} ms"]]
    if "post_p50_ms" in writes:
        rows += [["latency median / p95 / max, saves (POST) alone",
                  f"{_ms(writes['post_p50_ms'])} / {_ms(writes['post_p95_ms'])} / {_ms(writes['post_max_ms'])} ms"]]
    rows += [["errors (not 2xx/3xx, or no answer)",
              f"{writes['errors']} ({writes['server_errors']} answers 5xx, {writes['socket_errors']} socket errors); "
              f"answers {writes['status_codes']}"]]
    return rows


def _signing_rows(signing):
    return [
        ["clicks", f"{signing['clicks']} ({signing['posts']} sent the confirmation)"],
        ["answers", signing["status_codes"]],
        ["errors (not 2xx/3xx, or no answer)", f"{signing['errors']} ({signing['server_errors']} answers 5xx)"],
        ["signatures in the database", f"{signing['signatures']} of {signing['parties']} parties; status "
                                       f"{signing['status']}; signed PDF stored: "
                                       f"{'yes' if signing['signed_pdf'] else 'no'}"],
        ["latency max", f"{_ms(signing['max_ms'])} ms" if "max_ms" in signing else "–"],
    ]


def _render_database(report):
    scales = sorted(report["scales"], key=lambda s: s["scale"])
    by_scale = {s["scale"]: s for s in scales}
    names = [f"{s['scale']}x" for s in scales]
    varying = set(not_constant(report))
    machine = report["meta"]["machine"]
    out = ["### Data per scale", ""]
    count_keys = ("agreements", "goals", "versions", "steps", "letters", "vorlagen", "search_entries")
    out += _table(["scale", "years", *count_keys],
                  [[f"{s['scale']}x", f"{s['years'][0]}–{s['years'][-1]}" if len(s["years"]) > 1 else s["years"][0],
                    *(s["counts"][k] for k in count_keys)] for s in scales])
    for scale in scales:
        out += ["", f"### Pages at {scale['scale']}x", ""]
        rows = []
        for key, label in (*PAGES, *REFERENCES):
            fig = scale["pages"][key]
            queries = [str(by_scale[s["scale"]]["pages"][key]["queries"]) for s in scales]
            if key in varying:
                queries[-1] += " **NOT CONSTANT**"
            rows.append([f"{label} `{fig['url']}`", *queries, _ms(fig["median_ms"]), _ms(fig["p95_ms"]),
                         _ratio(fig["ratio_admin"]), _ratio(fig["ratio_static"])])
        out += _table(["page", *(f"queries {n}" for n in names), "median ms", "p95 ms",
                       "ratio to admin changelist", "ratio to static file"], rows)

    out += _render_jobs(scales)
    out += ["", "### PDF", ""]
    pdf = report.get("pdf")
    if pdf:
        v, b = pdf["vorlage"], pdf["bundle"]
        out += _table(["figure", "value", "target"], [
            [f"Vorlage {pdf['vorlage_reference']}: pages, size", f"{v['pages']} pages, {v['bytes'] / 1024:.0f} KiB",
             ""],
            ["render, cold (empty cache), per page", f"{v['seconds_per_page'] * 1000:.0f} ms "
             f"({v['cold_seconds']:.2f} s in all)", ""],
            ["render, warm (cache hit), per page", f"{v['warm_seconds'] / v['pages'] * 1000:.1f} ms "
             f"({v['warm_seconds'] * 1000:.1f} ms in all)", ""],
            ["WeasyPrint on the same HTML directly", f"{v['weasyprint_direct_seconds']:.2f} s", ""],
            ["overhead ratio (cold render / direct WeasyPrint)", f"{v['overhead_ratio']:.3f}",
             f"<= {MAX_PDF_OVERHEAD:g}"],
            [f"bundle: Vorlage + {b['anlagen']} Anlagen with {b['anlage_pages']} pages ({b['pages']} pages in all)",
             f"{b['seconds']:.2f} s (median {b['seconds_median']:.2f} s, first in process {b['first_seconds']:.2f} s)",
             f"<= {MAX_BUNDLE_SECONDS:g} s"],
        ])
        out += ["", f"Best of {v['repeats']} runs each (agreements/tooling/benchmark/pdf.py)."]
    else:
        out += ["Not measured."]

    out += _render_signatures(report.get("signatures"))

    out += ["", "### Load", ""]
    load = report.get("load")
    if load and "p95_ms" in load:
        writes = load.get("writes")
        out += [f"gunicorn with `deploy/gunicorn.conf.py`, {load['workers']} workers × {load['threads_per_worker']} "
                f"threads (gthread) on 127.0.0.1, data at {max(by_scale)}x; {load['tool']} with "
                f"`deploy/load/walk.lua`: {load['users']} connections, each a logged-in ministry editor walking "
                f"{', '.join(page_label(k) for k in load['pages'])} in turn without think time, "
                f"{load['duration_requested_s']} s"
                + (f"; at the same time {writes['writers']} writers (see Method)." if writes else ".")
                + " Load generators and server share the machine.", "", "Reads (wrk):", ""]
        out += _table(["figure", "value"], [
            ["requests", load["requests"]],
            ["throughput", f"{load['throughput_rps']:.1f} req/s"],
            ["latency median", f"{load['p50_ms']:.0f} ms"],
            ["latency p90", f"{load['p90_ms']:.0f} ms"],
            ["latency p95", f"{load['p95_ms']:.0f} ms"],
            ["latency p99", f"{load['p99_ms']:.0f} ms"],
            ["latency max", f"{load['max_ms']:.0f} ms"],
            ["errors", f"{load['errors']} ({load['socket_errors']} socket errors incl. {load['timeouts']} timeouts, "
                       f"{load['non_200']} answers other than 200, {load.get('server_errors', 0)} of them 5xx: "
                       f"{load['status_codes']})"],
        ])
        if writes:
            out += ["", "Writes (at the same time):", ""]
            out += _table(["figure", "value"], _writes_rows(writes))
        largest = by_scale[max(by_scale)]["pages"]
        walk_ms = statistics.mean(largest[key]["median_ms"] for key in load["pages"])
        cores = machine["usable_cores"] or 1
        out += ["", f"Capacity estimate (Little's law): the walked pages take {walk_ms:.0f} ms of server time on "
                f"average in-process (medians above, {max(by_scale)}x); {cores} cores serve at most about "
                f"{cores * 1000 / walk_ms:.0f} req/s, so {load['users']} users without think time wait about "
                f"{load['users'] * walk_ms / cores:.0f} ms per request on average at best, before the load generator "
                "and other processes take their share of the CPU."]
        if load.get("per_page"):
            out += ["", "Per page under load: server time from gunicorn's access log (%(L)s: from the moment a "
                    "worker thread took the request; the wait for a free thread is in the latencies above only).",
                    ""]
            out += _table(["page", "requests", "median ms", "p95 ms"], [
                [page_label(key), fig["requests"], _ms(fig["median_ms"]), _ms(fig["p95_ms"])]
                for key, fig in load["per_page"].items()
            ])
        if load.get("signing"):
            out += ["", f"Unterzeichnen under gunicorn, after the load run: {load['signing']['clicks']} parallel "
                    "clicks (see Method).", ""]
            out += _table(["figure", "value"], _signing_rows(load["signing"]))
    else:
        out += [f"Not run: {(load or {}).get('skipped', 'load run not performed')}."]

    runserver = report.get("runserver")
    if runserver:
        writes, signing = runserver.get("writes"), runserver.get("signing")
        measured = [f"{writes['writers']} writers for {writes['duration_requested_s']} s" if writes else "",
                    f"{signing['clicks']} parallel clicks on Unterzeichnen" if signing else ""]
        out += ["", "### make run's server", "",
                f"{runserver['server']} on the same SQLite file, one process with a thread per request, after the "
                f"load run: what the issue measured ({'; '.join(part for part in measured if part)}), without "
                "readers.", ""]
        if runserver.get("writes"):
            out += ["Writes:", ""] + _table(["figure", "value"], _writes_rows(runserver["writes"])) + [""]
        if runserver.get("signing"):
            out += ["Unterzeichnen:", ""] + _table(["figure", "value"], _signing_rows(runserver["signing"]))

    out += ["", "### Targets", ""]
    out += _table(["target", "result", "detail"], report["targets"])

    largest = scales[-1]
    out += ["", f"### Diagnostics: slowest queries per page at {largest['scale']}x", "",
            "From the counted request; SQL time as measured by the database wrapper, truncated SQL.", ""]
    rows = []
    for key, label in PAGES:
        fig = largest["pages"][key]
        top = fig["slowest_queries"][0] if fig["slowest_queries"] else {"ms": 0, "sql": ""}
        sql = " ".join(top["sql"].split())[:160].replace("|", "\\|")
        rows.append([label, f"{fig['sql_ms']:.1f}", f"{top['ms']:.1f}", f"`{sql}`"])
    out += _table(["page", "SQL ms (all queries)", "slowest query ms", "slowest query"], rows)
    return out


def _render_signatures(signatures):
    """The electronic signatures' figures (none in a report from before they were measured)."""
    out = ["", "### Electronic signatures", ""]
    if signatures is None:
        return out + ["Not measured."]
    figures = signatures["figures"]
    out += _table(["figure", "median ms", "max ms", "runs", "target"], [
        [label, f"{figures[key]['median_s'] * 1000:.0f}", f"{figures[key]['max_s'] * 1000:.0f}",
         figures[key]["samples"], f"< {MAX_SIGNATURE_SECONDS:g} s"]
        for key, label in SIGNATURE_FIGURES
    ])
    return out + ["", f"{signatures['repeats']} rounds after one to warm up; {' and '.join(signatures['parties'])} "
                  f"sign a file of {signatures['pdf_bytes'] / 1024:.0f} KiB; timestamps from the {signatures['tsa']} "
                  "(agreements/tooling/benchmark/signatures.py)."]


def _render_jobs(scales):
    """The background jobs per scale: queries (with the ratio of the largest scale to the smallest, 1.00 when
    constant), time and how much they did."""
    if not any(s.get("jobs") for s in scales):
        return []
    first, last = scales[0], scales[-1]
    out = ["", "### Background jobs", "",
           f"In-process, {JOB_METHOD}. Reminders for {last['jobs']['reminders']['day']}; recipients: k editors per "
           f"county at scale k; digest: {DIGEST_USERS_PER_SCALE}·k users with {DIGEST_NOTICES_PER_USER} pending "
           "notices each.", ""]
    rows = []
    for key, label in JOBS:
        if key not in (last.get("jobs") or {}) or key not in (first.get("jobs") or {}):
            continue
        small, large = first["jobs"][key], last["jobs"][key]
        if key == "reminders_sent":
            per = [f"{f['queries'] / f['reminders']:.2f}" if f["reminders"] else "–" for f in (small, large)]
            ratio = (f"{(large['queries'] / large['reminders']) / (small['queries'] / small['reminders']):.2f} "
                     "per reminder" if small["reminders"] and large["reminders"] else "–")
            did = [f"{f['reminders']} reminders → {f['notices']} notices ({p} queries each)"
                   for f, p in zip((small, large), per, strict=True)]
        else:
            ratio = f"{large['queries'] / small['queries']:.2f}" if small["queries"] else "–"
            did = [f"{f['reminders']} reminders to {f['recipients']} recipients" if key == "reminders" else
                   f"{f['users']} users → {f['mails']} mails" for f in (small, large)]
        rows.append([label, *(str(s["jobs"][key]["queries"]) for s in (first, last)), ratio,
                     *(f"{_ms(s['jobs'][key]['median_ms'])} / {_ms(s['jobs'][key]['p95_ms'])}" for s in (first, last)),
                     *did])
    names = [f"{s['scale']}x" for s in (first, last)]
    out += _table(["job", *(f"queries {n}" for n in names), f"queries {names[1]} / {names[0]}",
                   *(f"median / p95 ms {n}" for n in names), *(f"work {n}" for n in names)], rows)
    return out


def dump_json(report, path):
    Path(path).write_text(json.dumps(report, indent=1, default=str, ensure_ascii=False), encoding="utf-8")
