import pytest
from django.urls import reverse

from agreements import models as m
from agreements.infra.errors import DomainError
from agreements.services import negotiation as svc

from . import builders_tabs as tabs
from .builders_queries import assert_fixed_queries
from .factories import ROLES, WRITE_GET, WRITE_POST, GoalFactory

pytestmark = pytest.mark.django_db

# The county proposed world.proposal: only the other side (the ministry) decides it.
DECIDE_GET = dict(WRITE_GET, editor=403)
DECIDE_POST = dict(DECIDE_GET, ministry=302)


tab_url = tabs.agreement_url("agreement_proposals")
add_url = tabs.agreement_url("proposal_add")
decide_url = tabs.agreement_url("proposal_decide", lambda world: world.proposal)


def decision(**extra):
    data = {"decision": "nicht_uebernommen", "reason": "Landesweit einheitliche Ziele.", "lock_version": 1}
    data.update(extra)
    return data


# Permissions ---------------------------------------------------------------------------------------------------

test_it_shows_the_tab_per_role = tabs.shows_the_tab_per_role(tab_url)


@pytest.mark.parametrize("role", ROLES)
def test_it_protects_proposal_add_per_role(world, login, role):
    before = m.Proposal.objects.count()
    tabs.assert_form_per_role(login(getattr(world.users, role)), role, add_url(world), {"text": "Mehr Beratung"})
    assert m.Proposal.objects.count() == before + (1 if WRITE_POST[role] == 302 and role != "anonymous" else 0)


@pytest.mark.parametrize("role", ROLES)
def test_it_protects_proposal_decide_per_role(world, login, role):
    tabs.assert_form_per_role(login(getattr(world.users, role)), role, decide_url(world), decision(),
                              get=DECIDE_GET, post=DECIDE_POST)
    world.proposal.refresh_from_db()
    expected = "nicht_uebernommen" if role == "ministry" else "offen"
    assert world.proposal.decision == expected


def test_it_refuses_the_proposing_side_to_decide_its_own_proposal(world, login):
    response = login(world.users.editor).post(decide_url(world), decision(decision="uebernommen"))
    assert response.status_code == 403
    world.proposal.refresh_from_db()
    assert world.proposal.decision == "offen"


def test_it_lets_the_county_decide_a_ministry_proposal(world, login):
    proposal = m.Proposal.objects.create(agreement=world.agreement, party=world.ministry, text="Landesziel K2")
    response = login(world.users.editor).post(decide_url(world, proposal), decision(decision="uebernommen",
                                                                                     reason=""))
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.decision == "uebernommen"
    assert login(world.users.ministry).get(decide_url(world, proposal)).status_code == 403


def test_it_hides_a_proposal_of_another_agreement(world, login):
    other = m.Proposal.objects.create(agreement=world.other_agreement, party=world.ministry, text="x")
    url = reverse("proposal_decide", args=[world.agreement.pk, other.pk])
    assert login(world.users.ministry).get(url).status_code == 404


# Proposing -----------------------------------------------------------------------------------------------------

def test_it_records_the_proposal_for_the_users_party(world, login):
    response = login(world.users.editor).post(add_url(world), {
        "text": "Stellungnahme der Liga als Anlage", "concerns": "Anlagen", "goal": world.goal.pk,
        "section": world.section.pk,
    })
    assert response.status_code == 302
    proposal = m.Proposal.objects.latest("id")
    assert proposal.party == world.county
    assert (proposal.goal, proposal.section, proposal.created_by) == (world.goal, world.section, world.users.editor)
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


def test_it_offers_decide_only_to_the_other_side(world, login):
    assert decide_url(world) not in login(world.users.editor).get(tab_url(world)).content.decode()
    assert decide_url(world) in login(world.users.ministry).get(tab_url(world)).content.decode()


def test_it_refuses_proposals_when_the_agreement_is_frozen(world, login):
    world.agreement.status = m.Agreement.Status.AGREED
    world.agreement.save()
    client = login(world.users.editor)
    response = client.post(add_url(world), {"text": "Zu spät"})
    assert response.status_code == 302
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
    response = login(world.users.editor).post(add_url(world), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert m.Proposal.objects.count() == before


def test_it_refuses_a_goal_or_section_of_another_agreement(world, login):
    goal = GoalFactory(agreement=world.other_agreement)
    section = m.AgreementSection.objects.create(agreement=world.other_agreement, heading="§ 1")
    client = login(world.users.editor)
    for data in ({"text": "x", "goal": goal.pk}, {"text": "x", "section": section.pk}):
        response = client.post(add_url(world), data)
        assert response.status_code == 200
        assert response.context["form"].errors
    assert not m.Proposal.objects.filter(text="x").exists()


def test_it_stores_markup_as_text_and_shows_it_escaped(world, login):
    payload = '<script>alert("x")</script><b>fett</b>'
    client = login(world.users.editor)
    client.post(add_url(world), {"text": payload, "concerns": payload})
    assert m.Proposal.objects.filter(text=payload, concerns=payload).exists()
    body = client.get(tab_url(world)).content.decode()
    assert "<script>alert" not in body and "<b>fett" not in body
    assert "&lt;script&gt;alert" in body


# Deciding ------------------------------------------------------------------------------------------------------

def test_it_records_the_decision_with_a_step_and_lists_it_as_not_adopted(world, login):
    client = login(world.users.ministry)
    response = client.post(decide_url(world), decision(
        decision="teilweise", reason="Die Stellungnahme wird nur erwähnt.", answer_letter=world.letter.pk,
    ))
    assert response.status_code == 302
    world.proposal.refresh_from_db()
    assert world.proposal.decision == "teilweise"
    assert world.proposal.decided_by == world.users.ministry and world.proposal.decided_at
    assert world.proposal.answer_letter == world.letter
    assert world.proposal.lock_version == 2

    step = world.agreement.steps.get(kind="vorschlag_entschieden")
    assert step.automatic and step.letter == world.letter and step.actor == world.users.ministry
    assert "Ministerium für Arbeit, Integration und Soziales" in step.display_description
    assert "wird teilweise übernommen." in step.display_description
    assert "Die Stellungnahme wird nur erwähnt." in step.display_description
    assert set(step.participants.all()) == {world.ministry, world.county}

    body = client.get(tab_url(world)).content.decode()
    block = body.split("Nicht übernommene Vorschläge mit Begründung", 1)[1]
    assert "Bitte Liga-Stellungnahme anfügen" in block
    assert "Die Stellungnahme wird nur erwähnt." in block
    assert "Schreiben vom 29.03.2013: Übernahme der Vorschläge" in block


def test_it_allows_adopting_without_a_reason(world, login):
    response = login(world.users.ministry).post(decide_url(world), decision(decision="uebernommen", reason=""))
    assert response.status_code == 302
    world.proposal.refresh_from_db()
    assert world.proposal.decision == "uebernommen"
    body = login(world.users.reader).get(tab_url(world)).content.decode()
    assert "Bitte Liga-Stellungnahme anfügen" not in body.split("Nicht übernommene Vorschläge", 1)[1]


def test_it_records_a_changed_decision(world, login):
    client = login(world.users.ministry)
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
    """The ministry adopted the county's proposal; then the text was agreed (and perhaps signed and beyond)."""
    client = login(world.users.ministry)
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
        svc.decide_proposal(user=world.users.ministry, proposal=world.proposal, lock_version=2,
                            data={"decision": "nicht_uebernommen", "reason": "Doch nicht."})
    assert "festgeschrieben" in str(refusal.value)
    assert _decision_record(world) == before


def test_it_refuses_a_first_decision_once_the_text_is_frozen(world):
    m.Agreement.objects.filter(pk=world.agreement.pk).update(status=m.Agreement.Status.AGREED)
    with pytest.raises(DomainError):
        svc.decide_proposal(user=world.users.ministry, proposal=world.proposal, lock_version=1,
                            data={"decision": "uebernommen", "reason": ""})
    world.proposal.refresh_from_db()
    assert world.proposal.decision == "offen" and world.proposal.lock_version == 1


def test_it_checks_the_status_the_database_has_not_the_one_in_hand(world):
    """The proposal was read before somebody agreed the text: the service re-reads under the row lock."""
    proposal = m.Proposal.objects.select_related("agreement").get(pk=world.proposal.pk)
    m.Agreement.objects.filter(pk=world.agreement.pk).update(status=m.Agreement.Status.AGREED)
    assert not proposal.agreement.is_frozen
    with pytest.raises(DomainError):
        svc.decide_proposal(user=world.users.ministry, proposal=proposal, lock_version=1,
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
    client = login(world.users.ministry)
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
    response = login(world.users.ministry).post(decide_url(world), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    world.proposal.refresh_from_db()
    assert (world.proposal.decision, world.proposal.lock_version) == ("offen", 1)
    assert not world.agreement.steps.filter(kind="vorschlag_entschieden").exists()


def test_it_refuses_a_letter_of_another_agreement(world, login):
    letter = m.Letter.objects.create(agreement=world.other_agreement, date=world.letter.date, direction="eingang",
                                     sender=world.ministry, recipient=world.other_county, subject="Fremd")
    response = login(world.users.ministry).post(decide_url(world), decision(answer_letter=letter.pk))
    assert response.status_code == 200
    assert "answer_letter" in response.context["form"].errors
    world.proposal.refresh_from_db()
    assert world.proposal.answer_letter is None and world.proposal.decision == "offen"


def test_it_prefills_the_form_with_the_current_decision(world, login):
    client = login(world.users.ministry)
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


def test_it_shows_the_tab_with_a_fixed_number_of_queries(world, login):
    client = login(world.users.ministry)
    assert_fixed_queries(client, tab_url(world), lambda total: make_proposals(world, total), most=10)


# The services check again what the forms already refuse ---------------------------------------------------------

def test_it_refuses_foreign_records_in_the_services_too(world):
    goal = GoalFactory(agreement=world.other_agreement)
    with pytest.raises(DomainError):
        svc.create_proposal(user=world.users.editor, agreement=world.agreement, data={"text": "x", "goal": goal})
    letter = m.Letter.objects.create(agreement=world.other_agreement, date=world.letter.date, direction="eingang",
                                     sender=world.ministry, recipient=world.other_county, subject="Fremd")
    with pytest.raises(DomainError):
        svc.decide_proposal(user=world.users.ministry, proposal=world.proposal, lock_version=1,
                            data={"decision": "nicht_uebernommen", "reason": "Grund", "answer_letter": letter})
    with pytest.raises(DomainError):
        svc.decide_proposal(user=world.users.ministry, proposal=world.proposal, lock_version=1,
                            data={"decision": "nicht_uebernommen", "reason": " "})
    world.proposal.refresh_from_db()
    assert world.proposal.decision == "offen" and not m.Proposal.objects.filter(text="x").exists()
