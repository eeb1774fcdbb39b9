"""Vorlagen: the draft written from an agreement, editing, the lifecycle, the PDFs, bad input, query counts.

The helpers at the top (vorlage_world, make_vorlage) are shared with test_vorlage_access and
test_vorlage_numbering.
"""

import datetime
import hashlib
import io
import re
from types import SimpleNamespace

import pikepdf
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agreements import models as m
from agreements.infra.errors import ConflictError, DomainError
from agreements.services import vorlagen as svc

from .factories import DocumentFactory, aware
from .test_uploads import exe_bytes, pdf_bytes, truncated_pdf_bytes, upload

S = m.Vorlage.Status
TODAY = timezone.localdate()
SOON = TODAY + datetime.timedelta(days=14)


# --- Shared helpers ---------------------------------------------------------------------------------------------


def vorlage_world(world):
    """The world plus what Vorlagen need: Fachbereich 50 of the county, its author, a meeting of the county's
    Sozialausschuss in two weeks, and the same for the neighbouring county."""
    department = m.Department.objects.create(party=world.county, number="50", name="Sozialamt")
    other_department = m.Department.objects.create(party=world.other_county, number="51", name="Sozialamt")
    author = m.Person.objects.create(
        party=world.county, department=department, form_of_address="Frau", given_name="Ulrike",
        family_name="Gansauer", function="Bearbeiterin", user=world.users.editor,
    )
    other_author = m.Person.objects.create(party=world.other_county, department=other_department,
                                           family_name="Nachbar", form_of_address="Herr")
    meeting = m.Meeting.objects.create(committee=world.committee, name="Sitzung des Sozialausschusses",
                                       start=aware(SOON.year, SOON.month, SOON.day, 15))
    second_committee = m.Committee.objects.create(party=world.county, name="Kreisausschuss")
    second_meeting = m.Meeting.objects.create(committee=second_committee,
                                              start=aware(SOON.year, SOON.month, SOON.day, 10))
    other_committee = m.Committee.objects.create(party=world.other_county, name="Sozialausschuss Nachbar")
    other_meeting = m.Meeting.objects.create(committee=other_committee,
                                             start=aware(SOON.year, SOON.month, SOON.day, 9))
    return SimpleNamespace(
        world=world, users=world.users, department=department, other_department=other_department, author=author,
        other_author=other_author, committee=world.committee, meeting=meeting, second_committee=second_committee,
        second_meeting=second_meeting, other_committee=other_committee, other_meeting=other_meeting,
    )


def make_vorlage(vw, *, status=S.DRAFT, public=True, department=None, author=None, name="Zielsteuerung",
                 sections=1, consultations=1, anlagen=1, committee=None, meeting=None, anlage_content=None,
                 agreement=None):
    """A Vorlage written straight into the database (no services): released ones get a stored PDF."""
    department = department or vw.department
    author = author or (vw.author if department == vw.department else vw.other_author)
    committee = committee or (vw.committee if department == vw.department else vw.other_committee)
    meeting = meeting if meeting is not None else (vw.meeting if committee == vw.committee else None)
    running, reference = svc.next_reference(department, TODAY.year)
    vorlage = m.Vorlage.objects.create(
        reference=reference, department=department, year=TODAY.year, running_number=running, author=author,
        date=TODAY, name=name, public=public, non_public_reason="" if public else "Personalangelegenheit",
        agreement=agreement, resolution="Die Ausführungen der Verwaltung werden zur Kenntnis genommen.",
        occasion="Anlass", conclusion="Fazit",
    )
    for i in range(sections):
        m.VorlageSection.objects.create(vorlage=vorlage, order=i + 1, heading=f"{i + 1}. Abschnitt", text="Text")
    for i in range(consultations):
        m.Consultation.objects.create(paper=vorlage, committee=committee, meeting=meeting, order=i + 1,
                                      meeting_date=SOON, role=m.Consultation.Role.NOTICE)
    for i in range(anlagen):
        document = DocumentFactory(content=anlage_content or pdf_bytes(), kind=m.Document.Kind.ANNEX,
                                   title=f"Anlage {i + 1}", original_filename=f"anlage-{i + 1}.pdf")
        m.VorlageAnlage.objects.create(vorlage=vorlage, order=i + 1, title=f"Anlage {i + 1}", document=document)
    if status != S.DRAFT:
        main = DocumentFactory(content=pdf_bytes(pages=2), kind=m.Document.Kind.VORLAGE,
                               title=f"Vorlage {reference}", original_filename="vorlage.pdf")
        # Bypasses the model's guard on purpose: the fixture writes what a release would have written.
        m.Vorlage.objects.filter(pk=vorlage.pk).update(status=status, released_at=timezone.now(), main_file=main)
    return m.Vorlage.objects.select_related("department", "main_file").get(pk=vorlage.pk)


def header_data(vorlage, **changes):
    """The edit form's POST data for the Vorlage as it is, with changes."""
    data = {
        "paper_type": vorlage.paper_type, "decision_type": vorlage.decision_type,
        "public": "on" if vorlage.public else "", "non_public_reason": vorlage.non_public_reason,
        "author": vorlage.author_id, "date": vorlage.date.isoformat(), "file_reference": vorlage.file_reference,
        "name": vorlage.name, "resolution": vorlage.resolution, "occasion": vorlage.occasion,
        "conclusion": vorlage.conclusion, "lock_version": vorlage.lock_version,
    }
    for impact, text in svc.IMPACTS:
        data[impact], data[text] = getattr(vorlage, impact), getattr(vorlage, text)
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def service_header(vorlage, **changes):
    data = {name: getattr(vorlage, name) for name in svc.HEADER_FIELDS}
    data.update(changes)
    return data


def body(response):
    """The response's bytes. Reading a streamed one to its end closes it the way the test client expects;
    closing it again would fire request_finished and, on PostgreSQL, close the test's connection."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


@pytest.fixture
def vw(world):
    return vorlage_world(world)


def stub_pdfs(monkeypatch):
    """Replaces WeasyPrint and the bundle merge with stand-ins, for tests about access and counting."""
    from agreements.pdf import bundle
    from agreements.pdf import vorlage as pdf_vorlage
    from agreements.pdf.render import RenderedPdf
    from agreements.views import vorlagen as views

    def render(vorlage, *, use_cache=None):
        content = pdf_bytes()
        return RenderedPdf(content=content, sha256=hashlib.sha256(content).hexdigest(), html="")

    def build(vorlage_pdf, anlagen, **meta):
        for _title, data in anlagen:
            if data is not None and not data.startswith(b"%PDF-"):
                raise bundle.BundleError(f"{_title} ist keine PDF-Datei.")
        return SimpleNamespace(content=pdf_bytes(pages=2))

    monkeypatch.setattr(pdf_vorlage, "render_vorlage", render)
    monkeypatch.setattr(views, "render_vorlage", render)
    monkeypatch.setattr(bundle, "build_bundle", build)


@pytest.fixture
def fast_pdfs(monkeypatch):
    stub_pdfs(monkeypatch)


# --- The draft written from an agreement ------------------------------------------------------------------------


def rich_agreement(world, vw):
    """The world's 2013 agreement with everything a Vorlage reports on, modelled on the 2012 case."""
    agreement = world.agreement
    county, ministry = world.county, world.ministry
    agreement.legal_bases.set([
        m.LegalBasis.objects.create(citation="§ 48b SGB II", order=10, text="§ 48b SGB II enthält die rechtlichen "
                                    "Grundlagen für den Abschluss von Zielvereinbarungen."),
        m.LegalBasis.objects.create(citation="§ 6 Abs. 1 Nr. 2 SGB II", title="Kommunale Aufgaben", order=40),
    ])
    agreement.legal_basis_note = "Ergänzend gilt § 1 AG-SGB II NRW."
    agreement.save(update_fields=["legal_basis_note"])

    predecessor = m.Agreement.objects.create(title="Zielvereinbarung 2012", year=2012)
    m.AgreementParty.objects.create(agreement=predecessor, party=ministry, role="land", order=0)
    m.AgreementParty.objects.create(agreement=predecessor, party=county, role="kommunaler_traeger", order=1)
    jc_predecessor = m.Agreement.objects.create(title="Zielvereinbarung 2012 Kreis – Jobcenter", year=2012)
    m.AgreementParty.objects.create(agreement=jc_predecessor, party=county, role="kommunaler_traeger", order=0)
    m.AgreementParty.objects.create(agreement=jc_predecessor, party=world.jobcenter, role="jobcenter", order=1)
    predecessor.related.add(jc_predecessor)
    for each in (predecessor, jc_predecessor):
        goal = m.Goal.objects.create(agreement=each, title="Senkung der KdU", kind="qualitativ", direction="senkung")
        review = m.Review.objects.create(agreement=each, kind="jahresabschluss", date=datetime.date(2013, 3, 1))
        m.Assessment.objects.create(review=review, goal=goal, status=m.Assessment.Status.ACHIEVED)
    agreement.predecessor = predecessor
    agreement.save(update_fields=["predecessor"])
    jobcenter_agreement = m.Agreement.objects.create(title="Zielvereinbarung 2013 Kreis – Jobcenter", year=2013)
    m.AgreementParty.objects.create(agreement=jobcenter_agreement, party=county, role="kommunaler_traeger", order=0)
    m.AgreementParty.objects.create(agreement=jobcenter_agreement, party=world.jobcenter, role="jobcenter", order=1)
    agreement.related.add(jobcenter_agreement)

    K, P = m.ProcedureStep.Kind, m.ProcedureStep.Precision
    steps = [
        (datetime.date(2012, 7, 1), P.HALF_YEAR, K.MEETING, "Zielsteuerungsgespräche mit den Kreisen", ""),
        (datetime.date(2012, 11, 1), P.MONTH, K.REFERENCE_VALUES, "Referenzwerte mitgeteilt", ""),
        (datetime.date(2012, 12, 1), P.MONTH, K.OTHER, "Beginn der Verhandlungen", ""),
        (datetime.date(2013, 1, 25), P.DAY, K.DRAFT_SENT, "Überarbeiteter Entwurf",
         "Der Kreis Mettmann übersandte am 25.01.2013 seinen überarbeiteten Entwurf."),
        (datetime.date(2013, 2, 1), P.MONTH, K.EVALUATION, "Auswertung aller Entwürfe", "Das MAIS NRW wertete aus."),
    ]
    for date, precision, kind, title, description in steps:
        m.ProcedureStep.objects.create(agreement=agreement, date=date, date_precision=precision, kind=kind,
                                       title=title, description=description)
    m.ProcedureStep.objects.create(agreement=agreement, date=datetime.date(2013, 1, 2), kind=K.STATUS,
                                   title="Entwurf angelegt", automatic=True)

    rd = m.Party.objects.create(key="rd-nrw", name="Regionaldirektion NRW", kind=m.Party.Kind.REGIONALDIREKTION)
    topic2 = m.Topic.objects.create(number=2, name="Langzeitleistungsbeziehende")
    for title in ("Workshops", "Arbeitshilfe"):
        m.SupportOffer.objects.create(agreement=agreement, topic=topic2, title=title, provider=ministry,
                                      coordinated_with=rd)
    m.SupportOffer.objects.filter(pk=world.offer.pk).update(coordinated_with=rd)

    annex = DocumentFactory(agreement=agreement, kind=m.Document.Kind.ANNEX, content=pdf_bytes(),
                            title="Übersicht der Unterstützungsangebote")
    letter_file = DocumentFactory(agreement=agreement, kind=m.Document.Kind.LETTER, content=pdf_bytes(),
                                  title="Schreiben MAIS")
    m.Letter.objects.filter(pk=world.letter.pk).update(document=letter_file)
    hendele = m.Person.objects.create(party=county, form_of_address="Herr", given_name="Thomas",
                                      family_name="Hendele", function="Landrat")
    schaeffer = m.Person.objects.create(party=ministry, form_of_address="Herr", title="Dr.", given_name="Wilhelm",
                                        family_name="Schäffer", function="Staatssekretär")
    landrat_file = DocumentFactory(agreement=agreement, kind=m.Document.Kind.LETTER, content=pdf_bytes(),
                                   title="Anschreiben")
    m.Letter.objects.create(agreement=agreement, date=datetime.date(2013, 3, 4), direction="ausgang",
                            sender=county, recipient=ministry, sender_person=hendele, subject="Anmerkungen",
                            document=landrat_file)
    statement_file = DocumentFactory(agreement=agreement, kind=m.Document.Kind.STATEMENT, content=pdf_bytes(),
                                     title="Stellungnahme")
    m.Statement.objects.filter(pk=world.statement.pk).update(document=statement_file, include_as_annex=True)
    m.Proposal.objects.filter(pk=world.proposal.pk).update(
        decision=m.Proposal.Decision.REJECTED, reason="Nicht Gegenstand der Vereinbarung.",
        answer_letter=world.letter, concerns="Stellungnahme der Liga als Anlage")
    m.Proposal.objects.create(agreement=agreement, party=county, text="Lokales Ziel", concerns="Lokales Ziel",
                              decision=m.Proposal.Decision.ADOPTED)

    m.Signature.objects.create(agreement=agreement, party=county, person=hendele, signatory_name="Thomas Hendele",
                               signatory_function="Landrat", date=datetime.date(2013, 4, 10), place="Mettmann")
    m.Signature.objects.create(agreement=agreement, party=ministry, person=schaeffer,
                               signatory_name="Dr. Wilhelm Schäffer", signatory_function="Staatssekretär",
                               date=datetime.date(2013, 4, 16), place="Düsseldorf")
    signed = DocumentFactory(agreement=agreement, kind=m.Document.Kind.AGREEMENT, content=pdf_bytes(),
                             title="Zielvereinbarung (unterzeichnete Fassung)")
    m.Agreement.objects.filter(pk=agreement.pk).update(status=m.Agreement.Status.SIGNED, signed_file=signed)
    return SimpleNamespace(agreement=m.Agreement.objects.get(pk=agreement.pk), annex=annex, signed=signed,
                           letter_file=letter_file, landrat_file=landrat_file, statement_file=statement_file)


def from_agreement(vw, agreement, date=datetime.date(2013, 4, 19)):
    return svc.create_vorlage_from_agreement(user=vw.users.editor, agreement=agreement, department=vw.department,
                                             author=vw.author, date=date)


def paragraphs(text):
    return text.split("\n\n")


def test_it_prefills_title_and_occasion_from_the_agreement(vw):
    case = rich_agreement(vw.world, vw)
    vorlage = from_agreement(vw, case.agreement)
    assert vorlage.reference == "50/001/2013" and vorlage.status == S.DRAFT
    assert vorlage.name == (
        "Zielsteuerung 2013 in der Grundsicherung für Arbeitsuchende\n- Abschluss einer Zielvereinbarung zwischen "
        "dem MAIS NRW und dem Kreis Mettmann als kommunaler Träger des Jobcenters für das Jahr 2013"
    )
    assert vorlage.paper_type == m.Vorlage.PaperType.BESCHLUSSVORLAGE
    assert vorlage.decision_type == m.Vorlage.DecisionType.BESCHLUSS and vorlage.public
    assert vorlage.resolution == "Die Ausführungen der Verwaltung werden zur Kenntnis genommen."
    assert paragraphs(vorlage.occasion) == [
        "Bereits im Jahr 2012 hat der Kreis Mettmann sowohl mit dem Jobcenter ME-aktiv als auch mit dem "
        "Ministerium für Arbeit, Integration und Soziales (MAIS NRW) eine erste Zielvereinbarung abgeschlossen. "
        "Diese Vereinbarungen enthielten das gleichlautende Ziel „Senkung der KdU“ für das Jahr 2012. Dieses Ziel "
        "wurde erreicht.",
        "Im November 2012 teilte das MAIS NRW die Referenzwerte und die dazugehörigen Korridore für die "
        "Zielvereinbarung 2013 mit.",
        "Im Dezember 2012 begannen die Verhandlungen über die Inhalte der Zielvereinbarung 2013.",
        "Die Zielvereinbarung zwischen dem MAIS NRW und dem Kreis Mettmann ist inzwischen von Herrn Landrat "
        "Hendele und Herrn Staatssekretär Dr. Schäffer unterzeichnet worden.",
    ]
    step = m.ProcedureStep.objects.filter(agreement=case.agreement, title__startswith="Vorlage 50/001/2013").get()
    assert step.automatic and step.actor == vw.users.editor


def test_it_prefills_the_sachverhalt_sections_i_ii_iii(vw):
    case = rich_agreement(vw.world, vw)
    vorlage = from_agreement(vw, case.agreement)
    sections = list(vorlage.sections.order_by("order"))
    assert [s.heading for s in sections] == [
        "I. Rechtliche Grundlagen", "II. Verfahren", "III. Rahmenbedingungen und Inhalte",
    ]
    assert paragraphs(sections[0].text) == [
        "§ 48b SGB II enthält die rechtlichen Grundlagen für den Abschluss von Zielvereinbarungen.",
        "§ 6 Abs. 1 Nr. 2 SGB II – Kommunale Aufgaben",
        "Ergänzend gilt § 1 AG-SGB II NRW.",
    ]
    # In date order, each as precise as its date is known; the Anlass's steps and automatic entries left out.
    assert paragraphs(sections[1].text) == [
        "Im zweiten Halbjahr 2012 fand das Gespräch „Zielsteuerungsgespräche mit den Kreisen“ statt.",
        "Am 16.12.2012 fand das Gespräch „Zielsteuerungsgespräch“ statt.",
        "Der Kreis Mettmann übersandte am 25.01.2013 seinen überarbeiteten Entwurf.",
        "Im Februar 2013 erfolgte die Auswertung („Auswertung aller Entwürfe“). Das MAIS NRW wertete aus.",
    ]
    framework = sections[2].text
    assert framework.startswith(
        "Die Zielvereinbarung 2013 enthält keine zahlenmäßigen Zielwerte, sondern ausschließlich qualitative "
        "Leitziele und Tendenzen (Senkung).")
    assert "Das MAIS NRW will zu insgesamt zwei Themenschwerpunkten Unterstützung anbieten:" in framework
    assert "- 1. Alleinerziehende (1 Angebot)\n- 2. Langzeitleistungsbeziehende (2 Angebote)" in framework
    assert "Die Unterstützungsangebote sind mit der Regionaldirektion NRW abgestimmt." in framework
    assert "Sie können der Übersicht entnommen werden, die der Zielvereinbarung beigefügt ist." in framework
    assert ("Einige durch den Kreis Mettmann vorgeschlagenen Inhalte wurden durch das MAIS NRW nicht oder nicht "
            "vollständig übernommen:\n- Stellungnahme der Liga als Anlage (nicht übernommen)") in framework
    assert "Lokales Ziel" not in framework  # adopted
    assert framework.endswith(
        "Zu den entsprechenden inhaltlichen Erläuterungen wird auf das Schreiben des MAIS NRW vom 29.03.2013 "
        "verwiesen, das als Anlage dieser Vorlage beigefügt ist.")


def test_it_prefills_conclusion_and_anlagen(vw):
    case = rich_agreement(vw.world, vw)
    vorlage = from_agreement(vw, case.agreement)
    assert paragraphs(vorlage.conclusion) == [
        "Die vorliegende Zielvereinbarung enthält keine quantifizierbaren Ziele, sondern qualitative Leitziele "
        "und Tendenzen. Hierauf aufbauend sollen für zukünftige Vereinbarungen ergebnisorientierte Ziele "
        "formuliert werden.",
        "Der Kreis Mettmann beabsichtigt, eine ähnlich lautende Zielvereinbarung mit dem Jobcenter ME-aktiv für "
        "das Jahr 2013 abzuschließen.",
    ]
    assert [(a.order, a.title, a.document_id) for a in vorlage.anlagen.order_by("order")] == [
        (1, "Zielvereinbarung MAIS NRW – Kreis Mettmann 2013", case.signed.pk),
        (2, "Anlage zur Zielvereinbarung", case.annex.pk),
        (3, "Anschreiben des Landrates vom 04.03.2013 an das MAIS NRW", case.landrat_file.pk),
        (4, "Schreiben des MAIS NRW vom 29.03.2013", case.letter_file.pk),
        (5, "Stellungnahme der Liga der Wohlfahrtsverbände vom 23.01.2013 (Anlage zur Zielvereinbarung)",
         case.statement_file.pk),
    ]


def test_it_keeps_everything_editable_after_prefilling(vw):
    case = rich_agreement(vw.world, vw)
    vorlage = from_agreement(vw, case.agreement)
    user = vw.users.editor
    updated = svc.update_vorlage(user=user, vorlage=vorlage, lock_version=vorlage.lock_version,
                                 data=service_header(vorlage, name="Kurzer Titel", occasion="Neu"))
    assert (updated.name, updated.occasion) == ("Kurzer Titel", "Neu")
    last = vorlage.anlagen.order_by("order").last()
    svc.move_anlage(user=user, anlage=last, direction="up")
    assert list(vorlage.anlagen.order_by("order").values_list("title", flat=True))[3].startswith("Stellungnahme")
    svc.delete_anlage(user=user, anlage=last)
    assert vorlage.anlagen.count() == 4
    section = vorlage.sections.get(heading="II. Verfahren")
    svc.save_section(user=user, vorlage=vorlage, section=section, lock_version=svc.version_token(section),
                     data={"heading": "II. Verfahren", "text": "Gekürzt."})
    assert vorlage.sections.get(pk=section.pk).text == "Gekürzt."


@pytest.mark.django_db
def test_it_reproduces_the_reference_paper_from_the_demo_agreement():
    """Vorlage 50/015/2012: the pre-filled texts say what the Kreis Mettmann's paper says, in its order."""
    from django.contrib.auth import get_user_model

    from agreements.data.demo import ANLAGE_AGREEMENT, VORLAGE_NAME, load_demo

    load_demo()
    editor = get_user_model().objects.get(username="kreis-editor")
    agreement = m.Agreement.objects.get(year=2012, agreement_parties__party__key="mais-nrw",
                                        agreement_parties__role="land", title__contains="Kreis Mettmann")
    department = m.Department.objects.get(party__key="kreis-mettmann", number="50")
    author = m.Person.objects.get(family_name="Gansauer")
    vorlage = svc.create_vorlage_from_agreement(user=editor, agreement=agreement, department=department,
                                                author=author, date=datetime.date(2012, 4, 19))
    assert vorlage.reference == "50/016/2012"  # the demo's paper is 50/015/2012
    assert vorlage.name == VORLAGE_NAME
    occasion = paragraphs(vorlage.occasion)
    assert occasion[0].startswith("Bereits im Jahr 2011 hat der Kreis Mettmann sowohl mit dem Jobcenter ME-aktiv "
                                  "als auch mit dem Ministerium für Arbeit, Integration und Soziales")
    assert occasion[0].endswith("Dieses Ziel wurde erreicht.")
    assert occasion[1].startswith("Im November 2011 teilte das MAIS NRW")
    assert occasion[2].startswith("Im Dezember 2011 begannen die Verhandlungen")
    assert "von Herrn Landrat Hendele und Herrn Staatssekretär Dr. Schäffer unterzeichnet" in occasion[3]
    procedure = vorlage.sections.get(heading="II. Verfahren").text
    assert procedure.startswith("Im zweiten Halbjahr 2011")
    assert procedure.index("Am 16.12.2011") < procedure.index("25.01.2012") < procedure.index("29.03.2012")
    framework = vorlage.sections.get(heading="III. Rahmenbedingungen und Inhalte").text
    assert "zu insgesamt sieben Themenschwerpunkten" in framework
    assert ("Zu den entsprechenden inhaltlichen Erläuterungen wird auf das Schreiben des MAIS NRW vom 29.03.2012 "
            "verwiesen, das als Anlage dieser Vorlage beigefügt ist.") in framework
    assert vorlage.conclusion.startswith("Die vorliegende Zielvereinbarung enthält keine quantifizierbaren Ziele")
    assert vorlage.conclusion.endswith("eine ähnlich lautende Zielvereinbarung mit dem Jobcenter ME-aktiv für das "
                                       "Jahr 2012 abzuschließen.")
    titles = list(vorlage.anlagen.order_by("order").values_list("title", flat=True))
    assert titles == [
        "Zielvereinbarung MAIS NRW – Kreis Mettmann 2012", "Anlage zur Zielvereinbarung",
        "Schreiben der Liga der Wohlfahrtsverbände vom 23.01.2012",
        "Anschreiben des Landrates vom 04.03.2012 an das MAIS NRW", "Schreiben des MAIS NRW vom 29.03.2012",
    ]
    assert vorlage.anlagen.order_by("order").first().document.title == ANLAGE_AGREEMENT


def test_it_drafts_from_a_sparse_agreement_too(vw):
    """No predecessor, nothing signed, no files, no Land: the texts say less, but every part is there."""
    world = vw.world
    vorlage = from_agreement(vw, world.agreement)
    assert "zwischen dem MAIS NRW und dem Kreis Mettmann" in vorlage.name
    assert vorlage.occasion == ""  # nothing on the timeline that the Anlass reports
    assert [s.heading for s in vorlage.sections.all()] == [
        "I. Rechtliche Grundlagen", "II. Verfahren", "III. Rahmenbedingungen und Inhalte"]
    assert vorlage.sections.get(heading="II. Verfahren").text == (
        "Am 16.12.2012 fand das Gespräch „Zielsteuerungsgespräch“ statt.")
    assert not vorlage.anlagen.exists()
    jobcenter_agreement = m.Agreement.objects.create(title="ZV Kreis – Jobcenter", year=2013)
    m.AgreementParty.objects.create(agreement=jobcenter_agreement, party=world.county, role="kommunaler_traeger")
    m.AgreementParty.objects.create(agreement=jobcenter_agreement, party=world.jobcenter, role="jobcenter", order=1)
    other = from_agreement(vw, jobcenter_agreement)
    assert other.name.endswith("zwischen dem Kreis Mettmann und dem Jobcenter ME-aktiv für das Jahr 2013")
    assert other.conclusion == "Die vorliegende Zielvereinbarung für das Jahr 2013 enthält keine Ziele."


def test_it_creates_a_vorlage_without_agreement(vw):
    vorlage = svc.create_vorlage(user=vw.users.editor, data={
        "department": vw.department, "author": vw.author, "date": datetime.date(2012, 4, 19),
        "name": "Bericht über die Arbeit des Jobcenters", "public": True,
    })
    assert vorlage.reference == "50/001/2012" and vorlage.agreement is None
    assert (vorlage.paper_type, vorlage.decision_type) == ("beschlussvorlage", "beschluss")
    assert vorlage.financial_impact == m.Impact.NO and vorlage.created_by == vw.users.editor
    assert not vorlage.sections.exists() and not vorlage.anlagen.exists()


@pytest.mark.parametrize("role", ["reader", "ministry", "outsider", "committee", "admin"])
def test_it_lets_only_editors_of_the_departments_party_create(vw, role):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        svc.create_vorlage(user=getattr(vw.users, role), data={
            "department": vw.department, "author": vw.author, "date": TODAY, "name": "X", "public": True})
    assert not m.Vorlage.objects.exists()


def test_it_refuses_an_agreement_the_user_cannot_see(vw):
    with pytest.raises(DomainError, match="nicht verfügbar"):
        svc.create_vorlage_from_agreement(user=vw.users.editor, agreement=vw.world.other_agreement,
                                          department=vw.department, author=vw.author, date=TODAY)
    assert not m.Vorlage.objects.exists()


def test_it_refuses_a_withdrawn_agreement_as_the_link_rule_does(vw):
    from agreements.policy import vorlage_access

    m.Agreement.objects.filter(pk=vw.world.agreement.pk).update(status=m.Agreement.Status.WITHDRAWN)
    agreement = m.Agreement.objects.get(pk=vw.world.agreement.pk)
    assert not vorlage_access.can_report_on_agreement(vw.users.editor, agreement)
    with pytest.raises(DomainError, match="zurückgezogene"):
        svc.create_vorlage_from_agreement(user=vw.users.editor, agreement=agreement,
                                          department=vw.department, author=vw.author, date=TODAY)
    assert not m.Vorlage.objects.exists()


# --- Editing and optimistic locking -----------------------------------------------------------------------------


def test_it_shows_a_conflict_instead_of_overwriting_the_header(vw, login):
    vorlage = make_vorlage(vw)
    client = login(vw.users.editor)
    stale = header_data(vorlage, name="Meine Fassung")
    svc.update_vorlage(user=vw.users.editor, vorlage=vorlage, lock_version=vorlage.lock_version,
                       data=service_header(vorlage, name="Fassung der Kollegin"))
    response = client.post(reverse("vorlage_edit", args=[vorlage.pk]), stale)
    assert response.status_code == 409
    assert "Fassung der Kollegin" in response.content.decode()
    assert m.Vorlage.objects.get(pk=vorlage.pk).name == "Fassung der Kollegin"


def test_it_shows_a_conflict_for_a_section_saved_in_between(vw, login):
    vorlage = make_vorlage(vw)
    section = vorlage.sections.get()
    token = svc.version_token(section)
    svc.save_section(user=vw.users.editor, vorlage=vorlage, section=section, lock_version=token,
                     data={"heading": "I.", "text": "Erste Fassung"})
    response = login(vw.users.editor).post(
        reverse("vorlage_section_edit", args=[vorlage.pk, section.pk]),
        {"heading": "I.", "text": "Zweite Fassung", "lock_version": token})
    assert response.status_code == 409
    assert m.VorlageSection.objects.get(pk=section.pk).text == "Erste Fassung"
    for token in ("kaputt", "", "4747-10-06", None):
        with pytest.raises(ConflictError):
            svc.save_section(user=vw.users.editor, vorlage=vorlage, section=section, lock_version=token,
                             data={"heading": "I.", "text": "x"})


def test_it_edits_sections_consultations_and_anlagen_through_the_pages(vw, login):
    vorlage = make_vorlage(vw, sections=0, consultations=0, anlagen=0)
    client = login(vw.users.editor)
    assert client.post(reverse("vorlage_section_add", args=[vorlage.pk]),
                       {"heading": "I. Rechtliche Grundlagen", "text": "§ 48b"}).status_code == 302
    assert client.post(reverse("vorlage_section_add", args=[vorlage.pk]),
                       {"heading": "II. Verfahren", "text": ""}).status_code == 302
    first, second = vorlage.sections.order_by("order")
    assert client.post(reverse("vorlage_section_move", args=[vorlage.pk, second.pk, "up"])).status_code == 302
    assert [s.heading for s in vorlage.sections.order_by("order")] == ["II. Verfahren", "I. Rechtliche Grundlagen"]
    assert client.post(reverse("vorlage_section_delete", args=[vorlage.pk, second.pk])).status_code == 302
    assert list(vorlage.sections.values_list("pk", flat=True)) == [first.pk]

    response = client.post(reverse("vorlage_consultation_add", args=[vorlage.pk]), {
        "committee": vw.committee.pk, "meeting": vw.meeting.pk, "role": "kenntnisnahme", "authoritative": "on"})
    assert response.status_code == 302
    consultation = vorlage.consultations.get()
    assert consultation.meeting_date == SOON  # taken from the meeting
    client.post(reverse("vorlage_consultation_add", args=[vorlage.pk]), {
        "committee": vw.second_committee.pk, "meeting_date": SOON.isoformat(), "role": "vorberatung"})
    second_c = vorlage.consultations.get(committee=vw.second_committee)
    client.post(reverse("vorlage_consultation_move", args=[vorlage.pk, second_c.pk, "up"]))
    assert [c.committee_id for c in vorlage.consultations.order_by("order")] == [vw.second_committee.pk,
                                                                                 vw.committee.pk]
    response = client.post(reverse("vorlage_consultation_edit", args=[vorlage.pk, second_c.pk]), {
        "committee": vw.second_committee.pk, "meeting": vw.second_meeting.pk, "role": "vorberatung",
        "lock_version": svc.version_token(second_c)})
    assert response.status_code == 302 and vorlage.consultations.get(pk=second_c.pk).meeting == vw.second_meeting
    client.post(reverse("vorlage_consultation_delete", args=[vorlage.pk, second_c.pk]))
    assert vorlage.consultations.count() == 1

    response = client.post(reverse("vorlage_anlage_add", args=[vorlage.pk]), {
        "title": "Schreiben vom 29.03.2012", "file": upload("schreiben.pdf", pdf_bytes())})
    assert response.status_code == 302
    anlage = vorlage.anlagen.get()
    assert anlage.document.agreement is None and anlage.document.kind == m.Document.Kind.ANNEX
    response = client.post(reverse("vorlage_anlage_edit", args=[vorlage.pk, anlage.pk]), {
        "title": "Schreiben des MAIS NRW vom 29.03.2012", "lock_version": svc.version_token(anlage)})
    assert response.status_code == 302
    assert vorlage.anlagen.get().title == "Schreiben des MAIS NRW vom 29.03.2012"


def test_it_adds_an_anlage_from_the_agreements_documents_only(vw, login):
    document = DocumentFactory(agreement=vw.world.agreement, content=pdf_bytes(), title="Übersicht")
    foreign = DocumentFactory(agreement=vw.world.other_agreement, content=pdf_bytes(), title="fremd")
    vorlage = make_vorlage(vw, anlagen=0, agreement=vw.world.agreement)
    client = login(vw.users.editor)
    response = client.post(reverse("vorlage_anlage_add", args=[vorlage.pk]), {"document": foreign.pk})
    assert response.status_code == 200 and not vorlage.anlagen.exists()
    response = client.post(reverse("vorlage_anlage_add", args=[vorlage.pk]), {"document": document.pk})
    assert response.status_code == 302
    assert vorlage.anlagen.get().title == "Übersicht"
    with pytest.raises(DomainError):
        svc.add_anlage(user=vw.users.editor, vorlage=vorlage, document=foreign)


# --- Bad input --------------------------------------------------------------------------------------------------


def _edit(client, vorlage, **changes):
    return client.post(reverse("vorlage_edit", args=[vorlage.pk]), header_data(vorlage, **changes))


@pytest.mark.parametrize("changes, field", [
    ({"name": ""}, "name"),
    ({"name": "x" * 501}, "name"),
    ({"file_reference": "x" * 101}, "file_reference"),
    ({"public": "", "non_public_reason": ""}, "non_public_reason"),
    ({"financial_impact": "ja", "financial_impact_text": " "}, "financial_impact_text"),
    ({"personnel_impact": "ja"}, "personnel_impact_text"),
    ({"organisational_impact": "ja"}, "organisational_impact_text"),
    ({"financial_impact": "vielleicht"}, "financial_impact"),
    ({"paper_type": "brief"}, "paper_type"),
    ({"date": "2012-13-45"}, "date"),
    ({"date": "1900-01-01"}, "date"),
    ({"date": ""}, "date"),
    ({"author": "999999"}, "author"),
])
def test_it_refuses_bad_header_input_with_a_form_error(vw, login, changes, field):
    vorlage = make_vorlage(vw)
    response = _edit(login(vw.users.editor), vorlage, **changes)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    stored = m.Vorlage.objects.get(pk=vorlage.pk)
    assert (stored.name, stored.lock_version, stored.public) == (vorlage.name, vorlage.lock_version, True)


def test_it_refuses_an_author_of_another_party_and_a_date_in_another_year(vw, login):
    vorlage = make_vorlage(vw)
    client = login(vw.users.editor)
    response = _edit(client, vorlage, author=vw.other_author.pk)
    assert "author" in response.context["form"].errors  # not among the choices
    with pytest.raises(DomainError, match="Person der Stelle"):
        svc.update_vorlage(user=vw.users.editor, vorlage=vorlage, lock_version=vorlage.lock_version,
                           data=service_header(vorlage, author=vw.other_author))
    response = _edit(client, vorlage, date=f"{TODAY.year - 1}-12-31")
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert m.Vorlage.objects.get(pk=vorlage.pk).date == vorlage.date


def test_it_escapes_script_payloads(vw, login):
    vorlage = make_vorlage(vw)
    payload = "<script>alert(1)</script>"
    client = login(vw.users.editor)
    assert _edit(client, vorlage, name=payload, occasion=payload, file_reference="<b>x</b>").status_code == 302
    client.post(reverse("vorlage_section_add", args=[vorlage.pk]), {"heading": payload, "text": payload})
    html = client.get(reverse("vorlage_detail", args=[vorlage.pk])).content.decode()
    assert payload not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>x</b>" not in html


@pytest.mark.parametrize("data, error", [
    ({"committee": "", "role": ""}, "committee"),
    ({"committee": "other", "role": "vorberatung"}, "committee"),
    ({"committee": "own", "meeting": "other_meeting", "role": "vorberatung"}, "meeting"),
    ({"committee": "own", "meeting": "second_meeting", "role": "vorberatung"}, "meeting"),
    ({"committee": "own", "role": "abstimmung"}, "role"),
    ({"committee": "own", "meeting_date": "31.02.2012", "role": "vorberatung"}, "meeting_date"),
    ({"committee": "own", "meeting_date": "2200-01-01", "role": "vorberatung"}, "meeting_date"),
    ({"committee": "own", "meeting_date": "2006-01-01", "role": "vorberatung"}, "__all__"),  # before the paper
])
def test_it_refuses_a_bad_beratungsfolge_entry(vw, login, data, error):
    vorlage = make_vorlage(vw, consultations=0)
    objects = {"own": vw.committee.pk, "other": vw.other_committee.pk, "other_meeting": vw.other_meeting.pk,
               "second_meeting": vw.second_meeting.pk}
    post = {k: objects.get(v, v) for k, v in data.items()}
    response = login(vw.users.editor).post(reverse("vorlage_consultation_add", args=[vorlage.pk]), post)
    assert response.status_code == 200
    assert error in response.context["form"].errors
    assert not vorlage.consultations.exists()


def test_it_checks_the_beratungsfolge_in_the_service_too(vw):
    vorlage = make_vorlage(vw, consultations=0)
    user = vw.users.editor
    for data, message in [
        ({"committee": vw.other_committee, "role": "vorberatung"}, "gehört nicht zur Stelle"),
        ({"committee": vw.committee, "meeting": vw.second_meeting, "role": "vorberatung"}, "keine Sitzung"),
        ({"committee": vw.committee, "meeting": vw.meeting, "meeting_date": TODAY, "role": "vorberatung"},
         "weicht"),
    ]:
        with pytest.raises(DomainError, match=message):
            svc.save_consultation(user=user, vorlage=vorlage, data=data)
    svc.save_consultation(user=user, vorlage=vorlage, data={"committee": vw.committee, "role": "entscheidung",
                                                            "authoritative": True})
    with pytest.raises(DomainError, match="abschließend"):
        svc.save_consultation(user=user, vorlage=vorlage, data={
            "committee": vw.second_committee, "role": "entscheidung", "authoritative": True})
    assert vorlage.consultations.count() == 1


@pytest.mark.parametrize("url, data, field", [
    ("vorlage_section_add", {"heading": ""}, "heading"),
    ("vorlage_section_add", {"heading": "x" * 301}, "heading"),
    ("vorlage_anlage_add", {"title": "Anlage"}, "__all__"),
    ("vorlage_anlage_add", {"title": "Programm", "file": "exe"}, "file"),
    ("vorlage_anlage_add", {"title": "Kaputt", "file": "truncated"}, "file"),
    ("vorlage_anlage_add", {"title": "x" * 301, "file": "pdf"}, "title"),
    ("vorlage_withdraw", {"reason": ""}, "reason"),
])
def test_it_refuses_bad_input_in_the_other_forms(vw, login, settings, url, data, field):
    vorlage = make_vorlage(vw, sections=0, anlagen=0)
    files = {"exe": lambda: upload("programm.pdf", exe_bytes()), "truncated": lambda: upload(
        "kaputt.pdf", truncated_pdf_bytes()), "pdf": lambda: upload("ok.pdf", pdf_bytes())}
    post = {k: files[v]() if k == "file" else v for k, v in data.items()}
    documents_before = m.Document.objects.count()
    response = login(vw.users.editor).post(reverse(url, args=[vorlage.pk]), post)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not vorlage.sections.exists() and not vorlage.anlagen.exists()
    assert m.Document.objects.count() == documents_before
    assert m.Vorlage.objects.get(pk=vorlage.pk).status == S.DRAFT


def test_it_refuses_an_unknown_result(vw, login):
    vorlage = make_vorlage(vw, status=S.RELEASED)
    consultation = vorlage.consultations.get()
    response = login(vw.users.editor).post(
        reverse("vorlage_consultation_result", args=[vorlage.pk, consultation.pk]), {"result": "vertagt!"})
    assert response.status_code == 200 and "result" in response.context["form"].errors
    assert m.Consultation.objects.get(pk=consultation.pk).result == ""


# --- Lifecycle --------------------------------------------------------------------------------------------------


def stored_bytes(document):
    with document.file.open("rb") as handle:
        return handle.read()


def test_it_releases_once_storing_the_pdf_with_its_sha256(vw):
    vorlage = make_vorlage(vw, anlagen=2)
    released = svc.release(user=vw.users.editor, vorlage=vorlage)
    assert released.status == S.RELEASED and released.released_by == vw.users.editor
    assert released.released_at is not None
    document = m.Vorlage.objects.get(pk=vorlage.pk).main_file
    data = stored_bytes(document)
    assert data.startswith(b"%PDF-") and hashlib.sha256(data).hexdigest() == document.sha256
    assert document.kind == m.Document.Kind.VORLAGE and document.size == len(data) and document.is_pdfa
    with pytest.raises(DomainError, match="nicht möglich"):
        svc.release(user=vw.users.editor, vorlage=vorlage)
    assert m.Document.objects.filter(kind=m.Document.Kind.VORLAGE).count() == 1
    assert m.Vorlage.objects.get(pk=vorlage.pk).main_file == document


def test_it_records_the_release_on_the_agreements_timeline(vw):
    vorlage = make_vorlage(vw, agreement=vw.world.agreement)
    svc.release(user=vw.users.editor, vorlage=vorlage)
    step = vw.world.agreement.steps.get(title=f"Vorlage {vorlage.reference} freigegeben")
    assert vorlage.reference in step.description and step.automatic


def test_it_refuses_edits_after_release_in_every_service(vw):
    vorlage = make_vorlage(vw, status=S.RELEASED)
    user = vw.users.editor
    section, consultation, anlage = vorlage.sections.get(), vorlage.consultations.get(), vorlage.anlagen.get()
    calls = [
        lambda: svc.update_vorlage(user=user, vorlage=vorlage, data=service_header(vorlage, name="neu"),
                                   lock_version=vorlage.lock_version),
        lambda: svc.save_section(user=user, vorlage=vorlage, data={"heading": "neu"}),
        lambda: svc.save_section(user=user, vorlage=vorlage, section=section, data={"heading": "neu"},
                                 lock_version=svc.version_token(section)),
        lambda: svc.delete_section(user=user, section=section),
        lambda: svc.move_section(user=user, section=section, direction="up"),
        lambda: svc.save_consultation(user=user, vorlage=vorlage, data={"committee": vw.committee,
                                                                         "role": "vorberatung"}),
        lambda: svc.save_consultation(user=user, vorlage=vorlage, consultation=consultation, data={
            "committee": vw.committee, "role": "entscheidung"}, lock_version=svc.version_token(consultation)),
        lambda: svc.delete_consultation(user=user, consultation=consultation),
        lambda: svc.move_consultation(user=user, consultation=consultation, direction="down"),
        lambda: svc.add_anlage(user=user, vorlage=vorlage, title="neu", uploaded_file=upload("a.pdf", pdf_bytes())),
        lambda: svc.update_anlage(user=user, anlage=anlage, title="neu", lock_version=svc.version_token(anlage)),
        lambda: svc.delete_anlage(user=user, anlage=anlage),
        lambda: svc.move_anlage(user=user, anlage=anlage, direction="up"),
    ]
    documents = m.Document.objects.count()
    for call in calls:
        with pytest.raises(DomainError, match="kann nicht mehr bearbeitet werden"):
            call()
    stored = m.Vorlage.objects.get(pk=vorlage.pk)
    assert stored.name == vorlage.name and stored.sections.get().heading == section.heading
    assert stored.consultations.get().role == consultation.role and stored.anlagen.get().title == anlage.title
    assert m.Document.objects.count() == documents


def test_it_sends_edit_pages_of_a_released_vorlage_back_to_the_paper(vw, login):
    vorlage = make_vorlage(vw, status=S.RELEASED)
    client = login(vw.users.editor)
    response = client.get(reverse("vorlage_edit", args=[vorlage.pk]))
    assert response.status_code == 302 and response.url == reverse("vorlage_detail", args=[vorlage.pk])
    response = client.post(reverse("vorlage_section_delete", args=[vorlage.pk, vorlage.sections.get().pk]))
    assert response.status_code == 302 and vorlage.sections.exists()


@pytest.mark.parametrize("content, problem", [
    (b"Das ist kein PDF, nur Text.", "keine PDF-Datei"),
    (truncated_pdf_bytes(), "beschädigt"),
])
def test_it_refuses_to_release_a_vorlage_with_a_broken_anlage(vw, content, problem):
    vorlage = make_vorlage(vw, anlagen=0)
    good = DocumentFactory(content=pdf_bytes(), title="gut")
    broken = DocumentFactory(content=content, title="kaputt")  # straight into the database, past the upload check
    m.VorlageAnlage.objects.create(vorlage=vorlage, order=1, title="Zielvereinbarung", document=good)
    m.VorlageAnlage.objects.create(vorlage=vorlage, order=2, title="Schreiben vom 29.03.2012", document=broken)
    with pytest.raises(DomainError) as refused:
        svc.release(user=vw.users.editor, vorlage=vorlage)
    assert "Anlage 2 „Schreiben vom 29.03.2012“" in str(refused.value) and problem in str(refused.value)
    stored = m.Vorlage.objects.get(pk=vorlage.pk)
    assert stored.status == S.DRAFT and stored.main_file is None
    assert not m.Document.objects.filter(kind=m.Document.Kind.VORLAGE).exists()


def test_it_refuses_to_release_without_beratungsfolge(vw):
    vorlage = make_vorlage(vw, consultations=0)
    with pytest.raises(DomainError, match="Beratungsfolge ist leer"):
        svc.release(user=vw.users.editor, vorlage=vorlage)


def test_it_answers_422_naming_the_broken_anlage_of_a_bundle(vw, login):
    vorlage = make_vorlage(vw, status=S.RELEASED, anlage_content=truncated_pdf_bytes())
    response = login(vw.users.reader).get(reverse("vorlage_bundle", args=[vorlage.pk]))
    assert response.status_code == 422
    assert "Anlage 1 „Anlage 1“ ist beschädigt." in response.content.decode()


def test_it_serves_the_stored_pdf_of_a_released_vorlage_and_refuses_a_tampered_one(vw, login):
    vorlage = make_vorlage(vw, status=S.RELEASED)
    client = login(None)  # public: no login needed
    response = client.get(reverse("vorlage_pdf", args=[vorlage.pk]))
    assert response.status_code == 200
    assert body(response) == stored_bytes(vorlage.main_file)
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    name = f"Vorlage-{vorlage.reference.replace('/', '-')}.pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    with open(vorlage.main_file.file.path, "ab") as handle:
        handle.write(b"% changed")
    response = client.get(reverse("vorlage_pdf", args=[vorlage.pk]))
    assert response.status_code == 409
    assert "Die gespeicherte Datei wurde verändert." in response.content.decode()
    assert login(vw.users.reader).get(reverse("vorlage_bundle", args=[vorlage.pk])).status_code == 422


def test_it_renders_a_draft_pdf_through_the_cache(vw, login, settings):
    vorlage = make_vorlage(vw)
    client = login(vw.users.editor)
    first = client.get(reverse("vorlage_pdf", args=[vorlage.pk]))
    assert first.status_code == 200 and body(first).startswith(b"%PDF-")
    cached = list((settings.MEDIA_ROOT / "cache" / "pdf").glob("*.pdf"))
    assert len(cached) == 1
    assert body(client.get(reverse("vorlage_pdf", args=[vorlage.pk]))) == cached[0].read_bytes()
    assert not m.Document.objects.filter(kind=m.Document.Kind.VORLAGE).exists()


def test_it_serves_the_bundle_of_a_released_vorlage_with_every_anlage(vw, login):
    vorlage = make_vorlage(vw, anlagen=2)
    svc.release(user=vw.users.editor, vorlage=vorlage)
    response = login(None).get(reverse("vorlage_bundle", args=[vorlage.pk]))
    assert response.status_code == 200
    name = f"Vorlage-{vorlage.reference.replace('/', '-')}-mit-Anlagen.pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    with pikepdf.open(io.BytesIO(body(response))) as bundle:
        main = m.Vorlage.objects.get(pk=vorlage.pk).main_file
        with pikepdf.open(main.file.path) as stored:
            main_pages = len(stored.pages)
        assert len(bundle.pages) == 1 + main_pages + 2  # contents, the stored Vorlage, two one-page Anlagen


def test_it_refuses_a_replaced_cached_bundle_to_anonymous_readers_of_a_public_paper(vw, client):
    from agreements.pdf import cache

    vorlage = make_vorlage(vw, status=S.RELEASED, anlagen=1)
    url = reverse("vorlage_bundle", args=[vorlage.pk])
    genuine = body(client.get(url))
    [path] = cache.cache_dir().iterdir()
    tampered = bytearray(genuine)
    tampered[len(tampered) // 2] ^= 0x01  # one bit: same size, still starts and ends like a whole PDF
    path.write_bytes(bytes(tampered))
    response = client.get(url)
    assert response.status_code == 409
    assert "zwischengespeicherte Datei wurde verändert" in response.content.decode()
    again = client.get(url)  # the replaced entry was dropped: built anew from the verified stored files
    assert again.status_code == 200 and body(again).startswith(b"%PDF-")


def test_it_downloads_an_anlage_for_the_readers_of_the_vorlage(vw, login):
    vorlage = make_vorlage(vw, status=S.RELEASED, public=False)
    anlage = vorlage.anlagen.get()
    url = reverse("vorlage_anlage_download", args=[vorlage.pk, anlage.pk])
    response = login(vw.users.committee).get(url)
    assert response.status_code == 200 and body(response) == stored_bytes(anlage.document)
    assert response["Content-Disposition"] == 'attachment; filename="anlage-1.pdf"'
    assert login(vw.users.ministry).get(url).status_code == 404
    other = make_vorlage(vw, status=S.RELEASED)
    assert login(vw.users.committee).get(
        reverse("vorlage_anlage_download", args=[other.pk, anlage.pk])).status_code == 404


def test_it_records_results_completes_and_withdraws(vw):
    vorlage = make_vorlage(vw, consultations=2)
    user = vw.users.editor
    first, second = vorlage.consultations.order_by("order")
    with pytest.raises(DomainError):
        svc.record_result(user=user, consultation=first, result="kenntnis_genommen")  # still a draft
    svc.release(user=user, vorlage=vorlage)
    svc.record_result(user=user, consultation=first, result="kenntnis_genommen")
    assert m.Vorlage.objects.get(pk=vorlage.pk).status == S.IN_CONSULTATION  # moved by the first result
    with pytest.raises(DomainError, match="Es fehlt noch das Ergebnis"):
        svc.complete(user=user, vorlage=vorlage)
    svc.record_result(user=user, consultation=second, result="vertagt")
    with pytest.raises(DomainError, match="Es fehlt noch das Ergebnis"):
        svc.complete(user=user, vorlage=vorlage)
    svc.record_result(user=user, consultation=second, result="beschlossen")
    done = svc.complete(user=user, vorlage=vorlage)
    assert done.status == S.DONE
    with pytest.raises(DomainError):
        svc.withdraw(user=user, vorlage=vorlage, reason="zu spät")
    with pytest.raises(DomainError):
        svc.record_result(user=user, consultation=first, result="abgelehnt")


def test_it_starts_the_consultation_explicitly(vw):
    vorlage = make_vorlage(vw, status=S.RELEASED)
    with pytest.raises(DomainError):
        svc.complete(user=vw.users.editor, vorlage=vorlage)
    assert svc.start_consultation(user=vw.users.editor, vorlage=vorlage).status == S.IN_CONSULTATION
    with pytest.raises(DomainError):
        svc.start_consultation(user=vw.users.editor, vorlage=vorlage)


def test_it_withdraws_with_a_reason_on_the_timeline_and_the_agenda(vw):
    vorlage = make_vorlage(vw, status=S.RELEASED, agreement=vw.world.agreement)
    consultation = vorlage.consultations.get()
    item = m.AgendaItem.objects.create(meeting=vw.meeting, number="5", name="Zielsteuerung",
                                       consultation=consultation)
    with pytest.raises(DomainError, match="Begründung"):
        svc.withdraw(user=vw.users.editor, vorlage=vorlage, reason="  ")
    svc.withdraw(user=vw.users.editor, vorlage=vorlage, reason="Die Zielvereinbarung wird neu verhandelt.")
    stored = m.Vorlage.objects.get(pk=vorlage.pk)
    assert stored.status == S.WITHDRAWN and stored.main_file_id == vorlage.main_file_id
    assert m.Consultation.objects.get(pk=consultation.pk).result == m.Consultation.Result.WITHDRAWN
    assert m.AgendaItem.objects.get(pk=item.pk).result == "zurückgezogen: Die Zielvereinbarung wird neu verhandelt."
    step = vw.world.agreement.steps.get(title=f"Vorlage {vorlage.reference} zurückgezogen")
    assert "Die Zielvereinbarung wird neu verhandelt." in step.description
    assert "neu verhandelt" in stored.history.first().history_change_reason


def test_it_keeps_a_draft_withdrawn_before_release_internal(vw, login):
    vorlage = make_vorlage(vw)
    svc.withdraw(user=vw.users.editor, vorlage=vorlage, reason="Doch nicht.")
    assert login(None).get(reverse("vorlage_detail", args=[vorlage.pk])).status_code == 302
    assert login(vw.users.outsider).get(reverse("vorlage_detail", args=[vorlage.pk])).status_code == 404
    assert login(vw.users.reader).get(reverse("vorlage_detail", args=[vorlage.pk])).status_code == 200


@pytest.mark.parametrize("role", ["reader", "committee", "admin", "ministry"])
def test_it_refuses_lifecycle_actions_to_non_editors(vw, role):
    from django.core.exceptions import PermissionDenied

    vorlage = make_vorlage(vw)
    with pytest.raises(PermissionDenied):
        svc.release(user=getattr(vw.users, role), vorlage=vorlage)
    with pytest.raises(PermissionDenied):
        svc.withdraw(user=getattr(vw.users, role), vorlage=vorlage, reason="x")
    assert m.Vorlage.objects.get(pk=vorlage.pk).status == S.DRAFT


def test_it_releases_and_records_results_through_the_pages(vw, login):
    vorlage = make_vorlage(vw)
    client = login(vw.users.editor)
    assert client.post(reverse("vorlage_release", args=[vorlage.pk])).status_code == 302
    assert m.Vorlage.objects.get(pk=vorlage.pk).status == S.RELEASED
    consultation = vorlage.consultations.get()
    url = reverse("vorlage_consultation_result", args=[vorlage.pk, consultation.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"result": "kenntnis_genommen"}).status_code == 302
    assert client.post(reverse("vorlage_complete", args=[vorlage.pk])).status_code == 302
    assert m.Vorlage.objects.get(pk=vorlage.pk).status == S.DONE
    response = client.post(reverse("vorlage_release", args=[vorlage.pk]), follow=True)
    assert "nicht möglich" in response.content.decode()


# --- The reading view -------------------------------------------------------------------------------------------


def test_it_shows_the_paper_in_the_pdfs_order(vw, login):
    """The reading view has the PDF's parts in the PDF's order; the texts come from vorlage_text_sections."""
    from agreements.pdf.vorlage import render_vorlage

    vorlage = make_vorlage(vw, sections=2, anlagen=2)
    m.Vorlage.objects.filter(pk=vorlage.pk).update(name="Zielsteuerung 2013", occasion="Anlass-Text",
                                                   conclusion="Fazit-Text", file_reference="50-1")
    html = login(vw.users.editor).get(reverse("vorlage_detail", args=[vorlage.pk])).content.decode()
    markers = ["Vorlagen Nr.", "Fachbereich", "Beratungsfolge", "Sozialausschuss", "Zielsteuerung 2013",
               "Finanzielle Auswirkung", "Die Ausführungen der Verwaltung", "Anlass der Vorlage:", "Anlass-Text",
               "Sachverhaltsdarstellung:", "1. Abschnitt", "2. Abschnitt", "Fazit:", "Fazit-Text", "Anlagen:",
               "Anlage 1", "Anlage 2"]
    article = html[html.index("<article"):]
    positions = [article.index(marker) for marker in markers]
    assert positions == sorted(positions)
    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(render_vorlage(vorlage).content)).pages)
    # Text extraction splits words at kerning ("T ext"): compare without any white space.
    text = re.sub(r"\s+", "", text)
    pdf_positions = [text.index(re.sub(r"\s+", "", marker)) for marker in markers]
    assert pdf_positions == sorted(pdf_positions)
    for anlage in vorlage.anlagen.all():
        assert reverse("vorlage_anlage_download", args=[vorlage.pk, anlage.pk]) in html
    assert reverse("vorlage_pdf", args=[vorlage.pk]) in html and reverse("vorlage_bundle", args=[vorlage.pk]) in html


def test_it_shows_controls_only_to_those_who_may_use_them(vw, login):
    vorlage = make_vorlage(vw)
    edit_url = reverse("vorlage_edit", args=[vorlage.pk])
    assert edit_url in login(vw.users.editor).get(reverse("vorlage_detail", args=[vorlage.pk])).content.decode()
    for role in ("reader", "admin"):
        html = login(getattr(vw.users, role)).get(reverse("vorlage_detail", args=[vorlage.pk])).content.decode()
        assert edit_url not in html and reverse("vorlage_release", args=[vorlage.pk]) not in html


def test_it_lists_the_papers_of_the_coming_meetings_by_date(vw, login):
    later = m.Meeting.objects.create(committee=vw.committee, start=aware(SOON.year + 1, 1, 10, 15))
    past = m.Meeting.objects.create(committee=vw.committee, start=aware(2012, 5, 21, 15))
    soon_paper = make_vorlage(vw, status=S.RELEASED, public=False, name="Bald")
    later_paper = make_vorlage(vw, consultations=0, name="Später")
    m.Consultation.objects.create(paper=later_paper, committee=vw.committee, meeting=later,
                                  role=m.Consultation.Role.DECISION)
    old_paper = make_vorlage(vw, consultations=0, name="Alt")
    m.Consultation.objects.create(paper=old_paper, committee=vw.committee, meeting=past,
                                  meeting_date=datetime.date(2012, 5, 21), role=m.Consultation.Role.NOTICE)
    released = {"released_at": timezone.now()}
    m.Vorlage.objects.filter(pk=later_paper.pk).update(status=S.IN_CONSULTATION, **released)
    m.Vorlage.objects.filter(pk=old_paper.pk).update(status=S.DONE, **released)
    make_vorlage(vw, name="Entwurf")  # a draft is no paper for the committee yet
    make_vorlage(vw, status=S.RELEASED, department=vw.other_department, name="Nachbar")
    response = login(vw.users.committee).get(reverse("vorlage_meetings"))
    assert response.status_code == 200
    papers = [c.paper.name for c in response.context["consultations"]]
    assert papers == ["Bald", "Später"]
    html = response.content.decode()
    assert html.index(SOON.strftime("%d.%m.%Y")) < html.index("Später")
    assert reverse("vorlage_bundle", args=[soon_paper.pk]) in html
    assert list(login(vw.users.editor).get(reverse("vorlage_meetings")).context["consultations"]) == []


# --- Query counts -----------------------------------------------------------------------------------------------


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        assert response.status_code == 200
    return len(queries)


def _fill(vw, n):
    """n released public Vorlagen for the committee's coming meeting; the last one (the detail view's) with n
    sections, consultations and Anlagen, the others with two of each."""
    return [make_vorlage(vw, status=S.RELEASED, name=f"V{i}", **dict.fromkeys(
        ("sections", "consultations", "anlagen"), n if i == n - 1 else 2)) for i in range(n)]


@pytest.mark.parametrize("role, url_name, bound", [
    ("editor", "vorlage_list", 12),
    (None, "vorlage_public_list", 8),
    ("committee", "vorlage_meetings", 8),
    ("committee", "vorlage_detail", 12),
    (None, "vorlage_detail", 10),
])
def test_it_needs_the_same_number_of_queries_for_2_and_20(vw, login, fast_pdfs, role, url_name, bound):
    counts = []
    for n in (2, 20):
        papers = _fill(vw, n)
        client = login(getattr(vw.users, role) if role else None)
        url = reverse(url_name, args=[papers[-1].pk]) if url_name == "vorlage_detail" else reverse(url_name)
        _count(client, url)  # warm-up: the session and the user are loaded once per client
        counts.append(_count(client, url))
    assert counts[0] == counts[1] <= bound, counts
