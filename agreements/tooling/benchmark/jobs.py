"""The background jobs at each scale, measured in-process like the pages: the deadline reminders of the 53 counties
(services.reminders: which are due on a working day, and to whom; then handed to notify()) and the daily digest
(notifications.digest). The recipients grow with the scale: k editors per county at scale k, and 100·k users with
pending digest notices (1,000 at 10x), so "queries constant" holds in the number of recipients too.

A job that writes (sending the reminders, the digest) runs inside a transaction that is rolled back, so every
repeat does the same work: nothing is sent, and the mails its commit would queue are never queued.
"""

import datetime
import statistics
import time

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agreements import models as m
from agreements.services import reminders, workdays
from agreements.tooling.benchmark.base import percentile, progress

# (key, label) in report order.
JOBS = (
    ("reminders", "Deadline reminders: which are due, and to whom"),
    ("reminders_sent", "Deadline reminders handed to notify() (rolled back)"),
    ("digest", "Daily digest (rolled back)"),
)
DIGEST_USERS_PER_SCALE = 100
DIGEST_NOTICES_PER_USER = 3
USER_PREFIX = "benchmark-frist-"


class _Rollback(Exception):
    pass


def job_label(key):
    return dict(JOBS)[key]


def reminder_day():
    """The working day the reminders are computed for: today, or the next working day (same at every scale)."""
    return workdays.add_working_days(timezone.localdate(), 0)


def prepare_recipients(scale):
    """`scale` active editors with an address for every county that owns a deadline (made once, kept)."""
    users = get_user_model().objects
    owners = list(m.Party.objects.filter(kind__in=m.Party.COUNTY_KINDS).order_by("pk"))
    existing = set(users.filter(username__startswith=USER_PREFIX).values_list("username", flat=True))
    new = [get_user_model()(username=name, email=f"{name}@benchmark.example", is_active=True)
           for county in owners for n in range(scale) if (name := f"{USER_PREFIX}{county.key}-{n}") not in existing]
    users.bulk_create(new, batch_size=500)
    created = {u.username: u.pk for u in users.filter(username__in=[u.username for u in new])}
    m.Membership.objects.bulk_create([
        m.Membership(user_id=created[f"{USER_PREFIX}{county.key}-{n}"], party=county, role=m.Membership.Role.EDITOR)
        for county in owners for n in range(scale) if f"{USER_PREFIX}{county.key}-{n}" in created
    ], batch_size=500)


def prepare_digest(scale):
    """100·scale users with DIGEST_NOTICES_PER_USER pending digest notices each (made once, kept)."""
    from notifications.models import Mode, Notice

    users = get_user_model().objects
    wanted = DIGEST_USERS_PER_SCALE * scale
    prefix = "benchmark-digest-"
    have = users.filter(username__startswith=prefix).count()
    new = [get_user_model()(username=f"{prefix}{n}", email=f"{prefix}{n}@benchmark.example")
           for n in range(have, wanted)]
    users.bulk_create(new, batch_size=500)
    fresh = users.filter(username__in=[u.username for u in new])
    now = timezone.now()
    Notice.objects.bulk_create([
        Notice(user=user, key=f"benchmark:{user.pk}:{n}", kind=reminders.OVERDUE, mode=Mode.DIGEST,
               target_label="Zielvereinbarung", url="/", created=now, batch="benchmark",
               context={"deadline_kind": "jahresbericht", "deadline_title": "", "due": "2026-01-31",
                        "owner": "Kreis Beispiel", "subject": f"ZV 2025 MAIS NRW – Kreis {n}", "detail": "",
                        "overdue": True})
        for user in fresh for n in range(DIGEST_NOTICES_PER_USER)
    ], batch_size=500)
    return wanted


def _run(func, rollback):
    if not rollback:
        return func()
    try:
        with transaction.atomic():
            result = func()
            raise _Rollback
    except _Rollback:
        pass
    return result


def _measure(func, *, repeats, rollback, units):
    """One counted run, then `repeats` timed ones: the job's figures. `units(result)` says how much it did."""
    with CaptureQueriesContext(connection) as captured:
        result = _run(func, rollback)
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        _run(func, rollback)
        seconds.append(time.perf_counter() - start)
    return {"queries": len(captured.captured_queries), "median_ms": statistics.median(seconds) * 1000,
            "p95_ms": percentile(seconds, 0.95) * 1000, "repeats": repeats, **units(result)}


def measure_jobs(scale, *, repeats):
    """{key: figures} of every job at this scale (the digest and the sending only with the notifications app)."""
    day = reminder_day()
    progress(f"measuring background jobs at {scale}x (reminders for {day}, {repeats} repeats)")
    prepare_recipients(scale)
    results = {"reminders": _measure(
        lambda: reminders.reminders_on(day), repeats=repeats, rollback=False,
        units=lambda found: {"reminders": len(found), "recipients": sum(len(r.users) for r in found),
                             "day": day.isoformat()})}
    if not apps.is_installed("notifications"):
        return results
    moment = datetime.datetime.combine(day, datetime.time(7), tzinfo=timezone.get_current_timezone())
    count = results["reminders"]["reminders"]
    results["reminders_sent"] = _measure(
        lambda: reminders.send_reminders(moment), repeats=repeats, rollback=True,
        units=lambda created: {"reminders": count, "notices": created})
    from notifications.digest import send_digests

    users = prepare_digest(scale)
    results["digest"] = _measure(lambda: send_digests(), repeats=repeats, rollback=True,
                                 units=lambda mails: {"users": users, "mails": mails})
    return results
