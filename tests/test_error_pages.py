"""Error pages in the app's layout, the favicon, and uploads the server cannot parse (issue 10, D.12).

With DEBUG off (as in production, and as the suite runs), Django renders 400.html, 403.html, 404.html with the
request and 500.html with an empty context. Each page is in the user's language (German unless English was
chosen with the language switch) and offers a way back. The server log shows a 403 once, as a warning with its
reason and without a traceback.
"""

import io
import logging
from pathlib import Path

import pikepdf
import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.template.loader import render_to_string
from django.test import Client
from django.urls import include, path, reverse
from django.utils import translation

from agreements import models as m
from agreements.infra.logs import RefusalWithoutTraceback


def _broken(request):
    raise RuntimeError("kaputt")


def _forbidden(request):
    raise PermissionDenied


def _suspicious(request):
    raise SuspiciousOperation("seltsam")


# The app's URLs plus three views that fail, for the tests marked with urls(__name__).
urlpatterns = [
    path("test-fehler/500/", _broken),
    path("test-fehler/403/", _forbidden),
    path("test-fehler/400/", _suspicious),
    path("", include("zielsteuerung.urls")),
]

DASHBOARD_LINK = 'href="/"'


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def editor_client(world, language, **options):
    """A client (`Client(**options)`) logged in as the county's editor, who reads the app in `language`."""
    client = Client(**options)
    client.force_login(world.users.editor)
    return english(client) if language == "en" else client


def in_english(msgid):
    with translation.override("en"):
        return translation.gettext(msgid)


def assert_layout(content, lang):
    assert f'<html lang="{lang}">' in content
    assert "/static/css/app.css" in content and "/static/bootstrap/css/bootstrap.min.css" in content
    assert 'rel="icon"' in content
    assert DASHBOARD_LINK in content


def error_page(response, status, lang):
    """The page's HTML, once its status is `status` and it is in the app's layout in the language `lang`."""
    assert response.status_code == status
    content = response.content.decode()
    assert_layout(content, lang)
    return content


def test_it_runs_these_tests_with_debug_off():
    assert settings.DEBUG is False


# --- 404 ---------------------------------------------------------------------------------------------------------


def test_it_answers_an_unknown_address_with_the_404_page_in_german(world, login):
    response = login(world.users.editor).get("/gibt-es-nicht/")

    content = error_page(response, 404, "de")
    assert "<h1 class=\"h3 mb-3\">Seite nicht gefunden</h1>" in content and "Zur Übersicht" in content
    # The navigation of a logged-in user is there: the page is part of the application.
    assert f'href="{reverse("agreement_list")}"' in content


def test_it_answers_an_unknown_address_with_the_404_page_in_english(world, login):
    response = english(login(world.users.editor)).get("/gibt-es-nicht/")

    content = error_page(response, 404, "en")
    assert in_english("Seite nicht gefunden") in content and "To the dashboard" in content
    assert "Zur Übersicht" not in content


def test_it_shows_an_outsider_the_404_page_for_another_countys_agreement(world, login):
    response = login(world.users.outsider).get(reverse("agreement_detail", args=[world.agreement.pk]))

    content = error_page(response, 404, "de")
    assert "Seite nicht gefunden" in content
    assert world.agreement.title not in content


def test_it_offers_an_anonymous_visitor_the_login_on_the_404_page(db, client):
    content = client.get("/gibt-es-nicht/").content.decode()

    assert f'href="{reverse("login")}?next=/gibt-es-nicht/"' in content


# --- 403 ---------------------------------------------------------------------------------------------------------


def test_it_shows_a_reader_the_403_page_with_the_reason(world, login):
    response = login(world.users.reader).get(reverse("agreement_edit", args=[world.agreement.pk]))

    content = error_page(response, 403, "de")
    assert "Sie haben für diese Zielvereinbarung nur Leserechte." in content
    assert "Keine Berechtigung" in content


def test_it_shows_the_403_page_in_english(world, login):
    response = english(login(world.users.reader)).get(reverse("agreement_edit", args=[world.agreement.pk]))

    content = error_page(response, 403, "en")
    assert in_english("Sie haben für diese Zielvereinbarung nur Leserechte.") in content
    assert in_english("Keine Berechtigung") in content
    assert "To the dashboard" in content


@pytest.mark.urls(__name__)
def test_it_shows_the_403_page_without_a_reason(world, login):
    response = login(world.users.editor).get("/test-fehler/403/")

    content = error_page(response, 403, "de")
    assert 'role="alert"' not in content


@pytest.fixture
def server_log(monkeypatch):
    """What the server prints for a record of "django.request": every plain console handler the record reaches (the
    settings' and any Django keeps of its own) writes into this one buffer."""
    buffer = io.StringIO()
    logger = logging.getLogger("django.request")
    while logger is not None:
        for handler in logger.handlers:
            if type(handler) is logging.StreamHandler:
                monkeypatch.setattr(handler, "stream", buffer)
        logger = logger.parent if logger.propagate else None
    return buffer


@pytest.mark.parametrize("debug", [False, True], ids=["production", "make-run"])
def test_it_logs_a_refusal_once_as_a_warning_with_its_reason_and_no_traceback(
        world, login, settings, caplog, server_log, debug):
    settings.DEBUG = debug
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = login(world.users.reader).get(reverse("agreement_edit", args=[world.agreement.pk]))

    assert response.status_code == 403
    printed = server_log.getvalue()
    assert printed.count("Forbidden (Permission denied)") == 1, printed
    assert "Traceback" not in printed
    assert "Sie haben für diese Zielvereinbarung nur Leserechte." in printed
    [record] = [record for record in caplog.records if record.name == "django.request"]
    assert record.levelno == logging.WARNING and record.exc_info is None


@pytest.mark.urls(__name__)
def test_it_logs_a_refusal_without_a_reason_as_one_line(world, login, caplog, server_log):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        login(world.users.editor).get("/test-fehler/403/")

    assert server_log.getvalue() == "Forbidden (Permission denied): /test-fehler/403/\n"


def test_it_keeps_a_refusals_reason_on_its_line():
    refusal = PermissionDenied("Nein.\nINFO gefälscht")
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Forbidden (Permission denied): %s",
                               ("/x/",), (PermissionDenied, refusal, None))

    RefusalWithoutTraceback().filter(record)

    assert record.getMessage() == "Forbidden (Permission denied): /x/ (Nein.\\nINFO gefälscht)"


@pytest.mark.parametrize("language", ["de", "en"])
def test_it_explains_a_refused_form_token_in_the_layout(world, language):
    # A form left open past a new login, or a stale login page: Django's CSRF check refuses it with a 403.
    client = editor_client(world, language, enforce_csrf_checks=True)

    response = client.post(reverse("section_add", args=[world.agreement.pk]), {"heading": "§ 9", "text": "x"})

    content = error_page(response, 403, language)
    with translation.override(language):
        assert translation.gettext("Formular abgelaufen") in content
    assert "Zur Übersicht" in content if language == "de" else "To the dashboard" in content
    assert not world.agreement.sections.filter(heading="§ 9").exists()


def test_it_offers_the_login_again_after_a_stale_login_form(db):
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("login"), {"username": "editor", "password": "pw"})

    assert response.status_code == 403
    content = response.content.decode()
    assert "Formular abgelaufen" in content
    assert f'href="{reverse("login")}"' in content


# --- 400 and 500 -------------------------------------------------------------------------------------------------


@pytest.mark.urls(__name__)
def test_it_shows_the_400_page_in_the_layout(world, login):
    response = login(world.users.editor).get("/test-fehler/400/")

    content = error_page(response, 400, "de")
    assert "Ungültige Anfrage" in content


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("language", ["de", "en"])
def test_it_shows_the_500_page_in_the_layout_and_language(world, language):
    client = editor_client(world, language, raise_request_exception=False)

    response = client.get("/test-fehler/500/")

    content = error_page(response, 500, language)
    assert "Zur Übersicht" in content if language == "de" else "To the dashboard" in content
    with translation.override(language):
        assert translation.gettext("Interner Fehler") in content
    assert "kaputt" not in content and "Traceback" not in content


def test_it_renders_the_500_page_without_request_context_or_database():
    # No db fixture: any query while rendering would fail the test. Django renders 500.html exactly like this.
    content = render_to_string("500.html")

    assert_layout(content, "de")
    assert "Interner Fehler" in content


# --- Favicon -----------------------------------------------------------------------------------------------------


def test_it_links_the_favicon_from_every_page(world, login):
    content = login(world.users.editor).get(reverse("dashboard")).content.decode()

    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in content


def test_it_answers_favicon_ico_with_a_redirect_to_the_icon(db, settings):
    # WhiteNoise serves what collectstatic gathered; without collectstatic in tests it reads the finders.
    settings.WHITENOISE_USE_FINDERS = True
    client = Client()

    response = client.get("/favicon.ico", follow=True)

    assert response.redirect_chain == [("/static/favicon.svg", 302)]
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    body = b"".join(response.streaming_content)
    assert body == (Path(settings.BASE_DIR) / "static" / "favicon.svg").read_bytes()


# --- Uploads with a very long file name --------------------------------------------------------------------------

LONG_NAME = "Stellungnahme der Liga " + "x" * 1073 + ".pdf"  # 1100 characters
BOUNDARY = "----zsTestBoundary7MA4YWxk"
TOO_LONG = "Der Dateiname ist zu lang."


def pdf_bytes():
    buffer = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(buffer)
    return buffer.getvalue()


def multipart(fields, filename, content):
    """The body a browser sends: Django's test client would shorten the file name to 255 characters."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: application/pdf\r\n\r\n".encode() + content + b"\r\n"
    )
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={BOUNDARY}"


@pytest.fixture
def upload_forms(world):
    """Every form of the application with a file field: (name, user, URL, valid fields besides the file)."""
    department = m.Department.objects.create(party=world.county, number="50", name="Sozialamt")
    author = m.Person.objects.create(party=world.county, department=department, family_name="Gansauer")
    vorlage = m.Vorlage.objects.create(
        reference="50/001/2013", department=department, year=2013, running_number=1, author=author,
        date="2013-04-19", name="Zielsteuerung 2013", agreement=world.agreement,
    )
    editor, pk = world.users.editor, world.agreement.pk
    letter_fields = {"date": "2013-03-29", "direction": "eingang", "sender": world.ministry.pk,
                     "recipient": world.county.pk, "subject": "Übernahme der Vorschläge"}
    statement_fields = {"party": world.liga.pk, "date": "2013-01-23", "title": "Stellungnahme der Liga"}
    return [
        ("document_upload", editor, reverse("document_upload", args=[pk]), {"title": "Anlage", "kind": "anlage"}),
        ("letter_add", editor, reverse("letter_add", args=[pk]), letter_fields),
        ("letter_edit", editor, reverse("letter_edit", args=[pk, world.letter.pk]), letter_fields),
        ("statement_add", editor, reverse("statement_add", args=[pk]), statement_fields),
        ("statement_edit", editor, reverse("statement_edit", args=[pk, world.statement.pk]),
         {**statement_fields, "lock_version": world.statement.lock_version}),
        ("vorlage_anlage_add", editor, reverse("vorlage_anlage_add", args=[vorlage.pk]), {"title": "Anlage 1"}),
        ("admin document", world.users.admin, reverse("admin:agreements_document_add"),
         {"title": "Anlage", "kind": "anlage", "agreement": pk}),
    ]


def stored_files():
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_it_refuses_a_file_name_of_1100_characters_with_a_message_on_every_upload_form(world, upload_forms):
    content = pdf_bytes()
    for name, user, url, fields in upload_forms:
        # As a browser does: CSRF checked, the token in the body next to the file.
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        client.get(url)
        token = client.cookies[settings.CSRF_COOKIE_NAME].value
        documents, files = m.Document.objects.count(), stored_files()

        body, content_type = multipart({"csrfmiddlewaretoken": token, **fields}, LONG_NAME, content)
        response = client.post(url, body, content_type=content_type)

        assert response.status_code == 302, (name, response.status_code)
        assert response["Location"] == url, name
        page = client.get(url)
        assert page.status_code == 200, name
        assert TOO_LONG in page.content.decode(), name
        assert m.Document.objects.count() == documents, name
        assert stored_files() == files, name


def test_it_stores_the_same_upload_with_a_shorter_name(world, upload_forms):
    # The control: the fields above are valid, the file is accepted; only the name was in the way.
    content = pdf_bytes()
    for name, user, url, fields in upload_forms:
        client = Client()
        client.force_login(user)
        documents = m.Document.objects.count()

        body, content_type = multipart(fields, "Stellungnahme der Liga.pdf", content)
        response = client.post(url, body, content_type=content_type)

        assert response.status_code == 302, (name, response.status_code, response.content.decode()[-3000:])
        assert response["Location"] != url, name
        assert m.Document.objects.count() == documents + 1, name
        assert m.Document.objects.order_by("-pk").first().original_filename == "Stellungnahme der Liga.pdf", name


def test_it_shows_the_long_file_name_message_in_english(world, upload_forms):
    _name, user, url, fields = upload_forms[0]
    client = english(Client())
    client.force_login(user)
    body, content_type = multipart(fields, LONG_NAME, pdf_bytes())

    response = client.post(url, body, content_type=content_type, follow=True)

    assert response.status_code == 200
    assert in_english(
        "Der Dateiname ist zu lang. Bitte geben Sie der Datei einen kürzeren Namen und wählen Sie sie erneut aus. "
        "Es wurde nichts gespeichert."
    ) in response.content.decode()


def test_it_leaves_other_unreadable_form_data_to_the_400_page(world, login):
    client = login(world.users.editor)

    response = client.post(reverse("document_upload", args=[world.agreement.pk]), b"--nonsense",
                           content_type="multipart/form-data; boundary=")

    assert response.status_code == 400
    assert "Ungültige Anfrage" in response.content.decode()


def test_it_accepts_a_long_but_readable_file_name_and_keeps_255_characters(world, login):
    client = login(world.users.editor)
    fields = {"title": "Anlage", "kind": "anlage"}
    body, content_type = multipart(fields, "y" * 600 + ".pdf", pdf_bytes())

    response = client.post(reverse("document_upload", args=[world.agreement.pk]), body, content_type=content_type)

    assert response.status_code == 302
    assert m.Document.objects.get().original_filename == "y" * 251 + ".pdf"

