"""The background tasks (Django's Tasks API, the django-tasks backport): sending mails and turning a recorded step
into notices. With the database backend (production) any number of `manage.py db_worker` processes take them from
the same database; with the immediate backend (DEBUG, `make run`) they run right after the commit that queued them.
"""

import logging

from django_tasks import default_task_backend, task

logger = logging.getLogger(__name__)

# Mails per task: a digest for a thousand users is fifty tasks, which several workers share.
BATCH = 20


@task()
def send_mails(mail_ids):
    """Deliver each mail (delivery.deliver claims it first, so a mail is sent once however often it is queued)."""
    from .delivery import deliver

    return {str(mail_id): deliver(mail_id) for mail_id in mail_ids}


@task()
def dispatch_step(payload):
    """A recorded step (hooks.py) -> the notices its rule says (rules.py)."""
    from .rules import dispatch

    return dispatch(payload)


@task()
def compose_digests(run):
    """A run of the daily digest (digest.send_digests) -> one task per chunk of its users."""
    from .digest import split

    return split(run)


@task()
def compose_digest_chunk(run, user_ids):
    from .digest import compose

    return compose(run, user_ids)


def enqueue_mails(mail_ids, *, run_after=None):
    """Queue the mails in tasks of BATCH; a retry waits until `run_after` where the backend can defer (the
    database backend); otherwise the schedule's sweep hands it over when it is due."""
    if run_after is not None and not default_task_backend.supports_defer:
        return
    sender = send_mails.using(run_after=run_after) if run_after is not None else send_mails
    for start in range(0, len(mail_ids), BATCH):
        sender.enqueue(list(mail_ids[start:start + BATCH]))


def enqueue_dispatch(payload):
    dispatch_step.enqueue(payload)
