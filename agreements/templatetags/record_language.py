"""{% load record_language %}: quoted record content marked as German on a page in another language.

What users wrote (titles, headings, texts, reasons, notes, subjects), the Vorlage's text and the snapshots of the
Fassungen are German records whatever language the reader chose: they are shown as written, never translated. On
a page in another language each such part carries lang="de" (WCAG 3.1.2 Language of Parts; agreements/text/parts.py):
a screen reader speaks it as German, and the browser tests' check for German interface strings
(tests/e2e/language.py) leaves it out. Interface strings (labels, headings, choices, the sentences phrased from typed
timeline entries) are never marked. Names of parties and people are proper names and stay unmarked (WCAG 3.1.2
exempts them). On a German page nothing is added.

- `<h4{% record_lang %}>{{ section.heading }}</h4>`: the attribute, on an element that holds only record content;
  `{% record_lang step.text_language %}` for content whose language the record decides (None: the reader's).
- `{{ agreement.title|record }}`: inline, as `<span lang="de">…</span>` (escaped), in a sentence, a link or the
  hidden part of a button's name. Empty values stay empty (so `|record|default:"–"` works).
- `<span class="visually-hidden"{% interface_lang %}>bisher:</span>`: interface words inside German record content
  are in the page's language again.
"""

from django import template
from django.utils.html import format_html

from ..text.parts import RECORD_LANGUAGE, interface_lang_code, quoted, record_lang_code

register = template.Library()


@register.simple_tag
def record_lang(language=RECORD_LANGUAGE):
    """` lang="de"` on a page in another language, else nothing."""
    code = record_lang_code(language)
    return format_html(' lang="{}"', code) if code else ""


@register.filter(needs_autoescape=True)
def record(value, autoescape=True):
    """The value as quoted record content: `<span lang="de">…</span>` on a page in another language."""
    if value is None or value == "":
        return value
    if not autoescape and not record_lang_code():
        return value
    return quoted(value)


@register.simple_tag
def interface_lang():
    """` lang="en"` (the page's language) on interface words inside record content marked German, on a page in
    another language; else nothing."""
    code = interface_lang_code()
    return format_html(' lang="{}"', code) if code else ""
