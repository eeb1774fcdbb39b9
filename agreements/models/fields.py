"""The fields many records declare alike, each defined once: its label, whether it may be empty, what a deletion
does to it. A record states only what is its own (the related name, a label of its own where it has one)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def _optional(optional):
    return {"null": True, "blank": True} if optional else {}


def agreement_link(related_name, *, on_delete=models.CASCADE, optional=False):
    """The agreement a record belongs to (CASCADE for its parts, PROTECT for what documents its history)."""
    return models.ForeignKey(
        "agreements.Agreement", verbose_name=_("Zielvereinbarung"), on_delete=on_delete, related_name=related_name,
        **_optional(optional),
    )


def party_link(related_name, verbose_name=None, *, on_delete=models.PROTECT, optional=False):
    """A Stelle that acts in or is named by a record: kept (PROTECT) while a record names it."""
    return models.ForeignKey(
        "agreements.Party", verbose_name=_("Stelle") if verbose_name is None else verbose_name, on_delete=on_delete,
        related_name=related_name, **_optional(optional),
    )


def user_link(verbose_name):
    """Who did something. SET_NULL keeps the record when the account goes; the history still says who it was."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=verbose_name, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )


def document_link(related_name, verbose_name=None):
    """An uploaded or generated file; optional, and never deleted while a record points at it."""
    return models.ForeignKey(
        "agreements.Document", verbose_name=_("Datei") if verbose_name is None else verbose_name, null=True,
        blank=True, on_delete=models.PROTECT, related_name=related_name,
    )


def committee_link(related_name, *, on_delete=models.PROTECT):
    """The Gremium a membership, a meeting or a consultation belongs to."""
    return models.ForeignKey(
        "agreements.Committee", verbose_name=_("Gremium"), on_delete=on_delete, related_name=related_name
    )


def order_field():
    """The position among the record's siblings, as the user arranged them."""
    return models.PositiveSmallIntegerField(_("Reihenfolge"), default=0)


def measured_value(verbose_name):
    """A value of a § 48a indicator (a rate, a quota, a count): three decimals, empty while not known."""
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=3, null=True, blank=True)
