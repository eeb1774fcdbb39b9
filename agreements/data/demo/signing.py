"""Demo keys for electronic signatures (issue 15): a demo root CA, a demo seal per party and a demo timestamp
authority, so that a new user of the demo can sign an agreement electronically and validate it.

Everything is marked as a demo: the certificates' organisation says "DEMO (nicht vertrauenswürdig)", the records
are flagged is_demo, and the admin shows it. The passphrases are random, in files next to the keys (mode 0600),
outside the database; only their paths are recorded. A second run keeps what exists.
"""

from pathlib import Path

from django.core.files.base import ContentFile

from agreements.models import SigningKey, TimestampAuthority, TrustAnchor
from agreements.signing import keys
from agreements.signing.pki import make_demo_pki

DEMO_TRUST_ANCHOR = "DEMO-Wurzel-CA (nur für die Demo)"
DEMO_TSA = "DEMO-Zeitstempeldienst (nur für die Demo)"


def install(directory, parties, *, level=TimestampAuthority.Level.B_T):
    """Demo keys for `parties` that have none, the demo TSA and trust anchor unless a TSA or anchor exists.
    Returns the number of keys made."""
    parties = [p for p in parties if not SigningKey.objects.filter(party=p).exists()]
    need_tsa = not TimestampAuthority.objects.exists()
    if not parties and not need_tsa:
        return 0
    directory = Path(directory)
    files = make_demo_pki(directory, [certificate_name(p) for p in parties])
    if not TrustAnchor.objects.filter(name=DEMO_TRUST_ANCHOR).exists() or parties:
        anchor = TrustAnchor(name=DEMO_TRUST_ANCHOR, certificate=files.root_pem, is_demo=True)
        anchor.full_clean()
        anchor.save()
    for party in parties:
        p12, secret = files.keys[certificate_name(party)]
        key = SigningKey(party=party, kind=SigningKey.Kind.PKCS12, secret_file=str(secret.resolve()), is_demo=True)
        key.pkcs12_file.save(f"demo-{party.key}.p12", ContentFile(p12.read_bytes()), save=False)
        with keys.open_signer(keys.KeyConfig.from_mapping(key.mapping())) as signer:  # recorded as the admin does
            key.certificate_subject, key.certificate_valid_until, _valid_from = keys.certificate_facts(signer)
        key.save()
    if need_tsa:
        tsa = TimestampAuthority(name=DEMO_TSA, secret_file=str(files.tsa_secret_file.resolve()), is_demo=True,
                                 level=level)
        tsa.local_key.save("demo-tsa.p12", ContentFile(files.tsa_pkcs12.read_bytes()), save=False)
        tsa.save()
    return len(parties)


def certificate_name(party):
    """The party's name in its certificate: a common name has at most 64 characters, " (DEMO-Siegel)" included, so
    a long name (the ministry's) gives way to the short one."""
    return party.name if len(party.name) <= 50 else (party.short_name or party.name)[:50]
