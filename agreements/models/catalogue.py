"""Reference data that agreements point at: § 48a indicators, Themenschwerpunkte, legal bases."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import TimeStampedModel


class Indicator(TimeStampedModel):
    """Kennzahl nach § 48a SGB II (K1, K2, K3) or one of its sub-indicators (K1E1, …)."""

    code = models.CharField(_("Kennung"), max_length=12, unique=True)
    name = models.CharField(_("Bezeichnung"), max_length=200)
    parent = models.ForeignKey(
        "self", verbose_name=_("Hauptkennzahl"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    description = models.TextField(_("Beschreibung"), blank=True)
    unit = models.CharField(_("Einheit"), max_length=40, blank=True)
    order = models.PositiveSmallIntegerField(_("Reihenfolge"), default=0)

    class Meta:
        verbose_name = _("Kennzahl")
        verbose_name_plural = _("Kennzahlen")
        ordering = ["order", "code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class Topic(TimeStampedModel):
    """Themenschwerpunkt of the ministry's support offers (seven in 2012)."""

    number = models.PositiveSmallIntegerField(_("Nummer"), unique=True)
    name = models.CharField(_("Bezeichnung"), max_length=200)
    description = models.TextField(_("Beschreibung"), blank=True)

    class Meta:
        verbose_name = _("Themenschwerpunkt")
        verbose_name_plural = _("Themenschwerpunkte")
        ordering = ["number"]

    def __str__(self):
        return f"{self.number}. {self.name}"


class LegalBasis(TimeStampedModel):
    """A citation such as '§ 48b SGB II', reused on agreements and in the Vorlage's 'Rechtliche Grundlagen'."""

    citation = models.CharField(_("Fundstelle"), max_length=80, unique=True)
    title = models.CharField(_("Kurzbeschreibung"), max_length=200, blank=True)
    text = models.TextField(
        _("Erläuterung"), blank=True, help_text=_("Satz für die Sachverhaltsdarstellung einer Vorlage.")
    )
    order = models.PositiveSmallIntegerField(_("Reihenfolge"), default=0)

    class Meta:
        verbose_name = _("Rechtsgrundlage")
        verbose_name_plural = _("Rechtsgrundlagen")
        ordering = ["order", "citation"]

    def __str__(self):
        return self.citation
