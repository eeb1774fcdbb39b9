"""{% load notification_mail %}: what the mail templates phrase from a notice's stored data.

- `{% timeline_entry action data as entry %}`: the recorded step (agreements.text.entries) phrased in the mail's
  language, entry.title and entry.description as plain text; `{% timeline_entry action data html=True as entry %}`
  as HTML, the quoted record content marked lang="de" in a mail in another language.
- `{{ "2026-06-09"|mail_day }}`: a stored ISO date as the mail language's short date (09.06.2026, 09/06/2026).
"""

from types import SimpleNamespace

from django import template

from agreements.text import entries

register = template.Library()


@register.simple_tag
def timeline_entry(action, data, html=False):
    phrased = (entries.render_html if html else entries.render)(action, data or {})
    title, description = phrased if phrased is not None else ("", "")
    return SimpleNamespace(title=title, description=description)


@register.filter
def mail_day(value):
    return entries.day(value)
