from crispy_forms.layout import Column, Row
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import models as m
from ..services.lifecycle import check_signature_date
from .base import DateInput, helper
from .goals import LocalDecimalField


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Begründung"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, submit=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper("reason", submit=submit or _("Bestätigen"))


class AgreeForm(forms.Form):
    note = forms.CharField(label=_("Anmerkung zur Endfassung"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper("note", submit=_("Fassung verbindlich annehmen"))


class SignatureForm(forms.Form):
    person = forms.ModelChoiceField(queryset=m.Person.objects.none(), label=_("unterzeichnende Person"),
                                    required=False,
                                    help_text=_("Aus dem Personenverzeichnis Ihrer Stelle, oder unten eintragen."))
    signatory_name = forms.CharField(label=_("Name"), max_length=200, required=False)
    signatory_function = forms.CharField(label=_("Funktion"), max_length=120, required=False,
                                         help_text=_("z. B. Landrat, Staatssekretär, Geschäftsführer"))
    date = forms.DateField(label=_("Datum der Unterschrift"), widget=DateInput())
    place = forms.CharField(label=_("Ort"), max_length=100)

    def __init__(self, *args, people=None, electronic=False, agreed=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.agreed = agreed  # the day the text was agreed (services.lifecycle.agreed_on): the earliest date
        if people is not None:
            self.fields["person"].queryset = people
        if electronic:  # signed now: the date is today's, the time the timestamp's
            del self.fields["date"]
            self.helper = helper("person", Row(Column("signatory_name"), Column("signatory_function")), "place",
                                 submit=_("Elektronisch unterzeichnen"))
        else:
            self.fields["date"].widget.attrs.update(
                {"max": timezone.localdate().isoformat(), **({"min": agreed.isoformat()} if agreed else {})})
            self.helper = helper("person", Row(Column("signatory_name"), Column("signatory_function")),
                                 Row(Column("date"), Column("place")), submit=_("Unterschrift erfassen"))

    def clean_date(self):
        # Said before the confirmation step asks, not only by the service after it.
        date = self.cleaned_data["date"]
        if refused := check_signature_date(date, self.agreed):
            raise forms.ValidationError(refused)
        return date

    def clean(self):
        data = super().clean()
        if not data.get("person") and not (data.get("signatory_name") and data.get("signatory_function")):
            raise forms.ValidationError(
                _("Bitte wählen Sie eine Person oder tragen Sie Name und Funktion der unterzeichnenden Person ein.")
            )
        return data


class ReviewForm(forms.Form):
    kind = forms.ChoiceField(label=_("Art"), choices=m.Review.Kind.choices)
    date = forms.DateField(label=_("Datum"), widget=DateInput())
    participants = forms.CharField(label=_("Teilnehmende"), required=False, max_length=2000,
                                   widget=forms.Textarea(attrs={"rows": 2}))
    minutes = forms.CharField(label=_("Protokoll"), required=False, max_length=50000,
                              widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper(Row(Column("kind"), Column("date")), "participants", "minutes", form_tag=False,
                             submit=None)


class AssessmentForm(forms.Form):
    """One goal's assessment; the goal is fixed by the view, the form only carries the judgement."""

    status = forms.ChoiceField(label=_("Bewertung"), required=False,
                               choices=[("", _("– nicht bewertet –"))] + list(m.Assessment.Status.choices))
    # Read as the goal's values are: a German "1.500" is 1500, never 1.5.
    actual_value = LocalDecimalField(label=_("Istwert"))
    report_month = forms.DateField(label=_("Berichtsmonat"), required=False,
                                   widget=forms.DateInput(attrs={"type": "month"}),
                                   input_formats=["%Y-%m", "%m.%Y", "%Y-%m-%d", "%d.%m.%Y"])
    comment = forms.CharField(label=_("Erläuterung"), required=False, max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, goal=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.goal = goal
        if goal is not None and goal.kind == m.Goal.Kind.QUALITATIVE:
            del self.fields["actual_value"]
            del self.fields["report_month"]

    def clean(self):
        data = super().clean()
        if self.goal is not None and self.goal.kind == m.Goal.Kind.QUALITATIVE and self.is_bound:
            # The field is not offered, but a posted value must not vanish silently: the user meant something.
            posted = [self.data.get(self.add_prefix(name)) for name in ("actual_value", "report_month")]
            if any((value or "").strip() for value in posted):
                raise forms.ValidationError(
                    _("Ein qualitatives Ziel (Leitziel) hat keinen Istwert und keinen Berichtsmonat."),
                    code="qualitative_has_no_value",
                )
        if not data.get("status") and (data.get("actual_value") is not None or data.get("comment")):
            self.add_error("status", _("Bitte bewerten Sie das Ziel, wenn Sie einen Wert oder Text angeben."))
        return data
