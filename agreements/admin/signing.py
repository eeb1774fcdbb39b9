"""Electronic signatures (issue 15): the parties' signing keys, the timestamp authority and the trust anchors.

What an administrator enters here is checked when it is saved, so that a broken key shows up on this page and not
when a party signs: an active key is opened with its secret (agreements/signing/keys.py) and its certificate's
holder and expiry are recorded; a timestamp authority's own key likewise; a trust anchor's PEM is read by the model.

The secrets themselves (PKCS#12 passphrase, token PIN) are never entered or stored here, only the name of the
environment variable or the path of the file that holds them. Uploaded key files are never served: the form shows a
plain file input and the stored file's name as text, never a link. The history is shown, never reverted (the
revert form would save without asking for the change permission).
"""

import datetime as dt
from pathlib import PurePath

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.http import HttpResponseRedirect
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from agreements.models import SigningKey, TimestampAuthority, TrustAnchor
from agreements.signing import KeyConfigError, keys

from .base import HistoryAdmin

KEY_FILE_MAX_BYTES = 1024 * 1024  # a PKCS#12 file with its chain has a few kilobytes

SECRET_ENV_HELP = _(
    "Name der Umgebungsvariable auf dem Server, die das Passwort bzw. die PIN enthält, z. B. "
    "ZS_SIGN_METTMANN_PASS. Eingetragen wird nur der Name: das Passwort selbst wird nie gespeichert."
)
SECRET_FILE_HELP = _(
    "Pfad einer Datei auf dem Server mit dem Passwort bzw. der PIN, z. B. ein systemd-Credential. Eingetragen "
    "wird nur der Pfad: das Passwort selbst wird nie gespeichert."
)
SECRET_DESCRIPTION = _(
    "Geben Sie genau eine Quelle an: eine Umgebungsvariable oder eine Datei. Zielsteuerung speichert das Passwort "
    "bzw. die PIN nie, sondern liest es erst beim Signieren und beim Prüfen hier."
)


# --- What the forms share ---------------------------------------------------------------------------------------

def local_date(moment):
    return date_filter(timezone.localtime(moment), "d.m.Y")


def read_upload(upload):
    """The bytes of an uploaded key file (it is not on disk yet while the form is cleaned); the upload is rewound
    so that saving stores all of it."""
    if upload.size is not None and upload.size > KEY_FILE_MAX_BYTES:
        raise ValidationError(_("Die Datei ist zu groß für eine PKCS#12-Datei (höchstens 1 MB)."), code="too_large")
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    if not data:
        raise ValidationError(_("Die Datei ist leer."), code="empty")
    return data


def open_pkcs12(stored_or_upload, mapping):
    """A signer for a PKCS#12 key that is either uploaded now or stored already (KeyConfigError if not)."""
    if isinstance(stored_or_upload, UploadedFile):
        data = read_upload(stored_or_upload)
        config = keys.KeyConfig.from_mapping({**mapping, "pkcs12_path": PurePath(stored_or_upload.name).name})
        return keys.pkcs12_signer_from_data(config, data)
    config = keys.KeyConfig.from_mapping({**mapping, "pkcs12_path": stored_or_upload.path})
    with keys.open_signer(config) as signer:
        return signer


def one_secret_source(cleaned):
    """Exactly one secret source given? (If not, the model's clean says so; the key is not opened.)"""
    return bool(cleaned.get("secret_env")) != bool(cleaned.get("secret_file"))


def secret_mapping(cleaned):
    return {"secret_env": cleaned.get("secret_env") or None, "secret_file": cleaned.get("secret_file") or None}


def stored_file_name(field_file):
    """A stored file's name as plain text: the admin never links to MEDIA (nothing serves it)."""
    return PurePath(field_file.name).name if field_file else _("keine Datei gespeichert")


class NoRevertHistoryMixin:
    """The history is shown; a revert (a POST to a former state) is refused with a message."""

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            self.message_user(request, _("Frühere Stände werden nur angezeigt. Ändern Sie den Eintrag auf seiner "
                                         "eigenen Seite."), messages.ERROR)
            opts = self.model._meta
            return HttpResponseRedirect(reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change", args=[quote(unquote(object_id))],
                current_app=self.admin_site.name,
            ))
        return super().history_form_view(request, object_id, version_id, extra_context)


class SigningAdmin(NoRevertHistoryMixin, HistoryAdmin):
    # A plain file input: the default widget would link to MEDIA_URL, which is deliberately not served.
    formfield_overrides = {models.FileField: {"widget": forms.FileInput(attrs={"accept": ".p12,.pfx"})}}

    @admin.display(description=_("Demo"), ordering="is_demo")
    def demo_marker(self, obj):
        if not obj.is_demo:
            return "–"
        return format_html('<strong class="zs-demo-marker" title="{}">{}</strong>',
                           _("Von der Demo-Installation erzeugt; nicht für echte Unterschriften."), _("Demo"))

    @admin.display(description=_("Demo"))
    def demo_notice(self, obj):
        if obj is None or not obj.is_demo:
            return _("nein")
        return format_html("<strong>{}</strong>", _("Demo – von der Demo-Installation erzeugt, nicht vertrauenswürdig "
                                                     "und nicht für echte Unterschriften."))


class SecretSourceForm(forms.ModelForm):
    """A form of a record that names where its passphrase or PIN is (secret_env or secret_file), never the secret."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, text in (("secret_env", SECRET_ENV_HELP), ("secret_file", SECRET_FILE_HELP)):
            if name in self.fields:
                self.fields[name].help_text = text


# --- Signing keys -----------------------------------------------------------------------------------------------

class SigningKeyForm(SecretSourceForm):
    """Opens an active key with its secret before it is saved and records its certificate's holder and expiry.

    No Meta: ModelAdmin builds it from the fieldsets.
    """

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("is_active") or self.errors or not one_secret_source(cleaned):
            return cleaned  # an inactive key is not used (and can be switched off when it no longer opens)
        kind, party = cleaned.get("kind"), cleaned.get("party")
        mapping = {"kind": kind, "party": party.name if party else "", **secret_mapping(cleaned)}
        try:
            if kind == SigningKey.Kind.PKCS12:
                stored_or_upload = cleaned.get("pkcs12_file")
                if not stored_or_upload:
                    return cleaned  # the model's clean asks for the file
                subject, valid_until, valid_from = keys.certificate_facts(open_pkcs12(stored_or_upload, mapping))
            else:
                fields = ("module_path", "token_label", "key_label")
                if not all(cleaned.get(f) for f in fields):
                    return cleaned  # the model's clean names what is missing
                mapping.update({f: cleaned[f] for f in fields}, cert_label=cleaned.get("cert_label") or None)
                with keys.open_signer(keys.KeyConfig.from_mapping(mapping)) as signer:
                    subject, valid_until, valid_from = keys.certificate_facts(signer)
        except KeyConfigError as exc:
            raise ValidationError(str(exc), code="key") from None
        now = timezone.now()
        if valid_until <= now:
            raise ValidationError(
                _("Das Zertifikat des Schlüssels (%(subject)s) ist am %(date)s abgelaufen. Laden Sie einen "
                  "Schlüssel mit gültigem Zertifikat hoch oder deaktivieren Sie diesen."),
                code="expired", params={"subject": subject, "date": local_date(valid_until)},
            )
        if valid_from > now + dt.timedelta(minutes=5):
            raise ValidationError(
                _("Das Zertifikat des Schlüssels (%(subject)s) gilt erst ab dem %(date)s."),
                code="not_yet_valid", params={"subject": subject, "date": local_date(valid_from)},
            )
        self.instance.certificate_subject, self.instance.certificate_valid_until = subject, valid_until
        return cleaned


@admin.register(SigningKey)
class SigningKeyAdmin(SigningAdmin):
    form = SigningKeyForm
    list_display = ["party", "kind", "certificate_subject", "valid_until_display", "is_active", "demo_marker"]
    list_filter = ["kind", "is_active", "is_demo"]
    list_select_related = ["party"]
    search_fields = ["party__name", "party__short_name", "certificate_subject"]
    autocomplete_fields = ["party"]
    readonly_fields = ["stored_key_file", "certificate_subject", "certificate_valid_until", "demo_notice",
                       "is_demo", *HistoryAdmin.readonly_fields]

    def get_fieldsets(self, request, obj=None):
        pkcs12 = [*([] if obj is None else ["stored_key_file"]), "pkcs12_file"]
        pkcs12_classes = ["collapse"] if obj is not None and obj.kind != SigningKey.Kind.PKCS12 else []
        pkcs11_classes = ["collapse"] if obj is not None and obj.kind != SigningKey.Kind.PKCS11 else []
        return [
            (None, {"fields": ["party", "kind", "is_active", *([] if obj is None else ["demo_notice"])],
                    "description": _("Ein aktiver Schlüssel wird beim Speichern mit seinem Passwort bzw. seiner PIN "
                                     "geöffnet; klappt das nicht, wird nicht gespeichert. Einen Schlüssel, der "
                                     "nicht mehr funktioniert, können Sie ohne diese Prüfung deaktivieren.")}),
            (_("PKCS#12-Datei"), {"fields": pkcs12, "classes": pkcs12_classes,
                                  "description": _("Nur für die Art „PKCS#12-Datei“. Die Datei wird nur zum "
                                                   "Signieren gelesen und ist hier nicht herunterzuladen.")}),
            (_("PKCS#11-Token (HSM)"), {"fields": ["module_path", "token_label", "key_label", "cert_label"],
                                        "classes": pkcs11_classes,
                                        "description": _("Nur für die Art „PKCS#11-Token (HSM)“.")}),
            (_("Passwort bzw. PIN"), {"fields": ["secret_env", "secret_file"], "description": SECRET_DESCRIPTION}),
            (_("Zertifikat"), {"fields": ["certificate_subject", "certificate_valid_until"],
                               "description": _("Wird beim Speichern aus dem Schlüssel gelesen.")}),
            (_("Verwaltung"), {"fields": ["is_demo", "created", "modified"], "classes": ["collapse"]}),
        ]

    @admin.display(description=_("Gespeicherte Datei"))
    def stored_key_file(self, obj):
        return stored_file_name(obj.pkcs12_file)

    @admin.display(description=_("Zertifikat gültig bis"), ordering="certificate_valid_until")
    def valid_until_display(self, obj):
        if obj.certificate_valid_until is None:
            return "–"
        shown = local_date(obj.certificate_valid_until)
        if obj.certificate_valid_until <= timezone.now():
            return format_html("{} <strong>({})</strong>", shown, _("abgelaufen"))
        return shown


# --- Timestamp authority ----------------------------------------------------------------------------------------

class TimestampAuthorityForm(SecretSourceForm):
    """At most one active authority, said in words (not as the database constraint's message); an own TSA key is
    opened with its secret before it is saved."""

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("is_active"):
            other = TimestampAuthority.objects.filter(is_active=True).exclude(pk=self.instance.pk).first()
            if other is not None:
                self.add_error("is_active", ValidationError(
                    _("Es ist schon ein Zeitstempeldienst aktiv: „%(name)s“. Es kann nur einer aktiv sein; "
                      "deaktivieren Sie ihn zuerst oder speichern Sie diesen als nicht aktiv."),
                    code="one_active", params={"name": other.name},
                ))
        local_key = cleaned.get("local_key")
        if (cleaned.get("is_active") and local_key and not cleaned.get("url") and not self.errors
                and one_secret_source(cleaned)):
            mapping = {"kind": "pkcs12", "party": cleaned.get("name") or "", **secret_mapping(cleaned)}
            try:
                open_pkcs12(local_key, mapping)
            except KeyConfigError as exc:
                raise ValidationError(str(exc), code="key") from None
        return cleaned


@admin.register(TimestampAuthority)
class TimestampAuthorityAdmin(SigningAdmin):
    form = TimestampAuthorityForm
    formfield_overrides = {**SigningAdmin.formfield_overrides, models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "source_display", "level", "is_active", "demo_marker"]
    list_filter = ["level", "is_active", "is_demo"]
    search_fields = ["name", "url"]
    readonly_fields = ["stored_key_file", "demo_notice", "is_demo", *HistoryAdmin.readonly_fields]

    def get_fieldsets(self, request, obj=None):
        local = [*([] if obj is None else ["stored_key_file"]), "local_key", "secret_env", "secret_file"]
        return [
            (None, {"fields": ["name", "level", "is_active", *([] if obj is None else ["demo_notice"])],
                    "description": _("Jede elektronische Signatur erhält ihre Zeit von dem einen aktiven "
                                     "Zeitstempeldienst.")}),
            (_("Zeitstempeldienst"), {"fields": ["url"],
                                      "description": _("Die Adresse eines RFC-3161-Zeitstempeldienstes.")}),
            (_("Eigener Zeitstempelschlüssel"), {
                "fields": local, "classes": ["collapse"] if obj is not None and obj.url else [],
                "description": _("Statt einer Adresse, nur für Demo- und Testinstallationen. %(secret)s")
                % {"secret": SECRET_DESCRIPTION},
            }),
            (_("Verwaltung"), {"fields": ["is_demo", "created", "modified"], "classes": ["collapse"]}),
        ]

    @admin.display(description=_("Quelle"), ordering="url")
    def source_display(self, obj):
        if obj.url:
            return obj.url
        return _("eigener Demo-Schlüssel") if obj.is_demo else _("eigener Zeitstempelschlüssel")

    @admin.display(description=_("Gespeicherte Datei"))
    def stored_key_file(self, obj):
        return stored_file_name(obj.local_key)


# --- Trust anchors ----------------------------------------------------------------------------------------------

@admin.register(TrustAnchor)
class TrustAnchorAdmin(SigningAdmin):
    list_display = ["name", "subject", "fingerprint_display", "is_active", "demo_marker"]
    list_filter = ["is_active", "is_demo"]
    search_fields = ["name", "subject", "sha256_fingerprint"]
    readonly_fields = ["subject", "fingerprint_display", "demo_notice", "is_demo", *HistoryAdmin.readonly_fields]
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 14, "cols": 70, "spellcheck": "false",
                                                            "style": "font-family: monospace"})},
    }

    def get_fieldsets(self, request, obj=None):
        return [
            (None, {"fields": ["name", "is_active", *([] if obj is None else ["demo_notice"])]}),
            (_("Zertifikat"), {
                "fields": ["certificate", *([] if obj is None else ["subject", "fingerprint_display"])],
                "description": _("Fügen Sie das Wurzelzertifikat (oder ein anderes vertrauenswürdiges Zertifikat) im "
                                 "PEM-Format ein. Inhaber und Fingerabdruck werden beim Speichern daraus gelesen; "
                                 "vergleichen Sie den Fingerabdruck mit dem, den der Herausgeber veröffentlicht."),
            }),
            (_("Verwaltung"), {"fields": ["is_demo", "created", "modified"], "classes": ["collapse"]}),
        ]

    @admin.display(description=_("SHA-256-Fingerabdruck"), ordering="sha256_fingerprint")
    def fingerprint_display(self, obj):
        value = (obj.sha256_fingerprint or "").upper()
        return ":".join(value[i:i + 2] for i in range(0, len(value), 2)) or "–"
