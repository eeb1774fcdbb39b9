"""The 2012 agreement between the MAIS NRW and the Kreis Mettmann: its final wording (invented, see the package
docstring), goals and offers, and the rows that hold them. Its drafts, correspondence and timeline are in
negotiation_2012, the PDFs made from it in anlagen.
"""

from agreements.data.catalogue import MINISTRY_LEGAL_BASES
from agreements.data.demo.loader import paragraphs, section
from agreements.models import AgreementParty, Goal, SupportOffer

TITLE_2012 = (
    "Zielvereinbarung 2012 zwischen dem Ministerium für Arbeit, Integration und Soziales des Landes "
    "Nordrhein-Westfalen und dem Kreis Mettmann als kommunaler Träger des Jobcenters ME-aktiv"
)
KDU_TITLE = "Senkung der Summe der Leistungen für Unterkunft und Heizung"

PREAMBLE_2012 = (
    "Das Ministerium für Arbeit, Integration und Soziales des Landes Nordrhein-Westfalen (MAIS NRW) und der "
    "Kreis Mettmann als kommunaler Träger des Jobcenters ME-aktiv schließen auf der Grundlage von § 48b SGB "
    "II und § 2a AG-SGB II NRW die folgende Zielvereinbarung für das Jahr 2012. Sie setzt die "
    "Zielvereinbarung 2011 fort. Für 2012 werden keine zahlenmäßigen Zielwerte, sondern Leitziele und "
    "Tendenzen vereinbart, auf denen künftige ergebnisorientierte Ziele aufbauen sollen."
)
PREAMBLE_2012_DRAFT = (
    "Das Ministerium für Arbeit, Integration und Soziales des Landes Nordrhein-Westfalen (MAIS NRW) und der "
    "Kreis Mettmann schließen auf der Grundlage von § 48b SGB II und § 2a AG-SGB II NRW die folgende "
    "Zielvereinbarung für das Jahr 2012."
)

SUBJECT_2012 = (
    "Gegenstand dieser Vereinbarung sind die Ziele des Kreises Mettmann bei der Umsetzung der kommunalen "
    "Aufgaben nach § 6 Abs. 1 Nr. 2 SGB II im Jobcenter ME-aktiv sowie die Unterstützung, die das Land "
    "hierzu anbietet."
)
# Added by the ministry after the Landkreistag's objections (v3).
SUBJECT_TRAEGERVERSAMMLUNG = (
    "Die originären Aufgaben und Entscheidungsbefugnisse der Trägerversammlung des Jobcenters ME-aktiv "
    "bleiben unberührt."
)
# Asked for by the Kreis (v2), dropped in the ministry's per-county draft (v3), restored in the final text.
SUBJECT_LIGA = (
    "Die arbeitsmarktpolitische Stellungnahme der Liga der Wohlfahrtsverbände vom 23.01.2012 ist dieser "
    "Vereinbarung als Anlage beigefügt."
)
GOALS_SECTION_2012 = (
    "Die Vertragspartner vereinbaren für das Jahr 2012 die in der Zielübersicht aufgeführten Leitziele. "
    "Landesziele gelten für alle kommunalen Träger in Nordrhein-Westfalen; lokale Ziele ergänzen sie für den "
    "Kreis Mettmann und korrespondieren mit der Zielvereinbarung zwischen dem Jobcenter ME-aktiv und der "
    "Bundesagentur für Arbeit. Zahlenmäßige Zielwerte werden für 2012 nicht festgelegt."
)
GOALS_SECTION_DRAFT = (
    "Die Vertragspartner vereinbaren für das Jahr 2012 die folgenden Landesziele. Zahlenmäßige Zielwerte "
    "werden für 2012 nicht festgelegt; vereinbart werden Tendenzen."
)
SUPPORT_SECTION_2012 = (
    "Das MAIS NRW bietet den Jobcentern in Nordrhein-Westfalen Unterstützung zu sieben Themenschwerpunkten "
    "an. Die Angebote sind mit der Regionaldirektion Nordrhein-Westfalen der Bundesagentur für Arbeit "
    "abgestimmt und in der Anlage zu dieser Vereinbarung aufgeführt. Ihre inhaltliche Konkretisierung "
    "erfolgt im Jahresverlauf in enger Abstimmung mit allen Beteiligten."
)
SUPPORT_SECTION_DRAFT = (
    "Das MAIS NRW unterstützt den Kreis Mettmann bei der Umsetzung der vereinbarten Ziele. Die Angebote des "
    "Landes werden nach Abschluss der Gespräche mit allen kommunalen Trägern zusammengestellt."
)
SUPPORT_SECTION_KREIS = (
    "Das MAIS NRW unterstützt den Kreis Mettmann bei der Umsetzung neuer und bewährter kommunaler "
    "Beschäftigungsmaßnahmen und -projekte und stellt hierfür zusätzliche Landesmittel zur Verfügung."
)
REVIEW_SECTION_2012 = (
    "Der Kreis Mettmann berichtet dem MAIS NRW zum Ende des ersten Halbjahres und nach Ablauf des Jahres "
    "über den Stand der Zielerreichung. Die Ergebnisse werden in einem Nachhaltedialog zwischen dem MAIS NRW "
    "und dem Kreis Mettmann erörtert; das Jobcenter ME-aktiv wird über die Ergebnisse unterrichtet."
)
REVIEW_SECTION_KREIS = (
    "Der Stand der Zielerreichung wird zum Ende des ersten Halbjahres und nach Ablauf des Jahres in einem "
    "gemeinsamen Nachhaltedialog des MAIS NRW, des Kreises Mettmann, des Jobcenters ME-aktiv und der "
    "Regionaldirektion NRW erörtert."
)
TERM_SECTION_2012 = (
    "Die Vereinbarung gilt vom 1. Januar bis zum 31. Dezember 2012. Sie wird mit der Unterzeichnung durch "
    "beide Vertragspartner wirksam."
)


SECTIONS_2012 = (
    section(1, "§ 1 Gegenstand", paragraphs(SUBJECT_2012 + " " + SUBJECT_TRAEGERVERSAMMLUNG, SUBJECT_LIGA)),
    section(2, "§ 2 Ziele", GOALS_SECTION_2012),
    section(3, "§ 3 Unterstützung durch das Land", SUPPORT_SECTION_2012),
    section(4, "§ 4 Zielnachhaltung", REVIEW_SECTION_2012),
    section(5, "§ 5 Laufzeit", TERM_SECTION_2012),
)


def leitziel(order, title, level, area, direction, indicator, text):
    """A goal as the loader and the version snapshots hold it. Every 2011/2012 goal is a Leitziel: a direction,
    no numbers ("keine quantifizierbaren Ziele")."""
    return {
        "title": title, "text": text, "kind": Goal.Kind.QUALITATIVE.value, "level": level.value,
        "area": area.value, "direction": direction.value, "indicator": indicator, "reference_value": None,
        "corridor_low": None, "corridor_high": None, "target_value": None, "unit": "", "order": order,
    }


L, A, D = Goal.Level, Goal.Area, Goal.Direction

# (title, level, area, direction, indicator code, text) in the agreement's order.
GOALS_2012 = tuple(leitziel(order, *row) for order, row in enumerate((
    (KDU_TITLE, L.STATE, A.KDU, D.SENKUNG, "K1E1",
     "Der Kreis Mettmann strebt an, die Summe der Leistungen für Unterkunft und Heizung im Jahr 2012 "
     "gegenüber dem Vorjahr weiter zu senken. Die Entwicklung wird anhand der Kennzahl K1E1 beobachtet."),
    ("Beobachtung des Langzeitleistungsbezugs", L.STATE, A.K3, D.BEOBACHTUNG, "K3",
     "Die Entwicklung der Zahl der Langzeitleistungsbeziehenden im Jobcenter ME-aktiv wird beobachtet und im "
     "Nachhaltedialog ausgewertet."),
    ("Optimierung der Integration Alleinerziehender", L.LOCAL, A.K2, D.OPTIMIERUNG, None,
     "Die Integration Alleinerziehender in Erwerbstätigkeit soll durch eine engere Verzahnung der Leistungen "
     "des Jobcenters ME-aktiv mit den kommunalen Angeboten, insbesondere der Kinderbetreuung, optimiert "
     "werden."),
    ("Evaluation der kommunalen Eingliederungsleistungen nach § 16a SGB II", L.LOCAL, A.P16A, D.EVALUATION, None,
     "Die kommunalen Eingliederungsleistungen nach § 16a SGB II (Kinderbetreuung, Schuldner- und "
     "Suchtberatung, psychosoziale Betreuung) werden im Hinblick auf ihre Inanspruchnahme und Wirkung "
     "evaluiert."),
    ("Steigerung der Integration in öffentlich geförderte Beschäftigung", L.LOCAL, A.OTHER, D.STEIGERUNG, None,
     "Die Zahl der Leistungsberechtigten in öffentlich geförderter Beschäftigung soll in Zusammenarbeit mit "
     "dem Land gesteigert werden."),
), start=1))
GOAL_KDU, GOAL_K3, GOAL_SINGLE_PARENTS, GOAL_16A, GOAL_PUBLIC_EMPLOYMENT = GOALS_2012

# The real offers are only in the Anlage, which the reference does not contain: every text says "Beispiel".
OFFERS_2012 = (
    (1, "Landesweiter Erfahrungsaustausch „Alleinerziehende im SGB II“",
     "Beispiel: Das MAIS NRW fördert den fachlichen Austausch der Jobcenter zur Integration "
     "Alleinerziehender und stellt Erfahrungen aus Modellprojekten zur Verfügung."),
    (2, "Regionale Fachworkshops zum Langzeitleistungsbezug",
     "Beispiel: In regionalen Workshops werden Ansätze zur Aktivierung von Langzeitleistungsbeziehenden "
     "vorgestellt und ausgewertet."),
    (3, "Beratung zu Programmen öffentlich geförderter Beschäftigung",
     "Beispiel: Das MAIS NRW berät die kommunalen Träger bei der Umsetzung neuer und bewährter kommunaler "
     "Beschäftigungsmaßnahmen und -projekte und informiert über Fördermöglichkeiten des Landes."),
    (4, "Arbeitshilfe zur Evaluation der Leistungen nach § 16a SGB II",
     "Beispiel: Eine Arbeitshilfe mit Kriterien und Erhebungsbögen unterstützt die kommunalen Träger bei der "
     "Evaluation ihrer Eingliederungsleistungen."),
    (5, "Erfahrungsaustausch zu den Kosten der Unterkunft",
     "Beispiel: Das MAIS NRW lädt die kommunalen Träger zu einem Erfahrungsaustausch über Richtlinien und "
     "Verfahren bei den Leistungen für Unterkunft und Heizung ein."),
    (6, "Begleitung des Übergangs von der Schule in den Beruf",
     "Beispiel: Das MAIS NRW unterstützt die Abstimmung der Jobcenter mit den kommunalen "
     "Koordinierungsstellen für den Übergang von der Schule in den Beruf."),
    (7, "Fachtagung zur Integration von Menschen mit Migrationshintergrund",
     "Beispiel: Eine Fachtagung stellt erfolgreiche Ansätze zur Integration von Menschen mit "
     "Migrationshintergrund in Ausbildung und Arbeit vor."),
)


def load(loader, mais, mettmann, rd, topics, predecessor):
    """The agreement with its parties, sections, goals and offers; returns (agreement, {goal title: goal})."""
    Role = AgreementParty.Role
    agreement = loader.agreement(
        TITLE_2012, 2012, [(mais, Role.LAND), (mettmann, Role.KOMMUNALER_TRAEGER)],
        preamble=PREAMBLE_2012, predecessor=predecessor, legal_bases=MINISTRY_LEGAL_BASES,
    )
    loader.sections(agreement, SECTIONS_2012)
    goals = loader.goals(agreement, GOALS_2012)
    for number, title, text in OFFERS_2012:
        loader.ensure(
            SupportOffer, {"agreement": agreement, "topic": topics[number], "title": title},
            {
                "text": text, "provider": mais, "coordinated_with": rd,
                "status": SupportOffer.Status.PLANNED, "order": 1,
            },
        )
    return agreement, goals
