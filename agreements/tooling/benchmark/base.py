"""What every part of the benchmark shares: its error, its log line, the percentile, and the guard that keeps it
off any database but a throwaway one."""

import sys
import time
from pathlib import Path

from django.conf import settings


class BenchmarkError(RuntimeError):
    """The benchmark cannot produce honest figures (a page answered with an error, a server did not start …)."""


def progress(message):
    print(f"[benchmark {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values, fraction):
    """Linear interpolation between the closest ranks (numpy's default); fraction in [0, 1]."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    position = (len(ordered) - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def is_throwaway_database(database=None):
    """Only a SQLite file under var/benchmark/ or a PostgreSQL database named *_benchmark."""
    database = database or settings.DATABASES["default"]
    name = str(database["NAME"])
    if database["ENGINE"].endswith("sqlite3"):
        root = (Path(settings.BASE_DIR) / "var" / "benchmark").resolve()
        return Path(name).resolve().is_relative_to(root)
    return name.endswith("_benchmark")
