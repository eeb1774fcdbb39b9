"""Versions (Fassungen): sending drafts, the versions tab, one version, the redline between two."""

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from agreements import models as m
from agreements.infra.errors import DomainError
from agreements.services import versions as svc

from . import sqlite_race
from .builders_confirm import confirmed
from .builders_queries import assert_fixed_queries
from .builders_writes import assert_sent_back_to, pass_pen, pen_refusal
from .factories import ROLES, aware

READERS = ("reader", "editor", "ministry", "admin")
WRITERS = ("editor", "ministry")
PEN_HOLDER = "editor"  # the county is "am Zug" in the world: only its editors send the next Fassung
HIDDEN = ("outsider", "committee")
REFUSED_WRITE = {"outsider": 404, "committee": 404, "reader": 403, "admin": 403}


def _read_urls(world):
    pk = world.agreement.pk
    return [
        reverse("agreement_versions", args=[pk]),
        reverse("version_detail", args=[pk, 1]),
        reverse("version_compare", args=[pk]) + "?a=1&b=aktuell",
    ]


# --- permissions -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_it_guards_the_read_views_for_every_role(world, login, role):
    client = login(getattr(world.users, role))
    for url in _read_urls(world):
        _assert_guarded(client.get(url), url, role)


def _assert_guarded(response, url, role):
    """Anonymous users are sent to the login, outsiders get 404, everyone else who reads the agreement 200."""
    if role == "anonymous":
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))
    elif role in HIDDEN:
        assert response.status_code == 404, url
    else:
        assert response.status_code == 200, (url, role)


@pytest.mark.parametrize("role", ROLES)
def test_it_refuses_posts_to_the_read_views(world, login, role):
    client = login(getattr(world.users, role))
    # The method is checked after the access check: whoever may not see the agreement still gets 404.
    expected = 302 if role == "anonymous" else 404 if role in HIDDEN else 405
    for url in _read_urls(world):
        response = client.post(url)
        assert response.status_code == expected, url
    assert m.AgreementVersion.objects.count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_it_guards_draft_send_for_every_role(world, login, role):
    client = login(getattr(world.users, role))
    url = reverse("draft_send", args=[world.agreement.pk])
    tab = reverse("agreement_versions", args=[world.agreement.pk])
    response = client.post(url, confirmed({"note": "Bitte um Prüfung."}))
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif role == PEN_HOLDER:
        assert response.status_code == 302
        assert response["Location"] == tab
    elif role in WRITERS:
        # The ministry's editor may write, but the county is "am Zug": back to the tab, with the reason.
        assert_sent_back_to(response, tab, world.county)
    else:
        assert response.status_code == REFUSED_WRITE[role]
    expected = 2 if role == PEN_HOLDER else 1
    assert world.agreement.versions.count() == expected
    world.agreement.refresh_from_db()
    assert world.agreement.pen_holder_id() == (world.ministry.pk if role == PEN_HOLDER else world.county.pk)


@pytest.mark.parametrize("role", ROLES)
def test_it_allows_draft_send_by_post_only(world, login, role):
    response = login(getattr(world.users, role)).get(reverse("draft_send", args=[world.agreement.pk]))
    # After the access check: 404 for who may not see it, 403 for who may not write, 405 for the writers.
    assert response.status_code == (302 if role == "anonymous" else REFUSED_WRITE.get(role, 405))


def test_it_hides_versions_of_another_agreement(world, login):
    other = world.other_agreement
    m.AgreementVersion.objects.create(agreement=other, number=1, author_party=world.ministry,
                                      sent_at=aware(2013, 1, 2), snapshot={"title": other.title})
    client = login(world.users.editor)
    assert client.get(reverse("version_detail", args=[other.pk, 1])).status_code == 404
    assert client.get(reverse("version_compare", args=[other.pk]) + "?a=1&b=aktuell").status_code == 404
    assert client.post(reverse("draft_send", args=[other.pk])).status_code == 404


def test_it_answers_404_for_a_version_number_that_does_not_exist(world, login):
    response = login(world.users.editor).get(reverse("version_detail", args=[world.agreement.pk, 99]))
    assert response.status_code == 404


# --- the service -------------------------------------------------------------------------------------------


def test_it_sends_a_draft_as_the_next_version(world):
    world.agreement.status = m.Agreement.Status.DRAFT
    world.agreement.save()
    world.agreement.preamble = "Das Land und der Kreis vereinbaren"
    world.agreement.save()

    version = svc.send_draft(user=world.users.editor, agreement=world.agreement, note="Mit KdU-Ziel.")

    assert version.number == 2
    assert version.kind == m.AgreementVersion.Kind.DRAFT
    assert version.author_party == world.county
    assert version.sent_by == world.users.editor
    assert version.note == "Mit KdU-Ziel."
    assert version.snapshot == svc.agreement_snapshot(world.agreement)
    version.refresh_from_db()
    assert version.snapshot == svc.agreement_snapshot(world.agreement)
    world.agreement.refresh_from_db()
    assert world.agreement.status == m.Agreement.Status.NEGOTIATION

    step = m.ProcedureStep.objects.get(version=version)
    assert step.kind == m.ProcedureStep.Kind.DRAFT_SENT
    assert step.display_title == "Fassung 2 übersandt von Kreis Mettmann"
    assert "Kreis Mettmann hat Fassung 2" in step.display_description
    assert "Ministerium für Arbeit, Integration und Soziales" in step.display_description
    assert "Mit KdU-Ziel." in step.display_description
    # The agreement is named by its short title, not by its full title of up to 300 characters.
    assert f"der Zielvereinbarung „{world.agreement.short_title}“" in step.display_description
    assert world.agreement.title not in step.display_description
    assert step.automatic and step.actor == world.users.editor
    assert set(step.participants.all()) == {world.county, world.ministry}


def test_it_snapshots_the_whole_content(world):
    world.agreement.legal_bases.add(m.LegalBasis.objects.create(citation="§ 48b SGB II"))
    goal = m.Goal.objects.create(
        agreement=world.agreement, order=2, title="Integrationsquote", kind="quantitativ", area="k2",
        indicator=world.indicator, reference_value="21.500", corridor_low="20", corridor_high="23.25",
        target_value="22", unit="%",
    )
    snapshot = svc.agreement_snapshot(world.agreement)
    assert snapshot["schema"] == 1
    assert snapshot["title"] == world.agreement.title and snapshot["year"] == 2013
    assert snapshot["legal_bases"] == ["§ 48b SGB II"]
    assert snapshot["parties"] == [
        {"party_id": world.ministry.pk, "name": world.ministry.name, "role": "land"},
        {"party_id": world.county.pk, "name": "Kreis Mettmann", "role": "kommunaler_traeger"},
    ]
    assert snapshot["sections"] == [{"id": world.section.pk, "order": 1, "heading": "§ 1 Gegenstand", "text": "Text"}]
    quantitative = next(g for g in snapshot["goals"] if g["id"] == goal.pk)
    assert quantitative["indicator"] == "K2"
    assert (quantitative["reference_value"], quantitative["corridor_low"], quantitative["corridor_high"],
            quantitative["target_value"]) == ("21.5", "20", "23.25", "22")
    qualitative = next(g for g in snapshot["goals"] if g["id"] == world.goal.pk)
    assert qualitative["indicator"] is None and qualitative["target_value"] is None
    assert snapshot["offers"] == [{
        "id": world.offer.pk, "order": 0, "topic": "1. Alleinerziehende", "title": "Beratung", "text": "",
        "provider": world.ministry.name, "coordinated_with": None, "status": "geplant",
    }]


def test_it_snapshots_the_reason_for_a_target_value_outside_the_corridor(world, login):
    goal = m.Goal.objects.create(
        agreement=world.agreement, order=2, title="Integrationsquote", kind="quantitativ", area="k2",
        indicator=world.indicator, corridor_low="24", corridor_high="26", target_value="40", unit="%",
        corridor_exception_reason="Sondereffekt durch eine Betriebsschließung",
    )
    goals = {g["id"]: g for g in svc.agreement_snapshot(world.agreement)["goals"]}
    assert goals[goal.pk]["corridor_exception_reason"] == "Sondereffekt durch eine Betriebsschließung"
    # Only where there is one: the Fassungen sent before the field existed still equal an unchanged text.
    assert "corridor_exception_reason" not in goals[world.goal.pk]
    version = svc.send_draft(user=world.users.editor, agreement=world.agreement)
    body = login(world.users.reader).get(
        reverse("version_detail", args=[world.agreement.pk, version.number])).content.decode()
    label = body.index("Begründung für den Zielwert außerhalb des Korridors")
    assert body.index("Integrationsquote") < label < body.index("Sondereffekt durch eine Betriebsschließung")


def test_it_keeps_a_sent_version_immutable(world):
    version = svc.send_draft(user=world.users.editor, agreement=world.agreement)
    version.note = "nachträglich geändert"
    with pytest.raises(m.ImmutableRecordError):
        version.save()
    with pytest.raises(m.ImmutableRecordError):
        version.delete()
    version.refresh_from_db()
    assert version.note == ""


def test_it_refuses_to_send_a_frozen_agreement(world):
    world.agreement.status = m.Agreement.Status.AGREED
    world.agreement.save()
    steps = m.ProcedureStep.objects.count()
    with pytest.raises(DomainError) as excinfo:
        svc.send_draft(user=world.users.editor, agreement=world.agreement)
    assert "abgestimmt" in str(excinfo.value)
    assert world.agreement.versions.count() == 1
    assert m.ProcedureStep.objects.count() == steps


def test_it_refuses_a_reader_in_the_service(world):
    with pytest.raises(PermissionDenied):
        svc.send_draft(user=world.users.reader, agreement=world.agreement)
    assert world.agreement.versions.count() == 1


def test_it_shows_the_refusal_on_a_frozen_agreement_in_the_page(world, login):
    world.agreement.status = m.Agreement.Status.AGREED
    world.agreement.save()
    response = login(world.users.editor).post(reverse("draft_send", args=[world.agreement.pk]), {"note": ""})
    # Refused before the form is processed (views.base.not_open): back to the tab, with the reason.
    assert response.status_code == 302
    assert response["Location"] == reverse("agreement_versions", args=[world.agreement.pk])
    assert [str(msg) for msg in get_messages(response.wsgi_request)] == [
        "Diese Aktion ist im Status „abgestimmt“ nicht möglich."]
    assert world.agreement.versions.count() == 1


def test_it_refuses_a_too_long_note_and_stores_nothing(world, login):
    steps = m.ProcedureStep.objects.count()
    response = login(world.users.editor).post(
        reverse("draft_send", args=[world.agreement.pk]), {"note": "x" * 2001}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "höchstens 2000 Zeichen" in body
    assert world.agreement.versions.count() == 1
    assert m.ProcedureStep.objects.count() == steps
    with pytest.raises(DomainError):
        svc.send_draft(user=world.users.editor, agreement=world.agreement, note="x" * 2001)


def test_it_lists_the_sent_draft_as_waiting_for_the_other_party_only(world, login):
    # Version 1 came from the ministry: the county has to answer.
    assert world.agreement.short_title in login(world.users.editor).get(reverse("dashboard")).content.decode()
    svc.send_draft(user=world.users.editor, agreement=world.agreement)

    ministry = login(world.users.ministry).get(reverse("dashboard"))
    assert ministry.context["drafts_received"] == [world.agreement]
    assert ministry.context["drafts_received"][0].latest_number == 2
    assert reverse("version_detail", args=[world.agreement.pk, 2]) in ministry.content.decode()
    assert login(world.users.editor).get(reverse("dashboard")).context["drafts_received"] == []


# --- pages -------------------------------------------------------------------------------------------------


def test_it_lists_versions_with_their_details(world, login):
    svc.send_draft(user=world.users.editor, agreement=world.agreement, note="Unsere Änderungen")
    body = login(world.users.reader).get(reverse("agreement_versions", args=[world.agreement.pk])).content.decode()
    assert "<caption>" in body and 'scope="col"' in body
    assert "Fassung 2" in body and "Kreis Mettmann" in body and "Unsere Änderungen" in body
    assert 'for="id_a"' in body and "von Fassung" in body and "zu Fassung" in body
    # A reader cannot send; the page does not offer it.
    assert 'id="draft-send-form"' not in body


def test_it_says_whose_text_the_endfassung_holds_and_whose_acceptance_agreed_it(world, login):
    """The Endfassung is the accepted Fassung's text under the next number: its author is that Fassung's author, its
    sender the user whose acceptance agreed the text; the pages say so instead of "übersandt von" the author "durch"
    a user of another party."""
    from .builders_lifecycle import send_and_accept

    send_and_accept(world)  # the county sends Fassung 2, the ministry accepts it: Endfassung 3
    final = world.agreement.versions.get(kind=m.AgreementVersion.Kind.FINAL)
    assert (final.number, final.author_party, final.sent_by) == (3, world.county, world.users.ministry)
    client = login(world.users.reader)
    rows = client.get(reverse("agreement_versions", args=[world.agreement.pk])).content.decode().split("<tr>")
    final_row, = (row for row in rows if "abgestimmte Endfassung" in row)
    assert ", mit der letzten Annahme" in final_row and "Kreis Mettmann" in final_row
    assert sum(", mit der letzten Annahme" in row for row in rows) == 1
    detail = client.get(reverse("version_detail", args=[world.agreement.pk, 3])).content.decode()
    assert "Text übersandt von" in detail and "abgestimmt am" in detail and ">übersandt am<" not in detail
    sent = client.get(reverse("version_detail", args=[world.agreement.pk, 2])).content.decode()
    assert ">übersandt am<" in sent and "abgestimmt am" not in sent


def test_it_offers_the_send_form_to_editors_only_while_editable(world, login):
    url = reverse("agreement_versions", args=[world.agreement.pk])
    body = login(world.users.editor).get(url).content.decode()
    assert 'id="draft-send-form"' in body and 'for="id_note"' in body
    assert reverse("draft_send", args=[world.agreement.pk]) in body
    # The ministry's editor is not "am Zug": no form, but who is.
    body = login(world.users.ministry).get(url).content.decode()
    assert 'id="draft-send-form"' not in body
    assert "Am Zug ist Kreis Mettmann: diese Stelle bearbeitet den Arbeitsstand" in body
    # Once the county sent, the pen and the form are the ministry's.
    pass_pen(world)
    assert 'id="draft-send-form"' in login(world.users.ministry).get(url).content.decode()
    assert 'id="draft-send-form"' not in login(world.users.editor).get(url).content.decode()
    world.agreement.status = m.Agreement.Status.AGREED
    world.agreement.save()
    assert 'id="draft-send-form"' not in login(world.users.editor).get(url).content.decode()


def test_it_shows_a_frozen_version_readably(world, login):
    world.agreement.preamble = "Präambel mit <b>Auszeichnung</b>"
    world.agreement.save()
    svc.send_draft(user=world.users.editor, agreement=world.agreement)
    world.agreement.preamble = "später geändert"
    world.agreement.save()
    response = login(world.users.ministry).get(reverse("version_detail", args=[world.agreement.pk, 2]))
    body = response.content.decode()
    assert "Präambel mit &lt;b&gt;Auszeichnung&lt;/b&gt;" in body
    assert "später geändert" not in body
    assert "§ 1 Gegenstand" in body and "Senkung der KdU" in body and "Beratung" in body
    assert "kommunaler Träger" in body and "Senkung" in body
    assert body.count("<h1") == 1


def _two_versions(world):
    """Fassung 2 from the county, which passes the pen; Fassung 3 from the ministry with its changes."""
    world.agreement.preamble = "Der alte Text der Präambel."
    world.agreement.save()
    svc.send_draft(user=world.users.editor, agreement=world.agreement)
    world.agreement.refresh_from_db()
    world.agreement.preamble = "Der neue Text der Präambel."
    world.agreement.save()
    world.goal.title = "Senkung der Kosten der Unterkunft"
    world.goal.save()
    svc.send_draft(user=world.users.ministry, agreement=world.agreement)


def test_it_compares_two_versions_inline(world, login):
    _two_versions(world)
    url = reverse("version_compare", args=[world.agreement.pk]) + "?a=2&b=3"
    response = login(world.users.reader).get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert ('Der <del><span class="visually-hidden">gelöscht: </span>alte</del>'
            '<ins><span class="visually-hidden">eingefügt: </span>neue</ins> Text der Präambel.') in body
    # The goal is followed by its id although its title changed.
    goals = response.context["comparison"]["goals"]
    assert [g["status"] for g in goals] == ["changed"]
    assert "bisher „Senkung der KdU“" in body
    assert body.count("<h1") == 1


def test_it_compares_two_versions_side_by_side(world, login):
    _two_versions(world)
    url = reverse("version_compare", args=[world.agreement.pk]) + "?a=2&b=3&mode=side"
    body = login(world.users.editor).get(url).content.decode()
    assert "<table" in body and "<caption>" in body
    assert '<th scope="col">Fassung 2</th>' in body and '<th scope="col">Fassung 3</th>' in body
    assert "<del>" in body and "<ins>" in body


def test_it_compares_with_the_current_working_copy(world, login):
    world.agreement.preamble = "Ganz neue Präambel"
    world.agreement.save()
    response = login(world.users.editor).get(
        reverse("version_compare", args=[world.agreement.pk]) + "?a=1&b=aktuell"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "aktueller Arbeitsstand" in body
    # The demo-style snapshot of version 1 has no ids and no sections: the section is new.
    assert [s["status"] for s in response.context["comparison"]["sections"]] == ["added"]
    assert "Ganz neue Präambel" in body and "<ins>" in body


def test_it_shows_the_first_world_version_against_a_sent_one(world, login):
    svc.send_draft(user=world.users.editor, agreement=world.agreement)
    response = login(world.users.editor).get(reverse("version_compare", args=[world.agreement.pk]) + "?a=1&b=2")
    assert response.status_code == 200
    assert "<ins>" in response.content.decode()


@pytest.mark.parametrize("query, message", [
    ("?a=99&b=1", "Eine Fassung „99“ gibt es für diese Zielvereinbarung nicht."),
    ("?a=x&b=1", "Eine Fassung „x“ gibt es für diese Zielvereinbarung nicht."),
    ("?a=1", "Bitte eine Fassung wählen."),
    ("?b=1", "Bitte eine Fassung wählen."),
    ("?a=1&b=1", "Bitte zwei verschiedene Fassungen wählen."),
    ("?a=1&b=aktuell&mode=bunt", "Die Darstellung „bunt“ gibt es nicht."),
    ("?a=%3Cscript%3E&b=1", "Eine Fassung „&lt;script&gt;“ gibt es"),
])
def test_it_explains_bad_compare_input_without_failing(world, login, query, message):
    response = login(world.users.editor).get(reverse("version_compare", args=[world.agreement.pk]) + query)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert response.context["comparison"] is None
    assert 'id="version-compare-form"' in body


def test_it_shows_an_empty_compare_form_without_parameters(world, login):
    response = login(world.users.reader).get(reverse("version_compare", args=[world.agreement.pk]))
    assert response.status_code == 200
    assert response.context["comparison"] is None
    assert 'id="version-compare-form"' in response.content.decode()


# --- the three views: changes marked, the new text alone, the old text alone (issue 12) -------------------------

MODES = ("inline", "side", "new", "old")


def _view_urls(world):
    """Every view of two Fassungen: on the compare page (Fassung 2 to 3), and on the page of Fassung 3, whose
    changes are those since Fassung 2 (its default view is its own text)."""
    pk = world.agreement.pk
    compare = reverse("version_compare", args=[pk])
    detail = reverse("version_detail", args=[pk, 3])
    return ([f"{compare}?a=2&b=3&mode={mode}" for mode in MODES] + [detail]
            + [f"{detail}?mode={mode}" for mode in MODES])


@pytest.mark.parametrize("role", ROLES)
def test_it_guards_every_view_for_every_role(world, login, role):
    _two_versions(world)
    client = login(getattr(world.users, role))
    for url in _view_urls(world):
        _assert_guarded(client.get(url), url, role)
        assert client.post(url).status_code == (302 if role == "anonymous" else 404 if role in HIDDEN else 405)


def _nav(body, label):
    """The links of the navigation named `label`: [(text, href, current)]."""
    import re
    from html import unescape

    nav = re.search(rf'<nav aria-label="{label}">(.*?)</nav>', body, re.S)
    assert nav, f"no navigation {label!r}"
    return [(unescape(text), unescape(href), bool(current)) for href, current, text in re.findall(
        r'<a class="nav-link[^"]*" href="([^"]*)"( aria-current="page")?>([^<]*)</a>', nav.group(1))]


def test_it_offers_the_views_of_a_comparison_in_a_navigation(world, login):
    _two_versions(world)
    url = reverse("version_compare", args=[world.agreement.pk])
    body = login(world.users.reader).get(url + "?a=2&b=3&mode=new").content.decode()
    assert _nav(body, "Darstellung des Vergleichs") == [
        ("Änderungen im Text", "?a=2&b=3&mode=inline", False),
        ("Änderungen nebeneinander", "?a=2&b=3&mode=side", False),
        ("nur neuer Text (Fassung 3)", "?a=2&b=3&mode=new", True),
        ("nur alter Text (Fassung 2)", "?a=2&b=3&mode=old", False),
    ]
    # Without a view asked for, the changes in the text; the select offers every view.
    body = login(world.users.reader).get(url + "?a=2&b=aktuell").content.decode()
    assert [current for _text, _href, current in _nav(body, "Darstellung des Vergleichs")] == [
        True, False, False, False]
    assert "nur neuer Text (aktueller Arbeitsstand)" in body
    assert '<option value="new">' in body and '<option value="old">' in body


def _main(body):
    """The tab's content below the sides' description: what the view shows."""
    return body.split('<nav aria-label="Darstellung', 1)[1].split("</nav>", 1)[1]


def test_it_shows_the_new_text_alone(world, login):
    _two_versions(world)
    response = login(world.users.reader).get(
        reverse("version_compare", args=[world.agreement.pk]) + "?a=2&b=3&mode=new")
    assert response.status_code == 200
    shown = _main(response.content.decode())
    assert "<ins>" not in shown and "<del>" not in shown
    assert "Der neue Text der Präambel." in shown and "alte" not in shown
    assert "Senkung der Kosten der Unterkunft" in shown and "Senkung der KdU" not in shown
    # Every part of the text, the unchanged ones too; what changed is named, not marked.
    assert "§ 1 Gegenstand" in shown and "Beratung" in shown
    assert "Allgemeine Angaben geändert: Präambel" in shown
    assert "geändert: Titel" in shown
    assert "Gezeigt: Fassung 3, ohne Markierungen." in shown


def test_it_shows_the_old_text_alone(world, login):
    _two_versions(world)
    response = login(world.users.reader).get(
        reverse("version_compare", args=[world.agreement.pk]) + "?a=2&b=3&mode=old")
    shown = _main(response.content.decode())
    assert "<ins>" not in shown and "<del>" not in shown
    assert "Der alte Text der Präambel." in shown and "neue" not in shown
    assert "Senkung der KdU" in shown and "Senkung der Kosten der Unterkunft" not in shown
    assert "geändert: Titel" in shown
    assert "Gezeigt: Fassung 2, ohne Markierungen." in shown


def test_it_names_removed_and_added_items_in_the_text_alone(world, login):
    svc.send_draft(user=world.users.editor, agreement=world.agreement)
    world.offer.delete()
    m.Goal.objects.create(agreement=world.agreement, order=9, title="Integrationsquote", kind="quantitativ")
    url = reverse("version_compare", args=[world.agreement.pk])
    client = login(world.users.editor)
    new = _main(client.get(url + "?a=2&b=aktuell&mode=new").content.decode())
    assert "Integrationsquote" in new and "Beratung" not in new
    assert '<p class="small text-body-secondary mb-1">neu</p>' in new
    old = _main(client.get(url + "?a=2&b=aktuell&mode=old").content.decode())
    assert "Integrationsquote" not in old and "Beratung" in old
    assert '<p class="small text-body-secondary mb-1">entfallen</p>' in old


def test_it_names_the_changed_fields_of_a_goal_in_every_view(world, login):
    svc.send_draft(user=world.users.editor, agreement=world.agreement)
    world.goal.refresh_from_db()
    world.goal.direction = m.Goal.Direction.BEOBACHTUNG
    world.goal.text = "Die Kosten werden beobachtet."
    world.goal.save()
    url = reverse("version_compare", args=[world.agreement.pk]) + "?a=2&b=aktuell&mode="
    client = login(world.users.editor)
    named = "geändert: Text, Tendenz"
    inline = client.get(url + "inline").content.decode()
    assert f"Ziel: Senkung der KdU ({named})" in inline
    side = client.get(url + "side").content.decode()
    assert f"Ziel: Senkung der KdU ({named})" in side
    assert named in client.get(url + "new").content.decode()
    assert named in client.get(url + "old").content.decode()


def test_it_marks_a_changed_date_as_whole_words(world, login):
    world.agreement.preamble = "Die Liga nahm am 14.01.2012 Stellung."
    world.agreement.save()
    svc.send_draft(user=world.users.editor, agreement=world.agreement)
    world.agreement.preamble = "Die Liga nahm am 23.01.2013 Stellung."
    world.agreement.save()
    body = login(world.users.editor).get(
        reverse("version_compare", args=[world.agreement.pk]) + "?a=2&b=aktuell").content.decode()
    assert ('am <del><span class="visually-hidden">gelöscht: </span>14.01.2012</del>'
            '<ins><span class="visually-hidden">eingefügt: </span>23.01.2013</ins> Stellung.') in body


def test_it_treats_a_change_of_line_endings_as_no_change(world, login):
    world.agreement.preamble = "Erster Absatz.\nZweiter Absatz."
    world.agreement.save()
    world.section.text = "Zeile 1\nZeile 2"
    world.section.save()
    svc.send_draft(user=world.users.editor, agreement=world.agreement)
    # The same text as a browser form sends it back.
    world.agreement.preamble = "Erster Absatz.\r\nZweiter Absatz."
    world.agreement.save()
    world.section.text = "Zeile 1\r\nZeile 2"
    world.section.save()
    for mode in MODES:
        response = login(world.users.editor).get(
            reverse("version_compare", args=[world.agreement.pk]) + f"?a=2&b=aktuell&mode={mode}")
        assert response.status_code == 200
        assert not response.context["comparison"]["has_changes"], mode
        assert "Die beiden Fassungen sind inhaltlich gleich." in response.content.decode()


def test_it_shows_a_version_with_its_changes_since_the_previous_one(world, login):
    _two_versions(world)
    detail = reverse("version_detail", args=[world.agreement.pk, 3])
    client = login(world.users.reader)
    body = client.get(detail).content.decode()
    assert _nav(body, "Darstellung der Fassung") == [
        ("Änderungen im Text", f"{detail}?mode=inline", False),
        ("Änderungen nebeneinander", f"{detail}?mode=side", False),
        ("nur neuer Text (Fassung 3)", detail, True),
        ("nur alter Text (Fassung 2)", f"{detail}?mode=old", False),
    ]
    # By default the Fassung itself, with notes on what changed since Fassung 2.
    shown = _main(body)
    assert "Der neue Text der Präambel." in shown and "<ins>" not in shown
    assert "geändert: Titel" in shown
    inline = _main(client.get(f"{detail}?mode=inline").content.decode())
    assert ('Der <del><span class="visually-hidden">gelöscht: </span>alte</del>'
            '<ins><span class="visually-hidden">eingefügt: </span>neue</ins> Text der Präambel.') in inline
    side = _main(client.get(f"{detail}?mode=side").content.decode())
    assert '<th scope="col">Fassung 2</th>' in side and '<th scope="col">Fassung 3</th>' in side
    old = _main(client.get(f"{detail}?mode=old").content.decode())
    assert "Der alte Text der Präambel." in old and "Senkung der KdU" in old and "<del>" not in old
    assert _nav(client.get(f"{detail}?mode=old").content.decode(), "Darstellung der Fassung")[3][2]


def test_it_shows_the_first_version_without_views_to_choose(world, login):
    body = login(world.users.reader).get(reverse("version_detail", args=[world.agreement.pk, 1])).content.decode()
    assert "Darstellung der Fassung" not in body
    assert world.agreement.title in body


@pytest.mark.parametrize("number, query, message", [
    (2, "?mode=bunt", "Die Darstellung „bunt“ gibt es nicht."),
    (2, "?mode=%3Cscript%3E", "Die Darstellung „&lt;script&gt;“ gibt es nicht."),
    (2, "?mode=NEW", "Die Darstellung „NEW“ gibt es nicht."),
    (1, "?mode=inline", "Fassung 1 ist die erste Fassung: Es gibt keine frühere, mit der sie verglichen werden "
                        "könnte."),
    (1, "?mode=old", "Fassung 1 ist die erste Fassung"),
])
def test_it_answers_an_unknown_view_of_a_version_with_400(world, login, number, query, message):
    svc.send_draft(user=world.users.editor, agreement=world.agreement)
    detail = reverse("version_detail", args=[world.agreement.pk, number])
    response = login(world.users.reader).get(detail + query)
    assert response.status_code == 400
    body = response.content.decode()
    assert f'<p class="alert alert-danger" role="alert">{message}' in body
    assert "<script>" not in body.split("</header>", 1)[-1]
    assert response.context["comparison"] is None and response.context["content"] is None
    # The way on: the views there are, none of them the one shown.
    links = _nav(body, "Darstellung der Fassung")
    assert links and detail in [href for _text, href, _current in links]
    assert not any(current for _text, _href, current in links)
    # An empty value is the default view.
    assert login(world.users.reader).get(detail + "?mode=").status_code == 200


# --- query counts ------------------------------------------------------------------------------------------


def _add_versions(world, first, last):
    snapshot = svc.agreement_snapshot(world.agreement)
    for number in range(first, last + 1):
        m.AgreementVersion.objects.create(
            agreement=world.agreement, number=number, author_party=world.county if number % 2 else world.ministry,
            sent_at=aware(2013, 1, 10), sent_by=world.users.editor, note=f"Fassung {number}",
            snapshot={**snapshot, "preamble": f"Präambel Nummer {number}"},
        )


# Upper bounds: session and user (2), the agreement and its parties (2), memberships (2), the party "am Zug" shown
# on every tab (1), then the page's own: the version list (1); the numbers and the version with the one before it
# (2), in every view; the numbers and both versions (2), in every view; plus the working copy's snapshot (5).
@pytest.mark.parametrize("url_name, query, bound", [
    # One more each since the navigation counts what is due for the user's party ("Am Zug", issue 14).
    ("agreement_versions", "", 9),
    *(("version_detail", query, 10) for query in ("", "?mode=inline", "?mode=side", "?mode=new", "?mode=old")),
    *(("version_compare", f"?a=1&b=2&mode={mode}", 10) for mode in MODES),
    *(("version_compare", f"?a=2&b=aktuell&mode={mode}", 15) for mode in MODES),
])
def test_it_issues_a_fixed_number_of_queries(world, login, url_name, query, bound):
    pk = world.agreement.pk
    url = reverse(url_name, args=[pk, 2] if url_name == "version_detail" else [pk]) + query

    def grow(total):
        """`total` Fassungen, and as many goals in the working copy."""
        _add_versions(world, world.agreement.versions.count() + 1, total)
        for number in range(m.Goal.objects.filter(agreement=world.agreement).count(), total):
            m.Goal.objects.create(agreement=world.agreement, title=f"weiteres Ziel {number}", order=number + 5)

    assert_fixed_queries(login(world.users.editor), url, grow, most=bound)


# --- an unchanged send (issue 10, B.6) ---------------------------------------------------------------------


def test_it_refuses_to_send_an_unchanged_working_text(world):
    version = svc.send_draft(user=world.users.editor, agreement=world.agreement, note="Erste Antwort")
    steps = m.ProcedureStep.objects.count()
    # The ministry now holds the pen, but has nothing new to send.
    with pytest.raises(DomainError) as excinfo:
        svc.send_draft(user=world.users.ministry, agreement=world.agreement, note="noch einmal")
    assert str(excinfo.value) == (
        f"Der Arbeitsstand ist seit Fassung {version.number} unverändert; es gibt nichts Neues zu übersenden."
    )
    # The county sent already: sending again is not its turn.
    with pytest.raises(DomainError) as excinfo:
        svc.send_draft(user=world.users.editor, agreement=world.agreement, note="noch einmal")
    assert str(excinfo.value).startswith(pen_refusal(world.ministry))
    assert world.agreement.versions.count() == 2
    assert m.ProcedureStep.objects.count() == steps
    world.agreement.refresh_from_db()
    assert world.agreement.pen_holder_id() == world.ministry.pk


def test_it_sends_again_once_the_text_changed(world):
    svc.send_draft(user=world.users.editor, agreement=world.agreement)
    world.goal.target_value = None
    world.goal.text = "Die Kosten der Unterkunft sinken."
    world.goal.save()
    version = svc.send_draft(user=world.users.ministry, agreement=world.agreement)
    assert version.number == 3
    # The comparison is with the last Fassung only: going back to the text of Fassung 2 is a change again.
    world.goal.text = ""
    world.goal.save()
    assert svc.send_draft(user=world.users.editor, agreement=world.agreement).number == 4


def test_it_compares_numbers_as_stored(world):
    """A goal with decimals reads back from the JSON column as it was written: no false "changed"."""
    m.Goal.objects.create(agreement=world.agreement, order=2, title="Integrationsquote", kind="quantitativ",
                          area="k2", indicator=world.indicator, reference_value="21.500", corridor_low="20",
                          corridor_high="23.25", target_value="22", unit="%")
    svc.send_draft(user=world.users.editor, agreement=world.agreement)
    with pytest.raises(DomainError, match="seit Fassung 2 unverändert"):
        svc.send_draft(user=world.users.ministry, agreement=world.agreement)


def test_it_shows_the_unchanged_send_as_a_message_and_writes_nothing(world, login):
    client = login(world.users.editor)
    url = reverse("draft_send", args=[world.agreement.pk])
    tab = reverse("agreement_versions", args=[world.agreement.pk])
    assert client.post(url, confirmed({"note": "Unsere Fassung"})).status_code == 302
    steps = m.ProcedureStep.objects.count()
    # The back button and the same button again: the county sent its Fassung and no longer holds the pen.
    assert_sent_back_to(client.post(url, confirmed({"note": "Unsere Fassung"})), tab, world.ministry)
    # The ministry holds it now, and sends nothing new: said before the confirmation step asks, and again by the
    # service if the confirmation is sent all the same.
    for data in ({"note": "Unverändert zurück"}, confirmed({"note": "Unverändert zurück"})):
        response = login(world.users.ministry).post(url, data)
        assert response.status_code == 400
        assert "seit Fassung 2 unverändert" in response.content.decode()
    assert world.agreement.versions.count() == 2
    assert m.ProcedureStep.objects.count() == steps


# --- parallel sends: one Fassung, one step ------------------------------------------------------------------

SENDERS = 15


def race_sends(agreement, users):
    """All users send the same working text at the same moment, each thread on its own connection.

    Returns {"sent": [numbers], "refused": n, "errors": [...], "hung": n}.
    """
    import threading

    barrier = threading.Barrier(len(users))
    lock = threading.Lock()
    outcome = {"sent": [], "refused": 0, "errors": []}

    def send(user):
        from django.db import connection as own

        try:
            barrier.wait(timeout=30)
            try:
                version = svc.send_draft(user=user, agreement=agreement, note="parallel")
                with lock:
                    outcome["sent"].append(version.number)
            except DomainError:
                with lock:
                    outcome["refused"] += 1
        except Exception as error:  # noqa: BLE001 - reported to the test, which fails on it
            with lock:
                outcome["errors"].append(repr(error))
        finally:
            own.close()

    threads = [threading.Thread(target=send, args=(user,), daemon=True) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    outcome["hung"] = sum(thread.is_alive() for thread in threads)
    return outcome


def _assert_one_fassung(outcome, agreement, steps_before):
    assert outcome["hung"] == 0 and outcome["errors"] == [], outcome
    assert outcome["sent"] == [2] and outcome["refused"] == SENDERS - 1, outcome
    assert sorted(agreement.versions.values_list("number", flat=True)) == [1, 2]
    assert agreement.steps.filter(kind=m.ProcedureStep.Kind.DRAFT_SENT).count() == steps_before + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_creates_exactly_one_fassung_for_parallel_sends_on_postgresql(postgres, world):
    from .factories import make_user

    users = [world.users.editor, world.users.ministry] + [
        make_user(f"sender-{n}", world.county) for n in range(SENDERS - 2)
    ]
    steps = world.agreement.steps.filter(kind=m.ProcedureStep.Kind.DRAFT_SENT).count()
    outcome = race_sends(world.agreement, users)
    _assert_one_fassung(outcome, world.agreement, steps)


def test_it_creates_exactly_one_fassung_for_parallel_sends_on_a_sqlite_file(sqlite_file):
    result = sqlite_race.child("send", sqlite_file, SENDERS)
    assert result["hung"] == 0 and result["errors"] == [], result
    assert sorted(result["outcomes"], key=str) == [2] + ["refused"] * (SENDERS - 1), result
    assert result["versions"] == [1, 2], result
    # Fassung 1 of the set-up and the one sent in the race.
    assert result["steps"] == 2, result
