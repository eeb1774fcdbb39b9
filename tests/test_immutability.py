"""A signed agreement is never changed again, whatever the path of the write: services, the app's forms, the
Django admin, bulk ORM calls. Each path must refuse with a message (never a 500) and leave every row as it was.

Direct model saves and deletes of single rows are in test_lifecycle.py; this module adds what is missing there.
"""

import datetime
import hashlib

import pytest
from django.contrib.messages import get_messages
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agreements import models as m
from agreements.infra.errors import DomainError
from agreements.pdf.render import RenderedPdf
from agreements.services import agreements as agreement_svc
from agreements.services import goals as goal_svc
from agreements.services import lifecycle, negotiation
from agreements.services import versions as version_svc
from agreements.services.versions import agreement_snapshot

from .builders_lifecycle import send_and_accept
from .builders_writes import CONTENT_WRITES, GOAL, pen

S = m.Agreement.Status
pytestmark = pytest.mark.django_db

FAKE_PDF = b"%PDF-1.7\n% Zielvereinbarung (Testfassung)\n%%EOF\n"


def sign(world, monkeypatch, status):
    """The world's agreement, agreed and signed by both parties through the services, then moved on to `status`.
    Rendering the PDF is tested in test_lifecycle; here a few fixed bytes do."""
    # The slow half of every rendering (WeasyPrint), which the signing service calls outside the row lock.
    monkeypatch.setattr("agreements.pdf.render.pdf_from_html", lambda html: RenderedPdf(
        content=FAKE_PDF, sha256=hashlib.sha256(FAKE_PDF).hexdigest(), html=html))
    # A second section, goal and offer, so that reordering would really move something.
    world.section2 = m.AgreementSection.objects.create(agreement=world.agreement, order=2, heading="§ 2 Ziele")
    world.goal2 = m.Goal.objects.create(agreement=world.agreement, order=2, title="Integrationsquote",
                                        kind="quantitativ", indicator=world.indicator, unit="%")
    world.offer2 = m.SupportOffer.objects.create(agreement=world.agreement, topic=world.topic, title="Fachtag",
                                                 order=2)
    world.agreement.legal_bases.add(m.LegalBasis.objects.create(citation="§ 48b SGB II"))
    send_and_accept(world)
    for user, name in [(world.users.editor, "Thomas Hendele"), (world.users.ministry, "Dr. Wilhelm Schäffer")]:
        lifecycle.sign(user=user, agreement=world.agreement, data={
            "signatory_name": name, "signatory_function": "Landrat", "date": timezone.localdate(),
            "place": "Mettmann"})
    m.Agreement.objects.filter(pk=world.agreement.pk).update(status=status)
    for obj in (world.agreement, world.goal, world.goal2, world.offer, world.offer2, world.section,
                world.section2, world.statement, world.proposal):
        obj.refresh_from_db()
    assert world.agreement.is_signed and world.agreement.signed_file is not None
    return world


@pytest.fixture(params=m.Agreement.SIGNED_STATUSES)
def signed(request, world, monkeypatch):
    """In each signed status: the services and views decide by status, so every one is tried."""
    return sign(world, monkeypatch, request.param)


@pytest.fixture
def just_signed(world, monkeypatch):
    """Only "unterzeichnet": the admin and the model guard use the same SIGNED_STATUSES check for all of them
    (test_admin_locks.py tries each status on the admin)."""
    return sign(world, monkeypatch, S.SIGNED)


def everything(world):
    """Every stored row that makes up the signed agreement, as plain values."""
    agreement = m.Agreement.objects.get(pk=world.agreement.pk)

    def rows(model, **filters):
        return list(model.objects.filter(**filters).order_by("pk").values())

    pk = agreement.pk
    return {
        "content": agreement_snapshot(agreement),
        "agreement": rows(m.Agreement, pk=pk),
        "legal_bases": sorted(agreement.legal_bases.values_list("pk", flat=True)),
        "parties": rows(m.AgreementParty, agreement_id=pk),
        "sections": rows(m.AgreementSection, agreement_id=pk),
        "goals": rows(m.Goal, agreement_id=pk),
        "offers": rows(m.SupportOffer, agreement_id=pk),
        "signatures": rows(m.Signature, agreement_id=pk),
        "versions": rows(m.AgreementVersion, agreement_id=pk),
        "statements": rows(m.Statement, agreement_id=pk),
        "proposals": rows(m.Proposal, agreement_id=pk),
        "documents": rows(m.Document, agreement_id=pk),
        "steps": m.ProcedureStep.objects.filter(agreement_id=pk).count(),
    }


def messages_of(response):
    return " ".join(str(msg) for msg in get_messages(response.wsgi_request))


def refusal_of(write, agreement):
    """What the refusal says. The content ("… kann nicht mehr bearbeitet werden") is closed once the text is agreed;
    sending a Fassung (AGREEMENT's "send") is open only in Entwurf and in Verhandlung, and says so for the status."""
    if write in ("send_draft", "draft_send"):
        return f"Diese Aktion ist im Status „{agreement.get_status_display()}“ nicht möglich."
    return "nicht mehr"


# Services ------------------------------------------------------------------------------------------------------


SERVICE_WRITES = {
    **CONTENT_WRITES,
    "reorder (goals)": lambda w: agreement_svc.reorder(
        user=w.users.ministry, agreement=w.agreement, queryset=w.agreement.goals.all(), obj=w.goal2,
        direction="up"),
    "reorder (offers)": lambda w: agreement_svc.reorder(
        user=w.users.editor, agreement=w.agreement, queryset=w.agreement.offers.all(), obj=w.offer,
        direction="down"),
    "save_goal (new)": lambda w: goal_svc.save_goal(user=w.users.editor, agreement=w.agreement, data=GOAL),
    "delete_goal": lambda w: goal_svc.delete_goal(user=w.users.editor, goal=w.goal),
    "save_offer (new)": lambda w: goal_svc.save_offer(
        user=w.users.ministry, agreement=w.agreement, data={"topic": w.topic, "title": "Neu", "status": "geplant"}),
    "save_offer (edit)": lambda w: goal_svc.save_offer(
        user=w.users.ministry, agreement=w.agreement, offer=w.offer, lock_version=w.offer.lock_version,
        data={"topic": w.topic, "title": "Anders", "status": "umgesetzt", "provider": w.ministry}),
    "delete_offer": lambda w: goal_svc.delete_offer(user=w.users.ministry, offer=w.offer),
    # By the party "am Zug" (the ministry, since the county sent the Fassung it accepted): refused for the status.
    "send_draft": lambda w: version_svc.send_draft(user=pen(w), agreement=w.agreement, note="Nachtrag?"),
}


@pytest.mark.parametrize("name", SERVICE_WRITES)
def test_it_refuses_every_content_service_on_a_signed_agreement(signed, name):
    before = everything(signed)
    with pytest.raises(DomainError) as refusal:
        SERVICE_WRITES[name](signed)
    assert refusal_of(name, signed.agreement) in str(refusal.value)
    assert everything(signed) == before


def test_it_refuses_decisions_on_proposals_once_signed(signed):
    """Decisions freeze with the text: the Vorlage quotes them (issue 10, B.7)."""
    before = everything(signed)
    with pytest.raises(DomainError) as refusal:
        negotiation.decide_proposal(user=signed.users.ministry, proposal=signed.proposal,
                                    data={"decision": "nicht_uebernommen", "reason": "Landesziel"},
                                    lock_version=signed.proposal.lock_version)
    assert "festgeschrieben" in str(refusal.value)
    assert everything(signed) == before


@pytest.mark.parametrize("derive", [
    lambda w: lifecycle.create_amendment(user=w.users.editor, agreement=w.agreement),
    lambda w: lifecycle.derive(user=w.users.editor, agreement=w.agreement, kind="next_year"),
    lambda w: lifecycle.derive(user=w.users.editor, agreement=w.agreement, kind="jobcenter"),
], ids=["amendment", "next_year", "jobcenter"])
def test_it_changes_a_signed_agreement_only_through_new_agreements(signed, derive):
    before = everything(signed)
    new = derive(signed)
    assert new.pk != signed.agreement.pk and new.status == S.DRAFT
    after = everything(signed)
    assert after["steps"] == before["steps"]  # the step is recorded on the new agreement
    assert after == before


# The app's forms ------------------------------------------------------------------------------------------------


def _goal_form(**overrides):
    data = {"kind": "qualitativ", "level": "lokal", "area": "kdu", "title": "Geändert", "text": "",
            "direction": "senkung", "indicator": "", "reference_value": "", "corridor_low": "", "corridor_high": "",
            "target_value": "", "unit": "", "lock_version": ""}
    data.update(overrides)
    return data


def _offer_form(w, **overrides):
    data = {"topic": w.topic.pk, "title": "Geändert", "text": "", "provider": w.ministry.pk, "coordinated_with": "",
            "status": "umgesetzt", "lock_version": ""}
    data.update(overrides)
    return data


def _agreement_form(w):
    return {"title": "Geändert", "year": "2013", "land": w.ministry.pk, "kommunaler_traeger": w.county.pk,
            "preamble": "neu", "lock_version": w.agreement.lock_version}


# url name → (url args from the world, POST data)
FORM_POSTS = {
    "goal_add": (lambda w: [w.agreement.pk], lambda w: _goal_form()),
    "goal_edit": (lambda w: [w.agreement.pk, w.goal.pk], lambda w: _goal_form(lock_version=w.goal.lock_version)),
    "goal_delete": (lambda w: [w.agreement.pk, w.goal.pk], lambda w: {}),
    "goal_move": (lambda w: [w.agreement.pk, w.goal2.pk, "up"], lambda w: {}),
    "offer_add": (lambda w: [w.agreement.pk], lambda w: _offer_form(w)),
    "offer_edit": (lambda w: [w.agreement.pk, w.offer.pk], lambda w: _offer_form(w, lock_version=w.offer.lock_version)),
    "offer_delete": (lambda w: [w.agreement.pk, w.offer.pk], lambda w: {}),
    "offer_move": (lambda w: [w.agreement.pk, w.offer.pk, "down"], lambda w: {}),
    "section_add": (lambda w: [w.agreement.pk], lambda w: {"heading": "§ 9 Neu", "text": "neu"}),
    "section_edit": (lambda w: [w.agreement.pk, w.section.pk],
                     lambda w: {"heading": "§ 1 Neu", "text": "neu", "lock_version": w.section.lock_version}),
    "section_delete": (lambda w: [w.agreement.pk, w.section.pk], lambda w: {}),
    "section_move": (lambda w: [w.agreement.pk, w.section.pk, "down"], lambda w: {}),
    "agreement_edit": (lambda w: [w.agreement.pk], _agreement_form),
    "draft_send": (lambda w: [w.agreement.pk], lambda w: {"note": "Noch eine Fassung"}),
}


@pytest.mark.parametrize("name", FORM_POSTS)
@pytest.mark.parametrize("role", ["editor", "ministry"])
def test_it_refuses_every_form_post_on_a_signed_agreement(signed, login, role, name):
    args, data = FORM_POSTS[name]
    before = everything(signed)
    response = login(getattr(signed.users, role)).post(reverse(name, args=args(signed)), data(signed))
    assert response.status_code in (200, 302, 400), response.status_code
    said = messages_of(response) + (response.content.decode() if response.status_code != 302 else "")
    assert refusal_of(name, signed.agreement) in said, f"{name}: no refusal shown"
    assert everything(signed) == before


@pytest.mark.parametrize("name", ["goal_add", "goal_edit", "offer_add", "offer_edit", "agreement_edit"])
def test_it_does_not_offer_edit_forms_of_a_signed_agreement(signed, login, name):
    args, _data = FORM_POSTS[name]
    response = login(signed.users.editor).get(reverse(name, args=args(signed)))
    assert response.status_code == 302
    assert "nicht mehr" in messages_of(response)


# The Django admin -------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(just_signed):
    client = Client()
    client.force_login(just_signed.users.admin)
    return client


def admin_url(model, view, *args):
    return reverse(f"admin:agreements_{model._meta.model_name}_{view}", args=args)


def _inline_data(w, **changes):
    """The Agreement admin page's inline formsets, as the browser would post them (existing rows included)."""
    data = {}
    inlines = {
        "agreement_parties": (m.AgreementParty, ["order", "party", "role"]),
        "sections": (m.AgreementSection, ["order", "heading", "text"]),
        "goals": (m.Goal, ["order", "kind", "level", "area", "title", "text", "direction", "indicator", "unit",
                           "reference_value", "corridor_low", "corridor_high", "target_value"]),
        "offers": (m.SupportOffer, ["order", "topic", "status", "title", "text", "provider", "coordinated_with"]),
        "signatures": (m.Signature, ["party", "person", "signatory_name", "signatory_function", "date", "place"]),
    }
    for prefix, (model, fields) in inlines.items():
        rows = list(model.objects.filter(agreement=w.agreement).order_by("pk"))
        data.update({f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(len(rows))})
        for i, row in enumerate(rows):
            data[f"{prefix}-{i}-id"] = row.pk
            data[f"{prefix}-{i}-agreement"] = w.agreement.pk
            for field in fields:
                value = getattr(row, model._meta.get_field(field).attname)
                data[f"{prefix}-{i}-{field}"] = "" if value is None else value
    data.update(changes)
    return data


def _change_posts(w):
    """model → (object, POST data that changes it) for every admin change page of the signed agreement."""
    agreement_fields = {"title": "Geändert im Admin", "year": "2013", "status_reason": "", "preamble": "neu",
                        "legal_basis_note": "", "created_by": ""}
    return {
        "Agreement": (m.Agreement, w.agreement, {**agreement_fields, **_inline_data(w)}),
        "Agreement inline goal": (m.Agreement, w.agreement, {
            **agreement_fields, "title": w.agreement.title, "preamble": w.agreement.preamble,
            **_inline_data(w, **{"goals-0-title": "Im Inline geändert", "offers-0-DELETE": "on"})}),
        "Agreement inline section added": (m.Agreement, w.agreement, {
            **agreement_fields, "title": w.agreement.title, **_inline_data(w, **{
                "sections-TOTAL_FORMS": "3", "sections-2-order": "9", "sections-2-heading": "§ 9 Nachgeschoben",
                "sections-2-text": "", "sections-2-agreement": w.agreement.pk})}),
        "Goal": (m.Goal, w.goal, {"agreement": w.agreement.pk, "kind": "qualitativ", "level": "lokal",
                                  "area": "kdu", "title": "Geändert", "direction": "senkung", "order": "1"}),
        "SupportOffer": (m.SupportOffer, w.offer, {"agreement": w.agreement.pk, "topic": w.topic.pk,
                                                   "title": "Geändert", "status": "umgesetzt", "order": "1"}),
        "AgreementSection": (m.AgreementSection, w.section, {"agreement": w.agreement.pk, "order": "1",
                                                             "heading": "Geändert", "text": ""}),
        "AgreementParty": (m.AgreementParty, w.agreement.agreement_parties.first(), {
            "agreement": w.agreement.pk, "party": w.jobcenter.pk, "role": "jobcenter", "order": "0"}),
        "Signature": (m.Signature, w.agreement.signatures.first(), {
            "agreement": w.agreement.pk, "party": w.county.pk, "signatory_name": "Jemand anderes",
            "signatory_function": "Landrat", "date": "2013-04-02", "place": "Mettmann"}),
        "AgreementVersion": (m.AgreementVersion, w.agreement.versions.order_by("number").last(), {
            "note": "nachträglich", "number": "99", "kind": "entwurf"}),
    }


CHANGE_PAGES = ["Agreement", "Agreement inline goal", "Agreement inline section added", "Goal", "SupportOffer",
                "AgreementSection", "AgreementParty", "Signature", "AgreementVersion"]


@pytest.mark.parametrize("page", CHANGE_PAGES)
def test_it_refuses_admin_changes_of_a_signed_agreement_with_a_message(just_signed, admin_client, page):
    signed = just_signed
    model, obj, data = _change_posts(signed)[page]
    before = everything(signed)
    assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200  # readable
    response = admin_client.post(admin_url(model, "change", obj.pk), data, follow=True)
    assert response.redirect_chain == [(admin_url(model, "change", obj.pk), 302)]
    assert response.status_code == 200
    content = response.content.decode()
    assert "nur als Nachtrag" in content or "übersandte Fassung" in content
    assert 'name="_save"' not in content
    assert everything(signed) == before


@pytest.mark.parametrize("page", ["Agreement", "Goal", "SupportOffer", "AgreementSection", "AgreementParty",
                                  "Signature", "AgreementVersion"])
def test_it_refuses_admin_deletes_of_a_signed_agreement_with_a_message(just_signed, admin_client, page):
    signed = just_signed
    model, obj, _data = _change_posts(signed)[page]
    before = everything(signed)
    response = admin_client.post(admin_url(model, "delete", obj.pk), {"post": "yes"}, follow=True)
    assert response.redirect_chain == [(admin_url(model, "change", obj.pk), 302)]
    assert everything(signed) == before
    # "Delete selected" in the list, the bulk path past Model.delete(): refused as well, with the reason.
    response = admin_client.post(admin_url(model, "changelist"), {
        "action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})
    assert response.status_code == 200
    assert everything(signed) == before


@pytest.mark.parametrize("model", [m.Goal, m.SupportOffer, m.AgreementSection, m.Signature])
def test_it_refuses_to_add_rows_to_a_signed_agreement_in_the_admin(just_signed, admin_client, model):
    signed = just_signed
    data = {
        m.Goal: {"kind": "qualitativ", "level": "lokal", "area": "kdu", "title": "Neu", "direction": "senkung",
                 "order": "5"},
        m.SupportOffer: {"topic": signed.topic.pk, "title": "Neu", "status": "geplant", "order": "5"},
        m.AgreementSection: {"order": "5", "heading": "§ 5 Neu", "text": ""},
        m.Signature: {"party": signed.jobcenter.pk, "signatory_name": "X", "signatory_function": "Y",
                      "date": "2013-04-02", "place": "Z"},
    }[model]
    before = everything(signed)
    response = admin_client.post(admin_url(model, "add"), {"agreement": signed.agreement.pk, **data})
    assert response.status_code == 200
    assert "agreement" in response.context["adminform"].form.errors
    assert everything(signed) == before


def test_it_refuses_to_revert_a_signed_agreement_from_its_admin_history(just_signed, admin_client):
    signed = just_signed
    record = signed.agreement.history.order_by("history_id").first()
    before = everything(signed)
    response = admin_client.post(
        admin_url(m.Agreement, "simple_history", signed.agreement.pk, record.history_id),
        {"title": "Alter Titel", "year": "2013", **_inline_data(signed)}, follow=True)
    assert response.status_code == 200
    assert "nur als Nachtrag" in response.content.decode()
    assert everything(signed) == before


# Direct writes that test_lifecycle.py does not cover ---------------------------------------------------------


def assert_the_model_refuses(signed, write):
    """The model's wall (ImmutableRecordError) stops the write, and no row of the signed agreement changes."""
    before = everything(signed)
    with pytest.raises(m.ImmutableRecordError), transaction.atomic():
        write(signed)
    assert everything(signed) == before


@pytest.mark.parametrize("write", [
    lambda w: w.offer.delete(),
    lambda w: w.section.delete(),
    lambda w: m.AgreementSection.objects.create(agreement=w.agreement, heading="§ 9"),
    lambda w: m.SupportOffer.objects.create(agreement=w.agreement, topic=w.topic, title="neu"),
    lambda w: setattr(w.goal2, "target_value", 99) or w.goal2.save(update_fields=["target_value"]),
    lambda w: w.agreement.agreement_parties.first().delete(),
    lambda w: (lambda ap: setattr(ap, "role", "jobcenter") or ap.save())(w.agreement.agreement_parties.first()),
    lambda w: w.agreement.signatures.first().delete(),
    lambda w: (lambda s: setattr(s, "place", "Berlin") or s.save())(w.agreement.signatures.first()),
    lambda w: m.Signature.objects.create(agreement=w.agreement, party=w.jobcenter, signatory_name="X",
                                         signatory_function="Y", date=datetime.date(2013, 4, 3), place="Z"),
    lambda w: w.agreement.legal_bases.clear(),
    lambda w: w.agreement.legal_bases.remove(*w.agreement.legal_bases.all()),
    lambda w: w.agreement.legal_bases.set([]),
    lambda w: setattr(w.agreement, "year", 2014) or w.agreement.save(update_fields=["year"]),
    lambda w: w.agreement.versions.last().delete(),
    lambda w: (lambda v: setattr(v, "note", "x") or v.save())(w.agreement.versions.last()),
], ids=["offer-delete", "section-delete", "section-create", "offer-create", "goal-update-fields",
        "party-delete", "party-change", "signature-delete", "signature-change", "signature-create",
        "legal-bases-clear", "legal-bases-remove", "legal-bases-set", "agreement-update-fields",
        "version-delete", "version-change"])
def test_it_refuses_the_remaining_single_row_writes(just_signed, write):
    assert_the_model_refuses(just_signed, write)


# Bulk ORM calls go past Model.save()/delete(); SignedAgreementQuerySet and the LegalBasis pre_delete rule
# hold the wall for them.
@pytest.mark.parametrize("write", [
    lambda w: m.Goal.objects.filter(agreement=w.agreement).delete(),
    lambda w: w.agreement.offers.all().delete(),
    lambda w: m.AgreementSection.objects.filter(agreement=w.agreement).delete(),
    lambda w: m.AgreementParty.objects.filter(agreement=w.agreement, party=w.ministry).delete(),
    lambda w: m.Signature.objects.filter(agreement=w.agreement).delete(),
    lambda w: m.Goal.objects.filter(agreement=w.agreement).update(title="überschrieben"),
    lambda w: m.Goal.objects.bulk_create([m.Goal(agreement=w.agreement, title="nachgeschoben", kind="qualitativ",
                                                 direction="senkung")]),
    lambda w: m.Goal.objects.bulk_update([setattr(w.goal, "title", "anders") or w.goal], ["title"]),
    lambda w: m.LegalBasis.objects.filter(agreements=w.agreement).delete(),
], ids=["goals-delete", "offers-delete", "sections-delete", "parties-delete", "signatures-delete",
        "goals-update", "goals-bulk-create", "goals-bulk-update", "legal-basis-delete-cascades"])
def test_it_refuses_bulk_writes_to_a_signed_agreement(just_signed, write):
    assert_the_model_refuses(just_signed, write)


def test_it_keeps_the_signed_pdf_and_its_hash(just_signed):
    """The stored PDF is the one certified by the SHA-256 shown on the page; nothing above touched it."""
    document = just_signed.agreement.signed_file
    with document.file.open("rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == document.sha256
