"""The pages of electronic signing (issue 15): the agreement's page says how it is signed and who signs next, the
signing form asks no date, the validation page and the signature receipt (PDF/A) report what the stored file
proves now. Access per role is tests/test_permission_matrix.py's; the services are tests/test_signing_flow.py's."""

import hashlib
import io

import pikepdf
import pytest
from django.urls import reverse
from django.utils import timezone

from agreements import models as m
from agreements.data.demo import signing as demo_signing

from .builders_confirm import confirmed, is_confirmation
from .builders_files import pdf_text
from .builders_lifecycle import agree, electronic, sign_county, sign_ministry
from .builders_queries import count_queries
from .builders_writes import messages_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def esign(world, tmp_path):
    """The world agreed, with keys, TSA and trust anchor for electronic signing (builders_lifecycle.electronic)."""
    return electronic(world, tmp_path)


def page(client, name, world):
    return client.get(reverse(name, args=[world.agreement.pk]))


def text(response):
    return response.content.decode()



# --- The agreement's page and the signing form ---------------------------------------------------------------------

def test_the_page_names_what_is_missing_for_electronic_signing(world, login, tmp_path):
    demo_signing.install(tmp_path / "pki", [world.ministry])
    agree(world)
    html = text(page(login(world.users.editor), "agreement_detail", world))
    assert "(auf Papier)" in html
    assert "Kreis Mettmann hat keinen Signaturschlüssel." in html
    assert "Unterschrift erfassen</a>" in html and "Elektronisch unterzeichnen" not in html


def test_the_page_shows_the_order_and_offers_electronic_signing_to_the_next_party_only(esign, login):
    county = text(page(login(esign.users.editor), "agreement_detail", esign))
    assert "elektronisch mit PAdES-Signatur und Zeitstempel" in county
    assert "unterzeichnet als Nächstes" in county  # the ministry, first in the agreement's order
    assert reverse("agreement_sign", args=[esign.agreement.pk]) not in county  # not the county's turn
    ministry = text(page(login(esign.users.ministry), "agreement_detail", esign))
    assert "Elektronisch unterzeichnen</a>" in ministry
    # the county asking for the form anyway is sent back with the service's reason
    answer = page(login(esign.users.editor), "agreement_sign", esign)
    assert answer.status_code == 302
    assert any("als Nächstes unterzeichnet Ministerium" in msg for msg in messages_of(answer))


def test_the_electronic_form_asks_no_date_and_confirms_before_it_signs(esign, login):
    client = login(esign.users.ministry)
    url = reverse("agreement_sign", args=[esign.agreement.pk])
    form = client.get(url)
    assert form.status_code == 200
    assert 'name="date"' not in text(form) and "Datum und Uhrzeit sind die des Zeitstempels" in text(form)
    data = {"signatory_name": "Anna Land", "signatory_function": "Referatsleiterin", "place": "Düsseldorf"}
    asked = client.post(url, data)
    assert is_confirmation(asked) and "jetzt elektronisch in Düsseldorf" in text(asked)
    assert not esign.agreement.signatures.exists()
    done = client.post(url, confirmed(data))
    assert done.status_code == 302
    assert messages_of(done) == ["Die Zielvereinbarung wurde elektronisch unterzeichnet."]
    signature = esign.agreement.signatures.get()
    assert signature.method == m.Signature.Method.PADES and signature.document.is_signed
    assert signature.date == signature.signed_at.astimezone().date()


def test_bad_input_on_the_electronic_form_signs_nothing(esign, login):
    client = login(esign.users.ministry)
    answer = client.post(reverse("agreement_sign", args=[esign.agreement.pk]),
                         confirmed({"signatory_name": "", "signatory_function": "", "place": ""}))
    assert answer.status_code == 200 and answer.context["form"].errors
    assert "Bitte wählen Sie eine Person" in text(answer)
    assert not esign.agreement.signatures.exists()


def test_the_signed_page_links_the_check_and_the_receipt(esign, login):
    sign_ministry(esign)
    sign_county(esign)
    html = text(page(login(esign.users.editor), "agreement_detail", esign))
    assert "elektronisch unterzeichnet am" in html and "(DEMO-Siegel)" in html
    assert reverse("agreement_signature_check", args=[esign.agreement.pk]) in html
    assert reverse("agreement_signature_receipt", args=[esign.agreement.pk]) in html
    assert "Beim Herunterladen werden Prüfwert und Signaturen der gespeicherten Datei geprüft." in html
    assert "elektronisch signiert" in html


def test_a_paper_signature_says_so(world, login):
    agree(world)
    sign_ministry(world)
    html = text(page(login(world.users.editor), "agreement_detail", world))
    assert f"auf Papier unterzeichnet am {timezone.localdate():%d.%m.%Y}" in html
    assert reverse("agreement_signature_check", args=[world.agreement.pk]) not in html


# --- The validation page ---------------------------------------------------------------------------------------------

def test_the_check_reports_both_signatures_intact_and_trusted(esign, login):
    sign_ministry(esign)
    last = sign_county(esign)
    answer = page(login(esign.users.ministry), "agreement_signature_check", esign)
    assert answer.status_code == 200
    html = text(answer)
    assert "Alle Signaturen sind unversehrt" in html and "Alle Zertifikate führen zu einem eingerichteten" in html
    assert "Es haben noch nicht alle Parteien unterzeichnet." not in html
    assert "Unterschrift für Ministerium" in html and "Unterschrift für Kreis Mettmann" in html
    assert "Anna Land, Referatsleiterin" in html and "Thomas Hendele, Landrat" in html
    assert last.sha256_before in html and last.sha256_after in html and last.document.sha256 in html
    assert "DEMO-Wurzel-CA" in html
    assert html.count("zertifiziert: nur weitere Unterschriften erlaubt") == 1  # the first signature certifies


def test_the_check_after_the_first_signature_says_a_party_is_missing(esign, login):
    first = sign_ministry(esign)
    html = text(page(login(esign.users.editor), "agreement_signature_check", esign))
    assert "Es haben noch nicht alle Parteien unterzeichnet." in html
    assert first.document.sha256 in html and "Unterschrift für Kreis Mettmann" not in html


def test_without_the_trust_anchor_the_signatures_hold_but_are_not_trusted(esign, login):
    sign_ministry(esign)
    sign_county(esign)
    m.TrustAnchor.objects.update(is_active=False)
    html = text(page(login(esign.users.editor), "agreement_signature_check", esign))
    assert "Alle Signaturen sind unversehrt" in html
    assert "Nicht alle Zertifikate führen zu einem eingerichteten Vertrauensanker." in html
    assert "Es ist kein Vertrauensanker eingerichtet." in html


@pytest.mark.parametrize("body", ["kaputt", "bm90IGEgY2VydGlmaWNhdGU="], ids=["not base64", "not a certificate"])
def test_an_unreadable_trust_anchor_trusts_nothing_and_breaks_no_page(esign, login, caplog, body):
    """The admin refuses a PEM it cannot read; one changed in the database past it is left out (and logged)."""
    sign_ministry(esign)
    sign_county(esign)
    m.TrustAnchor.objects.update(certificate=f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----")
    response = page(login(esign.users.editor), "agreement_signature_check", esign)
    assert response.status_code == 200
    assert "Alle Signaturen sind unversehrt" in text(response)
    assert "Nicht alle Zertifikate führen zu einem eingerichteten Vertrauensanker." in text(response)
    assert "is not a readable PEM certificate" in caplog.text


def test_a_changed_file_is_reported_not_served(esign, login):
    sign_ministry(esign)
    last = sign_county(esign)
    path = last.document.file.path
    with open(path, "rb") as handle:
        content = bytearray(handle.read())
    content[content.index(b"Zielvereinbarung", 2000)] ^= 0x01
    with open(path, "wb") as handle:
        handle.write(content)
    client = login(esign.users.editor)
    html = text(page(client, "agreement_signature_check", esign))
    assert 'class="alert alert-danger"' in html and "Alle Signaturen sind unversehrt" not in html
    assert page(client, "agreement_signature_receipt", esign).status_code == 409


def test_an_agreement_signed_on_paper_has_no_check_and_no_receipt(world, login):
    agree(world)
    sign_ministry(world)
    world.agreement.refresh_from_db()
    client = login(world.users.editor)
    assert page(client, "agreement_signature_check", world).status_code == 404
    assert page(client, "agreement_signature_receipt", world).status_code == 404


def test_the_check_only_reads(esign, login):
    sign_ministry(esign)
    client = login(esign.users.editor)
    for name in ("agreement_signature_check", "agreement_signature_receipt"):
        assert client.post(reverse(name, args=[esign.agreement.pk])).status_code == 405


def test_the_check_issues_a_fixed_number_of_queries(esign, login):
    client = login(esign.users.editor)
    url = reverse("agreement_signature_check", args=[esign.agreement.pk])
    sign_ministry(esign)
    one = count_queries(client, url)
    sign_county(esign)
    assert count_queries(client, url) == one
    assert one <= 20, one


# --- The receipt ---------------------------------------------------------------------------------------------------

def test_the_receipt_is_a_german_pdfa_with_the_hashes(esign, login):
    first = sign_ministry(esign)
    last = sign_county(esign)
    answer = login(esign.users.ministry).get(reverse("agreement_signature_receipt", args=[esign.agreement.pk]),
                                             HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert "attachment" in answer["Content-Disposition"] and "Signaturprotokoll-" in answer["Content-Disposition"]
    content = b"".join(answer.streaming_content) if answer.streaming else answer.content
    with pikepdf.open(io.BytesIO(content)) as pdf:
        assert pdf.open_metadata().get("pdfaid:part") == "3"
    words = "".join(pdf_text(content).split())  # hashes may wrap
    assert "Signaturprotokoll" in words and "Unversehrtundgültig" in words  # German, whatever the reader's language
    for digest in (first.sha256_before, first.sha256_after, last.sha256_after, last.document.sha256):
        assert digest in words
    assert hashlib.sha256(content).hexdigest() != last.document.sha256
