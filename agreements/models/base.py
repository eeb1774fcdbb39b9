from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """created/modified on every record: OParl needs both, and so does anyone reading the file years later."""

    created = models.DateTimeField(_("angelegt"), auto_now_add=True)
    modified = models.DateTimeField(_("geändert"), auto_now=True, db_index=True)

    class Meta:
        abstract = True


class LockVersionModel(models.Model):
    """Optimistic locking: a save must name the version it was based on (see services.base.update_locked)."""

    lock_version = models.PositiveIntegerField(_("Bearbeitungsstand"), default=1, editable=False)

    class Meta:
        abstract = True
