"""Forms for Vorlagen. They check what a form can check (required fields, lengths, dates, the Beratungsfolge's
committee and meeting); the services check everything again, because they are the rule."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row, Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import models as m
from ..services.vorlagen import IMPACTS, MAX_YEAR, MIN_YEAR
from .base import LockedForm, RecordSelect, helper
from .documents import ACCEPT, PersonChoiceField, file_help


def _date_field(label, required=True):
    return forms.DateField(label=label, required=required,
                           widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


def check_year(form, name):
    """The field's date within the years the application accepts (MIN_YEAR to MAX_YEAR), as a field error."""
    value = form.cleaned_data.get(name)
    if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
        form.add_error(name, _("Bitte ein Datum zwischen %(min)s und %(max)s angeben.")
                       % {"min": MIN_YEAR, "max": MAX_YEAR})


def _check_belongs(form, data, name, owner_name, belongs, message):
    """`message` at the field `name` when it and `owner_name` are both chosen and `belongs(item, owner)` is false."""
    item, owner = data.get(name), data.get(owner_name)
    if item is not None and owner is not None and not belongs(item, owner):
        form.add_error(name, message)


def _check_author(form, data):
    _check_belongs(form, data, "author", "department", lambda author, dept: author.party_id == dept.party_id,
                   _("Die Person gehört nicht zur Stelle dieses Fachbereichs."))


def _text(label, max_length, rows=4, required=False, help_text=""):
    return forms.CharField(label=label, max_length=max_length, required=required, help_text=help_text,
                           widget=forms.Textarea(attrs={"rows": rows}))


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.party.name}: {obj.number} {obj.name}"


class VorlageForm(LockedForm):
    """The header and texts of a Vorlage. With departments given, the form creates one and asks for it."""

    department = DepartmentChoiceField(queryset=m.Department.objects.none(), label=_("Fachbereich"))
    paper_type = forms.ChoiceField(label=_("Art der Vorlage"), choices=m.Vorlage.PaperType.choices)
    decision_type = forms.ChoiceField(label=_("Art der Entscheidung"), choices=m.Vorlage.DecisionType.choices)
    public = forms.BooleanField(label=_("öffentlich"), required=False, initial=True,
                                help_text=_("§ 33 KrO NRW: öffentlich ist die Regel; die Ausnahme ist zu begründen."))
    non_public_reason = _text(_("Grund für die Nichtöffentlichkeit"), 2000, rows=2)
    author = PersonChoiceField(queryset=m.Person.objects.none(), label=_("Bearbeiter/in"))
    date = _date_field(_("Datum"))
    file_reference = forms.CharField(label=_("Aktenzeichen"), max_length=100, required=False)
    name = _text(_("Betreff"), 500, rows=3, required=True,
                 help_text=_("Eine neue Zeile beginnt eine neue Zeile im Titel der Vorlage."))
    financial_impact = forms.ChoiceField(label=_("Finanzielle Auswirkung"), choices=m.Impact.choices,
                                         initial=m.Impact.NO, widget=forms.RadioSelect)
    financial_impact_text = _text(_("Erläuterung der finanziellen Auswirkung"), 4000, rows=2)
    personnel_impact = forms.ChoiceField(label=_("Personelle Auswirkung"), choices=m.Impact.choices,
                                         initial=m.Impact.NO, widget=forms.RadioSelect)
    personnel_impact_text = _text(_("Erläuterung der personellen Auswirkung"), 4000, rows=2)
    organisational_impact = forms.ChoiceField(label=_("Organisatorische Auswirkung"), choices=m.Impact.choices,
                                              initial=m.Impact.NO, widget=forms.RadioSelect)
    organisational_impact_text = _text(_("Erläuterung der organisatorischen Auswirkung"), 4000, rows=2)
    resolution = _text(_("Beschlussvorschlag"), 20000, rows=3)
    occasion = _text(_("Anlass der Vorlage"), 50000, rows=8)
    conclusion = _text(_("Fazit"), 50000, rows=6)

    def __init__(self, *args, departments=None, authors=None, **kwargs):
        super().__init__(*args, **kwargs)
        if departments is None:
            del self.fields["department"]
        else:
            self.fields["department"].queryset = departments
        self.fields["author"].queryset = authors if authors is not None else m.Person.objects.none()
        head = ["department"] if departments is not None else []
        self.helper = helper(
            *head,
            Row(Column("paper_type"), Column("decision_type")),
            Row(Column("author"), Column("date"), Column("file_reference")),
            "public", "non_public_reason", "name",
            Fieldset(_("Auswirkungen"),
                     Row(Column("financial_impact"), Column("financial_impact_text")),
                     Row(Column("personnel_impact"), Column("personnel_impact_text")),
                     Row(Column("organisational_impact"), Column("organisational_impact_text"))),
            "resolution", "occasion", "conclusion", "lock_version",
        )

    def clean(self):
        data = super().clean()
        check_year(self, "date")
        if not data.get("public") and not (data.get("non_public_reason") or "").strip():
            self.add_error("non_public_reason", _("Eine nichtöffentliche Vorlage braucht einen Grund."))
        for impact, text in IMPACTS:
            if data.get(impact) == m.Impact.YES and not (data.get(text) or "").strip():
                self.add_error(text, _("Bei „ja“ ist die Auswirkung zu erläutern."))
        _check_author(self, data)
        return data


class VorlageFromAgreementForm(forms.Form):
    agreement = forms.ModelChoiceField(queryset=m.Agreement.objects.none(), label=_("Zielvereinbarung"),
                                       widget=RecordSelect)
    department = DepartmentChoiceField(queryset=m.Department.objects.none(), label=_("Fachbereich"))
    author = PersonChoiceField(queryset=m.Person.objects.none(), label=_("Bearbeiter/in"))
    date = _date_field(_("Datum der Vorlage"))

    def __init__(self, *args, agreements=None, departments=None, authors=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agreement"].queryset = agreements if agreements is not None else m.Agreement.objects.none()
        self.fields["department"].queryset = departments if departments is not None else m.Department.objects.none()
        self.fields["author"].queryset = authors if authors is not None else m.Person.objects.none()
        self.fields["date"].initial = timezone.localdate()
        self.helper = helper("agreement", Row(Column("department"), Column("author"), Column("date")),
                             submit=_("Vorlage anlegen"))

    def clean(self):
        data = super().clean()
        check_year(self, "date")
        _check_author(self, data)
        return data


class SectionForm(LockedForm):
    heading = forms.CharField(label=_("Überschrift"), max_length=300)
    text = _text(_("Text"), 50000, rows=10)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper("heading", "text", "lock_version")


class ConsultationForm(LockedForm):
    committee = forms.ModelChoiceField(queryset=m.Committee.objects.none(), label=_("Gremium"))
    meeting = forms.ModelChoiceField(queryset=m.Meeting.objects.none(), label=_("Sitzung"), required=False,
                                     help_text=_("Optional; der Sitzungstermin wird dann aus der Sitzung übernommen."))
    meeting_date = _date_field(_("Sitzungstermin"), required=False)
    role = forms.ChoiceField(label=_("Art der Beratung"), choices=m.Consultation.Role.choices)
    authoritative = forms.BooleanField(label=_("abschließend"), required=False)

    def __init__(self, *args, party=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee"].queryset = m.Committee.objects.filter(party=party).order_by("name")
        self.fields["meeting"].queryset = m.Meeting.objects.filter(committee__party=party).select_related(
            "committee").order_by("-start")
        self.helper = helper(Row(Column("committee"), Column("meeting")),
                             Row(Column("meeting_date"), Column("role"), Column("authoritative")), "lock_version")

    def clean(self):
        data = super().clean()
        check_year(self, "meeting_date")
        _check_belongs(self, data, "meeting", "committee", lambda meeting, gremium: meeting.committee_id == gremium.pk,
                       _("Die Sitzung ist keine Sitzung dieses Gremiums."))
        return data


class FollowUpForm(forms.Form):
    """The next consultation of a postponed one: a later meeting of the same committee, or its date. Committee, role
    and the authoritative flag are the postponed consultation's (services.vorlagen.add_follow_up)."""

    meeting = forms.ModelChoiceField(queryset=m.Meeting.objects.none(), label=_("Sitzung"), required=False,
                                     help_text=_("Der Sitzungstermin wird dann aus der Sitzung übernommen."))
    meeting_date = _date_field(_("Sitzungstermin"), required=False)

    def __init__(self, *args, committee=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = m.Meeting.objects.filter(committee=committee).select_related(
            "committee").order_by("-start")
        self.helper = helper(Row(Column("meeting"), Column("meeting_date")), submit=_("Erneute Beratung eintragen"))

    def clean(self):
        data = super().clean()
        check_year(self, "meeting_date")
        if not self.errors and data.get("meeting") is None and data.get("meeting_date") is None:
            raise forms.ValidationError(_("Bitte wählen Sie die Sitzung, in der erneut beraten wird, oder geben Sie "
                                          "ihren Termin an."))
        return data


class AnlageForm(forms.Form):
    title = forms.CharField(label=_("Bezeichnung"), max_length=300, required=False,
                            help_text=_("Leer lassen, um den Titel des Dokuments zu übernehmen."))
    document = forms.ModelChoiceField(queryset=m.Document.objects.none(), required=False,
                                      label=_("Dokument der Zielvereinbarung"), widget=RecordSelect)
    file = forms.FileField(label=_("oder Datei hochladen"), required=False,
                           widget=forms.FileInput(attrs={"accept": ACCEPT}))

    def __init__(self, *args, documents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = file_help()
        if documents is None:  # a paper about no agreement: a file, and its name
            del self.fields["document"]
            self.fields["title"].required = True
            self.fields["title"].help_text = ""
            self.fields["file"].required = True
            self.fields["file"].label = _("Datei")
        else:
            self.fields["document"].queryset = documents
        self.helper = helper("title", *(["document"] if documents is not None else []), "file",
                             submit=_("Anlage hinzufügen"))

    def clean(self):
        data = super().clean()
        if "document" not in self.fields:
            return data  # title and file are required fields
        if bool(data.get("document")) == bool(data.get("file")):
            raise forms.ValidationError(
                _("Bitte wählen Sie genau eines: ein Dokument der Zielvereinbarung oder eine Datei."))
        if data.get("file") and not (data.get("title") or "").strip():
            self.add_error("title", _("Bitte geben Sie die Bezeichnung der Anlage an."))
        return data


class AnlageTitleForm(LockedForm):
    title = forms.CharField(label=_("Bezeichnung"), max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper("title", "lock_version")


class ResultForm(forms.Form):
    result = forms.ChoiceField(
        label=_("Ergebnis"), choices=[(v, label) for v, label in m.Consultation.Result.choices if v])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper("result", submit=_("Ergebnis erfassen"))


def _get_helper(*fields):
    h = FormHelper()
    h.form_method = "get"
    h.layout = Layout(Row(*(Column(f) for f in fields)))
    h.add_input(Submit("", _("Filtern")))
    return h


class PublicFilterForm(forms.Form):
    year = forms.IntegerField(label=_("Jahr"), required=False, min_value=MIN_YEAR, max_value=MAX_YEAR)
    committee = forms.ModelChoiceField(queryset=m.Committee.objects.none(), label=_("Gremium"), required=False)

    fields_in_row = ("year", "committee")

    def __init__(self, *args, committees=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee"].queryset = committees if committees is not None else m.Committee.objects.none()
        self.helper = _get_helper(*self.fields_in_row)


class VorlageFilterForm(PublicFilterForm):
    q = forms.CharField(label=_("Nr. oder Betreff enthält"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("alle"))] + list(m.Vorlage.Status.choices))

    fields_in_row = ("q", "year", "status", "committee")
