"""agreements.text.numbers: one formatting of a goal's numbers for pages (the reader's language), PDFs and the
Vorlage (German), and its template filters. The places that use it are tested in their areas (test_goals,
test_history, test_lifecycle, test_vorlage_draft, test_redline, test_proposal_changes)."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.utils import translation
from django.utils.formats import number_format

from agreements.text.numbers import as_decimal, format_corridor, format_number

NBSP = "\u00a0"
D = Decimal


@pytest.mark.parametrize("value, unit, german, english", [
    # Stored with three decimal places, shown without the trailing zeros.
    (D("25.500"), "%", f"25,5{NBSP}%", "25.5%"),
    (D("24.800"), "%", f"24,8{NBSP}%", "24.8%"),
    (D("13.750"), "%", f"13,75{NBSP}%", "13.75%"),
    (D("0.001"), "%", f"0,001{NBSP}%", "0.001%"),
    # Integers: no separator, and never an exponent (Decimal("100").normalize() is 1E+2).
    (D("26.000"), "", "26", "26"),
    (D("100.000"), "%", f"100{NBSP}%", "100%"),
    (26, "%", f"26{NBSP}%", "26%"),
    (D("0.000"), "", "0", "0"),
    (D("-0.000"), "%", f"0{NBSP}%", "0%"),
    # Negative numbers (a change of the KdU, K1E1).
    (D("-1.500"), "%", f"-1,5{NBSP}%", "-1.5%"),
    (D("-12"), "", "-12", "-12"),
    # Large numbers: no grouping, as Django's number_format while USE_THOUSAND_SEPARATOR is off.
    (D("1234.5"), "", "1234,5", "1234.5"),
    (D("12345678901.125"), "Euro", f"12345678901,125{NBSP}Euro", f"12345678901.125{NBSP}Euro"),
    # Other units are free text, kept as entered, after a no-break space in both languages.
    (D("12"), "Personen", f"12{NBSP}Personen", f"12{NBSP}Personen"),
    (D("1.5"), "Mio. Euro", f"1,5{NBSP}Mio. Euro", f"1.5{NBSP}Mio. Euro"),
    (D("25.5"), " % ", f"25,5{NBSP}%", "25.5%"),
    # As Fassungen and proposals store them: plain decimal strings; floats too.
    ("25.5", "%", f"25,5{NBSP}%", "25.5%"),
    ("22.10", "", "22,1", "22.1"),
    (0.1, "", "0,1", "0.1"),
    # Nothing: nothing; not a number: as stored, without the unit.
    (None, "%", "", ""),
    ("", "%", "", ""),
    ("viel", "%", "viel", "viel"),
    ("NaN", "%", "NaN", "NaN"),
])
def test_it_formats_a_number_in_german_and_english(value, unit, german, english):
    assert format_number(value, unit, language="de") == german
    assert format_number(value, unit, language="en") == english
    with translation.override("de"):
        assert format_number(value, unit) == german
    with translation.override("en"):
        assert format_number(value, unit) == english


@pytest.mark.parametrize("value", [D("1234567.250"), D("-1234.5"), D("999.000"), D("0.125"), D("12345")])
@pytest.mark.parametrize("grouping", [False, True])
def test_it_writes_the_digits_as_djangos_number_format_does(value, grouping):
    with override_settings(USE_THOUSAND_SEPARATOR=grouping):
        for language in ("de", "en"):
            with translation.override(language):
                assert format_number(value) == number_format(value.normalize(), use_l10n=True)


@override_settings(USE_THOUSAND_SEPARATOR=True)
def test_it_groups_thousands_when_the_app_does():
    assert format_number(D("1234.500"), "%", language="de") == f"1.234,5{NBSP}%"
    assert format_number(D("1234.500"), "%", language="en") == "1,234.5%"
    assert format_number(D("-1234567"), "", language="de") == "-1.234.567"


def test_the_german_variant_is_german_whatever_the_reader_reads():
    with translation.override("en"):
        assert format_number(D("25.200"), "%", language="de") == f"25,2{NBSP}%"
        assert format_corridor(D("24"), D("26"), "%", language="de") == f"24 bis 26{NBSP}%"
        assert translation.get_language() == "en"


@pytest.mark.parametrize("low, high, unit, german, english", [
    (D("24.000"), D("26.000"), "%", f"24 bis 26{NBSP}%", "24 to 26%"),
    (D("23.500"), D("25.250"), "%", f"23,5 bis 25,25{NBSP}%", "23.5 to 25.25%"),
    (D("100"), D("250"), "Personen", f"100 bis 250{NBSP}Personen", f"100 to 250{NBSP}Personen"),
    (D("-2"), D("1.5"), "", "-2 bis 1,5", "-2 to 1.5"),
    (D("24"), None, "%", f"mindestens 24{NBSP}%", "at least 24%"),
    (None, D("26"), "%", f"höchstens 26{NBSP}%", "at most 26%"),
    ("24.8", "26", "%", f"24,8 bis 26{NBSP}%", "24.8 to 26%"),
    (None, None, "%", "", ""),
])
def test_it_formats_a_corridor(low, high, unit, german, english):
    assert format_corridor(low, high, unit, language="de") == german
    with translation.override("en"):
        assert format_corridor(low, high, unit) == english


def test_it_reads_stored_values_as_decimals():
    assert as_decimal(D("25.500")) == D("25.5") and as_decimal("25.5") == D("25.5") and as_decimal(3) == D(3)
    assert as_decimal(None) is None and as_decimal("") is None and as_decimal("viel") is None
    assert as_decimal("Infinity") is None and as_decimal(True) is None


def render(source, **context):
    return Template("{% load numbers %}" + source).render(Context(context))


def test_the_filters_use_the_active_language_or_german():
    goal = {"corridor_low": D("24.000"), "corridor_high": D("26.000"), "target_value": D("25.200"), "unit": "%"}
    source = ("{{ goal.target_value|number:goal.unit }}|{{ goal|corridor }}|{{ goal.target_value|number_de:goal.unit }}"
              "|{{ goal|corridor_de }}|{{ missing|number:'%' }}|{{ goal.target_value|number }}")
    with translation.override("de"):
        assert render(source, goal=goal) == f"25,2{NBSP}%|24 bis 26{NBSP}%|25,2{NBSP}%|24 bis 26{NBSP}%||25,2"
    with translation.override("en"):
        assert render(source, goal=goal) == f"25.2%|24 to 26%|25,2{NBSP}%|24 bis 26{NBSP}%||25.2"


def test_the_corridor_filter_reads_a_model_instance_too():
    from agreements import models as m

    goal = m.Goal(corridor_low=D("24.000"), corridor_high=None, unit="%")
    with translation.override("de"):
        assert render("{{ goal|corridor }}", goal=goal) == f"mindestens 24{NBSP}%"
        assert render("{{ goal|corridor }}", goal=m.Goal()) == ""
