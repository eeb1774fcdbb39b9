from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class ArchivedUserName(models.Model):
    """Who did something, as an imported archive names them: a user name of the source system, kept as text.

    An archive's user names belong to another installation: "admin" there is not "admin" here. They are bound to a
    local account only when the operator maps them explicitly (``import_agreement --map-user``); otherwise the
    record's user field stays empty and the name is kept here, so that nothing is attributed to a local account
    and a later export still carries the name.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, verbose_name=_("Art des Eintrags"))
    object_id = models.PositiveBigIntegerField(_("Nummer des Eintrags"))
    field = models.CharField(_("Feld"), max_length=40)
    name = models.CharField(_("Name laut Archiv"), max_length=150)

    class Meta:
        verbose_name = _("Benutzername aus einem Archiv")
        verbose_name_plural = _("Benutzernamen aus Archiven")
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id", "field"], name="archived_user_name_unique"),
        ]

    def __str__(self):
        return self.name
