"""The settings page's form: the language of the mails and, per kind of message, how it is delivered."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from agreements.forms.base import helper

from . import kinds
from .models import Mode

PREFIX = "art_"


class SettingsForm(forms.Form):
    language = forms.ChoiceField(label=_("Sprache der E-Mails"), choices=settings.LANGUAGES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in kinds.KINDS.values():
            self.fields[PREFIX + kind.code] = forms.ChoiceField(label=kind.label, help_text=kind.description,
                                                                choices=Mode.choices)
        self.helper = helper("language", *self.mode_fields())

    def mode_fields(self):
        return [name for name in self.fields if name.startswith(PREFIX)]

    @staticmethod
    def initial_for(language, modes):
        return {"language": language, **{PREFIX + code: mode for code, mode in modes.items()}}

    def modes(self):
        return {name[len(PREFIX):]: self.cleaned_data[name] for name in self.mode_fields()}
