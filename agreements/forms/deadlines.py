"""The form of an agreement's deadline (services.deadlines checks the values again)."""

from crispy_forms.layout import Column, Row
from django import forms
from django.utils.translation import gettext_lazy as _

from .. import models as m
from ..services.deadlines import kind_choices
from .base import DateInput, LockedForm, RecordSelect, helper

D = m.Deadline


class DeadlineForm(LockedForm):
    # services.deadlines refuses an open deadline set a second time, with its own message (views.base.once asks
    # nothing then).
    refuses_duplicates = True
    kind = forms.ChoiceField(label=_("Art der Frist"), choices=D.Kind.choices)
    title = forms.CharField(label=_("Bezeichnung"), required=False, max_length=200,
                            help_text=_("Nur bei „sonstige Frist“ nötig, z. B. „Referenzwerte übermitteln“."))
    due = forms.DateField(label=_("fällig am"), widget=DateInput)
    owner = forms.ModelChoiceField(queryset=m.Party.objects.none(), label=_("zuständige Stelle"), empty_label=None,
                                   widget=RecordSelect)
    note = forms.CharField(label=_("Anmerkung"), required=False, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, agreement, kind=None, **kwargs):
        """`kind`: the kind of the deadline being changed, offered even when the agreement's status is past it."""
        super().__init__(*args, **kwargs)
        # Only the kinds the agreement's status allows (services.deadlines.kind_choices, the rule the service checks).
        self.fields["kind"].choices = kind_choices(agreement, keep=kind)
        # Only the agreement's own parties own its deadlines.
        self.fields["owner"].queryset = m.Party.objects.filter(agreement_roles__agreement=agreement).order_by(
            "agreement_roles__order", "pk")
        self.helper = helper(Row(Column("kind"), Column("due")), "title", "owner", "note", "lock_version")

    def clean(self):
        data = super().clean()
        # A title refused already (too long) has its own message; "needs a title" would be wrong beside it.
        if data.get("kind") == D.Kind.OTHER and "title" not in self.errors and not (data.get("title") or "").strip():
            self.add_error("title", _("Eine sonstige Frist braucht eine Bezeichnung."))
        return data
