import secrets

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from agreements.text.parts import record_lang_code


class DateInput(forms.DateInput):
    """A browser date picker. It needs ISO dates in its value whatever the language (German would be 29.03.2013,
    which browsers reject and show as empty); Django always accepts ISO input back."""

    input_type = "date"

    def __init__(self, attrs=None, format="%Y-%m-%d"):  # noqa: A002 - Django's own argument name
        super().__init__(attrs=attrs, format=format)


class RecordSelect(forms.Select):
    """A select whose options name records as written (agreement titles, letter subjects, document titles, the
    reference catalogue's German names): on a page in another language every option but the empty one carries
    lang="de", like quoted record content elsewhere (templatetags/record_language.py)."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        code = record_lang_code()
        if code and value not in (None, ""):
            option["attrs"] = {**option["attrs"], "lang": code}
        return option


class LockedForm(forms.Form):
    """A form that carries the lock_version it was opened with (optimistic locking)."""

    lock_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


SUBMISSION_FIELD = "submission_token"
# Carries the content fingerprint (views.base.once) of an entry the user is told was just created alike: sending the
# form again with it creates the second, identical entry on purpose.
REPEAT_FIELD = "submission_repeat"


def new_submission_token():
    return secrets.token_urlsafe(24)


def submit_once(form):
    """Make `form` a create form that is saved once however often it is sent (double click, back and send again).

    It gets a hidden single-use token, new each time the form is opened; views.base.once() records it with the
    created record and leads a second submission of the same token to that record instead of creating another.
    The back button can also bring the form back opened anew (a new token) with the browser's copy of what was
    typed: once() asks before it creates an entry identical to one the user just created from the same form
    (REPEAT_FIELD). A POST without a token (a script) is simply saved.
    """
    form.fields[SUBMISSION_FIELD] = forms.CharField(
        widget=forms.HiddenInput, required=False, max_length=64, initial=new_submission_token,
    )
    form.fields[REPEAT_FIELD] = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    helper = getattr(form, "helper", None)
    if helper is not None and helper.layout is not None:
        helper.layout.append(SUBMISSION_FIELD)
        helper.layout.append(REPEAT_FIELD)
    return form


SAVE = _("Speichern")


def helper(*layout, submit=SAVE, form_tag=True):
    h = FormHelper()
    h.form_tag = form_tag
    h.layout = Layout(*layout)
    if submit:
        h.add_input(Submit("submit", submit))
    return h
