import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import TimeStampedModel
from .fields import agreement_link, user_link


def document_upload_to(instance, filename):
    # Generated name: the user's filename never reaches the file system (kept in original_filename instead).
    return f"documents/{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}.bin"


class Document(TimeStampedModel):
    class Kind(models.TextChoices):
        AGREEMENT = "zielvereinbarung", _("Zielvereinbarung")
        ANNEX = "anlage", _("Anlage")
        LETTER = "schreiben", _("Schreiben")
        STATEMENT = "stellungnahme", _("Stellungnahme")
        VORLAGE = "vorlage", _("Vorlage")
        BUNDLE = "gesamtdokument", _("Gesamtdokument")
        MINUTES = "protokoll", _("Protokoll")
        OTHER = "sonstiges", _("Sonstiges")

    title = models.CharField(_("Titel"), max_length=300)
    kind = models.CharField(_("Art"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    file = models.FileField(_("Datei"), upload_to=document_upload_to, max_length=200)
    original_filename = models.CharField(_("ursprünglicher Dateiname"), max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("Größe (Bytes)"))
    content_type = models.CharField(_("Dateityp"), max_length=100)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    is_pdfa = models.BooleanField(_("PDF/A"), default=False)
    is_signed = models.BooleanField(
        _("elektronisch signiert"), default=False,
        help_text=_("Trägt PAdES-Signaturen; jeder Abruf prüft sie."),
    )
    extracted_text = models.TextField(
        _("extrahierter Text"), blank=True, editable=False,
        help_text=_("Beim Hochladen aus PDF-Dateien gelesen; für die Volltextsuche."),
    )
    agreement = agreement_link("documents", on_delete=models.PROTECT, optional=True)
    uploaded_by = user_link(_("hochgeladen von"))

    class Meta:
        verbose_name = _("Dokument")
        verbose_name_plural = _("Dokumente")
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(condition=models.Q(sha256__regex=r"^[0-9a-f]{64}$"), name="document_sha256_hex"),
        ]

    def __str__(self):
        return self.title

    @property
    def uploaded_at(self):
        return self.created


class CachedPdf(models.Model):
    """A PDF in the input-hash cache (agreements/pdf/cache.py). The file on disk is handed out only while it has
    the checksum recorded here when it was written: a replaced cache file must not reach any reader."""

    key = models.CharField(_("Schlüssel"), max_length=64, primary_key=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("Größe (Bytes)"))
    written = models.DateTimeField(_("geschrieben"), auto_now=True)

    class Meta:
        verbose_name = _("zwischengespeichertes PDF")
        verbose_name_plural = _("zwischengespeicherte PDFs")
        constraints = [
            models.CheckConstraint(condition=models.Q(sha256__regex=r"^[0-9a-f]{64}$"), name="cachedpdf_sha256_hex"),
        ]

    def __str__(self):
        return self.key
