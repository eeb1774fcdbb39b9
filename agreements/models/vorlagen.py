"""Committee papers (Vorlagen). Field names follow OParl 1.1 where it has them (Paper, Consultation, File)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from agreements.models.agreements import ImmutableRecordError
from agreements.models.base import (
    LockVersionModel,
    TimeStampedModel,
    changed_fields,
    locked_history,
    stored_row,
)
from agreements.models.fields import agreement_link, committee_link, document_link, order_field, user_link
from agreements.models.parties import meeting_label


def _frozen_message():
    return _("Die Vorlage ist freigegeben und kann nicht mehr geändert werden.")


class ReleasedVorlageGuard:
    """Children of a released Vorlage are never saved or deleted again (fields in MUTABLE_AFTER_RELEASE aside).

    The services refuse first with a friendlier message; this wall holds for admin pages, the shell and
    future code.
    """

    MUTABLE_AFTER_RELEASE = frozenset()

    @property
    def vorlage_id_for_guard(self):
        """The Vorlage the record belongs to; a model whose link has another name says so."""
        return self.vorlage_id

    def _vorlage_frozen(self):
        status = Vorlage.objects.filter(pk=self.vorlage_id_for_guard).values_list("status", flat=True).first()
        return status in Vorlage.FROZEN_STATUSES

    def save(self, *args, **kwargs):
        if self._vorlage_frozen():
            stored = stored_row(self)
            mutable = self.MUTABLE_AFTER_RELEASE | {"modified", "lock_version"}
            if stored is None and not self.addable_after_release():
                raise ImmutableRecordError(_frozen_message())
            if stored is not None and changed_fields(self, stored, mutable):
                raise ImmutableRecordError(_frozen_message())
        super().save(*args, **kwargs)

    def addable_after_release(self):
        """Whether this new record may join a frozen Vorlage; none may, unless its model says otherwise."""
        return False

    def delete(self, *args, **kwargs):
        if self._vorlage_frozen():
            raise ImmutableRecordError(_frozen_message())
        return super().delete(*args, **kwargs)


def _impact_message(label):
    """The message of a constraint "ja needs an explanation", naming the impact (as the Vorlage form says it)."""
    return format_lazy("{}: {}", label, _("Bei „ja“ ist die Auswirkung zu erläutern."))


class Impact(models.TextChoices):
    YES = "ja", _("ja")
    NO = "nein", _("nein")
    UNCLEAR = "offen", _("noch nicht zu übersehen")


class Vorlage(TimeStampedModel, LockVersionModel):
    class PaperType(models.TextChoices):
        BESCHLUSSVORLAGE = "beschlussvorlage", _("Beschlussvorlage")
        MITTEILUNGSVORLAGE = "mitteilungsvorlage", _("Mitteilungsvorlage")
        INFORMATIONSVORLAGE = "informationsvorlage", _("Informationsvorlage")

    class DecisionType(models.TextChoices):
        BESCHLUSS = "beschluss", _("Beschluss")
        WAHL = "wahl", _("Wahl")
        KENNTNISNAHME = "kenntnisnahme", _("Kenntnisnahme")

    class Status(models.TextChoices):
        DRAFT = "entwurf", _("Entwurf")
        RELEASED = "freigegeben", _("freigegeben")
        IN_CONSULTATION = "in_beratung", _("in Beratung")
        DONE = "erledigt", _("erledigt")
        WITHDRAWN = "zurueckgezogen", _("zurückgezogen")

    FROZEN_STATUSES = (Status.RELEASED, Status.IN_CONSULTATION, Status.DONE, Status.WITHDRAWN)

    # Unique per Stelle, not globally: every Kreis has its Fachbereich 50. The number is derived from
    # (department, running_number, year), which the constraint below keeps unique; save() writes it.
    reference = models.CharField(
        _("Vorlagen-Nr."), max_length=40, db_index=True, editable=False,
        help_text=_("Fachbereich/laufende Nr./Jahr, z. B. 50/015/2012"),
    )
    department = models.ForeignKey(
        "agreements.Department", verbose_name=_("Fachbereich"), on_delete=models.PROTECT, related_name="vorlagen"
    )
    year = models.PositiveSmallIntegerField(_("Jahr"))
    running_number = models.PositiveIntegerField(_("laufende Nummer"))
    paper_type = models.CharField(
        _("Art der Vorlage"), max_length=30, choices=PaperType.choices, default=PaperType.BESCHLUSSVORLAGE
    )
    public = models.BooleanField(_("öffentlich"), default=True)
    non_public_reason = models.TextField(
        _("Grund für die Nichtöffentlichkeit"), blank=True,
        help_text=_("§ 33 KrO NRW: öffentlich ist die Regel; die Ausnahme ist zu begründen."),
    )
    author = models.ForeignKey(
        "agreements.Person", verbose_name=_("Bearbeiter/in"), on_delete=models.PROTECT, related_name="vorlagen"
    )
    date = models.DateField(_("Datum"))
    file_reference = models.CharField(_("Aktenzeichen"), max_length=100, blank=True)
    name = models.CharField(_("Betreff"), max_length=500)
    agreement = agreement_link("vorlagen", on_delete=models.PROTECT, optional=True)
    decision_type = models.CharField(
        _("Art der Entscheidung"), max_length=20, choices=DecisionType.choices, default=DecisionType.BESCHLUSS
    )
    financial_impact = models.CharField(
        _("Finanzielle Auswirkung"), max_length=5, choices=Impact.choices, default=Impact.NO
    )
    financial_impact_text = models.TextField(_("Erläuterung der finanziellen Auswirkung"), blank=True)
    personnel_impact = models.CharField(
        _("Personelle Auswirkung"), max_length=5, choices=Impact.choices, default=Impact.NO
    )
    personnel_impact_text = models.TextField(_("Erläuterung der personellen Auswirkung"), blank=True)
    organisational_impact = models.CharField(
        _("Organisatorische Auswirkung"), max_length=5, choices=Impact.choices, default=Impact.NO
    )
    organisational_impact_text = models.TextField(_("Erläuterung der organisatorischen Auswirkung"), blank=True)
    resolution = models.TextField(_("Beschlussvorschlag"), blank=True)
    occasion = models.TextField(_("Anlass der Vorlage"), blank=True)
    conclusion = models.TextField(_("Fazit"), blank=True)
    status = models.CharField(
        _("Status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    main_file = document_link("+", _("Hauptdokument (PDF)"))
    released_at = models.DateTimeField(_("freigegeben am"), null=True, blank=True)
    released_by = user_link(_("freigegeben von"))
    created_by = user_link(_("angelegt von"))

    history = locked_history()

    class Meta:
        verbose_name = _("Vorlage")
        verbose_name_plural = _("Vorlagen")
        ordering = ["-year", "-running_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "year", "running_number"], name="vorlage_running_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(running_number__gte=1), name="vorlage_running_number_positive",
                violation_error_message=_("Die laufende Nummer muss mindestens 1 sein."),
            ),
            models.CheckConstraint(
                condition=Q(public=True) | ~Q(non_public_reason=""), name="vorlage_non_public_has_reason",
                violation_error_message=_("Eine nichtöffentliche Vorlage braucht einen Grund."),
            ),
            models.CheckConstraint(
                condition=~Q(financial_impact="ja") | ~Q(financial_impact_text=""),
                name="vorlage_financial_impact_explained",
                violation_error_message=_impact_message(_("Finanzielle Auswirkung")),
            ),
            models.CheckConstraint(
                condition=~Q(personnel_impact="ja") | ~Q(personnel_impact_text=""),
                name="vorlage_personnel_impact_explained",
                violation_error_message=_impact_message(_("Personelle Auswirkung")),
            ),
            models.CheckConstraint(
                condition=~Q(organisational_impact="ja") | ~Q(organisational_impact_text=""),
                name="vorlage_organisational_impact_explained",
                violation_error_message=_impact_message(_("Organisatorische Auswirkung")),
            ),
        ]

    # What the lifecycle may still change once the content is frozen.
    MUTABLE_AFTER_RELEASE = frozenset({
        "status", "main_file_id", "released_at", "released_by_id", "modified", "lock_version",
    })

    def __str__(self):
        return f"{self.reference} {self.name}"

    @property
    def is_frozen(self):
        return self.status in self.FROZEN_STATUSES

    def save(self, *args, **kwargs):
        if self.department_id is not None and self.running_number and self.year:
            self.reference = self.format_reference(self.department.number, self.running_number, self.year)
        stored = stored_row(self)
        if stored is not None and stored.is_frozen and changed_fields(self, stored, self.MUTABLE_AFTER_RELEASE):
            raise ImmutableRecordError(_frozen_message())
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_frozen:
            raise ImmutableRecordError(_frozen_message())
        return super().delete(*args, **kwargs)

    @staticmethod
    def format_reference(department_number, running_number, year):
        return f"{department_number}/{running_number:03d}/{year}"


def _vorlage_link(related_name):
    """The Vorlage a part belongs to; the part goes with it."""
    return models.ForeignKey(Vorlage, verbose_name=_("Vorlage"), on_delete=models.CASCADE, related_name=related_name)


class VorlageSection(ReleasedVorlageGuard, TimeStampedModel, LockVersionModel):
    """A part of the Sachverhaltsdarstellung (I. Rechtliche Grundlagen, II. Verfahren, …)."""

    vorlage = _vorlage_link("sections")
    order = order_field()
    heading = models.CharField(_("Überschrift"), max_length=300)
    text = models.TextField(_("Text"), blank=True)

    history = locked_history()

    class Meta:
        verbose_name = _("Abschnitt der Sachverhaltsdarstellung")
        verbose_name_plural = _("Abschnitte der Sachverhaltsdarstellung")
        ordering = ["order", "id"]

    def __str__(self):
        return self.heading


class Consultation(ReleasedVorlageGuard, TimeStampedModel, LockVersionModel):
    """One row of the Beratungsfolge (OParl Consultation)."""

    class Role(models.TextChoices):
        PRELIMINARY = "vorberatung", _("Vorberatung")
        DECISION = "entscheidung", _("Entscheidung")
        NOTICE = "kenntnisnahme", _("Kenntnisnahme")

    class Result(models.TextChoices):
        NONE = "", _("(noch keines)")
        NOTED = "kenntnis_genommen", _("zur Kenntnis genommen")
        DECIDED = "beschlossen", _("beschlossen")
        DECIDED_AMENDED = "geaendert_beschlossen", _("geändert beschlossen")
        RECOMMENDED = "empfohlen", _("empfohlen")
        POSTPONED = "vertagt", _("vertagt")
        REJECTED = "abgelehnt", _("abgelehnt")
        WITHDRAWN = "zurueckgezogen", _("zurückgezogen")

    paper = _vorlage_link("consultations")
    committee = committee_link("consultations")
    meeting = models.ForeignKey(
        "agreements.Meeting", verbose_name=_("Sitzung"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="consultations",
    )
    meeting_date = models.DateField(_("Sitzungstermin"), null=True, blank=True)
    role = models.CharField(_("Art der Beratung"), max_length=20, choices=Role.choices)
    authoritative = models.BooleanField(_("abschließend"), default=False)
    result = models.CharField(_("Ergebnis"), max_length=30, choices=Result.choices, blank=True, default="")
    result_recorded_at = models.DateTimeField(_("Ergebnis erfasst am"), null=True, blank=True, editable=False)
    order = order_field()

    history = locked_history()

    class Meta:
        verbose_name = _("Beratung")
        verbose_name_plural = _("Beratungsfolge")
        ordering = ["order", "id"]

    # The committees' results (and the meeting they took place in) come after the release.
    MUTABLE_AFTER_RELEASE = frozenset({"result", "result_recorded_at", "meeting_id", "meeting_date"})

    def __str__(self):
        return self.meeting_label

    @property
    def meeting_label(self):
        """The meeting the paper goes to, named like every meeting ("Sozialausschuss, 21.05.2012"); the committee
        alone while no date is planned. (The meeting is one of this committee's: services.vorlagen checks it.)"""
        day = self.meeting.start if self.meeting_id is not None else self.meeting_date
        return meeting_label(self.committee, day)

    def save(self, *args, **kwargs):
        # Whatever writes the result (the service, the admin, an import), the time it was recorded comes with it:
        # committee members are shown the results recorded since their last visit.
        before = "" if self._state.adding else (
            type(self).objects.filter(pk=self.pk).values_list("result", flat=True).first() or "")
        if self.result != before:
            self.result_recorded_at = timezone.now() if self.result else None
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "result_recorded_at"}
        super().save(*args, **kwargs)

    @property
    def vorlage_id_for_guard(self):
        return self.paper_id

    def addable_after_release(self):
        """A postponed item is dealt with again in a later meeting of the same committee (ALLRIS, SessionNet): the
        one row a frozen Beratungsfolge takes is that follow-up, while the paper is in Beratung, without a result,
        with the role and the authoritative flag of the postponed consultation, which is the committee's last one
        in the Beratungsfolge (services.vorlagen.add_follow_up)."""
        if self.result:
            return False
        status = Vorlage.objects.filter(pk=self.paper_id).values_list("status", flat=True).first()
        if status != Vorlage.Status.IN_CONSULTATION:
            return False
        last = Consultation.objects.filter(paper_id=self.paper_id, committee_id=self.committee_id).order_by(
            "-order", "-id").first()
        return (last is not None and last.result == self.Result.POSTPONED and last.role == self.role
                and last.authoritative == self.authoritative and self.order > last.order)


class VorlageAnlage(ReleasedVorlageGuard, TimeStampedModel, LockVersionModel):
    """An entry of the Anlagen list, in order; the file is OParl's auxiliaryFile."""

    vorlage = _vorlage_link("anlagen")
    order = order_field()
    title = models.CharField(_("Bezeichnung"), max_length=300)
    document = document_link("vorlage_anlagen")

    history = locked_history()

    class Meta:
        verbose_name = _("Anlage")
        verbose_name_plural = _("Anlagen")
        ordering = ["order", "id"]

    def __str__(self):
        return self.title


class AgendaItem(TimeStampedModel):
    """Tagesordnungspunkt of a meeting (OParl AgendaItem), usually consulting a Vorlage."""

    # PROTECT: a meeting goes only without its agenda (whose numbers the papers show); a held meeting, or one with
    # items of released papers, not at all (admin/locks.py) – it is cancelled instead.
    meeting = models.ForeignKey(
        "agreements.Meeting", verbose_name=_("Sitzung"), on_delete=models.PROTECT, related_name="agenda_items"
    )
    number = models.CharField(_("TOP"), max_length=20)
    order = order_field()
    name = models.CharField(_("Bezeichnung"), max_length=500)
    public = models.BooleanField(_("öffentlich"), default=True)
    consultation = models.ForeignKey(
        Consultation, verbose_name=_("Beratung"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="agenda_items",
    )
    result = models.CharField(_("Ergebnis"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("Tagesordnungspunkt")
        verbose_name_plural = _("Tagesordnungspunkte")
        ordering = ["meeting", "order", "id"]

    def __str__(self):
        return f"TOP {self.number} {self.name}"
