"""Demo data: the Kreis Mettmann's real 2012 case (Vorlage 50/015/2012) as structured data.

What the reference paper states is reproduced exactly: names, dates, the committee paper's texts (verbatim,
with the paper's own typos such as "durch das das Ministerium"). What it does not state (the agreement's
wording, the ministry's offers, the Kreis's individual proposals, the exact days of some steps, the signing
dates) is invented to be plausible. Offer texts start with "Beispiel: " and the generated PDFs say that they
are reconstructions, so nobody mistakes them for the originals.

`load_demo()` is idempotent: rows are looked up by natural keys, created when missing, and saved only when a
field differs from the demo value. A second run creates nothing and saves nothing.
"""

import contextlib
import copy
import datetime
import functools
import hashlib
import html
import os
import re
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import transaction
from django.utils.html import escape, strip_tags
from django.utils.translation import gettext as _

from agreements.models import (
    AgendaItem,
    Agreement,
    AgreementParty,
    AgreementSection,
    AgreementVersion,
    Assessment,
    Committee,
    CommitteeMembership,
    Consultation,
    Department,
    Document,
    Goal,
    Impact,
    Indicator,
    LegalBasis,
    Letter,
    Meeting,
    Membership,
    Party,
    Person,
    ProcedureStep,
    Proposal,
    Review,
    Signature,
    Statement,
    SupportOffer,
    Topic,
    Vorlage,
    VorlageAnlage,
    VorlageSection,
)
from agreements.models.base import LockVersionModel
from agreements.pdf.render import html_to_pdf
from agreements.services.versions import agreement_snapshot

DEMO_PASSWORD = "demo"
CHANGE_REASON = "load_demo"
BERLIN = ZoneInfo("Europe/Berlin")

# fontTools stamps the embedded font subsets with "now" unless SOURCE_DATE_EPOCH is set; a fixed stamp (the
# Vorlage's date) makes the same page render to the same bytes, so a re-run finds its Document by SHA-256.
PDF_SOURCE_DATE_EPOCH = "1334786400"  # 19.04.2012 00:00 Europe/Berlin


class DemoDataError(RuntimeError):
    pass


def _paragraphs(*paragraphs):
    return "\n\n".join(paragraphs)


def _day(year, month, day):
    return datetime.date(year, month, day)


def _moment(year, month, day, hour=10, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=BERLIN)


# --- Vorlage 50/015/2012, verbatim from the reference ------------------------------------------------------

VORLAGE_REFERENCE = "50/015/2012"
# The paper's title has a real line break before the "- Abschluss …" subtitle; the second break in the PDF
# extraction is only line wrapping and becomes a space.
VORLAGE_NAME = (
    "Zielsteuerung 2012 in der Grundsicherung für Arbeitsuchende\n"
    "- Abschluss einer Zielvereinbarung zwischen dem MAIS NRW und dem Kreis Mettmann als kommunaler Träger "
    "des Jobcenters für das Jahr 2012"
)
VORLAGE_RESOLUTION = "Die Ausführungen der Verwaltung werden zur Kenntnis genommen."

OCCASION = _paragraphs(
    "Bereits im Jahr 2011 hat der Kreis Mettmann sowohl mit dem Jobcenter ME-aktiv als auch mit dem "
    "Ministerium für Arbeit, Integration und Soziales NRW (MAIS NRW) eine erste Zielvereinbarung "
    "abgeschlossen. Diese Vereinbarungen enthielten das gleichlautende Ziel der Senkung der Summe der "
    "Leistungen für Unterkunft und Heizung für das Jahr 2011. Dieses Ziel wurde erreicht.",
    "Im November 2011 teilte das MAIS NRW die Referenzwerte und dazugehörigen Korridore für die "
    "Zielvereinbarung 2012 des Jobcenters mit.",
    "Im Dezember 2011 begannen die Verhandlungen über die genauen Inhalte der Zielvereinbarung 2012 "
    "zwischen dem MAIS NRW und den Kreisen und kreisfreien Städten in NRW, die kommunale Träger in ihren "
    "Jobcentern sind.",
    "Die Zielvereinbarung zwischen dem MAIS NRW und dem Kreis Mettmann ist inzwischen von Herrn Landrat "
    "Hendele und Herrn Dr. Schäffer unterzeichnet worden.",
)

SECTION_I = _paragraphs(
    "§ 48b SGB II enthält die rechtlichen Grundlagen für den Abschluss von Zielvereinbarungen als "
    "umfassendes Steuerungselement. Vereinbarungspartner sind hier das Bundesministerium für Arbeit und "
    "Soziales (BMAS), die Bundesagentur für Arbeit (BA), die zuständigen Landesbehörden, die kommunalen "
    "Träger, die Jobcenter und die zugelassenen kommunalen Träger.",
    "Ergänzend hierzu bestimmt das AG-SGB II NRW in § 2a, dass „zwischen dem zuständigen Ministerium und "
    "den kommunalen Trägern, die eine gemeinsame Einrichtung nach § 44b SGB II gebildet haben, "
    "Zielvereinbarungen zur Umsetzung der Aufgaben nach § 6 Abs. 1 Nr. 2 SGB II abgeschlossen werden "
    "sollen“.",
    "Hierbei werden die kommunalen Aufgaben gem. § 6 Abs. 1 Nr. 2 SGB II durch die Kreise und kreisfreien "
    "Städte als kommunale Träger als Pflichtaufgabe zur Erfüllung nach Weisung wahrgenommen (§ 1 AG-SGB II "
    "NRW).",
)

SECTION_II = _paragraphs(
    "In mehreren Zielsteuerungsgesprächen im zweiten Halbjahr 2011 des Ministeriums mit Kreisen und "
    "kreisfreien Städten – sowohl Optionskommunen als auch kommunalen Trägern in gemeinsamen Einrichtungen "
    "– wurden mögliche Ziele, Zielschwerpunkte auf Landesebene, Rahmenbedingungen und Verfahren diskutiert.",
    "In Dialogen zwischen dem MAIS NRW und den einzelnen kommunalen Trägern wurden die möglichen Inhalte "
    "der Zielvereinbarungen abgeklärt. Ein solches Gespräch mit dem Kreis Mettmann fand am 16.12.2011 "
    "statt.",
    "Zu den Zielen auf Landesebene für das Jahr 2012 sollten zusätzlich lokalspezifische Ziele für den "
    "Kreis Mettmann formuliert werden, die wiederum auch mit den Zielvereinbarungen zwischen dem JC "
    "ME-aktiv und der BA korrespondieren sollten.",
)

SECTION_III = _paragraphs(
    "Nach Aussagen des MAIS NRW sollen für diese Zielvereinbarung 2012 zunächst keine zahlenmäßigen "
    "Zieldimensionen festgelegt werden, sondern Tendenzen und qualitative Ziele (z. B. Optimierung, "
    "Beobachtung, Evaluation), um dann darauf aufbauend zukünftig ergebnisorientierte Ziele zu formulieren.",
    "Einzelgespräche beim Ministerium mit den entsprechenden Kreisen fanden bis Ende Januar 2012 statt; "
    "hierbei wurde durch das das Ministerium erklärt, die Kreise nachdrücklich unterstützen zu wollen und "
    "Hilfestellung bei der Umsetzung neuer, aber auch bewährter kommunaler Beschäftigungsmaßnahmen und "
    "–projekte zu geben.",
    "Das Ministerium wies ausdrücklich darauf hin, dass kommunale Bedarfe/Ziele sowie Vorstellungen einer "
    "Unterstützung durch das Land formuliert werden sollten. Hier sollen auch Vorschläge, Ideen und "
    "Anregungen der Verbände einfließen, soweit diese mit den Zielvorstellungen des Kreises übereinstimmen.",
    "Allerdings wurde auch darauf hingewiesen, dass das Land ein Interesse daran hat, möglichst ähnliche "
    "Zielvereinbarungen mit den Kommunen zu schließen.",
    "Ein erster Vereinbarungsentwurf des Ministeriums wurde durch den Kreis Mettmann entsprechend "
    "überarbeitet und am 25.01.2012 dem MAIS NRW übersandt. Hierbei wurde gebeten, eine "
    "arbeitsmarktpolitische Stellungnahme der Liga der Wohlfahrtsverbände in die Zielvereinbarung (als "
    "Anlage) einfließen zu lassen.",
    "Anschließend erfolgte die Auswertung aller Vereinbarungsentwürfe der beteiligten Kreise durch das MAIS "
    "NRW.",
    "Der Landkreistag NRW hatte sich zwischenzeitlich ebenfalls kritisch in die Verhandlungen eingebracht "
    "und u. a. darauf aufmerksam gemacht, dass zum einen die originären Aufgaben und Entscheidungsfelder "
    "der Trägerversammlungen in Vereinbarungen nicht tangiert werden dürfen und andererseits die Inhalte "
    "der Zielvereinbarungen der kommunalen Träger mit dem MAIS NRW auch denen mit den Jobcentern "
    "entsprechen müssen und die Diskussion um mögliche trilaterale Zielvereinbarungsgespräche in den Raum "
    "gestellt.",
    "Das MAIS NRW erarbeitete für jeden beteiligten Kreis den Entwurf einer Zielvereinbarung, in der sowohl "
    "Teile der durch die Kreise übermittelten individuellen Vorschläge für eine gemeinsame Vereinbarung als "
    "auch die durch die Landesregierung beabsichtigten Angebote an die Jobcenter enthalten sind.",
    "Das Ministerium will zu insgesamt sieben Themenschwerpunkten Unterstützung für die Jobcenter in NRW "
    "anbieten. Die Unterstützungsangebote sind mit der Regionaldirektion NRW der Bundesagentur für Arbeit "
    "abgestimmt und können der der Zielvereinbarung beigefügten Übersicht entnommen werden. Die weitere "
    "inhaltliche Konkretisierung der einzelnen Angebote wird in enger Abstimmung mit allen Beteiligten "
    "sukzessive im Jahresverlauf erfolgen.",
    "Einige durch den Kreis Mettmann vorgeschlagenen Inhalte wurden durch das MAIS NRW nicht vollständig "
    "übernommen. Zu den entsprechenden inhaltlichen Erläuterungen wird auf das Schreiben des MAIS NRW vom "
    "29.03.2012 verwiesen, das als Anlage dieser Vorlage beigefügt ist.",
)

CONCLUSION = _paragraphs(
    "Die vorliegende Zielvereinbarung enthält keine quantifizierbaren Ziele, sondern qualitative Leitziele "
    "und Tendenzen. Hierauf aufbauend sollen für zukünftige Vereinbarungen ergebnisorientierte Ziele "
    "formuliert werden.",
    "Die Erreichung der kommunalen Ziele gemäß dieser Zielvereinbarung korrespondiert mit den vereinbarten "
    "Zielen (Referenzwerten) der Agentur für Arbeit mit der Regionaldirektion NRW für das Jobcenters "
    "ME-aktiv.",
    "Auch im Hinblick auf die beabsichtigte Intensivierung der Zusammenarbeit mit dem Land NRW – zum "
    "Beispiel im Rahmen von öffentlich geförderter Beschäftigung – hat der Kreis Mettmann die "
    "Zielvereinbarung für das Jahr 2012 abgeschlossen.",
    "Der Kreis beabsichtigt, eine ähnlich lautende Zielvereinbarung mit dem Jobcenter ME-aktiv für das Jahr "
    "2012 abzuschließen.",
)

VORLAGE_SECTIONS = (
    ("I. Rechtliche Grundlagen", SECTION_I),
    ("II. Verfahren", SECTION_II),
    ("III. Rahmenbedingungen und Inhalte", SECTION_III),
)

ANLAGE_AGREEMENT = "Zielvereinbarung MAIS – Kreis Mettmann 2012"
ANLAGE_OFFERS = "Anlage zur Zielvereinbarung"
ANLAGE_LANDRAT = "Anschreiben des Landrates vom 04.03.2012 an das MAIS"
ANLAGE_MAIS = "Schreiben des MAIS NRW vom 29.03.2012"
ANLAGE_LIGA = "Schreiben der Liga der Wohlfahrtsverbände vom 23.01.2012"
VORLAGE_ANLAGEN = (ANLAGE_AGREEMENT, ANLAGE_OFFERS, ANLAGE_LANDRAT, ANLAGE_MAIS, ANLAGE_LIGA)


# --- The agreements (invented wording, see the module docstring) -------------------------------------------

TITLE_2011 = (
    "Zielvereinbarung 2011 zwischen dem Ministerium für Arbeit, Integration und Soziales des Landes "
    "Nordrhein-Westfalen und dem Kreis Mettmann als kommunaler Träger des Jobcenters ME-aktiv"
)
TITLE_2011_JOBCENTER = "Zielvereinbarung 2011 zwischen dem Kreis Mettmann und dem Jobcenter ME-aktiv"
TITLE_2012 = (
    "Zielvereinbarung 2012 zwischen dem Ministerium für Arbeit, Integration und Soziales des Landes "
    "Nordrhein-Westfalen und dem Kreis Mettmann als kommunaler Träger des Jobcenters ME-aktiv"
)
TITLE_2012_JOBCENTER = "Zielvereinbarung 2012 zwischen dem Kreis Mettmann und dem Jobcenter ME-aktiv"
TITLE_2012_NEUSS = (
    "Zielvereinbarung 2012 zwischen dem Ministerium für Arbeit, Integration und Soziales des Landes "
    "Nordrhein-Westfalen und dem Rhein-Kreis Neuss als kommunaler Träger des Jobcenters Rhein-Kreis Neuss"
)
LEGAL_BASES = ("§ 48b SGB II", "§ 2a AG-SGB II NRW", "§ 6 Abs. 1 Nr. 2 SGB II")

KDU_TITLE = "Senkung der Summe der Leistungen für Unterkunft und Heizung"

PREAMBLE_2011 = (
    "Das Ministerium für Arbeit, Integration und Soziales des Landes Nordrhein-Westfalen und der Kreis "
    "Mettmann schließen auf der Grundlage von § 48b SGB II und § 2a AG-SGB II NRW erstmals eine "
    "Zielvereinbarung über die Umsetzung der kommunalen Aufgaben nach § 6 Abs. 1 Nr. 2 SGB II im Jobcenter "
    "ME-aktiv."
)
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


def _section(order, heading, text):
    return {"heading": heading, "text": text, "order": order}


SECTIONS_2012 = (
    _section(1, "§ 1 Gegenstand", _paragraphs(SUBJECT_2012 + " " + SUBJECT_TRAEGERVERSAMMLUNG, SUBJECT_LIGA)),
    _section(2, "§ 2 Ziele", GOALS_SECTION_2012),
    _section(3, "§ 3 Unterstützung durch das Land", SUPPORT_SECTION_2012),
    _section(4, "§ 4 Zielnachhaltung", REVIEW_SECTION_2012),
    _section(5, "§ 5 Laufzeit", TERM_SECTION_2012),
)


def _goal(order, title, text, level, area, direction, indicator=None):
    # Every 2011/2012 goal is a Leitziel: a direction, no numbers ("keine quantifizierbaren Ziele").
    return {
        "title": title, "text": text, "kind": Goal.Kind.QUALITATIVE.value, "level": level, "area": area,
        "direction": direction, "indicator": indicator, "reference_value": None, "corridor_low": None,
        "corridor_high": None, "target_value": None, "unit": "", "order": order,
    }


STATE, LOCAL = Goal.Level.STATE.value, Goal.Level.LOCAL.value
D = Goal.Direction

GOAL_KDU = _goal(
    1, KDU_TITLE,
    "Der Kreis Mettmann strebt an, die Summe der Leistungen für Unterkunft und Heizung im Jahr 2012 "
    "gegenüber dem Vorjahr weiter zu senken. Die Entwicklung wird anhand der Kennzahl K1E1 beobachtet.",
    STATE, Goal.Area.KDU.value, D.SENKUNG.value, "K1E1",
)
GOAL_K3 = _goal(
    2, "Beobachtung des Langzeitleistungsbezugs",
    "Die Entwicklung der Zahl der Langzeitleistungsbeziehenden im Jobcenter ME-aktiv wird beobachtet und im "
    "Nachhaltedialog ausgewertet.",
    STATE, Goal.Area.K3.value, D.BEOBACHTUNG.value, "K3",
)
GOAL_SINGLE_PARENTS = _goal(
    3, "Optimierung der Integration Alleinerziehender",
    "Die Integration Alleinerziehender in Erwerbstätigkeit soll durch eine engere Verzahnung der Leistungen "
    "des Jobcenters ME-aktiv mit den kommunalen Angeboten, insbesondere der Kinderbetreuung, optimiert "
    "werden.",
    LOCAL, Goal.Area.K2.value, D.OPTIMIERUNG.value,
)
GOAL_16A = _goal(
    4, "Evaluation der kommunalen Eingliederungsleistungen nach § 16a SGB II",
    "Die kommunalen Eingliederungsleistungen nach § 16a SGB II (Kinderbetreuung, Schuldner- und "
    "Suchtberatung, psychosoziale Betreuung) werden im Hinblick auf ihre Inanspruchnahme und Wirkung "
    "evaluiert.",
    LOCAL, Goal.Area.P16A.value, D.EVALUATION.value,
)
GOAL_PUBLIC_EMPLOYMENT = _goal(
    5, "Steigerung der Integration in öffentlich geförderte Beschäftigung",
    "Die Zahl der Leistungsberechtigten in öffentlich geförderter Beschäftigung soll in Zusammenarbeit mit "
    "dem Land gesteigert werden.",
    LOCAL, Goal.Area.OTHER.value, D.STEIGERUNG.value,
)
GOALS_2012 = (GOAL_KDU, GOAL_K3, GOAL_SINGLE_PARENTS, GOAL_16A, GOAL_PUBLIC_EMPLOYMENT)
# The Kreis's draft (v2) had a shorter § 16a goal and asked for extra state money; the ministry dropped that.
GOAL_16A_KREIS = {
    **GOAL_16A, "text": "Die kommunalen Eingliederungsleistungen nach § 16a SGB II werden evaluiert.",
}
GOAL_STATE_FUNDS = _goal(
    6, "Zusätzliche Landesmittel für kommunale Beschäftigungsprojekte",
    "Das Land stellt dem Kreis Mettmann zusätzliche Mittel für neue und bewährte kommunale "
    "Beschäftigungsprojekte zur Verfügung.",
    LOCAL, Goal.Area.OTHER.value, D.STEIGERUNG.value,
)

GOAL_KDU_2011 = _goal(
    1, KDU_TITLE,
    "Die Summe der Leistungen für Unterkunft und Heizung soll im Jahr 2011 gegenüber dem Vorjahr gesenkt "
    "werden.",
    STATE, Goal.Area.KDU.value, D.SENKUNG.value, "K1E1",
)

# Themenschwerpunkte: the reference says there were seven, not what they were called.
TOPICS = (
    (1, "Alleinerziehende"),
    (2, "Langzeitleistungsbeziehende"),
    (3, "Öffentlich geförderte Beschäftigung"),
    (4, "Kommunale Eingliederungsleistungen § 16a SGB II"),
    (5, "Kosten der Unterkunft"),
    (6, "Junge Menschen / Übergang Schule–Beruf"),
    (7, "Menschen mit Migrationshintergrund"),
)

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


def _draft_snapshots(current):
    """Snapshots of versions 1 to 3, derived from the current one (v4) so that they share its schema.

    Items that still exist keep their row id, so a redline can follow them across versions; items that
    never became rows (the state-money goal of the Kreis's draft) have id None.

    v1: the ministry's first draft, state goals only. v2: the Kreis's revision of 25.01.2012 with local goals,
    a request for state money, a joint review with Jobcenter and RD, and the Liga statement as annex.
    v3: the ministry's per-county draft: money and joint review dropped, the Liga annex dropped too, the
    Trägerversammlung reserve added (Landkreistag), the offers of the seven topics added.
    """
    sections = {section["heading"]: section for section in current["sections"]}
    goals = {goal["title"]: goal for goal in current["goals"]}

    def section(heading, order, text, new_heading=None):
        return {**sections[heading], "order": order, "text": text, "heading": new_heading or heading}

    def goal(data):
        # The current row's id (if the goal became one) with the draft's own wording.
        row = goals.get(data["title"])
        return {**(row or {}), "id": row["id"] if row else None, **data}

    def version(preamble, section_list, goal_list, offers):
        return {
            **copy.deepcopy(current), "preamble": preamble, "sections": section_list, "goals": goal_list,
            "offers": copy.deepcopy(offers),
        }

    v1 = version(
        PREAMBLE_2012_DRAFT,
        [
            section("§ 1 Gegenstand", 1, SUBJECT_2012),
            section("§ 2 Ziele", 2, GOALS_SECTION_DRAFT),
            section("§ 3 Unterstützung durch das Land", 3, SUPPORT_SECTION_DRAFT),
            section("§ 5 Laufzeit", 4, TERM_SECTION_2012, "§ 4 Laufzeit"),
        ],
        [goal(GOAL_KDU), goal(GOAL_K3)],
        [],
    )
    v2 = version(
        PREAMBLE_2012_DRAFT,
        [
            section("§ 1 Gegenstand", 1, _paragraphs(SUBJECT_2012, SUBJECT_LIGA)),
            section("§ 2 Ziele", 2, GOALS_SECTION_2012),
            section("§ 3 Unterstützung durch das Land", 3, SUPPORT_SECTION_KREIS),
            section("§ 4 Zielnachhaltung", 4, REVIEW_SECTION_KREIS),
            section("§ 5 Laufzeit", 5, TERM_SECTION_2012),
        ],
        [
            goal(GOAL_KDU), goal(GOAL_K3), goal(GOAL_SINGLE_PARENTS), goal(GOAL_16A_KREIS),
            goal(GOAL_PUBLIC_EMPLOYMENT), goal(GOAL_STATE_FUNDS),
        ],
        [],
    )
    v3 = version(
        PREAMBLE_2012,
        [
            section("§ 1 Gegenstand", 1, SUBJECT_2012 + " " + SUBJECT_TRAEGERVERSAMMLUNG),
            *(section(s["heading"], s["order"], s["text"]) for s in SECTIONS_2012[1:]),
        ],
        [goal(g) for g in GOALS_2012],
        current["offers"],
    )
    return v1, v2, v3


# --- Generated PDFs for the Anlagen -----------------------------------------------------------------------

PDF_STYLE = (
    "@page { size: A4; margin: 2cm 2cm 2.5cm; @bottom-center { content: 'Seite ' counter(page) ' von ' "
    "counter(pages); font-size: 8pt; } } body { font-family: sans-serif; font-size: 10.5pt; line-height: "
    "1.4; } h1 { font-size: 15pt; } h2 { font-size: 11.5pt; margin-top: 1.2em; } .meta { color: #444; } "
    ".note { margin-top: 2em; font-size: 8.5pt; color: #666; border-top: 1px solid #999; padding-top: .5em; }"
)
PDF_NOTE = (
    "Nachbildung für die Demo-Daten: Datum, Absender und Gegenstand entsprechen der Vorlage 50/015/2012 des "
    "Kreises Mettmann, der Wortlaut ist nicht der des Originals."
)


def _p(text):
    return "".join(f"<p>{escape(paragraph)}</p>" for paragraph in text.split("\n\n"))


@contextlib.contextmanager
def _fixed_source_date():
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = PDF_SOURCE_DATE_EPOCH
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def render_pdf(title, body_html):
    """A small PDF/A-3a titled like the Anlage. body_html must be built from escaped text only."""
    page = (
        f'<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<meta name="author" content="Demo-Daten"><style>{PDF_STYLE}</style></head>'
        f"<body><h1>{escape(title)}</h1>{body_html}<p class='note'>{escape(PDF_NOTE)}</p></body></html>"
    )
    return _html_to_pdf(page)


def _plain_text(title, body_html):
    body = re.sub(r"</(p|h2|li|ol)>|<br>", "\n", body_html)
    return "\n".join([title, html.unescape(strip_tags(body)).strip(), PDF_NOTE])


@functools.lru_cache(maxsize=8)
def _html_to_pdf(page):
    # The project's renderer: WeasyPrint with the static-only URL fetcher, tagged PDF/A-3a. The output is a
    # function of the HTML (fixed source date), so a process that loads the demo again (tests) reuses it.
    with _fixed_source_date():
        return html_to_pdf(page)


def _letter_html(sender, recipient, date, subject, text):
    return (
        f'<p class="meta">{escape(sender)}<br>an: {escape(recipient)}<br>Datum: {date:%d.%m.%Y}</p>'
        f"<h2>{escape(subject)}</h2>{_p(text)}"
    )


def _agreement_html():
    goals = "".join(
        f"<li><strong>{escape(goal['title'])}</strong> ({escape(str(Goal.Level(goal['level']).label))}, "
        f"Tendenz: {escape(str(Goal.Direction(goal['direction']).label))})<br>{escape(goal['text'])}</li>"
        for goal in GOALS_2012
    )
    sections = "".join(f"<h2>{escape(s['heading'])}</h2>{_p(s['text'])}" for s in SECTIONS_2012)
    return (
        f"<p><strong>{escape(TITLE_2012)}</strong></p>{_p(PREAMBLE_2012)}{sections}"
        f"<h2>Zielübersicht</h2><ol>{goals}</ol>"
        "<p>Düsseldorf und Mettmann, im April 2012</p>"
        "<p>Für das MAIS NRW: Dr. Wilhelm Schäffer, Staatssekretär<br>"
        "Für den Kreis Mettmann: Thomas Hendele, Landrat</p>"
    )


def _offers_html():
    topics = dict(TOPICS)
    rows = "".join(
        f"<h2>{number}. {escape(topics[number])}</h2>"
        f"<p><strong>{escape(title)}</strong><br>{escape(text)}</p>"
        for number, title, text in OFFERS_2012
    )
    return (
        "<p>Übersicht über die Unterstützungsangebote des MAIS NRW zu sieben Themenschwerpunkten, abgestimmt "
        "mit der Regionaldirektion Nordrhein-Westfalen der Bundesagentur für Arbeit.</p>" + rows
    )


MAIS_NAME = "Ministerium für Arbeit, Integration und Soziales des Landes Nordrhein-Westfalen"
LIGA_SUMMARY = (
    "Die Liga der Wohlfahrtsverbände nimmt aus arbeitsmarktpolitischer Sicht zu den Zielen des Kreises "
    "Mettmann für 2012 Stellung. Sie regt an, Alleinerziehende und Langzeitleistungsbeziehende besonders zu "
    "fördern, die kommunalen Eingliederungsleistungen nach § 16a SGB II zu sichern und öffentlich geförderte "
    "Beschäftigung auszubauen, und bietet die Mitwirkung der Verbände bei der Umsetzung an."
)
LANDRAT_SUMMARY = (
    "Der Landrat übersendet die Anmerkungen des Kreises Mettmann zum Entwurf der Zielvereinbarung 2012. Er "
    "bittet erneut, die Stellungnahme der Liga der Wohlfahrtsverbände als Anlage aufzunehmen, und hält an "
    "den Vorschlägen des Kreises zu zusätzlichen Landesmitteln für kommunale Beschäftigungsprojekte und zu "
    "einem gemeinsamen Nachhaltedialog mit dem Jobcenter ME-aktiv und der Regionaldirektion NRW fest."
)
MAIS_SUMMARY = (
    "Das MAIS NRW erläutert, welche Vorschläge des Kreises Mettmann in die Zielvereinbarung 2012 übernommen "
    "wurden und aus welchen Gründen einige Vorschläge nicht oder nicht vollständig übernommen werden konnten."
)
LANDKREISTAG_SUMMARY = (
    "Der Landkreistag NRW weist darauf hin, dass die originären Aufgaben und Entscheidungsfelder der "
    "Trägerversammlungen durch Zielvereinbarungen nicht berührt werden dürfen und dass die Inhalte der "
    "Zielvereinbarungen der kommunalen Träger mit dem MAIS NRW denen mit den Jobcentern entsprechen müssen. "
    "Er stellt trilaterale Zielvereinbarungsgespräche zur Diskussion."
)


# --- Demo users -------------------------------------------------------------------------------------------

DEMO_USERS = (
    # username, first name, last name, party key or None, membership role or None, committee name or None
    ("kreis-editor", "Ulrike", "Gansauer", "kreis-mettmann", "editor", None),
    ("kreis-reader", "Lena", "Lehmann", "kreis-mettmann", "reader", None),
    ("neuss-editor", "Jonas", "Neumann", "rhein-kreis-neuss", "editor", None),
    ("mais-editor", "Miriam", "Maier", "mais-nrw", "editor", None),
    ("ausschuss", "Klaus", "Schulte", None, None, "Sozialausschuss"),
    ("admin", "Demo", "Administrator", None, None, None),
)


# --- Loader -----------------------------------------------------------------------------------------------


class _Loader:
    def __init__(self, stdout=None):
        self.stdout = stdout
        self.counts = {}
        self.created = set()
        self.saved_files = []
        self.logins = []

    # Generic idempotent writes ----------------------------------------------------------------------------

    def _count(self, model, what, obj=None, fields=()):
        label = model._meta.model_name
        counts = self.counts.setdefault(label, {"created": 0, "changed": 0, "unchanged": 0})
        counts[what] += 1
        if self.stdout is not None and what != "unchanged":
            verb = _("angelegt") if what == "created" else _("geändert")
            detail = f" ({', '.join(fields)})" if fields else ""
            self.stdout.write(f"{verb}: {model._meta.verbose_name} „{obj}“{detail}\n")

    @staticmethod
    def _differs(obj, name, value):
        field = obj._meta.get_field(name)
        if field.is_relation:
            return getattr(obj, field.attname) != (value.pk if value is not None else None)
        return getattr(obj, name) != value

    def ensure(self, model, lookup, values=None, *, create_only=False):
        """Get the row by its natural key; create it, or save only the fields that differ from the demo."""
        values = values or {}
        try:
            obj = model.objects.get(**lookup)
        except model.DoesNotExist:
            obj = model(**lookup, **values)
            obj._change_reason = CHANGE_REASON
            obj.save()
            self.created.add((model, obj.pk))
            self._count(model, "created", obj)
            return obj
        if create_only or not self._sync(obj, values):
            self._count(model, "unchanged")
        return obj

    def _sync(self, obj, values):
        """Save the fields that differ from values; True if there were any."""
        changed = [name for name, value in values.items() if self._differs(obj, name, value)]
        if not changed:
            return False
        for name in changed:
            setattr(obj, name, values[name])
        update_fields = list(changed)
        if isinstance(obj, LockVersionModel):
            # An editor holding the old lock_version must get a conflict, not overwrite the restored value.
            obj.lock_version += 1
            update_fields.append("lock_version")
        if any(f.name == "modified" for f in obj._meta.concrete_fields):
            update_fields.append("modified")
        obj._change_reason = CHANGE_REASON
        obj.save(update_fields=update_fields)
        if (type(obj), obj.pk) not in self.created:  # a second write to a new row is still just "created"
            self._count(type(obj), "changed", obj, changed)
        return True

    def ensure_m2m(self, manager, objects):
        # Adds what is missing and leaves anything added by hand alone; add() itself skips existing links.
        present = set(manager.values_list("pk", flat=True))
        missing = [obj for obj in objects if obj.pk not in present]
        if missing:
            manager.add(*missing)

    def ensure_document(self, title, kind, filename, body_html, agreement):
        # The demo's own document from an earlier run: kept as it is, not even re-rendered (that is the slow
        # part of the loader).
        document = (
            Document.objects.filter(title=title, kind=kind, original_filename=filename).order_by("pk").first()
        )
        if document is None:
            data = render_pdf(title, body_html)
            sha256 = hashlib.sha256(data).hexdigest()
            # The same bytes are the same document, whoever stored them first.
            document = Document.objects.filter(sha256=sha256).order_by("pk").first()
        if document is not None:
            self._count(Document, "unchanged")
            return document
        document = Document(
            title=title, kind=kind, original_filename=filename, size=len(data),
            content_type="application/pdf", sha256=sha256, is_pdfa=True, agreement=agreement,
            # What an upload would extract from the PDF, taken from the page's source instead.
            extracted_text=_plain_text(title, body_html),
        )
        document.file.save(filename, ContentFile(data), save=False)
        self.saved_files.append((document.file.storage, document.file.name))
        document.save()
        self._count(Document, "created", document)
        return document

    def delete_saved_files(self):
        for storage, name in self.saved_files:
            with contextlib.suppress(OSError):
                storage.delete(name)

    # Look-ups of reference data -----------------------------------------------------------------------------

    def party(self, key):
        try:
            return Party.objects.get(key=key)
        except Party.DoesNotExist:
            raise DemoDataError(
                _("Die Referenzdaten enthalten die Stelle „%(key)s“ nicht; bitte zuerst load_reference "
                  "ausführen.") % {"key": key}
            ) from None

    def indicator(self, code):
        if code is None:
            return None
        try:
            return Indicator.objects.get(code=code)
        except Indicator.DoesNotExist:
            raise DemoDataError(
                _("Die Referenzdaten enthalten die Kennzahl „%(code)s“ nicht; bitte zuerst load_reference "
                  "ausführen.") % {"code": code}
            ) from None

    def legal_bases(self, citations):
        found = {lb.citation: lb for lb in LegalBasis.objects.filter(citation__in=citations)}
        missing = [c for c in citations if c not in found]
        if missing:
            raise DemoDataError(
                _("Die Referenzdaten enthalten die Rechtsgrundlage „%(citation)s“ nicht; bitte zuerst "
                  "load_reference ausführen.") % {"citation": missing[0]}
            )
        return [found[c] for c in citations]

    # Building blocks ----------------------------------------------------------------------------------------

    def agreement(self, title, year, parties, *, preamble="", predecessor=None, legal_bases=LEGAL_BASES):
        # Created as a draft: a signed agreement's parts can no longer be written (SignedAgreementGuard), so
        # the final status comes last, in set_status().
        agreement = self.ensure(
            Agreement, {"year": year, "title": title},
            {
                "period_start": _day(year, 1, 1), "period_end": _day(year, 12, 31), "preamble": preamble,
                "predecessor": predecessor,
            },
        )
        for order, (party, role) in enumerate(parties, start=1):
            self.ensure(
                AgreementParty, {"agreement": agreement, "party": party}, {"role": role, "order": order},
            )
        self.ensure_m2m(agreement.legal_bases, self.legal_bases(legal_bases))
        return agreement

    def set_status(self, agreement, status, **values):
        self._sync(agreement, {"status": status, **values})

    def sections(self, agreement, sections):
        for section in sections:
            self.ensure(
                AgreementSection, {"agreement": agreement, "heading": section["heading"]},
                {"order": section["order"], "text": section["text"]},
            )

    def goals(self, agreement, goals):
        result = {}
        for goal in goals:
            values = {k: v for k, v in goal.items() if k != "title"}
            values["indicator"] = self.indicator(goal["indicator"])
            lookup = {"agreement": agreement, "title": goal["title"]}
            result[goal["title"]] = self.ensure(Goal, lookup, values)
        return result

    def version(self, agreement, number, kind, author, sent_at, note, snapshot):
        # Versions are immutable: an existing one is never compared or saved again.
        return self.ensure(
            AgreementVersion, {"agreement": agreement, "number": number},
            {"kind": kind, "author_party": author, "sent_at": sent_at, "note": note, "snapshot": snapshot},
            create_only=True,
        )

    def step(
        self, agreement, kind, title, date, precision, description, participants=(), *, letter=None,
        version=None, participants_note="",
    ):
        values = {
            "date": date, "date_precision": precision, "end_date": None, "description": description,
            "letter": letter, "version": version, "participants_note": participants_note,
        }
        step = self.ensure(ProcedureStep, {"agreement": agreement, "kind": kind, "title": title}, values)
        self.ensure_m2m(step.participants, participants)
        return step

    # The case ----------------------------------------------------------------------------------------------

    def run(self):
        if not Party.objects.filter(key="mais-nrw").exists():
            call_command("load_reference", verbosity=0)

        mais = self.party("mais-nrw")
        rd = self.party("rd-nrw")
        landkreistag = self.party("landkreistag-nrw")
        liga = self.party("liga-nrw")
        mettmann = self.party("kreis-mettmann")
        me_aktiv = self.party("jobcenter-kreis-mettmann")
        neuss = self.party("rhein-kreis-neuss")
        neuss_jobcenter = self.party("jobcenter-rhein-kreis-neuss")

        users = self.load_users()
        people = self.load_people(mais, mettmann, neuss, users["kreis-editor"])
        topics = {
            number: self.ensure(Topic, {"number": number}, {"name": name}, create_only=True)
            for number, name in TOPICS
        }

        agreement_2011, agreement_2011_jc = self.load_2011(mais, mettmann, me_aktiv)
        agreement_2012, documents = self.load_2012(
            mais, rd, landkreistag, liga, mettmann, topics, people, agreement_2011,
        )
        self.load_2012_jobcenter(mettmann, me_aktiv, agreement_2011_jc, agreement_2012)
        self.load_neuss(mais, neuss, neuss_jobcenter)
        committees = self.load_committees(mettmann, users["ausschuss"])
        self.load_vorlage(people, committees, agreement_2012, documents)

    def load_users(self):
        User = get_user_model()
        users = {}
        for username, first_name, last_name, party_key, role, committee in DEMO_USERS:
            is_admin = username == "admin"
            values = {
                "first_name": first_name, "last_name": last_name, "email": f"{username}@demo.invalid",
                "is_active": True, "is_staff": is_admin, "is_superuser": is_admin,
            }
            try:
                user = User.objects.get(username=username)
            except User.DoesNotExist:
                user = User(username=username, **values)
                # Only a new account gets the known password: a re-run must not undo a password change.
                user.set_password(DEMO_PASSWORD)
                user.save()
                self._count(User, "created", user)
                password = DEMO_PASSWORD
            else:
                user = self.ensure(User, {"username": username}, values)
                password = _("(unverändert)")
            users[username] = user

            if party_key:
                party = self.party(party_key)
                membership = self.ensure(Membership, {"user": user, "party": party}, {"role": role})
                role_text = f"{membership.get_role_display()} – {party.name}"
            elif committee:
                role_text = _("Mitglied im %(committee)s (Kreis Mettmann)") % {"committee": committee}
            else:
                role_text = _("Administration (Superuser)")
            self.logins.append({"username": username, "role": role_text, "password": password})
        return users

    def load_people(self, mais, mettmann, neuss, gansauer_user):
        social = self.ensure(Department, {"party": mettmann, "number": "50"}, {"name": "Sozialamt"})
        H = Person.FormOfAddress.HERR
        return {
            "hendele": self.ensure(
                Person, {"party": mettmann, "family_name": "Hendele", "given_name": "Thomas"},
                {"form_of_address": H, "title": "", "function": "Landrat", "department": None},
            ),
            "schaeffer": self.ensure(
                Person, {"party": mais, "family_name": "Schäffer", "given_name": "Wilhelm"},
                {"form_of_address": H, "title": "Dr.", "function": "Staatssekretär", "department": None},
            ),
            "gansauer": self.ensure(
                Person, {"party": mettmann, "family_name": "Gansauer", "given_name": "Ulrike"},
                {
                    "form_of_address": Person.FormOfAddress.FRAU, "title": "", "function": "Bearbeiterin",
                    "department": social, "user": gansauer_user,
                },
            ),
            # Landrat of the Rhein-Kreis Neuss in 2012; not named in the reference.
            "petrauschke": self.ensure(
                Person, {"party": neuss, "family_name": "Petrauschke", "given_name": "Hans-Jürgen"},
                {"form_of_address": H, "title": "", "function": "Landrat des Rhein-Kreises Neuss"},
            ),
            "department": social,
        }

    def load_2011(self, mais, mettmann, me_aktiv):
        Role = AgreementParty.Role
        closed = Agreement.Status.CLOSED
        agreement = self.agreement(
            TITLE_2011, 2011, [(mais, Role.LAND), (mettmann, Role.KOMMUNALER_TRAEGER)],
            preamble=PREAMBLE_2011,
        )
        jobcenter_agreement = self.agreement(
            TITLE_2011_JOBCENTER, 2011,
            [(mettmann, Role.KOMMUNALER_TRAEGER), (me_aktiv, Role.JOBCENTER)],
            preamble=(
                "Der Kreis Mettmann und das Jobcenter ME-aktiv vereinbaren für das Jahr 2011 das "
                "gleichlautende Ziel der Zielvereinbarung zwischen dem MAIS NRW und dem Kreis Mettmann."
            ),
            legal_bases=("§ 48b SGB II", "§ 6 Abs. 1 Nr. 2 SGB II"),
        )
        self.ensure_m2m(agreement.related, [jobcenter_agreement])
        for each, participants in [
            (agreement, "MAIS NRW, Kreis Mettmann (Sozialamt)"),
            (jobcenter_agreement, "Kreis Mettmann (Sozialamt), Jobcenter ME-aktiv"),
        ]:
            self.sections(each, [
                _section(1, "§ 1 Ziel", "Ziel für das Jahr 2011 ist die Senkung der Summe der Leistungen für "
                                        "Unterkunft und Heizung."),
                _section(2, "§ 2 Laufzeit", "Die Vereinbarung gilt vom 1. Januar bis zum 31. Dezember 2011."),
            ])
            goal = self.goals(each, [GOAL_KDU_2011])[KDU_TITLE]
            # The reference: "Dieses Ziel wurde erreicht." Review date and wording are invented.
            review = self.ensure(
                Review, {"agreement": each, "kind": Review.Kind.FINAL, "date": _day(2012, 3, 15)},
                {
                    "participants": participants,
                    "minutes": (
                        "Jahresauswertung 2011: Die Summe der Leistungen für Unterkunft und Heizung ist im "
                        "Jahr 2011 gesunken; das vereinbarte Ziel wurde erreicht."
                    ),
                },
            )
            self.ensure(
                Assessment, {"review": review, "goal": goal},
                {
                    "status": Assessment.Status.ACHIEVED, "actual_value": None, "report_month": None,
                    "comment": "Die Summe der Leistungen für Unterkunft und Heizung lag 2011 unter dem "
                               "Vorjahreswert.",
                },
            )
            self.set_status(each, closed)
        return agreement, jobcenter_agreement

    def load_2012(self, mais, rd, landkreistag, liga, mettmann, topics, people, predecessor):
        Role = AgreementParty.Role
        agreement = self.agreement(
            TITLE_2012, 2012, [(mais, Role.LAND), (mettmann, Role.KOMMUNALER_TRAEGER)],
            preamble=PREAMBLE_2012, predecessor=predecessor,
        )
        self.sections(agreement, SECTIONS_2012)
        goals = self.goals(agreement, GOALS_2012)
        for number, title, text in OFFERS_2012:
            self.ensure(
                SupportOffer, {"agreement": agreement, "topic": topics[number], "title": title},
                {
                    "text": text, "provider": mais, "coordinated_with": rd,
                    "status": SupportOffer.Status.PLANNED, "order": 1,
                },
            )

        # Documents (the first five become the Vorlage's Anlagen).
        K = Document.Kind
        documents = {
            ANLAGE_AGREEMENT: self.ensure_document(
                ANLAGE_AGREEMENT, K.AGREEMENT, "zielvereinbarung-mais-kreis-mettmann-2012.pdf",
                _agreement_html(), agreement,
            ),
            ANLAGE_OFFERS: self.ensure_document(
                ANLAGE_OFFERS, K.ANNEX, "anlage-zur-zielvereinbarung-2012.pdf", _offers_html(), agreement,
            ),
            ANLAGE_LANDRAT: self.ensure_document(
                ANLAGE_LANDRAT, K.LETTER, "anschreiben-landrat-2012-03-04.pdf",
                _letter_html("Der Landrat des Kreises Mettmann", MAIS_NAME, _day(2012, 3, 4),
                             "Anschreiben des Landrates zur Zielvereinbarung 2012", LANDRAT_SUMMARY),
                agreement,
            ),
            ANLAGE_MAIS: self.ensure_document(
                ANLAGE_MAIS, K.LETTER, "schreiben-mais-2012-03-29.pdf",
                _letter_html(MAIS_NAME, "Kreis Mettmann, Der Landrat", _day(2012, 3, 29),
                             "Übernahme der Vorschläge des Kreises Mettmann", MAIS_SUMMARY),
                agreement,
            ),
            ANLAGE_LIGA: self.ensure_document(
                ANLAGE_LIGA, K.STATEMENT, "stellungnahme-liga-2012-01-23.pdf",
                _letter_html("Liga der Wohlfahrtsverbände", "Kreis Mettmann, Sozialamt", _day(2012, 1, 23),
                             "Arbeitsmarktpolitische Stellungnahme der Liga der "
                             "Wohlfahrtsverbände", LIGA_SUMMARY),
                agreement,
            ),
        }

        # Letters, as registered by the Kreis.
        D = Letter.Direction
        liga_letter = self.ensure(
            Letter,
            {"agreement": agreement, "date": _day(2012, 1, 23), "sender": liga,
             "subject": "Arbeitsmarktpolitische Stellungnahme der Liga der Wohlfahrtsverbände"},
            {"direction": D.INCOMING, "recipient": mettmann, "sender_person": None, "summary": LIGA_SUMMARY,
             "document": documents[ANLAGE_LIGA]},
        )
        landrat_letter = self.ensure(
            Letter,
            {"agreement": agreement, "date": _day(2012, 3, 4), "sender": mettmann,
             "subject": "Anschreiben des Landrates zur Zielvereinbarung 2012"},
            {"direction": D.OUTGOING, "recipient": mais, "sender_person": people["hendele"],
             "summary": LANDRAT_SUMMARY, "document": documents[ANLAGE_LANDRAT]},
        )
        mais_letter = self.ensure(
            Letter,
            {"agreement": agreement, "date": _day(2012, 3, 29), "sender": mais,
             "subject": "Übernahme der Vorschläge des Kreises Mettmann"},
            {"direction": D.INCOMING, "recipient": mettmann, "sender_person": None, "summary": MAIS_SUMMARY,
             "document": documents[ANLAGE_MAIS]},
        )

        self.ensure(
            Statement,
            {"agreement": agreement, "party": liga,
             "title": "Arbeitsmarktpolitische Stellungnahme der Liga der Wohlfahrtsverbände"},
            {"date": _day(2012, 1, 23), "text": LIGA_SUMMARY, "document": documents[ANLAGE_LIGA],
             "include_as_annex": True},
        )
        # The reference says only "zwischenzeitlich", between the drafts of January and March: February 2012.
        self.ensure(
            Statement,
            {"agreement": agreement, "party": landkreistag,
             "title": "Stellungnahme des Landkreistages NRW zu den Zielvereinbarungen 2012"},
            {"date": _day(2012, 2, 1), "text": LANDKREISTAG_SUMMARY, "document": None,
             "include_as_annex": False},
        )

        versions = self.load_2012_versions(agreement, mais, mettmann)
        self.load_2012_proposals(agreement, mettmann, goals, mais_letter)
        self.load_2012_steps(
            agreement, mais, landkreistag, liga, mettmann, versions, liga_letter, landrat_letter, mais_letter,
        )

        signatures = [
            (mettmann, people["hendele"], _day(2012, 4, 10), "Mettmann"),
            (mais, people["schaeffer"], _day(2012, 4, 16), "Düsseldorf"),
        ]
        for party, person, date, place in signatures:
            # The reference says only that both have signed by 19.04.2012; the days are invented.
            self.ensure(
                Signature, {"agreement": agreement, "party": party},
                {"person": person, "signatory_name": person.name, "signatory_function": person.function,
                 "date": date, "place": place},
            )
        # Signed in April 2012 and in effect by the time of the Vorlage; from here on the text is frozen.
        self.set_status(agreement, Agreement.Status.IN_EFFECT, signed_file=documents[ANLAGE_AGREEMENT])
        return agreement, documents

    def load_2012_versions(self, agreement, mais, mettmann):
        current = agreement_snapshot(agreement)
        v1, v2, v3 = _draft_snapshots(current)
        Kind = AgreementVersion.Kind
        return {
            1: self.version(
                agreement, 1, Kind.DRAFT, mais, _moment(2011, 12, 20),
                "Erster Vereinbarungsentwurf des MAIS NRW mit den Landeszielen für 2012.", v1,
            ),
            2: self.version(
                agreement, 2, Kind.DRAFT, mettmann, _moment(2012, 1, 25),
                "Vom Kreis Mettmann überarbeiteter Entwurf mit lokalen Zielen. Der Kreis bittet, die "
                "arbeitsmarktpolitische Stellungnahme der Liga der Wohlfahrtsverbände vom 23.01.2012 als "
                "Anlage in die Zielvereinbarung einfließen zu lassen.", v2,
            ),
            3: self.version(
                agreement, 3, Kind.DRAFT, mais, _moment(2012, 3, 1),
                "Entwurf des MAIS NRW für den Kreis Mettmann nach Auswertung aller Vereinbarungsentwürfe, "
                "mit den Unterstützungsangeboten zu sieben Themenschwerpunkten.", v3,
            ),
            4: self.version(
                agreement, 4, Kind.FINAL, mais, _moment(2012, 4, 2),
                "Abgestimmte Endfassung. Die Stellungnahme der Liga der Wohlfahrtsverbände ist als Anlage "
                "beigefügt (Schreiben des MAIS NRW vom 29.03.2012).", current,
            ),
        }

    def load_2012_proposals(self, agreement, mettmann, goals, answer_letter):
        # The reference says only that some proposals were "nicht vollständig übernommen" and that the letter
        # of 29.03.2012 explains why; these four are plausible examples of that.
        decided_at = _moment(2012, 3, 29)
        D = Proposal.Decision
        proposals = [
            ("Lokales Ziel Alleinerziehende",
             "Als lokales Ziel wird die Optimierung der Integration Alleinerziehender aufgenommen.",
             D.ADOPTED, "", goals["Optimierung der Integration Alleinerziehender"]),
            ("Stellungnahme der Liga als Anlage",
             "Die arbeitsmarktpolitische Stellungnahme der Liga der Wohlfahrtsverbände vom 23.01.2012 fließt "
             "als Anlage in die Zielvereinbarung ein; ihre Anregungen werden in die Ziele übernommen.",
             D.PARTLY,
             "Die Stellungnahme wird der Zielvereinbarung als Anlage beigefügt. Ihre Anregungen werden nicht "
             "als eigene Ziele übernommen: Die Vereinbarung enthält nur Ziele, die der kommunale Träger "
             "selbst verfolgt; soweit sie mit seinen Zielen übereinstimmen, sind sie in die lokalen Ziele "
             "eingegangen.",
             None),
            ("Zusätzliche Landesmittel für kommunale Beschäftigungsprojekte",
             "Das Land stellt dem Kreis Mettmann zusätzliche Mittel für neue und bewährte kommunale "
             "Beschäftigungsprojekte zur Verfügung.",
             D.REJECTED,
             "Über Haushaltsmittel des Landes kann in einer Zielvereinbarung nicht verbindlich entschieden "
             "werden. Das Land unterstützt die Umsetzung kommunaler Beschäftigungsmaßnahmen im "
             "Themenschwerpunkt „Öffentlich geförderte Beschäftigung“.",
             None),
            ("Gemeinsamer Nachhaltedialog mit Jobcenter und Regionaldirektion",
             "Der Stand der Zielerreichung wird in einem gemeinsamen Nachhaltedialog des MAIS NRW, des "
             "Kreises Mettmann, des Jobcenters ME-aktiv und der Regionaldirektion NRW erörtert.",
             D.REJECTED,
             "Trilaterale Zielvereinbarungsgespräche sind für 2012 nicht vorgesehen; die Entscheidungsfelder "
             "der Trägerversammlung bleiben unberührt. Das Jobcenter ME-aktiv wird über die Ergebnisse der "
             "Zielnachhaltung unterrichtet.",
             None),
        ]
        for concerns, text, decision, reason, goal in proposals:
            self.ensure(
                Proposal, {"agreement": agreement, "party": mettmann, "concerns": concerns},
                {"text": text, "decision": decision, "reason": reason, "goal": goal,
                 "answer_letter": answer_letter, "decided_at": decided_at},
            )

    def load_2012_steps(
        self, agreement, mais, landkreistag, liga, mettmann, versions, liga_letter, landrat_letter,
        mais_letter,
    ):
        K, P = ProcedureStep.Kind, ProcedureStep.Precision
        both = (mais, mettmann)
        # Created in timeline order: steps of the same date keep this order (ordering is date, created, id).
        self.step(
            agreement, K.MEETING, "Zielsteuerungsgespräche des MAIS NRW mit Kreisen und kreisfreien Städten",
            _day(2011, 7, 1), P.HALF_YEAR,
            "Im zweiten Halbjahr 2011 erörterte das MAIS NRW in mehreren Zielsteuerungsgesprächen mit "
            "Kreisen und kreisfreien Städten, sowohl Optionskommunen als auch kommunalen Trägern in "
            "gemeinsamen Einrichtungen, mögliche Ziele, Zielschwerpunkte auf Landesebene, Rahmenbedingungen "
            "und Verfahren.",
            both, participants_note="Kreise und kreisfreie Städte in Nordrhein-Westfalen",
        )
        self.step(
            agreement, K.REFERENCE_VALUES, "Referenzwerte und Korridore mitgeteilt", _day(2011, 11, 1),
            P.MONTH,
            "Im November 2011 teilte das MAIS NRW dem Kreis Mettmann die Referenzwerte und die dazugehörigen "
            "Korridore für die Zielvereinbarung 2012 des Jobcenters ME-aktiv mit.",
            both,
        )
        self.step(
            agreement, K.OTHER, "Beginn der Verhandlungen", _day(2011, 12, 1), P.MONTH,
            "Im Dezember 2011 begannen die Verhandlungen zwischen dem MAIS NRW und den Kreisen und "
            "kreisfreien Städten, die kommunale Träger in ihren Jobcentern sind, über die Inhalte der "
            "Zielvereinbarung 2012.",
            both,
        )
        # When the first draft was sent is not in the reference; December 2011 is an assumption.
        self.step(
            agreement, K.DRAFT_SENT, "Erster Vereinbarungsentwurf des MAIS NRW", _day(2011, 12, 1), P.MONTH,
            "Das MAIS NRW übersandte dem Kreis Mettmann einen ersten Vereinbarungsentwurf mit den Zielen auf "
            "Landesebene.",
            both, version=versions[1],
        )
        self.step(
            agreement, K.MEETING, "Gespräch zwischen dem MAIS NRW und dem Kreis Mettmann", _day(2011, 12, 16),
            P.DAY,
            "Am 16.12.2011 klärten das MAIS NRW und der Kreis Mettmann in einem Gespräch die möglichen "
            "Inhalte der Zielvereinbarung. Zu den Zielen auf Landesebene sollten lokalspezifische Ziele für "
            "den Kreis Mettmann formuliert werden, die mit der Zielvereinbarung zwischen dem Jobcenter "
            "ME-aktiv und der Bundesagentur für Arbeit korrespondieren.",
            both,
        )
        self.step(
            agreement, K.STATEMENT, "Arbeitsmarktpolitische Stellungnahme der Liga der Wohlfahrtsverbände",
            _day(2012, 1, 23), P.DAY,
            "Am 23.01.2012 übersandte die Liga der Wohlfahrtsverbände dem Kreis Mettmann ihre "
            "arbeitsmarktpolitische Stellungnahme zur Zielvereinbarung 2012.",
            (liga, mettmann), letter=liga_letter,
        )
        self.step(
            agreement, K.DRAFT_SENT, "Überarbeiteter Entwurf des Kreises Mettmann", _day(2012, 1, 25), P.DAY,
            "Der Kreis Mettmann überarbeitete den ersten Vereinbarungsentwurf des MAIS NRW und übersandte "
            "ihn am 25.01.2012 dem MAIS NRW. Er bat darum, die arbeitsmarktpolitische Stellungnahme der Liga "
            "der Wohlfahrtsverbände als Anlage in die Zielvereinbarung einfließen zu lassen.",
            both, version=versions[2],
        )
        self.step(
            agreement, K.MEETING, "Einzelgespräche beim MAIS NRW", _day(2012, 1, 31), P.MONTH,
            "Bis Ende Januar 2012 fanden Einzelgespräche beim MAIS NRW mit den Kreisen statt. Das "
            "Ministerium erklärte, die Kreise nachdrücklich unterstützen und Hilfestellung bei der Umsetzung "
            "neuer und bewährter kommunaler Beschäftigungsmaßnahmen und -projekte geben zu wollen.",
            both,
        )
        self.step(
            agreement, K.EVALUATION, "Auswertung aller Vereinbarungsentwürfe durch das MAIS NRW",
            _day(2012, 2, 1), P.MONTH,
            "Im Februar 2012 wertete das MAIS NRW die Vereinbarungsentwürfe aller beteiligten Kreise aus.",
            (mais,),
        )
        self.step(
            agreement, K.STATEMENT, "Stellungnahme des Landkreistages NRW", _day(2012, 2, 1), P.MONTH,
            "Der Landkreistag NRW brachte sich kritisch in die Verhandlungen ein. Er wies darauf hin, dass "
            "die originären Aufgaben und Entscheidungsfelder der Trägerversammlungen durch die "
            "Vereinbarungen nicht berührt werden dürfen und dass die Inhalte der Zielvereinbarungen der "
            "kommunalen Träger mit dem MAIS NRW denen mit den Jobcentern entsprechen müssen, und stellte "
            "trilaterale Zielvereinbarungsgespräche zur Diskussion.",
            (landkreistag, mais),
        )
        self.step(
            agreement, K.DRAFT_SENT, "Entwurf des MAIS NRW für den Kreis Mettmann", _day(2012, 3, 1), P.MONTH,
            "Das MAIS NRW erarbeitete für den Kreis Mettmann den Entwurf einer Zielvereinbarung, der Teile "
            "der Vorschläge des Kreises und die mit der Regionaldirektion NRW abgestimmten "
            "Unterstützungsangebote des Landes zu sieben Themenschwerpunkten enthält.",
            both, version=versions[3],
        )
        self.step(
            agreement, K.LETTER, "Anschreiben des Landrates an das MAIS NRW", _day(2012, 3, 4), P.DAY,
            "Mit Schreiben vom 04.03.2012 übersandte Herr Landrat Hendele dem MAIS NRW die Anmerkungen des "
            "Kreises Mettmann zum Entwurf der Zielvereinbarung 2012.",
            both, letter=landrat_letter,
        )
        self.step(
            agreement, K.LETTER, "Schreiben des MAIS NRW zur Übernahme der Vorschläge", _day(2012, 3, 29),
            P.DAY,
            "Mit Schreiben vom 29.03.2012 erläuterte das MAIS NRW, welche Vorschläge des Kreises Mettmann "
            "nicht oder nicht vollständig übernommen wurden.",
            both, letter=mais_letter,
        )
        self.step(
            agreement, K.AGREED, "Text der Zielvereinbarung abgestimmt", _day(2012, 4, 1), P.MONTH,
            "Im April 2012 stimmten das MAIS NRW und der Kreis Mettmann den endgültigen Text der "
            "Zielvereinbarung 2012 ab.",
            both, version=versions[4],
        )
        self.step(
            agreement, K.SIGNATURE, "Unterzeichnung der Zielvereinbarung", _day(2012, 4, 1), P.MONTH,
            "Im April 2012 unterzeichneten Herr Landrat Hendele für den Kreis Mettmann und Herr "
            "Staatssekretär Dr. Schäffer für das MAIS NRW die Zielvereinbarung 2012.",
            both,
        )

    def load_2012_jobcenter(self, mettmann, me_aktiv, predecessor, agreement_2012):
        Role = AgreementParty.Role
        agreement = self.agreement(
            TITLE_2012_JOBCENTER, 2012,
            [(mettmann, Role.KOMMUNALER_TRAEGER), (me_aktiv, Role.JOBCENTER)],
            preamble=(
                "Der Kreis Mettmann und das Jobcenter ME-aktiv schließen für das Jahr 2012 eine "
                "Zielvereinbarung, die der Zielvereinbarung 2012 zwischen dem MAIS NRW und dem Kreis "
                "Mettmann ähnlich lautet. Die Entscheidungsfelder der Trägerversammlung bleiben unberührt."
            ),
            predecessor=predecessor, legal_bases=("§ 48b SGB II", "§ 6 Abs. 1 Nr. 2 SGB II"),
        )
        self.ensure_m2m(agreement.related, [agreement_2012])
        self.sections(agreement, [
            _section(1, "§ 1 Ziele", "Das Jobcenter ME-aktiv verfolgt im Jahr 2012 die in der Zielübersicht "
                                     "aufgeführten Leitziele des Kreises Mettmann."),
            _section(2, "§ 2 Laufzeit", "Die Vereinbarung gilt vom 1. Januar bis zum 31. Dezember 2012."),
        ])
        self.goals(agreement, GOALS_2012)
        self.set_status(agreement, Agreement.Status.DRAFT)
        return agreement

    def load_neuss(self, mais, neuss, jobcenter):
        Role = AgreementParty.Role
        agreement = self.agreement(
            TITLE_2012_NEUSS, 2012,
            [(mais, Role.LAND), (neuss, Role.KOMMUNALER_TRAEGER)],
            preamble=(
                "Das MAIS NRW und der Rhein-Kreis Neuss als kommunaler Träger des Jobcenters Rhein-Kreis "
                "Neuss schließen auf der Grundlage von § 48b SGB II und § 2a AG-SGB II NRW die folgende "
                "Zielvereinbarung für das Jahr 2012."
            ),
        )
        self.sections(agreement, [
            _section(1, "§ 1 Gegenstand", (
                "Gegenstand dieser Vereinbarung sind die Ziele des Rhein-Kreises Neuss bei der Umsetzung der "
                "kommunalen Aufgaben nach § 6 Abs. 1 Nr. 2 SGB II im Jobcenter Rhein-Kreis Neuss."
            )),
            _section(2, "§ 2 Laufzeit", TERM_SECTION_2012),
        ])
        self.goals(agreement, [
            {**GOAL_KDU, "text": (
                "Die Summe der Leistungen für Unterkunft und Heizung soll im Jahr 2012 gesenkt werden."
            )},
            {**GOAL_K3, "text": (
                "Die Entwicklung des Langzeitleistungsbezugs im Jobcenter Rhein-Kreis Neuss wird beobachtet."
            )},
        ])
        version = self.version(
            agreement, 1, AgreementVersion.Kind.DRAFT, mais, _moment(2012, 3, 5),
            "Entwurf des MAIS NRW für den Rhein-Kreis Neuss.", agreement_snapshot(agreement),
        )
        self.ensure(
            Proposal,
            {"agreement": agreement, "party": neuss,
             "concerns": "Lokales Ziel junge Menschen unter 25 Jahren"},
            {"text": (
                "Als lokales Ziel wird die Optimierung der Integration junger Menschen unter 25 Jahren in "
                "Ausbildung und Arbeit aufgenommen."
             ),
             "decision": Proposal.Decision.OPEN, "reason": ""},
        )
        self.step(
            agreement, ProcedureStep.Kind.DRAFT_SENT, "Entwurf des MAIS NRW für den Rhein-Kreis Neuss",
            _day(2012, 3, 5), ProcedureStep.Precision.DAY,
            "Das MAIS NRW übersandte dem Rhein-Kreis Neuss den Entwurf der Zielvereinbarung 2012.",
            (mais, neuss), version=version,
        )
        self.set_status(agreement, Agreement.Status.NEGOTIATION)
        return agreement

    def load_committees(self, mettmann, member):
        Kind = Committee.Kind
        committees = {
            name: self.ensure(
                Committee, {"party": mettmann, "name": name}, {"short_name": short, "kind": kind},
            )
            for name, short, kind in [
                ("Sozialausschuss", "SozA", Kind.AUSSCHUSS),
                ("Kreisausschuss", "KA", Kind.KREISAUSSCHUSS),
                ("Kreistag", "KT", Kind.KREISTAG),
            ]
        }
        self.ensure(
            CommitteeMembership, {"committee": committees["Sozialausschuss"], "user": member},
            {"role": CommitteeMembership.Role.MEMBER},
        )
        return committees

    def load_vorlage(self, people, committees, agreement, documents):
        vorlage = self.ensure(
            Vorlage, {"reference": VORLAGE_REFERENCE},
            {
                "department": people["department"], "year": 2012, "running_number": 15,
                # The header's "Art der Entscheidung" marks Beschluss (the "**" in the extraction): a
                # Beschlussvorlage whose only consultation is a Kenntnisnahme.
                "paper_type": Vorlage.PaperType.BESCHLUSSVORLAGE,
                "decision_type": Vorlage.DecisionType.BESCHLUSS,
                "public": True, "non_public_reason": "", "author": people["gansauer"],
                "date": _day(2012, 4, 19),
                "file_reference": "50-1", "name": VORLAGE_NAME, "agreement": agreement,
                # The extraction lost the ja/nein marks; "nein" is what a paper only taken note of has.
                "financial_impact": Impact.NO, "financial_impact_text": "",
                "personnel_impact": Impact.NO, "personnel_impact_text": "",
                "organisational_impact": Impact.NO, "organisational_impact_text": "",
                "resolution": VORLAGE_RESOLUTION, "occasion": OCCASION, "conclusion": CONCLUSION,
            },
        )
        # Created as a draft: a released Vorlage's parts can no longer be written (ReleasedVorlageGuard), so
        # the release and the end of the consultation come last.
        for order, (heading, text) in enumerate(VORLAGE_SECTIONS, start=1):
            self.ensure(
                VorlageSection, {"vorlage": vorlage, "heading": heading}, {"order": order, "text": text},
            )
        for order, title in enumerate(VORLAGE_ANLAGEN, start=1):
            self.ensure(
                VorlageAnlage, {"vorlage": vorlage, "order": order},
                {"title": title, "document": documents[title]},
            )

        committee = committees["Sozialausschuss"]
        # The meeting's time and place and the agenda item's number are not in the reference.
        meeting = self.ensure(
            Meeting, {"committee": committee, "start": _moment(2012, 5, 21, 15)},
            {"name": "Sitzung des Sozialausschusses", "location": "Kreishaus Mettmann",
             "state": Meeting.State.HELD},
        )
        consultation = self.ensure(
            Consultation, {"paper": vorlage, "committee": committee},
            {"meeting": meeting, "meeting_date": _day(2012, 5, 21), "role": Consultation.Role.NOTICE,
             "authoritative": True, "result": Consultation.Result.NOTED, "order": 1},
        )
        self.ensure(
            AgendaItem, {"meeting": meeting, "number": "5"},
            {"order": 5, "name": VORLAGE_NAME.replace("\n", " "), "public": True,
             "consultation": consultation, "result": "zur Kenntnis genommen"},
        )
        # Released on its date; main_file stays empty until the app renders the Vorlage itself.
        self._sync(vorlage, {"status": Vorlage.Status.DONE, "released_at": _moment(2012, 4, 19, 12)})
        return vorlage


def load_demo(stdout=None) -> dict:
    """Load the demo case; returns {"counts": {model: {created, changed, unchanged}}, "logins": [...]}.

    stdout, when given, receives one line per created or changed row.
    """
    loader = _Loader(stdout)
    try:
        with transaction.atomic():
            loader.run()
    except BaseException:
        # The rows are rolled back; the files written for them must go too.
        loader.delete_saved_files()
        raise
    return {"counts": loader.counts, "logins": loader.logins}
