"""Reference data that agreements point at: § 48a indicators, Themenschwerpunkte, legal bases."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import TimeStampedModel
from .fields import order_field


class ReferenceRecord(models.Model):
    """A record that ``load_reference`` maintains: where its values come from, and what the loader last wrote.

    ``reference_values`` is how the loader tells its own values from an admin's: a field whose value still
    equals what the loader wrote there is the loader's and may be corrected by a newer release; a field that
    differs was changed by hand and is kept (and reported). A per-field record rather than one "source" flag
    per row, because an admin typically corrects one field (a Jobcenter form) and leaves the rest to the loader.
    """

    source = models.TextField(
        _("Quelle"), blank=True,
        help_text=_("Woher die Werte dieses Eintrags stammen (Fundstelle, Link). Wer einen Wert von Hand "
                    "ändert, trägt hier die Quelle der Änderung ein."),
    )
    reference_values = models.JSONField(
        _("zuletzt geladene Referenzwerte"), default=dict, blank=True, editable=False,
        help_text=_("Die Werte, die load_reference zuletzt in diesen Eintrag geschrieben hat."),
    )

    class Meta:
        abstract = True


class Indicator(TimeStampedModel, ReferenceRecord):
    """Kennzahl nach § 48a SGB II (K1, K2, K3) or one of its sub-indicators (K1E1, …).

    How it is computed is data (numerator, denominator, computation, window), as the regulation states it: the
    goal pages show it, and an import of monthly figures needs it to tell a change rate from a quota.
    """

    class Computation(models.TextChoices):
        CHANGE = "veraenderung", _("Veränderung gegenüber dem Bezugsmonat des Vorjahres")
        QUOTA = "quote", _("Quote")
        MEAN = "durchschnitt", _("Durchschnitt der Monatswerte")

    code = models.CharField(_("Kennung"), max_length=12, unique=True)
    name = models.CharField(_("Bezeichnung"), max_length=200)
    parent = models.ForeignKey(
        "self", verbose_name=_("Hauptkennzahl"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    description = models.TextField(_("Beschreibung"), blank=True)
    unit = models.CharField(_("Einheit"), max_length=40, blank=True)
    numerator = models.TextField(_("Zähler"), blank=True)
    denominator = models.TextField(_("Nenner"), blank=True)
    computation = models.CharField(_("Berechnung"), max_length=20, choices=Computation.choices, blank=True)
    window_months = models.PositiveSmallIntegerField(
        _("Zeitraum (Monate)"), null=True, blank=True,
        help_text=_("Über wie viele Monate summiert oder gemittelt wird (z. B. 12); leer bei einem Monatswert."),
    )
    order = order_field()

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


class LegalBasis(TimeStampedModel, ReferenceRecord):
    """A citation such as '§ 48b SGB II', reused on agreements and in the Vorlage's 'Rechtliche Grundlagen'."""

    citation = models.CharField(_("Fundstelle"), max_length=80, unique=True)
    title = models.CharField(_("Kurzbeschreibung"), max_length=200, blank=True)
    text = models.TextField(
        _("Erläuterung"), blank=True, help_text=_("Satz für die Sachverhaltsdarstellung einer Vorlage.")
    )
    order = order_field()

    class Meta:
        verbose_name = _("Rechtsgrundlage")
        verbose_name_plural = _("Rechtsgrundlagen")
        ordering = ["order", "citation"]

    def __str__(self):
        return self.citation
