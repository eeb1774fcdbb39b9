"""PAdES signatures on the agreement PDF with pyHanko: one invisible signature field per party, signed in order.

The flow for an agreement between two parties:

    pdf = prepare_fields(pdf, ["sig_kreis", "sig_land"])          # unsigned revision with both empty fields
    pdf = sign(pdf, signer=..., field_name="sig_kreis", certify=True, order=[...], timestamper=..., ...)
    pdf = sign(pdf, signer=..., field_name="sig_land", certify=False, order=[...], timestamper=..., ...)

Every step is an incremental update (pyHanko's IncrementalPdfFileWriter): the bytes a signature covers are never
rewritten, so earlier signatures stay intact.

Why the fields are made up front: the first signature certifies the document with DocMDP permission level 2
("fill forms and sign"). If every field already exists in the certified revision, each later revision only
fills an existing field, which is exactly what P=2 permits in every validator. A field created after the
certification is a structural change that strict validators may count against the certification; pyHanko
accepts it, but we do not rely on that. So `sign` creates a missing field only while the document carries no
signature at all, and refuses otherwise.

Invisible fields keep PDF/A: pyHanko's default invisible widget has a zero-size /Rect, the Print flag (required
by PDF/A-2/3) and no appearance stream or font, so nothing non-embedded is added.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from io import BytesIO

from .errors import SigningError
from .loop import outside_event_loop

LEVELS = ("B-T", "B-LT", "B-LTA")


def _reader(pdf_bytes: bytes):
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        return PdfFileReader(BytesIO(pdf_bytes), strict=False)
    except Exception as exc:  # pyHanko raises several kinds for broken input
        raise SigningError(f"Die Datei ist kein lesbares PDF: {exc}") from None


def signature_fields(pdf_bytes: bytes) -> dict[str, bool]:
    """Name -> signed? for every signature field (document timestamp fields included), in document order."""
    from pyhanko.sign.fields import enumerate_sig_fields

    return {name: value is not None for name, value, _ref in enumerate_sig_fields(_reader(pdf_bytes))}


def _without_object_streams(pdf_bytes: bytes) -> bytes:
    """The same PDF with every object at top level. WeasyPrint packs objects into compressed object streams;
    pyHanko reads those in pure Python on every signing and every validation of every revision, which took
    0.8 s (B-T) to 1.5 s (B-LTA) per signature in `manage.py benchmark`. Written out once, before the first
    signature (the file is not signed yet, so nothing breaks), the file grows by about 75 KiB and signing and
    validating take about a third of that. The PDF/A metadata and the content are unchanged."""
    import pikepdf

    out = BytesIO()
    with pikepdf.open(BytesIO(pdf_bytes)) as pdf:
        pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.disable, compress_streams=True)
    return out.getvalue()


def prepare_fields(pdf_bytes: bytes, field_names: Sequence[str]) -> bytes:
    """Add empty invisible signature fields (one per party) as an incremental update of an unsigned PDF."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.fields import SigFieldSpec, append_signature_field

    if len(set(field_names)) != len(field_names) or not field_names:
        raise SigningError(
            "Die Namen der Unterschriftsfelder müssen eindeutig sein und es muss mindestens eines geben."
        )
    existing = signature_fields(pdf_bytes)
    if any(existing.values()):
        raise SigningError(
            "Das Dokument ist bereits unterschrieben; Unterschriftsfelder können nicht mehr angelegt werden."
        )
    clash = [n for n in field_names if n in existing]
    if clash:
        raise SigningError(f"Das Unterschriftsfeld „{clash[0]}“ gibt es schon.")
    writer = IncrementalPdfFileWriter(BytesIO(_without_object_streams(pdf_bytes)), strict=False)
    for name in field_names:
        append_signature_field(writer, SigFieldSpec(sig_field_name=name))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _subject_cn(cert) -> str:
    try:
        return cert.subject.native.get("common_name") or cert.subject.human_friendly
    except Exception:  # noqa: BLE001 - a name for a message only
        return "?"


def check_certificate(signer, validation_context, *, who: str | None = None) -> None:
    """Refuse a signer whose certificate is expired, not yet valid, revoked or not trusted *now*."""
    from pyhanko_certvalidator import CertificateValidator
    from pyhanko_certvalidator.errors import (
        ExpiredError,
        InsufficientRevinfoError,
        NotYetValidError,
        PathBuildingError,
        PathValidationError,
        RevokedError,
        ValidationError,
    )

    cert = signer.signing_cert
    who = who or _subject_cn(cert)
    validator = CertificateValidator(
        cert, intermediate_certs=list(signer.cert_registry), validation_context=validation_context
    )

    def whose(exc) -> str:
        state = getattr(exc, "proc_state", None)
        if state is None or state.is_ee_cert:
            return f"Das Zertifikat von {who}"
        return f"Ein Zertifikat in der Kette von {who} ({state.describe_cert()})"

    try:
        asyncio.run(validator.async_validate_usage({"non_repudiation"}))
    except ExpiredError as exc:
        raise SigningError(
            f"{whose(exc)} ist abgelaufen (gültig bis {exc.expired_dt:%d.%m.%Y %H:%M} UTC). "
            "Die Unterschrift wurde nicht angebracht."
        ) from None
    except NotYetValidError as exc:
        raise SigningError(f"{whose(exc)} ist noch nicht gültig. Die Unterschrift wurde nicht angebracht.") from None
    except RevokedError as exc:
        raise SigningError(
            f"{whose(exc)} ist gesperrt (widerrufen am {exc.revocation_dt:%d.%m.%Y %H:%M} UTC). "
            "Die Unterschrift wurde nicht angebracht."
        ) from None
    except InsufficientRevinfoError as exc:
        raise SigningError(
            f"{whose(exc)} lässt sich nicht auf Sperrung prüfen: keine aktuelle Sperrauskunft (OCSP/CRL). "
            "Die Unterschrift wurde nicht angebracht."
        ) from None
    except PathBuildingError:
        raise SigningError(
            f"Das Zertifikat von {who} führt zu keiner vertrauenswürdigen Stammzertifizierungsstelle. "
            "Die Unterschrift wurde nicht angebracht."
        ) from None
    except (PathValidationError, ValidationError) as exc:
        raise SigningError(f"Das Zertifikat von {who} ist nicht gültig: {exc}") from None


def _check_order(fields: dict[str, bool], field_name: str, order: Sequence[str] | None) -> None:
    if fields.get(field_name):
        raise SigningError(
            f"Das Feld „{field_name}“ ist bereits unterschrieben; eine zweite Unterschrift ist nicht möglich."
        )
    if order is None:
        return
    if field_name not in order:
        raise SigningError(f"Das Feld „{field_name}“ gehört nicht zur Reihenfolge {', '.join(order)}.")
    next_unsigned = next((name for name in order if not fields.get(name)), None)
    if next_unsigned != field_name:
        raise SigningError(f"Falsche Reihenfolge: zuerst muss „{next_unsigned}“ unterschreiben, nicht „{field_name}“.")


@outside_event_loop
def sign(
    pdf_bytes: bytes,
    *,
    signer,
    field_name: str,
    certify: bool,
    timestamper=None,
    level: str = "B-T",
    validation_context=None,
    reason: str | None = None,
    location: str | None = None,
    order: Sequence[str] | None = None,
    who: str | None = None,
) -> bytes:
    """Sign `field_name` of `pdf_bytes` as an incremental update and return the new file.

    signer: a pyHanko Signer (keys.open_signer). certify: True for the first signature only; it certifies the
    document with DocMDP P=2 (only filling in forms and signing the remaining fields is allowed afterwards).
    timestamper: a pyHanko TimeStamper (HTTPTimeStamper(url) in production); required, every level here has a
    signature timestamp. level: "B-T"; "B-LT" adds the validation data (certificates, CRLs/OCSP) to the DSS;
    "B-LTA" also adds a document timestamp over everything. validation_context: a pyhanko_certvalidator
    ValidationContext with the trust anchors and revocation sources; the signer's certificate is checked against
    it before anything is written (required). order: the field names in the order the parties sign; the field
    must be the first unsigned one. who: the party's name for messages (default: the certificate's CN).
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.fields import MDPPerm, SigFieldSpec, SigSeedSubFilter
    from pyhanko.sign.general import SigningError as PyHankoSigningError
    from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner
    from pyhanko.sign.validation import read_certification_data

    if level not in LEVELS:
        raise SigningError(f"Unbekannte Signaturstufe {level!r}: erlaubt sind {', '.join(LEVELS)}.")
    if timestamper is None:
        raise SigningError(f"Für die Stufe {level} fehlt der Zeitstempeldienst (TSA).")
    if validation_context is None:
        raise SigningError("Ohne Validierungskontext (Vertrauensanker, Sperrauskünfte) wird nicht unterschrieben.")

    reader = _reader(pdf_bytes)
    fields = signature_fields(pdf_bytes)
    _check_order(fields, field_name, order)
    already_signed = any(fields.values())
    if certify and already_signed:
        raise SigningError("Nur die erste Unterschrift kann das Dokument zertifizieren; es ist bereits unterschrieben.")
    certification = read_certification_data(reader)
    if certification is not None and certification.permission == MDPPerm.NO_CHANGES:
        raise SigningError("Das Dokument ist so zertifiziert, dass keine weitere Unterschrift erlaubt ist.")
    new_field = None
    if field_name not in fields:
        if already_signed:
            raise SigningError(
                f"Das Unterschriftsfeld „{field_name}“ fehlt. Felder müssen vor der ersten Unterschrift angelegt "
                "werden (prepare_fields), sonst gefährdet das Anlegen die Zertifizierung."
            )
        new_field = SigFieldSpec(sig_field_name=field_name)

    check_certificate(signer, validation_context, who=who)

    embed = level in ("B-LT", "B-LTA")
    meta = PdfSignatureMetadata(
        field_name=field_name,
        certify=certify,
        docmdp_permissions=MDPPerm.FILL_FORMS,
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location,
        embed_validation_info=embed,
        use_pades_lta=level == "B-LTA",
        validation_context=validation_context if embed else None,
    )
    pdf_signer = PdfSigner(meta, signer=signer, timestamper=timestamper, new_field_spec=new_field)
    writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes), strict=False)
    out = BytesIO()
    try:
        pdf_signer.sign_pdf(writer, output=out)
    except PyHankoSigningError as exc:
        raise SigningError(f"Die Unterschrift für „{field_name}“ ist fehlgeschlagen: {exc}") from exc
    return out.getvalue()
