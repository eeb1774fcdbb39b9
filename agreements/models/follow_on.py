from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .agreements import SignedAgreementGuard
from .base import TimeStampedModel
from .fields import agreement_link, order_field, user_link


class CopiedPassage(SignedAgreementGuard, TimeStampedModel):
    """A passage a derived agreement (Folgevereinbarung) copied from the one it was derived from, on the checklist
    its author works off before the first Fassung is sent (services.follow_on, the "send" guard of
    services.transitions.AGREEMENT).

    `content` is the passage as it was copied, field by field ([{"field": "heading", "text": …}, …]), and
    `year_references` every year reference the copy found in it (agreements.text.years): its place in that text,
    the year before and after, and the rule that moved it or left it as it was. Both stay as they were made, so
    the checklist shows what the copy did even after the author edited the passage.
    """

    class Kind(models.TextChoices):
        TITLE = "titel", _("Titel")
        PREAMBLE = "praeambel", _("Präambel")
        LEGAL_BASIS_NOTE = "rechtsgrundlagen", _("weitere Rechtsgrundlagen")
        SECTION = "abschnitt", _("Abschnitt")
        GOAL = "ziel", _("Ziel")
        OFFER = "angebot", _("Unterstützungsangebot")

    agreement = agreement_link("copied_passages")
    kind = models.CharField(_("Art"), max_length=20, choices=Kind.choices)
    # The copied item, for a section, goal or offer; deleting it takes its entry off the checklist.
    section = models.ForeignKey(
        "agreements.AgreementSection", verbose_name=_("Abschnitt"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="copied_passages",
    )
    goal = models.ForeignKey(
        "agreements.Goal", verbose_name=_("Ziel"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="copied_passages",
    )
    offer = models.ForeignKey(
        "agreements.SupportOffer", verbose_name=_("Unterstützungsangebot"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="copied_passages",
    )
    # A section's heading, a goal's or offer's title, as copied; empty for the agreement's own texts.
    label = models.CharField(_("Bezeichnung"), max_length=300, blank=True)
    content = models.JSONField(_("übernommener Text"), default=list)
    year_references = models.JSONField(_("Jahresangaben"), default=list)
    order = order_field()
    reviewed_by = user_link(_("geprüft von"))
    reviewed_at = models.DateTimeField(_("geprüft am"), null=True, blank=True)

    class Meta:
        verbose_name = _("übernommene Passage")
        verbose_name_plural = _("übernommene Passagen")
        ordering = ["order", "id"]
        constraints = [
            # The item it points at matches its kind; the agreement's own texts point at none.
            models.CheckConstraint(
                condition=(
                    Q(kind="abschnitt", section__isnull=False, goal__isnull=True, offer__isnull=True)
                    | Q(kind="ziel", section__isnull=True, goal__isnull=False, offer__isnull=True)
                    | Q(kind="angebot", section__isnull=True, goal__isnull=True, offer__isnull=False)
                    | Q(kind__in=["titel", "praeambel", "rechtsgrundlagen"], section__isnull=True,
                        goal__isnull=True, offer__isnull=True)
                ),
                name="copied_passage_item_matches_kind",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.label}" if self.label else str(self.get_kind_display())

    @property
    def is_reviewed(self):
        return self.reviewed_at is not None

    @property
    def replacements(self):
        """The year references the copy moved."""
        return [r for r in self.year_references if r.get("old") != r.get("new")]
