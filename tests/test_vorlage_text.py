"""The Vorlage's German phrasing (agreements/text/vorlage.py) as tables: pure functions of facts, no database."""

import ast
import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from agreements.text import facts as tf
from agreements.text import german
from agreements.text import vorlage as t

D = datetime.date
MAIS = tf.Party(1, "Ministerium für Arbeit, Integration und Soziales des Landes Nordrhein-Westfalen", "MAIS NRW",
               tf.PartyKind.MINISTRY)
KREIS = tf.Party(2, "Kreis Mettmann", "ME", "kreis")
JOBCENTER = tf.Party(3, "Jobcenter ME-aktiv", "", tf.PartyKind.JOBCENTER)
LIGA = tf.Party(4, "Arbeitsgemeinschaft der Spitzenverbände der Freien Wohlfahrtspflege (Liga der "
                  "Wohlfahrtsverbände)", "Liga der Wohlfahrtsverbände", "verband")
STADT = tf.Party(5, "Landeshauptstadt Düsseldorf", "", tf.PartyKind.KREISFREIE_STADT)
RD = tf.Party(6, "Regionaldirektion NRW", "RD NRW", tf.PartyKind.REGIONALDIREKTION)
LKT = tf.Party(7, "Landkreistag NRW", "LKT", "verband")
NEUSS = tf.Party(8, "Rhein-Kreis Neuss", "", "kreis")
AACHEN = tf.Party(9, "Städteregion Aachen", "", "kreis")
BA = tf.Party(10, "Bundesagentur für Arbeit", "BA", "sonstige")
AMT = tf.Party(11, "Sozialamt Mettmann", "", "sonstige")


@pytest.mark.parametrize("module, own", [(tf, set()), (german, {".facts"}), (t, {".facts", ".german"})])
def test_it_imports_neither_django_nor_the_models(module, own):
    """The phrasing is pure: it gets facts, it reads nothing. The three modules import only each other (the facts
    nothing, the words the facts, the draft both) besides the standard library."""
    source = Path(module.__file__).read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add("." * node.level + (node.module or ""))
    assert own <= imported
    assert not [name for name in imported - own if name.startswith(("django", "agreements", "."))]


@pytest.mark.parametrize("mirror, choices", [
    ("PartyKind", "Party.Kind"), ("Precision", "ProcedureStep.Precision"), ("StepKind", "ProcedureStep.Kind"),
    ("GoalKind", "Goal.Kind"), ("GoalLevel", "Goal.Level"), ("AssessmentStatus", "Assessment.Status"),
])
def test_it_names_the_model_values_as_the_models_do(mirror, choices):
    from agreements import models as m

    enum = m
    for part in choices.split("."):
        enum = getattr(enum, part)
    values = {name: value for name, value in vars(getattr(tf, mirror)).items() if name.isupper()}
    assert values and all(getattr(enum, name).value == value for name, value in values.items())


# --- Articles and gender ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("party, case, expected", [
    (KREIS, "nom", "der Kreis Mettmann"),
    (KREIS, "gen", "des Kreises Mettmann"),
    (KREIS, "dat", "dem Kreis Mettmann"),
    (KREIS, "acc", "den Kreis Mettmann"),
    (NEUSS, "gen", "des Rhein-Kreises Neuss"),
    (MAIS, "nom", "das MAIS NRW"),
    (MAIS, "gen", "des MAIS NRW"),
    (JOBCENTER, "gen", "des Jobcenters ME-aktiv"),
    (JOBCENTER, "dat", "dem Jobcenter ME-aktiv"),
    (LIGA, "gen", "der Liga der Wohlfahrtsverbände"),
    (LKT, "gen", "des Landkreistages NRW"),
    (STADT, "dat", "der Landeshauptstadt Düsseldorf"),
    (RD, "acc", "die Regionaldirektion NRW"),
    (AACHEN, "nom", "die Städteregion Aachen"),
    (BA, "dat", "der Bundesagentur für Arbeit"),
    (AMT, "gen", "des Sozialamts Mettmann"),
])
def test_it_names_a_party_with_its_article(party, case, expected):
    assert german.named(party, case) == expected


@pytest.mark.parametrize("party, expected", [
    (MAIS, "MAIS NRW"),  # the ministry by its short name
    (LIGA, "Liga der Wohlfahrtsverbände"),  # the common name in brackets
    (KREIS, "Kreis Mettmann"),  # everybody else by the full name
    (RD, "Regionaldirektion NRW"),
])
def test_it_chooses_the_name_the_paper_uses(party, expected):
    assert german.display_name(party) == expected


@pytest.mark.parametrize("items, expected", [
    ([], ""), (["a"], "a"), (["a", "b"], "a und b"), (["a", "b", "c"], "a, b und c"),
])
def test_it_joins_lists_the_german_way(items, expected):
    assert german.join(items) == expected


@pytest.mark.parametrize("person, name, function, expected", [
    (tf.Person("Hendele", "Herr", "Landrat"), "", "", "Herrn Landrat Hendele"),
    (tf.Person("Muster", "Frau", "", "Dr."), "", "", "Frau Dr. Muster"),
    (tf.Person("Schäffer", "Herr", "Staatssekretär", "Dr."), "", "", "Herrn Staatssekretär Dr. Schäffer"),
    (tf.Person("Neutral", "", "Landrat"), "", "", "Neutral"),  # no form of address: no function either
    (None, "Thomas Hendele", "Landrat", "Landrat Thomas Hendele"),
])
def test_it_names_a_signatory_in_the_dative(person, name, function, expected):
    assert german.person_dative(person, name, function) == expected


# --- Dates ------------------------------------------------------------------------------------------------------


def step(date, precision=tf.Precision.DAY, end_date=None, *, kind=tf.StepKind.MEETING, title="Gespräch",
         description="", automatic=False, pk=1):
    return tf.Step(pk=pk, date=date, kind=kind, title=title, description=description, precision=precision,
                  end_date=end_date, automatic=automatic)


P = tf.Precision


@pytest.mark.parametrize("precision, start, end, expected", [
    (P.DAY, D(2011, 12, 16), None, "Am 16.12.2011"),
    (P.MONTH, D(2011, 11, 1), None, "Im November 2011"),
    (P.MONTH, D(2012, 3, 1), None, "Im März 2012"),
    (P.HALF_YEAR, D(2011, 7, 1), None, "Im zweiten Halbjahr 2011"),
    (P.HALF_YEAR, D(2012, 6, 30), None, "Im ersten Halbjahr 2012"),
    (P.YEAR, D(2011, 5, 5), None, "Im Jahr 2011"),
    (P.DAY, D(2012, 2, 1), D(2012, 2, 3), "Vom 01.02.2012 bis zum 03.02.2012"),
    (P.DAY, D(2012, 2, 1), D(2012, 2, 1), "Am 01.02.2012"),
    (P.MONTH, D(2012, 1, 1), D(2012, 3, 31), "Von Januar 2012 bis März 2012"),
    (P.MONTH, D(2012, 1, 1), D(2012, 1, 31), "Im Januar 2012"),  # the range lies within one month
    (P.HALF_YEAR, D(2011, 1, 1), D(2011, 12, 31), "Vom ersten Halbjahr 2011 bis zum zweiten Halbjahr 2011"),
    (P.YEAR, D(2011, 1, 1), D(2012, 12, 31), "In den Jahren 2011 bis 2012"),
])
def test_it_begins_a_sentence_as_precisely_as_the_date_is_known(precision, start, end, expected):
    assert german.date_phrase(step(start, precision, end)) == expected


@pytest.mark.parametrize("precision, start, end, expected", [
    (P.DAY, D(2011, 12, 16), None, "16.12.2011"),
    (P.MONTH, D(2011, 11, 1), D(2011, 12, 1), "November 2011 – Dezember 2011"),
    (P.HALF_YEAR, D(2011, 7, 1), None, "2. Halbjahr 2011"),
    (P.YEAR, D(2012, 1, 1), None, "2012"),
])
def test_it_writes_the_steps_date_as_the_timeline_does(precision, start, end, expected):
    assert german.step_date(step(start, precision, end)) == expected


K = tf.StepKind


@pytest.mark.parametrize("the_step, expected", [
    # Entered by hand: the free text is used alone when it names the date, at the date's precision.
    (step(D(2011, 12, 16), description="Am 16.12.2011 klärten beide die Inhalte."),
     "Am 16.12.2011 klärten beide die Inhalte."),
    (step(D(2011, 11, 1), P.MONTH, kind=K.REFERENCE_VALUES, description="Im November 2011 teilte das MAIS mit."),
     "Im November 2011 teilte das MAIS mit."),
    (step(D(2011, 7, 1), P.HALF_YEAR, description="Im zweiten Halbjahr 2011 erörterte das MAIS Ziele."),
     "Im zweiten Halbjahr 2011 erörterte das MAIS Ziele."),
    (step(D(2013, 2, 1), P.MONTH, kind=K.EVALUATION, title="Auswertung", description="Das MAIS wertete aus."),
     "Im Februar 2013 erfolgte die Auswertung („Auswertung“). Das MAIS wertete aus."),
    (step(D(2012, 12, 16)), "Am 16.12.2012 fand das Gespräch „Gespräch“ statt."),
    (step(D(2012, 5, 2), kind=K.OTHER, title="Klausur"), "Am 02.05.2012 erfolgte der Verfahrensschritt „Klausur“."),
    (step(D(2012, 5, 2), description="Text  mit\n  Umbrüchen."), "Am 02.05.2012 fand das Gespräch „Gespräch“ "
     "statt. Text mit Umbrüchen."),
    # Recorded by the system: the kind says whether its sentence names the date; the prose is not searched.
    (step(D(2012, 3, 4), kind=K.LETTER, automatic=True, description="Der Kreis hat am 04.03.2012 geschrieben."),
     "Der Kreis hat am 04.03.2012 geschrieben."),
    (step(D(2012, 3, 5), kind=K.DRAFT_SENT, title="Fassung 2", automatic=True,
          description="Fassung 2 übersandt. Anmerkung: wie am 05.03.2012 besprochen."),
     "Am 05.03.2012 wurde ein Entwurf übersandt („Fassung 2“). Fassung 2 übersandt. Anmerkung: wie am 05.03.2012 "
     "besprochen."),
    (step(D(2012, 4, 3), kind=K.AGREED, automatic=True),
     "Am 03.04.2012 wurde der Text der Zielvereinbarung abgestimmt."),
])
def test_it_phrases_a_step_beginning_with_its_date(the_step, expected):
    assert german.step_sentence(the_step) == expected


# --- The predecessor --------------------------------------------------------------------------------------------


def facts(**values):
    values.setdefault("year", 2012)
    values.setdefault("parties", (MAIS, KREIS))
    values.setdefault("land", MAIS)
    values.setdefault("county", KREIS)
    return tf.VorlageFacts(**values)


def predecessor(partners=(MAIS,), goals=(), same=False, agreements=None, first=True):
    return tf.Predecessor(year=2011, first=first, partners=partners, agreements=agreements or len(partners),
                         goals=goals, same_goals=same)


KDU = tf.Goal("Senkung der KdU", tf.GoalKind.QUALITATIVE, latest_status=tf.AssessmentStatus.ACHIEVED)
K2 = tf.Goal("Integrationsquote", tf.GoalKind.QUANTITATIVE, latest_status=tf.AssessmentStatus.PARTLY)
K3 = tf.Goal("Langzeitbezug", tf.GoalKind.QUANTITATIVE)
MAIS_FULL = "dem Ministerium für Arbeit, Integration und Soziales des Landes Nordrhein-Westfalen (MAIS NRW)"


@pytest.mark.parametrize("the_facts, expected", [
    (facts(), ""),
    (facts(county=None, predecessor=predecessor()), ""),
    (facts(predecessor=predecessor(goals=(KDU,))),
     f"Bereits im Jahr 2011 hat der Kreis Mettmann mit {MAIS_FULL} eine erste Zielvereinbarung abgeschlossen. "
     f"Diese Vereinbarung enthielt das Ziel „Senkung der KdU“ für das Jahr 2011. Dieses Ziel wurde erreicht."),
    (facts(predecessor=predecessor(partners=(JOBCENTER, MAIS), goals=(KDU,), same=True)),
     f"Bereits im Jahr 2011 hat der Kreis Mettmann sowohl mit dem Jobcenter ME-aktiv als auch mit {MAIS_FULL} "
     f"eine erste Zielvereinbarung abgeschlossen. Diese Vereinbarungen enthielten das gleichlautende Ziel "
     f"„Senkung der KdU“ für das Jahr 2011. Dieses Ziel wurde erreicht."),
    (facts(predecessor=predecessor(partners=(JOBCENTER, MAIS), goals=(K2, K3))),
     f"Bereits im Jahr 2011 hat der Kreis Mettmann sowohl mit dem Jobcenter ME-aktiv als auch mit {MAIS_FULL} "
     f"eine erste Zielvereinbarung abgeschlossen. Die Vereinbarung mit {MAIS_FULL} enthielt die Ziele "
     f"„Integrationsquote“ und „Langzeitbezug“. Das Ziel „Integrationsquote“ wurde teilweise erreicht."),
    (facts(predecessor=predecessor(partners=(JOBCENTER, MAIS), goals=(K2, KDU), same=True)),
     f"Bereits im Jahr 2011 hat der Kreis Mettmann sowohl mit dem Jobcenter ME-aktiv als auch mit {MAIS_FULL} "
     f"eine erste Zielvereinbarung abgeschlossen. Diese Vereinbarungen enthielten die gleichlautenden Ziele "
     f"„Integrationsquote“ und „Senkung der KdU“. Das Ziel „Integrationsquote“ wurde teilweise erreicht. "
     f"Das Ziel „Senkung der KdU“ wurde erreicht."),
    (facts(predecessor=predecessor(partners=(JOBCENTER, RD, MAIS), first=False)),
     f"Bereits im Jahr 2011 hat der Kreis Mettmann sowohl mit dem Jobcenter ME-aktiv und der Regionaldirektion "
     f"NRW als auch mit {MAIS_FULL} eine Zielvereinbarung abgeschlossen."),
    (facts(predecessor=predecessor(partners=(JOBCENTER,), goals=(K3,))),
     "Bereits im Jahr 2011 hat der Kreis Mettmann mit dem Jobcenter ME-aktiv eine erste Zielvereinbarung "
     "abgeschlossen. Diese Vereinbarung enthielt das Ziel „Langzeitbezug“ für das Jahr 2011."),
])
def test_it_reports_the_predecessor(the_facts, expected):
    assert t.predecessor_text(the_facts) == expected


@pytest.mark.parametrize("status, verb", [
    (tf.AssessmentStatus.ACHIEVED, "wurde erreicht"), (tf.AssessmentStatus.MISSED, "wurde nicht erreicht"),
    (tf.AssessmentStatus.ON_TRACK, "lag zuletzt im Plan"), (tf.AssessmentStatus.AT_RISK, "war zuletzt gefährdet"),
    (tf.AssessmentStatus.NOT_ASSESSABLE, "war nicht bewertbar"),
])
def test_it_says_what_became_of_the_predecessors_goal(status, verb):
    goal = tf.Goal("Ziel", tf.GoalKind.QUALITATIVE, latest_status=status)
    assert t.predecessor_text(facts(predecessor=predecessor(goals=(goal,)))).endswith(f" Dieses Ziel {verb}.")


# --- Goals, offers, proposals -----------------------------------------------------------------------------------

QUAL = tf.GoalKind.QUALITATIVE
QUANT = tf.GoalKind.QUANTITATIVE
STATE = tf.GoalLevel.STATE


@pytest.mark.parametrize("goals, first_line", [
    ((tf.Goal("A", QUAL, STATE, "Landesziel", "Senkung"), tf.Goal("B", QUAL, "lokal", "lokales Ziel", "Senkung")),
     "Die Zielvereinbarung 2012 enthält keine zahlenmäßigen Zielwerte, sondern ausschließlich qualitative "
     "Leitziele und Tendenzen (Senkung). Vereinbart sind 2 Ziele, davon 1 Landesziel und 1 lokales Ziel:"),
    ((tf.Goal("A", QUAL, STATE, "Landesziel"), tf.Goal("B", QUAL, STATE, "Landesziel")),
     "Die Zielvereinbarung 2012 enthält keine zahlenmäßigen Zielwerte, sondern ausschließlich qualitative "
     "Leitziele und Tendenzen. Vereinbart sind 2 Ziele, davon 2 Landesziele und 0 lokale Ziele:"),
    ((tf.Goal("A", QUANT, STATE, "Landesziel"), tf.Goal("B", QUANT, "lokal", "lokales Ziel"),
      tf.Goal("C", QUAL, "lokal", "lokales Ziel", "Beobachtung")),
     "Die Zielvereinbarung 2012 enthält 2 quantitative Ziele mit Ziel- oder Referenzwerten und 1 qualitatives "
     "Leitziel. Vereinbart sind 3 Ziele, davon 1 Landesziel und 2 lokale Ziele:"),
    ((tf.Goal("A", QUANT, STATE, "Landesziel"), tf.Goal("B", tf.GoalKind.MONITORING, STATE, "Landesziel"),
      tf.Goal("C", QUAL, STATE, "Landesziel")),
     "Die Zielvereinbarung 2012 enthält 1 quantitatives Ziel mit Ziel- oder Referenzwert, 1 qualitatives "
     "Leitziel und 1 Monitoring-Ziel. Vereinbart sind 3 Ziele, davon 3 Landesziele und 0 lokale Ziele:"),
    ((tf.Goal("A", QUANT, "lokal", "lokales Ziel"),),
     "Die Zielvereinbarung 2012 enthält 1 quantitatives Ziel mit Ziel- oder Referenzwert. Vereinbart ist 1 Ziel, "
     "davon 0 Landesziele und 1 lokales Ziel:"),
    ((tf.Goal("A", QUANT, STATE, "Landesziel"), tf.Goal("B", QUANT, STATE, "Landesziel"),
      tf.Goal("C", QUAL, STATE, "Landesziel"), tf.Goal("D", QUAL, STATE, "Landesziel"),
      tf.Goal("E", tf.GoalKind.MONITORING, "lokal", "lokales Ziel"),
      tf.Goal("F", tf.GoalKind.MONITORING, "lokal", "lokales Ziel")),
     "Die Zielvereinbarung 2012 enthält 2 quantitative Ziele mit Ziel- oder Referenzwerten, 2 qualitative "
     "Leitziele und Tendenzen und 2 Monitoring-Ziele. Vereinbart sind 6 Ziele, davon 4 Landesziele und 2 lokale "
     "Ziele:"),
])
def test_it_counts_the_goals_by_kind_and_level(goals, first_line):
    assert t.goals_text(facts(goals=goals)).split("\n")[0] == first_line


def test_it_lists_each_goal_with_level_direction_and_target():
    # The facts carry the Zielwert as the paper prints it (services.vorlage_facts, agreements.text.numbers:
    # tests/test_vorlage_draft.py checks that formatting): "12,5 %" with a no-break space.
    goals = (tf.Goal("Quote", QUANT, STATE, "Landesziel", "Steigerung", Decimal("12.50"), "%",
                    target_text="12,5\u00a0%"),
             tf.Goal("Fälle", QUANT, "lokal", "lokales Ziel", target_value=Decimal("300"), target_text="300"))
    assert t.goals_text(facts(goals=goals)).split("\n")[1:] == [
        "- Quote (Landesziel, Tendenz: Steigerung, Zielwert: 12,5\u00a0%)", "- Fälle (lokales Ziel, Zielwert: 300)"]


def test_it_gives_the_reason_of_a_target_value_outside_the_corridor():
    goal = tf.Goal("Quote", QUANT, STATE, "Landesziel", target_value=Decimal("40"), unit="%",
                  target_text="40\u00a0%", corridor_exception_reason="Sondereffekt durch\neine Betriebsschließung")
    assert t.goals_text(facts(goals=(goal,))).split("\n")[1] == (
        "- Quote (Landesziel, Zielwert: 40\u00a0%, außerhalb des Korridors, Begründung: Sondereffekt durch eine "
        "Betriebsschließung)")


def offers(*topics, provider=MAIS, **values):
    return tuple(tf.Offer(topic=tf.Topic(number, number, f"Thema {number}"), provider=provider, **values)
                 for number in topics)


@pytest.mark.parametrize("the_offers, the_facts, expected", [
    (offers(1), {}, "Das MAIS NRW will zu insgesamt einem Themenschwerpunkt Unterstützung anbieten:\n"
                    "- 1. Thema 1 (1 Angebot)"),
    (offers(2, 1, 1), {}, "Das MAIS NRW will zu insgesamt zwei Themenschwerpunkten Unterstützung anbieten:\n"
                          "- 1. Thema 1 (2 Angebote)\n- 2. Thema 2 (1 Angebot)"),
    (offers(*range(1, 14), provider=None), {"land": None},
     "Das Land will zu insgesamt 13 Themenschwerpunkten Unterstützung anbieten:"),
    (offers(1, provider=RD, coordinated_with=MAIS, to_be_concretised=True),
     {"annexes": (tf.Annex("Übersicht", tf.File(9)),)},
     "Die Regionaldirektion NRW will zu insgesamt einem Themenschwerpunkt Unterstützung anbieten:\n"
     "- 1. Thema 1 (1 Angebot)\n\nDie Unterstützungsangebote sind mit dem MAIS NRW abgestimmt. Sie können der "
     "Übersicht entnommen werden, die der Zielvereinbarung beigefügt ist. Die weitere inhaltliche "
     "Konkretisierung der einzelnen Angebote erfolgt im Jahresverlauf."),
])
def test_it_summarises_the_offers_by_topic(the_offers, the_facts, expected):
    assert t.offers_text(facts(offers=the_offers, **the_facts)).startswith(expected)


def letter(pk, date, sender=MAIS, document=True):
    return tf.Letter(pk=pk, date=date, sender=sender, recipient=KREIS, document=tf.File(100 + pk) if document else None)


REJECTED = dict(text="Liga als Anlage", decision_label="nicht übernommen", reason="Nicht  Gegenstand.")


@pytest.mark.parametrize("proposals, the_facts, ending", [
    ((tf.Proposal(**REJECTED),), {}, "\n\nDie Gründe:\n- Liga als Anlage: Nicht Gegenstand."),
    ((tf.Proposal(**REJECTED, answer_letter=letter(1, D(2012, 3, 29))),), {},
     "\n\nZu den entsprechenden inhaltlichen Erläuterungen wird auf das Schreiben des MAIS NRW vom 29.03.2012 "
     "verwiesen, das als Anlage dieser Vorlage beigefügt ist."),
    ((tf.Proposal(**REJECTED, answer_letter=letter(2, D(2012, 4, 2), document=False)),
      tf.Proposal(**REJECTED, answer_letter=letter(1, D(2012, 3, 29)))), {},
     "\n\nZu den entsprechenden inhaltlichen Erläuterungen wird auf die Schreiben des MAIS NRW vom 29.03.2012 "
     "und vom 02.04.2012 verwiesen."),
    ((tf.Proposal(**REJECTED, answer_letter=letter(2, D(2012, 4, 2), sender=RD)),
      tf.Proposal(**REJECTED, answer_letter=letter(1, D(2012, 3, 29)))), {},
     "\n\nZu den entsprechenden inhaltlichen Erläuterungen wird auf die Schreiben vom 29.03.2012 und vom "
     "02.04.2012 verwiesen, die als Anlagen dieser Vorlage beigefügt sind."),
])
def test_it_points_to_the_reasons_for_proposals_not_adopted(proposals, the_facts, ending):
    text = t.proposals_text(facts(proposals=proposals, **the_facts))
    assert text.startswith("Einige durch den Kreis Mettmann vorgeschlagenen Inhalte wurden durch das MAIS NRW "
                           "nicht oder nicht vollständig übernommen:\n- Liga als Anlage (nicht übernommen)")
    assert text.endswith(ending)


# --- Signatures, conclusion, Anlagen ----------------------------------------------------------------------------


@pytest.mark.parametrize("signatures, expected", [
    ((), ""),
    ((tf.Signature("Thomas Hendele", "Landrat", tf.Person("Hendele", "Herr", "Landrat")),),
     "Die Zielvereinbarung zwischen dem MAIS NRW und dem Kreis Mettmann ist bisher von Herrn Landrat Hendele "
     "unterzeichnet worden."),
    ((tf.Signature("Thomas Hendele", "Landrat"), tf.Signature("Dr. Wilhelm Schäffer", "Staatssekretär")),
     "Die Zielvereinbarung zwischen dem MAIS NRW und dem Kreis Mettmann ist inzwischen von Landrat Thomas "
     "Hendele und Staatssekretär Dr. Wilhelm Schäffer unterzeichnet worden."),
])
def test_it_says_who_signed(signatures, expected):
    assert t.signature_text(facts(signatures=signatures)) == expected


@pytest.mark.parametrize("goals, related, expected", [
    ((), (), ["Die vorliegende Zielvereinbarung für das Jahr 2012 enthält keine Ziele."]),
    ((tf.Goal("A", QUANT, target_value=Decimal(1)), tf.Goal("B", QUAL)), (tf.Related(2012, JOBCENTER, True),),
     ["Die vorliegende Zielvereinbarung enthält 2 Ziele, davon 1 mit zahlenmäßigem Zielwert.",
      "Der Kreis Mettmann hat eine ähnlich lautende Zielvereinbarung mit dem Jobcenter ME-aktiv für das Jahr 2012 "
      "abgeschlossen."]),
    ((tf.Goal("A", QUANT, target_value=Decimal(1)),), (),
     ["Die vorliegende Zielvereinbarung enthält 1 Ziel, davon 1 mit zahlenmäßigem Zielwert."]),
    ((tf.Goal("A", QUANT, target_value=Decimal(1)), tf.Goal("B", QUANT, target_value=Decimal(2)),
      tf.Goal("C", QUANT)), (),
     ["Die vorliegende Zielvereinbarung enthält 3 Ziele, davon 2 mit zahlenmäßigen Zielwerten."]),
    ((tf.Goal("A", QUAL),), (tf.Related(2012, JOBCENTER, False),),
     ["Die vorliegende Zielvereinbarung enthält keine quantifizierbaren Ziele, sondern qualitative Leitziele und "
      "Tendenzen. Hierauf aufbauend sollen für zukünftige Vereinbarungen ergebnisorientierte Ziele formuliert "
      "werden.",
      "Der Kreis Mettmann beabsichtigt, eine ähnlich lautende Zielvereinbarung mit dem Jobcenter ME-aktiv für das "
      "Jahr 2012 abzuschließen."]),
])
def test_it_concludes(goals, related, expected):
    assert t.conclusion(facts(goals=goals, related=related)).split("\n\n") == expected


def test_it_lists_each_file_once_in_the_papers_order():
    signed, annex = tf.File(1, "signed"), tf.File(2, "annex")
    landrat = tf.Letter(5, D(2012, 3, 4), KREIS, MAIS, "Landrat", tf.File(5, "landrat"))
    answer = tf.Letter(4, D(2012, 3, 29), MAIS, KREIS, "Staatssekretär", tf.File(4, "answer"))
    liga = tf.Letter(3, D(2012, 1, 23), LIGA, KREIS, "", tf.File(3, "liga"))
    statement = tf.Statement(6, LIGA, D(2012, 1, 23), include_as_annex=True, document=tf.File(3, "liga"))
    lkt = tf.Statement(7, LKT, D(2012, 2, 1), document=tf.File(7, "lkt"))
    the_facts = facts(signed_file=signed, annexes=(tf.Annex("Übersicht", annex),), letters=(answer, landrat, liga),
                      statements=(lkt, statement), answer_letter_pks=frozenset({answer.pk}))
    # As the reference: agreement, its annex, the county's cover letter, the ministry's answer to the proposals, the
    # statement attached to the agreement (titled as the letter that brought it); other files after them.
    assert t.anlagen(the_facts) == [
        ("Zielvereinbarung MAIS NRW – Kreis Mettmann 2012", "signed"),
        ("Anlage zur Zielvereinbarung", "annex"),
        ("Anschreiben des Landrates vom 04.03.2012 an das MAIS NRW", "landrat"),
        ("Schreiben des MAIS NRW vom 29.03.2012", "answer"),
        ("Schreiben der Liga der Wohlfahrtsverbände vom 23.01.2012", "liga"),
        ("Stellungnahme des Landkreistages NRW vom 01.02.2012", "lkt"),
    ]


def test_it_titles_the_paper_by_its_parties():
    assert t.title(facts()).endswith(
        "- Abschluss einer Zielvereinbarung zwischen dem MAIS NRW und dem Kreis Mettmann als kommunaler Träger des "
        "Jobcenters für das Jahr 2012")
    assert t.title(facts(parties=(KREIS, JOBCENTER), land=None)) == (
        "Zielsteuerung 2012 in der Grundsicherung für Arbeitsuchende\n- Abschluss einer Zielvereinbarung zwischen "
        "dem Kreis Mettmann und dem Jobcenter ME-aktiv für das Jahr 2012")


def test_it_leaves_the_anlass_steps_and_later_ones_out_of_the_procedure():
    steps = (
        step(D(2011, 11, 1), P.MONTH, kind=K.REFERENCE_VALUES, title="Referenzwerte", pk=1),
        step(D(2011, 12, 1), P.MONTH, kind=K.OTHER, title="Beginn der Verhandlungen", pk=2),
        step(D(2011, 12, 16), title="Gespräch", pk=3),
        step(D(2012, 1, 2), kind=K.STATUS, title="Entwurf angelegt", automatic=True, pk=4),
        step(D(2012, 1, 3), kind=K.OTHER, title="Vorlage 50/001/2012 angelegt", automatic=True, pk=5),
        step(D(2012, 4, 10), kind=K.SIGNATURE, title="Unterzeichnet", pk=6),
        step(D(2012, 5, 1), title="Nach der Vorlage", pk=7),
    )
    draft = t.draft(facts(steps=steps, signatures=(tf.Signature("Hendele"),)), D(2012, 4, 19))
    assert draft["occasion"].split("\n\n")[:2] == [
        "Im November 2011 teilte das MAIS NRW die Referenzwerte und die dazugehörigen Korridore für die "
        "Zielvereinbarung 2012 mit.",
        "Im Dezember 2011 begannen die Verhandlungen über die Inhalte der Zielvereinbarung 2012."]
    assert draft["sections"][1] == ("II. Verfahren", "Am 16.12.2011 fand das Gespräch „Gespräch“ statt.")


def recorded(pk, action, **data):
    return tf.Step(pk=pk, date=D(2013, 3, pk), kind=K.OTHER, title="", automatic=True, action=action, data=data)


def test_it_tells_recorded_steps_from_their_data_never_with_the_note():
    steps = (
        recorded(1, "agreement.created", user="Erika Muster"),
        recorded(2, "version.sent", number=1, author=KREIS.name, title="ZV", recipients=[MAIS.name],
                 note="Intern: bitte nicht weitergeben", pen=MAIS.name),
        recorded(3, "proposal.made", party=KREIS.name, party_short="ME", user="Erika Muster", text="Mehr Geld."),
        recorded(4, "proposal.decided", deciding=MAIS.name, party=KREIS.name, text="Mehr Geld.",
                 decision="nicht_uebernommen", reason="Kein Budget."),
        recorded(5, "statement.recorded", title="Stellungnahme", party=LIGA.name, date="2013-03-05", user="E",
                 annex=True),
        recorded(6, "version.accepted", number=2, party=MAIS.name, user="Max"),
        recorded(6, "agreement.agreed", number=3, party=MAIS.name),
        recorded(6, "agreement.reopened", party=KREIS.name, reason="Intern: Tippfehler in § 2"),
        recorded(7, "version.accepted", number=4, party=MAIS.name, user="Max"),
        recorded(8, "agreement.agreed", number=5, party=MAIS.name),  # another day: a sentence of its own
        recorded(8, "signature.made", party=STADT.name, name="Erika Muster", function="Oberbürgermeisterin",
                 date="2013-03-08", place="Düsseldorf"),
        recorded(9, "agreement.signed", sha="abc"),
    )
    the_facts = facts(steps=steps, statements=(tf.Statement(9, LIGA, D(2013, 3, 5)),),
                      parties=(MAIS, KREIS, STADT))
    assert t.procedure_text(the_facts, [], D(2013, 4, 1)).split("\n\n") == [
        "Am 02.03.2013 übersandte der Kreis Mettmann dem MAIS NRW Fassung 1 der Zielvereinbarung.",
        "Am 04.03.2013 entschied das MAIS NRW, den Vorschlag des Kreises Mettmann „Mehr Geld“ nicht zu übernehmen.",
        "Am 05.03.2013 gab die Liga der Wohlfahrtsverbände eine Stellungnahme ab. Sie ist der Zielvereinbarung als "
        "Anlage beigefügt.",
        "Am 06.03.2013 nahm das MAIS NRW Fassung 2 an. Damit war der Text der Zielvereinbarung abgestimmt.",
        "Am 06.03.2013 hob der Kreis Mettmann die Abstimmung des Textes wieder auf; die Verhandlung wurde "
        "fortgesetzt.",
        "Am 07.03.2013 nahm das MAIS NRW Fassung 4 an.",
        "Am 08.03.2013 wurde der Text der Zielvereinbarung abgestimmt.",
        "Am 08.03.2013 unterzeichnete Oberbürgermeisterin Erika Muster für die Landeshauptstadt Düsseldorf in "
        "Düsseldorf die Zielvereinbarung.",
    ]
