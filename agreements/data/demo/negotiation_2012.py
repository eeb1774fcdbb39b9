"""How the 2012 agreement came about, as the reference tells it: the drafts v1 to v4, the letters and
statements, the Kreis's proposals and the ministry's decisions, the timeline of procedure steps, the signatures.
"""

import copy
from typing import NamedTuple

from agreements.data.demo.agreement_2012 import (
    GOAL_16A,
    GOAL_K3,
    GOAL_KDU,
    GOAL_PUBLIC_EMPLOYMENT,
    GOAL_SINGLE_PARENTS,
    GOALS_2012,
    GOALS_SECTION_2012,
    GOALS_SECTION_DRAFT,
    PREAMBLE_2012,
    PREAMBLE_2012_DRAFT,
    REVIEW_SECTION_KREIS,
    SECTIONS_2012,
    SUBJECT_2012,
    SUBJECT_LIGA,
    SUBJECT_TRAEGERVERSAMMLUNG,
    SUPPORT_SECTION_DRAFT,
    SUPPORT_SECTION_KREIS,
    TERM_SECTION_2012,
    leitziel,
)
from agreements.data.demo.anlagen import (
    ANLAGE_AGREEMENT,
    ANLAGE_LANDRAT,
    ANLAGE_LIGA,
    ANLAGE_MAIS,
    LETTERS_2012,
    LIGA_SUMMARY,
)
from agreements.data.demo.loader import day, moment, paragraphs
from agreements.models import (
    Acceptance,
    Agreement,
    AgreementVersion,
    Goal,
    Letter,
    ProcedureStep,
    Proposal,
    Signature,
    Statement,
)
from agreements.services.versions import agreement_snapshot

# The Kreis's draft (v2) had a shorter § 16a goal and asked for extra state money; the ministry dropped that.
GOAL_16A_KREIS = {
    **GOAL_16A, "text": "Die kommunalen Eingliederungsleistungen nach § 16a SGB II werden evaluiert.",
}
GOAL_STATE_FUNDS = leitziel(
    6, "Zusätzliche Landesmittel für kommunale Beschäftigungsprojekte", Goal.Level.LOCAL, Goal.Area.OTHER,
    Goal.Direction.STEIGERUNG, None,
    "Das Land stellt dem Kreis Mettmann zusätzliche Mittel für neue und bewährte kommunale "
    "Beschäftigungsprojekte zur Verfügung.",
)
LANDKREISTAG_SUMMARY = (
    "Der Landkreistag NRW weist darauf hin, dass die originären Aufgaben und Entscheidungsfelder der "
    "Trägerversammlungen durch Zielvereinbarungen nicht berührt werden dürfen und dass die Inhalte der "
    "Zielvereinbarungen der kommunalen Träger mit dem MAIS NRW denen mit den Jobcentern entsprechen müssen. "
    "Er stellt trilaterale Zielvereinbarungsgespräche zur Diskussion."
)


class Step(NamedTuple):
    """A procedure step of the timeline; participants are party keys, version a version number, letter the title
    of the letter's Anlage."""

    kind: str
    title: str
    date: object
    precision: str
    description: str
    participants: tuple
    version: int | None = None
    letter: str | None = None
    participants_note: str = ""


K, P = ProcedureStep.Kind, ProcedureStep.Precision
BOTH = ("mais-nrw", "kreis-mettmann")

# In timeline order: steps of the same date keep this order (ordering is date, created, id).
STEPS_2012 = (
    Step(
        K.MEETING, "Zielsteuerungsgespräche des MAIS NRW mit Kreisen und kreisfreien Städten",
        day(2011, 7, 1), P.HALF_YEAR,
        "Im zweiten Halbjahr 2011 erörterte das MAIS NRW in mehreren Zielsteuerungsgesprächen mit "
        "Kreisen und kreisfreien Städten, sowohl Optionskommunen als auch kommunalen Trägern in "
        "gemeinsamen Einrichtungen, mögliche Ziele, Zielschwerpunkte auf Landesebene, Rahmenbedingungen "
        "und Verfahren.",
        BOTH, participants_note="Kreise und kreisfreie Städte in Nordrhein-Westfalen",
    ),
    Step(
        K.REFERENCE_VALUES, "Referenzwerte und Korridore mitgeteilt", day(2011, 11, 1),
        P.MONTH,
        "Im November 2011 teilte das MAIS NRW dem Kreis Mettmann die Referenzwerte und die dazugehörigen "
        "Korridore für die Zielvereinbarung 2012 des Jobcenters ME-aktiv mit.",
        BOTH,
    ),
    Step(
        K.OTHER, "Beginn der Verhandlungen", day(2011, 12, 1), P.MONTH,
        "Im Dezember 2011 begannen die Verhandlungen zwischen dem MAIS NRW und den Kreisen und "
        "kreisfreien Städten, die kommunale Träger in ihren Jobcentern sind, über die Inhalte der "
        "Zielvereinbarung 2012.",
        BOTH,
    ),
    # When the first draft was sent is not in the reference; December 2011 is an assumption.
    Step(
        K.DRAFT_SENT, "Erster Vereinbarungsentwurf des MAIS NRW", day(2011, 12, 1), P.MONTH,
        "Das MAIS NRW übersandte dem Kreis Mettmann einen ersten Vereinbarungsentwurf mit den Zielen auf "
        "Landesebene.",
        BOTH, version=1,
    ),
    Step(
        K.MEETING, "Gespräch zwischen dem MAIS NRW und dem Kreis Mettmann", day(2011, 12, 16),
        P.DAY,
        "Am 16.12.2011 klärten das MAIS NRW und der Kreis Mettmann in einem Gespräch die möglichen "
        "Inhalte der Zielvereinbarung. Zu den Zielen auf Landesebene sollten lokalspezifische Ziele für "
        "den Kreis Mettmann formuliert werden, die mit der Zielvereinbarung zwischen dem Jobcenter "
        "ME-aktiv und der Bundesagentur für Arbeit korrespondieren.",
        BOTH,
    ),
    Step(
        K.STATEMENT, "Arbeitsmarktpolitische Stellungnahme der Liga der Wohlfahrtsverbände",
        day(2012, 1, 23), P.DAY,
        "Am 23.01.2012 übersandte die Liga der Wohlfahrtsverbände dem Kreis Mettmann ihre "
        "arbeitsmarktpolitische Stellungnahme zur Zielvereinbarung 2012.",
        ("liga-nrw", "kreis-mettmann"), letter=ANLAGE_LIGA,
    ),
    Step(
        K.DRAFT_SENT, "Überarbeiteter Entwurf des Kreises Mettmann", day(2012, 1, 25), P.DAY,
        "Der Kreis Mettmann überarbeitete den ersten Vereinbarungsentwurf des MAIS NRW und übersandte "
        "ihn am 25.01.2012 dem MAIS NRW. Er bat darum, die arbeitsmarktpolitische Stellungnahme der Liga "
        "der Wohlfahrtsverbände als Anlage in die Zielvereinbarung einfließen zu lassen.",
        BOTH, version=2,
    ),
    Step(
        K.MEETING, "Einzelgespräche beim MAIS NRW", day(2012, 1, 31), P.MONTH,
        "Bis Ende Januar 2012 fanden Einzelgespräche beim MAIS NRW mit den Kreisen statt. Das "
        "Ministerium erklärte, die Kreise nachdrücklich unterstützen und Hilfestellung bei der Umsetzung "
        "neuer und bewährter kommunaler Beschäftigungsmaßnahmen und -projekte geben zu wollen.",
        BOTH,
    ),
    Step(
        K.EVALUATION, "Auswertung aller Vereinbarungsentwürfe durch das MAIS NRW",
        day(2012, 2, 1), P.MONTH,
        "Im Februar 2012 wertete das MAIS NRW die Vereinbarungsentwürfe aller beteiligten Kreise aus.",
        ("mais-nrw",),
    ),
    Step(
        K.STATEMENT, "Stellungnahme des Landkreistages NRW", day(2012, 2, 1), P.MONTH,
        "Der Landkreistag NRW brachte sich kritisch in die Verhandlungen ein. Er wies darauf hin, dass "
        "die originären Aufgaben und Entscheidungsfelder der Trägerversammlungen durch die "
        "Vereinbarungen nicht berührt werden dürfen und dass die Inhalte der Zielvereinbarungen der "
        "kommunalen Träger mit dem MAIS NRW denen mit den Jobcentern entsprechen müssen, und stellte "
        "trilaterale Zielvereinbarungsgespräche zur Diskussion.",
        ("landkreistag-nrw", "mais-nrw"),
    ),
    Step(
        K.DRAFT_SENT, "Entwurf des MAIS NRW für den Kreis Mettmann", day(2012, 3, 1), P.MONTH,
        "Das MAIS NRW erarbeitete für den Kreis Mettmann den Entwurf einer Zielvereinbarung, der Teile "
        "der Vorschläge des Kreises und die mit der Regionaldirektion NRW abgestimmten "
        "Unterstützungsangebote des Landes zu sieben Themenschwerpunkten enthält.",
        BOTH, version=3,
    ),
    Step(
        K.LETTER, "Anschreiben des Landrates an das MAIS NRW", day(2012, 3, 4), P.DAY,
        "Mit Schreiben vom 04.03.2012 übersandte Herr Landrat Hendele dem MAIS NRW die Anmerkungen des "
        "Kreises Mettmann zum Entwurf der Zielvereinbarung 2012.",
        BOTH, letter=ANLAGE_LANDRAT,
    ),
    Step(
        K.LETTER, "Schreiben des MAIS NRW zur Übernahme der Vorschläge", day(2012, 3, 29),
        P.DAY,
        "Mit Schreiben vom 29.03.2012 erläuterte das MAIS NRW, welche Vorschläge des Kreises Mettmann "
        "nicht oder nicht vollständig übernommen wurden.",
        BOTH, letter=ANLAGE_MAIS,
    ),
    Step(
        K.AGREED, "Text der Zielvereinbarung abgestimmt", day(2012, 4, 1), P.MONTH,
        "Im April 2012 stimmten das MAIS NRW und der Kreis Mettmann den endgültigen Text der "
        "Zielvereinbarung 2012 ab.",
        BOTH, version=4,
    ),
    Step(
        K.SIGNATURE, "Unterzeichnung der Zielvereinbarung", day(2012, 4, 1), P.MONTH,
        "Im April 2012 unterzeichneten Herr Landrat Hendele für den Kreis Mettmann und Herr "
        "Staatssekretär Dr. Schäffer für das MAIS NRW die Zielvereinbarung 2012.",
        BOTH,
    ),
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
            section("§ 1 Gegenstand", 1, paragraphs(SUBJECT_2012, SUBJECT_LIGA)),
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


def load(loader, agreement, parties, people, goals, documents):
    """Everything after the agreement's text: correspondence, versions, proposals, timeline, signatures, status."""
    mais, mettmann = parties["mais-nrw"], parties["kreis-mettmann"]
    letters = _load_letters(loader, agreement, parties, people, documents)
    _load_statements(loader, agreement, parties, documents)
    versions = _load_versions(loader, agreement, mais, mettmann)
    _load_proposals(loader, agreement, mettmann, goals, letters[ANLAGE_MAIS])
    # The Kreis accepted the ministry's final text (sent with the letter of 29.03.2012) before both signed; the
    # reference gives no day, the Endfassung's is taken.
    loader.ensure(Acceptance, {"version": versions[4], "party": mettmann},
                  {"agreement": agreement, "accepted_at": moment(2012, 4, 2, 11)}, create_only=True)
    for step in STEPS_2012:
        loader.step(
            agreement, step.kind, step.title, step.date, step.precision, step.description,
            [parties[key] for key in step.participants], letter=letters.get(step.letter),
            version=versions.get(step.version), participants_note=step.participants_note,
        )
    signatures = [
        (mettmann, people["hendele"], day(2012, 4, 10), "Mettmann"),
        (mais, people["schaeffer"], day(2012, 4, 16), "Düsseldorf"),
    ]
    for party, person, date, place in signatures:
        # The reference says only that both have signed by 19.04.2012; the days are invented.
        loader.ensure(
            Signature, {"agreement": agreement, "party": party},
            {"person": person, "signatory_name": person.name, "signatory_function": person.function,
             "date": date, "place": place},
        )
    # Signed in April 2012 and in effect by the time of the Vorlage; from here on the text is frozen.
    loader.set_status(agreement, Agreement.Status.IN_EFFECT, signed_file=documents[ANLAGE_AGREEMENT])


def _load_letters(loader, agreement, parties, people, documents):
    """The letters as registered by the Kreis; returns {Anlage title: letter}."""
    return {
        letter.anlage: loader.ensure(
            Letter,
            {"agreement": agreement, "date": letter.date, "sender": parties[letter.sender],
             "subject": letter.subject},
            {"direction": letter.direction, "recipient": parties[letter.recipient],
             "sender_person": people[letter.signed_by] if letter.signed_by else None, "summary": letter.summary,
             "document": documents[letter.anlage]},
        )
        for letter in LETTERS_2012
    }


def _load_statements(loader, agreement, parties, documents):
    loader.ensure(
        Statement,
        {"agreement": agreement, "party": parties["liga-nrw"],
         "title": "Arbeitsmarktpolitische Stellungnahme der Liga der Wohlfahrtsverbände"},
        {"date": day(2012, 1, 23), "text": LIGA_SUMMARY, "document": documents[ANLAGE_LIGA],
         "include_as_annex": True},
    )
    # The reference says only "zwischenzeitlich", between the drafts of January and March: February 2012.
    loader.ensure(
        Statement,
        {"agreement": agreement, "party": parties["landkreistag-nrw"],
         "title": "Stellungnahme des Landkreistages NRW zu den Zielvereinbarungen 2012"},
        {"date": day(2012, 2, 1), "text": LANDKREISTAG_SUMMARY, "document": None,
         "include_as_annex": False},
    )


def _load_versions(loader, agreement, mais, mettmann):
    current = agreement_snapshot(agreement)
    v1, v2, v3 = _draft_snapshots(current)
    Kind = AgreementVersion.Kind
    return {
        1: loader.version(
            agreement, 1, Kind.DRAFT, mais, moment(2011, 12, 20),
            "Erster Vereinbarungsentwurf des MAIS NRW mit den Landeszielen für 2012.", v1,
        ),
        2: loader.version(
            agreement, 2, Kind.DRAFT, mettmann, moment(2012, 1, 25),
            "Vom Kreis Mettmann überarbeiteter Entwurf mit lokalen Zielen. Der Kreis bittet, die "
            "arbeitsmarktpolitische Stellungnahme der Liga der Wohlfahrtsverbände vom 23.01.2012 als "
            "Anlage in die Zielvereinbarung einfließen zu lassen.", v2,
        ),
        3: loader.version(
            agreement, 3, Kind.DRAFT, mais, moment(2012, 3, 1),
            "Entwurf des MAIS NRW für den Kreis Mettmann nach Auswertung aller Vereinbarungsentwürfe, "
            "mit den Unterstützungsangeboten zu sieben Themenschwerpunkten.", v3,
        ),
        4: loader.version(
            agreement, 4, Kind.FINAL, mais, moment(2012, 4, 2),
            "Abgestimmte Endfassung. Die Stellungnahme der Liga der Wohlfahrtsverbände ist als Anlage "
            "beigefügt (Schreiben des MAIS NRW vom 29.03.2012).", current,
        ),
    }


def _load_proposals(loader, agreement, mettmann, goals, answer_letter):
    # The reference says only that some proposals were "nicht vollständig übernommen" and that the letter
    # of 29.03.2012 explains why; these four are plausible examples of that.
    decided_at = moment(2012, 3, 29)
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
        loader.ensure(
            Proposal, {"agreement": agreement, "party": mettmann, "concerns": concerns},
            {"text": text, "decision": decision, "reason": reason, "goal": goal,
             "answer_letter": answer_letter, "decided_at": decided_at},
        )
