"""What the system records on the timeline is a typed entry (an action code and its data), the same whatever
language the acting user reads the interface in; it is phrased when read: German for the Vorlage (whose
"II. Verfahren" quotes the steps) and for a German reader, English for an English reader. The texts a Vorlage is
pre-filled with are German. Error messages stay in the user's language."""

import pytest
from django.urls import reverse
from django.utils import translation

from agreements import models as m
from agreements.infra.errors import DomainError
from agreements.services import lifecycle, negotiation, versions

from .builders_reference_vorlage import prefill_demo_vorlage

pytestmark = pytest.mark.django_db


def step_texts(agreement, language):
    return [s.rendered(language) for s in agreement.steps.order_by("pk")]


def test_steps_written_by_an_english_user_are_german(world):
    editor = world.users.editor
    before = world.agreement.steps.count()
    with translation.override("en"):
        versions.send_draft(user=editor, agreement=world.agreement, note="")
        negotiation.create_proposal(user=editor, agreement=world.agreement,
                                    data={"text": "Bitte Ziel 2 streichen", "goal": None, "section": None})
        lifecycle.withdraw(user=editor, agreement=world.agreement, reason="Neuer Entwurf folgt")
    steps = list(world.agreement.steps.order_by("pk"))[before:]
    # Stored: what happened and its data, no sentence in anybody's language.
    assert [s.action for s in steps] == ["version.sent", "proposal.made", "agreement.withdrawn"]
    assert all(s.title == "" and s.description == "" for s in steps)
    assert steps[2].data == {"party": "Kreis Mettmann", "reason": "Neuer Entwurf folgt"}

    sent, proposed, withdrawn = step_texts(world.agreement, "de")[before:]
    assert sent[0].startswith("Fassung 2 übersandt von Kreis Mettmann")
    assert "Eine Anmerkung wurde nicht beigefügt." in sent[1]
    assert proposed[0].startswith("Vorschlag von")
    assert "hat für Kreis Mettmann vorgeschlagen" in proposed[1]
    assert withdrawn == ("Zurückgezogen",
                         "Kreis Mettmann hat die Zielvereinbarung zurückgezogen. Begründung: Neuer Entwurf folgt")

    sent, proposed, withdrawn = step_texts(world.agreement, "en")[before:]
    assert sent[0] == "Version 2 sent by Kreis Mettmann"
    assert "No note was attached." in sent[1]
    assert withdrawn == ("Withdrawn", "Kreis Mettmann withdrew the target agreement. Reason: Neuer Entwurf folgt")


def test_an_english_user_still_reads_errors_in_english(world):
    with translation.override("en"):
        with pytest.raises(DomainError) as refused:
            lifecycle.withdraw(user=world.users.editor, agreement=world.agreement, reason=" ")
        assert str(refused.value) == "Please give a reason."


def test_timeline_page_in_english_shows_the_german_record(client, world):
    """The record is one; the page phrases it in the reader's language: English for the English user who wrote
    it, German for a German reader."""
    client.force_login(world.users.editor)
    client.cookies["django_language"] = "en"
    response = client.post(reverse("agreement_withdraw", args=[world.agreement.pk]), {"reason": "Dublette"})
    assert response.status_code == 302
    step = world.agreement.steps.get(kind=m.ProcedureStep.Kind.STATUS)
    assert (step.action, step.data) == ("agreement.withdrawn", {"party": "Kreis Mettmann", "reason": "Dublette"})
    url = reverse("agreement_timeline", args=[world.agreement.pk])
    english = client.get(url).content.decode()
    # The reason is quoted as written: German, marked so (WCAG 3.1.2) inside the English sentence.
    assert 'Kreis Mettmann withdrew the target agreement. Reason: <span lang="de">Dublette</span>' in english
    client.cookies["django_language"] = "de"
    german = client.get(url).content.decode()
    assert "Kreis Mettmann hat die Zielvereinbarung zurückgezogen. Begründung: Dublette" in german


def test_a_vorlage_prefilled_for_an_english_user_is_german():
    vorlage, agreement = prefill_demo_vorlage(language="en")
    assert vorlage.name.startswith("Zielsteuerung 2012 in der Grundsicherung für Arbeitsuchende")
    headings = list(vorlage.sections.values_list("heading", flat=True))
    assert "II. Verfahren" in headings
    assert vorlage.sections.get(heading="II. Verfahren").text.startswith("Im zweiten Halbjahr 2011")
    step = agreement.steps.order_by("-pk").first()
    assert step.action == "vorlage.created"
    assert step.rendered("de")[0] == f"Vorlage {vorlage.reference} angelegt"
