"""Electronic signatures on the agreement (issue 15): what the installation has configured, sealing one party's
signature into the file, and validating a signed file.

The pure PAdES work is agreements/signing/ (pyHanko); this module brings it together with the records: the party's
SigningKey, the active TimestampAuthority, the active TrustAnchors and the settings for revocation checks. The
transition itself (who may sign now, the row lock, the timeline) is services/lifecycle.sign, which calls `seal`
while no row lock is held.

An agreement is signed electronically when, before its first signature, every party to it has an active key and
a timestamp authority is active; then every party signs so, in the agreement's order of parties. Otherwise it is
signed on paper as before, and the scan of the signed paper is uploaded as a document.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from agreements.infra.errors import DomainError
from agreements.signing import SigningError, keys, pades, validation

from .. import models as m

logger = logging.getLogger(__name__)

PADES = m.Signature.Method.PADES
PAPER = m.Signature.Method.PAPER


def field_name(party) -> str:
    """The signature field of a party in the agreement's file."""
    return f"Unterschrift-{party.key}"


def active_tsa():
    return m.TimestampAuthority.objects.filter(is_active=True).first()


def missing_setup(agreement) -> list[str]:
    """Why this agreement cannot be signed electronically (German sentences), or [] when it can."""
    order = sorted(agreement.agreement_parties.all(), key=lambda ap: (ap.order, ap.pk))  # a page prefetches them
    # One query: per party whether it has an active key, and (on every row) whether a TSA is active.
    rows = list(m.Party.objects.filter(pk__in=[ap.party_id for ap in order])
                .annotate(keyed=Exists(m.SigningKey.objects.filter(party=OuterRef("pk"), is_active=True)),
                          tsa=Exists(m.TimestampAuthority.objects.filter(is_active=True)))
                .values_list("pk", "keyed", "tsa"))
    keyed = {pk: has_key for pk, has_key, _tsa in rows}
    tsa = rows[0][2] if rows else active_tsa() is not None
    reasons = [] if tsa else [_("Es ist kein Zeitstempeldienst eingerichtet.")]
    reasons += [_("%(party)s hat keinen Signaturschlüssel.") % {"party": ap.party.name}
                for ap in order if not keyed.get(ap.party_id)]
    return reasons


def method_for(agreement) -> str:
    """PADES or PAPER: the method of the agreement's first signature; before it, what the setup allows.
    (.all(): a page prefetches the signatures.)"""
    signatures = sorted(agreement.signatures.all(), key=lambda s: s.pk)
    if signatures:
        return signatures[0].method
    return PAPER if missing_setup(agreement) else PADES


def next_party_id(agreement):
    """For electronic signing: the first party, in the agreement's order, that has not signed yet."""
    signed = {s.party_id for s in agreement.signatures.all()}
    order = sorted(agreement.agreement_parties.all(), key=lambda ap: (ap.order, ap.pk))
    return next((ap.party_id for ap in order if ap.party_id not in signed), None)


@dataclass(frozen=True)
class Plan:
    """How an agreement is signed, for the pages: the method, why not electronically (before the first signature
    only), and electronically who signs next. The service decides with the same functions."""

    method: str
    missing: tuple[str, ...]
    next_party_id: int | None

    @property
    def electronic(self) -> bool:
        return self.method == PADES


def plan(agreement) -> Plan:
    if agreement.signatures.all():
        method, missing = method_for(agreement), ()
    else:
        missing = tuple(missing_setup(agreement))
        method = PAPER if missing else PADES
    return Plan(method=method, missing=missing,
                next_party_id=next_party_id(agreement) if method == PADES else None)


# --- Trust and time -------------------------------------------------------------------------------------------

def trust_roots():
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509

    from agreements.signing.pki import certificate_facts

    roots = []
    for anchor in m.TrustAnchor.objects.filter(is_active=True):
        try:  # the admin's check on save; an anchor changed past it (in the database) trusts nothing
            certificate_facts(anchor.certificate)
            certificates = [asn1_x509.Certificate.load(der) for _type, _headers, der
                            in pem.unarmor(anchor.certificate.strip().encode("ascii"), multiple=True)]
        except (ValueError, TypeError, UnicodeError):
            logger.error("Trust anchor %r (id %s) is not a readable PEM certificate; it is not trusted.",
                         anchor.name, anchor.pk)
            continue
        roots += certificates
    return roots


def validation_context_factory(*, roots=None, pdf_bytes=None, fetching=None):
    """A callable giving a fresh ValidationContext with the installation's trust anchors (and, for a signed file,
    the validation data in its DSS). Fresh per signature, since contexts cache revocation results."""
    roots = trust_roots() if roots is None else roots
    kwargs = {
        "trust_roots": roots,
        "allow_fetching": settings.SIGNING_ALLOW_FETCHING if fetching is None else fetching,
        "revocation_mode": settings.SIGNING_REVOCATION_MODE,
    }
    if pdf_bytes is not None:
        return lambda: validation.validation_context_with_dss(pdf_bytes, **kwargs)
    from pyhanko_certvalidator import ValidationContext

    return lambda: ValidationContext(**kwargs)


def timestamper(tsa):
    """The pyHanko TimeStamper of a TimestampAuthority record: its URL, or the demo's own TSA key."""
    if tsa.url:
        from pyhanko.sign.timestamps import HTTPTimeStamper

        return HTTPTimeStamper(tsa.url, timeout=settings.SIGNING_TSA_TIMEOUT)
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    config = keys.KeyConfig.from_mapping(
        {"kind": "pkcs12", "party": tsa.name, "pkcs12_path": tsa.local_key.path, **tsa.secret_mapping()})
    with keys.open_signer(config) as signer:
        return DummyTimeStamper(tsa_cert=signer.signing_cert, tsa_key=signer.signing_key,
                                certs_to_embed=list(signer.cert_registry))


# --- Signing --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sealed:
    content: bytes
    sha256: str
    sha256_before: str
    signed_at: datetime | None
    certificate_subject: str

    @property
    def size(self):
        return len(self.content)


def prepare(pdf_bytes: bytes, agreement) -> bytes:
    """The frozen file: the rendered Endfassung with one empty signature field per party, in their order."""
    parties = [ap.party for ap in agreement.agreement_parties.select_related("party").order_by("order", "id")]
    return pades.prepare_fields(pdf_bytes, [field_name(p) for p in parties])


def seal(agreement, signature, pdf_bytes: bytes) -> Sealed:
    """Sign `pdf_bytes` (the frozen file or the one the previous party signed) for `signature`'s party with its
    key, the active TSA and the configured level. Slow (the key, the TSA): never call it under a row lock.
    Raises DomainError with the reason when the key, the TSA or the certificate does not allow it."""
    party = signature.party
    key = getattr(party, "signing_key", None)
    tsa = active_tsa()
    if key is None or not key.is_active or tsa is None:
        raise DomainError(_("Die elektronische Unterschrift ist für %(party)s nicht eingerichtet.")
                          % {"party": party.name})
    fields = pades.signature_fields(pdf_bytes)
    order = [field_name(ap.party) for ap in agreement.agreement_parties.select_related("party").order_by("order", "id")]
    try:
        with keys.open_signer(keys.KeyConfig.from_mapping(key.mapping())) as signer:
            signed = pades.sign(
                pdf_bytes, signer=signer, field_name=field_name(party), certify=not any(fields.values()),
                timestamper=timestamper(tsa), level=tsa.level, validation_context=validation_context_factory()(),
                reason=_("Unterzeichnung der Zielvereinbarung für %(party)s durch %(name)s, %(function)s") % {
                    "party": party.name, "name": signature.signatory_name, "function": signature.signatory_function},
                location=signature.place or None, order=order, who=party.name,
            )
    except SigningError as error:
        raise DomainError(str(error)) from error
    mine = [r for r in validation.validate(signed, validation_context=validation_context_factory(pdf_bytes=signed))
            if r.field_name == field_name(party)]
    return Sealed(
        content=signed, sha256=hashlib.sha256(signed).hexdigest(), sha256_before=hashlib.sha256(pdf_bytes).hexdigest(),
        signed_at=mine[0].signing_time if mine else None, certificate_subject=mine[0].signer if mine else "",
    )


# --- Validation -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Verdict:
    """What the checks of a signed file say: every report, and whether the file is still as it was signed."""

    reports: list
    intact: bool  # every signature's hash and cryptography hold, and no change after it goes beyond what it allows
    trusted: bool  # every signature chains to a configured trust anchor

    @property
    def problems(self):
        return [r for r in self.reports if not (r.intact and r.valid and r.docmdp_ok is not False)]


def judge(reports, expected: int | None = None) -> Verdict:
    intact = bool(reports) and all(r.intact and r.valid and r.docmdp_ok is not False for r in reports)
    if expected is not None:
        intact = intact and sum(r.kind == "signature" for r in reports) >= expected
    return Verdict(reports=reports, intact=intact, trusted=bool(reports) and all(r.trusted for r in reports))


def check(pdf_bytes: bytes, *, expected: int | None = None, fetching=None) -> Verdict:
    """Validate every signature of a signed file against the installation's trust anchors."""
    with contextlib.suppress(SigningError):
        return judge(validation.validate(
            pdf_bytes, validation_context=validation_context_factory(pdf_bytes=pdf_bytes, fetching=fetching)),
            expected)
    return Verdict(reports=[], intact=False, trusted=False)
