"""The admin keeps the rules of locked records: signed agreements, released Vorlagen, the documents of frozen
records and the proposals of a frozen text are shown read-only, and nothing is added to them."""

import pytest
from django.contrib import admin

from agreements.admin.locks import signed_agreement_reason
from agreements.models import (
    Agreement,
    AgreementParty,
    AgreementSection,
    Consultation,
    Document,
    Goal,
    Proposal,
    Signature,
    Statement,
    SupportOffer,
    Vorlage,
    VorlageAnlage,
    VorlageSection,
)

from .factories import admin_case, admin_url, stored_pdf, vorlage_admin_post


def label(model):
    return model._meta.label


@pytest.fixture
def demo(db, admin_user):
    return admin_case(admin_user)


# --- Signed agreements and released Vorlagen are read-only in the admin -------------------------------------


def _sign(agreement):
    Agreement.objects.filter(pk=agreement.pk).update(status=Agreement.Status.SIGNED)


def _inline_management(**initial):
    data = {}
    for prefix in ["agreement_parties", "sections", "goals", "offers", "signatures"]:
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": str(initial.get(prefix, 0))})
    return data


def test_it_never_offers_the_lifecycle_fields_for_editing(admin_client, demo):
    agreement = demo["agreement"]
    content = admin_client.get(admin_url(Agreement, "change", agreement.pk)).content.decode()
    for field in ["status", "signed_file", "lock_version"]:
        assert f'name="{field}"' not in content
    assert 'name="title"' in content  # a draft is still editable
    add = admin_client.get(admin_url(Agreement, "add")).content.decode()
    assert 'name="status"' not in add and 'name="signed_file"' not in add

    data = {"title": agreement.title, "year": "2012", "status": "unterzeichnet",
            "signed_file": demo["document"].pk, **_inline_management()}
    response = admin_client.post(admin_url(Agreement, "change", agreement.pk), data)
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.DRAFT and agreement.signed_file_id is None


@pytest.mark.parametrize("status", Agreement.SIGNED_STATUSES)
def test_it_shows_a_signed_agreement_read_only_with_read_only_inlines(admin_client, demo, status):
    agreement = demo["agreement"]
    Agreement.objects.filter(pk=agreement.pk).update(status=status)
    response = admin_client.get(admin_url(Agreement, "change", agreement.pk))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="_save"' not in content and 'name="title"' not in content
    assert "Zielvereinbarung 2012 Kreis Mettmann" in content and "KdU optimieren" in content
    for prefix, field in [("agreement_parties", "role"), ("sections", "heading"), ("goals", "title"),
                          ("offers", "title"), ("signatures", "place")]:
        assert f'id="{prefix}-group"' in content  # shown …
        assert f'name="{prefix}-0-{field}"' not in content  # … but without inputs
        assert f'name="{prefix}-0-DELETE"' not in content
    request = response.wsgi_request
    model_admin = admin.site._registry[Agreement]
    assert not model_admin.has_change_permission(request, agreement)
    assert not model_admin.has_delete_permission(request, agreement)
    for inline in model_admin.get_inline_instances(request, agreement):
        assert not inline.has_add_permission(request, agreement), type(inline).__name__
        assert not inline.has_change_permission(request, agreement), type(inline).__name__
        assert not inline.has_delete_permission(request, agreement), type(inline).__name__


@pytest.mark.parametrize("status", ["entwurf", "in_verhandlung", "abgestimmt", "zurueckgezogen",
                                    "nicht_unterzeichnet"])
def test_it_keeps_unsigned_agreements_editable(rf, admin_user, demo, status):
    agreement = demo["agreement"]
    Agreement.objects.filter(pk=agreement.pk).update(status=status)
    agreement.refresh_from_db()
    request = rf.get("/")
    request.user = admin_user
    assert signed_agreement_reason(agreement.pk) is None
    for model, obj in [(Agreement, agreement), (Goal, agreement.goals.first()),
                       (Signature, agreement.signatures.first())]:
        assert admin.site._registry[model].has_change_permission(request, obj)


@pytest.mark.parametrize("model", [AgreementParty, AgreementSection, Goal, SupportOffer, Signature],
                         ids=label)
def test_it_shows_children_of_a_signed_agreement_read_only(admin_client, demo, model):
    _sign(demo["agreement"])
    obj = model._default_manager.filter(agreement=demo["agreement"]).first()
    response = admin_client.get(admin_url(model, "change", obj.pk))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="_save"' not in content
    assert "deletelink" not in content

    response = admin_client.get(admin_url(model, "delete", obj.pk), follow=True)
    assert response.redirect_chain == [(admin_url(model, "change", obj.pk), 302)]
    assert "nur als Nachtrag" in response.content.decode()
    assert model._default_manager.filter(pk=obj.pk).exists()


def test_it_refuses_to_add_a_child_to_a_signed_agreement(admin_client, demo):
    _sign(demo["agreement"])
    before = Goal.objects.count()
    response = admin_client.post(admin_url(Goal, "add"), {
        "agreement": demo["agreement"].pk, "kind": "qualitativ", "level": "lokal", "area": "kdu",
        "title": "Nachgeschoben", "direction": "senkung", "order": "3",
    })
    assert response.status_code == 200
    assert "nur als Nachtrag" in " ".join(response.context["adminform"].form.errors["agreement"])
    assert Goal.objects.count() == before


def test_it_refuses_to_bulk_delete_goals_of_a_signed_agreement(admin_client, demo):
    _sign(demo["agreement"])
    goals = list(Goal.objects.filter(agreement=demo["agreement"]).values_list("pk", flat=True))
    response = admin_client.post(admin_url(Goal, "changelist"), {
        "action": "delete_selected", "_selected_action": goals, "post": "yes",
    })
    assert response.status_code == 200
    assert "nur als Nachtrag" in response.content.decode()
    assert Goal.objects.filter(pk__in=goals).count() == len(goals)


def test_it_refuses_to_revert_a_goal_of_a_signed_agreement_from_its_history(admin_client, demo):
    goal = Goal.objects.get(title="KdU optimieren")
    goal.title = "KdU optimieren (alt)"
    goal.save()
    old = goal.history.order_by("history_id").first()
    _sign(demo["agreement"])
    url = admin_url(Goal, "simple_history", goal.pk, old.history_id)
    response = admin_client.post(url, {
        "agreement": demo["agreement"].pk, "kind": "qualitativ", "level": "lokal", "area": "kdu",
        "title": "KdU optimieren", "direction": "optimierung", "order": "1",
    }, follow=True)
    assert response.redirect_chain[-1] == (admin_url(Goal, "change", goal.pk), 302)
    goal.refresh_from_db()
    assert goal.title == "KdU optimieren (alt)"


def _release(vorlage, status=Vorlage.Status.RELEASED):
    Vorlage.objects.filter(pk=vorlage.pk).update(status=status)


def test_it_shows_a_released_vorlage_read_only(admin_client, demo):
    vorlage = demo["vorlage"]
    _release(vorlage)
    response = admin_client.get(admin_url(Vorlage, "change", vorlage.pk))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="_save"' not in content and 'name="name"' not in content
    assert "Zielvereinbarung 2012 mit dem MAIS NRW" in content
    for prefix, field in [("consultations", "result"), ("sections", "heading"), ("anlagen", "title")]:
        assert f'id="{prefix}-group"' in content
        assert f'name="{prefix}-0-{field}"' not in content
        assert f'name="{prefix}-0-DELETE"' not in content

    data = {**vorlage_admin_post(demo, name="Geändert", running_number="15"),
            "consultations-INITIAL_FORMS": "1", "sections-INITIAL_FORMS": "1", "anlagen-INITIAL_FORMS": "1"}
    response = admin_client.post(admin_url(Vorlage, "change", vorlage.pk), data, follow=True)
    assert response.redirect_chain == [(admin_url(Vorlage, "change", vorlage.pk), 302)]
    assert "nur angezeigt" in response.content.decode()
    vorlage.refresh_from_db()
    assert vorlage.name == "Zielvereinbarung 2012 mit dem MAIS NRW"


@pytest.mark.parametrize("model", [VorlageSection, VorlageAnlage], ids=label)
def test_it_shows_children_of_a_released_vorlage_read_only(admin_client, demo, model):
    _release(demo["vorlage"], Vorlage.Status.IN_CONSULTATION)
    obj = model._default_manager.get(vorlage=demo["vorlage"])
    content = admin_client.get(admin_url(model, "change", obj.pk)).content.decode()
    assert 'name="_save"' not in content
    response = admin_client.post(admin_url(model, "change", obj.pk), {"title": "neu", "heading": "neu"})
    assert response.status_code == 302
    response = admin_client.post(admin_url(model, "add"), {
        "vorlage": demo["vorlage"].pk, "order": "2", "heading": "II. Neu", "title": "Neu",
    })
    assert response.status_code == 200
    assert "vorlage" in response.context["adminform"].form.errors
    assert model._default_manager.filter(vorlage=demo["vorlage"]).count() == 1


def test_it_still_records_consultation_results_of_a_released_vorlage(admin_client, demo):
    _release(demo["vorlage"], Vorlage.Status.IN_CONSULTATION)
    consultation = Consultation.objects.get(paper=demo["vorlage"])
    url = admin_url(Consultation, "change", consultation.pk)
    content = admin_client.get(url).content.decode()
    assert 'name="result"' in content and 'name="committee"' not in content and 'name="role"' not in content
    response = admin_client.post(url, {
        "meeting": consultation.meeting_id, "meeting_date": "2012-05-08", "result": "kenntnis_genommen",
        "role": "entscheidung", "paper": "", "committee": "",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors
    consultation.refresh_from_db()
    assert consultation.result == "kenntnis_genommen"
    assert consultation.role == Consultation.Role.NOTICE  # read-only, the POST was ignored

    response = admin_client.post(admin_url(Consultation, "delete", consultation.pk), {"post": "yes"})
    assert response.status_code == 302
    assert Consultation.objects.filter(pk=consultation.pk).exists()


# --- Documents of frozen records are read-only (issue 10, B.8) ---------------------------------------------------


def _stored_document(title, admin_user, agreement=None):
    return stored_pdf(title, Document.Kind.VORLAGE, "frozen.pdf", uploaded_by=admin_user, agreement=agreement)


def _signed_agreements_pdf(demo, admin_user):
    document = _stored_document("Zielvereinbarung (unterzeichnet)", admin_user, demo["agreement"])
    Agreement.objects.filter(pk=demo["agreement"].pk).update(status=Agreement.Status.SIGNED, signed_file=document)
    return document


def _released_vorlages_pdf(demo, admin_user):
    document = _stored_document("Vorlage 50/015/2012", admin_user, demo["agreement"])
    Vorlage.objects.filter(pk=demo["vorlage"].pk).update(status=Vorlage.Status.RELEASED, main_file=document)
    return document


def _released_vorlages_anlage(demo, admin_user):
    _release(demo["vorlage"], Vorlage.Status.DONE)
    return demo["document"]


def _signed_agreements_statement(demo, admin_user):
    document = _stored_document("Stellungnahme der Liga", admin_user, demo["agreement"])
    Statement.objects.filter(agreement=demo["agreement"]).update(document=document)
    _sign(demo["agreement"])
    return document


FROZEN_DOCUMENTS = {
    "signed agreement's PDF": (_signed_agreements_pdf, "unterzeichnete Fassung einer Zielvereinbarung"),
    "released Vorlage's PDF": (_released_vorlages_pdf, "PDF einer freigegebenen Vorlage"),
    "Anlage of a released Vorlage": (_released_vorlages_anlage, "Anlage einer freigegebenen Vorlage"),
    "Stellungnahme of a signed agreement": (_signed_agreements_statement, "Stellungnahme zu einer unterzeichneten"),
}


def _document_state(document):
    return Document.objects.filter(pk=document.pk).values(
        "title", "kind", "agreement", "uploaded_by", "file", "sha256", "size", "original_filename", "modified",
    ).get()


def _document_post(demo, other_agreement):
    # What B.8 did: another title, kind, agreement (another county's) and uploader.
    return {"title": "Umbenannt", "kind": Document.Kind.OTHER, "agreement": other_agreement.pk,
            "uploaded_by": demo["editor"].pk}


@pytest.fixture
def other_agreement(db):
    return Agreement.objects.create(title="Zielvereinbarung 2012 Kreis Nachbar", year=2012)


@pytest.mark.parametrize("case", FROZEN_DOCUMENTS)
def test_it_shows_documents_of_frozen_records_read_only(admin_client, admin_user, demo, other_agreement, case):
    make, reason = FROZEN_DOCUMENTS[case]
    document = make(demo, admin_user)
    before = _document_state(document)
    url = admin_url(Document, "change", document.pk)

    content = admin_client.get(url).content.decode()
    assert 'name="_save"' not in content and 'name="title"' not in content and 'name="agreement"' not in content
    assert document.sha256 in content

    response = admin_client.post(url, _document_post(demo, other_agreement), follow=True)
    assert response.redirect_chain == [(url, 302)]
    assert reason in response.content.decode() and "weder geändert noch gelöscht" in response.content.decode()
    assert _document_state(document) == before

    response = admin_client.post(admin_url(Document, "delete", document.pk), {"post": "yes"}, follow=True)
    assert response.redirect_chain == [(url, 302)]
    response = admin_client.post(admin_url(Document, "changelist"), {
        "action": "delete_selected", "_selected_action": [document.pk], "post": "yes",
    })
    assert response.status_code == 200 and reason in response.content.decode()
    assert _document_state(document) == before


def test_it_keeps_other_documents_editable(admin_client, admin_user, demo, other_agreement):
    # The demo's document is an Anlage of a draft Vorlage and a letter's file: nothing frozen holds it.
    _signed_agreements_pdf(demo, admin_user)  # another document of the same, now signed, agreement
    document = demo["document"]
    url = admin_url(Document, "change", document.pk)
    assert 'name="_save"' in admin_client.get(url).content.decode()
    response = admin_client.post(url, _document_post(demo, other_agreement))
    assert response.status_code == 302, response.context["adminform"].form.errors
    document.refresh_from_db()
    assert (document.title, document.kind, document.agreement, document.uploaded_by) == (
        "Umbenannt", Document.Kind.OTHER, other_agreement, demo["editor"])


def test_it_decides_frozen_documents_by_one_rule(admin_user, demo):
    from agreements.services.documents import frozen_document_reason, frozen_documents

    # The Stellungnahme first: once the agreement is signed, its statements cannot be given a file any more.
    frozen = [make(demo, admin_user) for make, _reason in reversed(FROZEN_DOCUMENTS.values())]
    loose = _stored_document("Protokoll", admin_user, demo["agreement"])
    assert set(frozen_documents()) == set(frozen)
    assert all(frozen_document_reason(d.pk) for d in frozen) and frozen_document_reason(loose.pk) is None


# --- Proposals and their decisions freeze with the text (issue 10, B.7) ------------------------------------------


def _proposal_post(demo, **changes):
    data = {"agreement": demo["agreement"].pk, "party": demo["kreis"].pk, "concerns": "", "text": "Ziel streichen",
            "decision": "uebernommen", "reason": "", "lock_version": "1"}
    data.update(changes)
    return data


@pytest.mark.parametrize("status", Agreement.FROZEN_STATUSES)
def test_it_shows_proposals_of_a_frozen_text_read_only(admin_client, demo, status):
    Agreement.objects.filter(pk=demo["agreement"].pk).update(status=status)
    proposal = Proposal.objects.get(agreement=demo["agreement"])
    url = admin_url(Proposal, "change", proposal.pk)
    assert 'name="_save"' not in admin_client.get(url).content.decode()
    response = admin_client.post(url, _proposal_post(demo), follow=True)
    assert response.redirect_chain == [(url, 302)]
    assert "festgeschrieben" in response.content.decode()
    proposal.refresh_from_db()
    assert (proposal.decision, proposal.reason) == (Proposal.Decision.REJECTED, "Landesziel")
    response = admin_client.post(admin_url(Proposal, "add"), _proposal_post(demo, text="Nachgeschoben"))
    assert response.status_code == 200 and "agreement" in response.context["adminform"].form.errors
    assert not Proposal.objects.filter(text="Nachgeschoben").exists()


def test_it_keeps_proposals_of_an_open_text_editable(admin_client, demo):
    Agreement.objects.filter(pk=demo["agreement"].pk).update(status=Agreement.Status.NEGOTIATION)
    proposal = Proposal.objects.get(agreement=demo["agreement"])
    response = admin_client.post(admin_url(Proposal, "change", proposal.pk), _proposal_post(demo))
    assert response.status_code == 302, response.context["adminform"].form.errors
    proposal.refresh_from_db()
    assert proposal.decision == Proposal.Decision.ADOPTED
