"""A party's signing key, from a small configuration: a PKCS#12 file or a PKCS#11 token.

The secret (PKCS#12 passphrase, token PIN) never lives in the configuration or the database: the configuration
names an environment variable (`secret_env`) or a secret file (`secret_file`, e.g. a systemd credential or a
Docker secret) that holds it. Missing or wrong secrets raise KeyConfigError naming the variable or file.

    config = KeyConfig.from_mapping({"kind": "pkcs12", "party": "Kreis Mettmann",
                                     "pkcs12_path": "/etc/zielsteuerung/mettmann.p12",
                                     "secret_env": "ZS_SIGN_METTMANN_PASS"})
    with open_signer(config) as signer:
        signed = pades.sign(pdf, signer=signer, ...)

`open_signer` is a context manager because a PKCS#11 signer holds an open session on the token until the
signature is made; for PKCS#12 there is nothing to close.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from .errors import KeyConfigError

KINDS = ("pkcs12", "pkcs11")


@dataclass(frozen=True)
class KeyConfig:
    """Where a party's key is and where its secret comes from. Holds no secret itself."""

    kind: str
    party: str = ""
    # PKCS#12
    pkcs12_path: str | None = None
    # PKCS#11
    module_path: str | None = None
    token_label: str | None = None
    key_label: str | None = None
    cert_label: str | None = None
    # the secret: exactly one of these
    secret_env: str | None = None
    secret_file: str | None = None
    # further certificates (PEM or DER files) to embed, e.g. the issuing CA if the PKCS#12 file or token lacks it
    chain_files: tuple[str, ...] = ()

    def __post_init__(self):
        who = f" für {self.party}" if self.party else ""
        if self.kind not in KINDS:
            raise KeyConfigError(f"Unbekannte Schlüsselart {self.kind!r}{who}: erlaubt sind {', '.join(KINDS)}.")
        if self.kind == "pkcs12" and not self.pkcs12_path:
            raise KeyConfigError(f"Für die PKCS#12-Schlüsselart{who} fehlt pkcs12_path.")
        if self.kind == "pkcs11":
            missing = [n for n in ("module_path", "token_label", "key_label") if not getattr(self, n)]
            if missing:
                raise KeyConfigError(f"Für die PKCS#11-Schlüsselart{who} fehlt {', '.join(missing)}.")
        if bool(self.secret_env) == bool(self.secret_file):
            raise KeyConfigError(
                f"Die Schlüsselkonfiguration{who} braucht genau eine Quelle für das Geheimnis: "
                "secret_env (Name einer Umgebungsvariable) oder secret_file (Pfad einer Datei)."
            )

    @classmethod
    def from_mapping(cls, mapping: Mapping) -> KeyConfig:
        """From a dict (settings, parsed JSON/TOML). Unknown keys are refused so that a typo is not ignored."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(mapping) - names)
        if unknown:
            raise KeyConfigError(f"Unbekannte Einträge in der Schlüsselkonfiguration: {', '.join(unknown)}.")
        values = dict(mapping)
        if "kind" not in values:
            raise KeyConfigError("Die Schlüsselkonfiguration braucht den Eintrag kind (pkcs12 oder pkcs11).")
        if "chain_files" in values:
            chain = values["chain_files"]
            values["chain_files"] = (chain,) if isinstance(chain, str) else tuple(chain)
        return cls(**values)

    @property
    def secret_source(self) -> str:
        """How the secret is named in messages: the variable or the file, never its value."""
        if self.secret_env:
            return f"Umgebungsvariable {self.secret_env}"
        return f"Datei {self.secret_file}"


def read_secret(config: KeyConfig, environ: Mapping[str, str] | None = None) -> str:
    """The passphrase or PIN, from the environment variable or the secret file the configuration names."""
    who = f" von {config.party}" if config.party else ""
    what = "das PKCS#12-Passwort" if config.kind == "pkcs12" else "die Token-PIN"
    if config.secret_env:
        env = os.environ if environ is None else environ
        value = env.get(config.secret_env)
        if value is None or value == "":
            raise KeyConfigError(
                f"Die Umgebungsvariable {config.secret_env} für {what}{who} ist nicht gesetzt oder leer."
            )
        return value
    path = Path(config.secret_file)
    try:
        value = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeyConfigError(f"Die Datei {path} mit {what}{who} fehlt.") from None
    except OSError as exc:
        raise KeyConfigError(f"Die Datei {path} mit {what}{who} ist nicht lesbar: {exc.strerror}.") from None
    # a trailing newline from `echo secret > file` is not part of the secret
    value = value.rstrip("\r\n")
    if not value:
        raise KeyConfigError(f"Die Datei {path} mit {what}{who} ist leer.")
    return value


def _load_chain(config: KeyConfig) -> list:
    from pyhanko.keys import load_certs_from_pemder

    try:
        return list(load_certs_from_pemder(list(config.chain_files))) if config.chain_files else []
    except (OSError, ValueError) as exc:
        raise KeyConfigError(f"Die Zertifikatskette {', '.join(config.chain_files)} ist nicht lesbar: {exc}") from None


def _pkcs12_signer(config: KeyConfig, secret: str, data: bytes | None = None):
    from pyhanko.sign.signers import SimpleSigner

    who = f" von {config.party}" if config.party else ""
    if data is None:
        try:
            data = Path(config.pkcs12_path).read_bytes()
        except OSError as exc:
            raise KeyConfigError(
                f"Die PKCS#12-Datei {config.pkcs12_path}{who} ist nicht lesbar: {exc.strerror}."
            ) from None
    try:
        return SimpleSigner.load_pkcs12_data(data, other_certs=_load_chain(config), passphrase=secret.encode("utf-8"))
    except ValueError:
        raise KeyConfigError(
            f"Die PKCS#12-Datei {config.pkcs12_path}{who} lässt sich mit dem Passwort aus der "
            f"{config.secret_source} nicht öffnen (falsches Passwort oder beschädigte Datei)."
        ) from None


@contextlib.contextmanager
def _pkcs11_signer(config: KeyConfig, secret: str):
    import pkcs11
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

    who = f" von {config.party}" if config.party else ""
    if not Path(config.module_path).is_file():
        raise KeyConfigError(f"Das PKCS#11-Modul {config.module_path}{who} fehlt.")
    try:
        session = open_pkcs11_session(
            config.module_path, token_criteria=TokenCriteria(label=config.token_label), user_pin=secret
        )
    except pkcs11.exceptions.PinIncorrect:
        raise KeyConfigError(
            f"Die PIN aus der {config.secret_source} passt nicht zum Token {config.token_label!r}{who}."
        ) from None
    except pkcs11.exceptions.PinLocked:
        raise KeyConfigError(f"Die PIN des Tokens {config.token_label!r}{who} ist gesperrt.") from None
    except pkcs11.PKCS11Error as exc:
        raise KeyConfigError(
            f"Das Token {config.token_label!r}{who} ist über {config.module_path} nicht erreichbar: "
            f"{type(exc).__name__} {exc}".rstrip()
        ) from None
    try:
        signer = PKCS11Signer(
            session,
            key_label=config.key_label,
            cert_label=config.cert_label or config.key_label,
            ca_chain=_load_chain(config),
        )
        try:
            _ = signer.signing_cert  # loads key and certificate now, so a wrong label fails here and not mid-signature
        except (pkcs11.PKCS11Error, pkcs11.exceptions.NoSuchKey, pkcs11.exceptions.MultipleObjectsReturned) as exc:
            raise KeyConfigError(
                f"Auf dem Token {config.token_label!r}{who} fehlt der Schlüssel oder das Zertifikat "
                f"{config.cert_label or config.key_label!r}: {exc}"
            ) from None
        yield signer
    finally:
        session.close()


def pkcs12_signer_from_data(config: KeyConfig, data: bytes, *, environ: Mapping[str, str] | None = None):
    """The signer of PKCS#12 `data` that is not on disk (yet), e.g. an upload the admin checks before storing it,
    with the secret `config` names; `config.pkcs12_path` only names the file in messages. KeyConfigError as
    `open_signer` raises it."""
    if config.kind != "pkcs12":
        raise KeyConfigError(f"Die Schlüsselart {config.kind!r} hat keine PKCS#12-Datei.")
    return _pkcs12_signer(config, read_secret(config, environ), data)


@contextlib.contextmanager
def open_signer(config: KeyConfig, *, environ: Mapping[str, str] | None = None) -> Iterator:
    """A pyHanko Signer for the party of `config`, for the duration of the `with` block."""
    secret = read_secret(config, environ)
    if config.kind == "pkcs12":
        yield _pkcs12_signer(config, secret)
        return
    with _pkcs11_signer(config, secret) as signer:
        yield signer


def certificate_facts(signer):
    """(holder, valid until, valid from) of a signer's certificate, the holder written as the trust anchors' is
    (RFC 4514). The admin records them when it opens a key, and so does the demo when it makes its keys."""
    from cryptography import x509

    cert = x509.load_der_x509_certificate(signer.signing_cert.dump())
    return cert.subject.rfc4514_string()[:300], cert.not_valid_after_utc, cert.not_valid_before_utc
