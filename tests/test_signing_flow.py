"""Electronic signing of an agreement through the app (issue 15): keys, TSA and trust anchor as an admin configures
them (here: the demo's, made at test time), the parties sign in the agreement's order through
services.lifecycle.sign, every signature validates, and a download refuses a file whose signatures no longer hold.
The PAdES mechanics themselves are tests/test_pades.py's."""

import hashlib
import io

import pikepdf
import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from agreements import models as m
from agreements.data.demo import signing as demo_signing
from agreements.infra.errors import DomainError
from agreements.services import lifecycle, signing
from agreements.signing import pades, validation

from .builders_lifecycle import agree, electronic, sign_both, sign_data, sign_data_of_land
from .pki import build_pki

pytestmark = pytest.mark.django_db


@pytest.fixture
def esign(world, tmp_path):
    """The world agreed, with keys, TSA and trust anchor for electronic signing (builders_lifecycle.electronic)."""
    return electronic(world, tmp_path)


def stored_bytes(document):
    with document.file.open("rb") as handle:
        return handle.read()


def test_without_keys_the_agreement_is_signed_on_paper(world):
    agree(world)
    assert signing.method_for(world.agreement) == signing.PAPER
    assert "Es ist kein Zeitstempeldienst eingerichtet." in signing.missing_setup(world.agreement)


def test_one_party_without_a_key_keeps_paper(world, tmp_path):
    demo_signing.install(tmp_path / "pki", [world.ministry])
    agree(world)
    assert signing.missing_setup(world.agreement) == ["Kreis Mettmann hat keinen Signaturschlüssel."]
    assert signing.method_for(world.agreement) == signing.PAPER


def test_two_parties_sign_in_order_and_both_signatures_validate(esign):
    world = esign
    assert signing.method_for(world.agreement) == signing.PADES
    first, second = sign_both(world)
    assert world.agreement.status == m.Agreement.Status.SIGNED
    assert (first.method, second.method) == (signing.PADES, signing.PADES)
    # each signature's file is the input of the next one; the last one is the signed agreement
    assert second.sha256_before == first.sha256_after == first.document.sha256
    assert world.agreement.signed_file == second.document and second.document.is_signed
    content = stored_bytes(second.document)
    assert hashlib.sha256(content).hexdigest() == second.sha256_after
    verdict = signing.check(content, expected=2)
    assert verdict.intact and verdict.trusted, [r.summary for r in verdict.reports]
    assert [r.field_name for r in verdict.reports] == [signing.field_name(world.ministry),
                                                        signing.field_name(world.county)]
    assert verdict.reports[0].certification == "FILL_FORMS"  # the first signature certifies
    assert all(r.timestamped and r.timestamp_ok for r in verdict.reports)
    assert first.signed_at is not None and "(DEMO-Siegel)" in first.certificate_subject
    # the timeline names both signatures; the file's rows before/after match the records
    rows = validation.receipt_rows(content)
    assert [(r.sha256_before, r.sha256_after) for r in rows][1] == (second.sha256_before, second.sha256_after)
    assert world.agreement.steps.filter(action="signature.made").count() == 2


def test_the_frozen_file_names_the_parties_and_is_pdfa(esign):
    first, _second = sign_both(esign)
    content = stored_bytes(first.document)
    with pikepdf.open(io.BytesIO(content)) as pdf:
        meta = pdf.open_metadata()
        assert meta.get("pdfaid:part") == "3"
    assert set(pades.signature_fields(content)) == {signing.field_name(esign.ministry),
                                                     signing.field_name(esign.county)}


@pytest.mark.parametrize("method", ["electronic", "paper"])
def test_the_stored_files_of_the_longest_title_fit_their_field(world, tmp_path, method):
    """A stored file's title names the agreement's: with the longest title the field allows, it is shortened to
    the Document's field (PostgreSQL refuses a longer value; SQLite would keep it)."""
    longest = m.Agreement._meta.get_field("title").max_length
    if method == "electronic":
        electronic(world, tmp_path)
    else:
        agree(world)
    m.Agreement.objects.filter(pk=world.agreement.pk).update(title="Zielvereinbarung " + "x" * (longest - 17))
    world.agreement.refresh_from_db()
    sign_both(world)
    limit = m.Document._meta.get_field("title").max_length
    titles = list(m.Document.objects.filter(agreement=world.agreement).values_list("title", flat=True))
    assert titles and all(len(title) <= limit and title.endswith("…") for title in titles), titles
    assert world.agreement.status == m.Agreement.Status.SIGNED


def test_the_wrong_order_is_refused(esign):
    with pytest.raises(DomainError, match="als Nächstes unterzeichnet Ministerium"):
        lifecycle.sign(user=esign.users.editor, agreement=esign.agreement, data=sign_data())
    assert not esign.agreement.signatures.exists()


def test_a_second_signature_by_the_same_party_is_refused(esign):
    lifecycle.sign(user=esign.users.ministry, agreement=esign.agreement, data=sign_data_of_land())
    with pytest.raises(DomainError):
        lifecycle.sign(user=esign.users.ministry, agreement=esign.agreement, data=sign_data_of_land())
    assert esign.agreement.signatures.count() == 1


def test_an_expired_certificate_is_refused_with_a_clear_message(esign, tmp_path):
    pki = build_pki()
    key = esign.ministry.signing_key
    (tmp_path / "expired.secret").write_text("geheim")
    key.pkcs12_file.save("expired.p12", ContentFile(pki.pkcs12(pki.expired, b"geheim")), save=False)
    key.secret_file = str(tmp_path / "expired.secret")
    key.save()
    m.TrustAnchor.objects.create(name="Test-Wurzel", certificate=pki.root.pem)
    with pytest.raises(DomainError, match="ist abgelaufen"):
        lifecycle.sign(user=esign.users.ministry, agreement=esign.agreement, data=sign_data())
    assert not esign.agreement.signatures.exists()
    assert not m.Document.objects.filter(is_signed=True).exists()


def test_a_missing_passphrase_file_is_named(esign, tmp_path):
    key = esign.ministry.signing_key
    key.secret_file = str(tmp_path / "fehlt.secret")
    key.save()
    with pytest.raises(DomainError, match="fehlt.secret"):
        lifecycle.sign(user=esign.users.ministry, agreement=esign.agreement, data=sign_data())


def test_download_checks_the_signatures(esign, login):
    _first, second = sign_both(esign)
    document = second.document
    url = reverse("document_download", args=[document.pk])
    answer = login(esign.users.editor).get(url)
    assert answer.status_code == 200 and b"".join(answer.streaming_content) == stored_bytes(document)

    # one changed byte: the stored checksum refuses it ...
    content = bytearray(stored_bytes(document))
    position = content.index(b"Zielvereinbarung", 2000)
    content[position] ^= 0x01
    with open(document.file.path, "wb") as handle:
        handle.write(content)
    assert login(esign.users.editor).get(url).status_code == 409
    # ... and so do the signatures, even when the checksum was changed with the file
    document.sha256 = hashlib.sha256(content).hexdigest()
    m.Document.objects.filter(pk=document.pk).update(sha256=document.sha256)
    answer = login(esign.users.editor).get(url)
    assert answer.status_code == 409
    assert "Eine elektronische Signatur der Datei ist nicht mehr gültig." in answer.content.decode()
    broken = validation.broken(bytes(content))
    assert {r.field_name for r in broken} == {signing.field_name(esign.ministry), signing.field_name(esign.county)}


def test_the_paper_path_is_unchanged(world):
    agree(world)
    lifecycle.sign(user=world.users.ministry, agreement=world.agreement, data=sign_data_of_land())
    lifecycle.sign(user=world.users.editor, agreement=world.agreement, data=sign_data())
    world.agreement.refresh_from_db()
    assert world.agreement.status == m.Agreement.Status.SIGNED
    assert set(world.agreement.signatures.values_list("method", flat=True)) == {signing.PAPER}
    assert not world.agreement.signed_file.is_signed
    assert world.agreement.signatures.first().date == timezone.localdate()
