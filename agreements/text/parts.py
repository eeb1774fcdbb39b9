"""The language of parts of a page (WCAG 3.1.2): the records are German whatever language the reader chose.

On a page in another language, quoted record content carries lang="de" (templatetags/record_language.py), and
interface words placed inside such content (the hidden "eingefügt:"/"gelöscht:" of a redline) carry the page's
language again. On a German page nothing is marked.
"""

from django.conf import settings
from django.utils import translation
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from .entries import PAPER_LANGUAGE

# The language of everything filed (agreements.text.entries): what users wrote, the Vorlage, the snapshots.
RECORD_LANGUAGE = PAPER_LANGUAGE


def _primary(code):
    return (code or "").split("-")[0].lower()


def page_language():
    return translation.get_language() or settings.LANGUAGE_CODE


def record_lang_code(language=RECORD_LANGUAGE):
    """The code for lang="…" on content in `language`, or None when the page is in that language anyway (or the
    content is in the reader's language: `language` None)."""
    if not language or _primary(language) == _primary(page_language()):
        return None
    return language


def interface_lang_code():
    """The page's language for lang="…" on interface words inside record content, or None on a page in the record
    language (nothing to mark there)."""
    language = page_language()
    return None if _primary(language) == _primary(RECORD_LANGUAGE) else language


def quoted(value):
    """`value` escaped as quoted record content: in <span lang="de"> on a page in another language."""
    text = conditional_escape(value)
    code = record_lang_code()
    return format_html('<span lang="{}">{}</span>', code, text) if code else text


def sentence(template, **values):
    """`template` % values as HTML, the template escaped and each value already HTML (quoted(), escape())."""
    return mark_safe(conditional_escape(str(template)) % values)
