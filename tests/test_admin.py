import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from agreements.admin import signed_agreement_reason
from agreements.infra.uploads import UploadRejected, inspect_upload
from agreements.models import (
    AgendaItem,
    Agreement,
    AgreementParty,
    AgreementSection,
    AgreementVersion,
    ArchivedUserName,
    Assessment,
    CachedPdf,
    Committee,
    CommitteeMembership,
    Consultation,
    Department,
    Document,
    FormSubmission,
    Goal,
    Indicator,
    LegalBasis,
    Letter,
    Meeting,
    Membership,
    Party,
    Person,
    ProcedureStep,
    Proposal,
    Review,
    Signature,
    Statement,
    SupportOffer,
    Topic,
    Vorlage,
    VorlageAnlage,
    VorlageSection,
)

from .test_uploads import encrypted_pdf_bytes, pdf_bytes, truncated_pdf_bytes

User = get_user_model()
REGISTERED = sorted(admin.site._registry, key=lambda m: m._meta.label)
HISTORY_ADMINS = [m for m in REGISTERED if isinstance(admin.site._registry[m], SimpleHistoryAdmin)]
PDF_BYTES = b"%PDF-1.4\n% Zielvereinbarung 2012\n%%EOF\n"


def label(model):
    return model._meta.label


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def demo(db, media, admin_user):
    """The Mettmann case in miniature: one record of every model the admin shows."""
    parties = {
        kind: Party.objects.create(key=f"party-{kind}", name=f"Stelle {label_}", kind=kind)
        for kind, label_ in Party.Kind.choices
    }
    kreis = parties[Party.Kind.KREIS]
    kreis.name, kreis.short_name, kreis.city = "Kreis Mettmann", "ME", "Mettmann"
    kreis.save()
    ministry = parties[Party.Kind.MINISTRY]
    ministry.name, ministry.short_name = "Ministerium für Arbeit, Integration und Soziales NRW", "MAIS NRW"
    ministry.save()
    jobcenter = parties[Party.Kind.JOBCENTER]
    jobcenter.name, jobcenter.parent = "Jobcenter ME-aktiv", kreis
    jobcenter.jobcenter_form = Party.JobcenterForm.GE
    jobcenter.save()
    verband = parties[Party.Kind.VERBAND]

    department = Department.objects.create(party=kreis, number="50", name="Sozialamt")
    editor = User.objects.create_user("gansauer", "gansauer@example.org", "pw-editor-123")
    person = Person.objects.create(
        party=kreis, department=department, form_of_address="Frau", given_name="Ulrike",
        family_name="Gansauer", function="Bearbeiterin", user=editor,
    )
    Membership.objects.create(user=editor, party=kreis, role=Membership.Role.EDITOR)
    Group.objects.create(name="Redaktion")

    committee = Committee.objects.create(party=kreis, name="Sozialausschuss")
    CommitteeMembership.objects.create(committee=committee, user=editor, role=CommitteeMembership.Role.CHAIR)
    meeting = Meeting.objects.create(
        committee=committee, start=timezone.make_aware(dt.datetime(2012, 5, 8, 17)), location="Mettmann"
    )

    indicator = Indicator.objects.create(code="K2", name="Integrationsquote", unit="%")
    topic = Topic.objects.create(number=1, name="Kommunale Eingliederungsleistungen")
    legal_basis = LegalBasis.objects.create(citation="§ 48b SGB II")

    document = Document(
        title="Zielvereinbarung 2012 (unterzeichnet)", kind=Document.Kind.AGREEMENT, size=len(PDF_BYTES),
        content_type="application/pdf", sha256=hashlib.sha256(PDF_BYTES).hexdigest(),
        original_filename="zv-2012.pdf", uploaded_by=admin_user,
    )
    document.file.save("zv-2012.pdf", ContentFile(PDF_BYTES), save=True)

    agreement = Agreement.objects.create(title="Zielvereinbarung 2012 Kreis Mettmann", year=2012)
    agreement.legal_bases.add(legal_basis)
    document.agreement = agreement
    document.save()
    AgreementParty.objects.create(agreement=agreement, party=ministry, role=AgreementParty.Role.LAND, order=1)
    AgreementParty.objects.create(
        agreement=agreement, party=kreis, role=AgreementParty.Role.KOMMUNALER_TRAEGER, order=2
    )
    AgreementSection.objects.create(agreement=agreement, order=1, heading="§ 1 Gegenstand")
    goal = Goal.objects.create(
        agreement=agreement, kind=Goal.Kind.QUALITATIVE, area=Goal.Area.KDU, title="KdU optimieren",
        direction=Goal.Direction.OPTIMIERUNG, order=1,
    )
    Goal.objects.create(
        agreement=agreement, kind=Goal.Kind.QUANTITATIVE, area=Goal.Area.K2, title="Integrationsquote",
        indicator=indicator, reference_value=Decimal("24.1"), corridor_low=Decimal("23.5"),
        corridor_high=Decimal("25"), target_value=Decimal("24.5"), unit="%", order=2,
    )
    SupportOffer.objects.create(agreement=agreement, topic=topic, title="Fachtagung", provider=ministry)
    version = AgreementVersion.objects.create(
        agreement=agreement, number=1, author_party=ministry, sent_at=timezone.now(),
        snapshot={"title": agreement.title, "goals": [{"title": "KdU <optimieren>"}]},
    )
    letter = Letter.objects.create(
        agreement=agreement, date=dt.date(2012, 3, 29), direction=Letter.Direction.INCOMING, sender=ministry,
        recipient=kreis, subject="Ihre Vorschläge", document=document,
    )
    Proposal.objects.create(
        agreement=agreement, party=kreis, text="Ziel streichen", goal=goal,
        decision=Proposal.Decision.REJECTED, reason="Landesziel", answer_letter=letter,
    )
    Statement.objects.create(
        agreement=agreement, party=verband, date=dt.date(2012, 2, 1), title="Stellungnahme der Liga",
        include_as_annex=True,
    )
    step = ProcedureStep.objects.create(
        agreement=agreement, date=dt.date(2011, 12, 16), kind=ProcedureStep.Kind.MEETING,
        title="Zielsteuerungsgespräch", version=version,
    )
    step.participants.add(kreis, ministry)
    Signature.objects.create(
        agreement=agreement, party=kreis, person=person, signatory_name="Thomas Hendele",
        signatory_function="Landrat", date=dt.date(2012, 4, 20), place="Mettmann",
    )
    review = Review.objects.create(agreement=agreement, date=dt.date(2012, 9, 1))
    Assessment.objects.create(review=review, goal=goal, status=Assessment.Status.ON_TRACK)

    vorlage = Vorlage.objects.create(
        reference="50/015/2012", department=department, year=2012, running_number=15, author=person,
        date=dt.date(2012, 4, 24), name="Zielvereinbarung 2012 mit dem MAIS NRW", agreement=agreement,
    )
    consultation = Consultation.objects.create(
        paper=vorlage, committee=committee, meeting=meeting, meeting_date=dt.date(2012, 5, 8),
        role=Consultation.Role.NOTICE, order=1,
    )
    AgendaItem.objects.create(
        meeting=meeting, number="5", name="Zielvereinbarung 2012", consultation=consultation
    )
    VorlageSection.objects.create(vorlage=vorlage, order=1, heading="I. Rechtliche Grundlagen")
    VorlageAnlage.objects.create(vorlage=vorlage, order=1, title="Zielvereinbarung 2012", document=document)
    FormSubmission.objects.create(user=editor, token="einmal", path="/vereinbarungen/neu/").record(agreement)
    CachedPdf.objects.create(key="a" * 64, sha256="b" * 64, size=1024)
    ArchivedUserName.objects.create(content_type=ContentType.objects.get_for_model(Document), object_id=document.pk,
                                    field="uploaded_by", name="admin")
    return {
        "kreis": kreis, "editor": editor, "agreement": agreement, "version": version, "document": document,
        "vorlage": vorlage, "department": department, "person": person,
    }


def test_it_registers_every_model_except_historical_ones():
    models = [
        m for m in apps.get_app_config("agreements").get_models() if not m.__name__.startswith("Historical")
    ]
    missing = [label(m) for m in models if m not in admin.site._registry]
    assert missing == []
    assert not any(m.__name__.startswith("Historical") for m in admin.site._registry)


@pytest.mark.parametrize("model", REGISTERED, ids=label)
def test_it_shows_changelist(admin_client, demo, model):
    response = admin_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=label)
def test_it_shows_change_page(admin_client, demo, model):
    obj = model._default_manager.first()
    assert obj is not None, f"demo fixture has no {label(model)}"
    response = admin_client.get(admin_url(model, "change", obj.pk))
    assert response.status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=label)
def test_it_shows_add_page_where_adding_is_allowed(rf, admin_user, admin_client, demo, model):
    request = rf.get("/")
    request.user = admin_user
    allowed = admin.site._registry[model].has_add_permission(request)
    response = admin_client.get(admin_url(model, "add"))
    assert response.status_code == (200 if allowed else 403)


@pytest.mark.parametrize("model", HISTORY_ADMINS, ids=label)
def test_it_shows_history(admin_client, demo, model):
    obj = model._default_manager.first()
    response = admin_client.get(admin_url(model, "history", obj.pk))
    assert response.status_code == 200


def test_it_only_forbids_adding_versions_and_derived_records(rf, admin_user):
    # Versions are frozen by "send draft"; the audit log and the search index are written by the app itself.
    request = rf.get("/")
    request.user = admin_user
    forbidden = sorted(label(m) for m, ma in admin.site._registry.items() if not ma.has_add_permission(request))
    assert forbidden == ["agreements.AgreementVersion", "agreements.ArchivedUserName", "agreements.AuditEntry",
                         "agreements.CachedPdf", "agreements.FormSubmission", "agreements.SearchEntry"]


def test_audit_log_is_read_only_in_admin(admin_client, rf, admin_user):
    from agreements.models import AuditEntry

    entry = AuditEntry.objects.create(action=AuditEntry.Action.LOGIN, username="someone")
    model_admin = admin.site._registry[AuditEntry]
    request = rf.get("/")
    request.user = admin_user
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)
    response = admin_client.post(admin_url(AuditEntry, "delete", entry.pk), {"post": "yes"})
    assert response.status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize("model", REGISTERED, ids=label)
def test_it_redirects_anonymous_to_login(client, db, model):
    url = admin_url(model, "changelist")
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("model", REGISTERED, ids=label)
def test_it_redirects_non_staff_to_login(client, db, model):
    client.force_login(User.objects.create_user("leser", "leser@example.org", "pw-reader-123"))
    response = client.get(admin_url(model, "changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_it_uses_german_site_header(admin_client, db):
    response = admin_client.get(reverse("admin:index"))
    assert "Zielsteuerung – Verwaltung" in response.content.decode()


def test_it_searches_parties(admin_client, demo):
    response = admin_client.get(admin_url(Party, "changelist"), {"q": "Mettmann"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [demo["kreis"]]


def test_it_shows_party_inlines(admin_client, demo):
    response = admin_client.get(admin_url(Party, "change", demo["kreis"].pk))
    content = response.content.decode()
    for prefix in ["departments", "people", "memberships", "children"]:
        assert f'id="{prefix}-group"' in content
    assert "Jobcenter ME-aktiv" in content
    assert "Gansauer" in content


def _party_changelist_queries(client, count):
    parent, _ = Party.objects.get_or_create(
        key="bulk-parent", defaults={"name": "Kreis Bulk", "kind": Party.Kind.KREIS}
    )
    existing = Party.objects.filter(key__startswith="bulk-jc-").count()
    Party.objects.bulk_create(
        Party(key=f"bulk-jc-{i}", name=f"Jobcenter {i}", kind=Party.Kind.JOBCENTER, parent=parent)
        for i in range(existing, count)
    )
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(admin_url(Party, "changelist"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_it_lists_parties_with_a_fixed_number_of_queries(admin_client, db):
    assert _party_changelist_queries(admin_client, 5) == _party_changelist_queries(admin_client, 30)


def test_it_lists_agreements_with_a_fixed_number_of_queries(admin_client, demo):
    url = admin_url(Agreement, "changelist")

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    for i in range(10):
        agreement = Agreement.objects.create(title=f"ZV {i}", year=2013)
        AgreementParty.objects.create(agreement=agreement, party=demo["kreis"], role="kommunaler_traeger")
    assert queries() == few


def test_it_shows_version_read_only(admin_client, demo):
    version = demo["version"]
    response = admin_client.get(admin_url(AgreementVersion, "change", version.pk))
    content = response.content.decode()
    assert response.status_code == 200
    assert 'name="_save"' not in content
    assert 'name="_continue"' not in content
    assert "<pre" in content
    # Snapshot text is escaped, not rendered as HTML.
    assert "KdU &lt;optimieren&gt;" in content
    assert "KdU <optimieren>" not in content


def test_it_does_not_change_version_on_post(admin_client, demo):
    version = demo["version"]
    response = admin_client.post(
        admin_url(AgreementVersion, "change", version.pk),
        {"note": "geändert", "number": "7", "kind": "endfassung"},
        follow=True,
    )
    # Refused with a message on the read-only page (it used to be a bare 403).
    assert response.redirect_chain == [(admin_url(AgreementVersion, "change", version.pk), 302)]
    assert "weder geändert noch gelöscht" in response.content.decode()
    version.refresh_from_db()
    assert (version.note, version.number, version.kind) == ("", 1, AgreementVersion.Kind.DRAFT)


def test_it_does_not_delete_version(admin_client, demo):
    version = demo["version"]
    response = admin_client.post(admin_url(AgreementVersion, "delete", version.pk), {"post": "yes"}, follow=True)
    assert response.redirect_chain == [(admin_url(AgreementVersion, "change", version.pk), 302)]
    assert "weder geändert noch gelöscht" in response.content.decode()
    assert AgreementVersion.objects.filter(pk=version.pk).exists()


def test_it_shows_document_without_media_link(admin_client, demo):
    document = demo["document"]
    response = admin_client.get(admin_url(Document, "change", document.pk))
    content = response.content.decode()
    assert document.sha256 in content
    assert "zv-2012.pdf" in content
    assert "/media-not-served/" not in content
    assert document.file.name not in content
    assert 'name="file"' not in content
    assert 'name="sha256"' not in content


def test_it_computes_document_fields_on_upload(admin_client, demo):
    # The admin now uses the app's content check (agreements.infra.uploads): a real, readable PDF is needed.
    data = pdf_bytes()
    response = admin_client.post(admin_url(Document, "add"), {
        "title": "Anlage 2", "kind": Document.Kind.ANNEX, "agreement": "", "is_pdfa": "on",
        "file": SimpleUploadedFile("Anlage 2 – Übersicht.pdf", data, content_type="text/plain"),
    })
    assert response.status_code == 302, response.context["adminform"].form.errors
    document = Document.objects.get(title="Anlage 2")
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert document.size == len(data)
    assert document.content_type == "application/pdf"
    assert document.original_filename == "Anlage 2 – Übersicht.pdf"
    assert document.is_pdfa is False  # what the content says, not the ticked box
    assert "Anlage" not in document.file.name
    assert document.file.read() == data


def test_it_takes_pdfa_from_the_content(admin_client, demo):
    response = admin_client.post(admin_url(Document, "add"), {
        "title": "Anlage 3", "kind": Document.Kind.ANNEX, "agreement": "",
        "file": SimpleUploadedFile("a3.pdf", pdf_bytes(pdfa=True)),
    })
    assert response.status_code == 302
    assert Document.objects.get(title="Anlage 3").is_pdfa is True


@pytest.mark.parametrize("name, data, message", [
    ("bild.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "Bild (PNG)"),
    ("geheim.pdf", encrypted_pdf_bytes(), "verschlüsselt"),
    ("kaputt.pdf", truncated_pdf_bytes(), "beschädigt"),
    ("seite.pdf", b"<!DOCTYPE html><html><body>x</body></html>", "HTML-Datei"),
    ("leer.pdf", b"", "leer"),
], ids=["png", "encrypted", "truncated", "html", "empty"])
def test_it_refuses_in_the_admin_what_the_app_refuses(admin_client, demo, media, name, data, message):
    before = Document.objects.count()
    files_before = sorted(p for p in media.rglob("*") if p.is_file())
    response = admin_client.post(admin_url(Document, "add"), {
        "title": "Anlage X", "kind": Document.Kind.ANNEX, "agreement": "",
        "file": SimpleUploadedFile(name, data, content_type="application/pdf"),
    })
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "file" in errors and message in " ".join(errors["file"])
    if data:
        with pytest.raises(UploadRejected) as app_refusal:
            inspect_upload(SimpleUploadedFile(name, data))
        assert errors["file"] == [str(app_refusal.value)]
    assert Document.objects.count() == before
    assert sorted(p for p in media.rglob("*") if p.is_file()) == files_before


def test_it_refuses_too_large_uploads_in_the_admin(admin_client, demo, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    response = admin_client.post(admin_url(Document, "add"), {
        "title": "Groß", "kind": Document.Kind.ANNEX, "agreement": "",
        "file": SimpleUploadedFile("gross.pdf", pdf_bytes(pages=20)),
    })
    assert response.status_code == 200
    assert "zu groß" in " ".join(response.context["adminform"].form.errors["file"])
    assert not Document.objects.filter(title="Groß").exists()


def test_it_makes_vorlage_number_read_only_when_editing(admin_client, demo):
    vorlage = demo["vorlage"]
    response = admin_client.get(admin_url(Vorlage, "change", vorlage.pk))
    content = response.content.decode()
    assert "50/015/2012" in content
    for field in ["reference", "running_number", "year"]:
        assert f'name="{field}"' not in content
    for prefix in ["consultations", "sections", "anlagen"]:
        assert f'id="{prefix}-group"' in content

    add = admin_client.get(admin_url(Vorlage, "add")).content.decode()
    for field in ["running_number", "year"]:
        assert f'name="{field}"' in add
    assert 'name="reference"' not in add  # derived from department, running number and year


def test_it_lists_vorlage_columns(admin_client, demo):
    response = admin_client.get(admin_url(Vorlage, "changelist"))
    content = response.content.decode()
    assert "50/015/2012" in content
    assert "Zielvereinbarung 2012 mit dem MAIS NRW" in content
    assert "50 Sozialamt" in content


def _vorlage_post(demo, **overrides):
    data = {
        "department": demo["department"].pk, "running_number": "16", "year": "2012", "reference": "",
        "name": "Zielvereinbarung 2013", "paper_type": "beschlussvorlage", "decision_type": "beschluss",
        "status": "entwurf", "date": "2012-11-05", "author": demo["person"].pk, "public": "on",
        "financial_impact": "nein", "personnel_impact": "nein", "organisational_impact": "nein",
    }
    for prefix in ["consultations", "sections", "anlagen"]:
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data.update(overrides)
    return data


def test_it_forms_vorlage_reference_on_add(admin_client, demo):
    response = admin_client.post(admin_url(Vorlage, "add"), _vorlage_post(demo))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Vorlage.objects.filter(reference="50/016/2012", running_number=16).exists()


def test_it_shows_membership_inlines_on_user(admin_client, demo):
    response = admin_client.get(admin_url(User, "change", demo["editor"].pk))
    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="memberships-group"' in content
    assert 'id="committee_memberships-group"' in content
    assert 'name="memberships-0-party"' in content
    assert "Kreis Mettmann" in content


def test_it_filters_users_by_party(admin_client, demo):
    url = admin_url(User, "changelist")
    response = admin_client.get(url, {"stelle": str(demo["kreis"].pk)})
    assert [u.username for u in response.context["cl"].result_list] == ["gansauer"]
    response = admin_client.get(url, {"stelle": "ohne"})
    assert "gansauer" not in [u.username for u in response.context["cl"].result_list]


def test_it_bumps_lock_version_on_admin_save(admin_client, demo):
    agreement = demo["agreement"]
    before = agreement.lock_version
    data = {"title": "Zielvereinbarung 2012 (geändert)", "year": "2012", "status": "entwurf"}
    # Existing inline rows are left alone: an empty formset touches nothing.
    for prefix in ["agreement_parties", "sections", "goals", "offers", "signatures"]:
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = admin_client.post(admin_url(Agreement, "change", agreement.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    agreement.refresh_from_db()
    assert agreement.title == "Zielvereinbarung 2012 (geändert)"
    assert agreement.lock_version == before + 1


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

    data = {**_vorlage_post(demo, name="Geändert", running_number="15"),
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
    document = Document(
        title=title, kind=Document.Kind.VORLAGE, size=len(PDF_BYTES), content_type="application/pdf",
        sha256=hashlib.sha256(PDF_BYTES).hexdigest(), original_filename="frozen.pdf", uploaded_by=admin_user,
        agreement=agreement,
    )
    document.file.save("frozen.pdf", ContentFile(PDF_BYTES), save=True)
    return document


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
