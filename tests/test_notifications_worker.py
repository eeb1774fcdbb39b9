"""The background work scales out: the schedule runs a job once per period however many callers there are, and two
database workers (django-tasks' db_worker loop) taking mails from the same queue on PostgreSQL send each mail once.
"""

import datetime
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from notifications import digest, schedule, services
from notifications.models import Mail, Mode, Notice, ScheduleRun

from .builders_notifications import DATABASE, IMMEDIATE, immediate_tasks, smtp_server, use_smtp  # noqa: F401 - fixture
from .factories import make_user

BERLIN = ZoneInfo("Europe/Berlin")
MORNING = datetime.datetime(2026, 6, 9, 7, tzinfo=BERLIN)
VORLAGE = {"reference": "50/001/2026", "name": "Zielsteuerung", "committees": ["Kreistag"], "public": True}


@pytest.fixture
def only_the_digest(monkeypatch, settings):
    """The schedule with the digest job alone (the sweep and other apps' jobs do not get in the way)."""
    settings.SCHEDULE_DAILY_HOUR = 6
    monkeypatch.setattr(schedule, "JOBS", {})
    schedule.register(digest.DIGEST_JOB, "daily", digest.send_digests)


def digest_notice(user, key="n-1"):
    services.save_settings(user, language="de", modes={"vorlage_released": Mode.DIGEST})
    services.notify("vorlage_released", users=[user], target="Vorlage 50/001/2026", url="/vorlagen/1/",
                    context=VORLAGE, key=key)


def told(username):
    return make_user(username, email=f"{username}@example.org")


@pytest.mark.django_db
def test_run_due_twice_in_one_period_runs_the_digest_once(only_the_digest, immediate_tasks,  # noqa: F811
                                                         django_capture_on_commit_callbacks):
    user = told("mitglied")
    digest_notice(user)
    with django_capture_on_commit_callbacks(execute=True):
        assert schedule.run_due(MORNING) == {"daily_digest": "done"}
        assert schedule.run_due(MORNING + datetime.timedelta(hours=3)) == {}
    assert Mail.objects.filter(kind="digest").count() == 1
    run = ScheduleRun.objects.get()
    assert (run.job, run.period, run.status) == ("daily_digest", "2026-06-09", ScheduleRun.Status.DONE)
    # The next day is another period.
    digest_notice(user, key="n-2")
    with django_capture_on_commit_callbacks(execute=True):
        assert schedule.run_due(MORNING + datetime.timedelta(days=1)) == {"daily_digest": "done"}
    assert Mail.objects.filter(kind="digest").count() == 2


@pytest.mark.django_db
def test_a_daily_job_waits_for_its_hour_and_a_failed_run_is_tried_again(monkeypatch, settings):
    settings.SCHEDULE_DAILY_HOUR = 6
    monkeypatch.setattr(schedule, "JOBS", {})
    calls = []

    def flaky(now):
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("mail server down")

    schedule.register("flaky", "daily", flaky)
    assert schedule.run_due(MORNING.replace(hour=5)) == {}
    assert schedule.run_due(MORNING) == {"flaky": "failed"}
    run = ScheduleRun.objects.get()
    assert run.status == ScheduleRun.Status.FAILED and "mail server down" in run.error
    assert schedule.run_due(MORNING) == {"flaky": "done"}
    assert schedule.run_due(MORNING) == {}
    assert len(calls) == 2 and ScheduleRun.objects.get().status == ScheduleRun.Status.DONE
    with pytest.raises(ValueError):
        schedule.register("weekly", "weekly", flaky)


def in_threads(count, work):
    """Runs work() in `count` threads started together; each closes its own database connection."""
    barrier = threading.Barrier(count)
    errors = []

    def run():
        try:
            barrier.wait(timeout=10)
            work()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors


@pytest.mark.postgres
def test_two_callers_of_the_schedule_at_once_run_the_digest_once(postgres, only_the_digest, settings):
    settings.TASKS = DATABASE
    users = [told(f"mitglied-{n}") for n in range(5)]
    for user in users:
        digest_notice(user)
    results = []
    in_threads(2, lambda: results.append(schedule.run_due(MORNING)))
    assert sorted(results, key=len) == [{}, {"daily_digest": "done"}]
    assert ScheduleRun.objects.count() == 1
    assert not Notice.objects.filter(handled_at__isnull=True).exists()
    assert len(set(Notice.objects.values_list("digest_run", flat=True))) == 1
    # A worker composes the run's mails (one task for the run, then one per chunk of users) and sends them.
    run_worker("worker-a")
    assert Mail.objects.filter(kind="digest", status=Mail.Status.SENT).count() == 5
    assert set(Notice.objects.values_list("mail__recipient", flat=True)) == {user.pk for user in users}


def run_worker(worker_id):
    from django_tasks.backends.database.management.commands.db_worker import Worker

    Worker(queue_names=["default"], interval=0, batch=True, backend_name="default", startup_delay=False,
           max_tasks=None, worker_id=worker_id).run()


@pytest.mark.postgres
def test_two_db_workers_on_one_queue_send_each_mail_once(postgres, settings):
    from django_tasks.backends.database.models import DBTaskResult

    settings.TASKS = DATABASE
    users = [told(f"empfaenger-{n}") for n in range(12)]
    for n, user in enumerate(users):
        services.notify("vorlage_released", users=[user], target="Vorlage", url="/vorlagen/1/", context=VORLAGE,
                        key=f"vorlage:{n}")
    mails = list(Mail.objects.values_list("pk", flat=True))
    assert len(mails) == 12
    # Every mail is in the queue twice more (a task enqueued again, a sweep that ran meanwhile): still sent once.
    from notifications import tasks

    for mail_id in mails:
        tasks.send_mails.enqueue([mail_id])
        tasks.send_mails.enqueue([mail_id])
    assert DBTaskResult.objects.count() == 12 + 24

    with smtp_server() as (mailbox, port):
        use_smtp(settings, port)
        workers = iter(["worker-a", "worker-b"])
        lock = threading.Lock()

        def work():
            with lock:
                worker_id = next(workers)
            run_worker(worker_id)

        in_threads(2, work)
    delivered = sorted(address for message in mailbox.messages for address in message.to)
    assert delivered == sorted(user.email for user in users)
    assert set(Mail.objects.values_list("status", "attempts")) == {(Mail.Status.SENT, 1)}
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCEEDED"}
    # Both workers took tasks from the queue.
    assert {worker for ids in DBTaskResult.objects.values_list("worker_ids", flat=True) for worker in ids} == {
        "worker-a", "worker-b"}


@pytest.mark.django_db
def test_the_digest_job_issues_a_fixed_number_of_queries_and_workers_compose_it_in_chunks(
        settings, django_capture_on_commit_callbacks):
    from django.test.utils import CaptureQueriesContext

    from notifications import tasks

    settings.TASKS = DATABASE  # the job only takes the notices and queues their composing

    def job_queries(count, prefix):
        users = [told(f"{prefix}-{n}") for n in range(count)]
        for user in users:
            digest_notice(user, key=f"{prefix}-notice")
        with CaptureQueriesContext(connection) as ctx, django_capture_on_commit_callbacks(execute=True):
            assert digest.send_digests() == count
        return len(ctx.captured_queries), users

    few, _users = job_queries(3, "wenige")
    many, users = job_queries(digest.CHUNK + 10, "viele")
    assert few == many
    # The workers' part: one task splits the run into chunks of users, each composes and queues their mails.
    settings.TASKS = IMMEDIATE
    run = Notice.objects.get(user=users[0]).digest_run
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.compose_digests.call(run) == digest.CHUNK + 10
    assert Mail.objects.filter(kind="digest", recipient__in=users).count() == digest.CHUNK + 10
