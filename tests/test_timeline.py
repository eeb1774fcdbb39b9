import datetime
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import translation

from agreements import models as m
from agreements.infra.errors import DomainError
from agreements.services import negotiation as svc
from agreements.services.base import record_step
from agreements.services.negotiation import format_step_date

from . import builders_tabs as tabs
from .builders_queries import assert_fixed_queries
from .factories import ROLES

pytestmark = pytest.mark.django_db


tab_url = tabs.agreement_url("agreement_timeline")
add_url = tabs.agreement_url("step_add")
edit_url = tabs.agreement_url("step_edit", lambda world: world.step)


def step_data(world, **extra):
    data = {"date": "2011-12-16", "date_precision": "tag", "kind": "gespraech", "title": "Zielsteuerungsgespräch",
            "description": "Mögliche Inhalte abgeklärt", "participants": [world.ministry.pk, world.county.pk],
            "participants_note": "Fachbereich 50"}
    data.update(extra)
    return data


def edit_data(world, **extra):
    world.step.refresh_from_db()
    return step_data(world, lock_version=world.step.lock_version, **extra)


# Permissions ---------------------------------------------------------------------------------------------------

test_it_shows_the_tab_per_role = tabs.shows_the_tab_per_role(tab_url)


@pytest.mark.parametrize("role", ROLES)
def test_it_protects_step_add_per_role(world, login, role):
    tabs.assert_form_per_role(login(getattr(world.users, role)), role, add_url(world), step_data(world, title="Neu"))
    assert m.ProcedureStep.objects.filter(title="Neu").exists() == (role in ("editor", "ministry"))


@pytest.mark.parametrize("role", ROLES)
def test_it_protects_step_edit_per_role(world, login, role):
    tabs.assert_form_per_role(login(getattr(world.users, role)), role, edit_url(world),
                              edit_data(world, title="Geändert"))
    world.step.refresh_from_db()
    assert (world.step.title == "Geändert") == (role in ("editor", "ministry"))


def test_it_hides_a_step_of_another_agreement(world, login):
    other = m.ProcedureStep.objects.create(agreement=world.other_agreement, date=world.step.date, title="Fremd")
    url = reverse("step_edit", args=[world.agreement.pk, other.pk])
    assert login(world.users.editor).get(url).status_code == 404


# Date formatting -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("precision", "date", "end", "expected"), [
    ("tag", datetime.date(2011, 12, 16), None, "16.12.2011"),
    ("monat", datetime.date(2011, 11, 3), None, "November 2011"),
    ("halbjahr", datetime.date(2011, 9, 1), None, "2. Halbjahr 2011"),
    ("halbjahr", datetime.date(2012, 6, 30), None, "1. Halbjahr 2012"),
    ("jahr", datetime.date(2012, 1, 1), None, "2012"),
    ("tag", datetime.date(2012, 1, 10), datetime.date(2012, 1, 12), "10.01.2012 – 12.01.2012"),
    ("monat", datetime.date(2011, 12, 1), datetime.date(2012, 1, 31), "Dezember 2011 – Januar 2012"),
    ("monat", datetime.date(2011, 11, 1), datetime.date(2011, 11, 30), "November 2011"),
])
def test_it_formats_the_date_as_precise_as_known(precision, date, end, expected):
    step = SimpleNamespace(date=date, end_date=end, date_precision=precision)
    with translation.override("de"):
        assert format_step_date(step) == expected


def test_it_formats_month_names_in_english_too():
    step = SimpleNamespace(date=datetime.date(2011, 12, 1), end_date=None, date_precision="monat")
    with translation.override("en"):
        assert format_step_date(step) == "December 2011"


def test_it_lists_the_steps_in_date_order_with_their_dates(world, login):
    a = world.agreement
    m.ProcedureStep.objects.create(agreement=a, date=datetime.date(2012, 1, 1), date_precision="jahr",
                                   title="Unterzeichnung im Jahr")
    m.ProcedureStep.objects.create(agreement=a, date=datetime.date(2011, 11, 1), date_precision="monat",
                                   kind="referenzwerte", title="Referenzwerte mitgeteilt")
    m.ProcedureStep.objects.create(agreement=a, date=datetime.date(2011, 7, 1), date_precision="halbjahr",
                                   title="Zielsteuerungsgespräche landesweit")
    # Same date as world.step (16.12.2012), created later: it comes after it.
    m.ProcedureStep.objects.create(agreement=a, kind="status", title="Status geändert", date=world.step.date,
                                   automatic=True)
    body = login(world.users.reader).get(tab_url(world)).content.decode()
    order = ["2. Halbjahr 2011", "November 2011", "2012</td>", "16.12.2012", "Status geändert"]
    positions = [body.index(text) for text in order]
    assert positions == sorted(positions)
    assert body.index("Zielsteuerungsgespräch<") < body.index("Status geändert")


def test_it_shows_participants_links_and_whether_a_step_was_automatic(world, login):
    world.step.participants.set([world.ministry, world.county])
    world.step.participants_note = "Jobcenter ME-aktiv (Gast)"
    world.step.save()
    record_step(world.agreement, kind="entwurf_uebersandt", action="version.sent", version=world.version,
                letter=world.letter, data={"number": 1, "author": "Kreis Mettmann", "title": world.agreement.title,
                                           "recipients": ["MAIS NRW"], "note": ""})
    body = login(world.users.editor).get(tab_url(world)).content.decode()
    assert ('<abbr title="Kreis Mettmann">ME</abbr>, <abbr title="Ministerium für Arbeit, Integration und Soziales">'
            'MAIS NRW</abbr>; Jobcenter ME-aktiv (Gast)') in body
    assert "automatisch" in body and "von Hand" in body
    assert "Fassung 1" in body and "Schreiben vom 29.03.2013: Übernahme der Vorschläge" in body
    assert edit_url(world) in body
    automatic = world.agreement.steps.get(automatic=True)
    assert edit_url(world, automatic) not in body


def test_it_hides_write_buttons_from_readers(world, login):
    body = login(world.users.reader).get(tab_url(world)).content.decode()
    assert add_url(world) not in body and edit_url(world) not in body


# Adding and editing --------------------------------------------------------------------------------------------

def test_it_records_a_meeting_with_participants(world, login):
    response = login(world.users.editor).post(add_url(world), step_data(world, title="Gespräch beim MAIS",
                                                                         end_date="2011-12-17"))
    assert response.status_code == 302
    step = m.ProcedureStep.objects.get(title="Gespräch beim MAIS")
    assert not step.automatic and step.actor == world.users.editor
    assert set(step.participants.all()) == {world.ministry, world.county}
    assert (step.kind, step.end_date, step.participants_note) == ("gespraech", datetime.date(2011, 12, 17),
                                                                  "Fachbereich 50")


def test_it_adds_steps_after_signing(world, login):
    world.agreement.status = m.Agreement.Status.SIGNED
    world.agreement.save()
    response = login(world.users.editor).post(add_url(world), step_data(world, kind="auswertung",
                                                                         title="Auswertung"))
    assert response.status_code == 302
    assert m.ProcedureStep.objects.filter(title="Auswertung").exists()


def test_it_edits_a_manual_step(world, login):
    response = login(world.users.ministry).post(edit_url(world), edit_data(
        world, date="2011-12-01", date_precision="monat", participants=[world.liga.pk]))
    assert response.status_code == 302
    world.step.refresh_from_db()
    assert (world.step.date_precision, world.step.title) == ("monat", "Zielsteuerungsgespräch")
    assert list(world.step.participants.all()) == [world.liga]


def test_it_prefills_the_edit_form(world, login):
    world.step.participants.set([world.county])
    form = login(world.users.editor).get(edit_url(world)).context["form"]
    assert 'value="2012-12-16"' in str(form["date"])
    assert form.initial["participants"] == [world.county]
    assert form.initial["kind"] == "gespraech"


def test_it_refuses_to_edit_an_automatic_step(world, login):
    step = record_step(world.agreement, kind="status", action="agreement.created", data={"user": "Erika Muster"})
    client = login(world.users.editor)
    assert client.get(edit_url(world, step)).status_code == 403
    data = step_data(world, lock_version=step.lock_version)
    assert client.post(edit_url(world, step), data).status_code == 403
    step.refresh_from_db()
    assert step.display_title == "Entwurf angelegt"


def test_it_shows_a_conflict_when_the_step_changed_meanwhile(world, login):
    tabs.assert_conflict(login(world.users.editor), edit_url(world), lambda **changes: edit_data(world, **changes),
                         world.step, "title")


@pytest.mark.parametrize("change", [
    {"title": ""},
    {"title": "x" * 301},
    {"date": ""},
    {"date": "2011-02-30"},
    {"date": "16.12.2011x"},
    {"end_date": "2011-12-01"},
    {"date_precision": "woche"},
    {"kind": ""},
    {"kind": "unterzeichnung"},
    {"kind": "vorschlag_entschieden"},
    {"participants": ["999999"]},
    {"participants_note": "x" * 301},
    {"description": "x" * 20001},
])
def test_it_refuses_bad_steps(world, login, change):
    client = login(world.users.editor)
    tabs.assert_refused_input(client, add_url(world), step_data(world, **change), m.ProcedureStep)
    tabs.assert_refused_input(client, edit_url(world), edit_data(world, **change), m.ProcedureStep)
    world.step.refresh_from_db()
    assert (world.step.date, world.step.kind) == (datetime.date(2012, 12, 16), "gespraech")


def test_it_refuses_an_empty_post(world, login):
    tabs.assert_refused_input(login(world.users.editor), add_url(world), {}, m.ProcedureStep)


def test_it_stores_markup_as_text_and_shows_it_escaped(world, login):
    markup = tabs.MARKUP
    tabs.assert_stores_markup_as_text(login(world.users.editor), add_url(world),
                                      step_data(world, title=markup, description=markup, participants_note=markup),
                                      m.ProcedureStep.objects.filter(title=markup, description=markup), tab_url(world))


# Queries -------------------------------------------------------------------------------------------------------

def make_steps(world, total):
    for i in range(total - world.agreement.steps.count()):
        if i % 2:  # recorded by the system: a typed entry, phrased when read
            record_step(world.agreement, kind="entwurf_uebersandt", action="version.sent", version=world.version,
                        letter=world.letter, participants=[world.ministry, world.county],
                        data={"number": i, "author": "Kreis Mettmann", "title": "ZV", "recipients": ["MAIS NRW"],
                              "note": f"Schritt {i}"})
        else:
            step = m.ProcedureStep.objects.create(
                agreement=world.agreement, date=world.step.date, kind="entwurf_uebersandt", title=f"Schritt {i}",
                version=world.version, letter=world.letter)
            step.participants.set([world.ministry, world.county])


def test_it_shows_the_tab_with_a_fixed_number_of_queries(world, login):
    client = login(world.users.editor)
    assert_fixed_queries(client, tab_url(world), lambda total: make_steps(world, total), most=12)


def test_it_refuses_system_kinds_and_automatic_steps_in_the_service_too(world):
    data = {"date": datetime.date(2012, 1, 1), "date_precision": "tag", "kind": "unterzeichnung", "title": "x"}
    with pytest.raises(DomainError):
        svc.create_step(user=world.users.editor, agreement=world.agreement, data=data)
    step = record_step(world.agreement, kind="status", action="agreement.created", data={"user": "Erika Muster"})
    with pytest.raises(DomainError):
        svc.update_step(user=world.users.editor, step=step, data=dict(data, kind="gespraech"),
                        lock_version=step.lock_version)
    step.refresh_from_db()
    assert step.display_title == "Entwurf angelegt" and not m.ProcedureStep.objects.filter(title="x").exists()
