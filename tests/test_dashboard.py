"""The start page (Übersicht): counts, what waits for my party, upcoming dates, recent activity."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agreements import models as m
from agreements.services import versions as versions_svc

from .builders_queries import COMMITTEE_PART_QUERIES
from .factories import ROLES, AgreementFactory, add_parties, aware, make_user


def _dashboard(login, user):
    response = login(user).get(reverse("dashboard"))
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("role", ROLES)
def test_it_shows_the_dashboard_to_every_logged_in_role(world, login, role):
    response = login(getattr(world.users, role)).get(reverse("dashboard"))
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == 200
        body = response.content.decode()
        assert body.count("<h1") == 1
        # A committee member who acts for no party gets the committees' part only (tests/test_committee_start.py).
        assert ("Meine Zielvereinbarungen" in body) is (role != "committee")
        assert ("Meine Gremien" in body) is (role == "committee")
        if role != "committee":
            assert "Wartet auf meine Stelle" in body
            assert "Anstehende Termine" in body and "Letzte Aktivitäten" in body


@pytest.mark.parametrize("role", ROLES)
def test_it_refuses_posts(world, login, role):
    response = login(getattr(world.users, role)).post(reverse("dashboard"))
    assert response.status_code == (302 if role == "anonymous" else 405)


def test_it_counts_my_agreements_by_status_with_links(world, login):
    response = _dashboard(login, world.users.ministry)
    counts = {row["status"]: row["count"] for row in response.context["status_counts"]}
    assert counts == {"entwurf": 1, "in_verhandlung": 1}
    body = response.content.decode()
    assert f'{reverse("agreement_list")}?status=in_verhandlung' in body
    assert "<caption>" in body and 'scope="row"' in body

    editor = _dashboard(login, world.users.editor)
    assert {row["status"]: row["count"] for row in editor.context["status_counts"]} == {"in_verhandlung": 1}
    assert world.other_agreement.title not in editor.content.decode()


def test_it_lists_a_received_draft_until_my_party_answers(world, login):
    # Version 1 came from the ministry: it waits for the county (editor and reader), not for the ministry.
    assert _dashboard(login, world.users.editor).context["drafts_received"] == [world.agreement]
    assert _dashboard(login, world.users.reader).context["drafts_received"] == [world.agreement]
    assert _dashboard(login, world.users.ministry).context["drafts_received"] == []

    versions_svc.send_draft(user=world.users.editor, agreement=world.agreement, note="Antwort")
    assert _dashboard(login, world.users.editor).context["drafts_received"] == []
    waiting = _dashboard(login, world.users.ministry)
    assert waiting.context["drafts_received"] == [world.agreement]
    assert "Fassung 2 von Kreis Mettmann" in waiting.content.decode()


def test_it_does_not_list_drafts_of_a_frozen_agreement(world, login):
    world.agreement.status = m.Agreement.Status.AGREED
    world.agreement.save()
    assert _dashboard(login, world.users.editor).context["drafts_received"] == []


def test_it_lists_open_proposals_to_the_pen_holder(world, login):
    # The ministry proposed; the county holds the pen (the kommunaler Träger drafts), so the county decides.
    assert world.agreement.pen_holder_id() == world.county.pk
    assert _dashboard(login, world.users.editor).context["proposals_to_decide"] == [world.proposal]
    assert _dashboard(login, world.users.ministry).context["proposals_to_decide"] == []
    # A third party's proposal goes to the county too; with the pen at the ministry, the ministry decides it.
    m.AgreementParty.objects.create(agreement=world.agreement, party=world.jobcenter, role="jobcenter", order=2)
    third = m.Proposal.objects.create(agreement=world.agreement, party=world.jobcenter, text="Bitte § 3 kürzen")
    assert _dashboard(login, world.users.editor).context["proposals_to_decide"] == [world.proposal, third]
    world.agreement.pen_party = world.ministry
    world.agreement.save()
    assert _dashboard(login, world.users.editor).context["proposals_to_decide"] == []
    assert _dashboard(login, world.users.ministry).context["proposals_to_decide"] == [third]
    # Decided proposals and frozen agreements leave the list.
    third.decision = m.Proposal.Decision.ADOPTED
    third.save()
    assert _dashboard(login, world.users.ministry).context["proposals_to_decide"] == []
    world.agreement.pen_party = world.county
    world.agreement.status = m.Agreement.Status.AGREED
    world.agreement.save()
    assert _dashboard(login, world.users.editor).context["proposals_to_decide"] == []


def test_it_lists_upcoming_meetings_of_my_committees(world, login):
    now = timezone.now()
    upcoming = m.Meeting.objects.create(committee=world.committee, start=now + datetime.timedelta(days=3),
                                        name="Sitzung des Sozialausschusses", location="Kreishaus")
    m.Meeting.objects.create(committee=world.committee, start=now - datetime.timedelta(days=3), name="vorbei")
    elsewhere = m.Committee.objects.create(party=world.other_county, name="Ausschuss Nachbar")
    m.Meeting.objects.create(committee=elsewhere, start=now + datetime.timedelta(days=1), name="fremd")
    for day in range(10):
        m.Meeting.objects.create(committee=world.committee, start=now + datetime.timedelta(days=20 + day))

    response = _dashboard(login, world.users.committee)
    section = response.context["committee_section"]
    meetings = section["upcoming"]
    assert len(meetings) == 5 and section["upcoming_count"] == 11
    assert meetings[0].meeting == upcoming
    assert all(meeting.committee == world.committee for meeting in meetings)
    # Named by committee and date, never by the meeting's own name alone.
    assert upcoming.label in response.content.decode()
    assert _dashboard(login, world.users.editor).context["committee_section"] is None


def test_it_lists_agreements_ending_within_60_days(world, login):
    today = timezone.localdate()
    world.agreement.period_end = today + datetime.timedelta(days=30)
    world.agreement.save()
    later = add_parties(AgreementFactory(period_end=today + datetime.timedelta(days=90)), world.ministry, world.county)
    withdrawn = add_parties(
        AgreementFactory(period_end=today + datetime.timedelta(days=10), status=m.Agreement.Status.WITHDRAWN),
        world.ministry, world.county,
    )
    ending = _dashboard(login, world.users.editor).context["ending_soon"]
    assert ending == [world.agreement]
    assert later not in ending and withdrawn not in ending
    assert _dashboard(login, world.users.outsider).context["ending_soon"] == []


def test_it_shows_the_ten_latest_steps_of_visible_agreements(world, login):
    for n in range(12):
        m.ProcedureStep.objects.create(agreement=world.agreement, date=datetime.date(2013, 2, 1), title=f"Schritt {n}")
    hidden = m.ProcedureStep.objects.create(agreement=world.other_agreement, date=datetime.date(2013, 3, 1),
                                            title="Geheimer Schritt")
    steps = _dashboard(login, world.users.editor).context["recent_steps"]
    assert len(steps) == 10
    assert steps[0].title == "Schritt 11"
    assert hidden not in steps
    assert hidden in _dashboard(login, world.users.ministry).context["recent_steps"]
    assert _dashboard(login, world.users.outsider).context["recent_steps"] == [hidden]


def test_it_lists_the_steps_in_date_order_newest_first(world, login):
    # A step recorded later may be dated earlier (a meeting entered afterwards): the list follows the dates
    # it shows, not the order of entry.
    newer = m.ProcedureStep.objects.create(agreement=world.agreement, date=datetime.date(2013, 3, 5), title="Neuer")
    older = m.ProcedureStep.objects.create(agreement=world.agreement, date=datetime.date(2012, 12, 16), title="Alt")
    middle = m.ProcedureStep.objects.create(agreement=world.agreement, date=datetime.date(2013, 1, 10), title="Mitte")
    steps = _dashboard(login, world.users.editor).context["recent_steps"]
    assert [s.pk for s in steps if s.pk in (newer.pk, older.pk, middle.pk)] == [newer.pk, middle.pk, older.pk]


def test_it_explains_an_account_without_a_party(world, login):
    # A committee member needs no party: the start page is about the committees (tests/test_committee_start.py).
    assert "keiner Stelle" not in _dashboard(login, world.users.committee).content.decode()
    m.CommitteeMembership.objects.filter(user=world.users.committee).delete()
    assert "keiner Stelle" in _dashboard(login, world.users.committee).content.decode()
    assert "keiner Stelle" not in _dashboard(login, world.users.editor).content.decode()
    # An admin sees every agreement without a membership: no such note.
    admin = _dashboard(login, world.users.admin)
    assert "keiner Stelle" not in admin.content.decode()
    assert sum(row["count"] for row in admin.context["status_counts"]) == 2


def test_it_explains_a_brand_new_account(db, login):
    body = _dashboard(login, make_user("neu")).content.decode()
    assert "keiner Stelle" in body
    assert "Keine Zielvereinbarungen." in body


def test_it_escapes_user_text(world, login):
    # The agreements are named by their short titles there, made of the parties' names.
    world.county.name = "<script>alert(1)</script>"
    world.county.save()
    body = _dashboard(login, world.users.editor).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def _grow(world, count):
    """`count` agreements of the county with a draft from the ministry, a proposal, a step, a meeting each."""
    today = timezone.localdate()
    for n in range(count):
        agreement = add_parties(
            AgreementFactory(status=m.Agreement.Status.NEGOTIATION, period_end=today + datetime.timedelta(days=5)),
            world.ministry, world.county,
        )
        m.AgreementVersion.objects.create(agreement=agreement, number=1, author_party=world.ministry,
                                          sent_at=aware(2013, 1, 10), snapshot={"title": agreement.title})
        m.Proposal.objects.create(agreement=agreement, party=world.ministry, text=f"Vorschlag {n}")
        m.ProcedureStep.objects.create(agreement=agreement, date=today, title=f"Schritt {n}")
        m.Meeting.objects.create(committee=world.committee, start=timezone.now() + datetime.timedelta(days=n + 1))


@pytest.mark.parametrize("role", ["editor", "ministry", "committee", "admin"])
def test_it_issues_a_fixed_number_of_queries(world, login, role):
    user = getattr(world.users, role)
    m.CommitteeMembership.objects.get_or_create(committee=world.committee, user=user)

    def count():
        client = login(user)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("dashboard"))
        assert response.status_code == 200
        return len(ctx.captured_queries)

    count()  # the first visit ever: nothing to compare with yet (tests/test_committee_start.py)
    _grow(world, 2)
    small = count()
    _grow(world, 23)
    large = count()
    assert small == large
    # session, user, memberships, then one query per block: counts, drafts, proposals, ending, steps, the parties
    # of the agreements they name (short titles); and the committees' part (tests/test_committee_start.py counts it).
    # What is due (services.deadlines): the agreements' deadlines, the Vorlagen to release and how many there are,
    # one query each, and the navigation's "Am Zug" count.
    assert large <= 10 + 4 + COMMITTEE_PART_QUERIES, large
