"""A throw-away test PKI for the PAdES tests (tests/test_pades.py), made at test time with `cryptography`.

Built from agreements/signing/pki.py. Root CA -> intermediate CA -> signer certificates (one per party, plus an
expired and a revoked one) and a
time-stamping authority. The intermediate publishes a CRL that lists the revoked signer and answers OCSP for
every signer (responses signed by the CA itself, RFC 6960 4.2.2.2); the root publishes a CRL for the
intermediate. All revocation data is handed to pyhanko_certvalidator in process (allow_fetching=False): the
distribution-point URLs in the certificates name a host that does not exist and are never fetched.

The TSA runs in process: `timestamper()` is pyHanko's DummyTimeStamper with the PKI's TSA key, and
`tsa_server()` serves that same TSA over HTTP on 127.0.0.1 so the production client (HTTPTimeStamper) is
exercised end to end without leaving the machine.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import tsp as asn1_tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator import ValidationContext

from agreements.signing.pki import Identity, make_ca, make_leaf, pkcs12_bytes

BASE_URL = "http://pki.zielsteuerung.invalid"
ORGANIZATION = "Zielsteuerung Test-PKI"


@dataclass
class TestPKI:
    now: dt.datetime
    root: Identity
    intermediate: Identity
    signers: dict[str, Identity]
    expired: Identity
    revoked: Identity
    tsa: Identity
    revoked_at: dt.datetime
    crls: list[bytes] = field(default_factory=list)
    ocsps: list[bytes] = field(default_factory=list)

    # -- material for pyHanko -----------------------------------------------------------------------------------

    @property
    def chain(self) -> list[asn1_x509.Certificate]:
        """Intermediate and root, as a signer embeds them."""
        return [self.intermediate.asn1_cert, self.root.asn1_cert]

    def validation_context(self, *, crls=True, ocsps=True, trust_root=None, **kwargs) -> ValidationContext:
        """A fresh context (they cache revocation results), hard-fail, no fetching. crls: True (root's and
        intermediate's), "root" (only the root's, for the intermediate: the signers then need OCSP) or False."""
        kwargs.setdefault("revocation_mode", "hard-fail")
        chosen = {True: self.crls, "root": self.crls[:1], False: []}[crls]
        return ValidationContext(
            trust_roots=[trust_root or self.root.asn1_cert],
            other_certs=[self.intermediate.asn1_cert],
            crls=list(chosen),
            ocsps=list(self.ocsps) if ocsps else [],
            allow_fetching=False,
            **kwargs,
        )

    def timestamper(self) -> DummyTimeStamper:
        return DummyTimeStamper(
            tsa_cert=self.tsa.asn1_cert,
            tsa_key=self.tsa.asn1_key,
            certs_to_embed=[self.intermediate.asn1_cert],
        )

    def pkcs12(self, identity: Identity, passphrase: bytes) -> bytes:
        return pkcs12_bytes(identity, [self.intermediate, self.root], passphrase)

    @contextlib.contextmanager
    def tsa_server(self):
        """An RFC 3161 TSA over HTTP on 127.0.0.1, answering with this PKI's TSA key. Yields (url, request count)."""
        stamper = self.timestamper()
        seen = {"requests": 0}

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Content-Type") != "application/timestamp-query":
                    self.send_error(415)
                    return
                req = asn1_tsp.TimeStampReq.load(body)
                answer = stamper.request_tsa_response(req).dump()
                seen["requests"] += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/tsa", seen
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)


def _crl(issuer: Identity, now: dt.datetime, revoked: list[tuple[x509.Certificate, dt.datetime]]) -> bytes:
    b = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(now - dt.timedelta(hours=1))
        .next_update(now + dt.timedelta(days=7))
        .add_extension(x509.CRLNumber(1), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
    )
    for cert, when in revoked:
        b = b.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(cert.serial_number)
            .revocation_date(when)
            .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False)
            .build()
        )
    return b.sign(issuer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _ocsp(cert: x509.Certificate, issuer: Identity, now: dt.datetime, revoked_at: dt.datetime | None) -> bytes:
    b = ocsp.OCSPResponseBuilder().add_response(
        cert=cert,
        issuer=issuer.cert,
        algorithm=hashes.SHA256(),
        cert_status=ocsp.OCSPCertStatus.REVOKED if revoked_at else ocsp.OCSPCertStatus.GOOD,
        this_update=now - dt.timedelta(minutes=30),
        next_update=now + dt.timedelta(days=1),
        revocation_time=revoked_at,
        revocation_reason=x509.ReasonFlags.key_compromise if revoked_at else None,
    )
    b = b.responder_id(ocsp.OCSPResponderEncoding.HASH, issuer.cert)  # producedAt: the time of signing (now)
    return b.sign(issuer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


PARTIES = ("Kreis Mettmann", "MAIS NRW")


def _ca(cn, issuer, now, crl_name):
    return make_ca(cn, ORGANIZATION, issuer, now - dt.timedelta(days=3650), now + dt.timedelta(days=3650),
                   crl_url=f"{BASE_URL}/{crl_name}.crl" if crl_name else None)


def _leaf(cn, issuer, not_before, not_after, *, tsa=False):
    return make_leaf(cn, ORGANIZATION, issuer, not_before, not_after, tsa=tsa,
                     crl_url=f"{BASE_URL}/intermediate.crl", ocsp_url=f"{BASE_URL}/ocsp")


def build_pki(now: dt.datetime | None = None) -> TestPKI:
    now = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    root = _ca("Zielsteuerung Test Root CA", None, now, None)
    intermediate = _ca("Zielsteuerung Test Sub CA", root, now, "root")
    valid_from, valid_to = now - dt.timedelta(days=30), now + dt.timedelta(days=365)
    signers = {party: _leaf(party, intermediate, valid_from, valid_to) for party in PARTIES}
    expired = _leaf("Kreis Abgelaufen", intermediate, now - dt.timedelta(days=400), now - dt.timedelta(days=2))
    revoked = _leaf("Kreis Gesperrt", intermediate, valid_from, valid_to)
    tsa = _leaf("Zielsteuerung Test TSA", intermediate, valid_from, valid_to, tsa=True)
    revoked_at = now - dt.timedelta(days=1)
    pki = TestPKI(
        now=now,
        root=root,
        intermediate=intermediate,
        signers=signers,
        expired=expired,
        revoked=revoked,
        tsa=tsa,
        revoked_at=revoked_at,
    )
    pki.crls = [  # the root's first (TestPKI.validation_context relies on the order)
        _crl(root, now, []),
        _crl(intermediate, now, [(revoked.cert, revoked_at)]),
    ]
    pki.ocsps = [_ocsp(s.cert, intermediate, now, None) for s in (*signers.values(), tsa)] + [
        _ocsp(revoked.cert, intermediate, now, revoked_at)
    ]
    return pki
