"""Demo data: the Kreis Mettmann's real 2012 case (Vorlage 50/015/2012) as structured data.

What the reference paper states is reproduced exactly: names, dates, the committee paper's texts (verbatim,
with the paper's own typos such as "durch das das Ministerium"). What it does not state (the agreement's
wording, the ministry's offers, the Kreis's individual proposals, the exact days of some steps, the signing
dates) is invented to be plausible. Offer texts start with "Beispiel: " and the generated PDFs say that they
are reconstructions, so nobody mistakes them for the originals.

`load_demo()` is idempotent: rows are looked up by natural keys, created when missing, and saved only when a
field differs from the demo value. A second run creates nothing and saves nothing.

The package, in the order the case is loaded (`_run`):
- loader: the idempotent writes and building blocks every other module uses;
- people: demo accounts, persons, the Sozialamt, committees;
- other_agreements: the 2011 predecessors, the 2012 Jobcenter agreement, the Rhein-Kreis Neuss;
- agreement_2012: the 2012 agreement's wording, goals and offers;
- anlagen: the PDFs of the agreement, the offers and the letters;
- negotiation_2012: drafts, letters, statements, proposals, timeline and signatures of 2012;
- deadlines: the reports § 4 of the 2012 agreement names;
- vorlage: Vorlage 50/015/2012 and its consultation;
- signed_amendment: the demo keys, and the 1. Nachtrag to the 2012 agreement, signed electronically with them.
"""

from django.core.management import call_command
from django.db import transaction

from agreements.data.catalogue import TOPICS
from agreements.data.demo import (
    agreement_2012,
    anlagen,
    deadlines,
    negotiation_2012,
    other_agreements,
    people,
    signed_amendment,
    vorlage,
)
from agreements.data.demo.agreement_2012 import KDU_TITLE, TITLE_2012
from agreements.data.demo.anlagen import ANLAGE_AGREEMENT
from agreements.data.demo.loader import DemoDataError, Loader
from agreements.data.demo.people import DEMO_PASSWORD, DEMO_USERS
from agreements.data.demo.vorlage import VORLAGE_NAME, VORLAGE_REFERENCE
from agreements.models import Party, Topic

__all__ = [
    "ANLAGE_AGREEMENT", "DEMO_PASSWORD", "DEMO_USERS", "KDU_TITLE", "TITLE_2012", "VORLAGE_NAME", "VORLAGE_REFERENCE",
    "DemoDataError", "load_demo",
]

PARTY_KEYS = (
    "mais-nrw", "rd-nrw", "landkreistag-nrw", "liga-nrw", "kreis-mettmann", "jobcenter-kreis-mettmann",
    "rhein-kreis-neuss", "jobcenter-rhein-kreis-neuss",
)


def load_demo(stdout=None) -> dict:
    """Load the demo case; returns {"counts": {model: {created, changed, unchanged}}, "logins": [...]}.

    stdout, when given, receives one line per created or changed row.
    """
    loader = Loader(stdout)
    try:
        with transaction.atomic():
            _run(loader)
    except BaseException:
        # The rows are rolled back; the files written for them must go too.
        loader.delete_saved_files()
        raise
    return {"counts": loader.counts, "logins": loader.logins}


def _run(loader):
    if not Party.objects.filter(key="mais-nrw").exists():
        call_command("load_reference", verbosity=0)
    parties = loader.parties(PARTY_KEYS)
    mais, mettmann = parties["mais-nrw"], parties["kreis-mettmann"]
    me_aktiv, neuss = parties["jobcenter-kreis-mettmann"], parties["rhein-kreis-neuss"]

    users = people.load_users(loader)
    persons = people.load_people(loader, mais, mettmann, neuss, users["kreis-editor"])
    topics = {
        number: loader.ensure(Topic, {"number": number}, {"name": name}, create_only=True)
        for number, name in TOPICS
    }

    agreement_2011, agreement_2011_jc = other_agreements.load_2011(loader, mais, mettmann, me_aktiv)
    agreement, goals = agreement_2012.load(loader, mais, mettmann, parties["rd-nrw"], topics, agreement_2011)
    documents = anlagen.load(loader, agreement)
    negotiation_2012.load(loader, agreement, parties, persons, goals, documents)
    deadlines.load(loader, agreement, mettmann)
    other_agreements.load_2012_jobcenter(loader, mettmann, me_aktiv, agreement_2011_jc, agreement)
    other_agreements.load_neuss(loader, mais, neuss, parties["jobcenter-rhein-kreis-neuss"])
    committees = people.load_committees(loader, mettmann, users["ausschuss"])
    vorlage.load(loader, persons, committees, agreement, documents)
    signed_amendment.load(loader, agreement, parties, users)
