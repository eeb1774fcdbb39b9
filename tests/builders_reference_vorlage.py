"""Vorlage 50/015/2012 of the Kreis Mettmann, the paper the Vorlage PDF reproduces: its values, built with the
factories (no demo data needed) or taken from the demo case. Shared by the Vorlage PDF, bundle, export, draft and
record-language tests."""

import contextlib
import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command, get_commands
from django.test import override_settings
from django.utils import translation

from agreements import models as m
from agreements.services import vorlagen as vorlage_svc

from . import factories as f

REFERENCE = "50/015/2012"
NAME = (
    "Zielsteuerung 2012 in der Grundsicherung für Arbeitsuchende\n"
    "- Abschluss einer Zielvereinbarung zwischen dem MAIS NRW und dem Kreis Mettmann als kommunaler Träger "
    "des Jobcenters für das Jahr 2012"
)
RESOLUTION = "Die Ausführungen der Verwaltung werden zur Kenntnis genommen."
OCCASION_START = "Bereits im Jahr 2011 hat der Kreis Mettmann"
CONCLUSION_START = "Die vorliegende Zielvereinbarung enthält keine quantifizierbaren Ziele"
SECTIONS = ("I. Rechtliche Grundlagen", "II. Verfahren", "III. Rahmenbedingungen und Inhalte")
ANLAGEN = (
    "Zielvereinbarung MAIS – Kreis Mettmann 2012",
    "Anlage zur Zielvereinbarung",
    "Anschreiben des Landrates vom 04.03.2012 an das MAIS",
    "Schreiben des MAIS NRW vom 29.03.2012",
    "Schreiben der Liga der Wohlfahrtsverbände vom 23.01.2012",
)

LOREM = (
    "Nach Aussagen des MAIS NRW sollen für diese Zielvereinbarung zunächst keine zahlenmäßigen "
    "Zieldimensionen festgelegt werden, sondern Tendenzen und qualitative Ziele (z. B. Optimierung, "
    "Beobachtung, Evaluation), um dann darauf aufbauend zukünftig ergebnisorientierte Ziele zu formulieren."
)


def build_reference_vorlage(*, anlage_files=None, sections=None, **fields):
    """Vorlage 50/015/2012 with the reference's values, made with the factories (no demo data needed).

    anlage_files: bytes (or None) per Anlage, stored as Documents; default: the five titles without files.
    """
    county = f.PartyFactory(name="Kreis Mettmann", short_name="ME")
    department = f.DepartmentFactory(party=county, number="50", name="Sozialamt")
    author = f.PersonFactory(
        party=county, department=department, form_of_address="Frau", given_name="Ulrike", family_name="Gansauer",
    )
    values = {
        "department": department, "author": author, "year": 2012, "running_number": 15, "reference": REFERENCE,
        "date": datetime.date(2012, 4, 19), "file_reference": "50-1", "name": NAME,
        "decision_type": m.Vorlage.DecisionType.BESCHLUSS, "public": True,
        "financial_impact": m.Impact.YES, "financial_impact_text": "Sachkosten von 1.200 € im Haushaltsjahr 2012.",
        "personnel_impact": m.Impact.NO, "organisational_impact": m.Impact.UNCLEAR,
        "resolution": RESOLUTION,
        "occasion": f"{OCCASION_START} eine erste Zielvereinbarung abgeschlossen.\n\n{LOREM}",
        "conclusion": f"{CONCLUSION_START}, sondern qualitative Leitziele und Tendenzen.\n\n{LOREM}",
        "status": m.Vorlage.Status.DRAFT,
    }
    values.update(fields)
    # A released Vorlage accepts no new rows: build it as a draft, then set the status.
    status = values.pop("status")
    vorlage = f.VorlageFactory(**values)
    committee = f.CommitteeFactory(party=county, name="Sozialausschuss")
    m.Consultation.objects.create(
        paper=vorlage, committee=committee, meeting_date=datetime.date(2012, 5, 21),
        role=m.Consultation.Role.NOTICE, authoritative=True, order=1,
    )
    for order, (heading, text) in enumerate(sections or [(h, "\n\n".join([LOREM] * 4)) for h in SECTIONS], 1):
        m.VorlageSection.objects.create(vorlage=vorlage, order=order, heading=heading, text=text)
    files = anlage_files if anlage_files is not None else [None] * len(ANLAGEN)
    for order, (title, content) in enumerate(zip(ANLAGEN, files, strict=False), start=1):
        document = None
        if content is not None:
            document = f.DocumentFactory(title=title, kind=m.Document.Kind.ANNEX, content=content)
        m.VorlageAnlage.objects.create(vorlage=vorlage, order=order, title=title, document=document)
    if status != vorlage.status:
        m.Vorlage.objects.filter(pk=vorlage.pk).update(status=status)
        vorlage.refresh_from_db()
    return vorlage


def demo_available():
    return "load_demo" in get_commands()


def load_demo_vorlage(media_root):
    """The demo's Vorlage 50/015/2012 (call inside a transaction that is rolled back)."""
    with override_settings(DEBUG=True, MEDIA_ROOT=media_root, DEMO_SIGNING_DIR=f"{media_root}-signing"):
        call_command("load_demo", force=True, verbosity=0)
    vorlage = m.Vorlage.objects.filter(reference=REFERENCE).first()
    if vorlage is None:
        pytest.skip("load_demo did not create Vorlage 50/015/2012")
    return vorlage


def prefill_demo_vorlage(language=None):
    """Loads the demo and pre-fills a new Vorlage from its 2012 agreement of the Kreis Mettmann with the MAIS NRW,
    as the county's editor does for the paper of 19.04.2012 (Fachbereich 50, Frau Gansauer); with `language`, the
    editor works in that language. Returns the Vorlage and the agreement."""
    from agreements.data.demo import load_demo

    load_demo()
    editor = get_user_model().objects.get(username="kreis-editor")
    agreement = m.Agreement.objects.get(year=2012, agreement_parties__party__key="mais-nrw",
                                        agreement_parties__role="land", title__contains="Kreis Mettmann",
                                        amends=None)  # the agreement, not the demo's Nachtrag to it
    department = m.Department.objects.get(party__key="kreis-mettmann", number="50")
    author = m.Person.objects.get(family_name="Gansauer")
    with translation.override(language) if language else contextlib.nullcontext():
        vorlage = vorlage_svc.create_vorlage_from_agreement(
            user=editor, agreement=agreement, department=department, author=author, date=datetime.date(2012, 4, 19))
    return vorlage, agreement
