"""The load run: wrk walking the pages as logged-in ministry editors while the writers save forms, against
gunicorn; the same writers and clicks against `make run`'s server."""

import os
import re
import shlex
import shutil
import subprocess
import time
from http.client import HTTPConnection
from pathlib import Path

from django.conf import settings

from agreements.tooling.benchmark.base import BenchmarkError, progress
from agreements.tooling.benchmark.pages import page_urls
from agreements.tooling.benchmark.servers import (
    LOAD_WORKERS,
    free_port,
    login_cookie,
    parse_access_log,
    start_gunicorn,
    start_runserver,
    stop_server,
)
from agreements.tooling.benchmark.sign import run_signing
from agreements.tooling.benchmark.writes import join_writers, run_writers, writers_in_background

DEFAULT_LOAD_SECONDS = 60


DEFAULT_USERS = 20


DEFAULT_RUNSERVER_SECONDS = 20


LOAD_PAGES = ("dashboard", "agreement_list", "agreement_detail", "board", "oparl_papers")


WRK_SCRIPT = Path(settings.BASE_DIR) / "deploy" / "load" / "walk.lua"


WRK_LINE = re.compile(r"^BENCHMARK (.*)$", re.MULTILINE)


def parse_wrk(output):
    """The BENCHMARK line of deploy/load/walk.lua → figures (ms, req/s, error counts)."""
    match = WRK_LINE.search(output)
    if not match:
        raise BenchmarkError("wrk printed no BENCHMARK line:\n" + output[-2000:])
    raw = dict(item.split("=", 1) for item in match.group(1).split())
    number = {k: float(v) for k, v in raw.items() if k != "codes"}
    seconds = number["duration_us"] / 1e6
    socket_errors = int(number["connect"] + number["read"] + number["write"] + number["timeout"])
    return {
        "requests": int(number["requests"]),
        "seconds": seconds,
        "throughput_rps": number["requests"] / seconds if seconds else 0.0,
        "p50_ms": number["p50_us"] / 1000,
        "p90_ms": number["p90_us"] / 1000,
        "p95_ms": number["p95_us"] / 1000,
        "p99_ms": number["p99_us"] / 1000,
        "max_ms": number["max_us"] / 1000,
        "mean_ms": number["mean_us"] / 1000,
        "socket_errors": socket_errors,
        "timeouts": int(number["timeout"]),
        "non_200": int(number["unexpected"]),
        # Answers 5xx among them (the line of an older walk.lua has none).
        "server_errors": int(number.get("server_errors", 0)),
        "http_errors": int(number["status"]),
        "status_codes": raw.get("codes", "-"),
        "errors": socket_errors + int(number["unexpected"]),
        "bytes": int(number["bytes"]),
    }


def run_load(cast, *, seconds, users, workdir, writers=(), sign_clicks=0, year=None, env=None):
    """gunicorn (2 workers, deploy/gunicorn.conf.py) on loopback; wrk with `users` reading connections and, at the
    same time, `len(writers)` editors saving forms; then `sign_clicks` parallel clicks on "Unterzeichnen"."""
    wrk = shutil.which("wrk")
    if not wrk:
        raise BenchmarkError("wrk is not installed (Debian: apt-get install wrk); run with --no-load to skip.")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    urls = page_urls(cast)
    paths = [urls[key][0] for key in LOAD_PAGES]
    env = dict(os.environ if env is None else env)
    progress(f"load: gunicorn ({LOAD_WORKERS} workers) on 127.0.0.1:{port}, wrk {users} users and {len(writers)} "
             f"writers for {seconds} s")
    log_path = workdir / "gunicorn.log"
    process = start_gunicorn(port, env=env, log_path=log_path)
    try:
        cookie = login_cookie(port, cast.editor.username, cast.password)
        # Every page once before the clock runs: a wrong status fails here, with the page named.
        for path in paths:
            conn = HTTPConnection("127.0.0.1", port, timeout=60)
            try:
                conn.request("GET", path, headers={"Cookie": cookie})
                response = conn.getresponse()
                response.read()
            finally:
                conn.close()
            if response.status != 200:
                raise BenchmarkError(f"Under gunicorn GET {path} answered {response.status}, not 200.")
        writer_cookies = [login_cookie(port, writer.username, cast.password) for writer in writers]
        # Only the requests wrk makes count in the per-page figures, not the login and the checks above.
        time.sleep(0.5)
        log_offset = log_path.stat().st_size
        background = writers_in_background(port, writers, writer_cookies, seconds=seconds) if writers else None
        threads = max(1, min(2, users))
        command = [wrk, "-t", str(threads), "-c", str(users), "-d", f"{seconds}s", "--timeout", "10s",
                   "--latency", "-s", str(WRK_SCRIPT), f"http://127.0.0.1:{port}", "--", cookie, *paths]
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
        writes = join_writers(*background, seconds=seconds) if background else None
        (workdir / "wrk.txt").write_text(done.stdout + done.stderr, encoding="utf-8")
        if done.returncode != 0:
            raise BenchmarkError(f"wrk exited with {done.returncode}: {done.stderr[-2000:]}")
        figures = parse_wrk(done.stdout)
        figures["writes"] = writes
        with open(log_path, "rb") as log:
            log.seek(log_offset)
            figures["per_page"] = parse_access_log(log.read().decode("utf-8", "replace"),
                                                   dict(zip(LOAD_PAGES, paths, strict=True)))
        figures["signing"] = run_signing(port, cast, clicks=sign_clicks, number=0, year=year) \
            if sign_clicks else None
    finally:
        stop_server(process)
    version = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
    banner = (version.stdout or version.stderr or "wrk").splitlines()[0]
    figures.update({
        "tool": banner.split(" [")[0].split(" Copyright")[0].strip(),
        "users": users, "duration_requested_s": seconds, "workers": LOAD_WORKERS,
        "threads_per_worker": int(env.get("GUNICORN_THREADS", "2")),
        "pages": list(LOAD_PAGES), "paths": paths,
        "command": " ".join(shlex.quote(part) for part in [*command[:-len(paths) - 1], "<cookie>", *paths]),
    })
    return figures


def run_runserver(cast, *, writers, seconds, sign_clicks, workdir, year, env=None):
    """What the issue measured under `make run`'s server (SQLite): the writers for `seconds`, then the parallel
    clicks on "Unterzeichnen"."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = dict(os.environ if env is None else env)
    progress(f"runserver on 127.0.0.1:{port}: {len(writers)} writers for {seconds} s, {sign_clicks} clicks")
    process = start_runserver(port, env=env, log_path=workdir / "runserver.log")
    try:
        cookies = [login_cookie(port, writer.username, cast.password) for writer in writers]
        writes = run_writers(port, writers, cookies, seconds=seconds) if writers else None
        signing = run_signing(port, cast, clicks=sign_clicks, number=1, year=year) if sign_clicks else None
    finally:
        stop_server(process)
    return {"server": "manage.py runserver (DEBUG=1, as make run)", "writes": writes, "signing": signing}
