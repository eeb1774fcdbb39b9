"""Validation of the signatures in a signed agreement PDF, and the rows of a signature receipt.

`validate` gives one SignatureReport per embedded signature and document timestamp, in file order (the order of
the revisions that carry them). `receipt_rows` gives, per signed revision, the SHA-256 of the file just before
and just after that signature was added, for a later PDF/A receipt.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from .errors import SigningError
from .loop import outside_event_loop


@dataclass(frozen=True)
class SignatureReport:
    field_name: str
    kind: str  # "signature" or "document timestamp"
    signer: str  # subject common name of the signing certificate (the TSA's for a document timestamp)
    revision: int  # the revision (0 = original file) that carries the signature
    signing_time: datetime | None  # from the signature timestamp token (the token itself for a document timestamp)
    timestamped: bool  # carries a signature timestamp token (always True for a document timestamp)
    timestamp_ok: bool | None  # that token is intact, valid and trusted (None without token)
    claimed_time: datetime | None  # the signer's own clock (/M or signingTime), not trustworthy by itself
    intact: bool  # the hash over the signed byte range matches
    valid: bool  # the signature over that hash is cryptographically valid
    trusted: bool  # the certificate chains to a configured trust anchor and is not revoked
    revoked: bool
    coverage: str  # SignatureCoverageLevel name: ENTIRE_FILE, ENTIRE_REVISION, ...
    modification_level: str | None  # ModificationLevel name of the changes after this signature (difference analysis)
    docmdp_ok: bool | None  # those changes are within what the certification allows
    certification: str | None  # DocMDP permission set by this signature (certifying signature only)
    bottom_line: bool  # pyHanko's overall judgement (all of the above)
    summary: str  # pyHanko's one-line summary, for logs


def _cn(cert) -> str:
    if cert is None:
        return ""
    return cert.subject.native.get("common_name") or cert.subject.human_friendly


def _reader(pdf_bytes: bytes):
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        return PdfFileReader(BytesIO(pdf_bytes), strict=False)
    except Exception as exc:  # several kinds for broken input
        raise SigningError(f"Die Datei ist kein lesbares PDF: {exc}") from None


def validation_context_with_dss(pdf_bytes: bytes, **context_kwargs):
    """A ValidationContext preloaded with the certificates, CRLs and OCSP responses of the file's DSS (B-LT/B-LTA),
    plus `context_kwargs` (trust_roots=..., allow_fetching=False, revocation_mode=..., ...)."""
    from pyhanko.sign.validation import DocumentSecurityStore
    from pyhanko.sign.validation.errors import NoDSSFoundError
    from pyhanko_certvalidator import ValidationContext

    context_kwargs = {"crls": [], "ocsps": [], **context_kwargs}
    try:
        dss = DocumentSecurityStore.read_dss(_reader(pdf_bytes))
    except NoDSSFoundError:  # B-T: only the caller's data
        return ValidationContext(**context_kwargs)
    return dss.as_validation_context(context_kwargs)


def _report(emb, st, **specific) -> SignatureReport:
    """The report of one embedded signature or document timestamp: what both kinds say, plus `specific`."""
    return SignatureReport(
        field_name=emb.field_name,
        signer=_cn(st.signing_cert),
        revision=emb.signed_revision,
        intact=st.intact,
        valid=st.valid,
        trusted=st.trusted,
        revoked=st.revoked,
        coverage=st.coverage.name if st.coverage is not None else "UNCLEAR",
        modification_level=st.modification_level.name if st.modification_level is not None else None,
        docmdp_ok=st.docmdp_ok,
        summary=st.summary(),
        **specific,
    )


@outside_event_loop
def validate(pdf_bytes: bytes, *, validation_context) -> list[SignatureReport]:
    """Validate every signature and document timestamp. `validation_context` is a pyhanko_certvalidator
    ValidationContext, or a callable returning a fresh one (used once per signature, since contexts cache
    revocation results)."""
    from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp

    context: Callable = validation_context if callable(validation_context) else (lambda: validation_context)
    reader = _reader(pdf_bytes)
    reports = []
    for emb in reader.embedded_signatures:
        vc = context()
        if emb.sig_object_type == "/DocTimeStamp":
            st = validate_pdf_timestamp(emb, validation_context=vc)
            token_ok = st.intact and st.valid and st.trusted
            reports.append(_report(
                emb, st, kind="document timestamp", signing_time=st.timestamp, timestamped=True,
                timestamp_ok=token_ok, claimed_time=None, certification=None,
                bottom_line=token_ok and (st.docmdp_ok is not False),
            ))
            continue
        st = validate_pdf_signature(emb, signer_validation_context=vc, ts_validation_context=vc)
        ts = st.timestamp_validity
        level = emb.docmdp_level if emb.sig_object.get("/Reference") else None
        reports.append(_report(
            emb, st, kind="signature", timestamped=ts is not None,
            signing_time=ts.timestamp if ts is not None else None,
            timestamp_ok=(ts.intact and ts.valid and ts.trusted) if ts is not None else None,
            claimed_time=st.signer_reported_dt, certification=level.name if level is not None else None,
            bottom_line=st.bottom_line,
        ))
    return reports


def broken(pdf_bytes: bytes) -> list[SignatureReport]:
    """The signatures (and document timestamps) of the file that no longer hold: changed bytes, a signature that
    does not verify, or a change after it beyond what it allows. Trust is not asked (no trust anchors, nothing
    fetched): this is the check every download of a signed file makes. A file that cannot be read counts as one."""
    from pyhanko_certvalidator import ValidationContext

    def context():
        return ValidationContext(trust_roots=[], allow_fetching=False, revocation_mode="soft-fail")

    try:
        reports = validate(pdf_bytes, validation_context=context)
    except SigningError:
        raise
    except Exception as exc:  # noqa: BLE001 - a file pyHanko cannot take apart is not handed out as signed
        raise SigningError(f"Die Signaturen der Datei lassen sich nicht prüfen: {exc}") from exc
    if not reports:
        raise SigningError("Die Datei trägt keine Signatur mehr.")
    return [r for r in reports if not (r.intact and r.valid and r.docmdp_ok is not False)]


@dataclass(frozen=True)
class ReceiptRow:
    field_name: str
    kind: str  # "signature" or "document timestamp"
    revision: int
    bytes_before: int  # length of the file the signer received
    sha256_before: str
    bytes_after: int  # length of the file right after this signature (end of its /ByteRange)
    sha256_after: str


_EOF = re.compile(rb"%%EOF(\r\n|\r|\n)?")


def _revision_end(pdf_bytes: bytes, reader, revision: int) -> int:
    """Offset just past revision `revision` (its %%EOF marker and end-of-line)."""
    info = reader.xrefs.get_xref_container_info(revision)
    m = _EOF.search(pdf_bytes, info.end_location)
    if m is None:
        raise SigningError(f"Das Ende der Revision {revision} ist nicht zu finden (kein %%EOF).")
    return m.end()


def receipt_rows(pdf_bytes: bytes) -> list[ReceiptRow]:
    """Per signature (and document timestamp): the SHA-256 of the file before and after it was added.

    "after" is the signed range's end: exactly the file as it left the signer. "before" is the end of the previous
    revision: the file the signer was given (for the first signature, the prepared unsigned file). This reads the
    structure only; whether the signatures hold is `validate`'s job."""
    reader = _reader(pdf_bytes)
    rows = []
    for emb in reader.embedded_signatures:
        br = [int(x) for x in emb.byte_range]
        after = br[2] + br[3]
        before = _revision_end(pdf_bytes, reader, emb.signed_revision - 1) if emb.signed_revision > 0 else 0
        rows.append(
            ReceiptRow(
                field_name=emb.field_name,
                kind="document timestamp" if emb.sig_object_type == "/DocTimeStamp" else "signature",
                revision=emb.signed_revision,
                bytes_before=before,
                sha256_before=hashlib.sha256(pdf_bytes[:before]).hexdigest(),
                bytes_after=after,
                sha256_after=hashlib.sha256(pdf_bytes[:after]).hexdigest(),
            )
        )
    return rows
