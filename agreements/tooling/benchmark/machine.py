"""Where and on what the figures were taken: machine, software versions, code revision, database options."""

import os
import platform
import re
import subprocess
from pathlib import Path

from django.conf import settings
from django.db import connection


def _read(path):
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def load_average():
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def machine_info():
    cpuinfo = _read("/proc/cpuinfo")
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    meminfo = re.search(r"^MemTotal:\s*(\d+) kB", _read("/proc/meminfo"), re.MULTILINE)
    release = re.search(r'^PRETTY_NAME="?([^"\n]+)"?', _read("/etc/os-release"), re.MULTILINE)
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cpu": model.group(1).strip() if model else platform.processor() or "unknown",
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "ram_gib": round(int(meminfo.group(1)) / 1024 / 1024, 1) if meminfo else None,
        "os": f"{release.group(1) if release else platform.system()} (kernel {platform.release()})",
    }


def software_versions():
    from importlib.metadata import PackageNotFoundError, version

    import django

    def package(name):
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    if connection.vendor == "sqlite":
        import sqlite3

        database = f"SQLite {sqlite3.sqlite_version}"
    else:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            database = f"PostgreSQL {cursor.fetchone()[0]}"
    return {
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": database,
        "gunicorn": package("gunicorn"),
        "weasyprint": package("weasyprint"),
        "pikepdf": package("pikepdf"),
        "whitenoise": package("whitenoise"),
    }


def source_revision():
    """Which code was measured: ZS_BENCHMARK_REVISION if set (e.g. for an exported tree without .git), else the
    git commit, marked when the working tree has changes not committed."""
    if os.environ.get("ZS_BENCHMARK_REVISION"):
        return os.environ["ZS_BENCHMARK_REVISION"]
    git = ["git", "-C", str(settings.BASE_DIR)]
    try:
        commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10,
                                check=True).stdout.strip()
        dirty = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit} (with uncommitted changes)" if dirty else commit


def database_options():
    """The connection options the servers ran with (for SQLite: transaction mode, journal, busy timeout)."""
    options = settings.DATABASES["default"].get("OPTIONS", {})
    if connection.vendor != "sqlite":
        return ""
    return ", ".join(f"{key}={value!r}" for key, value in sorted(options.items()))
