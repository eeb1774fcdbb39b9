from django import template

from ..services.negotiation import format_step_date

register = template.Library()


@register.filter
def step_date(step):
    """{{ step|step_date }}: the step's date as precise as it is known ("November 2011")."""
    return format_step_date(step)
