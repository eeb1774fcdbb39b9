"""PAdES signatures on the agreement PDF (issue 15): agreements/signing/ against a test PKI made at test time
(tests/pki.py). No database, no network: revocation data is handed to the validator in process, the TSA runs in
process (and once over HTTP on 127.0.0.1 for the production client)."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import pikepdf
import pytest
import weasyprint
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.timestamps import HTTPTimeStamper

from agreements.signing import KeyConfigError, SigningError, keys, pades, validation

from .pki import build_pki

ORDER = ["sig_kreis", "sig_land"]
KREIS, LAND = "Kreis Mettmann", "MAIS NRW"
PASSPHRASE = "Zi3l-Steuerung!"

AGREEMENT_HTML = """<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Zielvereinbarung 2026</title>
<style>body { font-family: sans-serif; }</style></head>
<body><h1>Zielvereinbarung 2026</h1><p>zwischen dem Kreis Mettmann und dem MAIS NRW.</p>
<p>Ziel 1: Verringerung der Hilfebedürftigkeit.</p></body></html>"""


@pytest.fixture(scope="module")
def pki():
    return build_pki()


@pytest.fixture(scope="module")
def pdfa() -> bytes:
    return weasyprint.HTML(string=AGREEMENT_HTML).write_pdf(pdf_variant="pdf/a-3b")


@pytest.fixture(scope="module")
def prepared(pdfa) -> bytes:
    return pades.prepare_fields(pdfa, ORDER)


@pytest.fixture(scope="module")
def key_configs(pki, tmp_path_factory):
    """One PKCS#12 file per party (and for the expired and the revoked signer), passphrase from the environment."""
    folder = tmp_path_factory.mktemp("keys")
    configs = {}
    for ident in (*pki.signers.values(), pki.expired, pki.revoked):
        path = folder / f"{ident.name.replace(' ', '_')}.p12"
        path.write_bytes(pki.pkcs12(ident, PASSPHRASE.encode()))
        configs[ident.name] = keys.KeyConfig.from_mapping(
            {"kind": "pkcs12", "party": ident.name, "pkcs12_path": str(path), "secret_env": "ZS_TEST_P12_PASS"}
        )
    return configs


ENV = {"ZS_TEST_P12_PASS": PASSPHRASE}


def sign_as(pdf, key_config, field_name, *, certify, pki, level="B-T", timestamper=None, vc=None, order=ORDER):
    with keys.open_signer(key_config, environ=ENV) as signer:
        return pades.sign(
            pdf,
            signer=signer,
            field_name=field_name,
            certify=certify,
            order=order,
            timestamper=timestamper or pki.timestamper(),
            level=level,
            validation_context=vc or pki.validation_context(),
            reason="Zielvereinbarung unterzeichnet",
            location="Düsseldorf",
        )


@pytest.fixture(scope="module")
def signed_bt(pki, prepared, key_configs):
    """Both parties at B-T; the first through the production HTTP client against the TSA on 127.0.0.1."""
    with pki.tsa_server() as (url, seen):
        first = sign_as(
            prepared, key_configs[KREIS], "sig_kreis", certify=True, pki=pki, timestamper=HTTPTimeStamper(url)
        )
        assert seen["requests"] >= 1  # pyHanko asks twice: once to size the signature container, once for real
    second = sign_as(first, key_configs[LAND], "sig_land", certify=False, pki=pki)
    return first, second


@pytest.fixture(scope="module")
def signed_lta(pki, prepared, key_configs):
    first = sign_as(prepared, key_configs[KREIS], "sig_kreis", certify=True, pki=pki, level="B-LTA")
    second = sign_as(first, key_configs[LAND], "sig_land", certify=False, pki=pki, level="B-LTA")
    return first, second


def signatures(reports):
    return [r for r in reports if r.kind == "signature"]


# -- two parties, in order ------------------------------------------------------------------------------------------


def test_two_parties_sign_in_order_and_both_validate(pki, signed_bt):
    _, both = signed_bt
    before = dt.datetime.now(dt.UTC)
    reports = validation.validate(both, validation_context=pki.validation_context)
    assert [(r.field_name, r.kind, r.signer) for r in reports] == [
        ("sig_kreis", "signature", KREIS),
        ("sig_land", "signature", LAND),
    ]
    for r in reports:
        assert (r.intact, r.valid, r.trusted, r.revoked) == (True, True, True, False), r.summary
        assert r.timestamped and r.timestamp_ok, r.summary
        assert pki.now - dt.timedelta(minutes=1) <= r.signing_time <= before + dt.timedelta(minutes=1)
        assert r.bottom_line, r.summary
    first, second = reports
    assert first.certification == "FILL_FORMS" and second.certification is None
    # the first signature sees the second one added: form filling, allowed by its certification
    assert (first.coverage, first.modification_level, first.docmdp_ok) == ("ENTIRE_REVISION", "FORM_FILLING", True)
    assert (second.coverage, second.modification_level) == ("ENTIRE_FILE", "NONE")


def test_signing_and_validating_work_where_an_event_loop_runs(pki, prepared, key_configs):
    """pyHanko's synchronous calls use asyncio.run(); inside a running loop (an async caller, Playwright's sync API)
    they run in a thread of their own (signing/loop.py) instead of failing."""

    async def inside_a_loop():
        signed = sign_as(prepared, key_configs[KREIS], "sig_kreis", certify=True, pki=pki)
        return validation.validate(signed, validation_context=pki.validation_context)

    reports = asyncio.run(inside_a_loop())
    assert [(r.field_name, r.bottom_line) for r in reports] == [("sig_kreis", True)]


def test_each_signature_is_an_incremental_update(prepared, signed_bt):
    first, second = signed_bt
    assert first.startswith(prepared) and second.startswith(first)


def test_receipt_rows_hash_the_file_before_and_after_each_signature(prepared, signed_bt):
    first, second = signed_bt
    rows = validation.receipt_rows(second)
    sha = lambda b: hashlib.sha256(b).hexdigest()  # noqa: E731
    assert [(r.field_name, r.kind) for r in rows] == [("sig_kreis", "signature"), ("sig_land", "signature")]
    assert (rows[0].sha256_before, rows[0].bytes_before) == (sha(prepared), len(prepared))
    assert (rows[0].sha256_after, rows[0].bytes_after) == (sha(first), len(first))
    assert (rows[1].sha256_before, rows[1].sha256_after) == (sha(first), sha(second))


def test_untrusted_root_is_reported_not_trusted(pki, signed_bt):
    other = build_pki()  # another root: our signers do not chain to it
    reports = validation.validate(
        signed_bt[1], validation_context=lambda: pki.validation_context(trust_root=other.root.asn1_cert)
    )
    assert [(r.intact, r.valid, r.trusted, r.bottom_line) for r in reports] == [(True, True, False, False)] * 2


# -- tampering ------------------------------------------------------------------------------------------------------


def test_one_changed_byte_in_the_signed_range_breaks_both_signatures(pki, signed_bt):
    _, both = signed_bt
    offset = both.index(b"WeasyPrint")  # the Producer in the original revision, covered by both signatures
    tampered = both[:offset] + b"V" + both[offset + 1 :]
    assert len(tampered) == len(both) and tampered != both
    reports = validation.validate(tampered, validation_context=pki.validation_context)
    assert [(r.field_name, r.intact, r.bottom_line) for r in reports] == [
        ("sig_kreis", False, False),
        ("sig_land", False, False),
    ]


def _append_update(pdf: bytes, change) -> bytes:
    w = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    change(w)
    out = BytesIO()
    w.write(out)
    return out.getvalue()


def _add_content(w):
    stream = generic.StreamObject(stream_data=b"BT /F1 24 Tf 100 100 Td (Ziel 1 gestrichen) Tj ET")
    w.add_stream_to_page(0, w.add_object(stream))


def _add_annotation(w):
    page_ref, _ = w.find_page_for_modification(0)
    annot = generic.DictionaryObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/Annot"),
            generic.pdf_name("/Subtype"): generic.pdf_name("/Square"),
            generic.pdf_name("/Rect"): generic.ArrayObject([generic.NumberObject(v) for v in (50, 50, 200, 100)]),
            generic.pdf_name("/Contents"): generic.TextStringObject("nachträglich"),
            generic.pdf_name("/F"): generic.NumberObject(4),
        }
    )
    w.register_annotation(page_ref, w.add_object(annot))


@pytest.mark.parametrize(
    ("change", "level"),
    # pyHanko's difference analysis has no rule that explains a new markup annotation under P=2: OTHER as well
    [(_add_content, "OTHER"), (_add_annotation, "OTHER")],
    ids=["page-content", "annotation"],
)
def test_edit_after_signing_is_caught_by_the_difference_analysis(pki, signed_bt, change, level):
    _, both = signed_bt
    edited = _append_update(both, change)
    assert edited.startswith(both)
    reports = validation.validate(edited, validation_context=pki.validation_context)
    assert len(reports) == 2
    for r in reports:
        # the bytes each signature covers are untouched, but the change after them is not allowed (P=2)
        assert (r.intact, r.valid, r.trusted) == (True, True, True), r.summary
        assert r.coverage == "ENTIRE_REVISION"
        assert r.modification_level == level
        assert r.docmdp_ok is False and r.bottom_line is False, r.summary


# -- refusals -------------------------------------------------------------------------------------------------------


def test_signing_out_of_order_is_refused(pki, prepared, key_configs):
    with pytest.raises(SigningError, match="Falsche Reihenfolge: zuerst muss „sig_kreis“ unterschreiben"):
        sign_as(prepared, key_configs[LAND], "sig_land", certify=True, pki=pki)


def test_second_signature_for_a_signed_field_is_refused(pki, signed_bt, key_configs):
    first, _ = signed_bt
    with pytest.raises(SigningError, match="„sig_kreis“ ist bereits unterschrieben"):
        sign_as(first, key_configs[KREIS], "sig_kreis", certify=False, pki=pki)
    with pytest.raises(SigningError, match="„sig_kreis“ ist bereits unterschrieben"):
        sign_as(first, key_configs[KREIS], "sig_kreis", certify=False, pki=pki, order=None)


def test_only_the_first_signature_certifies(pki, signed_bt, key_configs):
    first, _ = signed_bt
    with pytest.raises(SigningError, match="Nur die erste Unterschrift kann das Dokument zertifizieren"):
        sign_as(first, key_configs[LAND], "sig_land", certify=True, pki=pki)


def test_no_new_field_after_the_first_signature(pki, signed_bt, key_configs):
    first, _ = signed_bt
    with pytest.raises(SigningError, match="Das Unterschriftsfeld „sig_extra“ fehlt"):
        sign_as(first, key_configs[LAND], "sig_extra", certify=False, pki=pki, order=None)
    with pytest.raises(SigningError, match="bereits unterschrieben; Unterschriftsfelder können nicht mehr"):
        pades.prepare_fields(first, ["sig_extra"])


def test_field_created_on_the_fly_for_an_unprepared_document(pki, pdfa, key_configs):
    signed = sign_as(pdfa, key_configs[KREIS], "sig_kreis", certify=True, pki=pki, order=None)
    assert pades.signature_fields(signed) == {"sig_kreis": True}
    (report,) = validation.validate(signed, validation_context=pki.validation_context)
    assert report.bottom_line and report.coverage == "ENTIRE_FILE", report.summary


@pytest.mark.parametrize(
    ("who", "vc_kwargs", "message"),
    [
        ("Kreis Abgelaufen", {}, r"Das Zertifikat von Kreis Abgelaufen ist abgelaufen \(gültig bis "),
        ("Kreis Gesperrt", {"ocsps": False}, r"Das Zertifikat von Kreis Gesperrt ist gesperrt \(widerrufen am "),
        ("Kreis Gesperrt", {"crls": "root"}, r"Das Zertifikat von Kreis Gesperrt ist gesperrt \(widerrufen am "),
    ],
    ids=["expired", "revoked-by-crl", "revoked-by-ocsp"],
)
def test_expired_or_revoked_certificate_is_refused_at_signing(pki, prepared, key_configs, who, vc_kwargs, message):
    with pytest.raises(SigningError, match=message) as caught:
        sign_as(prepared, key_configs[who], "sig_kreis", certify=True, pki=pki, vc=pki.validation_context(**vc_kwargs))
    assert "Die Unterschrift wurde nicht angebracht." in str(caught.value)
    if who == "Kreis Gesperrt":
        assert f"{pki.revoked_at:%d.%m.%Y %H:%M}" in str(caught.value)


@pytest.mark.parametrize("case, message", [
    ("untrusted", "führt zu keiner vertrauenswürdigen Stammzertifizierungsstelle"),
    ("no revocation data", r"Das Zertifikat von Kreis Mettmann lässt sich nicht auf Sperrung prüfen"),
])
def test_untrusted_signer_and_missing_revocation_data_are_refused(pki, prepared, key_configs, case, message):
    if case == "untrusted":
        vc = pki.validation_context(trust_root=build_pki().root.asn1_cert)
    else:
        vc = pki.validation_context(crls=False, ocsps=False)
    with pytest.raises(SigningError, match=message):
        sign_as(prepared, key_configs[KREIS], "sig_kreis", certify=True, pki=pki, vc=vc)


def test_timestamper_and_validation_context_are_required(pki, prepared, key_configs):
    with keys.open_signer(key_configs[KREIS], environ=ENV) as signer:
        with pytest.raises(SigningError, match="fehlt der Zeitstempeldienst"):
            pades.sign(
                prepared,
                signer=signer,
                field_name="sig_kreis",
                certify=True,
                validation_context=pki.validation_context(),
            )
        with pytest.raises(SigningError, match="Ohne Validierungskontext"):
            pades.sign(prepared, signer=signer, field_name="sig_kreis", certify=True, timestamper=pki.timestamper())
        with pytest.raises(SigningError, match="Unbekannte Signaturstufe 'B-B'"):
            pades.sign(
                prepared,
                signer=signer,
                field_name="sig_kreis",
                certify=True,
                level="B-B",
                timestamper=pki.timestamper(),
                validation_context=pki.validation_context(),
            )


# -- B-LTA ----------------------------------------------------------------------------------------------------------


def test_b_lta_has_dss_and_document_timestamps_and_validates_from_the_dss_alone(pki, signed_lta, signed_bt):
    _, both = signed_lta
    with pikepdf.open(BytesIO(both)) as pdf:
        dss = pdf.Root.DSS
        assert len(dss.Certs) >= 3  # signers, intermediate, root, TSA
        assert len(dss.CRLs) >= 2 or len(dss.get("/OCSPs", [])) >= 1
    reports = validation.validate(both, validation_context=pki.validation_context)
    kinds = [(r.kind, r.signer) for r in reports]
    assert kinds == [
        ("signature", KREIS),
        ("document timestamp", "Zielsteuerung Test TSA"),
        ("signature", LAND),
        ("document timestamp", "Zielsteuerung Test TSA"),
    ]
    assert all(r.intact and r.valid and r.trusted and r.bottom_line for r in reports), [r.summary for r in reports]
    # after the second signature only DSS updates and document timestamps follow; pyHanko adds the last
    # timestamp's own validation data in one more revision, so even the last timestamp covers a revision only
    assert [r.modification_level for r in reports[2:]] == ["LTA_UPDATES", "LTA_UPDATES"]
    assert [r.coverage for r in reports] == ["ENTIRE_REVISION"] * 4

    # Only trust anchors, no revocation data from outside: it must come from the DSS (hard-fail).
    def from_dss_only():
        return validation.validation_context_with_dss(
            both, trust_roots=[pki.root.asn1_cert], allow_fetching=False, revocation_mode="hard-fail"
        )

    assert all(r.trusted and r.bottom_line for r in validation.validate(both, validation_context=from_dss_only))

    # control: the B-T file has no DSS, so the same validation cannot establish trust
    def bt_from_dss_only():
        return validation.validation_context_with_dss(
            signed_bt[1], trust_roots=[pki.root.asn1_cert], allow_fetching=False, revocation_mode="hard-fail"
        )

    assert not any(r.trusted for r in validation.validate(signed_bt[1], validation_context=bt_from_dss_only))


def test_b_lta_receipt_rows_chain_up(signed_lta, prepared):
    first, both = signed_lta
    rows = validation.receipt_rows(both)
    assert [r.kind for r in rows] == ["signature", "document timestamp", "signature", "document timestamp"]
    assert rows[0].sha256_before == hashlib.sha256(prepared).hexdigest()
    assert rows[2].sha256_before == hashlib.sha256(first).hexdigest()
    for earlier, later in zip(rows, rows[1:], strict=False):
        assert earlier.bytes_after <= later.bytes_before
    assert rows[-1].bytes_after <= len(both)


# -- PDF/A ----------------------------------------------------------------------------------------------------------


def _fonts(pdf: pikepdf.Pdf) -> dict:
    found = {}
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == pikepdf.Name.Font:
            found[obj.objgen] = obj
    return found


def _embedded(font) -> bool:
    if font.get("/Subtype") == pikepdf.Name.Type0:
        return all(_embedded(d) for d in font.DescendantFonts)
    if font.get("/Subtype") == pikepdf.Name.Type3:
        return True
    descriptor = font.get("/FontDescriptor")
    return descriptor is not None and any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


@pytest.mark.parametrize("which", ["signed_bt", "signed_lta"])
def test_pdfa_survives_signing(request, pdfa, which):
    _, both = request.getfixturevalue(which)
    with pikepdf.open(BytesIO(pdfa)) as original, pikepdf.open(BytesIO(both)) as signed:
        meta = signed.open_metadata()
        assert (meta.get("pdfaid:part"), meta.get("pdfaid:conformance")) == ("3", "B")
        assert len(signed.Root.OutputIntents) == len(original.Root.OutputIntents) >= 1
        assert signed.Root.OutputIntents[0].S == pikepdf.Name.GTS_PDFA1
        # invisible: zero-size widget, Print flag set (PDF/A), not Hidden/NoView, no appearance stream
        fields = [f for f in signed.Root.AcroForm.Fields if f.get("/FT") == pikepdf.Name.Sig]
        assert {str(f.T) for f in fields} >= set(ORDER)
        for f in fields:
            # PAdES (not adbe.pkcs7.detached) for the parties, RFC 3161 for the document timestamps (B-LTA)
            expected = "/ETSI.CAdES.detached" if str(f.T) in ORDER else "/ETSI.RFC3161"
            assert str(f.V.SubFilter) == expected
            assert [float(v) for v in f.Rect] == [0, 0, 0, 0]
            flags = int(f.F)
            assert flags & 4 and not flags & (2 | 32), flags
        # no font added, and every font embedded
        assert len(_fonts(signed)) == len(_fonts(original))
        assert all(_embedded(font) for font in _fonts(signed).values())


# -- keys.py --------------------------------------------------------------------------------------------------------


def test_key_config_from_mapping_checks_its_entries(tmp_path):
    with pytest.raises(KeyConfigError, match="Unbekannte Einträge in der Schlüsselkonfiguration: passphrase"):
        keys.KeyConfig.from_mapping({"kind": "pkcs12", "pkcs12_path": "x.p12", "passphrase": "nie hier"})
    with pytest.raises(KeyConfigError, match="genau eine Quelle für das Geheimnis"):
        keys.KeyConfig.from_mapping({"kind": "pkcs12", "pkcs12_path": "x.p12"})
    with pytest.raises(KeyConfigError, match="fehlt module_path, token_label, key_label"):
        keys.KeyConfig.from_mapping({"kind": "pkcs11", "secret_env": "PIN"})
    with pytest.raises(KeyConfigError, match="Unbekannte Schlüsselart 'hsm'"):
        keys.KeyConfig.from_mapping({"kind": "hsm", "secret_env": "PIN"})
    config = keys.KeyConfig.from_mapping(
        {"kind": "pkcs12", "pkcs12_path": "x.p12", "secret_file": str(tmp_path / "p"), "chain_files": "ca.pem"}
    )
    assert config.chain_files == ("ca.pem",)
    with pytest.raises(AttributeError):  # frozen
        config.kind = "pkcs11"


def test_missing_or_wrong_secret_names_its_source(key_configs, tmp_path, monkeypatch):
    config = key_configs[KREIS]
    monkeypatch.delenv("ZS_TEST_P12_PASS", raising=False)
    with pytest.raises(
        KeyConfigError, match="Umgebungsvariable ZS_TEST_P12_PASS .* von Kreis Mettmann ist nicht gesetzt"
    ):
        with keys.open_signer(config):
            pass
    monkeypatch.setenv("ZS_TEST_P12_PASS", "falsch")
    with pytest.raises(
        KeyConfigError, match=r"mit dem Passwort aus der Umgebungsvariable ZS_TEST_P12_PASS nicht öffnen"
    ):
        with keys.open_signer(config):
            pass
    monkeypatch.setenv("ZS_TEST_P12_PASS", PASSPHRASE)
    with keys.open_signer(config) as signer:  # the real environment, not a mapping
        assert signer.signing_cert.subject.native["common_name"] == KREIS

    secret = tmp_path / "p12-pass"
    from_file = keys.KeyConfig(kind="pkcs12", party=KREIS, pkcs12_path=config.pkcs12_path, secret_file=str(secret))
    with pytest.raises(KeyConfigError, match=f"Die Datei {secret} mit das PKCS#12-Passwort von Kreis Mettmann fehlt"):
        with keys.open_signer(from_file):
            pass
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")  # as `echo` writes it
    with keys.open_signer(from_file) as signer:
        assert signer.signing_cert.subject.native["common_name"] == KREIS
    secret.write_text("falsch\n", encoding="utf-8")
    with pytest.raises(KeyConfigError, match=f"Passwort aus der Datei {secret} nicht öffnen"):
        with keys.open_signer(from_file):
            pass


# -- PKCS#11 (SoftHSM) ----------------------------------------------------------------------------------------------

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"


@pytest.fixture(scope="module")
def softhsm_token(pki, tmp_path_factory):
    """A SoftHSM token in a temporary SOFTHSM2_CONF with the first party's key and certificate on it."""
    if not (shutil.which("softhsm2-util") and Path(SOFTHSM_MODULE).exists()):
        missing = "SoftHSM (softhsm2-util and /usr/lib/softhsm/libsofthsm2.so) is not installed"
        # .ci/run installs it (apt-get install softhsm2) and sets REQUIRE_INSTALLED_TESTS: there it must run.
        if os.environ.get("REQUIRE_INSTALLED_TESTS", "").lower() in {"1", "true", "yes", "on"}:
            pytest.fail(missing)
        pytest.skip(missing)
    import pkcs11
    from cryptography.hazmat.primitives import serialization
    from pkcs11.util.rsa import decode_rsa_private_key
    from pkcs11.util.x509 import decode_x509_certificate

    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    old = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    try:
        subprocess.run(
            [
                "softhsm2-util",
                "--init-token",
                "--free",
                "--label",
                "zs-test",
                "--so-pin",
                "87654321",
                "--pin",
                "123456",
            ],
            check=True,
            capture_output=True,
        )
        ident = pki.signers[KREIS]
        lib = pkcs11.lib(SOFTHSM_MODULE)
        token = lib.get_token(token_label="zs-test")
        with token.open(rw=True, user_pin="123456") as session:
            key_der = ident.key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
            attrs = decode_rsa_private_key(key_der)
            attrs.update(
                {
                    pkcs11.Attribute.TOKEN: True,
                    pkcs11.Attribute.LABEL: "kreis",
                    pkcs11.Attribute.ID: b"\x01",
                    pkcs11.Attribute.SIGN: True,
                    pkcs11.Attribute.SENSITIVE: True,
                    pkcs11.Attribute.PRIVATE: True,
                }
            )
            session.create_object(attrs)
            cert_attrs = decode_x509_certificate(ident.cert.public_bytes(serialization.Encoding.DER))
            cert_attrs.update(
                {pkcs11.Attribute.TOKEN: True, pkcs11.Attribute.LABEL: "kreis", pkcs11.Attribute.ID: b"\x01"}
            )
            session.create_object(cert_attrs)
        chain = tmp_path_factory.mktemp("chain") / "chain.pem"
        chain.write_bytes(
            b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (pki.intermediate.cert, pki.root.cert))
        )
        yield {"module_path": SOFTHSM_MODULE, "token_label": "zs-test", "key_label": "kreis", "chain": str(chain)}
    finally:
        if old is None:
            os.environ.pop("SOFTHSM2_CONF", None)
        else:
            os.environ["SOFTHSM2_CONF"] = old


def test_pkcs11_token_signs_through_keys(pki, prepared, softhsm_token):
    config = keys.KeyConfig.from_mapping(
        {
            "kind": "pkcs11",
            "party": KREIS,
            "module_path": softhsm_token["module_path"],
            "token_label": softhsm_token["token_label"],
            "key_label": softhsm_token["key_label"],
            "secret_env": "ZS_TEST_PIN",
            "chain_files": [softhsm_token["chain"]],
        }
    )
    signed = None
    with keys.open_signer(config, environ={"ZS_TEST_PIN": "123456"}) as signer:
        signed = pades.sign(
            prepared,
            signer=signer,
            field_name="sig_kreis",
            certify=True,
            order=ORDER,
            timestamper=pki.timestamper(),
            validation_context=pki.validation_context(),
        )
    (kreis,) = validation.validate(signed, validation_context=pki.validation_context)
    assert (kreis.signer, kreis.intact, kreis.valid, kreis.trusted, kreis.bottom_line) == (
        KREIS,
        True,
        True,
        True,
        True,
    )

    with pytest.raises(
        KeyConfigError, match="Die PIN aus der Umgebungsvariable ZS_TEST_PIN passt nicht zum Token 'zs-test'"
    ):
        with keys.open_signer(config, environ={"ZS_TEST_PIN": "000000"}):
            pass
    missing_key = keys.KeyConfig(**{**config.__dict__, "key_label": "land", "cert_label": None})
    with pytest.raises(
        KeyConfigError,
        match="Auf dem Token 'zs-test' von Kreis Mettmann fehlt der Schlüssel oder das Zertifikat 'land'",
    ):
        with keys.open_signer(missing_key, environ={"ZS_TEST_PIN": "123456"}):
            pass
    no_token = keys.KeyConfig(**{**config.__dict__, "token_label": "gibt-es-nicht"})
    with pytest.raises(KeyConfigError, match="Das Token 'gibt-es-nicht' von Kreis Mettmann ist über"):
        with keys.open_signer(no_token, environ={"ZS_TEST_PIN": "123456"}):
            pass


def test_prepare_fields_refuses_duplicates_and_existing_names(prepared, pdfa):
    assert pades.signature_fields(prepared) == {"sig_kreis": False, "sig_land": False}
    assert pades.signature_fields(pdfa) == {}
    with pytest.raises(SigningError, match="müssen eindeutig sein"):
        pades.prepare_fields(pdfa, ["a", "a"])
    with pytest.raises(SigningError, match="Das Unterschriftsfeld „sig_land“ gibt es schon"):
        pades.prepare_fields(prepared, ["sig_land"])
