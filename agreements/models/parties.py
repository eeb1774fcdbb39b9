from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext
from simple_history.models import HistoricalRecords

from .base import TimeStampedModel
from .catalogue import ReferenceRecord
from .fields import committee_link, party_link


class Party(TimeStampedModel, ReferenceRecord):
    class Kind(models.TextChoices):
        MINISTRY = "ministerium", _("Landesministerium")
        KREIS = "kreis", _("Kreis")
        KREISFREIE_STADT = "kreisfreie_stadt", _("kreisfreie Stadt")
        JOBCENTER = "jobcenter", _("Jobcenter")
        REGIONALDIREKTION = "regionaldirektion", _("Regionaldirektion")
        VERBAND = "verband", _("Verband")
        OTHER = "sonstige", _("Sonstige")

    class JobcenterForm(models.TextChoices):
        GE = "gE", _("gemeinsame Einrichtung (gE)")
        ZKT = "zkT", _("zugelassener kommunaler Träger (zkT)")

    class Region(models.TextChoices):
        ARNSBERG = "arnsberg", _("Regierungsbezirk Arnsberg")
        DETMOLD = "detmold", _("Regierungsbezirk Detmold")
        DUESSELDORF = "duesseldorf", _("Regierungsbezirk Düsseldorf")
        KOELN = "koeln", _("Regierungsbezirk Köln")
        MUENSTER = "muenster", _("Regierungsbezirk Münster")

    COUNTY_KINDS = (Kind.KREIS, Kind.KREISFREIE_STADT)

    key = models.SlugField(
        _("Schlüssel"), max_length=80, unique=True,
        help_text=_("Stabiler Schlüssel für Referenzdaten und Schnittstellen."),
    )
    name = models.CharField(_("Name"), max_length=200)
    short_name = models.CharField(_("Kurzname"), max_length=60, blank=True)
    kind = models.CharField(_("Art"), max_length=20, choices=Kind.choices, db_index=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("übergeordnete Stelle / kommunaler Träger"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    jobcenter_form = models.CharField(
        _("Form des Jobcenters"), max_length=3, choices=JobcenterForm.choices, blank=True,
        help_text=_("Bei Jobcentern und kommunalen Trägern: gE oder zkT; leer, wenn nicht erfasst."),
    )
    region = models.CharField(_("Regierungsbezirk"), max_length=20, choices=Region.choices, blank=True)
    street = models.CharField(_("Straße"), max_length=200, blank=True)
    postal_code = models.CharField(_("PLZ"), max_length=10, blank=True)
    city = models.CharField(_("Ort"), max_length=100, blank=True)
    is_active = models.BooleanField(_("aktiv"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("Beteiligte Stelle")
        verbose_name_plural = _("Beteiligte Stellen")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="party_not_own_parent",
                violation_error_message=_("Eine Stelle kann nicht sich selbst übergeordnet sein."),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_county(self):
        return self.kind in self.COUNTY_KINDS

    @property
    def address(self):
        return ", ".join(p for p in [self.street, f"{self.postal_code} {self.city}".strip()] if p)


class Department(TimeStampedModel):
    party = party_link("departments")
    number = models.CharField(_("Nummer"), max_length=10, help_text=_("z. B. 50"))
    name = models.CharField(_("Bezeichnung"), max_length=200, help_text=_("z. B. Sozialamt"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("Fachbereich")
        verbose_name_plural = _("Fachbereiche")
        ordering = ["party__name", "number"]
        constraints = [
            models.UniqueConstraint(fields=["party", "number"], name="department_number_unique_per_party"),
        ]

    def __str__(self):
        return f"{self.number} {self.name}"


class Person(TimeStampedModel):
    class FormOfAddress(models.TextChoices):
        FRAU = "Frau", _("Frau")
        HERR = "Herr", _("Herr")
        NONE = "", _("(keine)")

    party = party_link("people")
    department = models.ForeignKey(
        Department, verbose_name=_("Fachbereich"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="people",
    )
    form_of_address = models.CharField(_("Anrede"), max_length=10, choices=FormOfAddress.choices, blank=True)
    title = models.CharField(_("Titel"), max_length=40, blank=True, help_text=_("z. B. Dr."))
    given_name = models.CharField(_("Vorname"), max_length=100, blank=True)
    family_name = models.CharField(_("Nachname"), max_length=100)
    function = models.CharField(
        _("Funktion"), max_length=120, blank=True, help_text=_("z. B. Landrat, Staatssekretär, Bearbeiterin")
    )
    email = models.EmailField(_("E-Mail"), blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("Benutzerkonto"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="person",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("Person")
        verbose_name_plural = _("Personen")
        ordering = ["family_name", "given_name"]

    def __str__(self):
        return self.full_name

    @property
    def name(self):
        return " ".join(p for p in [self.title, self.given_name, self.family_name] if p)

    @property
    def full_name(self):
        """'Frau Ulrike Gansauer', 'Herr Dr. Schäffer': the way the Vorlage names people."""
        return " ".join(p for p in [self.form_of_address, self.name] if p)


class Membership(TimeStampedModel):
    """A user acts for a party, as editor (writes) or reader."""

    class Role(models.TextChoices):
        EDITOR = "editor", _("Bearbeitung")
        READER = "reader", _("Lesen")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Benutzer"), on_delete=models.CASCADE, related_name="memberships"
    )
    party = party_link("memberships", on_delete=models.CASCADE)
    role = models.CharField(_("Rolle"), max_length=10, choices=Role.choices, default=Role.READER)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("Mitgliedschaft")
        verbose_name_plural = _("Mitgliedschaften")
        constraints = [models.UniqueConstraint(fields=["user", "party"], name="membership_unique")]

    def __str__(self):
        return f"{self.user} – {self.party} ({self.get_role_display()})"


class Committee(TimeStampedModel):
    """Gremium (OParl Organization), e.g. Sozialausschuss of the Kreis Mettmann."""

    class Kind(models.TextChoices):
        AUSSCHUSS = "ausschuss", _("Ausschuss")
        KREISTAG = "kreistag", _("Kreistag / Rat")
        KREISAUSSCHUSS = "kreisausschuss", _("Kreisausschuss / Hauptausschuss")
        TRAEGERVERSAMMLUNG = "traegerversammlung", _("Trägerversammlung")
        SONSTIGES = "sonstiges", _("Sonstiges Gremium")

    party = party_link("committees")
    name = models.CharField(_("Name"), max_length=200)
    short_name = models.CharField(_("Kurzname"), max_length=60, blank=True)
    kind = models.CharField(_("Art"), max_length=20, choices=Kind.choices, default=Kind.AUSSCHUSS)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="CommitteeMembership", verbose_name=_("Mitglieder"),
        related_name="committees", blank=True,
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("Gremium")
        verbose_name_plural = _("Gremien")
        ordering = ["party__name", "name"]
        constraints = [models.UniqueConstraint(fields=["party", "name"], name="committee_name_unique_per_party")]

    def __str__(self):
        return self.name


class CommitteeMembership(TimeStampedModel):
    class Role(models.TextChoices):
        MEMBER = "mitglied", _("Mitglied")
        CHAIR = "vorsitz", _("Vorsitz")
        DEPUTY = "stellvertretung", _("Stellvertretung")
        ADVISORY = "beratend", _("beratendes Mitglied")

    committee = committee_link("memberships", on_delete=models.CASCADE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Benutzer"), on_delete=models.CASCADE,
        related_name="committee_memberships",
    )
    role = models.CharField(_("Rolle"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    start_date = models.DateField(_("Beginn"), null=True, blank=True)
    end_date = models.DateField(_("Ende"), null=True, blank=True)

    class Meta:
        verbose_name = _("Gremienmitgliedschaft")
        verbose_name_plural = _("Gremienmitgliedschaften")
        constraints = [
            models.UniqueConstraint(fields=["committee", "user"], name="committee_membership_unique"),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True) | Q(end_date__isnull=True)
                | Q(start_date__lte=models.F("end_date")),
                name="committee_membership_dates_ordered",
                violation_error_message=_("Das Ende liegt vor dem Beginn."),
            ),
        ]

    def __str__(self):
        return f"{self.user} – {self.committee}"


class Meeting(TimeStampedModel):
    """Sitzung (OParl Meeting) of a committee."""

    class State(models.TextChoices):
        PLANNED = "geplant", _("geplant")
        INVITED = "eingeladen", _("eingeladen")
        HELD = "durchgefuehrt", _("durchgeführt")
        CANCELLED = "abgesagt", _("abgesagt")

    committee = committee_link("meetings")
    name = models.CharField(_("Bezeichnung"), max_length=200, blank=True)
    start = models.DateTimeField(_("Beginn"))
    end = models.DateTimeField(_("Ende"), null=True, blank=True)
    location = models.CharField(_("Ort"), max_length=200, blank=True)
    state = models.CharField(_("Status"), max_length=20, choices=State.choices, default=State.PLANNED)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("Sitzung")
        verbose_name_plural = _("Sitzungen")
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")), name="meeting_end_after_start",
                violation_error_message=_("Das Ende liegt vor dem Beginn."),
            ),
        ]

    def __str__(self):
        if self.committee_id is None:  # an unsaved form's meeting
            return self.name
        return meeting_label(self.committee, self.start, with_time=True)

    @property
    def label(self):
        """Committee and date, "Sozialausschuss, 21.05.2012"; str() adds the time."""
        return meeting_label(self.committee, self.start)


def meeting_label(committee, when, *, with_time=False):
    """How a meeting is named wherever it is offered or shown: its committee and date ("Sozialausschuss, 21.05.2012"),
    with the time where it tells meetings of one day apart ("Sozialausschuss, 21.05.2012, 15:00 Uhr"). Its own name
    ("Sitzung des Sozialausschusses") says neither, so it is never the label.

    `when` is the start (an aware datetime, shown in the local time) or only the day a Beratungsfolge names; a day
    has no time to show. The date is the active language's short date (21.05.2012, 21/05/2012): a page asks for
    the label when it is shown, so it follows the reader's locale; the papers print their own dates in German.
    """
    if when is None:
        return committee.name
    has_time = hasattr(when, "hour")
    if has_time:
        when = timezone.localtime(when)
    values = {"committee": committee.name, "date": formats.date_format(when, "SHORT_DATE_FORMAT")}
    if with_time and has_time:
        values["time"] = f"{when:%H:%M}"
        return pgettext("meeting label", "%(committee)s, %(date)s, %(time)s Uhr") % values
    return pgettext("meeting label", "%(committee)s, %(date)s") % values
