from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.db.models.signals import m2m_changed, pre_delete
from django.dispatch import receiver
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..text.numbers import format_number
from .base import LockVersionModel, TimeStampedModel, changed_fields, locked_history, stored_row
from .fields import agreement_link, document_link, measured_value, order_field, party_link, user_link


class ImmutableRecordError(Exception):
    """A write to a record that must never change again (a sent version, a signed agreement)."""


def _signed_message():
    return _("Die Zielvereinbarung ist unterzeichnet und kann nicht mehr geändert werden; "
             "Änderungen sind nur als Nachtrag möglich.")


def _refuse_if_any_signed(agreement_ids):
    if Agreement.objects.filter(pk__in=agreement_ids, status__in=Agreement.SIGNED_STATUSES).exists():
        raise ImmutableRecordError(_signed_message())


class SignedAgreementQuerySet(models.QuerySet):
    """Bulk writes go past save()/delete(); this queryset holds the same wall for them."""

    def delete(self):
        _refuse_if_any_signed(self.values("agreement_id"))
        return super().delete()

    def update(self, **kwargs):
        _refuse_if_any_signed(self.values("agreement_id"))
        return super().update(**kwargs)

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        _refuse_if_any_signed({obj.agreement_id for obj in objs})
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        _refuse_if_any_signed({obj.agreement_id for obj in objs})
        return super().bulk_update(objs, fields, *args, **kwargs)


class SignedAgreementGuard(models.Model):
    """Children of a signed agreement are never saved or deleted again, whatever path the write takes.

    Services refuse earlier with a friendlier message; this is the last wall for admin pages, shell sessions
    and future code. Single rows are checked in save()/delete(), bulk writes by the queryset.
    """

    objects = SignedAgreementQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self._refuse_if_signed()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_if_signed()
        return super().delete(*args, **kwargs)

    def _refuse_if_signed(self):
        _refuse_if_any_signed([self.agreement_id])


class Agreement(TimeStampedModel, LockVersionModel):
    class Status(models.TextChoices):
        DRAFT = "entwurf", _("Entwurf")
        NEGOTIATION = "in_verhandlung", _("in Verhandlung")
        AGREED = "abgestimmt", _("abgestimmt")
        SIGNED = "unterzeichnet", _("unterzeichnet")
        IN_EFFECT = "in_umsetzung", _("in Umsetzung")
        EVALUATED = "bewertet", _("bewertet")
        CLOSED = "abgeschlossen", _("abgeschlossen")
        WITHDRAWN = "zurueckgezogen", _("zurückgezogen")
        NOT_SIGNED = "nicht_unterzeichnet", _("nicht unterzeichnet")

    # From abgestimmt on, the text is frozen: only lifecycle actions change anything.
    FROZEN_STATUSES = (
        Status.AGREED, Status.SIGNED, Status.IN_EFFECT, Status.EVALUATED, Status.CLOSED,
        Status.WITHDRAWN, Status.NOT_SIGNED,
    )
    SIGNED_STATUSES = (Status.SIGNED, Status.IN_EFFECT, Status.EVALUATED, Status.CLOSED)

    title = models.CharField(_("Titel"), max_length=300)
    year = models.PositiveSmallIntegerField(_("Jahr"), db_index=True)
    period_start = models.DateField(_("Laufzeit von"), null=True, blank=True)
    period_end = models.DateField(_("Laufzeit bis"), null=True, blank=True)
    status = models.CharField(
        _("Status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    status_reason = models.TextField(
        _("Begründung zum Status"), blank=True,
        help_text=_("Bei „zurückgezogen“ oder „nicht unterzeichnet“: warum."),
    )
    preamble = models.TextField(_("Präambel"), blank=True)
    legal_bases = models.ManyToManyField(
        "agreements.LegalBasis", verbose_name=_("Rechtsgrundlagen"), blank=True, related_name="agreements"
    )
    legal_basis_note = models.TextField(_("weitere Rechtsgrundlagen (Freitext)"), blank=True)
    predecessor = models.ForeignKey(
        "self", verbose_name=_("Vorgängervereinbarung"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="successors",
    )
    amends = models.ForeignKey(
        "self", verbose_name=_("Nachtrag zu"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="amendments",
    )
    related = models.ManyToManyField(
        "self", verbose_name=_("verbundene Vereinbarungen"), blank=True, symmetrical=True,
        help_text=_("z. B. die gleichlautende Vereinbarung zwischen Kreis und Jobcenter."),
    )
    parties = models.ManyToManyField(
        "agreements.Party", through="AgreementParty", verbose_name=_("Vereinbarungspartner"),
        related_name="agreements",
    )
    signed_file = document_link("+", _("unterzeichnete Fassung (PDF)"))
    # The party "am Zug": the only one that edits the working text until it sends a Fassung, which passes the pen
    # (services.versions.send_draft). Empty only for rows made outside the services: pen_holder_id() decides then.
    pen_party = party_link("+", _("am Zug"), optional=True)
    created_by = user_link(_("angelegt von"))

    history = locked_history()

    class Meta:
        verbose_name = _("Zielvereinbarung")
        verbose_name_plural = _("Zielvereinbarungen")
        ordering = ["-year", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(year__gte=2005) & Q(year__lte=2100), name="agreement_year_plausible",
                violation_error_message=_("Das Jahr muss zwischen 2005 und 2100 liegen."),
            ),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True) | Q(period_end__isnull=True)
                | Q(period_start__lte=models.F("period_end")),
                name="agreement_period_ordered",
                violation_error_message=_("Das Ende der Laufzeit liegt vor ihrem Beginn."),
            ),
            models.CheckConstraint(
                condition=~Q(predecessor=models.F("id")), name="agreement_not_own_predecessor",
                violation_error_message=_("Eine Vereinbarung kann nicht ihr eigener Vorgänger sein."),
            ),
            models.CheckConstraint(
                condition=~Q(amends=models.F("id")), name="agreement_not_own_amendment",
                violation_error_message=_("Eine Vereinbarung kann kein Nachtrag zu sich selbst sein."),
            ),
        ]

    # What the lifecycle may still change once the agreement is signed; everything else is the signed text.
    MUTABLE_AFTER_SIGNING = frozenset({"status", "status_reason", "signed_file_id", "modified", "lock_version"})

    def __str__(self):
        return self.title

    def ordered_parties(self):
        """The agreement's parties in their order, loaded once (from a prefetch of agreement_parties with their
        parties where there is one)."""
        cached = getattr(self, "_zs_parties", None)
        if cached is None:
            prefetched = getattr(self, "_prefetched_objects_cache", {}).get("agreement_parties")
            rows = prefetched if prefetched is not None else self.agreement_parties.select_related("party")
            cached = self._zs_parties = [ap.party for ap in rows]
        return cached

    @property
    def short_title(self):
        """The title lists, breadcrumbs and activities use (the page's heading keeps the full title)."""
        return short_title(self.year, self.ordered_parties())

    @property
    def is_frozen(self):
        return self.status in self.FROZEN_STATUSES

    @property
    def is_signed(self):
        return self.status in self.SIGNED_STATUSES

    def pen_holder_id(self):
        """The party that holds the working text: the stored one, else the kommunaler Träger (who drafts), else
        the first party."""
        if self.pen_party_id is not None:
            return self.pen_party_id
        if not hasattr(self, "_pen_default"):  # read once per instance: a list page asks for every row
            parties = list(self.agreement_parties.all())
            drafting = [ap for ap in parties if ap.role == AgreementParty.Role.KOMMUNALER_TRAEGER] or parties
            self._pen_default = drafting[0].party_id if drafting else None
        return self._pen_default

    def save(self, *args, **kwargs):
        stored = stored_row(self)
        if stored is not None and stored.is_signed:
            changed = changed_fields(self, stored, self.MUTABLE_AFTER_SIGNING)
            if changed:
                raise ImmutableRecordError(
                    _("Die Zielvereinbarung ist unterzeichnet; %(fields)s kann nicht mehr geändert werden. "
                      "Änderungen sind nur als Nachtrag möglich.") % {"fields": ", ".join(changed)}
                )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_signed:
            raise ImmutableRecordError(_("Eine unterzeichnete Zielvereinbarung kann nicht gelöscht werden."))
        return super().delete(*args, **kwargs)


# A party's name up to this length is short enough for a short title ("Kreis Mettmann"); a longer one gives way to
# its short name ("MAIS NRW" for the Ministerium für Arbeit, Integration und Soziales des Landes NRW).
SHORT_TITLE_NAME_MAX = 30


def party_label(party):
    name = party.name
    return party.short_name if party.short_name and len(name) > SHORT_TITLE_NAME_MAX else name


def short_title(year, parties):
    """"ZV 2013 MAIS NRW – Kreis Mettmann": always right, since it follows the year and the parties."""
    # Record content in German like the title itself (marked lang="de" where it is shown), not UI text.
    return " ".join(part for part in ("ZV", str(year), " – ".join(party_label(party) for party in parties)) if part)


class AgreementParty(SignedAgreementGuard, models.Model):
    class Role(models.TextChoices):
        LAND = "land", _("Land")
        KOMMUNALER_TRAEGER = "kommunaler_traeger", _("kommunaler Träger")
        JOBCENTER = "jobcenter", _("Jobcenter")
        REGIONALDIREKTION = "regionaldirektion", _("Regionaldirektion")

    agreement = agreement_link("agreement_parties")
    party = party_link("agreement_roles")
    role = models.CharField(_("Rolle"), max_length=20, choices=Role.choices)
    order = order_field()

    class Meta:
        verbose_name = _("Vereinbarungspartner")
        verbose_name_plural = _("Vereinbarungspartner")
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "party"], name="agreement_party_unique"),
        ]

    def __str__(self):
        return f"{self.party} ({self.get_role_display()})"


class AgreementSection(SignedAgreementGuard, TimeStampedModel, LockVersionModel):
    """A text section of the agreement (§ 1 Gegenstand, § 2 Ziele, …)."""

    agreement = agreement_link("sections")
    order = order_field()
    heading = models.CharField(_("Überschrift"), max_length=300)
    text = models.TextField(_("Text"), blank=True)

    history = locked_history()

    class Meta:
        verbose_name = _("Abschnitt")
        verbose_name_plural = _("Abschnitte")
        ordering = ["order", "id"]

    def __str__(self):
        return self.heading


# What a goal saved outside its corridor before a reason was required says instead (migration 0013, and the import of
# an archive written before then). German like the agreed text it belongs to.
LEGACY_CORRIDOR_EXCEPTION_REASON = (
    "Ohne Begründung gespeichert, bevor ein Zielwert außerhalb des Korridors bestätigt werden musste."
)


def corridor_breach(target, low, high):
    """Where a Zielwert lies against its Korridor: "below" the lower bound, "above" the upper one, or None (inside,
    or no target value, or no bound on that side).

    The one rule behind Goal's database constraint, Goal.clean, the goal form and services.goals.save_goal: a
    target value outside its corridor is saved only with a reason (Goal.corridor_exception_reason), and a target
    value inside it carries none.
    """
    if target is None:
        return None
    if low is not None and target < low:
        return "below"
    if high is not None and target > high:
        return "above"
    return None


def corridor_breach_message(target, low, high, unit=""):
    """What is outside what, in the active language and number format: "Der Zielwert 40 % liegt außerhalb des
    Korridors von 24 bis 26 %." Empty when the target lies inside its corridor."""
    breach = corridor_breach(target, low, high)
    if breach is None:
        return ""
    values = {"value": format_number(target, unit), "low": format_number(low, unit),
              "high": format_number(high, unit)}
    if low is not None and high is not None:
        # "von 24 bis 26 %", as the goal shows its corridor.
        return gettext("Der Zielwert %(value)s liegt außerhalb des Korridors von %(low)s bis %(high)s.") % {
            **values, "low": format_number(low)}
    if breach == "below":
        return gettext("Der Zielwert %(value)s liegt unter der unteren Grenze des Korridors (%(low)s).") % values
    return gettext("Der Zielwert %(value)s liegt über der oberen Grenze des Korridors (%(high)s).") % values


def _outside_corridor():
    """corridor_breach() as a database condition; never NULL, so its negation means "inside"."""
    return Q(target_value__isnull=False) & (
        (Q(corridor_low__isnull=False) & Q(target_value__lt=models.F("corridor_low")))
        | (Q(corridor_high__isnull=False) & Q(target_value__gt=models.F("corridor_high")))
    )


class Goal(SignedAgreementGuard, TimeStampedModel, LockVersionModel):
    class Kind(models.TextChoices):
        QUALITATIVE = "qualitativ", _("qualitativ (Leitziel / Tendenz)")
        QUANTITATIVE = "quantitativ", _("quantitativ")
        MONITORING = "monitoring", _("Monitoring")

    class Level(models.TextChoices):
        STATE = "landesziel", _("Landesziel")
        LOCAL = "lokal", _("lokales Ziel")

    class Area(models.TextChoices):
        KDU = "kdu", _("Kosten der Unterkunft und Heizung (KdU)")
        K1 = "k1", _("K1 Verringerung der Hilfebedürftigkeit")
        K2 = "k2", _("K2 Verbesserung der Integration in Erwerbstätigkeit")
        K3 = "k3", _("K3 Vermeidung von langfristigem Leistungsbezug")
        P16A = "p16a", _("Kommunale Eingliederungsleistungen (§ 16a SGB II)")
        OTHER = "sonstiges", _("Sonstiges")

    class Direction(models.TextChoices):
        OPTIMIERUNG = "optimierung", _("Optimierung")
        BEOBACHTUNG = "beobachtung", _("Beobachtung")
        EVALUATION = "evaluation", _("Evaluation")
        SENKUNG = "senkung", _("Senkung")
        STEIGERUNG = "steigerung", _("Steigerung")

    agreement = agreement_link("goals")
    kind = models.CharField(_("Zielart"), max_length=12, choices=Kind.choices, default=Kind.QUALITATIVE)
    level = models.CharField(_("Zielebene"), max_length=12, choices=Level.choices, default=Level.LOCAL)
    area = models.CharField(_("Handlungsfeld"), max_length=12, choices=Area.choices, default=Area.OTHER)
    title = models.CharField(_("Titel"), max_length=300)
    text = models.TextField(_("Beschreibung"), blank=True)
    direction = models.CharField(_("Tendenz"), max_length=12, choices=Direction.choices, blank=True)
    indicator = models.ForeignKey(
        "agreements.Indicator", verbose_name=_("Kennzahl"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="goals",
    )
    reference_value = measured_value(_("Referenzwert"))
    corridor_low = measured_value(_("Korridor untere Grenze"))
    corridor_high = measured_value(_("Korridor obere Grenze"))
    target_value = measured_value(_("Zielwert"))
    unit = models.CharField(_("Einheit"), max_length=40, blank=True, help_text=_("z. B. %, Euro, Personen"))
    # Part of the agreed text: shown with the goal, in its PDF, its Fassungen and their redline.
    corridor_exception_reason = models.TextField(
        _("Begründung für den Zielwert außerhalb des Korridors"), blank=True,
        help_text=_("Nur bei einem Zielwert außerhalb des Korridors, dann erforderlich."),
    )
    order = order_field()

    history = locked_history()

    class Meta:
        verbose_name = _("Ziel")
        verbose_name_plural = _("Ziele")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(corridor_low__isnull=True) | Q(corridor_high__isnull=True)
                | Q(corridor_low__lte=models.F("corridor_high")),
                name="goal_corridor_low_le_high",
                violation_error_message=_("Die obere Grenze des Korridors liegt unter der unteren Grenze."),
            ),
            # A Leitziel names a direction only; numbers belong to quantitative goals.
            models.CheckConstraint(
                condition=~Q(kind="qualitativ") | (
                    Q(reference_value__isnull=True) & Q(corridor_low__isnull=True)
                    & Q(corridor_high__isnull=True) & Q(target_value__isnull=True)
                ),
                name="goal_qualitative_has_no_numbers",
                violation_error_message=_("Ein qualitatives Ziel hat keine Zahlen: Referenzwert, Korridor und "
                                          "Zielwert bitte leer lassen."),
            ),
            # A target value outside its corridor was agreed on purpose: it says why (corridor_breach).
            models.CheckConstraint(
                condition=(_outside_corridor() & ~Q(corridor_exception_reason=""))
                | (~_outside_corridor() & Q(corridor_exception_reason="")),
                name="goal_corridor_exception_has_reason",
                violation_error_message=_("Bitte begründen Sie den Zielwert außerhalb des Korridors."),
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def outside_corridor(self):
        return corridor_breach(self.target_value, self.corridor_low, self.corridor_high) is not None

    @property
    def corridor_exception_confirmed(self):
        """Whether the target value outside the corridor was confirmed (the goal form's checkbox)."""
        return bool(self.corridor_exception_reason)

    def clean(self):
        """The corridor rule for the admin, with the values named; a reason is dropped once the target value is
        back inside its corridor, as services.goals.save_goal does."""
        super().clean()
        self.corridor_exception_reason = (self.corridor_exception_reason or "").strip()
        if not self.outside_corridor:
            self.corridor_exception_reason = ""
        elif not self.corridor_exception_reason:
            message = corridor_breach_message(self.target_value, self.corridor_low, self.corridor_high, self.unit)
            raise ValidationError({"corridor_exception_reason": " ".join((
                message, gettext("Bitte begründen Sie den Zielwert außerhalb des Korridors."),
            ))})


class SupportOffer(SignedAgreementGuard, TimeStampedModel, LockVersionModel):
    """Unterstützungsangebot of the ministry, grouped by Themenschwerpunkt."""

    class Status(models.TextChoices):
        PLANNED = "geplant", _("geplant")
        CONCRETISING = "in_konkretisierung", _("in Konkretisierung")
        CONCRETE = "konkretisiert", _("konkretisiert")
        IMPLEMENTED = "umgesetzt", _("umgesetzt")
        DROPPED = "entfallen", _("entfallen")

    agreement = agreement_link("offers")
    topic = models.ForeignKey(
        "agreements.Topic", verbose_name=_("Themenschwerpunkt"), on_delete=models.PROTECT, related_name="offers"
    )
    title = models.CharField(_("Titel"), max_length=300)
    text = models.TextField(_("Beschreibung"), blank=True)
    provider = party_link("offers_provided", _("Anbieter"), optional=True)
    coordinated_with = party_link("offers_coordinated", _("abgestimmt mit"), optional=True)
    status = models.CharField(_("Stand"), max_length=20, choices=Status.choices, default=Status.PLANNED)
    order = order_field()

    history = locked_history()

    class Meta:
        verbose_name = _("Unterstützungsangebot")
        verbose_name_plural = _("Unterstützungsangebote")
        ordering = ["topic__number", "order", "id"]

    def __str__(self):
        return self.title


class AgreementVersion(models.Model):
    """Immutable numbered snapshot of the whole agreement, made when a party sends a draft."""

    class Kind(models.TextChoices):
        DRAFT = "entwurf", _("Entwurf")
        FINAL = "endfassung", _("abgestimmte Endfassung")

    agreement = agreement_link("versions", on_delete=models.PROTECT)
    number = models.PositiveIntegerField(_("Nummer"))
    kind = models.CharField(_("Art"), max_length=12, choices=Kind.choices, default=Kind.DRAFT)
    author_party = party_link("+", _("übersandt von"))
    sent_at = models.DateTimeField(_("übersandt am"))
    sent_by = user_link(_("übersandt durch"))
    note = models.TextField(_("Anmerkung"), blank=True)
    snapshot = models.JSONField(_("Inhalt"))
    created = models.DateTimeField(_("angelegt"), auto_now_add=True)

    class Meta:
        verbose_name = _("Fassung")
        verbose_name_plural = _("Fassungen")
        ordering = ["agreement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="agreement_version_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="agreement_version_number_positive"),
        ]

    def __str__(self):
        return _("Fassung %(number)s") % {"number": self.number}

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ImmutableRecordError(_("Eine übersandte Fassung kann nicht geändert werden."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError(_("Eine übersandte Fassung kann nicht gelöscht werden."))

    @property
    def is_final(self):
        """The Endfassung: the accepted Fassung's text, held unchanged under the next number when the text is agreed
        (services.lifecycle.agree); its author is that Fassung's, its sender the user whose acceptance agreed it."""
        return self.kind == self.Kind.FINAL


class Acceptance(models.Model):
    """A party's consent to exactly one Fassung it received: "Fassung n angenommen". The text is agreed when every
    party other than the Fassung's author has accepted it (services.lifecycle.agree)."""

    agreement = agreement_link("acceptances", on_delete=models.PROTECT)
    version = models.ForeignKey(
        AgreementVersion, verbose_name=_("Fassung"), on_delete=models.PROTECT, related_name="acceptances"
    )
    party = party_link("acceptances")
    accepted_by = user_link(_("angenommen durch"))
    accepted_at = models.DateTimeField(_("angenommen am"))

    class Meta:
        verbose_name = _("Annahme einer Fassung")
        verbose_name_plural = _("Annahmen von Fassungen")
        ordering = ["version", "accepted_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "party"], name="acceptance_once_per_party"),
        ]

    def __str__(self):
        return _("%(party)s nimmt Fassung %(number)s an") % {"party": self.party, "number": self.version.number}

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ImmutableRecordError(_("Eine Annahme kann nicht geändert werden."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError(_("Eine Annahme kann nicht gelöscht werden."))


class Signature(SignedAgreementGuard, TimeStampedModel):
    class Method(models.TextChoices):
        PAPER = "papier", _("auf Papier")
        PADES = "pades", _("elektronisch (PAdES)")

    agreement = agreement_link("signatures", on_delete=models.PROTECT)
    party = party_link("signatures")
    person = models.ForeignKey(
        "agreements.Person", verbose_name=_("unterzeichnet von"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="signatures",
    )
    signatory_name = models.CharField(_("Name der unterzeichnenden Person"), max_length=200)
    signatory_function = models.CharField(_("Funktion"), max_length=120)
    date = models.DateField(_("Datum"))
    place = models.CharField(_("Ort"), max_length=100)
    recorded_by = user_link(_("erfasst von"))
    # Electronic signatures (PAdES): the signed file after this signature, its hash before and after, the time
    # from the timestamp and the certificate's holder. A paper signature leaves them empty.
    method = models.CharField(_("Art"), max_length=10, choices=Method.choices, default=Method.PAPER)
    document = document_link("+", _("Datei nach dieser Unterschrift"))
    sha256_before = models.CharField(_("SHA-256 vor der Unterschrift"), max_length=64, blank=True)
    sha256_after = models.CharField(_("SHA-256 nach der Unterschrift"), max_length=64, blank=True)
    signed_at = models.DateTimeField(_("Zeitpunkt laut Zeitstempel"), null=True, blank=True)
    certificate_subject = models.CharField(_("Zertifikat"), max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("Unterschrift")
        verbose_name_plural = _("Unterschriften")
        ordering = ["date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "party"], name="signature_one_per_party"),
        ]

    def __str__(self):
        return f"{self.signatory_name}, {self.signatory_function}"


@receiver(m2m_changed, sender=Agreement.legal_bases.through)
def _refuse_legal_bases_change_after_signing(sender, instance, action, reverse, **kwargs):
    if action in ("pre_add", "pre_remove", "pre_clear") and not reverse and instance.pk is not None:
        if Agreement.objects.filter(pk=instance.pk, status__in=Agreement.SIGNED_STATUSES).exists():
            raise ImmutableRecordError(_("Die Rechtsgrundlagen einer unterzeichneten Zielvereinbarung sind fest."))


@receiver(pre_delete, sender="agreements.LegalBasis")
def _refuse_deleting_a_legal_basis_of_a_signed_agreement(sender, instance, **kwargs):
    # Deleting the basis would silently drop it from the signed text through the M2M cascade.
    if instance.agreements.filter(status__in=Agreement.SIGNED_STATUSES).exists():
        raise ImmutableRecordError(
            _("Die Rechtsgrundlage „%(citation)s“ gehört zu einer unterzeichneten Zielvereinbarung und kann nicht "
              "gelöscht werden.") % {"citation": instance.citation}
        )


def pen_holder():
    """Agreement.pen_holder_id() as a query expression, for lists that ask it of many agreements at once: the stored
    pen, else the first kommunaler Träger, else the first party (in the parties' order)."""
    parties = AgreementParty.objects.filter(agreement=OuterRef("pk")).order_by("order", "id").values("party_id")
    drafting = parties.filter(role=AgreementParty.Role.KOMMUNALER_TRAEGER)
    return Coalesce("pen_party", Subquery(drafting[:1]), Subquery(parties[:1]), output_field=models.BigIntegerField())
