"""Dates on the pages follow the reader's locale (German 14.05.2013, English 14/05/2013, zielsteuerung/formats/en):
the meetings named in the Vorlagen list, on the start page and in "Meine Sitzungsunterlagen", and the dates of the
agreement's procedure page, its typed entries included. The papers (Vorlage PDF, Vorlage text) stay German."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from agreements import models as m
from agreements.pdf.vorlage import render_vorlage
from agreements.services.base import record_step
from agreements.text import entries

from .builders_files import assert_contains, pdf_text
from .vorlage_builders import S, make_vorlage, vorlage_world

SHORT = {"de": "%d.%m.%Y", "en": "%d/%m/%Y"}
OTHER = {"de": "en", "en": "de"}
BEFORE = {"de": ", {time} Uhr", "en": ", {time}"}


@pytest.fixture
def vw(world):
    return vorlage_world(world)


def page(login, user, url, language):
    client = login(user)
    client.cookies["django_language"] = language
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def meeting_day(vw):
    return timezone.localtime(vw.meeting.start)


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_vorlagen_list_names_meetings_in_the_readers_date_format(vw, login, language):
    vorlage = make_vorlage(vw, status=S.RELEASED)
    day = meeting_day(vw)
    body = page(login, vw.users.editor, reverse("vorlage_list"), language)
    assert vorlage.reference in body
    assert f"Sozialausschuss, {day:{SHORT[language]}}" in body
    assert f"Sozialausschuss, {day:{SHORT[OTHER[language]]}}" not in body
    assert f"{vorlage.date:{SHORT[language]}}" in body


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_start_page_and_the_meeting_papers_name_meetings_in_the_readers_date_format(vw, login, language):
    make_vorlage(vw, status=S.RELEASED)
    day = meeting_day(vw)
    label = f"Sozialausschuss, {day:{SHORT[language]}}" + BEFORE[language].format(time=f"{day:%H:%M}")
    for url in (reverse("dashboard"), reverse("vorlage_meetings")):
        body = page(login, vw.users.committee, url, language)
        assert label in body, url
        assert f"{day:{SHORT[OTHER[language]]}}" not in body, url


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_procedure_page_writes_exact_dates_in_the_readers_format(world, login, language):
    agreement = world.agreement
    m.ProcedureStep.objects.create(agreement=agreement, date=datetime.date(2011, 12, 16), date_precision="tag",
                                   kind="gespraech", title="Zielsteuerungsgespräch")
    m.ProcedureStep.objects.create(agreement=agreement, date=datetime.date(2011, 11, 3), date_precision="monat",
                                   kind="referenzwerte", title="Referenzwerte mitgeteilt")
    record_step(agreement, kind=m.ProcedureStep.Kind.SIGNATURE, action="signature.made",
                date=datetime.date(2013, 5, 14),
                data={"party": "Kreis Mettmann", "name": "Thomas Hendele", "function": "Landrat",
                      "date": datetime.date(2013, 5, 14), "place": "Mettmann"})
    body = page(login, world.users.editor, reverse("agreement_timeline", args=[agreement.pk]), language)
    short = SHORT[language]
    for day in (datetime.date(2011, 12, 16), datetime.date(2013, 5, 14)):
        assert f"{day:{short}}" in body
        assert f"{day:{SHORT[OTHER[language]]}}" not in body
    # The typed entry's sentence carries the date in the reader's format too.
    signed_on = {"de": "am 14.05.2013 in", "en": "14/05/2013"}[language]
    assert signed_on in body
    assert {"de": "November 2011", "en": "November 2011"}[language] in body


def test_typed_entries_phrase_their_dates_in_the_language_asked_for():
    data = {"party": "Kreis Mettmann", "name": "Thomas Hendele", "function": "Landrat", "date": "2013-05-14",
            "place": "Mettmann"}
    assert "am 14.05.2013 in Mettmann" in entries.render("signature.made", data, entries.PAPER_LANGUAGE)[1]
    assert "14/05/2013" in entries.render("signature.made", data, "en")[1]
    with translation.override("en"):
        # The paper asks for German whatever the reader's language.
        assert "14.05.2013" in entries.render("signature.made", data, entries.PAPER_LANGUAGE)[1]
        assert entries.day("2013-05-14") == "14/05/2013"


def test_the_vorlage_pdf_stays_german_for_an_english_reader(vw, settings):
    vorlage = make_vorlage(vw, anlagen=0)
    day = meeting_day(vw)
    with translation.override("en"):
        text = pdf_text(render_vorlage(vorlage, use_cache=False).content)
    assert_contains(text, f"Datum: {vorlage.date:%d.%m.%Y}")
    assert_contains(text, f"Sozialausschuss {day:%d.%m.%Y}")
    assert f"{day:%d/%m/%Y}" not in text and f"{vorlage.date:%d/%m/%Y}" not in text
