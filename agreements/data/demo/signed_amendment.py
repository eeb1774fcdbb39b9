"""The demo's electronically signed agreement (issue 15): the "1. Nachtrag" to the Kreis Mettmann's 2012 agreement,
signed by both parties with demo keys, so that a new user can see a PAdES-signed agreement and validate it.

The 2012 agreement itself stays as the reference has it, signed on paper. The Nachtrag is invented (its own § 6 says
so) and made through the services as users would make it: the Kreis's editor creates it and changes § 4, sends it,
the ministry's editor accepts it, then both sign: the ministry first, as the agreement orders its parties. Each
signature seals the file with the party's demo key and a timestamp of the demo timestamp authority (a local key, no
network), so the stored file carries two real PAdES signatures.

The keys (agreements/data/demo/signing.py) are made for MAIS NRW, the Kreis Mettmann and the Rhein-Kreis Neuss in a
new folder under settings.DEMO_SIGNING_DIR; their certificates say DEMO and the records are flagged is_demo. The
demo timestamp authority is switched off again once the Nachtrag is signed: the demo's other agreements, and the
ones its users make, are signed on paper as before, until an admin switches it on. The trust anchor stays active,
so the Nachtrag's signatures validate.

The timeline steps the services record for the Nachtrag make no notices (the demo's other steps make none either).
A second run finds the Nachtrag by its § 6 and leaves it, and the keys, as they are.
"""

import contextlib
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.data.demo import signing as demo_signing
from agreements.data.demo.loader import CHANGE_REASON, DemoDataError
from agreements.models import Agreement, Document, Signature, SigningKey, TimestampAuthority, TrustAnchor

SIGNING_PARTIES = ("mais-nrw", "kreis-mettmann", "rhein-kreis-neuss")

REVIEW_HEADING = "§ 4 Zielnachhaltung"
REVIEW_SECTION = (
    "Der Kreis Mettmann berichtet dem MAIS NRW zum Ende des ersten Halbjahres und nach Ablauf des Jahres über den "
    "Stand der Zielerreichung. Die Ergebnisse werden in einem Nachhaltedialog zwischen dem MAIS NRW und dem Kreis "
    "Mettmann erörtert, zu dem das Jobcenter ME-aktiv hinzugezogen wird."
)
NOTE_HEADING = "§ 6 Hinweis zur Demo"
NOTE_SECTION = (
    "Dieser Nachtrag ist erfunden. Er zeigt in der Demo-Installation die elektronische Unterzeichnung: Beide "
    "Vertragspartner haben ihn mit Demo-Schlüsseln (PAdES mit Zeitstempel) unterzeichnet, die load_demo für diese "
    "Installation erzeugt hat. Die Zertifikate sind als DEMO gekennzeichnet und nur in dieser Installation "
    "vertrauenswürdig; sie taugen nicht für echte Vereinbarungen. Die Zielvereinbarung 2012 selbst wurde auf "
    "Papier unterzeichnet."
)
SEND_NOTE = "Nachtrag des Kreises Mettmann: Das Jobcenter ME-aktiv wird zum Nachhaltedialog hinzugezogen."
SIGNATORIES = (
    # username, function, place; the name is the demo account's
    ("mais-editor", "Bearbeiterin (Demo-Konto)", "Düsseldorf"),
    ("kreis-editor", "Bearbeiterin (Demo-Konto)", "Mettmann"),
)


def find(agreement_2012):
    """The demo's signed Nachtrag, or None."""
    return (Agreement.objects.filter(amends=agreement_2012, sections__heading=NOTE_HEADING)
            .order_by("pk").first())


def load(loader, agreement_2012, parties, users):
    """The signed Nachtrag; made once, with the demo keys it needs. `parties`: Party by key; `users`: by username."""
    amendment = find(agreement_2012)
    if amendment is not None:
        loader.count(Agreement, "unchanged")
        return amendment
    last_document = Document.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    try:
        with _without_notices():
            made_tsa = _install_keys(loader, [parties[key] for key in SIGNING_PARTIES])
            with _timestamps(made_tsa):
                amendment = _negotiate_and_sign(agreement_2012, users)
    finally:
        # The signed files go with the rows if this or a later step fails (load_demo's delete_saved_files).
        loader.saved_files += [(d.file.storage, d.file.name) for d in Document.objects.filter(pk__gt=last_document)]
    loader.count(Agreement, "created", amendment)
    return amendment


def _install_keys(loader, parties):
    """Demo keys for the parties that have none, and the demo TSA and trust anchor if there is no TSA; a fresh
    folder per run, so that no earlier key's files are overwritten. Returns the TSA made now, or None."""
    before = {model: set(model.objects.values_list("pk", flat=True))
              for model in (SigningKey, TimestampAuthority, TrustAnchor)}
    if all(SigningKey.objects.filter(party=party).exists() for party in parties) and before[TimestampAuthority]:
        return None
    base = Path(settings.DEMO_SIGNING_DIR)
    base.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{timezone.localdate():%Y-%m-%d}-", dir=base))
    # Rolled back with the rows if a later step fails (load_demo's delete_saved_files).
    in_folder = FileSystemStorage(location=folder)
    try:
        demo_signing.install(folder, parties)
    finally:
        loader.saved_files += [(in_folder, path.name) for path in folder.iterdir()]
    made_tsa = None
    for model, pks in before.items():
        for row in model.objects.exclude(pk__in=pks).order_by("pk"):
            loader.count(model, "created", row)
            for name in ("pkcs12_file", "local_key"):
                stored = getattr(row, name, None)
                if stored:
                    loader.saved_files.append((stored.storage, stored.name))
            if model is TimestampAuthority:
                made_tsa = row
    return made_tsa


@contextlib.contextmanager
def _timestamps(made_tsa):
    """An active TSA while the Nachtrag is signed: the configured one, else the demo's (switched on for the
    signatures). A demo TSA made or switched on here is switched off again afterwards."""
    tsa = TimestampAuthority.objects.filter(is_active=True).first()
    if tsa is not None and tsa != made_tsa:
        yield tsa
        return
    tsa = tsa or TimestampAuthority.objects.filter(is_demo=True).order_by("-pk").first()
    if tsa is None:
        raise DemoDataError(_("Für die Demo-Unterschriften fehlt ein Zeitstempeldienst."))
    _set_active(tsa, True)
    yield tsa
    _set_active(tsa, False)


def _set_active(tsa, active):
    if tsa.is_active != active:
        tsa.is_active = active
        tsa._change_reason = CHANGE_REASON
        tsa.save(update_fields=["is_active", "modified"])


@contextlib.contextmanager
def _without_notices():
    """The services record timeline steps, which the notifications app turns into notices and mails after the
    commit; the demo's history is not news to anybody."""
    from agreements.services.base import step_recorded

    try:
        from notifications.hooks import on_step
    except ImportError:  # the notifications app is not installed
        yield
        return
    uid = "notifications.hooks.on_step"
    disconnected = step_recorded.disconnect(dispatch_uid=uid)
    try:
        yield
    finally:
        if disconnected:
            step_recorded.connect(on_step, dispatch_uid=uid)


def _negotiate_and_sign(agreement_2012, users):
    from agreements.services import agreements, lifecycle, versions

    kreis, mais = users["kreis-editor"], users["mais-editor"]
    amendment = lifecycle.create_amendment(user=kreis, agreement=agreement_2012)
    review = amendment.sections.get(heading=REVIEW_HEADING)
    agreements.save_section(user=kreis, agreement=amendment, section=review, lock_version=review.lock_version,
                            data={"heading": REVIEW_HEADING, "text": REVIEW_SECTION})
    agreements.save_section(user=kreis, agreement=amendment, data={"heading": NOTE_HEADING, "text": NOTE_SECTION})
    versions.send_draft(user=kreis, agreement=amendment, note=SEND_NOTE)
    lifecycle.agree(user=mais, agreement=amendment)
    for username, function, place in SIGNATORIES:
        user = users[username]
        lifecycle.sign(user=user, agreement=amendment, data={
            "signatory_name": user.get_full_name(), "signatory_function": function, "date": timezone.localdate(),
            "place": place})
    amendment.refresh_from_db()
    methods = set(amendment.signatures.values_list("method", flat=True))
    if amendment.status != Agreement.Status.SIGNED or methods != {Signature.Method.PADES}:
        raise DemoDataError(_(
            "Der Demo-Nachtrag ist nicht elektronisch unterzeichnet (Status „%(status)s“); ist ein Signaturschlüssel "
            "abgeschaltet?") % {"status": amendment.get_status_display()})
    return amendment
