"""Certificates made with `cryptography`: the building blocks of the demo PKI that `load_demo` creates, and of the
test PKI (tests/pki.py), which adds expired and revoked certificates, CRLs and OCSP responses.

A PKI here is a root CA, optionally an intermediate, leaf certificates for signers (non-repudiation) and a
time-stamping authority (extended key usage timeStamping). `certificate_facts` reads a PEM certificate for the
admin (holder and fingerprint).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from agreements.infra.storage import atomic_write


def name(cn: str, organization: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Identity:
    name: str
    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @property
    def asn1_cert(self):
        from asn1crypto import x509 as asn1_x509

        return asn1_x509.Certificate.load(self.cert.public_bytes(serialization.Encoding.DER))

    @property
    def asn1_key(self):
        from asn1crypto import keys as asn1_keys

        return asn1_keys.PrivateKeyInfo.load(self.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

    @property
    def pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _key_usage(*, ca: bool, non_repudiation: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, content_commitment=non_repudiation, key_encipherment=False, data_encipherment=False,
        key_agreement=False, key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False,
    )


def _builder(subject: x509.Name, issuer: Identity | None, key, not_before, not_after) -> x509.CertificateBuilder:
    issuer_key = issuer.key if issuer else key
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    )


def crl_distribution_point(url: str) -> x509.CRLDistributionPoints:
    return x509.CRLDistributionPoints([x509.DistributionPoint(
        full_name=[x509.UniformResourceIdentifier(url)], relative_name=None, reasons=None, crl_issuer=None)])


def make_ca(cn: str, organization: str, issuer: Identity | None, not_before, not_after, *,
            crl_url: str | None = None) -> Identity:
    """A CA certificate: self-signed when `issuer` is None, else an intermediate (path length 0)."""
    key = new_key()
    builder = (
        _builder(name(cn, organization), issuer, key, not_before, not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None if issuer is None else 0), critical=True)
        .add_extension(_key_usage(ca=True, non_repudiation=False), critical=True)
    )
    if crl_url:
        builder = builder.add_extension(crl_distribution_point(crl_url), critical=False)
    return Identity(cn, key, builder.sign(issuer.key if issuer else key, hashes.SHA256()))


def make_leaf(cn: str, organization: str, issuer: Identity, not_before, not_after, *, tsa: bool = False,
              crl_url: str | None = None, ocsp_url: str | None = None) -> Identity:
    """A signer's certificate (non-repudiation), or with tsa=True a time-stamping authority's. The revocation
    pointers are optional: a certificate without them is not checked for revocation."""
    key = new_key()
    builder = (
        _builder(name(cn, organization), issuer, key, not_before, not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False, non_repudiation=not tsa), critical=True)
    )
    if crl_url:
        builder = builder.add_extension(crl_distribution_point(crl_url), critical=False)
    if ocsp_url:
        builder = builder.add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
            x509.oid.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url))]), critical=False)
    if tsa:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    return Identity(cn, key, builder.sign(issuer.key, hashes.SHA256()))


def pkcs12_bytes(identity: Identity, chain: list[Identity], passphrase: bytes) -> bytes:
    return pkcs12.serialize_key_and_certificates(
        identity.name.encode(), identity.key, identity.cert, [c.cert for c in chain],
        serialization.BestAvailableEncryption(passphrase),
    )


def certificate_facts(pem: str) -> tuple[str, str]:
    """(holder, SHA-256 fingerprint) of a PEM certificate; ValueError if it is none."""
    cert = x509.load_pem_x509_certificate(pem.strip().encode("ascii", "replace"))
    return cert.subject.rfc4514_string()[:300], cert.fingerprint(hashes.SHA256()).hex()


# --- The demo PKI --------------------------------------------------------------------------------------------

DEMO_ORGANIZATION = "Zielsteuerung DEMO (nicht vertrauenswürdig)"


@dataclass(frozen=True)
class DemoFiles:
    root_pem: str  # the demo root certificate, the demo's trust anchor
    tsa_pkcs12: Path
    tsa_secret_file: Path
    keys: dict  # party name -> (PKCS#12 path, secret file path)


def make_demo_pki(directory: Path, party_names: list[str], *, now: dt.datetime | None = None) -> DemoFiles:
    """A demo root CA, one signing certificate per party and a TSA certificate, written to `directory` as PKCS#12
    files with a random passphrase each in a secret file next to it (mode 0600). Every name says DEMO."""
    import secrets

    now = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    start, end = now - dt.timedelta(days=1), now + dt.timedelta(days=5 * 365)
    root = make_ca("Zielsteuerung DEMO-Wurzel-CA", DEMO_ORGANIZATION, None, start, end + dt.timedelta(days=365))
    directory = Path(directory)

    def write(identity, stem):
        secret = secrets.token_urlsafe(24)
        p12, secret_file = directory / f"{stem}.p12", directory / f"{stem}.secret"
        with atomic_write(secret_file, mode=0o600) as out:
            out.write(secret.encode("ascii"))
        with atomic_write(p12, mode=0o600) as out:
            out.write(pkcs12_bytes(identity, [root], secret.encode("ascii")))
        return p12, secret_file

    keys = {}
    for index, party in enumerate(party_names, start=1):
        leaf = make_leaf(f"{party} (DEMO-Siegel)", DEMO_ORGANIZATION, root, start, end)
        keys[party] = write(leaf, f"demo-siegel-{index}")
    tsa = make_leaf("Zielsteuerung DEMO-Zeitstempeldienst", DEMO_ORGANIZATION, root, start, end, tsa=True)
    tsa_p12, tsa_secret = write(tsa, "demo-tsa")
    return DemoFiles(root_pem=root.pem, tsa_pkcs12=tsa_p12, tsa_secret_file=tsa_secret, keys=keys)
