"""Forms with crispy FormHelper layouts, one module per area. Validation that needs the database lives in the
services."""

from .agreements import AgreementFilterForm, AgreementForm, SectionForm
from .base import LockedForm, helper

__all__ = ["AgreementFilterForm", "AgreementForm", "LockedForm", "SectionForm", "helper"]
