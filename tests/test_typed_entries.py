"""Typed timeline entries (agreements.text.entries): stored as an action with its data, phrased when read in the
reader's language, German for the paper; the migration that turns the recorded German sentences into entries."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation

from agreements import models as m
from agreements.services import lifecycle, negotiation
from agreements.services.base import record_step
from agreements.text import entries

# Every action with the German sentences the services recorded before typed entries (exactly as they wrote them),
# and the data the migration must find in them.
OLD_SENTENCES = [
    ("agreement.created", "status", "Entwurf angelegt", "Erika Muster hat den Entwurf der Zielvereinbarung angelegt.",
     {"user": "Erika Muster"}),
    ("letter.registered", "schreiben", "Schreiben vom 29.03.2012: Übernahme der Vorschläge",
     "Ministerium für Arbeit, Integration und Soziales hat am 29.03.2012 an Kreis Mettmann geschrieben (Eingang): "
     "„Übernahme der Vorschläge“.",
     {"date": "2012-03-29", "subject": "Übernahme der Vorschläge", "direction": "eingang",
      "sender": "Ministerium für Arbeit, Integration und Soziales", "recipient": "Kreis Mettmann"}),
    ("version.sent", "entwurf_uebersandt", "Fassung 2 übersandt von Kreis Mettmann",
     "Kreis Mettmann hat Fassung 2 der Zielvereinbarung „Zielvereinbarung 2012“ als Entwurf an MAIS NRW, "
     "Jobcenter ME-aktiv und Regionaldirektion NRW übersandt. Anmerkung: Mit KdU-Ziel.",
     {"number": 2, "author": "Kreis Mettmann", "title": "Zielvereinbarung 2012",
      "recipients": ["MAIS NRW", "Jobcenter ME-aktiv", "Regionaldirektion NRW"], "note": "Mit KdU-Ziel."}),
    ("version.sent", "entwurf_uebersandt", "Fassung 1 übersandt von MAIS NRW",
     "MAIS NRW hat Fassung 1 der Zielvereinbarung „ZV (Entwurf)“ als Entwurf an Kreis Mettmann übersandt. Eine "
     "Anmerkung wurde nicht beigefügt.",
     {"number": 1, "author": "MAIS NRW", "title": "ZV (Entwurf)", "recipients": ["Kreis Mettmann"], "note": ""}),
    ("agreement.agreed", "abgestimmt", "Text abgestimmt (Fassung 3)",
     "Kreis Mettmann hat den Text als abgestimmt festgestellt; Fassung 3 ist die Endfassung, die unterzeichnet wird.",
     {"number": 3, "party": "Kreis Mettmann"}),
    ("agreement.reopened", "status", "Abstimmung aufgehoben",
     "MAIS NRW hat die Abstimmung aufgehoben. Begründung: Ziel 2 fehlt. Bitte ergänzen.",
     {"party": "MAIS NRW", "reason": "Ziel 2 fehlt. Bitte ergänzen."}),
    ("signature.made", "unterzeichnung", "Unterzeichnet von Kreis Mettmann",
     "Thomas Hendele (Landrat) hat die Zielvereinbarung am 02.04.2012 in Mettmann für Kreis Mettmann unterzeichnet.",
     {"party": "Kreis Mettmann", "name": "Thomas Hendele", "function": "Landrat", "date": "2012-04-02",
      "place": "Mettmann"}),
    ("agreement.signed", "status", "Alle Unterschriften liegen vor",
     "Alle Parteien haben unterzeichnet. Die unterzeichnete Fassung wurde als PDF/A gespeichert (SHA-256 "
     "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0).",
     {"sha": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"}),
    ("agreement.refused", "status", "Unterzeichnung abgelehnt",
     "MAIS NRW unterzeichnet die Zielvereinbarung nicht. Begründung: Fehlende Unterlagen",
     {"party": "MAIS NRW", "reason": "Fehlende Unterlagen"}),
    ("agreement.withdrawn", "status", "Zurückgezogen",
     "Kreis Mettmann hat die Zielvereinbarung zurückgezogen. Begründung: Dublette",
     {"party": "Kreis Mettmann", "reason": "Dublette"}),
    ("agreement.started", "status", "Umsetzung begonnen", "Kreis Mettmann hat die Umsetzung der Zielvereinbarung "
     "begonnen.", {"party": "Kreis Mettmann"}),
    ("agreement.closed", "status", "Abgeschlossen", "Kreis Mettmann hat die Zielvereinbarung abgeschlossen.",
     {"party": "Kreis Mettmann"}),
    ("agreement.amended", "status", "Nachtrag angelegt",
     "Der Nachtrag zur Zielvereinbarung „ZV 2012“ wurde als Entwurf angelegt.", {"title": "ZV 2012"}),
    ("agreement.derived", "status", "Entwurf abgeleitet",
     "Die Zielvereinbarung für 2013 wurde aus „ZV 2012“ abgeleitet.", {"year": 2013, "title": "ZV 2012"}),
    ("agreement.derived_jobcenter", "status", "Entwurf abgeleitet",
     "Die ähnlich lautende Zielvereinbarung 2012 mit dem Jobcenter wurde aus „ZV 2012“ abgeleitet.",
     {"year": 2012, "title": "ZV 2012"}),
    ("review.recorded", "nachhaltung", "Jahresauswertung",
     "Zielnachhaltung am 15.01.2013: 4 Ziele bewertet. Mit der Jahresauswertung ist die Vereinbarung bewertet.",
     {"kind": "jahresabschluss", "date": "2013-01-15", "count": 4}),
    ("review.recorded", "nachhaltung", "unterjährige Nachhaltung", "Zielnachhaltung am 01.07.2012: 1 Ziel bewertet.",
     {"kind": "unterjaehrig", "date": "2012-07-01", "count": 1}),
    ("proposal.made", "vorschlag", "Vorschlag von ME",
     "Erika Muster hat für Kreis Mettmann vorgeschlagen: „Ziel 2 „KdU“ streichen“",
     {"party": "Kreis Mettmann", "party_short": "ME", "user": "Erika Muster", "text": "Ziel 2 „KdU“ streichen"}),
    ("proposal.decided", "vorschlag_entschieden", "Vorschlag teilweise übernommen",
     "Max Muster (Ministerium für Arbeit, Integration und Soziales) hat entschieden: Der Vorschlag „Stellungnahme "
     "der Liga“ von Kreis Mettmann wird teilweise übernommen. Die frühere Entscheidung „übernommen“ ist damit "
     "geändert. Begründung: Die Stellungnahme wird nur erwähnt. Beantwortet mit dem Schreiben „Übernahme der "
     "Vorschläge (29.03.2012)“.",
     {"user": "Max Muster", "deciding": "Ministerium für Arbeit, Integration und Soziales",
      "text": "Stellungnahme der Liga", "party": "Kreis Mettmann", "decision": "teilweise", "previous": "uebernommen",
      "reason": "Die Stellungnahme wird nur erwähnt.", "letter": "Übernahme der Vorschläge (29.03.2012)"}),
    ("proposal.decided", "vorschlag_entschieden", "Vorschlag übernommen",
     "Max Muster (MAIS NRW) hat entschieden: Der Vorschlag „KdU“ von Kreis Mettmann wird übernommen.",
     {"user": "Max Muster", "deciding": "MAIS NRW", "text": "KdU", "party": "Kreis Mettmann",
      "decision": "uebernommen", "previous": "offen", "reason": "", "letter": ""}),
    ("statement.recorded", "stellungnahme", "Stellungnahme: Arbeitsmarktpolitische Stellungnahme",
     "Stellungnahme von Liga der Wohlfahrtsverbände vom 23.01.2012, erfasst von Erika Muster. Sie wird als Anlage "
     "aufgenommen.",
     {"title": "Arbeitsmarktpolitische Stellungnahme", "party": "Liga der Wohlfahrtsverbände", "date": "2012-01-23",
      "user": "Erika Muster", "annex": True}),
    ("vorlage.created", "sonstiges", "Vorlage 50/015/2012 angelegt",
     "Der Entwurf der Vorlage 50/015/2012 „Zielsteuerung 2012 – Zielvereinbarung“ wurde angelegt.",
     {"reference": "50/015/2012", "name": "Zielsteuerung 2012 – Zielvereinbarung"}),
    ("vorlage.released", "sonstiges", "Vorlage 50/015/2012 freigegeben",
     "Die Vorlage 50/015/2012 „Zielsteuerung 2012“ wurde freigegeben; das PDF ist mit dem SHA-256 abc123 gespeichert.",
     {"reference": "50/015/2012", "name": "Zielsteuerung 2012", "sha": "abc123"}),
    ("vorlage.consultation_started", "sonstiges", "Vorlage 50/015/2012 in Beratung",
     "Die Beratung der Vorlage 50/015/2012 „Zielsteuerung 2012“ in den Gremien hat begonnen.",
     {"reference": "50/015/2012", "name": "Zielsteuerung 2012"}),
    ("vorlage.result_recorded", "sonstiges", "Vorlage 50/015/2012: Sozialausschuss – zur Kenntnis genommen",
     "Die Vorlage 50/015/2012 wurde im Gremium „Sozialausschuss“ am 08.05.2012 beraten: zur Kenntnis genommen.",
     {"reference": "50/015/2012", "committee": "Sozialausschuss", "result": "kenntnis_genommen",
      "date": "2012-05-08"}),
    ("vorlage.result_recorded", "sonstiges", "Vorlage 50/015/2012: Kreistag – beschlossen",
     "Die Vorlage 50/015/2012 wurde im Gremium „Kreistag“ beraten: beschlossen.",
     {"reference": "50/015/2012", "committee": "Kreistag", "result": "beschlossen", "date": None}),
    ("vorlage.completed", "sonstiges", "Vorlage 50/015/2012 erledigt",
     "Die Beratung der Vorlage 50/015/2012 „Zielsteuerung 2012“ ist abgeschlossen.",
     {"reference": "50/015/2012", "name": "Zielsteuerung 2012"}),
    ("vorlage.withdrawn", "sonstiges", "Vorlage 50/015/2012 zurückgezogen",
     "Die Vorlage 50/015/2012 „Zielsteuerung 2012“ wurde zurückgezogen. Begründung: Neu verhandelt.",
     {"reference": "50/015/2012", "name": "Zielsteuerung 2012", "reason": "Neu verhandelt."}),
]

# Entries of actions that came after the migration to typed entries (issue 12: the pen and consent): no old prose to
# parse back, but a German sentence of their own.
NEW_SENTENCES = [
    ("version.sent", "entwurf_uebersandt", "Fassung 3 übersandt von Kreis Mettmann",
     "Kreis Mettmann hat Fassung 3 der Zielvereinbarung „ZV 2013“ als Entwurf an MAIS NRW übersandt. Eine "
     "Anmerkung wurde nicht beigefügt. Am Zug ist nun MAIS NRW.",
     {"number": 3, "author": "Kreis Mettmann", "title": "ZV 2013", "recipients": ["MAIS NRW"], "note": "",
      "pen": "MAIS NRW"}),
    # Since short titles (issue 13, point 3) the Fassung's entry names its agreement by the short title.
    ("version.sent", "entwurf_uebersandt", "Fassung 2 übersandt von MAIS NRW",
     "MAIS NRW hat Fassung 2 der Zielvereinbarung „ZV 2013 MAIS NRW – Kreis Mettmann“ als Entwurf an Kreis Mettmann "
     "übersandt. Eine Anmerkung wurde nicht beigefügt. Am Zug ist nun Kreis Mettmann.",
     {"number": 2, "author": "MAIS NRW", "title": "Zielvereinbarung 2013 zwischen dem Ministerium …",
      "source": "ZV 2013 MAIS NRW – Kreis Mettmann", "recipients": ["Kreis Mettmann"], "note": "",
      "pen": "Kreis Mettmann"}),
    ("version.accepted", "abgestimmt", "Fassung 3 angenommen von MAIS NRW",
     "Anna Schmidt hat Fassung 3 für MAIS NRW angenommen.",
     {"number": 3, "party": "MAIS NRW", "user": "Anna Schmidt"}),
    # A follow-on with its checklist (issue 12, point 5), and the checklist ticked off.
    ("agreement.derived", "status", "Entwurf abgeleitet",
     "Die Zielvereinbarung für 2013 wurde aus „ZV 2012“ abgeleitet. 19 übernommene Passagen stehen auf der "
     "Prüfliste; 8 Jahresangaben wurden auf das neue Jahr umgestellt.",
     {"year": 2013, "title": "ZV 2012", "passages": 19, "moved": 8}),
    ("agreement.derived_jobcenter", "status", "Entwurf abgeleitet",
     "Die ähnlich lautende Zielvereinbarung 2012 mit dem Jobcenter wurde aus „ZV 2012“ abgeleitet. 1 übernommene "
     "Passage steht auf der Prüfliste.",
     {"year": 2012, "title": "ZV 2012", "passages": 1, "moved": 0}),
    # Since short titles (issue 13, point 3) the entry names the source by its short title; the full one stays in
    # the data.
    ("agreement.derived", "status", "Entwurf abgeleitet",
     "Die Zielvereinbarung für 2013 wurde aus „ZV 2012 MAIS NRW – Kreis Mettmann“ abgeleitet. 19 übernommene "
     "Passagen stehen auf der Prüfliste; 8 Jahresangaben wurden auf das neue Jahr umgestellt.",
     {"year": 2013, "title": "Zielvereinbarung 2012 zwischen dem Ministerium und dem Kreis Mettmann",
      "source": "ZV 2012 MAIS NRW – Kreis Mettmann", "passages": 19, "moved": 8}),
    ("agreement.amended", "status", "Nachtrag angelegt",
     "Der Nachtrag zur Zielvereinbarung „ZV 2012 MAIS NRW – Kreis Mettmann“ wurde als Entwurf angelegt.",
     {"title": "Zielvereinbarung 2012 zwischen dem Ministerium und dem Kreis Mettmann",
      "source": "ZV 2012 MAIS NRW – Kreis Mettmann"}),
    ("follow_on.reviewed", "sonstiges", "Übernommene Passagen geprüft",
     "Erika Muster (Kreis Mettmann) hat 4 übernommene Passagen als geprüft markiert. Noch offen: 1 Passage.",
     {"party": "Kreis Mettmann", "user": "Erika Muster", "count": 4, "open": 1}),
    ("follow_on.reviewed", "sonstiges", "Übernommene Passagen geprüft",
     "Erika Muster (Kreis Mettmann) hat 1 übernommene Passage als geprüft markiert. Damit sind alle übernommenen "
     "Passagen geprüft.",
     {"party": "Kreis Mettmann", "user": "Erika Muster", "count": 1, "open": 0}),
    # A postponed consultation taken up again in a later meeting of the same committee.
    ("vorlage.follow_up_added", "sonstiges", "Vorlage 50/015/2012: Kreisausschuss – erneute Beratung",
     "Die im Gremium „Kreisausschuss“ am 21.05.2012 vertagte Vorlage 50/015/2012 wird dort am 18.06.2012 erneut "
     "beraten.",
     {"reference": "50/015/2012", "name": "Zielsteuerung 2012", "committee": "Kreisausschuss",
      "postponed": "2012-05-21", "date": "2012-06-18"}),
    ("vorlage.follow_up_added", "sonstiges", "Vorlage 50/015/2012: Kreisausschuss – erneute Beratung",
     "Die im Gremium „Kreisausschuss“ vertagte Vorlage 50/015/2012 wird dort am 18.06.2012 erneut beraten.",
     {"reference": "50/015/2012", "name": "Zielsteuerung 2012", "committee": "Kreisausschuss", "postponed": None,
      "date": "2012-06-18"}),
    # Deadlines (issue 14, point 3): the kind is a code, phrased in the reader's language; "sonstige" has a title.
    ("deadline.set", "frist", "Frist gesetzt: Bericht zum Ende des ersten Halbjahres",
     "Erika Muster hat die Frist „Bericht zum Ende des ersten Halbjahres“ für Kreis Mettmann gesetzt: fällig am "
     "30.06.2012.",
     {"kind": "halbjahresbericht", "title": "", "owner": "Kreis Mettmann", "due": "2012-06-30",
      "user": "Erika Muster"}),
    ("deadline.changed", "frist", "Frist geändert: Referenzwerte senden",
     "Anna Schmidt hat die Frist „Referenzwerte senden“ für MAIS NRW auf den 12.06.2026 gesetzt. Bisher war sie am "
     "08.06.2026 fällig.",
     {"kind": "sonstige", "title": "Referenzwerte senden", "owner": "MAIS NRW", "due": "2026-06-12",
      "user": "Anna Schmidt", "previous": "2026-06-08"}),
    ("deadline.done", "frist", "Frist erledigt: Unterzeichnung bis",
     "Erika Muster hat die am 08.06.2026 fällige Frist „Unterzeichnung bis“ von Kreis Mettmann als erledigt markiert.",
     {"kind": "unterzeichnung", "title": "", "owner": "Kreis Mettmann", "due": "2026-06-08", "user": "Erika Muster"}),
    ("deadline.met", "frist", "Frist erledigt: Entwurf bis",
     "Mit der Übersendung der Fassung 1 ist die am 15.02.2013 fällige Frist „Entwurf bis“ von Kreis Mettmann erledigt.",
     {"kind": "entwurf", "title": "", "owner": "Kreis Mettmann", "due": "2013-02-15", "user": "Erika Muster",
      "by": "version.sent", "number": 1}),
    ("deadline.met", "frist", "Frist erledigt: Unterzeichnung bis",
     "Mit der Unterzeichnung durch alle Partner ist die am 30.04.2013 fällige Frist „Unterzeichnung bis“ von MAIS NRW "
     "erledigt.",
     {"kind": "unterzeichnung", "title": "", "owner": "MAIS NRW", "due": "2013-04-30", "user": "Anna Schmidt",
      "by": "agreement.signed"}),
    ("deadline.dropped", "frist", "Frist entfallen: Entwurf bis",
     "Erika Muster hat die am 15.02.2013 fällige Frist „Entwurf bis“ von Kreis Mettmann gestrichen.",
     {"kind": "entwurf", "title": "", "owner": "Kreis Mettmann", "due": "2013-02-15", "user": "Erika Muster"}),
]

# Recorded steps that stay free text: an older wording, a hand-made step with a system title, a sentence that
# does not fit its title.
UNCHANGED = [
    ("nachhaltung", "Jahresauswertung", "Zielnachhaltung am 15.01.2013: 1 Ziele bewertet.", True),
    ("status", "Entwurf angelegt", "Erika Muster hat den Entwurf der Zielvereinbarung angelegt.", False),
    ("abgestimmt", "Text abgestimmt (Fassung 3)",
     "Kreis Mettmann hat den Text als abgestimmt festgestellt; Fassung 4 ist die Endfassung, die unterzeichnet wird.",
     True),
    ("gespraech", "Zielsteuerungsgespräch", "Mögliche Inhalte abgeklärt", True),
]

BEFORE, AFTER = ("agreements", "0010_one_lock_version"), ("agreements", "0011_typed_log_entries")


def test_it_has_a_sentence_for_every_action_in_the_table():
    assert {action for action, *_rest in OLD_SENTENCES + NEW_SENTENCES} == set(entries.ACTIONS)


@pytest.mark.parametrize(("action", "kind", "title", "description", "data"), OLD_SENTENCES + NEW_SENTENCES,
                         ids=[f"{row[0]}-{n}" for n, row in enumerate(OLD_SENTENCES + NEW_SENTENCES)])
def test_it_renders_each_action_in_german_exactly_as_it_was_recorded(action, kind, title, description, data):
    entries.check(action, data)
    assert entries.render(action, data, "de") == (title, description)


@pytest.mark.parametrize(("action", "kind", "title", "description", "data"), OLD_SENTENCES,
                         ids=[f"{row[0]}-{n}" for n, row in enumerate(OLD_SENTENCES)])
def test_it_parses_each_recorded_sentence_back_into_its_action(action, kind, title, description, data):
    from importlib import import_module

    migration = import_module("agreements.migrations.0011_typed_log_entries")
    assert migration.parse(kind, title, description) == (action, data)


def test_it_renders_in_the_readers_language():
    data = {"party": "Kreis Mettmann", "reason": "Dublette"}
    with translation.override("en"):
        assert entries.render("agreement.withdrawn", data) == (
            "Withdrawn", "Kreis Mettmann withdrew the target agreement. Reason: Dublette")
    assert entries.render("agreement.withdrawn", data, "de")[0] == "Zurückgezogen"
    letter = OLD_SENTENCES[1][4]
    assert "(incoming)" in entries.render("letter.registered", letter, "en")[1]
    assert entries.render("unknown.action", {}, "de") is None


@pytest.mark.parametrize("count, german, english", [
    (1, "Zielnachhaltung am 01.07.2012: 1 Ziel bewertet.", "1 goal assessed."),
    (4, "Zielnachhaltung am 01.07.2012: 4 Ziele bewertet.", "4 goals assessed."),
])
def test_it_counts_with_the_plural_of_the_readers_language(count, german, english):
    """The timeline's numbers are counts (no decimals): "1 Ziel" / "1 goal", never "1 Ziele"."""
    review = {"kind": "unterjaehrig", "date": "2012-07-01", "count": count}
    assert entries.render("review.recorded", review, "de")[1] == german
    assert entries.render("review.recorded", review, "en")[1].endswith(english)
    reviewed = {"party": "Kreis Mettmann", "user": "Erika Muster", "count": count, "open": count}
    assert f" {count} übernommene Passage{'' if count == 1 else 'n'} als geprüft" in entries.render(
        "follow_on.reviewed", reviewed, "de")[1]
    assert f" {count} copied passage{'' if count == 1 else 's'} as reviewed" in entries.render(
        "follow_on.reviewed", reviewed, "en")[1]


def test_it_refuses_an_unknown_action_or_missing_data_when_recording(db, world):
    with pytest.raises(ValueError):
        record_step(world.agreement, kind="status", action="agreement.vanished", data={})
    with pytest.raises(ValueError):
        record_step(world.agreement, kind="status", action="agreement.withdrawn", data={"party": "Kreis Mettmann"})


def test_it_keeps_the_names_of_the_moment_a_step_was_recorded(db, world):
    with translation.override("en"):
        lifecycle.withdraw(user=world.users.editor, agreement=world.agreement, reason="Dublette")
    world.county.name = "Kreis Mettmann (neu)"
    world.county.save()
    step = world.agreement.steps.get(action="agreement.withdrawn")
    assert (step.title, step.description) == ("", "")
    assert step.rendered("de")[1] == "Kreis Mettmann hat die Zielvereinbarung zurückgezogen. Begründung: Dublette"
    with translation.override("en"):
        assert str(step) == "Withdrawn"


def test_it_shows_a_corrected_letter_step_as_sentences_in_the_history(db, world, login):
    from agreements.services import documents

    data = {"date": datetime.date(2013, 1, 1), "direction": "eingang", "sender": world.ministry,
            "recipient": world.county, "subject": "Erstes Schreiben"}
    letter = documents.register_letter(user=world.users.editor, agreement=world.agreement, data=data)
    documents.update_letter(user=world.users.editor, letter=letter, data=dict(data, subject="Zweites Schreiben"))
    rows = list(negotiation.history_entries(world.agreement))
    described = negotiation.describe_history(world.agreement, rows)
    step_changes = [c for e in described if e["type"] == m.ProcedureStep._meta.verbose_name for c in e["changes"]]
    assert {"label": m.ProcedureStep._meta.get_field("title").verbose_name,
            "old": "Schreiben vom 01.01.2013: Erstes Schreiben",
            "new": "Schreiben vom 01.01.2013: Zweites Schreiben", "quoted": False} in step_changes
    assert not any("{" in str(c["old"]) for c in step_changes)


@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_recorded_sentences_into_typed_entries():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    old_apps = executor.loader.project_state([BEFORE]).apps
    Agreement = old_apps.get_model("agreements", "Agreement")
    Step = old_apps.get_model("agreements", "ProcedureStep")
    agreement = Agreement.objects.create(title="ZV 2012", year=2012)
    day = datetime.date(2012, 4, 1)
    typed = [Step.objects.create(agreement=agreement, date=day, kind=kind, title=title, description=description,
                                 automatic=True).pk
             for _action, kind, title, description, _data in OLD_SENTENCES]
    free = [Step.objects.create(agreement=agreement, date=day, kind=kind, title=title, description=description,
                                automatic=automatic).pk
            for kind, title, description, automatic in UNCHANGED]

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([AFTER])
    new_apps = executor.loader.project_state([AFTER]).apps
    Step = new_apps.get_model("agreements", "ProcedureStep")
    for pk, (action, _kind, title, description, data) in zip(typed, OLD_SENTENCES, strict=True):
        step = Step.objects.get(pk=pk)
        assert (step.action, step.data, step.title, step.description) == (action, data, "", "")
        assert entries.render(step.action, step.data, "de") == (title, description)
        assert entries.render(step.action, step.data, "en") != (title, description)
    for pk, (_kind, title, description, _automatic) in zip(free, UNCHANGED, strict=True):
        step = Step.objects.get(pk=pk)
        assert (step.action, step.data, step.title, step.description) == ("", {}, title, description)

    # Back and forth: the sentences come back as they were.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([BEFORE])
    Step = executor.loader.project_state([BEFORE]).apps.get_model("agreements", "ProcedureStep")
    for pk, (_action, _kind, title, description, _data) in zip(typed, OLD_SENTENCES, strict=True):
        assert Step.objects.filter(pk=pk, title=title, description=description).exists()
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
