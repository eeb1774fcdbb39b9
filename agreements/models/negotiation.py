from django.db import models
from django.db.models import Q
from django.utils.html import conditional_escape
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from agreements.text import entries

from .agreements import SignedAgreementGuard
from .base import LockVersionModel, TimeStampedModel, locked_history
from .fields import agreement_link, document_link, party_link, user_link


class Letter(TimeStampedModel):
    """Schreiben: letters exchanged during the negotiation, incoming or outgoing, usually with a file."""

    class Direction(models.TextChoices):
        INCOMING = "eingang", _("Eingang")
        OUTGOING = "ausgang", _("Ausgang")

    agreement = agreement_link("letters", on_delete=models.PROTECT, optional=True)
    date = models.DateField(_("Datum"))
    direction = models.CharField(
        _("Richtung"), max_length=10, choices=Direction.choices,
        help_text=_("aus Sicht der Stelle, die das Schreiben erfasst"),
    )
    sender = party_link("letters_sent", _("Absender"))
    sender_person = models.ForeignKey(
        "agreements.Person", verbose_name=_("unterzeichnet von"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="letters_signed",
    )
    recipient = party_link("letters_received", _("Empfänger"))
    subject = models.CharField(_("Betreff"), max_length=300)
    reference = models.CharField(_("Aktenzeichen"), max_length=100, blank=True)
    summary = models.TextField(_("Inhalt (Kurzfassung)"), blank=True)
    document = document_link("letters")
    registered_by = user_link(_("erfasst von"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("Schreiben")
        verbose_name_plural = pgettext_lazy("plural", "Schreiben")
        ordering = ["date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(sender=models.F("recipient")), name="letter_sender_not_recipient",
                violation_error_message=_("Absender und Empfänger müssen verschiedene Stellen sein."),
            ),
        ]

    def __str__(self):
        return f"{self.subject} ({self.date:%d.%m.%Y})"


class Proposal(TimeStampedModel, LockVersionModel):
    """A party's proposal for the agreement text, and the other side's decision on it."""

    class Decision(models.TextChoices):
        OPEN = "offen", _("offen")
        ADOPTED = "uebernommen", _("übernommen")
        PARTLY = "teilweise", _("teilweise übernommen")
        REJECTED = "nicht_uebernommen", _("nicht übernommen")

    agreement = agreement_link("proposals")
    party = party_link("proposals", _("vorschlagende Stelle"))
    concerns = models.CharField(_("betrifft"), max_length=300, blank=True)
    goal = models.ForeignKey(
        "agreements.Goal", verbose_name=_("betrifft Ziel"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="proposals",
    )
    section = models.ForeignKey(
        "agreements.AgreementSection", verbose_name=_("betrifft Abschnitt"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="proposals",
    )
    text = models.TextField(_("Vorschlag"))
    # The exact change, if the proposal carries one (services.negotiation.decide_proposal applies it on adoption):
    # the new wording of `section`, or new values for fields of `goal` (GOAL_VALUE_FIELDS; numbers as strings).
    wording = models.TextField(_("neuer Wortlaut des Abschnitts"), blank=True)
    goal_values = models.JSONField(_("neue Werte des Ziels"), default=dict, blank=True)
    # The passage as it stood when the proposal was made (same keys): what changed since is shown when deciding.
    based_on = models.JSONField(_("Stand der Stelle beim Einbringen"), default=dict, blank=True)
    applied_at = models.DateTimeField(_("in den Arbeitstext übernommen am"), null=True, blank=True)
    decision = models.CharField(
        _("Entscheidung"), max_length=20, choices=Decision.choices, default=Decision.OPEN, db_index=True
    )
    reason = models.TextField(_("Begründung"), blank=True)
    answer_letter = models.ForeignKey(
        "agreements.Letter", verbose_name=_("beantwortet mit Schreiben"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="answered_proposals",
    )
    decided_at = models.DateTimeField(_("entschieden am"), null=True, blank=True)
    decided_by = user_link(_("entschieden von"))
    created_by = user_link(_("erfasst von"))

    history = locked_history()

    class Meta:
        verbose_name = _("Vorschlag")
        verbose_name_plural = _("Vorschläge")
        ordering = ["created", "id"]
        constraints = [
            # Not (fully) adopting a proposal needs a reason: the ministry's letter of 29.03.2012 gives one each.
            models.CheckConstraint(
                condition=Q(decision__in=["offen", "uebernommen"]) | ~Q(reason=""),
                name="proposal_rejection_has_reason",
                violation_error_message=_("Bitte geben Sie eine Begründung an."),
            ),
        ]

    def __str__(self):
        return self.concerns or self.text[:80]

    @property
    def carries_change(self):
        return bool(self.wording and self.section_id) or bool(self.goal_values and self.goal_id)


class Statement(SignedAgreementGuard, TimeStampedModel, LockVersionModel):
    """Stellungnahme of an association (Liga der Wohlfahrtsverbände, Landkreistag NRW)."""

    agreement = agreement_link("statements")
    party = party_link("statements")
    date = models.DateField(_("Datum"))
    title = models.CharField(_("Titel"), max_length=300)
    text = models.TextField(_("Inhalt"), blank=True)
    document = document_link("statements")
    include_as_annex = models.BooleanField(_("als Anlage aufnehmen"), default=False)
    created_by = user_link(_("erfasst von"))

    history = locked_history()

    class Meta:
        verbose_name = _("Stellungnahme")
        verbose_name_plural = _("Stellungnahmen")
        ordering = ["date", "id"]

    def __str__(self):
        return self.title


class ProcedureStep(TimeStampedModel, LockVersionModel):
    """A step on the agreement's timeline (Verfahren), recorded by hand or by the system."""

    class Kind(models.TextChoices):
        REFERENCE_VALUES = "referenzwerte", _("Referenzwerte mitgeteilt")
        MEETING = "gespraech", _("Gespräch")
        DRAFT_SENT = "entwurf_uebersandt", _("Entwurf übersandt")
        STATEMENT = "stellungnahme", _("Stellungnahme")
        EVALUATION = "auswertung", _("Auswertung")
        LETTER = "schreiben", _("Schreiben")
        PROPOSAL = "vorschlag", _("Vorschlag")
        PROPOSAL_DECIDED = "vorschlag_entschieden", _("Vorschlag entschieden")
        AGREED = "abgestimmt", _("Text abgestimmt")
        SIGNATURE = "unterzeichnung", _("Unterzeichnung")
        STATUS = "status", _("Statusänderung")
        REVIEW = "nachhaltung", _("Zielnachhaltung")
        DEADLINE = "frist", _("Frist")
        OTHER = "sonstiges", _("Sonstiges")

    class Precision(models.TextChoices):
        DAY = "tag", _("Tag")
        MONTH = "monat", _("Monat")
        HALF_YEAR = "halbjahr", _("Halbjahr")
        YEAR = "jahr", _("Jahr")

    agreement = agreement_link("steps")
    date = models.DateField(_("Datum"), db_index=True)
    date_precision = models.CharField(
        _("Genauigkeit des Datums"), max_length=10, choices=Precision.choices, default=Precision.DAY,
        help_text=_("„im November 2011“ ist ein Monat, „am 16.12.2011“ ein Tag."),
    )
    end_date = models.DateField(_("bis"), null=True, blank=True)
    kind = models.CharField(_("Art"), max_length=30, choices=Kind.choices, default=Kind.OTHER)
    title = models.CharField(_("Bezeichnung"), max_length=300)
    description = models.TextField(_("Beschreibung"), blank=True)
    participants = models.ManyToManyField(
        "agreements.Party", verbose_name=_("Beteiligte"), blank=True, related_name="procedure_steps"
    )
    participants_note = models.CharField(_("weitere Beteiligte"), max_length=300, blank=True)
    letter = models.ForeignKey(
        "agreements.Letter", verbose_name=_("Schreiben"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="steps",
    )
    version = models.ForeignKey(
        "agreements.AgreementVersion", verbose_name=_("Fassung"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="steps",
    )
    automatic = models.BooleanField(_("vom System erfasst"), default=False)
    # A step the system records is typed (agreements.text.entries): what happened and its data, phrased when
    # read, in the reader's language. A step entered by hand has no action and keeps its free title/description.
    action = models.CharField(_("Aktion"), max_length=60, blank=True, default="")
    data = models.JSONField(_("Daten"), blank=True, default=dict)
    actor = user_link(_("erfasst von"))

    history = locked_history()

    class Meta:
        verbose_name = _("Verfahrensschritt")
        verbose_name_plural = _("Verfahrensschritte")
        ordering = ["date", "created", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("date")),
                name="procedure_step_end_after_start",
                violation_error_message=_("Das Ende liegt vor dem Beginn."),
            ),
        ]

    def __str__(self):
        return self.display_title

    def rendered(self, language=None):
        """(title, description) in `language` or the active one: phrased from the action, or the free text."""
        if self.action:
            texts = entries.render(self.action, self.data, language)
            if texts is not None:
                return texts
        return self.title, self.description

    @property
    def text_language(self):
        """The language title and description are shown in: the reader's (None) for a typed entry, phrased when
        read; German for the free text of a step entered by hand (templatetags/record_language.py)."""
        if self.action in entries.ACTIONS:
            return None
        return entries.PAPER_LANGUAGE

    @property
    def display_title(self):
        return self.rendered()[0]

    def rendered_html(self):
        """(title, description) as HTML for the pages, in the active language: a typed entry's quoted record content
        marked as German (entries.render_html); free text escaped, marked by the template (text_language)."""
        if self.action:
            texts = entries.render_html(self.action, self.data)
            if texts is not None:
                return texts
        return conditional_escape(self.title), conditional_escape(self.description)

    @property
    def display_title_html(self):
        return self.rendered_html()[0]

    @property
    def display_description_html(self):
        return self.rendered_html()[1]

    @property
    def display_description(self):
        return self.rendered()[1]
