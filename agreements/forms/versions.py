from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from .. import models as m
from ..services.versions import NOTE_MAX_LENGTH
from .base import helper

CURRENT = "aktuell"

# How two Fassungen are shown: the changes marked (in the text, or the two sides next to each other), or one
# side's text alone, unmarked: the new one ("zu Fassung") or the old one ("von Fassung").
MODE_CHOICES = (
    ("inline", _("im Text (Änderungen markiert)")),
    ("side", _("nebeneinander")),
    ("new", _("nur der neue Text („zu Fassung“)")),
    ("old", _("nur der alte Text („von Fassung“)")),
)
MODES = tuple(mode for mode, _label in MODE_CHOICES)


class DraftSendForm(forms.Form):
    note = forms.CharField(
        label=_("Anmerkung zur Übersendung"), required=False, max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Wird mit der Fassung gespeichert und im Verfahren vermerkt."),
    )

    def __init__(self, *args, action=None, recipients=(), **kwargs):
        super().__init__(*args, **kwargs)
        fields = ["note"]
        if len(recipients) > 1:
            # Three or more parties: the sender says who is "am Zug" next (by default the next in order).
            self.fields["to"] = forms.ModelChoiceField(
                queryset=m.Party.objects.filter(pk__in=[p.pk for p in recipients]), initial=recipients[0].pk,
                label=_("am Zug danach"), empty_label=None,
                help_text=_("Diese Stelle bearbeitet den Arbeitsstand als Nächste; die anderen können Vorschläge "
                            "einbringen."),
            )
            fields.insert(0, "to")
        self.helper = helper(*fields, submit=_("Entwurf übersenden"))
        self.helper.form_id = "draft-send-form"
        if action:
            self.helper.form_action = action


VERSION_ERRORS = {
    "required": _("Bitte eine Fassung wählen."),
    "invalid_choice": _("Eine Fassung „%(value)s“ gibt es für diese Zielvereinbarung nicht."),
}


class VersionCompareForm(forms.Form):
    """Two versions to compare; `numbers` are the agreement's version numbers, plus the working copy."""

    a = forms.ChoiceField(label=_("von Fassung"), error_messages=VERSION_ERRORS)
    b = forms.ChoiceField(label=_("zu Fassung"), error_messages=VERSION_ERRORS)
    mode = forms.ChoiceField(
        label=_("Darstellung"), choices=MODE_CHOICES, required=False,
        error_messages={"invalid_choice": _("Die Darstellung „%(value)s“ gibt es nicht.")},
    )

    def __init__(self, *args, numbers=(), action=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(n), _("Fassung %(number)s") % {"number": n}) for n in numbers]
        choices.append((CURRENT, _("aktueller Arbeitsstand")))
        self.fields["a"].choices = choices
        self.fields["b"].choices = choices
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_id = "version-compare-form"
        if action:
            self.helper.form_action = action
        self.helper.layout = Layout(Row(Column("a"), Column("b"), Column("mode")))
        # No name: the button should not end up in the query string.
        self.helper.add_input(Submit("", _("Vergleichen")))

    def clean_mode(self):
        return self.cleaned_data.get("mode") or "inline"

    def clean(self):
        data = super().clean()
        if data.get("a") and data.get("a") == data.get("b"):
            raise forms.ValidationError(_("Bitte zwei verschiedene Fassungen wählen."))
        return data

    @staticmethod
    def to_number(value):
        """The version number, or None for the current working copy."""
        return None if value == CURRENT else int(value)
