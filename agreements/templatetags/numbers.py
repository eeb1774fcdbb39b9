"""{% load numbers %}: a goal's numbers as agreements.text.numbers formats them.

`number` and `corridor` use the active language (pages, in the reader's language); `number_de` and `corridor_de`
are German whatever the reader uses (the PDFs).
"""

from django import template

from ..text.numbers import PAPER_LANGUAGE, format_corridor, format_number

register = template.Library()


@register.filter
def number(value, unit=""):
    """{{ goal.target_value|number:goal.unit }} → "25,5 %" (German), "25.5%" (English); "" for no value."""
    return format_number(value, unit)


@register.filter
def number_de(value, unit=""):
    """{{ goal.target_value|number_de:goal.unit }} → "25,5 %", in any language."""
    return format_number(value, unit, language=PAPER_LANGUAGE)


def _bounds(goal):
    if isinstance(goal, dict):
        return goal.get("corridor_low"), goal.get("corridor_high"), goal.get("unit") or ""
    return getattr(goal, "corridor_low", None), getattr(goal, "corridor_high", None), getattr(goal, "unit", "") or ""


@register.filter
def corridor(goal):
    """{{ goal|corridor }} → "24 bis 26 %" / "24 to 26%"; "" when the goal has no corridor."""
    return format_corridor(*_bounds(goal))


@register.filter
def corridor_de(goal):
    """{{ goal|corridor_de }} → "24 bis 26 %", in any language."""
    return format_corridor(*_bounds(goal), language=PAPER_LANGUAGE)
