from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout, Submit
from django import forms
from django.utils.translation import gettext_lazy as _


class DateInput(forms.DateInput):
    """A browser date picker. It needs ISO dates in its value whatever the language (German would be 29.03.2013,
    which browsers reject and show as empty); Django always accepts ISO input back."""

    input_type = "date"

    def __init__(self, attrs=None, format="%Y-%m-%d"):  # noqa: A002 - Django's own argument name
        super().__init__(attrs=attrs, format=format)


class LockedForm(forms.Form):
    """A form that carries the lock_version it was opened with (optimistic locking)."""

    lock_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


SAVE = _("Speichern")


def helper(*layout, submit=SAVE, form_tag=True):
    h = FormHelper()
    h.form_tag = form_tag
    h.layout = Layout(*layout)
    if submit:
        h.add_input(Submit("submit", submit))
    return h
