"""The timeline's steps (agreements.services.base.step_recorded) become notices: a step whose action has a rule
(rules.RULES) queues the task that finds its recipients, after the commit that recorded it. Nothing is computed or
sent inside the service's transaction, while its row lock is held. An agenda item, which an admin writes and no
service records as a step, is told the same way (on_agenda_item)."""

import logging

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from agreements.models import AgendaItem
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


@receiver(post_save, sender=AgendaItem, dispatch_uid="notifications.hooks.on_agenda_item")
def on_agenda_item(sender, instance, raw=False, **kwargs):
    """An agenda item is written by an admin (or an import), not by a service that records a step: a paper put on
    a coming meeting's agenda after its release is told here (rules.meeting_agenda decides, after the commit)."""
    if raw or instance.consultation_id is None:
        return
    values = {"action": "agenda_item.saved", "data": {}, "step": None, "agreement": None,
              "target": [instance._meta.label_lower, instance.pk], "actor": None}
    transaction.on_commit(lambda: tasks.enqueue_dispatch(values), robust=True)
