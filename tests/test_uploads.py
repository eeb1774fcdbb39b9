"""Upload checks by content (agreements.infra.uploads) and storing uploads (services.documents.store_upload).

The fixture files are built in code: no binaries in the repository, and each one shows what makes it special.
"""

import hashlib
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction

from agreements import models as m
from agreements.infra import uploads
from agreements.infra.uploads import UploadRejected, inspect_upload
from agreements.services import documents as svc

from .builders_files import REFUSED_UPLOADS, docx_bytes, media_files, odt_bytes, pdf_bytes, upload


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # `world` creates six users; the production hasher makes that take seconds per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# inspect_upload ---------------------------------------------------------------------------------------------------


def test_it_recognises_a_pdf_by_content_and_hashes_it():
    data = pdf_bytes()
    info = inspect_upload(upload("egal.bin", data, "application/octet-stream"))
    assert info.content_type == "application/pdf"
    assert info.extension == ".pdf"
    assert info.size == len(data)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.is_pdfa is False


def test_it_marks_a_pdf_with_a_pdfa_identification_as_pdfa():
    assert inspect_upload(upload("a.pdf", pdf_bytes(pdfa=True))).is_pdfa is True


def test_it_recognises_docx_and_odt():
    assert inspect_upload(upload("x.pdf", docx_bytes())).content_type == uploads.DOCX
    assert inspect_upload(upload("x.pdf", odt_bytes())).extension == ".odt"


def test_it_leaves_the_file_at_its_start():
    f = upload("a.pdf", pdf_bytes())
    inspect_upload(f)
    assert f.read(5) == b"%PDF-"




@pytest.mark.parametrize(("case", "name", "build", "reason"), REFUSED_UPLOADS, ids=[r[0] for r in REFUSED_UPLOADS])
def test_it_refuses_by_content_and_says_why(case, name, build, reason):
    with pytest.raises(UploadRejected) as exc:
        inspect_upload(upload(name, build()))
    assert reason in str(exc.value)


def test_it_refuses_an_oversize_file_naming_the_limit(settings):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    with pytest.raises(UploadRejected) as exc:
        inspect_upload(upload("gross.pdf", b"%PDF-1.7\n" + bytes(1024 * 1024)))
    assert "zu groß" in str(exc.value)
    assert "1 MB" in str(exc.value)


def test_it_reads_no_more_than_the_limit_plus_one_byte(settings):
    settings.UPLOAD_MAX_BYTES = 1000

    class CountingFile(io.BytesIO):
        total = 0

        def read(self, size=-1):
            chunk = super().read(size)
            CountingFile.total += len(chunk)
            return chunk

    with pytest.raises(UploadRejected):
        inspect_upload(CountingFile(bytes(10_000_000)))
    assert CountingFile.total == 1001


def test_it_refuses_a_zip_that_would_unpack_beyond_the_limit(monkeypatch):
    monkeypatch.setattr(uploads, "ZIP_MAX_UNCOMPRESSED", 10_000)
    data = docx_bytes({"word/media/blob.bin": bytes(50_000)})
    assert len(data) < 10_000  # small on the wire, big when unpacked
    with pytest.raises(UploadRejected) as exc:
        inspect_upload(upload("bombe.docx", data))
    assert "entpackt" in str(exc.value)


# store_upload -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "name", "build", "reason"), REFUSED_UPLOADS, ids=[r[0] for r in REFUSED_UPLOADS])
def test_it_stores_nothing_for_a_refused_upload(world, settings, case, name, build, reason):
    with pytest.raises(UploadRejected) as exc:
        svc.store_upload(user=world.users.editor, agreement=world.agreement, uploaded_file=upload(name, build()),
                         title="Anlage", kind=m.Document.Kind.ANNEX)
    assert reason in str(exc.value)
    assert not m.Document.objects.exists()
    assert media_files(settings) == []


def test_it_stores_nothing_for_an_oversize_upload(world, settings):
    settings.UPLOAD_MAX_BYTES = 2048
    with pytest.raises(UploadRejected) as exc:
        svc.store_upload(user=world.users.editor, agreement=world.agreement,
                         uploaded_file=upload("gross.pdf", pdf_bytes(pages=30)), title="Anlage", kind="anlage")
    assert "höchstens 0,0020 MB" in str(exc.value)
    assert not m.Document.objects.exists()
    assert media_files(settings) == []


@pytest.mark.parametrize(
    ("name", "build", "content_type"),
    [
        ("Zielvereinbarung 2013 – unterschrieben.pdf", pdf_bytes, "application/pdf"),
        ("Stellungnahme Liga.docx", docx_bytes, uploads.DOCX),
        ("Protokoll Gespräch.odt", odt_bytes, uploads.ODT),
    ],
)
def test_it_stores_an_accepted_file_under_a_generated_name(world, settings, name, build, content_type):
    data = build()
    document = svc.store_upload(user=world.users.editor, agreement=world.agreement,
                                uploaded_file=upload(name, data, "application/x-whatever"),
                                title="Anlage 1", kind=m.Document.Kind.ANNEX)
    document.refresh_from_db()
    stem = name.rsplit(".", 1)[0]
    assert stem not in document.file.name and "Zielvereinbarung" not in document.file.name
    assert document.file.name.startswith("documents/")
    assert document.original_filename == name
    assert document.content_type == content_type
    assert document.size == len(data)
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert document.uploaded_by == world.users.editor
    assert document.agreement == world.agreement
    with document.file.open("rb") as fh:
        assert fh.read() == data
    assert len(media_files(settings)) == 1


def test_it_keeps_only_a_harmless_original_name(world):
    document = svc.store_upload(user=world.users.editor, agreement=world.agreement,
                                uploaded_file=upload("x.pdf", pdf_bytes()), title="A", kind="anlage")
    for raw, cleaned in [
        ("C:\\Users\\erika\\Desktop\\Vertrag.pdf", "Vertrag.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("Rech\u202enung\r\nSet-Cookie.pdf", "RechnungSet-Cookie.pdf"),
        ("a" * 300 + ".pdf", "a" * 251 + ".pdf"),
    ]:
        assert svc.clean_filename(raw) == cleaned
    assert document.original_filename == "x.pdf"


def test_it_marks_pdfa_on_the_stored_document(world):
    document = svc.store_upload(user=world.users.editor, agreement=world.agreement,
                                uploaded_file=upload("a.pdf", pdf_bytes(pdfa=True)), title="A", kind="anlage")
    assert document.is_pdfa is True


@pytest.mark.parametrize("role", ["reader", "outsider", "admin", "committee"])
def test_it_lets_only_editors_of_the_parties_upload(world, settings, role):
    with pytest.raises(PermissionDenied):
        svc.store_upload(user=getattr(world.users, role), agreement=world.agreement,
                         uploaded_file=upload("a.pdf", pdf_bytes()), title="A", kind="anlage")
    assert not m.Document.objects.exists()
    assert media_files(settings) == []


def test_it_accepts_uploads_after_signing(world):
    world.agreement.status = m.Agreement.Status.SIGNED
    world.agreement.save(update_fields=["status"])
    document = svc.store_upload(user=world.users.ministry, agreement=world.agreement,
                                uploaded_file=upload("a.pdf", pdf_bytes()), title="A", kind="anlage")
    assert document.pk


def test_it_checks_letter_lengths_in_the_service_too(world):
    with pytest.raises(svc.DomainError) as exc:
        svc.register_letter(user=world.users.editor, agreement=world.agreement, data={
            "date": world.letter.date, "direction": "eingang", "sender": world.ministry,
            "recipient": world.county, "subject": "x" * 301,
        })
    assert "Betreff" in str(exc.value) and "300" in str(exc.value)


def test_it_refuses_a_missing_title_or_unknown_kind(world, settings):
    for title, kind in [("", "anlage"), ("  ", "anlage"), ("A", "quatsch"), ("x" * 301, "anlage")]:
        with pytest.raises(svc.DomainError):
            svc.store_upload(user=world.users.editor, agreement=world.agreement,
                             uploaded_file=upload("a.pdf", pdf_bytes()), title=title, kind=kind)
    assert media_files(settings) == []


def test_it_removes_the_written_file_when_the_transaction_fails(world, settings, monkeypatch):
    def broken_save(self, *args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(m.Document, "save", broken_save)
    with pytest.raises(RuntimeError):
        svc.store_upload(user=world.users.editor, agreement=world.agreement,
                         uploaded_file=upload("a.pdf", pdf_bytes()), title="A", kind="anlage")
    assert media_files(settings) == []


def test_it_removes_the_file_when_an_enclosing_write_fails(world, settings):
    with pytest.raises(svc.DomainError), svc.discard_files_on_failure(), transaction.atomic():
        svc.store_upload(user=world.users.editor, agreement=world.agreement,
                         uploaded_file=upload("a.pdf", pdf_bytes()), title="A", kind="anlage")
        assert len(media_files(settings)) == 1
        raise svc.DomainError("später abgelehnt")
    assert not m.Document.objects.exists()
    assert media_files(settings) == []
