"""Proposals that carry the exact change (issue 12, point 3): a section's new wording or new values of a goal,
adopted by the party am Zug in one step (the change goes into the working text, the next Fassung's redline shows
it), adopted partly (the text is edited by hand, the decision "teilweise" gives the reason) or rejected with the
reason; proposals on the same passage are shown together, so that a collision is visible.

In the world the county (editor) is am Zug and the ministry proposes."""

from decimal import Decimal

import pytest
from django.urls import reverse

from agreements import models as m
from agreements.infra.errors import DomainError
from agreements.services import agreements as agreement_svc
from agreements.services import negotiation as svc
from agreements.services import versions
from agreements.text import redline

from .builders_queries import assert_fixed_queries

pytestmark = pytest.mark.django_db

NEW_WORDING = "Die Vereinbarung gilt vom 01.01.2013 bis zum 31.12.2013.\nSie wird jährlich fortgeschrieben."


def propose_wording(world, wording=NEW_WORDING, text="Laufzeit klarstellen"):
    return svc.create_proposal(user=world.users.ministry, agreement=world.agreement,
                               data={"text": text, "section": world.section, "wording": wording})


def quantitative_goal(world):
    indicator = m.Indicator.objects.get(code="K2")
    return m.Goal.objects.create(
        agreement=world.agreement, order=2, title="Integrationsquote steigern", kind=m.Goal.Kind.QUANTITATIVE,
        indicator=indicator, direction=m.Goal.Direction.STEIGERUNG, reference_value=Decimal("24.1"),
        corridor_low=Decimal("24"), corridor_high=Decimal("26"), target_value=Decimal("25"), unit="%",
    )


def propose_values(world, goal, **values):
    return svc.create_proposal(user=world.users.ministry, agreement=world.agreement,
                               data={"text": "Zielwert anheben", "goal": goal, "goal_values": values})


def decide(world, proposal, decision, reason=""):
    proposal.refresh_from_db()
    return svc.decide_proposal(user=world.users.editor, proposal=proposal,
                               data={"decision": decision, "reason": reason}, lock_version=proposal.lock_version)


Decision = m.Proposal.Decision


# --- Making them ------------------------------------------------------------------------------------------------


def test_a_wording_proposal_keeps_the_passage_as_it_stood(world):
    proposal = propose_wording(world)
    assert proposal.wording == NEW_WORDING and proposal.section == world.section
    assert proposal.based_on == {"text": "Text"}
    assert proposal.carries_change


@pytest.mark.parametrize("data, message", [
    ({"wording": "Neu"}, "Ein neuer Wortlaut braucht den Abschnitt, den er ersetzt."),
    ({"wording": "Text\r\n", "section": "world"}, "Der vorgeschlagene Wortlaut ist derselbe wie der des Abschnitts."),
    ({"goal_values": {"direction": "senkung"}}, "Neue Werte eines Ziels brauchen das Ziel, das sie ändern."),
    ({"goal_values": {"direction": "senkung"}, "goal": "world"},
     "Die vorgeschlagenen Werte sind dieselben wie die des Ziels."),
])
def test_a_change_needs_its_passage_and_must_change_something(world, data, message):
    data = {"text": "Vorschlag", **data}
    for key, target in (("section", world.section), ("goal", world.goal)):
        if data.get(key) == "world":
            data[key] = target
    with pytest.raises(DomainError) as refused:
        svc.create_proposal(user=world.users.ministry, agreement=world.agreement, data=data)
    assert refused.value.message == message
    assert m.Proposal.objects.count() == 1  # the world's own


def test_only_the_goal_values_that_differ_are_kept(world):
    goal = quantitative_goal(world)
    proposal = propose_values(world, goal, direction="steigerung", reference_value=Decimal("24.100"),
                              corridor_low=Decimal("24"), corridor_high=Decimal("28"), target_value=Decimal("27.5"),
                              text="")
    assert proposal.goal_values == {"corridor_high": "28", "target_value": "27.5"}
    assert proposal.based_on["target_value"] == "25" and proposal.based_on["corridor_high"] == "26"


def test_the_pen_holder_cannot_propose_a_change(world):
    with pytest.raises(DomainError):
        svc.create_proposal(user=world.users.editor, agreement=world.agreement,
                            data={"text": "x", "section": world.section, "wording": "Neu"})


# --- Deciding them ----------------------------------------------------------------------------------------------


def test_adopting_a_wording_changes_the_working_text_in_one_step(world):
    proposal = decide(world, propose_wording(world), Decision.ADOPTED)
    world.section.refresh_from_db()
    assert world.section.text == NEW_WORDING
    assert proposal.applied_at == proposal.decided_at is not None
    step = m.ProcedureStep.objects.filter(action="proposal.decided").latest("pk")
    # The passage is stored as data and phrased when read: German for the record, English for an English reader.
    assert step.data["applied"] == {"section": "§ 1 Gegenstand"}
    assert "Die Änderung steht damit im Arbeitstext: Wortlaut von „§ 1 Gegenstand“." in step.rendered("de")[1]
    assert "The change is now in the working text: wording of “§ 1 Gegenstand”." in step.rendered("en")[1]


def test_adopting_goal_values_goes_through_the_goal_rules(world):
    goal = quantitative_goal(world)
    decide(world, propose_values(world, goal, target_value=Decimal("25.5"), corridor_high=Decimal("27")),
           Decision.ADOPTED)
    goal.refresh_from_db()
    assert (goal.target_value, goal.corridor_high, goal.corridor_low) == (Decimal("25.5"), Decimal("27"), Decimal("24"))
    step = m.ProcedureStep.objects.filter(action="proposal.decided").latest("pk")
    assert step.data["applied"] == {"goal": "Integrationsquote steigern", "fields": ["corridor_high", "target_value"]}
    assert "Arbeitstext: Ziel „Integrationsquote steigern“ (Korridor obere Grenze, Zielwert)." in step.rendered("de")[1]
    assert "goal “Integrationsquote steigern” (Corridor upper limit, Target value)." in step.rendered("en")[1]

    # A change the goal's rules refuse is not half applied: decision and goal stay as they were.
    bad = propose_values(world, goal, corridor_low=Decimal("30"))
    with pytest.raises(DomainError):
        decide(world, bad, Decision.ADOPTED)
    bad.refresh_from_db()
    goal.refresh_from_db()
    assert bad.decision == Decision.OPEN and bad.applied_at is None and goal.corridor_low == Decimal("24")


@pytest.mark.parametrize("decision", [Decision.PARTLY, Decision.REJECTED])
def test_partly_or_not_adopting_leaves_the_text_to_the_pen_holder(world, decision):
    proposal = decide(world, propose_wording(world), decision, reason="Nur die Laufzeit übernommen.")
    world.section.refresh_from_db()
    assert world.section.text == "Text" and proposal.applied_at is None
    assert proposal.reason == "Nur die Laufzeit übernommen."


def test_an_applied_change_is_not_taken_back_by_a_new_decision(world):
    proposal = decide(world, propose_wording(world), Decision.ADOPTED)
    with pytest.raises(DomainError, match="steht bereits im Arbeitstext"):
        decide(world, proposal, Decision.REJECTED, reason="doch nicht")
    # Deciding "übernommen" again (e.g. to name the answer letter) does not apply it a second time over a later
    # edit by hand.
    agreement_svc.save_section(user=world.users.editor, agreement=world.agreement,
                               data={"heading": "§ 1 Gegenstand", "text": "Von Hand geändert"},
                               section=world.section, lock_version=world.section.lock_version + 1)
    svc.decide_proposal(user=world.users.editor, proposal=m.Proposal.objects.get(pk=proposal.pk),
                        data={"decision": Decision.ADOPTED, "answer_letter": world.letter},
                        lock_version=proposal.lock_version)
    world.section.refresh_from_db()
    assert world.section.text == "Von Hand geändert"


def test_a_change_to_a_deleted_section_cannot_be_adopted(world):
    proposal = propose_wording(world)
    agreement_svc.delete_section(user=world.users.editor, section=world.section)
    with pytest.raises(DomainError, match="gibt es nicht mehr"):
        decide(world, proposal, Decision.ADOPTED)
    assert decide(world, proposal, Decision.REJECTED, reason="Abschnitt entfallen.").decision == Decision.REJECTED


def test_the_next_fassung_shows_the_adopted_wording_in_its_redline(world, login):
    """Three Fassungen: the county sends (2), the ministry proposes and the county, am Zug again after the
    ministry's Fassung 3, adopts; its Fassung 4 shows the change against Fassung 3, word by word."""
    versions.send_draft(user=world.users.editor, agreement=world.agreement)  # Fassung 2: pen to the ministry
    agreement_svc.save_section(user=world.users.ministry, agreement=world.agreement,
                               data={"heading": "§ 2 Ziele", "text": "Vom Ministerium"})
    versions.send_draft(user=world.users.ministry, agreement=world.agreement)  # Fassung 3: pen back
    proposal = svc.create_proposal(user=world.users.ministry, agreement=world.agreement, data={
        "text": "Laufzeit", "section": world.section, "wording": "Text mit Laufzeit 2013"})
    world.agreement.refresh_from_db()
    assert world.agreement.pen_holder_id() == world.county.pk
    decide(world, proposal, Decision.ADOPTED)
    versions.send_draft(user=world.users.editor, agreement=world.agreement)  # Fassung 4
    third, fourth = (m.AgreementVersion.objects.get(agreement=world.agreement, number=n) for n in (3, 4))
    assert [s["text"] for s in fourth.snapshot["sections"]] == ["Text mit Laufzeit 2013", "Vom Ministerium"]
    assert [s["text"] for s in third.snapshot["sections"]] == ["Text", "Vom Ministerium"]
    page = login(world.users.ministry).get(reverse("version_compare", args=[world.agreement.pk]) + "?a=3&b=4")
    assert page.status_code == 200
    assert str(redline.diff_text("Text", "Text mit Laufzeit 2013")) in page.content.decode()


# --- Seeing them together --------------------------------------------------------------------------------------


def test_open_proposals_on_the_same_passage_collide(world):
    first = propose_wording(world)
    second = propose_wording(world, wording="Ganz anderer Text", text="Gegenvorschlag")
    other = svc.create_proposal(user=world.users.ministry, agreement=world.agreement,
                                data={"text": "Zum Ziel", "goal": world.goal})
    arranged = svc.arrange_proposals(list(m.Proposal.objects.order_by("created", "id")))
    # world.proposal (no passage) first, then the two on § 1 together, then the goal's.
    assert [p.pk for p in arranged] == [world.proposal.pk, first.pk, second.pk, other.pk]
    by_pk = {p.pk: p for p in arranged}
    assert by_pk[first.pk].collisions == [by_pk[second.pk]] and by_pk[second.pk].collisions == [by_pk[first.pk]]
    assert by_pk[other.pk].collisions == [] and by_pk[world.proposal.pk].collisions == []

    # Adopting one: the other is no longer in collision, but its passage has changed since it was made.
    decide(world, first, Decision.ADOPTED)
    arranged = {p.pk: p for p in svc.arrange_proposals(list(m.Proposal.objects.select_related("section", "goal")))}
    assert arranged[second.pk].collisions == []
    assert arranged[second.pk].change.stale and not arranged[first.pk].change.stale
    assert arranged[first.pk].change.applied
    # The applied one shows what it changed; the open one its wording against today's text.
    assert str(arranged[first.pk].change.diff) == str(redline.diff_text("Text", NEW_WORDING))
    assert str(arranged[second.pk].change.diff) == str(redline.diff_text(NEW_WORDING, "Ganz anderer Text"))


def test_goal_changes_are_described_per_field(world):
    goal = quantitative_goal(world)
    proposal = propose_values(world, goal, target_value=Decimal("27"), direction="senkung")
    change = svc.describe_change(m.Proposal.objects.select_related("goal").get(pk=proposal.pk))
    assert [(str(r.label), r.old, r.new) for r in change.rows] == [
        ("Tendenz", "Steigerung", "Senkung"), ("Zielwert", "25\u00a0%", "27\u00a0%"),
    ]


@pytest.mark.parametrize("language, old, new", [("de", "25\u00a0%", "25,5\u00a0%"), ("en", "25%", "25.5%")])
def test_the_proposals_tab_shows_proposed_values_as_the_goal_does(world, login, language, old, new):
    goal = quantitative_goal(world)
    propose_values(world, goal, target_value=Decimal("25.500"))
    client = login(world.users.editor)
    client.cookies["django_language"] = language
    body = client.get(reverse("agreement_proposals", args=[world.agreement.pk])).content.decode()
    assert f"</span>{old}</del>" in body and f"</span>{new}</ins>" in body


# --- The pages ---------------------------------------------------------------------------------------------------


def add_url(world, query):
    return reverse("proposal_add", args=[world.agreement.pk]) + query


def test_the_section_form_is_prefilled_and_makes_a_wording_proposal(world, login):
    client = login(world.users.ministry)
    page = client.get(add_url(world, f"?abschnitt={world.section.pk}"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Neuen Wortlaut vorschlagen: § 1 Gegenstand" in html
    assert page.context["form"]["wording"].value() == "Text"
    response = client.post(add_url(world, f"?abschnitt={world.section.pk}"),
                           {"wording": NEW_WORDING, "text": "Laufzeit klarstellen"})
    assert response.status_code == 302
    proposal = m.Proposal.objects.latest("pk")
    assert (proposal.section, proposal.wording.replace("\r\n", "\n"), proposal.concerns) == (
        world.section, NEW_WORDING, "§ 1 Gegenstand")


def test_the_goal_form_offers_only_what_the_goal_can_have(world, login):
    client = login(world.users.ministry)
    # The world's goal is qualitative: Tendenz and text only, no numbers.
    form = client.get(add_url(world, f"?ziel={world.goal.pk}")).context["form"]
    assert sorted(form.fields) == ["new_direction", "new_text", "submission_repeat", "submission_token", "text"]
    goal = quantitative_goal(world)
    page = client.get(add_url(world, f"?ziel={goal.pk}"))
    assert "new_target_value" in page.context["form"].fields
    response = client.post(add_url(world, f"?ziel={goal.pk}"), {
        "new_direction": "steigerung", "new_reference_value": "24,1", "new_corridor_low": "24",
        "new_corridor_high": "26", "new_target_value": "25,5", "new_text": "", "text": "Etwas mehr",
    })
    assert response.status_code == 302
    assert m.Proposal.objects.latest("pk").goal_values == {"target_value": "25.5"}


@pytest.mark.parametrize("query", ["?abschnitt=abc", "?ziel=-1", "?abschnitt=99999999", "?abschnitt=1&ziel=1",
                                   "?abschnitt=" + "9" * 30])
def test_a_bad_passage_is_not_found(world, login, query):
    if query == "?abschnitt=1&ziel=1":
        query = f"?abschnitt={world.section.pk}&ziel={world.goal.pk}"
    assert login(world.users.ministry).get(add_url(world, query)).status_code == 404


def test_a_passage_of_another_agreement_is_not_found(world, login):
    foreign = m.AgreementSection.objects.create(agreement=world.other_agreement, order=1, heading="§ 1", text="fremd")
    assert login(world.users.ministry).get(add_url(world, f"?abschnitt={foreign.pk}")).status_code == 404


def test_the_proposal_links_are_shown_to_the_party_without_the_pen(world, login):
    detail = reverse("agreement_detail", args=[world.agreement.pk])
    goals = reverse("agreement_goals", args=[world.agreement.pk])
    section_link = f'{add_url(world, "")}?abschnitt={world.section.pk}'
    goal_link = f'{add_url(world, "")}?ziel={world.goal.pk}'
    ministry = login(world.users.ministry)
    assert section_link in ministry.get(detail).content.decode()
    assert goal_link in ministry.get(goals).content.decode()
    county = login(world.users.editor)
    assert section_link not in county.get(detail).content.decode()
    assert goal_link not in county.get(goals).content.decode()
    reader = login(world.users.reader)
    assert section_link not in reader.get(detail).content.decode()


def test_the_decision_page_shows_the_change_and_the_other_proposals_on_the_passage(world, login):
    first = propose_wording(world)
    propose_wording(world, wording="Ganz anderer Text", text="Gegenvorschlag")
    page = login(world.users.editor).get(reverse("proposal_decide", args=[world.agreement.pk, first.pk]))
    html = page.content.decode()
    assert str(redline.diff_text("Text", NEW_WORDING)) in html
    assert "Weitere Vorschläge zu derselben Stelle" in html and "Gegenvorschlag" in html
    assert "Ein weiterer offener Vorschlag betrifft dieselbe Stelle." in html
    tab = login(world.users.editor).get(reverse("agreement_proposals", args=[world.agreement.pk])).content.decode()
    assert tab.count("Ein weiterer offener Vorschlag betrifft dieselbe Stelle.") == 2


def test_adopting_on_the_page_changes_the_text(world, login):
    proposal = propose_wording(world)
    client = login(world.users.editor)
    response = client.post(reverse("proposal_decide", args=[world.agreement.pk, proposal.pk]),
                           {"decision": "uebernommen", "reason": "", "lock_version": proposal.lock_version})
    assert response.status_code == 302
    world.section.refresh_from_db()
    assert world.section.text == NEW_WORDING


def _proposals_with_changes(world, count):
    for i in range(count):
        svc.create_proposal(user=world.users.ministry, agreement=world.agreement, data={
            "text": f"Vorschlag {i}", "section": world.section, "wording": f"Wortlaut {i}"})
    goal = quantitative_goal(world) if not m.Goal.objects.filter(title="Integrationsquote steigern").exists() \
        else m.Goal.objects.get(title="Integrationsquote steigern")
    for i in range(count):
        propose_values(world, goal, target_value=Decimal(30 + i))


def test_the_proposals_tab_and_decision_page_have_fixed_query_counts(world, login):
    client = login(world.users.editor)
    tab = reverse("agreement_proposals", args=[world.agreement.pk])
    decide_url = reverse("proposal_decide", args=[world.agreement.pk, world.proposal.pk])
    assert_fixed_queries(client, tab, lambda n: _proposals_with_changes(world, n), most=10)
    assert_fixed_queries(client, decide_url, lambda n: _proposals_with_changes(world, n), most=12)


def test_a_proposal_in_words_has_no_change_to_show(world):
    assert svc.describe_change(world.proposal) is None
    assert not world.proposal.carries_change
