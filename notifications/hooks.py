"""The timeline's steps (agreements.services.base.step_recorded) become notices: a step whose action has a rule
(rules.RULES) queues the task that finds its recipients, after the commit that recorded it. Nothing is computed or
sent inside the service's transaction, while its row lock is held."""

import logging

from django.db import transaction
from django.dispatch import receiver

from agreements.services.base import step_recorded

from . import rules, tasks

logger = logging.getLogger(__name__)


def payload(action, *, data, step, agreement_id, target, user):
    """What the task needs, as JSON: the records by their ids, read again after the commit."""
    return {"action": action, "data": data, "step": step.pk if step is not None else None,
            "agreement": agreement_id, "target": [target._meta.label_lower, target.pk],
            "actor": user.pk if user is not None else None}


@receiver(step_recorded, dispatch_uid="notifications.hooks.on_step")
def on_step(sender, *, action, data, step, agreement_id, target, user, **kwargs):
    if action not in rules.RULES:
        return
    values = payload(action, data=data, step=step, agreement_id=agreement_id, target=target, user=user)
    # robust: a queue that cannot be reached is logged; the step, committed, stays recorded.
    transaction.on_commit(lambda: tasks.enqueue_dispatch(values), robust=True)
