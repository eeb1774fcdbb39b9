"""One row per searchable record: the search index behind the full-text search.

Kept as a table of its own (not a column on each model) so one query searches agreements, goals, proposals,
statements, letters, Vorlagen and uploaded PDFs alike, and access filtering needs only two foreign keys.
On PostgreSQL `search_vector` holds a tsvector ('german' configuration) under a GIN index; on SQLite it stays
empty and the search falls back to a case-insensitive match on title and body.
"""

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _

from .fields import agreement_link


class SearchEntry(models.Model):
    class Kind(models.TextChoices):
        AGREEMENT = "agreement", _("Zielvereinbarung")
        GOAL = "goal", _("Ziel")
        OFFER = "offer", _("Unterstützungsangebot")
        PROPOSAL = "proposal", _("Vorschlag")
        STATEMENT = "statement", _("Stellungnahme")
        LETTER = "letter", _("Schreiben")
        STEP = "step", _("Verfahrensschritt")
        VORLAGE = "vorlage", _("Vorlage")
        DOCUMENT = "document", _("Dokument")

    kind = models.CharField(_("Art"), max_length=20, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField(_("Datensatz"))
    agreement = agreement_link("+", optional=True)
    vorlage = models.ForeignKey(
        "agreements.Vorlage", verbose_name=_("Vorlage"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )
    title = models.CharField(_("Titel"), max_length=500)
    body = models.TextField(_("Text"), blank=True)
    search_vector = SearchVectorField(null=True, editable=False)
    modified = models.DateTimeField(_("geändert"), auto_now=True)

    class Meta:
        verbose_name = _("Suchindex-Eintrag")
        verbose_name_plural = _("Suchindex")
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="search_entry_unique")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.title}"
