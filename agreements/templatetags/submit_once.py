from django import template
from django.utils.html import format_html

from ..forms.base import SUBMISSION_FIELD, new_submission_token

register = template.Library()


@register.simple_tag
def submission_token():
    """{% submission_token %} inside a button's form that creates a record (Nachtrag anlegen, …): the single-use
    token forms.base.submit_once gives a create form, for views.base.once_button."""
    return format_html('<input type="hidden" name="{}" value="{}">', SUBMISSION_FIELD, new_submission_token())
