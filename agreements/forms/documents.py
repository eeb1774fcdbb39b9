from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from agreements.infra.uploads import format_mb

from .. import models as m
from ..services.documents import LETTER_IN_THE_FUTURE
from .base import helper
from .parties import other_party, own_party, party_choices, people_of

# A hint for the browser's file picker only; the content is checked on the server (agreements.infra.uploads).
ACCEPT = ",".join((
    ".pdf", ".docx", ".odt", "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.oasis.opendocument.text",
))


def file_help():
    # Built per form, so the limit follows the setting (tests and deployments change it).
    return _("PDF, DOCX oder ODT, ohne Kennwortschutz, höchstens %(limit)s MB.") % {
        "limit": format_mb(settings.UPLOAD_MAX_BYTES)
    }


# Bundles and Vorlagen are produced by the system, not uploaded.
UPLOAD_KINDS = [
    (value, label) for value, label in m.Document.Kind.choices
    if value not in (m.Document.Kind.BUNDLE, m.Document.Kind.VORLAGE)
]


class PartyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        party = obj.party.short_name or obj.party.name
        return f"{obj.full_name}, {obj.function} ({party})" if obj.function else f"{obj.full_name} ({party})"


class LetterForm(forms.Form):
    # type=date needs ISO values; the German default format ("29.03.2013") would leave the field empty.
    date = forms.DateField(label=_("Datum des Schreibens"),
                           widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    direction = forms.ChoiceField(label=_("Richtung"), choices=m.Letter.Direction.choices,
                                  help_text=m.Letter._meta.get_field("direction").help_text)
    sender = PartyChoiceField(queryset=m.Party.objects.none(), label=_("Absender"))
    sender_person = PersonChoiceField(
        queryset=m.Person.objects.none(), label=_("unterzeichnet von"), required=False,
        help_text=_("Optional; die Person muss zur absendenden Stelle gehören."),
    )
    recipient = PartyChoiceField(queryset=m.Party.objects.none(), label=_("Empfänger"))
    subject = forms.CharField(label=_("Betreff"), max_length=300)
    reference = forms.CharField(label=_("Aktenzeichen"), max_length=100, required=False)
    summary = forms.CharField(label=_("Inhalt (Kurzfassung)"), max_length=10000, required=False,
                              widget=forms.Textarea(attrs={"rows": 4}))
    file = forms.FileField(label=_("Datei"), required=False, widget=forms.FileInput(attrs={"accept": ACCEPT}))

    def __init__(self, *args, agreement, user=None, letter=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = file_help()
        keep = (letter.sender_id, letter.recipient_id) if letter else ()
        parties = party_choices(agreement, keep)
        self.fields["sender"].queryset = parties
        self.fields["recipient"].queryset = parties
        if letter is None and user is not None and not self.is_bound:
            # A new letter is usually the user's own party writing to the other party: an outgoing one.
            mine = own_party(user, agreement)
            if mine is not None:
                self.initial.setdefault("sender", mine)
                self.initial.setdefault("recipient", other_party(agreement, mine))
                self.initial.setdefault("direction", m.Letter.Direction.OUTGOING)
        keep_person = letter.sender_person_id if letter else None
        if self.is_bound:
            # Any person of an offered party is accepted here, so that one of another party than the sender gets
            # the clear message of clean() rather than "not a valid choice".
            self.fields["sender_person"].queryset = people_of(parties, keep_person)
        else:
            # Rendered for one sender: only that party's people (no Landrat of Neuss for the ministry's letter).
            self.fields["sender_person"].queryset = people_of([self.initial.get("sender")], keep_person)
        if letter is not None and letter.document_id:
            self.fields["file"].label = _("Neue Datei")
            self.fields["file"].help_text = format_lazy("{} {}", _(
                "Nur, wenn die bisherige Datei ersetzt werden soll; sie bleibt unter „Dokumente“ erhalten."
            ), file_help())
        self.helper = helper(
            Row(Column("date"), Column("direction")),
            Row(Column("sender"), Column("sender_person"), Column("recipient")),
            "subject", "reference", "summary", "file",
        )

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise forms.ValidationError(LETTER_IN_THE_FUTURE)
        return date

    def clean(self):
        data = super().clean()
        sender, recipient, person = data.get("sender"), data.get("recipient"), data.get("sender_person")
        if sender and recipient and sender.pk == recipient.pk:
            self.add_error("recipient", _("Absender und Empfänger müssen verschiedene Stellen sein."))
        if sender and person and person.party_id != sender.pk:
            self.add_error("sender_person", _("Die Person gehört nicht zur absendenden Stelle."))
        return data


class UploadForm(forms.Form):
    title = forms.CharField(label=_("Titel"), max_length=300)
    kind = forms.ChoiceField(label=_("Art"), choices=UPLOAD_KINDS, initial=m.Document.Kind.ANNEX)
    file = forms.FileField(label=_("Datei"), widget=forms.FileInput(attrs={"accept": ACCEPT}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = file_help()
        self.helper = helper("title", "kind", "file", submit=_("Hochladen"))


class LetterFilterForm(forms.Form):
    richtung = forms.ChoiceField(
        label=_("Richtung"), required=False, choices=[("", _("alle"))] + list(m.Letter.Direction.choices)
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.layout = Layout(Row(Column("richtung")))
        self.helper.add_input(Submit("", _("Filtern")))
