"""What an installation configures for electronic signatures (issue 15): a key per party, the timestamp authority,
the trust anchors. Secrets (a PKCS#12 passphrase, a token PIN) are never stored here: a key names the environment
variable or the secret file that holds its secret (agreements/signing/keys.py reads it when it signs).

An admin manages these records; the signing service (agreements/services/signing.py) reads them. An agreement is
signed electronically when every party to it has an active key and a timestamp authority is active; otherwise it
is signed on paper, as before.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .base import TimeStampedModel

KEY_FILE_DIR = "signing"


class SecretSource(models.Model):
    """Where a key's secret comes from: exactly one of an environment variable or a file (never the value)."""

    secret_env = models.CharField(
        _("Umgebungsvariable mit dem Geheimnis"), max_length=100, blank=True,
        help_text=_("Name der Umgebungsvariable, die das Passwort bzw. die PIN enthält (nicht das Passwort selbst)."),
    )
    secret_file = models.CharField(
        _("Datei mit dem Geheimnis"), max_length=500, blank=True,
        help_text=_("Pfad einer Datei mit dem Passwort bzw. der PIN, z. B. ein systemd-Credential."),
    )

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        if bool(self.secret_env) == bool(self.secret_file):
            raise ValidationError(_("Geben Sie genau eine Quelle für das Geheimnis an: eine Umgebungsvariable oder "
                                    "eine Datei."))

    def secret_mapping(self):
        return {"secret_env": self.secret_env or None, "secret_file": self.secret_file or None}


class SigningKey(SecretSource, TimeStampedModel):
    """The key a party signs or seals with: a PKCS#12 file uploaded here, or a key on a PKCS#11 token (HSM)."""

    class Kind(models.TextChoices):
        PKCS12 = "pkcs12", _("PKCS#12-Datei")
        PKCS11 = "pkcs11", _("PKCS#11-Token (HSM)")

    party = models.OneToOneField(
        "agreements.Party", verbose_name=_("Stelle"), on_delete=models.PROTECT, related_name="signing_key",
    )
    kind = models.CharField(_("Art"), max_length=10, choices=Kind.choices, default=Kind.PKCS12)
    pkcs12_file = models.FileField(_("PKCS#12-Datei"), upload_to=KEY_FILE_DIR, blank=True, max_length=200)
    module_path = models.CharField(_("PKCS#11-Modul"), max_length=500, blank=True,
                                   help_text=_("z. B. /usr/lib/softhsm/libsofthsm2.so"))
    token_label = models.CharField(_("Token-Bezeichnung"), max_length=100, blank=True)
    key_label = models.CharField(_("Schlüssel-Bezeichnung"), max_length=100, blank=True)
    cert_label = models.CharField(_("Zertifikats-Bezeichnung"), max_length=100, blank=True,
                                  help_text=_("Leer: wie die Schlüssel-Bezeichnung."))
    is_active = models.BooleanField(_("aktiv"), default=True)
    is_demo = models.BooleanField(
        _("Demo-Schlüssel"), default=False,
        help_text=_("Von der Demo-Installation erzeugt; nicht für echte Unterschriften."),
    )
    certificate_subject = models.CharField(_("Zertifikat"), max_length=300, blank=True, editable=False)
    certificate_valid_until = models.DateTimeField(_("Zertifikat gültig bis"), null=True, blank=True,
                                                   editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("Signaturschlüssel")
        verbose_name_plural = _("Signaturschlüssel")
        ordering = ["party__name"]

    def __str__(self):
        return f"{self.party} ({self.get_kind_display()})"

    def clean(self):
        super().clean()
        if self.kind == self.Kind.PKCS12 and not self.pkcs12_file:
            raise ValidationError({"pkcs12_file": _("Für diese Art wird eine PKCS#12-Datei gebraucht.")})
        if self.kind == self.Kind.PKCS11:
            missing = [f for f in ("module_path", "token_label", "key_label") if not getattr(self, f)]
            if missing:
                raise ValidationError({f: _("Für ein PKCS#11-Token wird diese Angabe gebraucht.") for f in missing})

    def mapping(self):
        """The agreements.signing.keys.KeyConfig of this key, as a mapping."""
        values = {"kind": self.kind, "party": self.party.name, **self.secret_mapping()}
        if self.kind == self.Kind.PKCS12:
            values["pkcs12_path"] = self.pkcs12_file.path if self.pkcs12_file else None
        else:
            values.update(module_path=self.module_path, token_label=self.token_label, key_label=self.key_label,
                          cert_label=self.cert_label or None)
        return values


class TimestampAuthority(SecretSource, TimeStampedModel):
    """The RFC 3161 timestamp authority every signature gets its time from, and the level signatures are made at.

    Usually a URL. The demo installation has no TSA on its network; it stamps with a demo TSA key of its own
    (`local_key`), which is marked as a demo and never meant for real records.
    """

    class Level(models.TextChoices):
        B_T = "B-T", _("PAdES B-T (Signatur mit Zeitstempel)")
        B_LTA = "B-LTA", _("PAdES B-LTA (mit Validierungsdaten und Dokumentzeitstempel)")

    name = models.CharField(_("Bezeichnung"), max_length=200)
    url = models.URLField(_("Adresse (URL)"), blank=True)
    local_key = models.FileField(
        _("eigener Zeitstempelschlüssel (PKCS#12)"), upload_to=KEY_FILE_DIR, blank=True, max_length=200,
        help_text=_("Nur für Demo- und Testinstallationen ohne Zeitstempeldienst."),
    )
    level = models.CharField(_("Signaturstufe"), max_length=5, choices=Level.choices, default=Level.B_T)
    is_active = models.BooleanField(_("aktiv"), default=True)
    is_demo = models.BooleanField(_("Demo"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("Zeitstempeldienst")
        verbose_name_plural = _("Zeitstempeldienste")
        ordering = ["-is_active", "name"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True),
                                    name="timestampauthority_one_active"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if bool(self.url) == bool(self.local_key):
            raise ValidationError(_("Geben Sie entweder die Adresse eines Zeitstempeldienstes oder einen eigenen "
                                    "Zeitstempelschlüssel an."))
        if self.local_key:
            super().clean()


class TrustAnchor(TimeStampedModel):
    """A root (or other trusted) certificate that signatures are validated against."""

    name = models.CharField(_("Bezeichnung"), max_length=200)
    certificate = models.TextField(_("Zertifikat (PEM)"), help_text=_("Beginnt mit -----BEGIN CERTIFICATE-----."))
    is_active = models.BooleanField(_("aktiv"), default=True)
    is_demo = models.BooleanField(_("Demo"), default=False)
    subject = models.CharField(_("Inhaber"), max_length=300, blank=True, editable=False)
    sha256_fingerprint = models.CharField(_("SHA-256-Fingerabdruck"), max_length=64, blank=True, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("Vertrauensanker")
        verbose_name_plural = _("Vertrauensanker")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        from agreements.signing.pki import certificate_facts

        try:
            self.subject, self.sha256_fingerprint = certificate_facts(self.certificate)
        except ValueError:
            raise ValidationError({"certificate": _("Das ist kein lesbares Zertifikat im PEM-Format.")}) from None
