"""agreements/infra/files.py: every stored or cached file is checked against its checksum and served under one
header rule, on the web, through OParl and by export_vorlage alike."""

import hashlib
import io
from pathlib import Path
from urllib.parse import quote

import pikepdf
import pytest
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse

from agreements import models as m
from agreements.infra import files
from agreements.pdf.cache import cache_path
from agreements.pdf.vorlage import pdf_filename
from agreements.pdf.vorlage_bundle import bundle_filename

from .factories import DepartmentFactory, DocumentFactory, PersonFactory, VorlageFactory, aware

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
UMLAUT_NAME = "Übersicht der Kennzahlen – Süd.pdf"


def pdf_bytes(label, pages=1):
    pdf = pikepdf.new()
    for _page in range(pages):
        pdf.add_blank_page()
    pdf.docinfo["/Title"] = label
    buffer = io.BytesIO()
    pdf.save(buffer, static_id=True)
    return buffer.getvalue()


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def tamper(path):
    """Flip one bit in the middle: same size, still looks like a whole PDF."""
    data = bytearray(Path(path).read_bytes())
    data[len(data) // 2] ^= 0x01
    Path(path).write_bytes(bytes(data))


@pytest.fixture
def paper(world):
    """A released public Vorlage of the Kreis Mettmann with a stored main file and one Anlage."""
    department = DepartmentFactory(party=world.county, number="50")
    vorlage = VorlageFactory(department=department, running_number=15, author=PersonFactory(party=world.county),
                             public=True)
    anlage = DocumentFactory(title="Übersicht", content=pdf_bytes("Anlage"), original_filename=UMLAUT_NAME)
    m.VorlageAnlage.objects.create(vorlage=vorlage, order=1, title="Übersicht der Kennzahlen", document=anlage)
    main = DocumentFactory(title="Vorlage 50/015/2012", kind=m.Document.Kind.VORLAGE,
                           content=pdf_bytes("Vorlage", pages=2), original_filename="Vorlage-50-015-2012.pdf")
    m.Vorlage.objects.filter(pk=vorlage.pk).update(
        status=m.Vorlage.Status.RELEASED, released_at=aware(2012, 4, 20), main_file=main)
    vorlage.refresh_from_db()
    return vorlage


# --- Checksums: a changed file is refused with 409 wherever it would leave the server -------------------------

def test_it_refuses_a_changed_stored_document_with_409(world, login):
    document = DocumentFactory(agreement=world.agreement, content=pdf_bytes("Schreiben"), title="Schreiben")
    url = reverse("document_download", args=[document.pk])
    client = login(world.users.reader)
    assert body(client.get(url)) == document.file.open("rb").read()
    tamper(document.file.path)
    response = client.get(url)
    assert response.status_code == 409
    assert "Content-Disposition" not in response
    assert "Die gespeicherte Datei wurde verändert." in response.content.decode()


def test_it_refuses_a_changed_cached_pdf_with_409(world, login, monkeypatch):
    monkeypatch.setattr("agreements.pdf.vorlage.html_to_pdf", lambda html: pdf_bytes(html[-40:]))
    department = DepartmentFactory(party=world.county)
    draft = VorlageFactory(department=department, author=PersonFactory(party=world.county))
    url = reverse("vorlage_pdf", args=[draft.pk])
    client = login(world.users.editor)
    genuine = body(client.get(url))
    [entry] = m.CachedPdf.objects.all()
    assert entry.sha256 == hashlib.sha256(genuine).hexdigest()
    tamper(cache_path(entry.key, entry.sha256))
    response = client.get(url)
    assert response.status_code == 409
    assert "Content-Disposition" not in response
    assert "Die zwischengespeicherte Datei wurde verändert." in response.content.decode()
    assert not m.CachedPdf.objects.exists()  # dropped: the next request renders it anew
    again = client.get(url)
    assert again.status_code == 200 and body(again) == genuine


def test_it_refuses_a_changed_oparl_file_with_409(paper, client):
    url = f"/oparl/v1/file/{paper.main_file_id}/download/"
    assert body(client.get(url)) == paper.main_file.file.open("rb").read()
    tamper(paper.main_file.file.path)
    for method in (client.get, client.head):
        response = method(url)
        assert response.status_code == 409
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "Content-Disposition" not in response
    assert client.get(url).json()["error"]["message"] == "Die gespeicherte Datei wurde verändert."


def test_it_refuses_a_file_without_a_recorded_checksum_or_of_another_size(tmp_path):
    path = tmp_path / "a.pdf"
    path.write_bytes(b"%PDF-1.7\n%%EOF\n")
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    with files.open_checked(lambda: path.open("rb"), sha256) as handle:
        assert handle.read() == path.read_bytes()  # positioned at the start after the check
    for recorded, size in (("", None), (sha256, 3), ("0" * 64, None)):
        with pytest.raises(files.FileRefused) as refused:
            files.read_checked(lambda: path.open("rb"), recorded, size=size)
        assert refused.value.reason == files.CHANGED
    with pytest.raises(files.FileRefused) as refused:
        files.open_checked(lambda: (tmp_path / "gone.pdf").open("rb"), sha256)
    assert refused.value.reason == files.MISSING
    assert refused.value.message == "Die gespeicherte Datei fehlt."


def test_it_never_serves_a_type_the_upload_checks_refuse(world, login):
    html = DocumentFactory(agreement=world.agreement, content=b"<script>alert(1)</script>", content_type="text/html",
                           original_filename="harmlos.html")
    response = login(world.users.reader).get(reverse("document_download", args=[html.pk]))
    assert response.status_code == 409
    assert "Dateityp" in response.content.decode()


# --- One header rule ------------------------------------------------------------------------------------------

def test_it_writes_one_rfc_6266_content_disposition():
    assert files.content_disposition("Vorlage-50-015-2012.pdf") == 'attachment; filename="Vorlage-50-015-2012.pdf"'
    assert files.content_disposition("a.pdf", inline=True) == 'inline; filename="a.pdf"'
    assert files.content_disposition(UMLAUT_NAME) == (
        'attachment; filename="Ubersicht der Kennzahlen _ Sud.pdf"; '
        f"filename*=utf-8''{quote(UMLAUT_NAME, safe='')}"
    )


@pytest.mark.parametrize(("method", "content_type", "inline", "disposition"), [
    ("get", files.PDF, True, "inline;"),
    ("get", files.PDF, False, "attachment;"),
    ("get", DOCX, True, "attachment;"),  # only a PDF is ever shown in the browser
    ("head", files.PDF, True, "inline;"),
])
def test_it_answers_every_file_with_the_same_headers(method, content_type, inline, disposition):
    request = getattr(RequestFactory(), method)("/")
    response = files.file_response(request, b"%PDF-1.7\n%%EOF\n", filename=UMLAUT_NAME, content_type=content_type,
                                   inline=inline)
    assert response["Content-Disposition"].startswith(disposition)
    assert "filename*=utf-8''%C3%9Cbersicht" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-cache"
    assert response["Content-Type"] == content_type
    assert response["Content-Length"] == "15"
    assert body(response) == (b"" if method == "head" else b"%PDF-1.7\n%%EOF\n")


def test_it_serves_a_document_alike_on_the_web_and_through_oparl(paper, client):
    anlage = paper.anlagen.get()
    web = reverse("vorlage_anlage_download", args=[paper.pk, anlage.pk])
    oparl = f"/oparl/v1/file/{anlage.document_id}/"
    for web_params, oparl_url, disposition in (({}, f"{oparl}download/", "attachment;"),
                                               ({"inline": "1"}, f"{oparl}access/", "inline;")):
        responses = [client.get(web, web_params), client.get(oparl_url)]
        for response in responses:
            assert response.status_code == 200
            assert response["Content-Disposition"].startswith(disposition)
            assert response["X-Content-Type-Options"] == "nosniff"
            assert body(response) == anlage.document.file.open("rb").read()
        assert responses[0]["Content-Disposition"] == responses[1]["Content-Disposition"]
        assert responses[0]["Cache-Control"] == responses[1]["Cache-Control"]
    assert f"filename*=utf-8''{quote(UMLAUT_NAME, safe='')}" in responses[0]["Content-Disposition"]


def test_it_keeps_the_longest_cleaned_name_within_the_model_field():
    assert files.MAX_FILENAME == m.Document._meta.get_field("original_filename").max_length
    assert len(files.clean_filename("x" * 300 + ".pdf")) == files.MAX_FILENAME


# --- One name for a Vorlage's files ---------------------------------------------------------------------------

def test_it_names_a_vorlage_s_files_after_the_reference_keeping_umlauts():
    assert pdf_filename(m.Vorlage(reference="50/015/2012")) == "Vorlage-50-015-2012.pdf"
    assert bundle_filename(m.Vorlage(reference="50/015/2012")) == "Vorlage-50-015-2012-mit-Anlagen.pdf"
    # A Fachbereich "Ü 5" or a reference with a backslash never makes a directory; the umlaut stays.
    assert pdf_filename(m.Vorlage(reference="Ü 5/001/2013")) == "Vorlage-Ü-5-001-2013.pdf"
    assert bundle_filename(m.Vorlage(reference="5\\1/002/2013")) == "Vorlage-5-1-002-2013-mit-Anlagen.pdf"


def test_it_gives_the_bundle_the_same_name_and_bytes_on_the_web_and_from_export_vorlage(paper, client, tmp_path,
                                                                                         monkeypatch):
    response = client.get(reverse("vorlage_bundle", args=[paper.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="Vorlage-50-015-2012-mit-Anlagen.pdf"'
    out = tmp_path / "export"
    out.mkdir()
    monkeypatch.chdir(out)
    call_command("export_vorlage", paper.reference, "--bundle", stdout=io.StringIO())
    assert [path.name for path in out.iterdir()] == ["Vorlage-50-015-2012-mit-Anlagen.pdf"]
    assert (out / "Vorlage-50-015-2012-mit-Anlagen.pdf").read_bytes() == body(response)

    response = client.get(reverse("vorlage_pdf", args=[paper.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="Vorlage-50-015-2012.pdf"'
    call_command("export_vorlage", paper.reference, stdout=io.StringIO())
    assert (out / "Vorlage-50-015-2012.pdf").read_bytes() == body(response)
