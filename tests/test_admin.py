"""The admin: every model registered and shown, permissions, searches, uploads, Vorlage numbers, users.

The rules of locked records (signed agreements, released Vorlagen, frozen texts) are in test_admin_locks.py.
"""

import decimal
import hashlib

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from agreements.infra.uploads import UploadRejected, inspect_upload
from agreements.models import Agreement, AgreementParty, AgreementVersion, Document, Goal, Party, Vorlage

from .builders_files import encrypted_pdf_bytes, pdf_bytes, truncated_pdf_bytes
from .factories import admin_case, admin_url, vorlage_admin_post

User = get_user_model()
REGISTERED = sorted(admin.site._registry, key=lambda m: m._meta.label)
HISTORY_ADMINS = [m for m in REGISTERED if isinstance(admin.site._registry[m], SimpleHistoryAdmin)]


def label(model):
    return model._meta.label


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def demo(db, media, admin_user):
    return admin_case(admin_user)


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
    # Versions are frozen by "send draft" and accepted by "annehmen", a follow-on's checklist is made by deriving it;
    # the audit log, the search index and the start page's visits are written by the app itself; deadlines on the
    # agreement's tab (recorded on its timeline), calendar feeds on the user's calendar page; mails and the runs of
    # the schedule by the notifications app.
    request = rf.get("/")
    request.user = admin_user
    forbidden = sorted(label(m) for m, ma in admin.site._registry.items() if not ma.has_add_permission(request))
    assert forbidden == ["agreements.Acceptance", "agreements.AgreementVersion", "agreements.ArchivedUserName",
                         "agreements.AuditEntry", "agreements.CachedPdf", "agreements.CalendarFeed",
                         "agreements.CopiedPassage", "agreements.Deadline", "agreements.FormSubmission",
                         "agreements.SearchEntry", "agreements.StartPageVisit", "notifications.Mail",
                         "notifications.ScheduleRun"]


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


def test_it_forms_vorlage_reference_on_add(admin_client, demo):
    response = admin_client.post(admin_url(Vorlage, "add"), vorlage_admin_post(demo))
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


def test_it_asks_for_the_reason_of_a_target_value_outside_the_corridor(admin_client, demo):
    goal = Goal.objects.get(title="Integrationsquote")  # corridor 23,5 to 25 %
    url = admin_url(Goal, "change", goal.pk)
    assert 'name="corridor_exception_reason"' in admin_client.get(url).content.decode()
    data = {
        "agreement": goal.agreement_id, "kind": "quantitativ", "level": "lokal", "area": "k2",
        "title": goal.title, "indicator": goal.indicator_id, "reference_value": "24.1", "corridor_low": "23.5",
        "corridor_high": "25", "target_value": "40", "unit": "%", "order": "2",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    [message] = response.context["adminform"].form.errors["corridor_exception_reason"]
    assert "Der Zielwert 40\u00a0% liegt außerhalb des Korridors von 23,5 bis 25\u00a0%." in message
    goal.refresh_from_db()
    assert goal.target_value == decimal.Decimal("24.5")

    response = admin_client.post(url, {**data, "corridor_exception_reason": "Sondereffekt"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    goal.refresh_from_db()
    assert (goal.target_value, goal.corridor_exception_reason) == (40, "Sondereffekt")
    # Back inside the corridor: the reason goes, as it does in the app.
    assert admin_client.post(url, {**data, "target_value": "24", "corridor_exception_reason": "Sondereffekt"}
                             ).status_code == 302
    goal.refresh_from_db()
    assert goal.corridor_exception_reason == ""
    # The agreement's inline edits the reason too.
    body = admin_client.get(admin_url(Agreement, "change", goal.agreement_id)).content.decode()
    assert 'name="goals-1-corridor_exception_reason"' in body


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
