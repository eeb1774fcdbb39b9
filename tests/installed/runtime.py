"""The application as installed: a runtime-only virtualenv built by the Makefile (`make install`, what
`make run` installs: `pip install -e .` without the dev extras), and the server started by `make run` itself.

The venv lives in var/installed/venv-<hash of the dependencies, build constraints and Python>, so a second
run reuses it and a dependency change builds a new one (older ones are removed). A file lock keeps two test
sessions, or two pytest-xdist workers of one, from building it at the same time: the second waits and then finds
it built (`make install` does nothing when the venv is up to date).
"""

import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from agreements.tooling.ports import first_free_port

REPO = Path(__file__).resolve().parents[2]
VENVS = REPO / "var" / "installed"
PORTS = range(18800, 18900)
INSTALL_TIMEOUT_S = 1200
START_TIMEOUT_S = 600

# What the test session itself sets (pytest-env, pytest-django, Playwright) or what a parent `make test` passes
# down: the server must start from a user's shell, not from inside the test run.
_NOT_INHERITED = {"SECRET_KEY", "DEBUG", "SECURE_SSL_REDIRECT", "DATABASE_URL", "MEDIA_ROOT", "DEMO_SIGNING_DIR",
                  "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME",
                  "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PYTEST_ARGS", "PYTEST_CURRENT_TEST", "PYTEST_ADDOPTS",
                  "PIP_CONSTRAINT"}


def clean_env(**extra):
    env = {key: value for key, value in os.environ.items() if key not in _NOT_INHERITED}
    # The dev venv's bin must not be on the PATH (an activated .venv): `make` has to use the runtime venv only.
    dev_bin = str(REPO / ".venv" / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p and p != dev_bin)
    env.update(extra)
    return env


def _python3():
    """The interpreter the Makefile's `python3 -m venv` uses, with its version."""
    path = shutil.which("python3", path=clean_env()["PATH"]) or sys.executable
    version = subprocess.run([path, "-c", "import sys; print(sys.version)"], capture_output=True, text=True,
                             check=True).stdout.strip()
    return os.path.realpath(path), version


def venv_key():
    """What decides the venv's content: the project's dependencies and build system (not the tool settings in
    pyproject.toml), the build constraints, and the interpreter."""
    with open(REPO / "pyproject.toml", "rb") as handle:
        pyproject = tomllib.load(handle)
    inputs = {"project": pyproject.get("project"), "build-system": pyproject.get("build-system"),
              "constraints": (REPO / "build-constraints.txt").read_text(), "python": _python3()}
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:16]


@contextmanager
def _locked(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class InstallError(Exception):
    pass


def runtime_venv():
    """The runtime-only venv, built with the Makefile's own rule (`make install VENV=...`); its path."""
    venv = VENVS / f"venv-{venv_key()}"
    with _locked(VENVS / ".lock"):
        for old in VENVS.glob("venv-*"):
            if old != venv:
                shutil.rmtree(old, ignore_errors=True)
        log = VENVS / f"{venv.name}.install.log"
        with open(log, "w") as out:
            result = subprocess.run(["make", "--no-print-directory", "install", f"VENV={venv}"], cwd=REPO,
                                    env=clean_env(), stdout=out, stderr=subprocess.STDOUT,
                                    timeout=INSTALL_TIMEOUT_S)
        if result.returncode != 0:
            raise InstallError(f"make install VENV={venv} failed ({result.returncode}):\n" + tail(log))
    return venv


def tail(path, lines=60):
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def free_port(ports=PORTS):
    """The first port of `ports` nobody listens on (each pytest-xdist worker starts at its own part of the range)."""
    port = first_free_port(ports)
    if port is None:
        raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")
    return port


class Server:
    """`make run` with the runtime venv, a port of its own, a fresh database and media directory; the whole
    process group (make, runserver and its autoreloader child) is stopped at the end."""

    def __init__(self, venv, database_url, media_root, log):
        self.venv = venv
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        self.media_root = media_root
        self.log = Path(log)
        self.process = None

    def start(self):
        command = ["make", "--no-print-directory", "run", f"VENV={self.venv}", "HOST=127.0.0.1", f"PORT={self.port}",
                   "RUNSERVER_ARGS=--noreload"]
        # The demo keys load_demo writes go beside the media (the test's temporary directory), not into var/.
        env = clean_env(DATABASE_URL=self.database_url, MEDIA_ROOT=str(self.media_root),
                        DEMO_SIGNING_DIR=str(Path(self.media_root).parent / "demo-signing"))
        self._out = open(self.log, "w")
        self.process = subprocess.Popen(command, cwd=REPO, env=env, stdout=self._out, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"`make run` ended with {self.process.returncode}:\n{tail(self.log)}")
            try:
                with urllib.request.urlopen(f"{self.url}/anmelden/", timeout=5) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(1)
        raise RuntimeError(f"`make run` did not answer on {self.url} within {START_TIMEOUT_S} s:\n{tail(self.log)}")

    def stop(self):
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)
        # runserver's autoreloader child is in the same group; make sure nothing of it is left.
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._out.close()
        self.process = None

    def log_text(self):
        return self.log.read_text(errors="replace")


# runserver logs each request: [04/Dec/2026 16:50:00] "GET /anmelden/ HTTP/1.1" 200 5678
REQUEST_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3}) ')


def requests_in(log_text):
    """(method, path, status) of every request in a runserver log."""
    return [(match["method"], match["path"], int(match["status"])) for match in REQUEST_LINE.finditer(log_text)]


def tracebacks_in(log_text):
    """Every traceback in the log, each with the line before it (e.g. "Internal Server Error: /path") and the
    exception line that ends it."""
    lines = log_text.splitlines()
    found = []
    for number, line in enumerate(lines):
        if not line.startswith("Traceback (most recent call last)"):
            continue
        end = number + 1
        while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end].strip()):
            end += 1
        found.append("\n".join(lines[max(number - 1, 0):end + 1]))
    return found


def server_errors(log_text):
    """The requests answered with a status >= 500 and the tracebacks the server logged."""
    failed = [f"{method} {path} -> {status}" for method, path, status in requests_in(log_text) if status >= 500]
    return failed, tracebacks_in(log_text)


@contextmanager
def server_database(tmp_path):
    """The database the installed server starts on: a fresh SQLite file, as `make run` uses by default; when the
    suite itself runs on PostgreSQL (DATABASE_URL=postgresql://..., CI's second run), a fresh PostgreSQL
    database of a unique name on that server, dropped afterwards (README: "Running against PostgreSQL")."""
    outer = os.environ.get("DATABASE_URL", "")
    if not outer.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path / 'db.sqlite3'}"
        return
    from urllib.parse import urlsplit, urlunsplit

    import psycopg2

    parts = urlsplit(outer)
    name = f"zs_installed_{os.getpid()}_{int(time.time())}"
    admin = urlunsplit(parts._replace(path="/postgres"))

    def execute(sql):
        connection = psycopg2.connect(admin)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
        finally:
            connection.close()

    execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
