"""{% load deadlines %}: what a reminder mail names (services.reminders' context is plain data, phrased in the
recipient's language when the mail is rendered)."""

import datetime

from django import template

from ..services import deadlines

register = template.Library()


@register.simple_tag
def deadline_label(kind, title=""):
    """{% deadline_label deadline_kind deadline_title %} → "Unterzeichnung bis" (its title for "sonstige Frist")."""
    if title:
        return title
    if kind in deadlines.DERIVED_LABELS:
        return str(deadlines.DERIVED_LABELS[kind])
    try:
        return str(deadlines.D.Kind(kind).label)
    except ValueError:
        return kind


@register.filter
def iso_day(value):
    """{{ due|iso_day|date:"d.m.Y" }}: a stored ISO date ("2026-06-08") as a date; empty for anything else."""
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return ""
