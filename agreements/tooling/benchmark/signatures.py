"""Electronic signatures (issue 15): the time of one PAdES signature at B-T and at B-LTA, and the time to validate a
PDF that carries two signatures, each against the target of 1 s.

Keys: the demo PKI (agreements.signing.pki.make_demo_pki) made in a temporary folder: a root CA, a seal for each of
the agreement's two parties and a timestamp authority whose key stamps in process, as the demo installation does;
no network is in the figures (a TSA on the network adds its round trip to every signature). No record is written:
the keys are used as services.signing.seal uses a party's key record.

The file is the fixed agreement's Endfassung as the signing service freezes it (rendered as PDF/A, one signature
field per party). Per round and level, the first party signs (certifying), then the second; each signature is
timed on its own and includes what `seal` does: opening the PKCS#12 file and the TSA's key, checking the
certificate, the timestamp, at B-LTA the validation data and the document timestamp, and reading the new signature
back. Then the two-signature file is validated as services.signing.check does for the validation page (every
signature and document timestamp: hash, cryptography, timestamp, difference analysis, trust against the demo root);
a file that does not validate stops the benchmark. One round first to warm up (imports, caches), not counted.
"""

import statistics
import tempfile
import time
from pathlib import Path

from agreements.data.demo.signing import certificate_name
from agreements.tooling.benchmark.base import BenchmarkError, progress

SIGNATURE_REPEATS = 5
MAX_SIGNATURE_REPEATS = 50
MAX_SIGNATURE_SECONDS = 1.0
LEVELS = ("B-T", "B-LTA")
# (key, label) in report order.
FIGURES = (
    ("sign_bt", "One signature at PAdES B-T"),
    ("sign_lta", "One signature at PAdES B-LTA"),
    ("validate_bt", "Validating a PDF with two B-T signatures"),
    ("validate_lta", "Validating a PDF with two B-LTA signatures"),
)
TSA_NOTE = "demo TSA key in process (no network)"


def figure_label(key):
    return dict(FIGURES)[key]


class _DemoKeys:
    """The demo PKI in `folder`: a key configuration per name (demo.signing.certificate_name), the TSA's, and the
    root as trust anchor."""

    def __init__(self, folder, names):
        from asn1crypto import pem
        from asn1crypto import x509 as asn1_x509

        from agreements.signing import keys
        from agreements.signing.pki import make_demo_pki

        files = make_demo_pki(Path(folder), names)
        self.configs = {
            name: keys.KeyConfig.from_mapping({"kind": "pkcs12", "party": name, "pkcs12_path": str(p12),
                                               "secret_file": str(secret)})
            for name, (p12, secret) in files.keys.items()
        }
        self.tsa = keys.KeyConfig.from_mapping({"kind": "pkcs12", "party": "TSA", "pkcs12_path": str(files.tsa_pkcs12),
                                                "secret_file": str(files.tsa_secret_file)})
        _type, _headers, der = pem.unarmor(files.root_pem.encode("ascii"))
        self.roots = [asn1_x509.Certificate.load(der)]

    def timestamper(self):
        """As services.signing.timestamper makes it for the demo's TSA record."""
        from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

        from agreements.signing import keys

        with keys.open_signer(self.tsa) as signer:
            return DummyTimeStamper(tsa_cert=signer.signing_cert, tsa_key=signer.signing_key,
                                    certs_to_embed=list(signer.cert_registry))


def frozen_file(agreement):
    """The agreement's Endfassung as the first signature gets it: PDF/A with an empty field per party."""
    from agreements.pdf.agreement import agreement_html
    from agreements.pdf.render import pdf_from_html
    from agreements.services import signing

    return signing.prepare(pdf_from_html(agreement_html(agreement, electronic=True)).content, agreement)


def _sign(pdf, demo_keys, party, *, certify, level, order):
    """One signature as services.signing.seal makes it; (signed file, seconds)."""
    from agreements.services import signing
    from agreements.signing import keys, pades, validation

    start = time.perf_counter()
    with keys.open_signer(demo_keys.configs[certificate_name(party)]) as signer:
        signed = pades.sign(
            pdf, signer=signer, field_name=signing.field_name(party), certify=certify,
            timestamper=demo_keys.timestamper(), level=level,
            validation_context=signing.validation_context_factory(roots=demo_keys.roots)(),
            reason="Unterzeichnung der Zielvereinbarung (Benchmark)", location="Düsseldorf", order=order,
            who=party.name,
        )
    mine = [r for r in validation.validate(
        signed, validation_context=signing.validation_context_factory(roots=demo_keys.roots, pdf_bytes=signed))
        if r.field_name == signing.field_name(party)]
    seconds = time.perf_counter() - start
    if not mine:
        raise BenchmarkError(f"The signature of {party.name} at {level} is not in the signed file.")
    return signed, seconds


def _validate(pdf, demo_keys, level):
    """The two-signature file checked as services.signing.check does; seconds."""
    from agreements.services import signing
    from agreements.signing import validation

    start = time.perf_counter()
    verdict = signing.judge(validation.validate(
        pdf, validation_context=signing.validation_context_factory(roots=demo_keys.roots, pdf_bytes=pdf)), expected=2)
    seconds = time.perf_counter() - start
    if not (verdict.intact and verdict.trusted):
        raise BenchmarkError(f"The file with two signatures at {level} does not validate: "
                             + "; ".join(r.summary for r in verdict.reports))
    return seconds


def _round(frozen, demo_keys, parties, order):
    """Both parties sign at each level, then each file is validated: {figure key: [seconds]}."""
    seconds = {key: [] for key, _label in FIGURES}
    for level, suffix in zip(LEVELS, ("bt", "lta"), strict=True):
        pdf = frozen
        for index, party in enumerate(parties):
            pdf, took = _sign(pdf, demo_keys, party, certify=index == 0, level=level, order=order)
            seconds[f"sign_{suffix}"].append(took)
        seconds[f"validate_{suffix}"].append(_validate(pdf, demo_keys, level))
    return seconds


def measure_signatures(agreement, *, repeats=SIGNATURE_REPEATS):
    """{"repeats", "pdf_bytes", "parties", "tsa", "figures": {key: {median_s, max_s, samples}}} for an agreement
    of two parties (each round signs it once at each level, so a signature figure has 2·repeats samples)."""
    from agreements.services import signing

    if not 1 <= repeats <= MAX_SIGNATURE_REPEATS:
        raise BenchmarkError(f"Signature repeats must be 1 to {MAX_SIGNATURE_REPEATS}, not {repeats}.")
    parties = [ap.party for ap in agreement.agreement_parties.select_related("party").order_by("order", "id")]
    if len(parties) != 2:
        raise BenchmarkError(f"The agreement {agreement.pk} for the signature figures has {len(parties)} parties, "
                             "not two.")
    order = [signing.field_name(party) for party in parties]
    progress(f"electronic signatures: B-T and B-LTA, {repeats} rounds after one to warm up")
    frozen = frozen_file(agreement)
    with tempfile.TemporaryDirectory(prefix="benchmark-pki-") as folder:
        demo_keys = _DemoKeys(folder, [certificate_name(party) for party in parties])
        _round(frozen, demo_keys, parties, order)  # warm-up
        samples = {key: [] for key, _label in FIGURES}
        for _ in range(repeats):
            for key, values in _round(frozen, demo_keys, parties, order).items():
                samples[key] += values
    return {
        "repeats": repeats, "pdf_bytes": len(frozen), "parties": [party.name for party in parties], "tsa": TSA_NOTE,
        "figures": {key: {"median_s": statistics.median(values), "max_s": max(values), "samples": len(values)}
                    for key, values in samples.items()},
    }


def signature_targets(signatures):
    """[(target, result, detail)] per figure: its median below MAX_SIGNATURE_SECONDS (max shown). None: NOT RUN."""
    if signatures is None:
        return [(f"Electronic signatures: signing and validating below {MAX_SIGNATURE_SECONDS:g} s each", "NOT RUN",
                 "signatures not measured")]
    targets = []
    for key, label in FIGURES:
        figures = signatures["figures"][key]
        targets.append((
            f"{label}: median below {MAX_SIGNATURE_SECONDS:g} s",
            "PASS" if figures["median_s"] < MAX_SIGNATURE_SECONDS else "FAIL",
            f"median {figures['median_s'] * 1000:.0f} ms, max {figures['max_s'] * 1000:.0f} ms "
            f"({figures['samples']} runs)",
        ))
    return targets
