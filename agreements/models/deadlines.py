"""Deadlines (Fristen) of an agreement with the party that owns them, and each user's secret calendar feed.

An agreement's deadlines are stored: an editor sets them ("Entwurf bis", "Unterzeichnung bis", the reports of § 4 of
the 2012 agreement) and they stay until marked done or dropped. The deadlines that follow from another record's
state, a proposal awaiting its decision and a Vorlage that must be released before the invitation to its meeting,
are computed from that state (services.deadlines), never stored: they move with the meeting date and end with the
decision or the release without a second record to keep in step.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .base import LockVersionModel, TimeStampedModel, locked_history
from .fields import agreement_link, party_link, user_link


class Deadline(TimeStampedModel, LockVersionModel):
    class Kind(models.TextChoices):
        DRAFT = "entwurf", _("Entwurf bis")
        SIGNATURE = "unterzeichnung", _("Unterzeichnung bis")
        # § 4 of the 2012 agreement: "berichtet … zum Ende des ersten Halbjahres und nach Ablauf des Jahres".
        HALF_YEAR_REPORT = "halbjahresbericht", _("Bericht zum Ende des ersten Halbjahres")
        YEAR_END_REPORT = "jahresbericht", _("Bericht nach Ablauf des Jahres")
        OTHER = "sonstige", _("sonstige Frist")

    class State(models.TextChoices):
        OPEN = "offen", _("offen")
        DONE = "erledigt", _("erledigt")
        DROPPED = "entfallen", _("entfallen")

    agreement = agreement_link("deadlines")
    kind = models.CharField(_("Art der Frist"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("Bezeichnung"), max_length=200, blank=True,
                             help_text=_("Nur bei „sonstige Frist“ nötig, z. B. „Referenzwerte übermitteln“."))
    due = models.DateField(_("fällig am"), db_index=True)
    owner = party_link("deadlines", _("zuständige Stelle"))
    note = models.TextField(_("Anmerkung"), blank=True)
    state = models.CharField(_("Stand"), max_length=10, choices=State.choices, default=State.OPEN, db_index=True)
    closed_at = models.DateTimeField(_("abgeschlossen am"), null=True, blank=True)
    closed_by = user_link(_("abgeschlossen von"))
    created_by = user_link(_("angelegt von"))

    history = locked_history()

    class Meta:
        verbose_name = _("Frist")
        verbose_name_plural = _("Fristen")
        ordering = ["due", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(kind="sonstige") | ~Q(title=""), name="deadline_other_has_title"),
            models.CheckConstraint(
                condition=(Q(state="offen") & Q(closed_at__isnull=True))
                | (~Q(state="offen") & Q(closed_at__isnull=False)),
                name="deadline_closed_when_not_open",
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def label(self):
        """What the deadline is called: its own title, else its kind ("Unterzeichnung bis")."""
        return self.title or str(self.get_kind_display())

    @property
    def is_open(self):
        return self.state == self.State.OPEN


class CalendarFeed(models.Model):
    """The secret address of a user's calendar feed. Renewing it replaces the token, so the old address answers 404
    from that moment on. No history on purpose: the token is a secret and must not be copied anywhere else."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("Benutzer"), on_delete=models.CASCADE,
                                related_name="calendar_feed")
    token = models.CharField(_("Schlüssel"), max_length=64, unique=True)
    created = models.DateTimeField(_("erzeugt am"))

    class Meta:
        verbose_name = _("Kalenderabonnement")
        verbose_name_plural = _("Kalenderabonnements")

    def __str__(self):
        return str(self.user)
