from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .base import TimeStampedModel
from .fields import agreement_link, measured_value, user_link


class Review(TimeStampedModel):
    """Zielnachhaltung / Nachhaltedialog: a review meeting during or after the agreement's year."""

    class Kind(models.TextChoices):
        INTERIM = "unterjaehrig", _("unterjährige Nachhaltung")
        FINAL = "jahresabschluss", _("Jahresauswertung")

    agreement = agreement_link("reviews", on_delete=models.PROTECT)
    kind = models.CharField(_("Art"), max_length=20, choices=Kind.choices, default=Kind.INTERIM)
    date = models.DateField(_("Datum"))
    participants = models.TextField(_("Teilnehmende"), blank=True)
    minutes = models.TextField(_("Protokoll"), blank=True)
    created_by = user_link(_("erfasst von"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("Zielnachhaltung")
        verbose_name_plural = _("Zielnachhaltungen")
        ordering = ["date", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.date:%d.%m.%Y}"


class Assessment(TimeStampedModel):
    class Status(models.TextChoices):
        ON_TRACK = "im_plan", _("im Plan")
        AT_RISK = "gefaehrdet", _("gefährdet")
        ACHIEVED = "erreicht", _("erreicht")
        PARTLY = "teilweise", _("teilweise erreicht")
        MISSED = "verfehlt", _("verfehlt")
        NOT_ASSESSABLE = "nicht_bewertbar", _("nicht bewertbar")

    review = models.ForeignKey(
        Review, verbose_name=_("Zielnachhaltung"), on_delete=models.CASCADE, related_name="assessments"
    )
    goal = models.ForeignKey(
        "agreements.Goal", verbose_name=_("Ziel"), on_delete=models.PROTECT, related_name="assessments"
    )
    status = models.CharField(_("Bewertung"), max_length=20, choices=Status.choices)
    actual_value = measured_value(_("Istwert"))
    report_month = models.DateField(_("Berichtsmonat"), null=True, blank=True)
    comment = models.TextField(_("Erläuterung"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("Bewertung")
        verbose_name_plural = _("Bewertungen")
        ordering = ["review", "goal__order", "id"]
        constraints = [models.UniqueConstraint(fields=["review", "goal"], name="assessment_one_per_goal_and_review")]

    def __str__(self):
        return f"{self.goal}: {self.get_status_display()}"
