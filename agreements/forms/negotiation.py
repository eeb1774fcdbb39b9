"""Forms of the negotiation area: proposals, statements and manual procedure steps.

Choices that point at other records (goal, section, letter) are limited to the agreement at hand, so a record
of another agreement is refused as an invalid choice before the service is called (the service checks again).
"""

import copy

from crispy_forms.layout import Column, Fieldset, Row
from django import forms
from django.db.models import Case, Q, Value, When
from django.utils.translation import gettext_lazy as _

from .. import models as m
from ..services.goals import GOAL_NUMBER_FIELDS
from ..services.negotiation import GOAL_VALUE_FIELDS, MANUAL_STEP_KINDS, NOT_ADOPTED
from .base import LockedForm, RecordSelect, helper
from .goals import GoalForm
from .parties import party_choices

TEXT_MAX = 20000

Decision = m.Proposal.Decision
DECISION_CHOICES = [(c.value, c.label) for c in (Decision.ADOPTED, *NOT_ADOPTED)]


def _date_field(label, required=True):
    # <input type="date"> only understands ISO dates; the localized "23.01.2012" would show an empty field.
    return forms.DateField(label=label, required=required,
                           widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


def _text_field(label, required=True, rows=5, help_text=""):
    return forms.CharField(label=label, required=required, max_length=TEXT_MAX, help_text=help_text,
                           widget=forms.Textarea(attrs={"rows": rows}))


class ProposalForm(forms.Form):
    """A proposal in words, about any passage; or, given a `section` or a `goal`, the exact change to it: the
    section's new wording, or new values of the goal (prefilled with the current ones; services.negotiation keeps
    those that differ), which the pen holder can adopt in one step."""

    text = _text_field(_("Vorschlag"), rows=6)
    concerns = forms.CharField(label=_("betrifft"), required=False, max_length=300,
                               help_text=_("z. B. „§ 2 Ziele, zweiter Absatz“"))
    goal = forms.ModelChoiceField(queryset=m.Goal.objects.none(), label=_("betrifft Ziel"), required=False,
                                  widget=RecordSelect)
    section = forms.ModelChoiceField(
        queryset=m.AgreementSection.objects.none(), label=_("betrifft Abschnitt"), required=False,
        widget=RecordSelect,
    )

    def __init__(self, *args, agreement, section=None, goal=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.target_section, self.target_goal = section, goal
        if section is None and goal is None:
            self.fields["goal"].queryset = agreement.goals.all()
            self.fields["section"].queryset = agreement.sections.all()
            self.helper = helper("text", "concerns", Row(Column("goal"), Column("section")),
                                 submit=_("Vorschlag einbringen"))
            return
        for name in ("concerns", "goal", "section"):
            del self.fields[name]
        self.fields["text"].label = _("Begründung des Vorschlags")
        if section is not None:
            self.fields["wording"] = _text_field(
                _("neuer Wortlaut"), rows=12,
                help_text=_("Der ganze Abschnitt, wie er nach Ihrem Vorschlag lauten soll."))
            self.initial.setdefault("wording", section.text)
            self.helper = helper("wording", "text", submit=_("Vorschlag einbringen"))
            return
        # A qualitative goal (Leitziel) has no numbers to propose.
        self.goal_fields = [f for f in GOAL_VALUE_FIELDS
                            if goal.kind == m.Goal.Kind.QUANTITATIVE or f not in GOAL_NUMBER_FIELDS]
        for field in self.goal_fields:
            self.fields[f"new_{field}"] = copy.deepcopy(GoalForm.base_fields[field])
            self.initial.setdefault(f"new_{field}", getattr(goal, field))
        numbers = [Column(f"new_{f}") for f in GOAL_NUMBER_FIELDS if f in self.goal_fields]
        values = [Row(Column("new_direction")), "new_text", *([Row(*numbers)] if numbers else [])]
        self.helper = helper(Fieldset(_("Neue Werte des Ziels"), *values), "text", submit=_("Vorschlag einbringen"))

    def clean(self):
        data = super().clean()
        if self.target_section is not None:
            data.update(section=self.target_section, concerns=self.target_section.heading)
        elif self.target_goal is not None:
            data.update(goal=self.target_goal, concerns=self.target_goal.title, goal_values={
                field: data.get(f"new_{field}") for field in self.goal_fields})
        return data


class ProposalDecisionForm(LockedForm):
    decision = forms.ChoiceField(label=_("Entscheidung"), choices=DECISION_CHOICES, widget=forms.RadioSelect)
    reason = _text_field(_("Begründung"), required=False, help_text=_(
        "Pflicht, wenn der Vorschlag nicht oder nur teilweise übernommen wird."))
    answer_letter = forms.ModelChoiceField(
        queryset=m.Letter.objects.none(), label=_("beantwortet mit Schreiben"), required=False,
        widget=RecordSelect,
    )

    def __init__(self, *args, agreement, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["answer_letter"].queryset = agreement.letters.all()
        self.helper = helper("decision", "reason", "answer_letter", "lock_version", submit=_("Entscheiden"))

    def clean(self):
        data = super().clean()
        if data.get("decision") not in (None, Decision.ADOPTED) and not (data.get("reason") or "").strip():
            self.add_error(
                "reason", _("Bitte begründen, warum der Vorschlag nicht vollständig übernommen wird.")
            )
        return data


class PartyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.get_kind_display()})"


class StatementForm(LockedForm):
    party = PartyChoiceField(queryset=m.Party.objects.none(), label=_("Stelle (Verband)"))
    date = _date_field(_("Datum"))
    title = forms.CharField(label=_("Titel"), max_length=300)
    text = _text_field(_("Inhalt"), required=False, rows=8)
    file = forms.FileField(label=_("Datei"), required=False,
                           help_text=_("Optional: die Stellungnahme als PDF."))
    include_as_annex = forms.BooleanField(label=_("als Anlage aufnehmen"), required=False)

    def __init__(self, *args, current_party=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Associations first: they are the usual authors of a Stellungnahme.
        parties = m.Party.objects.filter(Q(is_active=True) | Q(pk=getattr(current_party, "pk", None)))
        self.fields["party"].queryset = parties.order_by(
            Case(When(kind=m.Party.Kind.VERBAND, then=Value(0)), default=Value(1)), "name"
        )
        self.helper = helper(
            "party", Row(Column("date"), Column("title")), "text", "file", "include_as_annex", "lock_version"
        )


class StepForm(LockedForm):
    date = _date_field(_("Datum"))
    date_precision = forms.ChoiceField(
        label=_("Genauigkeit des Datums"), choices=m.ProcedureStep.Precision.choices,
        initial=m.ProcedureStep.Precision.DAY,
        help_text=_("„im November 2011“ ist ein Monat, „am 16.12.2011“ ein Tag; als Datum dann einen Tag "
                    "im Zeitraum angeben, er bestimmt die Reihenfolge."),
    )
    end_date = _date_field(_("bis"), required=False)
    kind = forms.ChoiceField(label=_("Art"), choices=[(k.value, k.label) for k in MANUAL_STEP_KINDS])
    title = forms.CharField(label=_("Bezeichnung"), max_length=300)
    description = _text_field(_("Beschreibung"), required=False)
    participants = forms.ModelMultipleChoiceField(
        queryset=m.Party.objects.none(), label=_("Beteiligte"), required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    participants_note = forms.CharField(label=_("weitere Beteiligte"), required=False, max_length=300)

    def __init__(self, *args, agreement, step=None, **kwargs):
        super().__init__(*args, **kwargs)
        chosen = step.participants.values_list("pk", flat=True) if step is not None else ()
        self.fields["participants"].queryset = party_choices(agreement, chosen)
        self.helper = helper(
            Row(Column("date"), Column("date_precision"), Column("end_date")),
            "kind", "title", "description", "participants", "participants_note", "lock_version",
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("Das Ende liegt vor dem Beginn."))
        return data
