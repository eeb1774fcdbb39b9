"""Proposals under the pen (issue 12): the party "am Zug" (Agreement.pen_holder_id) writes the working text itself,
the other parties propose, and the party am Zug decides their proposals (access.can_decide_proposal). In the world
the county (editor) is am Zug and the ministry made world.proposal; sending a Fassung passes the pen."""

import pytest
from django.contrib.messages import ERROR, get_messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.html import escape

from agreements import models as m
from agreements.infra.errors import DomainError
from agreements.policy import access
from agreements.services import negotiation as svc
from agreements.services import versions

from . import builders_tabs as tabs
from .builders_queries import assert_fixed_queries
from .factories import ROLES, WRITE_GET, WRITE_POST, GoalFactory

pytestmark = pytest.mark.django_db

# The county is am Zug: it changes the text itself and is sent back from the proposal form (302 with the reason);
# the ministry proposes.
ADD_GET = dict(WRITE_GET, editor=302)
ADD_POST = dict(WRITE_POST, editor=302)
# The ministry proposed world.proposal: the county, am Zug, decides it; the ministry may not (403).
DECIDE_GET = dict(WRITE_GET, ministry=403)
DECIDE_POST = dict(DECIDE_GET, editor=302)

PEN_HOLDER_PROPOSES = ("Ihre Stelle ist am Zug und ändert den Arbeitsstand selbst; Vorschläge bringt die andere "
                       "Seite ein.")


tab_url = tabs.agreement_url("agreement_proposals")
add_url = tabs.agreement_url("proposal_add")
decide_url = tabs.agreement_url("proposal_decide", lambda world: world.proposal)


def errors(response):
    """The error messages the response left for the next page."""
    return [str(message) for message in get_messages(response.wsgi_request) if message.level >= ERROR]


def assert_sent_back(client, response, url, message):
    """A redirect to `url` with `message` as its only error message, which the page there shows (and so uses up)."""
    assert response.status_code == 302 and response["Location"] == url
    assert errors(response) == [message]
    assert escape(message) in client.get(url).content.decode()


def pass_the_pen(world):
    """The county sends its working text as a Fassung: the pen passes to the ministry."""
    versions.send_draft(user=world.users.editor, agreement=world.agreement)
    world.agreement.refresh_from_db()
    assert world.agreement.pen_holder_id() == world.ministry.pk


def decision(**extra):
    data = {"decision": "nicht_uebernommen", "reason": "Landesweit einheitliche Ziele.", "lock_version": 1}
    data.update(extra)
    return data


# Permissions ---------------------------------------------------------------------------------------------------

test_it_shows_the_tab_per_role = tabs.shows_the_tab_per_role(tab_url)


@pytest.mark.parametrize("role", ROLES)
def test_it_protects_proposal_add_per_role(world, login, role):
    before = m.Proposal.objects.count()
    tabs.assert_form_per_role(login(getattr(world.users, role)), role, add_url(world), {"text": "Mehr Beratung"},
                              get=ADD_GET, post=ADD_POST)
    assert m.Proposal.objects.count() == before + (1 if role == "ministry" else 0)


def test_it_sends_the_party_am_zug_back_from_the_proposal_form(world, login):
    client = login(world.users.editor)
    before = m.Proposal.objects.count()
    assert_sent_back(client, client.get(add_url(world)), tab_url(world), PEN_HOLDER_PROPOSES)
    assert_sent_back(client, client.post(add_url(world), {"text": "Mehr Beratung"}), tab_url(world),
                     PEN_HOLDER_PROPOSES)
    assert m.Proposal.objects.count() == before
    with pytest.raises(DomainError) as refusal:
        svc.create_proposal(user=world.users.editor, agreement=world.agreement, data={"text": "Mehr Beratung"})
    assert str(refusal.value) == PEN_HOLDER_PROPOSES
    assert m.Proposal.objects.count() == before


def test_it_lets_the_county_propose_once_the_pen_has_passed(world, login):
    pass_the_pen(world)
    ministry = login(world.users.ministry)
    assert_sent_back(ministry, ministry.get(add_url(world)), tab_url(world), PEN_HOLDER_PROPOSES)
    response = login(world.users.editor).post(add_url(world), {"text": "Mehr Beratung"})
    assert response.status_code == 302 and not errors(response)
    assert m.Proposal.objects.get(text="Mehr Beratung").party == world.county


@pytest.mark.parametrize("role", ROLES)
def test_it_protects_proposal_decide_per_role(world, login, role):
    tabs.assert_form_per_role(login(getattr(world.users, role)), role, decide_url(world), decision(),
                              get=DECIDE_GET, post=DECIDE_POST)
    world.proposal.refresh_from_db()
    expected = "nicht_uebernommen" if role == "editor" else "offen"
    assert world.proposal.decision == expected


def test_it_refuses_the_proposing_side_to_decide_its_own_proposal(world, login):
    """The ministry proposed: it may not decide, neither while the county is am Zug nor once it holds the pen."""
    for pen in ("county", "ministry"):
        if pen == "ministry":
            pass_the_pen(world)
        response = login(world.users.ministry).post(decide_url(world), decision(decision="uebernommen"))
        assert response.status_code == 403, pen
        assert str(access.DECISION_REFUSED) in response.content.decode(), pen
        with pytest.raises(PermissionDenied) as refusal:
            svc.decide_proposal(user=world.users.ministry, proposal=world.proposal, lock_version=1,
                                data={"decision": "uebernommen", "reason": ""})
        assert str(refusal.value) == str(access.DECISION_REFUSED)
    world.proposal.refresh_from_db()
    assert world.proposal.decision == "offen"


def test_it_lets_the_ministry_decide_a_county_proposal_once_it_is_am_zug(world, login):
    """The pen decides, not the side: after the county's Fassung the ministry decides the county's proposal, and the
    county, no longer am Zug, decides nothing (not even the ministry's proposal it could decide before)."""
    pass_the_pen(world)
    assert login(world.users.editor).post(add_url(world), {"text": "Landesziel K2"}).status_code == 302
    proposal = m.Proposal.objects.get(text="Landesziel K2")
    response = login(world.users.ministry).post(decide_url(world, proposal), decision(decision="uebernommen",
                                                                                       reason=""))
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.decision == "uebernommen" and proposal.decided_by == world.users.ministry
    county = login(world.users.editor)
    assert county.get(decide_url(world, proposal)).status_code == 403
    assert county.get(decide_url(world)).status_code == 403


def test_it_hides_a_proposal_of_another_agreement(world, login):
    other = m.Proposal.objects.create(agreement=world.other_agreement, party=world.ministry, text="x")
    url = reverse("proposal_decide", args=[world.agreement.pk, other.pk])
    assert login(world.users.editor).get(url).status_code == 404


# Proposing -----------------------------------------------------------------------------------------------------

def test_it_records_the_proposal_for_the_users_party(world, login):
    response = login(world.users.ministry).post(add_url(world), {
        "text": "Stellungnahme der Liga als Anlage", "concerns": "Anlagen", "goal": world.goal.pk,
        "section": world.section.pk,
    })
    assert response.status_code == 302
    proposal = m.Proposal.objects.latest("id")
    assert proposal.party == world.ministry
    assert (proposal.goal, proposal.section, proposal.created_by) == (world.goal, world.section, world.users.ministry)
    assert proposal.decision == "offen"
    step = world.agreement.steps.get(kind="vorschlag")
    assert step.automatic and "Stellungnahme der Liga" in step.display_description


def test_it_lists_the_proposals_with_their_details(world, login):
    world.proposal.goal = world.goal
    world.proposal.save()
    body = login(world.users.reader).get(tab_url(world)).content.decode()
    assert "Bitte Liga-Stellungnahme anfügen" in body
    assert "Senkung der KdU" in body
    assert "<caption>" in body and 'scope="col"' in body
    # Readers see no write buttons.
    assert add_url(world) not in body and decide_url(world) not in body


def test_it_offers_decide_to_the_party_am_zug_and_propose_to_the_other(world, login):
    county = login(world.users.editor).get(tab_url(world)).content.decode()
    assert decide_url(world) in county and add_url(world) not in county
    ministry = login(world.users.ministry).get(tab_url(world)).content.decode()
    assert decide_url(world) not in ministry and add_url(world) in ministry


def test_it_refuses_proposals_when_the_agreement_is_frozen(world, login):
    world.agreement.status = m.Agreement.Status.AGREED
    world.agreement.save()
    client = login(world.users.ministry)  # not am Zug: it could propose while the text was open
    response = client.post(add_url(world), {"text": "Zu spät"})
    assert_sent_back(client, response, tab_url(world),
                     "Die Zielvereinbarung ist „abgestimmt“ und kann nicht mehr bearbeitet werden.")
    assert not m.Proposal.objects.filter(text="Zu spät").exists()
    assert add_url(world) not in client.get(tab_url(world)).content.decode()


@pytest.mark.parametrize("data", [
    {},
    {"text": ""},
    {"text": "   "},
    {"text": "x" * 20001},
    {"text": "ok", "concerns": "x" * 301},
    {"text": "ok", "goal": "abc"},
    {"text": "ok", "section": 999999},
])
def test_it_refuses_bad_proposals(world, login, data):
    before = m.Proposal.objects.count()
    response = login(world.users.ministry).post(add_url(world), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert m.Proposal.objects.count() == before


def test_it_refuses_a_goal_or_section_of_another_agreement(world, login):
    goal = GoalFactory(agreement=world.other_agreement)
    section = m.AgreementSection.objects.create(agreement=world.other_agreement, heading="§ 1")
    client = login(world.users.ministry)
    for data in ({"text": "x", "goal": goal.pk}, {"text": "x", "section": section.pk}):
        response = client.post(add_url(world), data)
        assert response.status_code == 200
        assert response.context["form"].errors
    assert not m.Proposal.objects.filter(text="x").exists()


def test_it_stores_markup_as_text_and_shows_it_escaped(world, login):
    payload = '<script>alert("x")</script><b>fett</b>'
    client = login(world.users.ministry)
    client.post(add_url(world), {"text": payload, "concerns": payload})
    assert m.Proposal.objects.filter(text=payload, concerns=payload).exists()
    body = client.get(tab_url(world)).content.decode()
    assert "<script>alert" not in body and "<b>fett" not in body
    assert "&lt;script&gt;alert" in body


# Deciding ------------------------------------------------------------------------------------------------------

def test_it_records_the_decision_with_a_step_and_lists_it_as_not_adopted(world, login):
    client = login(world.users.editor)
    response = client.post(decide_url(world), decision(
        decision="teilweise", reason="Die Stellungnahme wird nur erwähnt.", answer_letter=world.letter.pk,
    ))
    assert response.status_code == 302
    world.proposal.refresh_from_db()
    assert world.proposal.decision == "teilweise"
    assert world.proposal.decided_by == world.users.editor and world.proposal.decided_at
    assert world.proposal.answer_letter == world.letter
    assert world.proposal.lock_version == 2

    step = world.agreement.steps.get(kind="vorschlag_entschieden")
    assert step.automatic and step.letter == world.letter and step.actor == world.users.editor
    assert "(Kreis Mettmann) hat entschieden" in step.display_description
    assert "von Ministerium für Arbeit, Integration und Soziales wird teilweise übernommen." in step.display_description
    assert "Die Stellungnahme wird nur erwähnt." in step.display_description
    assert set(step.participants.all()) == {world.ministry, world.county}

    body = client.get(tab_url(world)).content.decode()
    block = body.split("Nicht übernommene Vorschläge mit Begründung", 1)[1]
    assert "Bitte Liga-Stellungnahme anfügen" in block
    assert "Die Stellungnahme wird nur erwähnt." in block
    assert "Schreiben vom 29.03.2013: Übernahme der Vorschläge" in block


def test_it_allows_adopting_without_a_reason(world, login):
    response = login(world.users.editor).post(decide_url(world), decision(decision="uebernommen", reason=""))
    assert response.status_code == 302
    world.proposal.refresh_from_db()
    assert world.proposal.decision == "uebernommen"
    body = login(world.users.reader).get(tab_url(world)).content.decode()
    assert "Bitte Liga-Stellungnahme anfügen" not in body.split("Nicht übernommene Vorschläge", 1)[1]


def test_it_records_a_changed_decision(world, login):
    client = login(world.users.editor)
    client.post(decide_url(world), decision(decision="uebernommen", reason=""))
    response = client.post(decide_url(world), decision(lock_version=2))
    assert response.status_code == 302
    world.proposal.refresh_from_db()
    assert world.proposal.decision == "nicht_uebernommen"
    steps = list(world.agreement.steps.filter(kind="vorschlag_entschieden").order_by("id"))
    assert len(steps) == 2
    assert "Die frühere Entscheidung „übernommen“ ist damit geändert." in steps[1].display_description


# Decisions freeze with the text (issue 10, B.7) ------------------------------------------------------------------

FROZEN = list(m.Agreement.FROZEN_STATUSES)


def _decided_then_frozen(world, login, status):
    """The county, am Zug, adopted the ministry's proposal; then the text was agreed (and perhaps signed and
    beyond)."""
    client = login(world.users.editor)
    assert client.post(decide_url(world), decision(decision="uebernommen", reason="")).status_code == 302
    m.Agreement.objects.filter(pk=world.agreement.pk).update(status=status)
    world.proposal.refresh_from_db()
    return client


def _decision_record(world):
    proposal = m.Proposal.objects.get(pk=world.proposal.pk)
    return (proposal.decision, proposal.reason, proposal.decided_at, proposal.lock_version,
            world.agreement.steps.filter(kind="vorschlag_entschieden").count())


@pytest.mark.parametrize("status", FROZEN)
def test_it_refuses_to_re_decide_once_the_text_is_frozen(world, login, status):
    _decided_then_frozen(world, login, status)
    before = _decision_record(world)
    with pytest.raises(DomainError) as refusal:
        svc.decide_proposal(user=world.users.editor, proposal=world.proposal, lock_version=2,
                            data={"decision": "nicht_uebernommen", "reason": "Doch nicht."})
    assert "festgeschrieben" in str(refusal.value)
    assert _decision_record(world) == before


def test_it_refuses_a_first_decision_once_the_text_is_frozen(world):
    m.Agreement.objects.filter(pk=world.agreement.pk).update(status=m.Agreement.Status.AGREED)
    with pytest.raises(DomainError):
        svc.decide_proposal(user=world.users.editor, proposal=world.proposal, lock_version=1,
                            data={"decision": "uebernommen", "reason": ""})
    world.proposal.refresh_from_db()
    assert world.proposal.decision == "offen" and world.proposal.lock_version == 1


def test_it_checks_the_status_the_database_has_not_the_one_in_hand(world):
    """The proposal was read before somebody agreed the text: the service re-reads under the row lock."""
    proposal = m.Proposal.objects.select_related("agreement").get(pk=world.proposal.pk)
    m.Agreement.objects.filter(pk=world.agreement.pk).update(status=m.Agreement.Status.AGREED)
    assert not proposal.agreement.is_frozen
    with pytest.raises(DomainError):
        svc.decide_proposal(user=world.users.editor, proposal=proposal, lock_version=1,
                            data={"decision": "uebernommen", "reason": ""})
    assert m.Proposal.objects.get(pk=world.proposal.pk).decision == "offen"


@pytest.mark.parametrize("status", [m.Agreement.Status.AGREED, m.Agreement.Status.SIGNED])
def test_it_hides_and_refuses_the_decision_in_the_app_once_frozen(world, login, status):
    client = _decided_then_frozen(world, login, status)
    before = _decision_record(world)
    assert decide_url(world) not in client.get(tab_url(world)).content.decode()
    for send in (client.get, lambda url: client.post(url, decision(lock_version=2))):
        response = send(decide_url(world))
        assert response.status_code == 302 and response["Location"] == tab_url(world)
        followed = client.get(response["Location"]).content.decode()
        assert "Entscheidungen über Vorschläge sind mit dem Text festgeschrieben" in followed
    assert _decision_record(world) == before


def test_it_offers_the_decision_again_when_the_agreement_is_reopened(world, login):
    client = _decided_then_frozen(world, login, m.Agreement.Status.AGREED)
    m.Agreement.objects.filter(pk=world.agreement.pk).update(status=m.Agreement.Status.NEGOTIATION)
    assert decide_url(world) in client.get(tab_url(world)).content.decode()
    assert client.post(decide_url(world), decision(lock_version=2)).status_code == 302


def test_it_shows_a_conflict_on_concurrent_decisions_and_keeps_the_first(world, login):
    client = login(world.users.editor)
    assert client.post(decide_url(world), decision(decision="uebernommen", reason="")).status_code == 302
    response = client.post(decide_url(world), decision(reason="Zweiter Bearbeiter, alter Stand"))
    assert response.status_code == 409
    assert "Bearbeitungskonflikt" in response.content.decode()
    world.proposal.refresh_from_db()
    assert (world.proposal.decision, world.proposal.lock_version) == ("uebernommen", 2)
    assert world.agreement.steps.filter(kind="vorschlag_entschieden").count() == 1


@pytest.mark.parametrize("data", [
    {},
    decision(decision=""),
    decision(decision="offen"),
    decision(decision="nicht_uebernommen", reason=""),
    decision(decision="teilweise", reason="   "),
    decision(reason="x" * 20001),
    decision(answer_letter="abc"),
])
def test_it_refuses_bad_decisions(world, login, data):
    response = login(world.users.editor).post(decide_url(world), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    world.proposal.refresh_from_db()
    assert (world.proposal.decision, world.proposal.lock_version) == ("offen", 1)
    assert not world.agreement.steps.filter(kind="vorschlag_entschieden").exists()


def test_it_refuses_a_letter_of_another_agreement(world, login):
    letter = m.Letter.objects.create(agreement=world.other_agreement, date=world.letter.date, direction="eingang",
                                     sender=world.ministry, recipient=world.other_county, subject="Fremd")
    response = login(world.users.editor).post(decide_url(world), decision(answer_letter=letter.pk))
    assert response.status_code == 200
    assert "answer_letter" in response.context["form"].errors
    world.proposal.refresh_from_db()
    assert world.proposal.answer_letter is None and world.proposal.decision == "offen"


def test_it_prefills_the_form_with_the_current_decision(world, login):
    client = login(world.users.editor)
    client.post(decide_url(world), decision(reason="Erste Begründung"))
    form = client.get(decide_url(world)).context["form"]
    assert form.initial["decision"] == "nicht_uebernommen"
    assert form.initial["reason"] == "Erste Begründung"
    assert form.initial["lock_version"] == 2


# Queries -------------------------------------------------------------------------------------------------------

def make_proposals(world, total):
    for i in range(total - m.Proposal.objects.filter(agreement=world.agreement).count()):
        m.Proposal.objects.create(
            agreement=world.agreement, party=world.ministry if i % 2 else world.county, text=f"Vorschlag {i}",
            goal=world.goal, section=world.section, decision="nicht_uebernommen", reason="Grund",
            answer_letter=world.letter, decided_by=world.users.ministry, decided_at=world.letter.created,
        )


@pytest.mark.parametrize("pen", ["stored", "by_role"])
@pytest.mark.parametrize("role", ["editor", "ministry"])
def test_it_shows_the_tab_with_a_fixed_number_of_queries(world, login, role, pen):
    """For the party am Zug (a decide button per proposal of the other side) and the other; with the pen stored
    (Agreement.pen_party, set by the services) and without it (the kommunaler Träger by default, as the world's
    agreement and agreements migrated without a Fassung have it)."""
    if pen == "stored":
        m.Agreement.objects.filter(pk=world.agreement.pk).update(pen_party=world.county)
    client = login(getattr(world.users, role))
    # 10, and the navigation's "Am Zug" count (services.deadlines.waiting_counts).
    assert_fixed_queries(client, tab_url(world), lambda total: make_proposals(world, total), most=11)


# The services check again what the forms already refuse ---------------------------------------------------------

def test_it_refuses_foreign_records_in_the_services_too(world):
    goal = GoalFactory(agreement=world.other_agreement)
    with pytest.raises(DomainError) as refusal:
        svc.create_proposal(user=world.users.ministry, agreement=world.agreement, data={"text": "x", "goal": goal})
    assert "gehört nicht zu dieser Zielvereinbarung" in str(refusal.value)
    letter = m.Letter.objects.create(agreement=world.other_agreement, date=world.letter.date, direction="eingang",
                                     sender=world.ministry, recipient=world.other_county, subject="Fremd")
    with pytest.raises(DomainError):
        svc.decide_proposal(user=world.users.editor, proposal=world.proposal, lock_version=1,
                            data={"decision": "nicht_uebernommen", "reason": "Grund", "answer_letter": letter})
    with pytest.raises(DomainError):
        svc.decide_proposal(user=world.users.editor, proposal=world.proposal, lock_version=1,
                            data={"decision": "nicht_uebernommen", "reason": " "})
    world.proposal.refresh_from_db()
    assert world.proposal.decision == "offen" and not m.Proposal.objects.filter(text="x").exists()
