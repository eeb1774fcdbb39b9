"""Creating a Vorlage: the draft written from an agreement's records, and who may create one."""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import translation

from agreements import models as m
from agreements.infra.errors import DomainError
from agreements.services import vorlagen as svc

from .builders_files import pdf_bytes
from .builders_reference_vorlage import prefill_demo_vorlage
from .factories import DocumentFactory
from .vorlage_builders import S, service_header, today, vorlage_world


@pytest.fixture
def vw(world):
    return vorlage_world(world)


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
    # As in 2012: the county proposed, the ministry (am Zug) rejected.
    m.Proposal.objects.filter(pk=world.proposal.pk).update(
        party=county, decision=m.Proposal.Decision.REJECTED, reason="Nicht Gegenstand der Vereinbarung.",
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
    # The proposed resolution takes note: the decision type is Kenntnisnahme (issue 13, point 5).
    assert vorlage.decision_type == m.Vorlage.DecisionType.KENNTNISNAHME and vorlage.public
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
    step = m.ProcedureStep.objects.filter(agreement=case.agreement, action="vorlage.created").get()
    assert step.display_title == "Vorlage 50/001/2013 angelegt"
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
    svc.save_section(user=user, vorlage=vorlage, section=section, lock_version=section.lock_version,
                     data={"heading": "II. Verfahren", "text": "Gekürzt."})
    assert vorlage.sections.get(pk=section.pk).text == "Gekürzt."


@pytest.mark.django_db
def test_it_reproduces_the_reference_paper_from_the_demo_agreement():
    """Vorlage 50/015/2012: the pre-filled texts say what the Kreis Mettmann's paper says, in its order."""
    from agreements.data.demo import ANLAGE_AGREEMENT, VORLAGE_NAME

    vorlage, agreement = prefill_demo_vorlage()
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
    # The five Anlagen of the reference, in its order (the Liga's statement last).
    assert titles == [
        "Zielvereinbarung MAIS NRW – Kreis Mettmann 2012", "Anlage zur Zielvereinbarung",
        "Anschreiben des Landrates vom 04.03.2012 an das MAIS NRW", "Schreiben des MAIS NRW vom 29.03.2012",
        "Schreiben der Liga der Wohlfahrtsverbände vom 23.01.2012",
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


def test_it_writes_goal_values_and_counts_in_german(vw):
    """The issue's Vorlage read "Zielwert: 25.2 %" and "1 quantitative Ziele"; German whatever the author reads."""
    world = vw.world
    m.Goal.objects.create(agreement=world.agreement, order=2, title="Integrationsquote", kind="quantitativ",
                          level="lokal", area="k2", indicator=world.indicator, corridor_low="24", corridor_high="26",
                          target_value="25.200", unit="%")
    with translation.override("en"):
        vorlage = from_agreement(vw, world.agreement)
    framework = vorlage.sections.get(heading="III. Rahmenbedingungen und Inhalte").text
    assert "enthält 1 quantitatives Ziel mit Ziel- oder Referenzwert und 1 qualitatives Leitziel." in framework
    assert "- Integrationsquote (lokales Ziel, Zielwert: 25,2\u00a0%)" in framework.split("\n")
    assert vorlage.conclusion.startswith(
        "Die vorliegende Zielvereinbarung enthält 2 Ziele, davon 1 mit zahlenmäßigem Zielwert.")

    m.Goal.objects.create(agreement=world.agreement, order=3, title="Teilnehmende", kind="quantitativ",
                          level="lokal", area="p16a", target_value="1250.500", unit="Personen")
    vorlage = from_agreement(vw, world.agreement)
    framework = vorlage.sections.get(heading="III. Rahmenbedingungen und Inhalte").text
    assert "enthält 2 quantitative Ziele mit Ziel- oder Referenzwerten und 1 qualitatives Leitziel." in framework
    assert "- Teilnehmende (lokales Ziel, Zielwert: 1250,5\u00a0Personen)" in framework.split("\n")
    assert vorlage.conclusion.startswith(
        "Die vorliegende Zielvereinbarung enthält 3 Ziele, davon 2 mit zahlenmäßigen Zielwerten.")


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
            "department": vw.department, "author": vw.author, "date": today(), "name": "X", "public": True})
    assert not m.Vorlage.objects.exists()


def test_it_refuses_an_agreement_the_user_cannot_see(vw):
    with pytest.raises(DomainError, match="nicht verfügbar"):
        svc.create_vorlage_from_agreement(user=vw.users.editor, agreement=vw.world.other_agreement,
                                          department=vw.department, author=vw.author, date=today())
    assert not m.Vorlage.objects.exists()


def test_it_refuses_a_withdrawn_agreement_as_the_link_rule_does(vw):
    from agreements.policy import vorlage_access

    m.Agreement.objects.filter(pk=vw.world.agreement.pk).update(status=m.Agreement.Status.WITHDRAWN)
    agreement = m.Agreement.objects.get(pk=vw.world.agreement.pk)
    assert not vorlage_access.can_report_on_agreement(vw.users.editor, agreement)
    with pytest.raises(DomainError, match="zurückgezogene"):
        svc.create_vorlage_from_agreement(user=vw.users.editor, agreement=agreement,
                                          department=vw.department, author=vw.author, date=today())
    assert not m.Vorlage.objects.exists()
