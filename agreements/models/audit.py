"""The audit log: who did what, when, from where. Append-only; written by the receivers in agreements.infra.audit."""

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .agreements import ImmutableRecordError


class AuditEntryQuerySet(models.QuerySet):
    # Bulk writes would bypass save()/delete(): refuse them too, so no code path rewrites the record.
    def update(self, **kwargs):
        raise ImmutableRecordError(_("Einträge des Protokolls können nicht geändert werden."))

    def delete(self):
        raise ImmutableRecordError(_("Einträge des Protokolls können nicht gelöscht werden."))


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        LOGIN = "login", _("Anmeldung")
        LOGIN_FAILED = "login_failed", _("Anmeldung fehlgeschlagen")
        LOCKED_OUT = "locked_out", _("Anmeldung gesperrt")
        LOGOUT = "logout", _("Abmeldung")
        CREATE = "create", _("angelegt")
        UPDATE = "update", _("geändert")
        DELETE = "delete", _("gelöscht")

    time = models.DateTimeField(_("Zeitpunkt"), default=timezone.now, db_index=True)
    # SET_NULL keeps the entry when the account goes; the username snapshot still says who it was.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Benutzer"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField(_("Benutzername"), max_length=150, blank=True, db_index=True)
    action = models.CharField(_("Aktion"), max_length=20, choices=Action.choices, db_index=True)
    # "app_label.model_name" rather than a ContentType key: the entry outlives a model that is removed later.
    object_type = models.CharField(_("Objekttyp"), max_length=100, blank=True, db_index=True)
    object_id = models.CharField(_("Objekt-ID"), max_length=64, blank=True)
    object_repr = models.CharField(_("Objekt"), max_length=300, blank=True)
    changes = models.JSONField(_("Änderungen"), default=dict, blank=True,
                               help_text=_("Feld: [alter Wert, neuer Wert]"))
    ip_address = models.GenericIPAddressField(_("IP-Adresse"), null=True, blank=True)
    path = models.CharField(_("Pfad"), max_length=500, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("Protokolleintrag")
        verbose_name_plural = _("Protokoll")
        ordering = ["-time", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self):
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.action} {self.object_repr}".strip()

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableRecordError(_("Einträge des Protokolls können nicht geändert werden."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError(_("Einträge des Protokolls können nicht gelöscht werden."))

    @property
    def object_type_label(self):
        """The model's German name; the stored label when the model no longer exists."""
        if not self.object_type:
            return ""
        try:
            return apps.get_model(self.object_type)._meta.verbose_name
        except (LookupError, ValueError):
            return self.object_type
