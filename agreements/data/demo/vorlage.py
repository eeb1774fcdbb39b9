"""Vorlage 50/015/2012, the Kreis Mettmann's committee paper on the 2012 agreement: its texts verbatim from
the reference (the paper's own typos such as "durch das das Ministerium" included), and its rows.
"""

from agreements.data.catalogue import NOTED_RESOLUTION
from agreements.data.demo.anlagen import VORLAGE_ANLAGEN
from agreements.data.demo.loader import day, moment, paragraphs
from agreements.models import AgendaItem, Consultation, Impact, Meeting, Vorlage, VorlageAnlage, VorlageSection

VORLAGE_REFERENCE = "50/015/2012"
# The paper's title has a real line break before the "- Abschluss …" subtitle; the second break in the PDF
# extraction is only line wrapping and becomes a space.
VORLAGE_NAME = (
    "Zielsteuerung 2012 in der Grundsicherung für Arbeitsuchende\n"
    "- Abschluss einer Zielvereinbarung zwischen dem MAIS NRW und dem Kreis Mettmann als kommunaler Träger "
    "des Jobcenters für das Jahr 2012"
)

OCCASION = paragraphs(
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

SECTION_I = paragraphs(
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

SECTION_II = paragraphs(
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

SECTION_III = paragraphs(
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

CONCLUSION = paragraphs(
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


def load(loader, people, committees, agreement, documents):
    """The Vorlage with its sections, Anlagen and its one consultation, taken note of on 21.05.2012."""
    vorlage = loader.ensure(
        Vorlage, {"reference": VORLAGE_REFERENCE},
        {
            "department": people["department"], "year": 2012, "running_number": 15,
            # The header's "Art der Entscheidung" marks Beschluss (the "**" in the extraction): a
            # Beschlussvorlage whose only consultation is a Kenntnisnahme.
            "paper_type": Vorlage.PaperType.BESCHLUSSVORLAGE,
            "decision_type": Vorlage.DecisionType.BESCHLUSS,
            "public": True, "non_public_reason": "", "author": people["gansauer"],
            "date": day(2012, 4, 19),
            "file_reference": "50-1", "name": VORLAGE_NAME, "agreement": agreement,
            # The extraction lost the ja/nein marks; "nein" is what a paper only taken note of has.
            "financial_impact": Impact.NO, "financial_impact_text": "",
            "personnel_impact": Impact.NO, "personnel_impact_text": "",
            "organisational_impact": Impact.NO, "organisational_impact_text": "",
            "resolution": NOTED_RESOLUTION, "occasion": OCCASION, "conclusion": CONCLUSION,
        },
    )
    # Created as a draft: a released Vorlage's parts can no longer be written (ReleasedVorlageGuard), so
    # the release and the end of the consultation come last.
    for order, (heading, text) in enumerate(VORLAGE_SECTIONS, start=1):
        loader.ensure(
            VorlageSection, {"vorlage": vorlage, "heading": heading}, {"order": order, "text": text},
        )
    for order, title in enumerate(VORLAGE_ANLAGEN, start=1):
        loader.ensure(
            VorlageAnlage, {"vorlage": vorlage, "order": order},
            {"title": title, "document": documents[title]},
        )

    committee = committees["Sozialausschuss"]
    # The meeting's time and place and the agenda item's number are not in the reference.
    meeting = loader.ensure(
        Meeting, {"committee": committee, "start": moment(2012, 5, 21, 15)},
        {"name": "Sitzung des Sozialausschusses", "location": "Kreishaus Mettmann",
         "state": Meeting.State.HELD},
    )
    consultation = loader.ensure(
        Consultation, {"paper": vorlage, "committee": committee},
        {"meeting": meeting, "meeting_date": day(2012, 5, 21), "role": Consultation.Role.NOTICE,
         "authoritative": True, "result": Consultation.Result.NOTED, "order": 1},
    )
    loader.ensure(
        AgendaItem, {"meeting": meeting, "number": "5"},
        {"order": 5, "name": VORLAGE_NAME.replace("\n", " "), "public": True,
         "consultation": consultation, "result": "zur Kenntnis genommen"},
    )
    # Released on its date; main_file stays empty until the app renders the Vorlage itself.
    loader.sync(vorlage, {"status": Vorlage.Status.DONE, "released_at": moment(2012, 4, 19, 12)})
    return vorlage
