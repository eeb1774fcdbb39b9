"""The demo's other agreements: the Kreis Mettmann's 2011 agreements with the ministry and with its Jobcenter
(predecessors, closed, their goal reached), the 2012 Jobcenter agreement that mirrors the ministry's, and the
Rhein-Kreis Neuss's 2012 agreement in negotiation (a second county whose staff must not see Mettmann's rows).
"""

from agreements.data.catalogue import JOBCENTER_LEGAL_BASES
from agreements.data.demo.agreement_2012 import GOAL_K3, GOAL_KDU, GOALS_2012, KDU_TITLE, TERM_SECTION_2012, leitziel
from agreements.data.demo.loader import day, moment, section
from agreements.models import (
    Agreement,
    AgreementParty,
    AgreementVersion,
    Assessment,
    Goal,
    ProcedureStep,
    Proposal,
    Review,
)
from agreements.services.versions import agreement_snapshot

TITLE_2011 = (
    "Zielvereinbarung 2011 zwischen dem Ministerium für Arbeit, Integration und Soziales des Landes "
    "Nordrhein-Westfalen und dem Kreis Mettmann als kommunaler Träger des Jobcenters ME-aktiv"
)
TITLE_2011_JOBCENTER = "Zielvereinbarung 2011 zwischen dem Kreis Mettmann und dem Jobcenter ME-aktiv"
TITLE_2012_JOBCENTER = "Zielvereinbarung 2012 zwischen dem Kreis Mettmann und dem Jobcenter ME-aktiv"
TITLE_2012_NEUSS = (
    "Zielvereinbarung 2012 zwischen dem Ministerium für Arbeit, Integration und Soziales des Landes "
    "Nordrhein-Westfalen und dem Rhein-Kreis Neuss als kommunaler Träger des Jobcenters Rhein-Kreis Neuss"
)
PREAMBLE_2011 = (
    "Das Ministerium für Arbeit, Integration und Soziales des Landes Nordrhein-Westfalen und der Kreis "
    "Mettmann schließen auf der Grundlage von § 48b SGB II und § 2a AG-SGB II NRW erstmals eine "
    "Zielvereinbarung über die Umsetzung der kommunalen Aufgaben nach § 6 Abs. 1 Nr. 2 SGB II im Jobcenter "
    "ME-aktiv."
)
GOAL_KDU_2011 = leitziel(
    1, KDU_TITLE, Goal.Level.STATE, Goal.Area.KDU, Goal.Direction.SENKUNG, "K1E1",
    "Die Summe der Leistungen für Unterkunft und Heizung soll im Jahr 2011 gegenüber dem Vorjahr gesenkt "
    "werden.",
)


def load_2011(loader, mais, mettmann, me_aktiv):
    Role = AgreementParty.Role
    closed = Agreement.Status.CLOSED
    agreement = loader.agreement(
        TITLE_2011, 2011, [(mais, Role.LAND), (mettmann, Role.KOMMUNALER_TRAEGER)],
        preamble=PREAMBLE_2011,
    )
    jobcenter_agreement = loader.agreement(
        TITLE_2011_JOBCENTER, 2011,
        [(mettmann, Role.KOMMUNALER_TRAEGER), (me_aktiv, Role.JOBCENTER)],
        preamble=(
            "Der Kreis Mettmann und das Jobcenter ME-aktiv vereinbaren für das Jahr 2011 das "
            "gleichlautende Ziel der Zielvereinbarung zwischen dem MAIS NRW und dem Kreis Mettmann."
        ),
        legal_bases=JOBCENTER_LEGAL_BASES,
    )
    loader.ensure_m2m(agreement.related, [jobcenter_agreement])
    for each, participants in [
        (agreement, "MAIS NRW, Kreis Mettmann (Sozialamt)"),
        (jobcenter_agreement, "Kreis Mettmann (Sozialamt), Jobcenter ME-aktiv"),
    ]:
        loader.sections(each, [
            section(1, "§ 1 Ziel", "Ziel für das Jahr 2011 ist die Senkung der Summe der Leistungen für "
                                    "Unterkunft und Heizung."),
            section(2, "§ 2 Laufzeit", "Die Vereinbarung gilt vom 1. Januar bis zum 31. Dezember 2011."),
        ])
        goal = loader.goals(each, [GOAL_KDU_2011])[KDU_TITLE]
        # The reference: "Dieses Ziel wurde erreicht." Review date and wording are invented.
        review = loader.ensure(
            Review, {"agreement": each, "kind": Review.Kind.FINAL, "date": day(2012, 3, 15)},
            {
                "participants": participants,
                "minutes": (
                    "Jahresauswertung 2011: Die Summe der Leistungen für Unterkunft und Heizung ist im "
                    "Jahr 2011 gesunken; das vereinbarte Ziel wurde erreicht."
                ),
            },
        )
        loader.ensure(
            Assessment, {"review": review, "goal": goal},
            {
                "status": Assessment.Status.ACHIEVED, "actual_value": None, "report_month": None,
                "comment": "Die Summe der Leistungen für Unterkunft und Heizung lag 2011 unter dem "
                           "Vorjahreswert.",
            },
        )
        loader.set_status(each, closed)
    return agreement, jobcenter_agreement


def _agreement_2012(loader, title, parties, preamble, subject, term, **options):
    """An agreement of 2012 with two sections: "§ 1 …" (heading, text) and "§ 2 Laufzeit"."""
    agreement = loader.agreement(title, 2012, parties, preamble=preamble, **options)
    loader.sections(agreement, [section(1, *subject), section(2, "§ 2 Laufzeit", term)])
    return agreement


def load_2012_jobcenter(loader, mettmann, me_aktiv, predecessor, agreement_2012):
    Role = AgreementParty.Role
    agreement = _agreement_2012(
        loader, TITLE_2012_JOBCENTER, [(mettmann, Role.KOMMUNALER_TRAEGER), (me_aktiv, Role.JOBCENTER)],
        "Der Kreis Mettmann und das Jobcenter ME-aktiv schließen für das Jahr 2012 eine Zielvereinbarung, die der "
        "Zielvereinbarung 2012 zwischen dem MAIS NRW und dem Kreis Mettmann ähnlich lautet. Die "
        "Entscheidungsfelder der Trägerversammlung bleiben unberührt.",
        ("§ 1 Ziele", "Das Jobcenter ME-aktiv verfolgt im Jahr 2012 die in der Zielübersicht aufgeführten "
                      "Leitziele des Kreises Mettmann."),
        "Die Vereinbarung gilt vom 1. Januar bis zum 31. Dezember 2012.",
        predecessor=predecessor, legal_bases=JOBCENTER_LEGAL_BASES, related=[agreement_2012],
    )
    loader.goals(agreement, GOALS_2012)
    loader.set_status(agreement, Agreement.Status.DRAFT)
    return agreement


def load_neuss(loader, mais, neuss, jobcenter):
    Role = AgreementParty.Role
    agreement = _agreement_2012(
        loader, TITLE_2012_NEUSS, [(mais, Role.LAND), (neuss, Role.KOMMUNALER_TRAEGER)],
        "Das MAIS NRW und der Rhein-Kreis Neuss als kommunaler Träger des Jobcenters Rhein-Kreis Neuss schließen "
        "auf der Grundlage von § 48b SGB II und § 2a AG-SGB II NRW die folgende Zielvereinbarung für das Jahr 2012.",
        ("§ 1 Gegenstand", "Gegenstand dieser Vereinbarung sind die Ziele des Rhein-Kreises Neuss bei der Umsetzung "
                           "der kommunalen Aufgaben nach § 6 Abs. 1 Nr. 2 SGB II im Jobcenter Rhein-Kreis Neuss."),
        TERM_SECTION_2012,
    )
    loader.goals(agreement, [
        {**GOAL_KDU, "text": (
            "Die Summe der Leistungen für Unterkunft und Heizung soll im Jahr 2012 gesenkt werden."
        )},
        {**GOAL_K3, "text": (
            "Die Entwicklung des Langzeitleistungsbezugs im Jobcenter Rhein-Kreis Neuss wird beobachtet."
        )},
    ])
    version = loader.version(
        agreement, 1, AgreementVersion.Kind.DRAFT, mais, moment(2012, 3, 5),
        "Entwurf des MAIS NRW für den Rhein-Kreis Neuss.", agreement_snapshot(agreement),
    )
    loader.ensure(
        Proposal,
        {"agreement": agreement, "party": neuss,
         "concerns": "Lokales Ziel junge Menschen unter 25 Jahren"},
        {"text": (
            "Als lokales Ziel wird die Optimierung der Integration junger Menschen unter 25 Jahren in "
            "Ausbildung und Arbeit aufgenommen."
         ),
         "decision": Proposal.Decision.OPEN, "reason": ""},
    )
    loader.step(
        agreement, ProcedureStep.Kind.DRAFT_SENT, "Entwurf des MAIS NRW für den Rhein-Kreis Neuss",
        day(2012, 3, 5), ProcedureStep.Precision.DAY,
        "Das MAIS NRW übersandte dem Rhein-Kreis Neuss den Entwurf der Zielvereinbarung 2012.",
        (mais, neuss), version=version,
    )
    # The Kreis answered with its Fassung 2 and the proposal above (invented, like the whole Neuss case): the
    # ministry is "am Zug", decides the proposal and revises the text.
    answer = loader.version(
        agreement, 2, AgreementVersion.Kind.DRAFT, neuss, moment(2012, 3, 20),
        "Antwort des Rhein-Kreises Neuss mit einem Vorschlag für ein lokales Ziel.", agreement_snapshot(agreement),
    )
    loader.step(
        agreement, ProcedureStep.Kind.DRAFT_SENT, "Antwort des Rhein-Kreises Neuss", day(2012, 3, 20),
        ProcedureStep.Precision.DAY,
        "Der Rhein-Kreis Neuss übersandte dem MAIS NRW seine Fassung mit einem Vorschlag für ein lokales Ziel.",
        (mais, neuss), version=answer,
    )
    loader.set_status(agreement, Agreement.Status.NEGOTIATION, pen_party=mais)
    return agreement
