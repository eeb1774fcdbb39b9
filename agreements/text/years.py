"""Which year references of an agreement's text follow its year, for the next year's agreement (a follow-on).

"Folgevereinbarung für das nächste Jahr" copies last year's text. A year that is said relative to the agreement's
year moves with it: "für das Jahr 2012" becomes "für das Jahr 2013", "Sie setzt die Zielvereinbarung 2011 fort"
becomes "… 2012 fort". A year that names a fixed point in the past or a law stays: the Liga's statement
"vom 23.01.2012" is still of that day, and "seit 2011" in a history sentence still means 2011.

Pure: no database. `shift(text, year)` returns the new text and every year reference it found, moved or left as
it was, with the rule that decided; the follow-on stores them, so the author sees every replacement and every
reference kept (services.follow_on).

The rule
--------
Only the years relative to the agreement's year Y are candidates: Y itself, Y − 1 (the previous year: its
reference values, the agreement it continues) and Y + 1 (the year after: an outlook). Each occurrence (a
four-digit number standing alone) is decided in this order; the first rule that applies decides:

1. Part of a number or file reference ("Vorlage 50/015/2012", "Az. 50-1/2012"): stays (REFERENCE).
2. In a citation of a law gazette or a printed paper ("BGBl. I 2011 S. 850", "GV. NRW. 2011 S. 123",
   "Drucksache 15/2012"): stays (CITATION).
3. The year of a law or reform named by it ("Instrumentenreform 2012", "Gesetz von 2011"): stays (LAW).
4. In a history sentence: after "seit" or "bereits" ("seit 2011", "bereits im Jahr 2011"), or anywhere in a
   sentence that narrates in the past tense (a finite past form such as "wurde", "fand", "teilte", "begannen";
   in lower case, so the noun "Stand" is none): stays (HISTORY). Sentence ends are ".", "!", "?" or ";" before a
   space, and line breaks; "z. B.", "Abs.", "Nr." or the dot after a day ("31. Dezember") end none.
5. A full date ("25.01.2012", "23. Januar 2012") or a month of a year ("im November 2011", "Ende Januar 2012"):
   a point in time, which stays (DATE) — unless it is the first or last day of the agreement's period
   ("bis 31.12.2012", "bis zum 31. Dezember 2012"): then it is the period and moves with it (PERIOD). A day in
   next year's agreement is a new decision (the 30 June may be a Sunday), not a copy: the checklist shows it.
6. Everything else follows the year: "im Jahr 2012", "für 2012", "Zielvereinbarung 2012" in a title
   (AGREEMENT_YEAR), "Referenzwert 2011", "Zielvereinbarung 2011" (PREVIOUS_YEAR), "ab 2013" (NEXT_YEAR). Each
   moves by one year.

The rule is a proposal, not the last word: every copied passage goes on the follow-on's checklist with its moved
and kept references marked, and the first Fassung is sent only when the author has reviewed each one.
"""

import datetime
import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

# The rules, as stored with each reference (CopiedPassage.year_references): the code and what it says to a reader.
AGREEMENT_YEAR = "agreement_year"
PREVIOUS_YEAR = "previous_year"
NEXT_YEAR = "next_year"
PERIOD = "period"
DATE = "date"
HISTORY = "history"
REFERENCE = "reference"
CITATION = "citation"
LAW = "law"

RULES = {
    AGREEMENT_YEAR: _("Jahr der Vereinbarung"),
    PREVIOUS_YEAR: _("Vorjahr"),
    NEXT_YEAR: _("Folgejahr"),
    PERIOD: _("Laufzeit"),
    DATE: _("Datum eines Ereignisses"),
    HISTORY: _("Rückblick"),
    REFERENCE: _("Aktenzeichen oder Nummer"),
    CITATION: _("Fundstelle"),
    LAW: _("Gesetz"),
}
MOVING = frozenset({AGREEMENT_YEAR, PREVIOUS_YEAR, NEXT_YEAR, PERIOD})

MONTHS = {
    "januar": 1, "februar": 2, "märz": 3, "maerz": 3, "april": 4, "mai": 5, "juni": 6, "juli": 7, "august": 8,
    "september": 9, "oktober": 10, "november": 11, "dezember": 12,
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))

# A four-digit number standing alone (not part of a longer number).
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
# What may stand right before the year (the text up to it is matched against these, anchored at its end).
_NUMBERED = re.compile(r"[/\-]$")
_CITATION = re.compile(
    r"\b(?:BGBl|GV\.?\s*NRW|SGV\.?\s*NRW|MBl\.?\s*NRW|ABl|BAnz|Drucksache|Drs|BT-Drs|LT-Drs)\.?"
    r"(?:\s*(?:I{1,3}|Teil\s+I{1,3}|Nr\.\s*\d+|S\.\s*\d+)\.?)*\s*(?:vom\s+)?$",
    re.IGNORECASE,
)
_LAW = re.compile(
    r"\w*(?:gesetz|gesetzes|gesetzbuch|reform|novelle|verordnung)\s+(?:(?:von|vom|aus\s+dem\s+Jahr|des\s+Jahres)\s+)?$",
    re.IGNORECASE,
)
_SINCE = re.compile(
    r"\b(?:seit|bereits|damals)\s+(?:(?:dem|im|in|Jahr|Jahre|Anfang|Ende|Mitte|Beginn|des|Jahres)\s+)*$",
    re.IGNORECASE,
)
_DAY_MONTH_NUMERIC = re.compile(r"(\d{1,2})\.\s?(\d{1,2})\.\s?$")
_DAY_MONTH_WORD = re.compile(rf"(\d{{1,2}})\.\s?({_MONTH})\s+$", re.IGNORECASE)
_MONTH_ONLY = re.compile(rf"\b({_MONTH})\s+$", re.IGNORECASE)
# After the year: a law named by it ("2011-Reform").
_LAW_AFTER = re.compile(r"^-?(?:Reform|Novelle|Gesetz)", re.IGNORECASE)
_REFERENCE_AFTER = re.compile(r"^/")

# Finite past-tense forms that make a sentence narrate what happened. Only unambiguous ones: "vereinbarten" or
# "übersandte" are also adjectives ("die vereinbarten Ziele"), "beschlossen" also a participle of the present.
PAST_TENSE = frozenset("""
    war waren wurde wurden hatte hatten fand fanden begann begannen gab gaben lag lagen teilte teilten erfolgte
    erfolgten enthielt enthielten sank sanken stieg stiegen ergab ergaben zeigte zeigten schloss schlossen
    einigten legte legten beschloss wies bat baten nahm nahmen kam kamen galt galten betrug betrugen stand
    standen ging gingen lief liefen sah sahen brachte brachten forderte forderten trat traten
""".split())
_WORD = re.compile(r"\w+")
# A dot after one of these ends no sentence.
_ABBREVIATIONS = frozenset("""
    z b d h u a o ä s abs nr art vgl bzw ggf ca bspw usw etc inkl gem i v m dr prof bgbl gv sgv mbl abl drs
    ff f kap ziff lit tz st hs
""".split())


@dataclass(frozen=True)
class Reference:
    """One year reference found in a text: where (start, end in the text; the new text has the same positions,
    a year keeps its four digits), the year before and after, and the rule that decided."""

    start: int
    end: int
    old: str
    new: str
    rule: str

    @property
    def moved(self):
        return self.old != self.new

    def as_dict(self):
        return {"start": self.start, "end": self.end, "old": self.old, "new": self.new, "rule": self.rule}


@dataclass(frozen=True)
class Shifted:
    text: str
    references: tuple

    @property
    def replacements(self):
        return [r for r in self.references if r.moved]


def _sentence_bounds(text):
    """(start, end) of each sentence of `text`, in order."""
    bounds, start = [], 0
    for match in re.finditer(r"[.!?;](?=\s)|\n", text):
        if match.group() == ".":
            word = re.search(r"(\w+)$", text[start:match.start()])
            token = word.group(1) if word else ""
            if token.isdigit() or token.lower() in _ABBREVIATIONS:
                continue
        bounds.append((start, match.end()))
        start = match.end()
    bounds.append((start, len(text)))
    return bounds


def _narrates_past(sentence):
    # Case matters: the verb "stand" narrates, the noun "Stand" (a state of things) does not. German puts the
    # finite verb second, so a capitalised past form at the start of a sentence is rare enough to ignore.
    return any(word in PAST_TENSE for word in _WORD.findall(sentence))


def _date_before(before):
    """The (day, month) of a full date whose year is at the end of `before` … year; None if it is no full date,
    (None, month) for a month without a day; False when nothing of a date precedes the year."""
    if match := _DAY_MONTH_NUMERIC.search(before):
        return int(match.group(1)), int(match.group(2))
    if match := _DAY_MONTH_WORD.search(before):
        return int(match.group(1)), MONTHS[match.group(2).lower()]
    if match := _MONTH_ONLY.search(before):
        return None, MONTHS[match.group(1).lower()]
    return False


def _as_date(year, day, month):
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def _decide(text, start, end, value, year, period, history_sentences):
    before, after = text[max(0, start - 60):start], text[end:end + 12]
    if _NUMBERED.search(before) or _REFERENCE_AFTER.match(after):
        return REFERENCE
    if _CITATION.search(before):
        return CITATION
    if _LAW.search(before) or _LAW_AFTER.match(after):
        return LAW
    if _SINCE.search(before) or any(s <= start < e for s, e in history_sentences):
        return HISTORY
    date = _date_before(before)
    if date is not False:
        day, month = date
        if day is not None and _as_date(value, day, month) in period:
            return PERIOD
        return DATE
    return {year: AGREEMENT_YEAR, year - 1: PREVIOUS_YEAR, year + 1: NEXT_YEAR}[value]


def default_period(year):
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def shift(text, year, *, period=None, by=1):
    """The text for the agreement `by` years after `year`, and every reference to a year relative to `year`.

    `period` is the agreement's (first day, last day); by default the calendar year. Returns a Shifted.
    """
    text = text or ""
    period = {d for d in (period or default_period(year)) if d is not None} or set(default_period(year))
    candidates = {year - 1, year, year + 1}
    matches = [m for m in _YEAR.finditer(text) if int(m.group(1)) in candidates]
    if not matches:
        return Shifted(text, ())
    history_sentences = [(s, e) for s, e in _sentence_bounds(text) if _narrates_past(text[s:e])]
    references, parts, position = [], [], 0
    for match in matches:
        value = int(match.group(1))
        rule = _decide(text, match.start(), match.end(), value, year, period, history_sentences)
        new = str(value + by) if rule in MOVING else match.group(1)
        references.append(Reference(match.start(), match.end(), match.group(1), new, rule))
        parts.append(text[position:match.start()])
        parts.append(new)
        position = match.end()
    parts.append(text[position:])
    return Shifted("".join(parts), tuple(references))


def marked(text, references):
    """The text in pieces for display: (piece, reference or None), references given as dicts (as stored) or
    Reference objects. Overlapping or out-of-range references (a stored text edited by hand) are left out."""
    pieces, position = [], 0
    refs = [r if isinstance(r, dict) else r.as_dict() for r in references]
    refs = [r for r in refs if isinstance(r.get("start"), int) and isinstance(r.get("end"), int)]
    for ref in sorted(refs, key=lambda r: r["start"]):
        start, end = ref["start"], ref["end"]
        if start < position or end > len(text) or start >= end:
            continue
        if start > position:
            pieces.append((text[position:start], None))
        pieces.append((text[start:end], ref))
        position = end
    if position < len(text):
        pieces.append((text[position:], None))
    return pieces
