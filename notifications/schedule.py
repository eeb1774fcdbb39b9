"""Periodic jobs that run once per period however many timers, workers and machines call the schedule.

`register(name, period, func)` adds a job (period "daily" or "hourly"; func(now) does the work); `run_due(now)`
runs every job whose period has begun and that nobody ran in it yet. The claim is a unique row (ScheduleRun: job
and period key, "2026-06-09" or "2026-06-09T14"): of two callers at the same moment one inserts it, the other's
insert fails and it skips the job. A run that failed may be claimed again in the same period (its error is kept
until then), and so may one left running for STALE (its process died). Daily jobs are due from
SCHEDULE_DAILY_HOUR o'clock local time on. `manage.py run_schedule`, started every few minutes by a systemd timer
(deploy/zielsteuerung-schedule.timer), calls run_due.
"""

import datetime
import logging
import os
import socket
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

logger = logging.getLogger(__name__)

PERIODS = ("daily", "hourly")
STALE = datetime.timedelta(hours=2)


@dataclass(frozen=True)
class Job:
    name: str
    period: str
    func: object


JOBS: dict[str, Job] = {}


def register(name, period, func):
    """Adds (or, for the same name, replaces) a periodic job; returns it."""
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}; use one of {', '.join(PERIODS)}")
    if not name or len(name) > 60:
        raise ValueError(f"{name!r} cannot name a job")
    JOBS[name] = Job(name, period, func)
    return JOBS[name]


def period_key(period, now):
    """The period `now` falls in, as stored: the local date for a daily job, date and hour for an hourly one;
    None while a daily job is not yet due that day."""
    local = timezone.localtime(now)
    if period == "hourly":
        return local.strftime("%Y-%m-%dT%H")
    if local.hour < settings.SCHEDULE_DAILY_HOUR:
        return None
    return local.date().isoformat()


def _worker():
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def claim(job, key, now):
    """Whether this caller got the job's run in period `key`."""
    from .models import ScheduleRun

    R = ScheduleRun.Status
    try:
        with transaction.atomic():
            ScheduleRun.objects.create(job=job.name, period=key, status=R.RUNNING, started_at=now, worker=_worker())
        return True
    except IntegrityError:
        pass
    # Taken: only a failed run, or one whose process died, is taken over (one UPDATE; one caller wins).
    again = Q(status=R.FAILED) | Q(status=R.RUNNING, started_at__lt=now - STALE)
    return bool(ScheduleRun.objects.filter(again, job=job.name, period=key).update(
        status=R.RUNNING, started_at=now, finished_at=None, worker=_worker()))


def run_due(now=None):
    """Runs each job that is due and not yet run in its period; returns {job name: "done" | "failed"} of the jobs
    this call ran."""
    from .models import ScheduleRun

    now = now or timezone.now()
    ran = {}
    for job in list(JOBS.values()):
        key = period_key(job.period, now)
        if key is None or not claim(job, key, now):
            continue
        run = ScheduleRun.objects.filter(job=job.name, period=key)
        try:
            job.func(now)
        except Exception as error:  # noqa: BLE001 - one job's failure must not stop the others
            logger.exception("Scheduled job %s (%s) failed", job.name, key)
            run.update(status=ScheduleRun.Status.FAILED, finished_at=timezone.now(),
                       error=f"{type(error).__name__}: {error}"[:4000])
            ran[job.name] = "failed"
        else:
            run.update(status=ScheduleRun.Status.DONE, finished_at=timezone.now(), error="")
            ran[job.name] = "done"
    return ran
