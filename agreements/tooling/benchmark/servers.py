"""The servers the benchmark starts (gunicorn as deployed, runserver as `make run`) and the plain HTTP client it
talks to them with: ports, the real login form, single requests, gunicorn's access log."""

import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from agreements.tooling.benchmark.base import BenchmarkError, percentile
from agreements.tooling.ports import first_free_port

LOAD_WORKERS = 2


GUNICORN_CONF = Path(settings.BASE_DIR) / "deploy" / "gunicorn.conf.py"


def port_range():
    """BENCHMARK_PORTS=19000-19099 confines the servers the benchmark starts to these ports; by default the
    system picks a free one."""
    value = os.environ.get("BENCHMARK_PORTS", "").strip()
    if not value:
        return None
    try:
        low, _, high = value.partition("-")
        ports = range(int(low), int(high or low) + 1)
    except ValueError:
        raise BenchmarkError(f"BENCHMARK_PORTS={value!r}: expected a range such as 19000-19099.") from None
    if not ports or ports[0] < 1 or ports[-1] > 65535:
        raise BenchmarkError(f"BENCHMARK_PORTS={value!r}: not a range of ports.")
    return ports


def free_port():
    ports = port_range()
    if ports is None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]
    port = first_free_port(ports)
    if port is None:
        raise BenchmarkError(f"No free port in BENCHMARK_PORTS={os.environ['BENCHMARK_PORTS']}.")
    return port


def _cookies(response):
    jar = SimpleCookie()
    for header in response.msg.get_all("Set-Cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def login_cookie(port, username, password, *, timeout=30):
    """Log in through the real form (CSRF token, django-axes, session) and return the Cookie header value."""
    login = reverse("login")
    conn = HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", login)
        response = conn.getresponse()
        page = response.read().decode("utf-8", "replace")
        cookies = _cookies(response)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if response.status != 200 or not match or "csrftoken" not in cookies:
            raise BenchmarkError(f"GET {login} answered {response.status} without a CSRF token.")
        body = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": match.group(1)})
        conn.request("POST", login, body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookies['csrftoken']}",
        })
        response = conn.getresponse()
        response.read()
        cookies.update(_cookies(response))
        if response.status != 302 or "sessionid" not in cookies:
            raise BenchmarkError(f"The login as {username} failed (status {response.status}).")
    finally:
        conn.close()
    return f"sessionid={cookies['sessionid']}; csrftoken={cookies['csrftoken']}"


def http_request(port, method, path, *, cookie, body=None, timeout=30):
    """One request on a new connection: (status, body text, Location, seconds). OSError on a socket error."""
    headers = {"Cookie": cookie, "Connection": "close"}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn = HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        start = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        content = response.read()
        elapsed = time.perf_counter() - start
        return response.status, content.decode("utf-8", "replace"), response.getheader("Location"), elapsed
    finally:
        conn.close()


def _wait_for_port(port, process, *, timeout, name="gunicorn"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchmarkError(f"{name} exited with {process.returncode} before it listened.")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise BenchmarkError(f"{name} did not listen on 127.0.0.1:{port} within {timeout} s.")


def _start_server(command, port, *, env, log_path, name):
    log = open(log_path, "wb")  # noqa: SIM115 - closed by stop_server
    # A session of its own: stop_server signals the server and its workers as one group.
    process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    process.log_file = log
    try:
        _wait_for_port(port, process, timeout=60, name=name)
    except BaseException:
        stop_server(process)
        raise
    return process


# %(L)s: seconds from the moment a worker thread took the request to the response, so without the wait for a
# free thread; %(U)s and %(q)s: path and query string.
ACCESS_LOG_FORMAT = "BENCHMARK %(m)s %(U)s %(q)s %(s)s %(L)s"


ACCESS_LINE = re.compile(r"^BENCHMARK (\S+) (\S+) (\S*) (\d+) ([0-9.]+)$", re.MULTILINE)


def start_gunicorn(port, *, env, log_path, workers=LOAD_WORKERS):
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if not gunicorn.exists():
        gunicorn = shutil.which("gunicorn")
        if not gunicorn:
            raise BenchmarkError("gunicorn is not installed in this environment.")
    env = {**env, "GUNICORN_WORKERS": str(workers), "GUNICORN_BIND": f"127.0.0.1:{port}"}
    # The access log format (command line over the config file) adds each request's time for the per-page figures.
    return _start_server([str(gunicorn), "-c", str(GUNICORN_CONF), "--access-logformat", ACCESS_LOG_FORMAT],
                         port, env=env, log_path=log_path, name="gunicorn")


def start_runserver(port, *, env, log_path):
    """The server `make run` starts: manage.py runserver (one process, a thread per request) with DEBUG=1 as the
    Makefile sets it; --noreload only spares the file watcher's second process."""
    command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "runserver", f"127.0.0.1:{port}",
               "--noreload"]
    return _start_server(command, port, env={**env, "DEBUG": "1"}, log_path=log_path, name="runserver")


def stop_server(process, *, timeout=35):
    try:
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
    finally:
        log = getattr(process, "log_file", None)
        if log:
            log.close()


stop_gunicorn = stop_server


def parse_access_log(text, paths):
    """Per page under load: requests, median and p95 server time (ms) from gunicorn's access log lines."""
    times = {}
    for _method, path, query, _status, seconds in ACCESS_LINE.findall(text):
        full = f"{path}?{query}" if query and query != "-" else path
        times.setdefault(full, []).append(float(seconds) * 1000)
    return {
        key: {"requests": len(times[path]), "median_ms": statistics.median(times[path]),
              "p95_ms": percentile(times[path], 0.95)}
        for key, path in paths.items() if times.get(path)
    }
