from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from .. import models as m
from .base import DateInput, LockedForm, RecordSelect, helper


def party_choice(kinds, label, required=False):
    return forms.ModelChoiceField(
        queryset=m.Party.objects.filter(kind__in=kinds, is_active=True).order_by("name"),
        label=label, required=required,
    )


class AgreementForm(LockedForm):
    title = forms.CharField(label=_("Titel"), max_length=300)
    year = forms.IntegerField(label=_("Jahr"), min_value=2005, max_value=2100)
    period_start = forms.DateField(label=_("Laufzeit von"), required=False,
                                   widget=DateInput())
    period_end = forms.DateField(label=_("Laufzeit bis"), required=False,
                                 widget=DateInput())
    land = party_choice([m.Party.Kind.MINISTRY], _("Land (Ministerium)"))
    kommunaler_traeger = party_choice(m.Party.COUNTY_KINDS, _("kommunaler Träger"))
    jobcenter = party_choice([m.Party.Kind.JOBCENTER], _("Jobcenter"))
    regionaldirektion = party_choice([m.Party.Kind.REGIONALDIREKTION], _("Regionaldirektion"))
    legal_bases = forms.ModelMultipleChoiceField(
        queryset=m.LegalBasis.objects.all(), label=_("Rechtsgrundlagen"), required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    legal_basis_note = forms.CharField(
        label=_("weitere Rechtsgrundlagen (Freitext)"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    predecessor = forms.ModelChoiceField(
        queryset=m.Agreement.objects.none(), label=_("Vorgängervereinbarung"), required=False, widget=RecordSelect,
    )
    preamble = forms.CharField(label=_("Präambel"), required=False, max_length=20000,
                               widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args, predecessors=None, **kwargs):
        super().__init__(*args, **kwargs)
        if predecessors is not None:
            self.fields["predecessor"].queryset = predecessors
        self.helper = helper(
            "title",
            Row(Column("year"), Column("period_start"), Column("period_end")),
            Fieldset(_("Vereinbarungspartner"),
                     Row(Column("land"), Column("kommunaler_traeger")),
                     Row(Column("jobcenter"), Column("regionaldirektion"))),
            Fieldset(_("Rechtsgrundlagen"), "legal_bases", "legal_basis_note"),
            "predecessor", "preamble", "lock_version",
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and start > end:
            self.add_error("period_end", _("Das Ende der Laufzeit liegt vor ihrem Beginn."))
        roles = [data.get(f) for f in ("land", "kommunaler_traeger", "jobcenter", "regionaldirektion")]
        if sum(1 for r in roles if r) < 2:
            raise forms.ValidationError(_("Bitte mindestens zwei Vereinbarungspartner angeben."))
        return data


class AgreementFilterForm(forms.Form):
    q = forms.CharField(label=_("Titel enthält"), required=False, max_length=100)
    year = forms.IntegerField(label=_("Jahr"), required=False, min_value=2005, max_value=2100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("alle"))] + list(m.Agreement.Status.choices)
    )
    party = forms.ModelChoiceField(queryset=m.Party.objects.order_by("name"), label=_("Vereinbarungspartner"),
                                   required=False)
    county = forms.ModelChoiceField(
        queryset=m.Party.objects.filter(kind__in=m.Party.COUNTY_KINDS).order_by("name"),
        label=_("Kreis / kreisfreie Stadt"), required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.layout = Layout(
            Row(Column("q"), Column("year"), Column("status"), Column("party"), Column("county"))
        )
        self.helper.add_input(Submit("", _("Filtern")))


class SectionForm(LockedForm):
    heading = forms.CharField(label=_("Überschrift"), max_length=300)
    text = forms.CharField(label=_("Text"), required=False, max_length=50000, widget=forms.Textarea(attrs={"rows": 8}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper("heading", "text", "lock_version")
