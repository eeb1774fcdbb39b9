"""The year rule of a follow-on (agreements.text.years): which year references of a 2012 text follow the agreement's
year into 2013, and which stay. The cases come from the 2012 demo agreement (agreements/data/demo) and the reference
Vorlage 50/015/2012 (tests/data)."""

import datetime

import pytest

from agreements.text import years

Y = 2012

# (text, the text of the 2013 follow-on, the rules in order of the references)
FOLLOWS = [
    ("die folgende Zielvereinbarung für das Jahr 2012.", "die folgende Zielvereinbarung für das Jahr 2013.",
     [years.AGREEMENT_YEAR]),
    ("Für 2012 werden keine zahlenmäßigen Zielwerte vereinbart.",
     "Für 2013 werden keine zahlenmäßigen Zielwerte vereinbart.", [years.AGREEMENT_YEAR]),
    ("Zielvereinbarung 2012 zwischen dem MAIS NRW und dem Kreis Mettmann",
     "Zielvereinbarung 2013 zwischen dem MAIS NRW und dem Kreis Mettmann", [years.AGREEMENT_YEAR]),
    ("die Summe der Leistungen im Jahr 2012 gegenüber dem Vorjahr weiter zu senken",
     "die Summe der Leistungen im Jahr 2013 gegenüber dem Vorjahr weiter zu senken", [years.AGREEMENT_YEAR]),
    ("Sie setzt die Zielvereinbarung 2011 fort.", "Sie setzt die Zielvereinbarung 2012 fort.",
     [years.PREVIOUS_YEAR]),
    ("Referenzwert 2011: 24,1 %", "Referenzwert 2012: 24,1 %", [years.PREVIOUS_YEAR]),
    ("Ab 2013 werden ergebnisorientierte Ziele vereinbart.", "Ab 2014 werden ergebnisorientierte Ziele vereinbart.",
     [years.NEXT_YEAR]),
    ("Die Vereinbarung gilt bis 31.12.2012.", "Die Vereinbarung gilt bis 31.12.2013.", [years.PERIOD]),
    ("Die Vereinbarung gilt vom 1. Januar bis zum 31. Dezember 2012.",
     "Die Vereinbarung gilt vom 1. Januar bis zum 31. Dezember 2013.", [years.PERIOD]),
    ("Sie gilt vom 01.01.2012 an.", "Sie gilt vom 01.01.2013 an.", [years.PERIOD]),
    ("Berichte zum Ende des ersten Halbjahres 2012 (Stand 2011 als Vergleich).",
     "Berichte zum Ende des ersten Halbjahres 2013 (Stand 2012 als Vergleich).",
     [years.AGREEMENT_YEAR, years.PREVIOUS_YEAR]),
]

STAYS = [
    # Days and months of events: the Liga's statement, the Kreis's draft, the meeting.
    ("Die Stellungnahme der Liga der Wohlfahrtsverbände vom 23.01.2012 ist beigefügt.", [years.DATE]),
    ("Der Entwurf wurde am 25.01.2012 dem MAIS NRW übersandt.", [years.HISTORY]),
    ("Der Kreis übersendet am 25.01.2012 seinen Entwurf.", [years.DATE]),
    ("Ein Gespräch findet am 16.12.2011 statt.", [years.DATE]),
    ("Die Anhörung ist am 23. Januar 2012.", [years.DATE]),
    ("Ergebnisse aus dem November 2011 werden berücksichtigt.", [years.DATE]),
    # History: "seit", "bereits", and sentences that tell what happened.
    ("Der Kreis Mettmann arbeitet seit 2011 in der Zielsteuerung mit dem Land zusammen.", [years.HISTORY]),
    ("Bereits im Jahr 2011 hat der Kreis eine erste Zielvereinbarung abgeschlossen.", [years.HISTORY]),
    ("Im November 2011 teilte das MAIS NRW die Referenzwerte für die Zielvereinbarung 2012 mit.",
     [years.HISTORY, years.HISTORY]),
    ("Diese Vereinbarungen enthielten das Ziel der Senkung der KdU für das Jahr 2011.", [years.HISTORY]),
    # Citations, laws, numbers.
    ("Gesetz zur Verbesserung der Eingliederungschancen (BGBl. I 2011 S. 2854)", [years.CITATION]),
    ("veröffentlicht in BGBl. 2011 I S. 453", [years.CITATION]),
    ("AG-SGB II NRW (GV. NRW. 2011 S. 123)", [years.CITATION]),
    ("Die Instrumentenreform 2012 gilt weiter.", [years.LAW]),
    ("nach dem Gesetz von 2011", [years.LAW]),
    ("Vorlage Nr. 50/015/2012 des Kreises", [years.REFERENCE]),
    ("Aktenzeichen 50-1/2012", [years.REFERENCE]),
]


@pytest.mark.parametrize(("text", "expected", "rules"), FOLLOWS)
def test_it_moves_what_follows_the_agreements_year(text, expected, rules):
    shifted = years.shift(text, Y)
    assert shifted.text == expected
    assert [r.rule for r in shifted.references] == rules
    assert all(r.moved and int(r.new) == int(r.old) + 1 for r in shifted.references)


@pytest.mark.parametrize(("text", "rules"), STAYS)
def test_it_keeps_what_does_not_follow(text, rules):
    shifted = years.shift(text, Y)
    assert shifted.text == text
    assert [r.rule for r in shifted.references] == rules
    assert shifted.replacements == []


def test_it_leaves_other_years_and_longer_numbers_alone():
    text = "Seit 2005 gilt das SGB II; die Kennzahl lag bei 20120 Personen, 2010 bei weniger, 2014 wird geprüft."
    assert years.shift(text, Y) == years.Shifted(text, ())


def test_it_decides_each_reference_of_a_mixed_sentence_on_its_own():
    text = ("Die Zielvereinbarung für das Jahr 2012 ersetzt die Zielvereinbarung 2011; die Stellungnahme vom "
            "23.01.2012 bleibt Anlage. Seit 2011 berichtet der Kreis halbjährlich.")
    shifted = years.shift(text, Y)
    assert shifted.text == ("Die Zielvereinbarung für das Jahr 2013 ersetzt die Zielvereinbarung 2012; die "
                            "Stellungnahme vom 23.01.2012 bleibt Anlage. Seit 2011 berichtet der Kreis halbjährlich.")
    assert [(r.old, r.new, r.rule) for r in shifted.references] == [
        ("2012", "2013", years.AGREEMENT_YEAR), ("2011", "2012", years.PREVIOUS_YEAR),
        ("2012", "2012", years.DATE), ("2011", "2011", years.HISTORY),
    ]


def test_it_ends_no_sentence_at_an_abbreviation_or_a_day():
    # "z. B." and "31." end no sentence: the past tense of the first sentence does not reach "für 2012".
    text = "Das Ziel wurde z. B. im Jahr 2011 erreicht, am 31. Dezember 2011 bestätigt und gilt 2011 weiter."
    assert [r.rule for r in years.shift(text, Y).references] == [years.HISTORY] * 3
    text = "Das Ziel wurde 2011 erreicht. Für 2012 gilt es fort."
    assert years.shift(text, Y).text == "Das Ziel wurde 2011 erreicht. Für 2013 gilt es fort."


def test_the_period_is_the_agreements_own():
    # An agreement from July to June: its last day moves, the 31.12. is then just a day.
    period = (datetime.date(2012, 7, 1), datetime.date(2013, 6, 30))
    shifted = years.shift("Laufzeit bis 30.06.2013; Stichtag 31.12.2012.", Y, period=period)
    assert shifted.text == "Laufzeit bis 30.06.2014; Stichtag 31.12.2012."
    assert [r.rule for r in shifted.references] == [years.PERIOD, years.DATE]


def test_positions_point_at_the_year_in_both_texts():
    text = "Für 2012 und seit 2011."
    shifted = years.shift(text, Y)
    for ref in shifted.references:
        assert text[ref.start:ref.end] == ref.old and shifted.text[ref.start:ref.end] == ref.new


def test_it_marks_the_text_in_pieces():
    shifted = years.shift("Für 2012 und seit 2011.", Y)
    pieces = years.marked(shifted.text, [r.as_dict() for r in shifted.references])
    assert [(text, ref and ref["rule"]) for text, ref in pieces] == [
        ("Für ", None), ("2013", years.AGREEMENT_YEAR), (" und seit ", None), ("2011", years.HISTORY), (".", None),
    ]
    # A reference that does not fit the text (edited by hand, tampered) is left out, never an error.
    assert years.marked("kurz", [{"start": 2, "end": 40}, {"start": "x"}, {}]) == [("kurz", None)]


def test_every_rule_has_a_label():
    assert set(years.RULES) == years.MOVING | {years.DATE, years.HISTORY, years.REFERENCE, years.CITATION, years.LAW}
