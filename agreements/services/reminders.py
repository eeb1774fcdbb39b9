"""Reminders of what is due (services.deadlines), by e-mail through the notifications app.

On every working day in NRW (services.workdays) the daily job "deadline_reminders" asks `reminders_on(today)`:
- "deadline_near": DEADLINE_REMINDER_WORKING_DAYS working days before the day something is due (on a later day up
  to the due day, if the job could not run that day), once per thing and due day;
- "deadline_overdue": after the day it was due, once per calendar week (ISO week) until it is done.
On weekends and NRW public holidays nothing goes out; what fell due meanwhile goes out on the next working day.

Each reminder goes to the editors of the party that owns the thing (they may open it: the owner of a deadline is a
party to its agreement, the party am Zug to the proposal's, the authoring party writes its Vorlage), through
notifications.services.notify with a deduplication key: a (user, key) pair is delivered once ever, so the job run
twice on one day, or by two workers at once, sends nothing twice. Computing the reminders takes a fixed number of
queries, whatever the number of agreements, proposals, Vorlagen and recipients.
"""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import models as m
from . import deadlines, workdays

NEAR, OVERDUE = "deadline_near", "deadline_overdue"
JOB_NAME = "deadline_reminders"
KIND_LABELS = {
    NEAR: (_("Frist läuft bald ab"), _("Erinnerung einige Arbeitstage vor einer Frist Ihrer Stelle.")),
    OVERDUE: (_("Frist überschritten"), _("Einmal pro Woche, solange eine Frist Ihrer Stelle überschritten ist.")),
}


def overdue_period(day):
    """The period an overdue thing is reminded once in: the ISO calendar week of `day` ("2026-W24")."""
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class Reminder:
    kind: str  # NEAR or OVERDUE
    item: deadlines.Due
    users: list
    key: str

    @property
    def context(self):
        """What the mail says, as plain data (the mail is phrased in each recipient's language): the templates
        name the kind by {{ deadline_kind|deadline_kind_label }} unless there is a title."""
        item = self.item
        return {
            "deadline_kind": item.kind, "deadline_title": item.title, "due": item.due.isoformat(),
            "owner": item.owner.name, "subject": item.subject, "detail": item.detail[:300],
            "overdue": self.kind == OVERDUE,
        }


def _editors(party_ids):
    """Party id → its active editors (one query)."""
    editors = {}
    for membership in (m.Membership.objects.filter(party_id__in=party_ids, role=m.Membership.Role.EDITOR,
                                                   user__is_active=True)
                       .select_related("user").order_by("user_id")):
        editors.setdefault(membership.party_id, []).append(membership.user)
    return editors


def reminders_on(today):
    """The reminders due on `today`, each with its recipients: [] on a day that is not a working day."""
    if not workdays.is_working_day(today):
        return []
    items = deadlines.due_for_parties(None, today=today)
    reminders = []
    for item in items:
        if item.is_overdue(today):
            reminders.append((OVERDUE, item, f"deadline:{item.ref}:overdue:{overdue_period(today)}"))
        elif item.is_near(today):
            reminders.append((NEAR, item, f"deadline:{item.ref}:near:{item.due.isoformat()}"))
    editors = _editors({item.owner.pk for _kind, item, _key in reminders}) if reminders else {}
    return [Reminder(kind, item, editors.get(item.owner.pk, []), key) for kind, item, key in reminders
            if editors.get(item.owner.pk)]


def send_reminders(now=None):
    """The daily job: hands every reminder due today to notify(); returns the number of notices it created."""
    from notifications.services import notify

    today = timezone.localdate(now or timezone.now())
    created = 0
    for reminder in reminders_on(today):
        created += notify(reminder.kind, users=reminder.users, target=reminder.item.target,
                          url=reminder.item.url, context=reminder.context, key=reminder.key)
    return created


def register():
    """The message kinds and the daily job, registered with the notifications app (at app ready, when it is
    installed)."""
    from notifications import kinds, schedule

    for code, (label, description) in KIND_LABELS.items():
        if code not in kinds.KINDS:
            kinds.register(kinds.Kind(code=code, label=label, description=description))
    schedule.register(JOB_NAME, "daily", send_reminders)
