from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """created/modified on every record: OParl needs both, and so does anyone reading the file years later."""

    created = models.DateTimeField(_("angelegt"), auto_now_add=True)
    modified = models.DateTimeField(_("geändert"), auto_now=True, db_index=True)

    class Meta:
        abstract = True


class LockVersionModel(models.Model):
    """Optimistic locking, the one way for every record a form edits: a save names the version its form was opened
    with, and services.base.save_locked refuses it with a conflict when somebody saved in between.

    Each save through save_locked, and each change in the admin, counts the version up; a move (order only) does
    not, as it does not touch what an open form changes.
    """

    lock_version = models.PositiveIntegerField(_("Bearbeitungsstand"), default=1, editable=False)

    class Meta:
        abstract = True
