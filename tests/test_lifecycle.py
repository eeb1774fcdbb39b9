"""The agreement lifecycle: every allowed and forbidden transition, signing, the frozen PDF, immutability."""

import datetime
import hashlib
import io
import threading

import pikepdf
import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone

from agreements import models as m
from agreements.infra.errors import DomainError
from agreements.services import goals as goal_svc
from agreements.services import lifecycle, versions

from .builders_files import pdf_text
from .builders_lifecycle import agree, send_and_accept, sign_data
from .builders_writes import GOAL
from .factories import make_user

S = m.Agreement.Status
pytestmark = pytest.mark.django_db



def sign_all(world):
    agree(world)
    lifecycle.sign(user=world.users.editor, agreement=world.agreement, data=sign_data())
    lifecycle.sign(user=world.users.ministry, agreement=world.agreement,
                   data=sign_data("Dr. Wilhelm Schäffer", "Staatssekretär", "Düsseldorf"))
    world.agreement.refresh_from_db()
    return world.agreement


def test_it_agrees_and_freezes_the_final_text_as_a_version(world):
    acceptance = send_and_accept(world)
    world.agreement.refresh_from_db()
    assert world.agreement.status == S.AGREED
    sent, final = world.agreement.versions.order_by("number")[1:]
    # The ministry accepted exactly the Fassung the county sent; that Fassung's text is the Endfassung.
    assert (acceptance.version, acceptance.party, acceptance.accepted_by) == (sent, world.ministry,
                                                                               world.users.ministry)
    assert sent.kind == m.AgreementVersion.Kind.DRAFT and sent.author_party == world.county
    assert final.kind == m.AgreementVersion.Kind.FINAL and final.number == 3
    assert final.snapshot == sent.snapshot
    assert [g["title"] for g in final.snapshot["goals"]] == ["Senkung der KdU"]
    assert world.agreement.steps.filter(kind="abgestimmt").exists()


def refused_agree(world, user, message):
    """lifecycle.agree refuses `user` with `message` and changes nothing."""
    acceptances, versions_before = m.Acceptance.objects.count(), world.agreement.versions.count()
    with pytest.raises(DomainError) as refusal:
        lifecycle.agree(user=user, agreement=world.agreement)
    assert str(refusal.value) == message
    world.agreement.refresh_from_db()
    assert world.agreement.status == S.NEGOTIATION
    assert (m.Acceptance.objects.count(), world.agreement.versions.count()) == (acceptances, versions_before)


def test_it_accepts_only_a_received_fassung_that_nobody_changed_since(world):
    # The world: the ministry sent Fassung 1, the county changed the text since and has not sent it.
    refused_agree(world, world.users.ministry, "Fassung 1 hat Ihre Stelle selbst übersandt: annehmen kann sie nur, "
                                               "wer sie erhalten hat.")
    refused_agree(world, world.users.editor, "Der Arbeitsstand weicht von Fassung 1 ab: Änderungen, die nicht "
                                             "übersandt sind, verhindern die Annahme. Übersenden Sie sie als neue "
                                             "Fassung.")
    versions.send_draft(user=world.users.editor, agreement=world.agreement)
    refused_agree(world, world.users.editor, "Fassung 2 hat Ihre Stelle selbst übersandt: annehmen kann sie nur, "
                                             "wer sie erhalten hat.")
    # The ministry, now "am Zug", changes the text: it cannot accept Fassung 2 any more, only send its own.
    goal_svc.save_goal(user=world.users.ministry, agreement=world.agreement, goal=world.goal,
                       data={**GOAL, "title": "Senkung der Kosten der Unterkunft"},
                       lock_version=world.goal.lock_version)
    refused_agree(world, world.users.ministry, "Der Arbeitsstand weicht von Fassung 2 ab: Änderungen, die nicht "
                                               "übersandt sind, verhindern die Annahme. Übersenden Sie sie als "
                                               "neue Fassung.")
    sent = versions.send_draft(user=world.users.ministry, agreement=world.agreement)
    acceptance = lifecycle.agree(user=world.users.editor, agreement=world.agreement)
    world.agreement.refresh_from_db()
    assert (acceptance.version, acceptance.party, world.agreement.status) == (sent, world.county, S.AGREED)
    final = world.agreement.versions.order_by("-number").first()
    assert final.snapshot == sent.snapshot
    assert [g["title"] for g in final.snapshot["goals"]] == ["Senkung der Kosten der Unterkunft"]


def test_it_accepts_nothing_before_a_fassung_was_sent_or_while_in_entwurf(world):
    world.agreement = m.Agreement.objects.create(title="ZV 2014", year=2014, status=S.NEGOTIATION)
    m.AgreementParty.objects.create(agreement=world.agreement, party=world.ministry, role="land", order=0)
    m.AgreementParty.objects.create(agreement=world.agreement, party=world.county, role="kommunaler_traeger",
                                    order=1)
    m.Goal.objects.create(agreement=world.agreement, order=1, title="Senkung der KdU", kind="qualitativ",
                          direction="senkung", area="kdu")
    refused_agree(world, world.users.editor, "Es wurde noch keine Fassung übersandt: abgestimmt wird eine Fassung, "
                                             "die die andere Seite erhalten hat.")
    m.Agreement.objects.filter(pk=world.agreement.pk).update(status=S.DRAFT)
    world.agreement.refresh_from_db()
    with pytest.raises(DomainError) as refusal:
        lifecycle.agree(user=world.users.editor, agreement=world.agreement)
    assert str(refusal.value) == "Diese Aktion ist im Status „Entwurf“ nicht möglich."
    world.agreement.refresh_from_db()
    assert world.agreement.status == S.DRAFT and not m.Acceptance.objects.exists()


def test_it_agrees_a_trilateral_text_when_every_recipient_accepted(world):
    m.AgreementParty.objects.create(agreement=world.agreement, party=world.jobcenter, role="jobcenter", order=2)
    jobcenter = make_user("jobcenter", world.jobcenter)
    sent = versions.send_draft(user=world.users.editor, agreement=world.agreement)
    lifecycle.agree(user=world.users.ministry, agreement=world.agreement)
    world.agreement.refresh_from_db()
    # One of two recipients accepted: still in negotiation, and the ministry cannot accept twice.
    assert world.agreement.status == S.NEGOTIATION
    assert world.agreement.versions.count() == 2
    refused_agree(world, world.users.ministry, "Ihre Stelle hat Fassung 2 bereits angenommen.")
    acceptance = lifecycle.agree(user=jobcenter, agreement=world.agreement)
    world.agreement.refresh_from_db()
    assert world.agreement.status == S.AGREED
    assert acceptance.party == world.jobcenter
    assert set(sent.acceptances.values_list("party", flat=True)) == {world.ministry.pk, world.jobcenter.pk}
    final = world.agreement.versions.order_by("-number").first()
    assert final.kind == m.AgreementVersion.Kind.FINAL and final.snapshot == sent.snapshot


def trilateral(world):
    """The world's agreement with the county's Jobcenter as third party; returns the Jobcenter's editor."""
    m.AgreementParty.objects.create(agreement=world.agreement, party=world.jobcenter, role="jobcenter", order=2)
    return make_user("jobcenter", world.jobcenter)


def next_step(world):
    world.agreement = m.Agreement.objects.get(pk=world.agreement.pk)
    return lifecycle.next_step_text(world.agreement)


def test_the_next_step_of_a_two_party_negotiation_names_the_party_am_zug(world):
    versions.send_draft(user=world.users.editor, agreement=world.agreement)
    assert next_step(world) == (
        "Fassung 2 von Kreis Mettmann liegt vor. Am Zug ist Ministerium für Arbeit, Integration und Soziales: "
        "ändert den Arbeitsstand und übersendet ihn als neue Fassung, oder nimmt Fassung 2 an.")


def test_the_next_step_names_whose_acceptance_is_missing_when_the_pen_holder_accepted(world):
    """Three parties: the county sends Fassung 2 and passes the pen to the ministry, which accepts it. The
    Jobcenter's acceptance is missing; the ministry keeps the pen, and may still change and send the text (the
    AGREEMENT table), which stops the acceptance of Fassung 2."""
    jobcenter = trilateral(world)
    versions.send_draft(user=world.users.editor, agreement=world.agreement, to=world.ministry)
    assert next_step(world) == (
        "Fassung 2 von Kreis Mettmann liegt vor. Am Zug ist Ministerium für Arbeit, Integration und Soziales: "
        "ändert den Arbeitsstand und übersendet ihn als neue Fassung, oder nimmt Fassung 2 an. Abgestimmt ist der "
        "Text erst, wenn auch Jobcenter ME-aktiv Fassung 2 angenommen hat.")
    lifecycle.agree(user=world.users.ministry, agreement=world.agreement)
    text = next_step(world)
    assert text == (
        "Fassung 2 von Kreis Mettmann liegt vor und ist von Ministerium für Arbeit, Integration und Soziales "
        "angenommen; es fehlt noch die Annahme von Jobcenter ME-aktiv. Ministerium für Arbeit, Integration und "
        "Soziales bleibt am Zug und kann den Arbeitsstand noch ändern und als neue Fassung übersenden; sobald der "
        "Arbeitsstand geändert ist, kann Fassung 2 nicht mehr angenommen werden, und abgestimmt wird über die neue "
        "Fassung.")
    assert "Am Zug ist Ministerium" not in text
    # What the sentence says is what the rules allow.
    assert {"write", "send"} <= set(lifecycle.available_actions(world.users.ministry, world.agreement))
    assert "agree" not in lifecycle.available_actions(world.users.ministry, world.agreement)
    assert "agree" in lifecycle.available_actions(jobcenter, world.agreement)
    goal_svc.save_goal(user=world.users.ministry, agreement=world.agreement, goal=world.goal,
                       data={**GOAL, "title": "Senkung der Kosten der Unterkunft"},
                       lock_version=world.goal.lock_version)
    assert "agree" not in lifecycle.available_actions(jobcenter, m.Agreement.objects.get(pk=world.agreement.pk))


def test_the_next_step_names_the_pen_holder_whose_acceptance_is_missing(world):
    jobcenter = trilateral(world)
    versions.send_draft(user=world.users.editor, agreement=world.agreement, to=world.jobcenter)
    lifecycle.agree(user=world.users.ministry, agreement=world.agreement)
    assert next_step(world) == (
        "Fassung 2 von Kreis Mettmann liegt vor und ist von Ministerium für Arbeit, Integration und Soziales "
        "angenommen; es fehlt noch die Annahme von Jobcenter ME-aktiv. Am Zug ist Jobcenter ME-aktiv: ändert den "
        "Arbeitsstand und übersendet ihn als neue Fassung, oder nimmt Fassung 2 an.")
    lifecycle.agree(user=jobcenter, agreement=world.agreement)
    assert next_step(world) == ("Der Text ist abgestimmt. Es fehlt die Unterschrift von: Ministerium für Arbeit, "
                                "Integration und Soziales, Kreis Mettmann, Jobcenter ME-aktiv.")


def test_after_a_reopening_the_page_shows_no_acceptance_as_current(world, login):
    """"Abstimmung aufheben": the acceptances of the agreed Fassung stay, as history (the Verfahren); the text is
    agreed anew on a new Fassung, whose acceptances are the current ones."""
    from django.urls import reverse

    jobcenter = trilateral(world)
    versions.send_draft(user=world.users.editor, agreement=world.agreement, to=world.ministry)
    lifecycle.agree(user=world.users.ministry, agreement=world.agreement)
    lifecycle.agree(user=jobcenter, agreement=world.agreement)
    client = login(world.users.editor)
    url = reverse("agreement_detail", args=[world.agreement.pk])
    page = client.get(url)
    assert [(a.party, a.version.number) for a in page.context["acceptances"]] == [
        (world.ministry, 2), (world.jobcenter, 2)]
    assert "Frühere Annahmen" not in page.content.decode()

    world.agreement.refresh_from_db()
    lifecycle.reopen(user=world.users.ministry, agreement=world.agreement, reason="Korrektur")
    page = client.get(url)
    content = page.content.decode()
    assert list(page.context["acceptances"]) == []
    assert "hat Fassung 2 am" not in content
    assert "Frühere Annahmen – von älteren Fassungen oder vor dem Aufheben einer Abstimmung – gelten nicht mehr" in (
        content)
    assert reverse("agreement_timeline", args=[world.agreement.pk]) in content
    assert ("Die Abstimmung über Fassung 2 ist aufgehoben. Am Zug ist Ministerium für Arbeit, Integration und "
            "Soziales: ändert den Arbeitsstand und übersendet ihn als neue Fassung, über die neu abgestimmt wird."
            ) in content
    assert m.Acceptance.objects.filter(version__number=2).count() == 2  # the records stay

    # The ministry corrects the text and sends Fassung 4; the Jobcenter accepts it: that is the current acceptance.
    goal_svc.save_goal(user=world.users.ministry, agreement=world.agreement, goal=world.goal,
                       data={**GOAL, "title": "Senkung der KdU (korrigiert)"}, lock_version=world.goal.lock_version)
    versions.send_draft(user=world.users.ministry, agreement=world.agreement, to=world.county)
    lifecycle.agree(user=jobcenter, agreement=world.agreement)
    page = client.get(url)
    content = page.content.decode()
    assert [(a.party, a.version.number) for a in page.context["acceptances"]] == [(world.jobcenter, 4)]
    assert "Jobcenter ME-aktiv hat Fassung 4 am" in content and "hat Fassung 2 am" not in content
    assert "Frühere Annahmen" in content
    assert ("Fassung 4 von Ministerium für Arbeit, Integration und Soziales liegt vor und ist von Jobcenter "
            "ME-aktiv angenommen; es fehlt noch die Annahme von Kreis Mettmann. Am Zug ist Kreis Mettmann") in content


@pytest.mark.parametrize("role", ["reader", "outsider", "committee", "admin"])
def test_it_refuses_transitions_to_users_who_are_not_editors_of_a_party(world, role):
    with pytest.raises(PermissionDenied):
        lifecycle.agree(user=getattr(world.users, role), agreement=world.agreement)
    world.agreement.refresh_from_db()
    assert world.agreement.status == S.NEGOTIATION


@pytest.mark.parametrize("status, action", [
    (S.DRAFT, "sign"), (S.NEGOTIATION, "sign"), (S.SIGNED, "agree"), (S.CLOSED, "withdraw"),
    (S.NEGOTIATION, "close"), (S.AGREED, "start"), (S.WITHDRAWN, "agree"), (S.NOT_SIGNED, "sign"),
])
def test_it_refuses_transitions_from_the_wrong_state(world, status, action):
    m.Agreement.objects.filter(pk=world.agreement.pk).update(status=status)
    world.agreement.refresh_from_db()
    calls = {
        "sign": lambda: lifecycle.sign(user=world.users.editor, agreement=world.agreement, data=sign_data()),
        "agree": lambda: lifecycle.agree(user=world.users.editor, agreement=world.agreement),
        "withdraw": lambda: lifecycle.withdraw(user=world.users.editor, agreement=world.agreement, reason="x"),
        "close": lambda: lifecycle.close(user=world.users.editor, agreement=world.agreement),
        "start": lambda: lifecycle.start_implementation(user=world.users.editor, agreement=world.agreement),
    }
    with pytest.raises(DomainError):
        calls[action]()
    world.agreement.refresh_from_db()
    assert world.agreement.status == status


def test_it_shows_partial_signing_and_only_the_actions_allowed_now(world):
    agree(world)
    assert set(lifecycle.available_actions(world.users.editor, world.agreement)) >= {"sign", "refuse", "reopen"}
    lifecycle.sign(user=world.users.editor, agreement=world.agreement, data=sign_data())
    world.agreement.refresh_from_db()
    assert lifecycle.signature_progress(world.agreement)[:2] == (1, 2)
    assert world.agreement.status == S.AGREED
    assert "sign" not in lifecycle.available_actions(world.users.editor, world.agreement)
    assert "reopen" not in lifecycle.available_actions(world.users.ministry, world.agreement)
    assert "sign" in lifecycle.available_actions(world.users.ministry, world.agreement)
    assert lifecycle.available_actions(world.users.reader, world.agreement) == []
    assert "MAIS" in lifecycle.next_step_text(world.agreement) or "Ministerium" in lifecycle.next_step_text(
        world.agreement)
    with pytest.raises(DomainError):
        lifecycle.sign(user=world.users.editor, agreement=world.agreement, data=sign_data())


def test_nobody_signs_on_a_day_before_the_text_was_agreed(world, login):
    """A signature on paper is dated no earlier than the day the Endfassung was agreed: the service refuses it under
    the lock, the form says so before the confirmation and gives the browser's date picker that range."""
    from django.urls import reverse

    agree(world)
    agreed_on = timezone.localdate() - datetime.timedelta(days=10)
    final = world.agreement.versions.get(kind=m.AgreementVersion.Kind.FINAL)
    m.AgreementVersion.objects.filter(pk=final.pk).update(
        sent_at=final.sent_at - datetime.timedelta(days=10))  # agreed ten days ago
    assert lifecycle.agreed_on(world.agreement) == agreed_on
    with pytest.raises(DomainError, match=f"vor dem Tag, an dem der Text abgestimmt wurde \\({agreed_on:%d.%m.%Y}\\)"):
        lifecycle.sign(user=world.users.editor, agreement=world.agreement,
                       data={**sign_data(), "date": agreed_on - datetime.timedelta(days=1)})
    assert not m.Signature.objects.exists()

    url = reverse("agreement_sign", args=[world.agreement.pk])
    client = login(world.users.editor)
    date_input = client.get(url).context["form"].fields["date"].widget.attrs
    assert (date_input["min"], date_input["max"]) == (agreed_on.isoformat(), timezone.localdate().isoformat())
    answer = client.post(url, {**sign_data(), "date": (agreed_on - datetime.timedelta(days=1)).isoformat()})
    assert answer.status_code == 200 and "date" in answer.context["form"].errors
    assert "vor dem Tag, an dem der Text abgestimmt wurde" in answer.content.decode()
    assert not m.Signature.objects.exists()

    signature = lifecycle.sign(user=world.users.editor, agreement=world.agreement,
                               data={**sign_data(), "date": agreed_on})  # on the day itself
    assert signature.date == agreed_on


def test_the_signature_form_offers_the_people_of_the_party_that_signs_only(world, login):
    """A user who acts for both parties signs first for one, then for the other: the form's person list follows the
    party the service records the signature for, and a person of another party is refused."""
    from django.urls import reverse

    from .factories import PersonFactory

    landrat = PersonFactory(party=world.county, family_name="Hendele", function="Landrat")
    secretary = PersonFactory(party=world.ministry, family_name="Schäffer", function="Staatssekretär")
    both = make_user("beide", world.county)
    m.Membership.objects.create(user=both, party=world.ministry, role=m.Membership.Role.EDITOR)
    agree(world)
    url = reverse("agreement_sign", args=[world.agreement.pk])

    def offered():
        return set(login(both).get(url).context["form"].fields["person"].queryset)

    first = offered()
    assert first in ({landrat}, {secretary})
    (person,), (other,) = first, {landrat, secretary} - first
    answer = login(both).post(url, {"person": other.pk, "date": timezone.localdate().isoformat(), "place": "Mettmann"})
    assert "person" in answer.context["form"].errors and not m.Signature.objects.exists()
    lifecycle.sign(user=both, agreement=world.agreement, data={**sign_data(), "person": person})
    assert m.Signature.objects.get().party == person.party
    world.agreement.refresh_from_db()
    assert offered() == {other}


def test_it_renders_and_stores_the_pdf_once_when_the_last_party_signs(world):
    m.Statement.objects.filter(pk=world.statement.pk).update(include_as_annex=True, text="Die Liga regt an …")
    agreement = sign_all(world)
    assert agreement.status == S.SIGNED
    document = agreement.signed_file
    content = document.file.read()
    assert hashlib.sha256(content).hexdigest() == document.sha256
    text = pdf_text(content)
    for expected in ["Ministerium für Arbeit, Integration und Soziales", "Kreis Mettmann", "Senkung der KdU",
                     "Thomas Hendele", "Landrat", "Dr. Wilhelm Schäffer", "Staatssekretär", "Düsseldorf",
                     "Beratung", "Stellungnahme der Liga", "Seite 1 von"]:
        assert expected in text, expected
    pdf = pikepdf.open(io.BytesIO(content))
    assert str(pdf.Root.Lang) == "de"
    with pdf.open_metadata() as meta:
        assert meta.get("pdfaid:part") == "3" and meta.get("pdfaid:conformance") == "A"
    assert m.Document.objects.filter(kind=m.Document.Kind.AGREEMENT).count() == 1


def test_it_prints_the_reason_of_a_target_value_outside_the_corridor(world):
    m.Goal.objects.create(agreement=world.agreement, order=2, title="Integrationsquote", kind="quantitativ",
                          area="k2", indicator=world.indicator, corridor_low="24", corridor_high="26",
                          target_value="40", unit="%", corridor_exception_reason="Sondereffekt im Kreisgebiet")
    # The narrow column hyphenates: words are put together again.
    text = " ".join(pdf_text(sign_all(world).signed_file.file.read()).replace("\u2010\n", "").split())
    assert "Korridor: 24 bis 26 %" in text
    assert "Zielwert: 40 % (außerhalb des Korridors) Begründung: Sondereffekt im Kreisgebiet" in text


def test_it_prints_the_goal_values_in_german_without_trailing_zeros(world):
    """The issue's PDF read "Referenzwert: 24,800 %" next to "Korridor: 24 bis 26 %"; German whatever the
    language of whoever has it rendered."""
    from django.utils import translation

    from agreements.pdf.agreement import render_agreement

    m.Goal.objects.create(agreement=world.agreement, order=2, title="Integrationsquote", kind="quantitativ",
                          area="k2", indicator=world.indicator, reference_value="24.800", corridor_low="24.000",
                          corridor_high="26.000", target_value="25.200", unit="%")
    m.Goal.objects.create(agreement=world.agreement, order=3, title="Teilnehmende", kind="monitoring",
                          reference_value="1250.500", corridor_low="1000", unit="Personen")
    with translation.override("en"):
        text = pdf_text(render_agreement(world.agreement).content)
    # The narrow column may hyphenate or wrap lines, but never between a number and its unit (a no-break space).
    text = text.replace("\u2010\n", "").replace("\n", " ")
    for expected in ["Referenzwert: 24,8\u00a0%", "Korridor: 24 bis 26\u00a0%", "Zielwert: 25,2\u00a0%",
                     "Referenzwert: 1250,5\u00a0Personen", "Korridor: mindestens 1000\u00a0Personen"]:
        assert expected in text, expected
    assert "24,800" not in text and "25,200" not in text


def test_it_keeps_hostile_text_out_of_the_pdf(world):
    payload = '<img src="file:///etc/passwd"> <link rel=attachment href="file:///etc/passwd"> url(file:///etc/passwd)'
    m.Goal.objects.filter(pk=world.goal.pk).update(text=payload + " <script>alert(1)</script>")
    agreement = sign_all(world)
    content = agreement.signed_file.file.read()
    text = pdf_text(content)
    assert "<img src=" in text  # shown as text, not interpreted
    assert "root:x:0:0" not in text
    assert b"/EmbeddedFile" not in content or b"passwd" not in content


@pytest.mark.parametrize("write", [
    lambda w: setattr(w.goal, "title", "neu") or w.goal.save(),
    lambda w: w.goal.delete(),
    lambda w: m.Goal.objects.create(agreement=w.agreement, title="neu", kind="qualitativ"),
    lambda w: setattr(w.offer, "title", "neu") or w.offer.save(),
    lambda w: setattr(w.section, "text", "neu") or w.section.save(),
    lambda w: m.AgreementParty.objects.create(agreement=w.agreement, party=w.jobcenter, role="jobcenter"),
    lambda w: w.agreement.legal_bases.add(m.LegalBasis.objects.create(citation="§ 1 X")),
    lambda w: setattr(w.agreement, "preamble", "neu") or w.agreement.save(),
    lambda w: w.agreement.delete(),
])
def test_it_never_changes_a_signed_agreement_through_a_direct_model_write(world, write):
    mark_signed(world)
    before = lifecycle_snapshot(world)
    with pytest.raises(m.ImmutableRecordError), transaction.atomic():
        write(world)
    assert lifecycle_snapshot(world) == before


def mark_signed(world):
    # Rendering the PDF is tested elsewhere; these tests only need the state.
    m.Agreement.objects.filter(pk=world.agreement.pk).update(status=S.SIGNED)
    world.agreement.refresh_from_db()


def test_it_refuses_direct_saves_of_signed_agreement_fields(world):
    mark_signed(world)
    agreement = world.agreement
    agreement.title = "geändert"
    with pytest.raises(m.ImmutableRecordError):
        agreement.save()
    agreement.refresh_from_db()
    agreement.status = S.IN_EFFECT  # the lifecycle may still move on
    agreement.save()


def lifecycle_snapshot(world):
    from agreements.services.versions import agreement_snapshot

    return agreement_snapshot(m.Agreement.objects.get(pk=world.agreement.pk))


def test_it_refuses_signing_with_a_reason_and_withdraws(world):
    agree(world)
    with pytest.raises(DomainError):
        lifecycle.refuse(user=world.users.ministry, agreement=world.agreement, reason="  ")
    lifecycle.refuse(user=world.users.ministry, agreement=world.agreement, reason="Ziele nicht abgestimmt")
    world.agreement.refresh_from_db()
    assert world.agreement.status == S.NOT_SIGNED
    assert world.agreement.status_reason == "Ziele nicht abgestimmt"


def test_an_unsent_draft_is_withdrawn_by_its_drafter_only(world, login):
    """Before the first Fassung goes out, the draft is the drafting party's (the party "am Zug"): the other party
    is neither offered nor allowed to withdraw it. After a Fassung was sent, either party may break off."""
    from django.urls import reverse

    from .builders_confirm import confirmed

    m.Agreement.objects.filter(pk=world.agreement.pk).update(status=S.DRAFT, pen_party=world.county)
    world.agreement.refresh_from_db()
    assert "withdraw" not in lifecycle.available_actions(world.users.ministry, world.agreement)
    assert "withdraw" in lifecycle.available_actions(world.users.editor, world.agreement)
    with pytest.raises(DomainError, match="noch nicht übersandt: Zurückziehen kann ihn nur Kreis Mettmann"):
        lifecycle.withdraw(user=world.users.ministry, agreement=world.agreement, reason="Nicht mehr nötig")
    page = login(world.users.ministry).get(reverse("agreement_detail", args=[world.agreement.pk]))
    assert reverse("agreement_withdraw", args=[world.agreement.pk]) not in page.content.decode()
    answer = login(world.users.ministry).post(reverse("agreement_withdraw", args=[world.agreement.pk]),
                                              confirmed({"reason": "Nicht mehr nötig"}))
    assert answer.status_code in (302, 403)
    world.agreement.refresh_from_db()
    assert world.agreement.status == S.DRAFT

    versions.send_draft(user=world.users.editor, agreement=world.agreement)  # Fassung sent: in Verhandlung
    world.agreement.refresh_from_db()
    assert "withdraw" in lifecycle.available_actions(world.users.ministry, world.agreement)
    lifecycle.withdraw(user=world.users.ministry, agreement=world.agreement, reason="Verhandlung abgebrochen")
    world.agreement.refresh_from_db()
    assert world.agreement.status == S.WITHDRAWN


def test_it_reopens_before_the_first_signature_only(world):
    agree(world)  # the county sent Fassung 2, the ministry accepted it
    lifecycle.reopen(user=world.users.ministry, agreement=world.agreement, reason="Korrektur")
    world.agreement.refresh_from_db()
    assert world.agreement.status == S.NEGOTIATION
    # The negotiation goes on where it stopped: the ministry holds the pen, corrects the text and sends it; the
    # county accepts the correction, and the text is agreed again.
    assert world.agreement.pen_holder_id() == world.ministry.pk
    goal_svc.save_goal(user=world.users.ministry, agreement=world.agreement, goal=world.goal,
                       data={**GOAL, "title": "Senkung der KdU (korrigiert)"}, lock_version=world.goal.lock_version)
    corrected = versions.send_draft(user=world.users.ministry, agreement=world.agreement, note="Korrektur")
    lifecycle.agree(user=world.users.editor, agreement=world.agreement)
    world.agreement.refresh_from_db()
    assert world.agreement.status == S.AGREED
    final = world.agreement.versions.order_by("-number").first()
    assert final.snapshot == corrected.snapshot
    assert [g["title"] for g in final.snapshot["goals"]] == ["Senkung der KdU (korrigiert)"]
    lifecycle.sign(user=world.users.editor, agreement=world.agreement, data=sign_data())
    with pytest.raises(DomainError, match="Nach der ersten Unterschrift kann die Abstimmung nicht mehr aufgehoben"):
        lifecycle.reopen(user=world.users.ministry, agreement=world.agreement, reason="Korrektur")
    world.agreement.refresh_from_db()
    assert world.agreement.status == S.AGREED


def test_it_walks_the_whole_lifecycle_with_reviews(world):
    mark_signed(world)
    agreement = world.agreement
    review = lifecycle.record_review(
        user=world.users.editor, agreement=agreement,
        data={"kind": "unterjaehrig", "date": datetime.date(2013, 6, 30)},
        assessments=[{"goal": world.goal, "status": "im_plan"}],
    )
    agreement.refresh_from_db()
    assert agreement.status == S.IN_EFFECT and review.assessments.count() == 1
    with pytest.raises(DomainError):  # the year-end evaluation must assess every goal
        lifecycle.record_review(user=world.users.editor, agreement=agreement,
                                data={"kind": "jahresabschluss", "date": datetime.date(2014, 1, 31)},
                                assessments=[])
    lifecycle.record_review(user=world.users.editor, agreement=agreement,
                            data={"kind": "jahresabschluss", "date": datetime.date(2014, 1, 31)},
                            assessments=[{"goal": world.goal, "status": "erreicht"}])
    agreement.refresh_from_db()
    assert agreement.status == S.EVALUATED
    lifecycle.close(user=world.users.ministry, agreement=agreement)
    agreement.refresh_from_db()
    assert agreement.status == S.CLOSED
    successor = lifecycle.derive(user=world.users.editor, agreement=agreement, kind="next_year")
    assert successor.year == 2014 and successor.predecessor == agreement
    assert [a.get_status_display() for a in lifecycle.predecessor_results(successor)] == ["erreicht"]


def test_it_derives_the_jobcenter_agreement_and_an_amendment(world):
    mark_signed(world)
    agreement = world.agreement
    mirror = lifecycle.derive(user=world.users.editor, agreement=agreement, kind="jobcenter")
    assert {ap.party for ap in mirror.agreement_parties.all()} == {world.county, world.jobcenter}
    assert agreement in mirror.related.all()
    assert [g.title for g in mirror.goals.all()] == ["Senkung der KdU"]
    with pytest.raises(DomainError):
        lifecycle.derive(user=world.users.ministry, agreement=agreement, kind="jobcenter")
    amendment = lifecycle.create_amendment(user=world.users.ministry, agreement=agreement)
    assert amendment.amends == agreement and amendment.status == S.DRAFT
    assert amendment.goals.count() == 1
    agreement.refresh_from_db()
    assert agreement.status == S.SIGNED


@pytest.mark.django_db(transaction=True)
def test_it_renders_exactly_one_pdf_when_the_last_two_sign_at_once(world):
    agree(world)
    barrier = threading.Barrier(2)
    errors = []

    def sign_as(user, data):
        try:
            barrier.wait(timeout=10)
            lifecycle.sign(user=user, agreement=m.Agreement.objects.get(pk=world.agreement.pk), data=data)
        except Exception as exc:  # recorded and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=sign_as, args=(world.users.editor, sign_data())),
        threading.Thread(target=sign_as, args=(world.users.ministry, sign_data("Dr. Schäffer", "StS", "D"))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # SQLite serialises writers with a database lock and may refuse the loser ("database is locked"); that is a
    # refusal, not a second PDF. PostgreSQL waits on the row lock and both succeed.
    assert m.Document.objects.filter(kind=m.Document.Kind.AGREEMENT).count() <= 1
    signatures = m.Signature.objects.filter(agreement=world.agreement).count()
    assert signatures + len(errors) == 2
    if connection.vendor == "postgresql":
        assert errors == []
        assert m.Document.objects.filter(kind=m.Document.Kind.AGREEMENT).count() == 1
        assert m.Agreement.objects.get(pk=world.agreement.pk).status == S.SIGNED
