from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


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


def locked_history():
    """The history of a LockVersionModel: the version counter is the lock's bookkeeping, not a change to record."""
    return HistoricalRecords(excluded_fields=["lock_version"])


def stored_row(obj):
    """The record as the database holds it now; None while it is not saved yet."""
    if obj._state.adding or obj.pk is None:
        return None
    return type(obj).objects.filter(pk=obj.pk).first()


def changed_fields(obj, stored, mutable):
    """What a save of `obj` would change in the `stored` row, leaving out the fields in `mutable`: the one
    comparison behind every record that is frozen once signed or released."""
    return [
        f.attname for f in obj._meta.concrete_fields
        if f.attname not in mutable and getattr(stored, f.attname) != getattr(obj, f.attname)
    ]
