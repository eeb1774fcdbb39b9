"""The numbers of goals as people read them: one formatting for pages, PDFs and the Vorlage. Pure: no database.

A goal's values (Referenzwert, Korridor, Zielwert, the Istwert of an assessment) are stored with three decimal
places; they are shown without trailing zeros ("24,800" → "24,8", "26.000" → "26"), with the decimal separator
and the thousands grouping Django uses for the language (django.utils.formats.number_format: grouping only when
settings.USE_THOUSAND_SEPARATOR is on), and with the goal's unit:

- "%": German "25,5 %", with a no-break space (U+00A0) as DIN 5008 asks for and as CLDR writes German
  percentages, so the sign never starts a new line; English "25.5%", without a space.
- any other unit is free text, kept as entered, after a no-break space: "12 Personen", "1,5 Mio. Euro".

A corridor reads "24 bis 26 %" / "24 to 26%" (the unit once, after the upper bound), or "mindestens 24 %" /
"höchstens 26 %" when it has only one bound.

Pages use the active language (the reader's); the PDFs and the Vorlage are German whatever the reader uses
(`language=PAPER_LANGUAGE`). The template filters are in agreements/templatetags/numbers.py; the Vorlage's text
(agreements.text.vorlage, which imports no Django) gets its Zielwerte formatted by services.vorlage_facts.
"""

from contextlib import nullcontext
from decimal import Decimal, InvalidOperation

from django.utils import numberformat, translation
from django.utils.formats import get_format
from django.utils.translation import gettext

from .entries import PAPER_LANGUAGE

NO_BREAK_SPACE = "\u00a0"
PERCENT = "%"
# What stands between a number and "%", by language; every other language as German (DIN 5008, CLDR).
_PERCENT_SPACE = {"en": ""}


def as_decimal(value):
    """A stored value as a finite Decimal, or None: Decimal, int, float or a plain decimal string ("25.5", as
    Fassungen and proposals store them); None for None, "", and anything that is not such a number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, (int, float)):
        number = Decimal(str(value))
    else:
        try:
            number = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            return None
    return number if number.is_finite() else None


def _language(language):
    return (language or translation.get_language() or PAPER_LANGUAGE).lower()


def _digits(number, language):
    """The number without trailing zeros, in the language's separators (Django's format files)."""
    number = number.normalize()
    if number == 0:  # not "-0"
        number = Decimal(0)
    return str(numberformat.format(
        number,
        get_format("DECIMAL_SEPARATOR", language),
        grouping=get_format("NUMBER_GROUPING", language),
        thousand_sep=get_format("THOUSAND_SEPARATOR", language),
        use_l10n=True,
    ))


def with_unit(text, unit, language=None):
    """A formatted number and its unit: "25,5 %" / "25.5%", "12 Personen"."""
    unit = (unit or "").strip()
    if not unit:
        return text
    if unit == PERCENT:
        base = _language(language).split("-")[0]
        return f"{text}{_PERCENT_SPACE.get(base, NO_BREAK_SPACE)}{PERCENT}"
    return f"{text}{NO_BREAK_SPACE}{unit}"


def format_number(value, unit="", *, language=None):
    """A goal's number as shown: "25,5 %" in German, "25.5%" in English (the active language unless `language`
    is given); "" for no value; a stored value that is not a number is shown as it is, without the unit."""
    number = as_decimal(value)
    if number is None:
        return "" if value is None else str(value)
    language = _language(language)
    return with_unit(_digits(number, language), unit, language)


def format_corridor(low, high, unit="", *, language=None):
    """A Korridor: "24 bis 26 %" / "24 to 26%", "mindestens 24 %", "höchstens 26 %"; "" without bounds."""
    has_low, has_high = low is not None and low != "", high is not None and high != ""
    with translation.override(language) if language else nullcontext():
        if has_low and has_high:
            return gettext("%(low)s bis %(high)s") % {
                "low": format_number(low, language=language), "high": format_number(high, unit, language=language)}
        if has_low:
            return gettext("mindestens %(low)s") % {"low": format_number(low, unit, language=language)}
        if has_high:
            return gettext("höchstens %(high)s") % {"high": format_number(high, unit, language=language)}
    return ""
