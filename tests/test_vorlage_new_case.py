"""The Vorlage drafted for a new case (issue 13, point 5): the 2013 case of the browser journey, built through the
services with no text written by hand, must read like the 2012 reference paper."""

import datetime

import pytest
from django.utils import timezone

from agreements import models as m
from agreements.services import agreements as agreement_svc
from agreements.services import goals as goal_svc
from agreements.services import lifecycle, negotiation, versions
from agreements.services import vorlagen as svc

from .vorlage_builders import vorlage_world

NOTES = ("Erster Entwurf des Kreises Mettmann.", "Vorschlag zu den Gesprächen übernommen, Zielwert angepasst.",
         "Leitziel präzisiert.")
PROPOSAL = "Trilaterale Zielvereinbarungsgespräche mit dem Jobcenter aufnehmen"
REASON = "Trilaterale Gespräche sind für 2013 nicht vorgesehen."


@pytest.fixture
def vw(world):
    return vorlage_world(world)


def journey_case(world):
    """The 2013 case as tests/e2e/journey.py walks it, through the services."""
    county, ministry = world.users.editor, world.users.ministry
    agreement = agreement_svc.create_agreement(user=county, data={
        "title": "Zielvereinbarung 2013 zwischen dem MAIS NRW und dem Kreis Mettmann", "year": 2013,
        "valid_from": datetime.date(2013, 1, 1), "valid_to": datetime.date(2013, 12, 31),
        "land": world.ministry, "kommunaler_traeger": world.county})
    section = agreement_svc.save_section(user=county, agreement=agreement, data={
        "heading": "§ 3 Zielsteuerungsgespräche",
        "text": "Die Vereinbarungspartner führen im Jahr 2013 ein Zielsteuerungsgespräch."})
    goal = goal_svc.save_goal(user=county, agreement=agreement, data={
        "kind": "qualitativ", "level": "landesziel", "area": "kdu", "title": "Senkung der Kosten der Unterkunft",
        "direction": "senkung", "text": "Die Summe der Leistungen für Unterkunft und Heizung soll sinken."})
    goal_svc.save_goal(user=county, agreement=agreement, data={
        "kind": "qualitativ", "level": "lokal", "area": "kdu", "title": "Integration Alleinerziehender",
        "direction": "steigerung"})
    goal_svc.save_offer(user=county, agreement=agreement, data={
        "topic": world.offer.topic, "title": "Fachtagung Alleinerziehende", "provider": world.ministry,
        "status": "geplant", "description": ""})
    versions.send_draft(user=county, agreement=agreement, note=NOTES[0])
    agreement.refresh_from_db()
    wording = negotiation.create_proposal(user=county, agreement=agreement, data={
        "text": "Die Halbjahreswerte sollen gemeinsam bewertet werden.", "section": section,
        "wording": section.text + " Ein zweites Gespräch im Herbst bewertet die Zielerreichung zum Halbjahr."})
    other = negotiation.create_proposal(user=county, agreement=agreement, data={
        "text": PROPOSAL, "concerns": "§ 2 Ziele"})
    negotiation.decide_proposal(user=ministry, proposal=wording, lock_version=wording.lock_version,
                                data={"decision": m.Proposal.Decision.ADOPTED})
    negotiation.decide_proposal(user=ministry, proposal=other, lock_version=other.lock_version,
                                data={"decision": m.Proposal.Decision.REJECTED, "reason": REASON})
    versions.send_draft(user=ministry, agreement=agreement, note=NOTES[1])
    agreement.refresh_from_db()
    goal.refresh_from_db()
    goal_svc.save_goal(user=county, agreement=agreement, goal=goal, lock_version=goal.lock_version, data={
        "kind": "qualitativ", "level": "landesziel", "area": "kdu", "title": goal.title, "direction": "senkung",
        "description": "Die Summe der Leistungen für Unterkunft und Heizung soll um mindestens ein Prozent sinken."})
    versions.send_draft(user=county, agreement=agreement, note=NOTES[2])
    agreement.refresh_from_db()
    lifecycle.agree(user=ministry, agreement=agreement)
    agreement.refresh_from_db()
    today = timezone.localdate()
    lifecycle.sign(user=county, agreement=agreement, data={
        "signatory_name": "Thomas Hendele", "signatory_function": "Landrat", "date": today, "place": "Mettmann"})
    agreement.refresh_from_db()
    lifecycle.sign(user=ministry, agreement=agreement, data={
        "signatory_name": "Dr. Wilhelm Schäffer", "signatory_function": "Staatssekretär", "date": today,
        "place": "Düsseldorf"})
    agreement.refresh_from_db()
    return agreement


@pytest.fixture
def drafted(vw):
    agreement = journey_case(vw.world)
    vorlage = svc.create_vorlage_from_agreement(user=vw.users.editor, agreement=agreement,
                                                department=vw.department, author=vw.author,
                                                date=timezone.localdate())
    return vorlage


def texts(vorlage):
    return [vorlage.occasion, vorlage.conclusion, *(s.text for s in vorlage.sections.all())]


def test_no_internal_note_reaches_the_paper(drafted):
    for text in texts(drafted):
        assert "Anmerkung" not in text
        for note in NOTES:
            assert note not in text


def test_the_occasion_pastes_no_timeline_sentence(drafted):
    occasion = drafted.occasion
    assert "übersandt." not in occasion and "Am Zug" not in occasion
    assert " an Ministerium" not in occasion and "an Kreis" not in occasion
    day = f"{timezone.localdate():%d.%m.%Y}"
    assert f"Am {day} begannen die Verhandlungen über die Inhalte der Zielvereinbarung 2013." in occasion


def test_the_procedure_tells_the_steps_in_prose(drafted):
    procedure = drafted.sections.get(heading="II. Verfahren").text
    day = f"{timezone.localdate():%d.%m.%Y}"
    assert procedure.strip()
    assert f"Am {day} übersandte der Kreis Mettmann dem MAIS NRW Fassung 1 der Zielvereinbarung." in procedure
    assert f"Am {day} übersandte das MAIS NRW dem Kreis Mettmann Fassung 2 der Zielvereinbarung." in procedure
    assert "Fassung 3" in procedure
    assert (f"Am {day} übernahm das MAIS NRW den Vorschlag des Kreises Mettmann „Die Halbjahreswerte sollen "
            "gemeinsam bewertet werden“.") in procedure
    # The proposal is named as the timeline names it: by what it concerns.
    assert (f"Am {day} entschied das MAIS NRW, den Vorschlag des Kreises Mettmann „§ 2 Ziele“ nicht zu "
            "übernehmen.") in procedure
    assert (f"Am {day} nahm das MAIS NRW Fassung 3 an. Damit war der Text der Zielvereinbarung abgestimmt."
            in procedure)
    assert (f"Am {day} unterzeichnete Landrat Thomas Hendele für den Kreis Mettmann in Mettmann die "
            "Zielvereinbarung.") in procedure
    assert (f"Am {day} unterzeichnete Staatssekretär Dr. Wilhelm Schäffer für das MAIS NRW in Düsseldorf die "
            "Zielvereinbarung.") in procedure
    assert "Am Zug" not in procedure and "SHA" not in procedure


def test_the_decision_type_matches_the_proposed_resolution(drafted):
    assert drafted.resolution == "Die Ausführungen der Verwaltung werden zur Kenntnis genommen."
    assert drafted.decision_type == m.Vorlage.DecisionType.KENNTNISNAHME


def test_it_proposes_the_anlagen_the_case_has(drafted):
    """Of the reference's five Anlagen the case has only the signed agreement: that is proposed, nothing else."""
    agreement = drafted.agreement
    assert agreement.signed_file_id is not None
    assert [(a.title, a.document_id) for a in drafted.anlagen.order_by("order")] == [
        ("Zielvereinbarung MAIS NRW – Kreis Mettmann 2013", agreement.signed_file_id)]
