"""The daily digest: the notices a user chose to get "in the daily digest", in one mail per user and day; and the
hourly sweep that hands mails whose task was lost or whose retry is due to the workers again.

The schedule's job (send_digests) takes every pending digest notice with one UPDATE, marking them with the run, and
queues one task; that task splits the run's users into chunks of CHUNK, and each chunk's task composes and queues
its users' mails. So the job issues a fixed number of queries whatever the number of users and notices, and the
composing is shared by the workers, each chunk again in a fixed number of queries.
"""

from django.db import transaction
from django.utils import timezone

from . import kinds, mail, schedule, services, tasks
from .delivery import due
from .models import Mail, Mode, Notice

DIGEST_JOB = "daily_digest"
SWEEP_JOB = "mail_sweep"
# Users per composing task.
CHUNK = 50


def send_digests(now=None):
    """Take every pending digest notice into a run and queue its composing; returns the number of users (one mail
    each, unless they cannot receive mail or turned the notices' kinds off since)."""
    now = now or timezone.now()
    run = f"{timezone.localtime(now):%Y-%m-%dT%H:%M:%S.%f%z}"
    with transaction.atomic():
        taken = Notice.objects.filter(mode=Mode.DIGEST, handled_at__isnull=True).update(handled_at=now,
                                                                                      digest_run=run)
        if not taken:
            return 0
        users = Notice.objects.filter(digest_run=run).values("user_id").distinct().count()
        transaction.on_commit(lambda: tasks.compose_digests.enqueue(run), robust=True)
    return users


def split(run):
    """The run's users in chunks, each composed by a task of its own (tasks.compose_digests)."""
    user_ids = sorted(set(Notice.objects.filter(digest_run=run).values_list("user_id", flat=True)))
    for start in range(0, len(user_ids), CHUNK):
        tasks.compose_digest_chunk.enqueue(run, user_ids[start:start + CHUNK])
    return len(user_ids)


def _item(notice, language, user):
    """One line of the digest: the kind, the notice's own subject in the user's language, and its link."""
    subject, _text, _html = mail.render(notice.kind, notice.kind, language, {
        **notice.context, "user": user, "url": notice.url, "unsubscribe_url": ""})
    return {"kind": notice.kind, "kind_label": str(kinds.label(notice.kind)), "subject": subject, "url": notice.url,
            "unsubscribe_url": services.unsubscribe_url(user.pk, notice.kind)}


def compose(run, user_ids, now=None):
    """The digest mails of these users in this run: stored, linked from their notices, queued. Notices of kinds a
    user turned off since, and users who cannot receive mail, get none. Returns the number of mails."""
    now = now or timezone.now()
    with transaction.atomic():
        notices = list(Notice.objects.filter(digest_run=run, user_id__in=user_ids, mail__isnull=True)
                       .select_related("user").order_by("user_id", "created", "pk"))
        by_user = {}
        for notice in notices:
            by_user.setdefault(notice.user_id, []).append(notice)
        found = services.UserSettings(by_user)
        composed = []
        for user_id, mine in by_user.items():
            user = mine[0].user
            kept = [n for n in mine if found.mode(user_id, n.kind) != Mode.NEVER]
            if not kept or not services.recipients([user]):
                continue
            language = found.language(user_id)
            items = [_item(notice, language, user) for notice in kept]
            composed.append((kept, mail.compose(user, kinds.DIGEST, language, {
                "items": items, "count": len(items), "url": services.absolute_url("/")}, now=now)))
        stored = Mail.objects.bulk_create([message for _kept, message in composed])
        linked = []
        for (kept, _message), queued in zip(composed, stored, strict=True):
            for notice in kept:
                notice.mail = queued
                linked.append(notice)
        if linked:
            Notice.objects.bulk_update(linked, ["mail"])
        services.queue([queued.pk for queued in stored])
    return len(stored)


def sweep(now=None):
    """Queue again what a worker should have sent by now (delivery.due)."""
    ids = due(now or timezone.now())
    tasks.enqueue_mails(ids)
    return len(ids)


schedule.register(DIGEST_JOB, "daily", send_digests)
schedule.register(SWEEP_JOB, "hourly", sweep)
