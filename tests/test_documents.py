import datetime
import hashlib
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements import models as m
from agreements.infra.files import content_disposition, download_name

from .builders_files import REFUSED_UPLOADS, docx_bytes, media_files, odt_bytes, pdf_bytes, upload
from .factories import READ, READ_POST, ROLES, WRITE_GET, WRITE_POST, DocumentFactory

MAIS_NAME = "Schreiben des MAIS NRW vom 29.03.2012 – Übernahme.pdf"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def document(world):
    return DocumentFactory(agreement=world.agreement, content=pdf_bytes(), title="Schreiben vom 29.03.2012",
                           kind=m.Document.Kind.LETTER, original_filename=MAIS_NAME,
                           uploaded_by=world.users.editor)


def download(client, document, **params):
    """GET a download and read it to the end, so the file handle is closed as a server would close it.

    Reading to the end is enough: the test client's wrapper closes the response then. A second close() would
    send request_finished again, and on PostgreSQL that closes the test's database connection.
    """
    response = client.get(reverse("document_download", args=[document.pk]), params)
    if response.streaming:
        response.body = b"".join(response.streaming_content)
    return response


def upload_data(name="Anlage.pdf", content=None, **changes):
    data = {"title": "Anlage 1: Stellungnahme", "kind": "anlage",
            "file": upload(name, pdf_bytes() if content is None else content)}
    data.update(changes)
    return data


# Permissions ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_it_shows_the_documents_tab_by_role(world, login, role, document):
    client = login(getattr(world.users, role))
    url = reverse("agreement_documents", args=[world.agreement.pk])
    assert client.get(url).status_code == READ[role]
    assert client.post(url).status_code == READ_POST[role]


@pytest.mark.parametrize("role", ROLES)
def test_it_lets_only_editors_upload(world, login, role, settings):
    client = login(getattr(world.users, role))
    url = reverse("document_upload", args=[world.agreement.pk])
    assert client.get(url).status_code == WRITE_GET[role]
    assert client.post(url, upload_data()).status_code == WRITE_POST[role]
    allowed = role in ("editor", "ministry")
    assert m.Document.objects.count() == (1 if allowed else 0)
    assert len(media_files(settings)) == (1 if allowed else 0)


@pytest.mark.parametrize("role", ROLES)
def test_it_serves_downloads_by_role(world, login, role, document):
    client = login(getattr(world.users, role))
    response = download(client, document)
    assert response.status_code == READ[role]
    if response.status_code == 200:
        with document.file.open("rb") as fh:
            assert response.body == fh.read()
    assert client.post(reverse("document_download", args=[document.pk])).status_code == READ_POST[role]


def test_it_serves_a_letter_file_through_the_letter_agreement(world, login):
    document = DocumentFactory(content=pdf_bytes(), title="ohne Vereinbarung")  # no agreement of its own
    world.letter.document = document
    world.letter.save()
    assert download(login(world.users.reader), document).status_code == 200
    assert download(login(world.users.outsider), document).status_code == 404


def test_it_hides_an_unattached_document(world, login):
    document = DocumentFactory(content=pdf_bytes())
    assert login(world.users.editor).get(reverse("document_download", args=[document.pk])).status_code == 404
    assert login(world.users.editor).get(reverse("document_download", args=[999999])).status_code == 404


# Download headers and integrity -----------------------------------------------------------------------------------


def test_it_sends_an_rfc5987_filename_nosniff_and_the_stored_type(world, login, document):
    response = download(login(world.users.reader), document)
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote(MAIS_NAME, safe='')}" in disposition
    assert "filename*=utf-8''Schreiben%20des%20MAIS%20NRW%20vom%2029.03.2012%20%E2%80%93%20%C3%9Cbernahme.pdf" \
        in disposition
    assert 'filename="Schreiben des MAIS NRW vom 29.03.2012 _ Ubernahme.pdf"' in disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert int(response["Content-Length"]) == document.size
    assert "private" in response["Cache-Control"]


def test_it_opens_pdfs_inline_on_request(world, login, document):
    response = download(login(world.users.reader), document, inline="1")
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_it_never_serves_other_types_inline(world, login):
    document = DocumentFactory(agreement=world.agreement, content=docx_bytes(), title="Entwurf",
                               content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    response = download(login(world.users.reader), document, inline="1")
    assert response["Content-Disposition"] == 'attachment; filename="Entwurf.docx"'
    assert response["Content-Type"] == document.content_type


def test_it_derives_a_download_name_with_the_right_extension():
    assert download_name(m.Document(title="Zielvereinbarung 2013/2014", content_type="application/pdf")) \
        == "Zielvereinbarung 2013-2014.pdf"
    assert download_name(m.Document(title="x", original_filename="scan", content_type="application/pdf")) \
        == "scan.pdf"
    assert download_name(m.Document(title="x", original_filename="Vertrag.PDF", content_type="application/pdf")) \
        == "Vertrag.PDF"
    assert download_name(m.Document(title="x", original_filename="a\r\nb.odt",
                                    content_type="application/vnd.oasis.opendocument.text")) == "ab.odt"
    assert content_disposition('a"b.pdf') == "attachment; filename=\"a_b.pdf\"; filename*=utf-8''a%22b.pdf"


def test_it_refuses_to_serve_a_tampered_file(world, login, document):
    with open(document.file.path, "ab") as fh:
        fh.write(b"% nachtraeglich veraendert\n")
    response = download(login(world.users.reader), document)
    assert response.status_code == 409
    assert "Content-Disposition" not in response
    body = response.content.decode()
    assert "Die gespeicherte Datei wurde verändert" in body
    assert document.sha256 in body


def test_it_refuses_a_missing_file_with_a_clear_page(world, login, document):
    document.file.storage.delete(document.file.name)
    response = download(login(world.users.reader), document)
    assert response.status_code == 409
    assert "Die gespeicherte Datei fehlt" in response.content.decode()


# Upload through the page ------------------------------------------------------------------------------------------


def test_it_uploads_a_pdf_and_lists_it(world, login, settings):
    client = login(world.users.editor)
    data = pdf_bytes(pdfa=True)
    response = client.post(reverse("document_upload", args=[world.agreement.pk]),
                           upload_data(name=MAIS_NAME, content=data))
    assert response.status_code == 302
    document = m.Document.objects.get()
    assert "MAIS" not in document.file.name
    assert document.original_filename == MAIS_NAME
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    body = client.get(reverse("agreement_documents", args=[world.agreement.pk])).content.decode()
    assert "Anlage 1: Stellungnahme" in body
    assert "Anlage" in body
    assert document.sha256 in body and document.sha256[:12] + "…" in body
    assert "<details>" in body
    assert "PDF/A" in body
    assert "Editor" in body
    assert reverse("document_download", args=[document.pk]) + "?inline=1" in body


@pytest.mark.parametrize(("case", "name", "build", "reason"), REFUSED_UPLOADS, ids=[r[0] for r in REFUSED_UPLOADS])
def test_it_shows_why_an_upload_was_refused_and_stores_nothing(world, login, settings, case, name, build, reason):
    response = login(world.users.editor).post(reverse("document_upload", args=[world.agreement.pk]),
                                              upload_data(name=name, content=build()))
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert any(reason in e for e in errors), errors
    assert not m.Document.objects.exists()
    assert media_files(settings) == []


def test_it_refuses_an_oversize_upload_in_the_form(world, login, settings):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    response = login(world.users.editor).post(reverse("document_upload", args=[world.agreement.pk]),
                                              upload_data(content=b"%PDF-1.7\n" + bytes(1024 * 1024)))
    assert "höchstens 1 MB" in response.content.decode()
    assert not m.Document.objects.exists()
    assert media_files(settings) == []


@pytest.mark.parametrize(("changes", "field"), [
    ({"title": ""}, "title"), ({"title": "x" * 301}, "title"), ({"kind": "gesamtdokument"}, "kind"),
    ({"kind": "quatsch"}, "kind"), ({"file": ""}, "file"),
])
def test_it_refuses_bad_upload_input(world, login, settings, changes, field):
    response = login(world.users.editor).post(reverse("document_upload", args=[world.agreement.pk]),
                                              upload_data(**changes))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert media_files(settings) == []


def test_it_labels_the_upload_form(world, login):
    body = login(world.users.editor).get(reverse("document_upload", args=[world.agreement.pk])).content.decode()
    assert 'for="id_title"' in body and 'for="id_kind"' in body and 'for="id_file"' in body
    assert 'enctype="multipart/form-data"' in body
    assert body.count("<h1") == 1


# Documents tab ----------------------------------------------------------------------------------------------------


def test_it_lists_direct_letter_and_statement_files_but_not_other_agreements(world, login):
    direct = DocumentFactory(agreement=world.agreement, content=pdf_bytes(), title="Direkt angehängt")
    letter_file = DocumentFactory(content=odt_bytes(), title="Datei des Schreibens",
                                  content_type="application/vnd.oasis.opendocument.text")
    world.letter.document = letter_file
    world.letter.save()
    statement_file = DocumentFactory(content=pdf_bytes(), title="Datei der Stellungnahme")
    world.statement.document = statement_file
    world.statement.save()
    foreign = DocumentFactory(agreement=world.other_agreement, content=pdf_bytes(), title="Fremdes Dokument")
    body = login(world.users.ministry).get(reverse("agreement_documents", args=[world.agreement.pk])).content.decode()
    for doc in (direct, letter_file, statement_file):
        assert doc.title in body
        assert reverse("document_download", args=[doc.pk]) in body
    assert foreign.title not in body
    assert "Schreiben vom 29.03.2013" in body
    assert "Stellungnahme: Stellungnahme der Liga" in body
    assert "ODT" in body
    assert "<caption>" in body and 'scope="row"' in body


def test_it_escapes_script_in_document_titles(world, login):
    DocumentFactory(agreement=world.agreement, content=pdf_bytes(), title="<script>alert(1)</script>",
                    original_filename="<img src=x onerror=alert(1)>.pdf")
    body = login(world.users.reader).get(reverse("agreement_documents", args=[world.agreement.pk])).content.decode()
    assert "<script>alert(1)" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


# Query counts -----------------------------------------------------------------------------------------------------


def make_documents(world, count, uploader):
    for i in range(count):
        document = DocumentFactory(agreement=world.agreement, content=pdf_bytes(), uploaded_by=uploader)
        if i % 3 == 1:
            m.Letter.objects.create(agreement=world.agreement, date=datetime.date(2013, 1, 1), direction="eingang",
                                    sender=world.ministry, recipient=world.county, subject=f"S{i}",
                                    document=document)
        elif i % 3 == 2:
            m.Statement.objects.create(agreement=world.agreement, party=world.liga, date=datetime.date(2013, 1, 1),
                                       title=f"St{i}", document=document)


def test_it_shows_the_documents_tab_with_a_fixed_number_of_queries(world, login):
    client = login(world.users.reader)
    url = reverse("agreement_documents", args=[world.agreement.pk])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    uploader = get_user_model().objects.create_user("erika", first_name="Erika", last_name="Muster")
    make_documents(world, 2, uploader)
    small = count()
    make_documents(world, 23, uploader)
    assert m.Document.objects.count() == 25
    large = count()
    assert small == large
    assert large <= 13  # 12, and the navigation's "Am Zug" count (services.deadlines.waiting_counts, issue 14)
