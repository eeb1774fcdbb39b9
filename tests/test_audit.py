"""The audit log: what is written (logins, writes with and without history, user accounts), that it is
append-only, the client address behind the proxy, and the Protokoll page with its CSV download."""

import csv
import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agreements import models as m
from agreements.infra.audit import client_ip

from .builders_confirm import CONFIRMED, confirmed
from .builders_files import pdf_bytes

A = m.AuditEntry.Action
pytestmark = [pytest.mark.django_db, pytest.mark.world_records]


def entries(**filters):
    return list(m.AuditEntry.objects.filter(**filters).order_by("id"))


# --- Logins ---------------------------------------------------------------------------------------------------


def test_it_logs_a_login_and_a_logout_with_address_and_path(world, client):
    response = client.post(reverse("login"), {"username": "editor", "password": "pw"}, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 302
    (login,) = entries(action=A.LOGIN)
    assert (login.user, login.username, login.ip_address, login.path) == (
        world.users.editor, "editor", "10.1.2.3", "/anmelden/")

    client.post(reverse("logout"), REMOTE_ADDR="10.1.2.3")
    (logout,) = entries(action=A.LOGOUT)
    assert (logout.user, logout.username, logout.path) == (world.users.editor, "editor", "/abmelden/")


def test_it_logs_a_failed_login_with_the_name_given_but_never_the_password(world, client):
    client.post(reverse("login"), {"username": "editor", "password": "falsch-geheim"})
    client.post(reverse("login"), {"username": "niemand", "password": "falsch-geheim"})
    known, unknown = entries(action=A.LOGIN_FAILED)
    assert (known.user, known.username, known.ip_address) == (world.users.editor, "editor", "127.0.0.1")
    assert (unknown.user, unknown.username) == (None, "niemand")
    assert not m.AuditEntry.objects.filter(changes__icontains="falsch-geheim").exists()
    assert not entries(action=A.LOGIN)


# --- Writes ---------------------------------------------------------------------------------------------------


def test_it_logs_an_update_with_the_changed_fields_only(world, login):
    client = login(world.users.editor)
    url = reverse("section_edit", args=[world.agreement.pk, world.section.pk])
    response = client.post(url, {"heading": "§ 1 Gegenstand und Zweck", "text": "Text", "lock_version": 1},
                           REMOTE_ADDR="10.0.0.7")
    assert response.status_code == 302
    (entry,) = entries(action=A.UPDATE, object_type="agreements.agreementsection")
    assert entry.user == world.users.editor and entry.username == "editor"
    assert entry.object_id == str(world.section.pk) and entry.object_repr == "§ 1 Gegenstand und Zweck"
    assert entry.changes == {"heading": ["§ 1 Gegenstand", "§ 1 Gegenstand und Zweck"]}
    assert (entry.ip_address, entry.path) == ("10.0.0.7", url)


def test_it_logs_a_create_and_a_delete(world, login):
    client = login(world.users.editor)
    client.post(reverse("section_add", args=[world.agreement.pk]), {"heading": "§ 9 Schluss", "text": ""})
    section = m.AgreementSection.objects.get(heading="§ 9 Schluss")
    (created,) = entries(action=A.CREATE, object_type="agreements.agreementsection", object_id=str(section.pk))
    assert (created.object_id, created.object_repr, created.user) == (
        str(section.pk), "§ 9 Schluss", world.users.editor)
    assert created.changes == {}

    client.post(reverse("section_delete", args=[world.agreement.pk, section.pk]), CONFIRMED)
    (deleted,) = entries(action=A.DELETE, object_type="agreements.agreementsection")
    assert (deleted.object_id, deleted.object_repr, deleted.user) == (
        str(section.pk), "§ 9 Schluss", world.users.editor)


def test_it_logs_records_without_history_sent_versions_and_uploads(world, login):
    client = login(world.users.editor)
    client.post(reverse("draft_send", args=[world.agreement.pk]), confirmed({"note": "Unser Entwurf"}))
    version = world.agreement.versions.order_by("-number").first()
    assert version.number == 2
    (sent,) = entries(action=A.CREATE, object_type="agreements.agreementversion", object_id=str(version.pk))
    assert (sent.object_id, sent.user) == (str(version.pk), world.users.editor)

    upload = SimpleUploadedFile("liga.pdf", pdf_bytes(), content_type="application/pdf")
    response = client.post(reverse("document_upload", args=[world.agreement.pk]),
                           {"title": "Stellungnahme der Liga", "kind": "anlage", "file": upload})
    assert response.status_code == 302
    (uploaded,) = entries(action=A.CREATE, object_type="agreements.document")
    assert (uploaded.object_repr, uploaded.user, uploaded.path) == (
        "Stellungnahme der Liga", world.users.editor, reverse("document_upload", args=[world.agreement.pk]))


def test_it_logs_changes_to_accounts_but_not_the_password_and_not_each_login(world):
    user = world.users.reader
    user.is_staff = True
    user.set_password("neues-kennwort")
    user.save()
    (entry,) = entries(action=A.UPDATE, object_type="auth.user")
    assert entry.changes == {"is_staff": [False, True], "password": ["********", "********"]}
    assert "neues-kennwort" not in str(entry.changes) and user.password not in str(entry.changes)

    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    assert len(entries(action=A.UPDATE, object_type="auth.user")) == 1


def test_it_writes_nothing_when_the_change_is_rolled_back(world):
    before = m.AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        world.goal.title = "Geändert"
        world.goal.save()
        raise RuntimeError("abgebrochen")
    assert m.AuditEntry.objects.count() == before


def test_it_keeps_the_entries_of_a_deleted_account(world, client):
    client.post(reverse("login"), {"username": "committee", "password": "pw"})
    world.users.committee.delete()
    entry = m.AuditEntry.objects.get(action=A.LOGIN)
    assert entry.user is None and entry.username == "committee"


# --- Append-only ----------------------------------------------------------------------------------------------


def test_it_refuses_to_change_or_delete_an_entry(world):
    entry = m.AuditEntry.objects.create(action=A.LOGIN, username="editor")
    entry.username = "jemand-anderes"
    with pytest.raises(m.ImmutableRecordError):
        entry.save()
    with pytest.raises(m.ImmutableRecordError):
        entry.delete()
    with pytest.raises(m.ImmutableRecordError):
        m.AuditEntry.objects.filter(pk=entry.pk).update(username="x")
    with pytest.raises(m.ImmutableRecordError):
        m.AuditEntry.objects.all().delete()
    assert m.AuditEntry.objects.get(pk=entry.pk).username == "editor"


# --- The client's address -------------------------------------------------------------------------------------


def _request(**meta):
    return RequestFactory().get("/", **meta)


def test_it_ignores_x_forwarded_for_without_a_proxy(settings):
    settings.AXES_IPWARE_PROXY_COUNT = None
    assert client_ip(_request(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6")) == "10.0.0.5"


def test_it_takes_the_address_the_proxy_appended(settings):
    settings.AXES_IPWARE_PROXY_COUNT = 1
    # nginx appends the address it was called from; "6.6.6.6" is what the client claimed.
    assert client_ip(_request(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 10.0.0.5")) == "10.0.0.5"
    assert client_ip(_request(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="2001:db8::1")) == "2001:db8::1"
    # No header (called around the proxy) or rubbish in it: the socket's address.
    assert client_ip(_request(REMOTE_ADDR="127.0.0.1")) == "127.0.0.1"
    assert client_ip(_request(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="<script>")) == "127.0.0.1"


def test_it_counts_login_failures_per_client_behind_the_proxy(world, client, settings):
    settings.AXES_IPWARE_PROXY_COUNT = 1
    for _ in range(5):
        client.post(reverse("login"), {"username": "editor", "password": "falsch"},
                    REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.0.0.5")
    assert {e.ip_address for e in entries(action=A.LOGIN_FAILED)} == {"10.0.0.5"}
    # Another client behind the same proxy is not locked out by the first one's failures.
    response = client.post(reverse("login"), {"username": "editor", "password": "pw"},
                           REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.0.0.6")
    assert response.status_code == 302
    response = client.post(reverse("login"), {"username": "editor", "password": "pw"},
                           REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.0.0.5")
    assert response.status_code == 429


# --- The Protokoll page ---------------------------------------------------------------------------------------


def _entry(action=A.UPDATE, when=None, **values):
    values.setdefault("username", "editor")
    entry = m.AuditEntry.objects.create(action=action, **values)
    if when is not None:
        # Written straight into the table: the model refuses updates, rightly, but the test needs old entries.
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(m.AuditEntry._meta.db_table)
            cursor.execute(f"UPDATE {table} SET time = %s WHERE id = %s",
                           [connection.ops.adapt_datetimefield_value(when), entry.pk])
    return entry


@pytest.mark.parametrize("role", ["outsider", "reader", "editor", "ministry", "committee"])
def test_it_hides_the_page_from_everyone_but_superusers(world, login, role):
    client = login(getattr(world.users, role))
    for name in ("audit_log", "audit_log_csv"):
        assert client.get(reverse(name)).status_code == 404
        assert client.post(reverse(name)).status_code == 404


def test_it_sends_anonymous_users_to_the_login(world, client):
    for name in ("audit_log", "audit_log_csv"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_it_shows_the_log_to_a_superuser(world, login):
    _entry(object_type="agreements.goal", object_id=str(world.goal.pk), object_repr="Senkung der KdU",
           changes={"title": ["Senkung", "Senkung der KdU"]}, ip_address="10.0.0.7", path="/x/")
    client = login(world.users.admin)
    response = client.get(reverse("audit_log"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Senkung der KdU" in content and "10.0.0.7" in content
    assert "Ziel" in content and "Titel" in content  # the model's and the field's German names
    assert client.post(reverse("audit_log")).status_code == 405


def test_it_shows_a_changed_number_as_the_pages_do(world, login):
    """Stored as "25.500" (the audit keeps the value as saved), read as "25,5", not as twenty-five thousand."""
    _entry(object_type="agreements.goal", object_id=str(world.goal.pk), object_repr="Quote",
           changes={"target_value": ["25.500", "25.200"], "title": ["1.500", "2.500"]})
    client = login(world.users.admin)
    content = client.get(reverse("audit_log")).content.decode()
    assert "<dt>Zielwert</dt><dd class=\"mb-1\"><del>25,5</del> → <ins>25,2</ins></dd>" in content
    assert "<del>1.500</del> → <ins>2.500</ins>" in content  # a text stays as it is
    body = b"".join(client.get(reverse("audit_log_csv")).streaming_content).decode()
    assert "Zielwert: 25,5 → 25,2" in body


def test_it_filters_by_user_action_object_type_and_dates(world, login):
    tz = timezone.get_current_timezone()
    march = datetime.datetime(2013, 3, 29, 23, 30, tzinfo=tz)  # late on the 29th, local time
    april = datetime.datetime(2013, 4, 2, 9, 0, tzinfo=tz)
    _entry(A.LOGIN_FAILED, when=march, username="mallory", object_repr="eins")
    _entry(A.UPDATE, when=march, username="editor", object_type="agreements.goal", object_repr="zwei")
    _entry(A.UPDATE, when=april, username="editor", object_type="agreements.proposal", object_repr="drei")
    client = login(world.users.admin)

    def shown(**query):
        response = client.get(reverse("audit_log"), query)
        assert response.status_code == 200
        # The world's own records were logged when it was built; only these three are of interest.
        return sorted(e.object_repr for e in response.context["page"] if e.object_repr in ("eins", "zwei", "drei"))

    assert shown(benutzer="Mallory") == ["eins"]
    assert shown(aktion="update") == ["drei", "zwei"]
    assert shown(objekttyp="agreements.proposal") == ["drei"]
    assert shown(von="2013-03-29", bis="2013-03-29") == ["eins", "zwei"]
    assert shown(von="2013-03-30") == ["drei"]
    assert shown(bis="2013-04-01", aktion="update") == ["zwei"]
    assert shown(von="2013-04-02", bis="2013-03-01") == []  # a reversed range finds nothing and says why
    response = client.get(reverse("audit_log"), {"von": "gestern"})
    assert response.status_code == 200 and not response.context["page"].object_list


def test_it_pages_with_a_fixed_number_of_queries(world, login):
    client = login(world.users.admin)

    def count(page=1):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("audit_log"), {"page": page})
        assert response.status_code == 200
        return len(ctx.captured_queries)

    for i in range(5):
        _entry(object_repr=f"Eintrag {i}", object_type="agreements.goal", changes={"title": ["a", "b"]})
    small = count()
    for i in range(120):
        _entry(object_repr=f"Eintrag {i}", object_type="agreements.goal", changes={"title": ["a", "b"]},
               user=world.users.editor)
    assert count() == small
    assert count(page=3) == small


def test_it_downloads_the_filtered_entries_as_csv_for_excel(world, login):
    _entry(A.LOGIN_FAILED, username="=HYPERLINK(\"http://evil\")", ip_address="10.0.0.9")
    _entry(A.UPDATE, username="editor", object_type="agreements.goal", object_repr="Senkung der KdU",
           changes={"title": ["Senkung", "Senkung der KdU"]})
    client = login(world.users.admin)
    response = client.get(reverse("audit_log_csv"), {"aktion": "login_failed"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="protokoll-')
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["Zeitpunkt", "Benutzername", "Aktion"]
    assert len(rows) == 2  # the header and the one failed login; the update is filtered out
    assert rows[1][1] == "'=HYPERLINK(\"http://evil\")"  # never a formula in Excel
    assert rows[1][2] == "Anmeldung fehlgeschlagen" and rows[1][7] == "10.0.0.9"

    body = b"".join(client.get(reverse("audit_log_csv"), {"aktion": "update"}).streaming_content).decode()
    assert "Titel: Senkung → Senkung der KdU" in body


def test_every_entry_has_a_readable_object_type(world):
    assert _entry(object_type="agreements.goal").object_type_label == "Ziel"
    assert _entry(object_type="agreements.gibtsnicht").object_type_label == "agreements.gibtsnicht"
    assert get_user_model()._meta.label_lower == "auth.user"


def test_it_never_fails_on_a_nul_character(world):
    # PostgreSQL refuses NUL in text and JSON; whatever reaches the log is stored without it.
    from agreements.infra.audit import write_entry

    entry = write_entry(A.LOGIN_FAILED, username="ed\x00itor", object_repr="a\x00b",
                        request=RequestFactory().post("/anmelden/"))
    entry.refresh_from_db()
    assert (entry.username, entry.object_repr) == ("editor", "ab")
