"""German words for the Vorlage's text: articles and gender of a party's name, counted nouns, dates and date
phrases of procedure steps. Pure functions of the facts (`text.facts`); the paper is German whatever language its
author reads the interface in, so nothing here is translated.
"""

from .facts import AssessmentStatus, PartyKind, Precision, StepKind

# --- Words ------------------------------------------------------------------------------------------------------

ARTICLES = {
    "nom": {"m": "der", "n": "das", "f": "die"},
    "gen": {"m": "des", "n": "des", "f": "der"},
    "dat": {"m": "dem", "n": "dem", "f": "der"},
    "acc": {"m": "den", "n": "das", "f": "die"},
}
_FEMININE_WORDS = {"liga", "stadt", "städteregion", "regionaldirektion", "bundesagentur", "agentur",
                   "arbeitsgemeinschaft", "landesregierung"}
_FEMININE_KINDS = {PartyKind.KREISFREIE_STADT, PartyKind.REGIONALDIREKTION}
_NEUTER_KINDS = {PartyKind.MINISTRY, PartyKind.JOBCENTER}
_NUMBER_WORDS = {1: "einem", 2: "zwei", 3: "drei", 4: "vier", 5: "fünf", 6: "sechs", 7: "sieben", 8: "acht",
                 9: "neun", 10: "zehn", 11: "elf", 12: "zwölf"}
_MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember")
ASSESSMENT_SENTENCES = {
    AssessmentStatus.ACHIEVED: "wurde erreicht",
    AssessmentStatus.PARTLY: "wurde teilweise erreicht",
    AssessmentStatus.MISSED: "wurde nicht erreicht",
    AssessmentStatus.ON_TRACK: "lag zuletzt im Plan",
    AssessmentStatus.AT_RISK: "war zuletzt gefährdet",
    AssessmentStatus.NOT_ASSESSABLE: "war nicht bewertbar",
}


def display_name(party):
    """How the paper names a party: the ministry by its short name ("MAIS NRW"), a party whose name carries its
    common name in brackets by that ("Liga der Wohlfahrtsverbände"), everybody else by the full name."""
    short = party.short_name
    if short and (party.kind == PartyKind.MINISTRY or party.name.endswith(f"({short})")):
        return short
    return party.name


def gender(party):
    """'f', 'n' or 'm': by the kind of party, or by the first word of its name ("Liga der …", "Stadt …")."""
    first = display_name(party).split(" ", 1)[0].split("-")[-1].lower()
    if party.kind in _FEMININE_KINDS or first in _FEMININE_WORDS:
        return "f"
    if party.kind in _NEUTER_KINDS:
        return "n"
    return "m"


def named(party, case):
    """The party with its German article: named(kreis, "dat") → 'dem Kreis Mettmann'."""
    name = display_name(party)
    first, _sep, rest = name.partition(" ")
    if case == "gen" and first.endswith(("Kreis", "tag")):
        name = " ".join(p for p in (first + "es", rest) if p)
    elif case == "gen" and first.endswith(("center", "amt")):
        name = " ".join(p for p in (first + "s", rest) if p)
    return f"{ARTICLES[case][gender(party)]} {name}"


def capitalised(text):
    return text[0].upper() + text[1:]


def join(items, word="und"):
    """'a', 'a und b', 'a, b und c'."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def words(*parts):
    """A sentence from its parts, leaving out the empty ones (an unknown party, a missing sender)."""
    return " ".join(p for p in parts if p)


def counted(count, singular, plural):
    """'1 quantitatives Ziel', '2 quantitative Ziele', '0 lokale Ziele': the count with its noun phrase. The paper
    is German, whose plural rule this is (n == 1 singular), so no catalogue is asked (pages use ngettext)."""
    return f"{count} {singular if count == 1 else plural}"


def count_word(number):
    """The number as the paper writes it after "zu insgesamt": 'einem', 'zwei', …, 'zwölf', then digits."""
    return _NUMBER_WORDS.get(number, str(number))


def day(value):
    return f"{value:%d.%m.%Y}"


def person_dative(person=None, name="", function=""):
    """'Herrn Landrat Hendele', 'Frau Dr. Muster', 'Landrat Thomas Hendele' (without a person record)."""
    if person is None:
        return words(function, name)
    address = {"Herr": "Herrn", "Frau": "Frau"}.get(person.form_of_address, "")
    return words(address, person.function if address else "", person.title, person.family_name)


# --- Dates of steps ---------------------------------------------------------------------------------------------


def _half(value):
    return 1 if value.month <= 6 else 2


def format_date(value, precision):
    """One date as precise as it is known: '16.12.2011', 'November 2011', '2. Halbjahr 2011', '2012'."""
    if precision == Precision.MONTH:
        return f"{_MONTHS[value.month - 1]} {value.year}"
    if precision == Precision.HALF_YEAR:
        return f"{_half(value)}. Halbjahr {value.year}"
    if precision == Precision.YEAR:
        return str(value.year)
    return day(value)


def step_date(step):
    """The step's date as the timeline shows it, a range as '… – …'."""
    start = format_date(step.date, step.precision)
    end = format_date(step.end_date, step.precision) if step.end_date else start
    return start if end == start else f"{start} – {end}"


def _half_year(value):
    return f"{'ersten' if _half(value) == 1 else 'zweiten'} Halbjahr {value.year}"


_ON = {Precision.DAY: "Am {start}", Precision.YEAR: "Im Jahr {start}"}
_FROM_TO = {Precision.DAY: "Vom {start} bis zum {end}", Precision.YEAR: "In den Jahren {start} bis {end}",
            Precision.MONTH: "Von {start} bis {end}"}


def date_phrase(step):
    """How a sentence about the step begins, as precise as its date is known: 'Am 16.12.2011',
    'Im November 2011', 'Im zweiten Halbjahr 2011', 'Im Jahr 2011'; ranges as 'Vom … bis zum …'."""
    phrase = _half_year if step.precision == Precision.HALF_YEAR else (
        lambda value: format_date(value, step.precision))
    start = phrase(step.date)
    end = phrase(step.end_date) if step.end_date else None
    if end is None or end == start:
        return _ON.get(step.precision, "Im {start}").format(start=start)
    return _FROM_TO.get(step.precision, "Vom {start} bis zum {end}").format(start=start, end=end)


# The sentences the system records for these steps name their date ("… hat am 04.03.2012 an … geschrieben").
DATED_AUTOMATIC_KINDS = {StepKind.LETTER, StepKind.STATEMENT, StepKind.SIGNATURE, StepKind.REVIEW}


def says_when(step):
    """Whether the step's description already says when it happened: for a recorded step by its kind, for a
    step entered by hand by the date written into its free text."""
    if step.automatic:
        return step.kind in DATED_AUTOMATIC_KINDS
    description = step.description or ""
    candidates = {step_date(step), format_date(step.date, step.precision)}
    if step.precision == Precision.HALF_YEAR:
        candidates.add(_half_year(step.date))
    return any(c in description for c in candidates)


STEP_SENTENCES = {
    StepKind.MEETING: "%(when)s fand das Gespräch „%(title)s“ statt.",
    StepKind.REFERENCE_VALUES: "%(when)s wurden die Referenzwerte mitgeteilt („%(title)s“).",
    StepKind.DRAFT_SENT: "%(when)s wurde ein Entwurf übersandt („%(title)s“).",
    StepKind.STATEMENT: "%(when)s wurde eine Stellungnahme abgegeben („%(title)s“).",
    StepKind.EVALUATION: "%(when)s erfolgte die Auswertung („%(title)s“).",
    StepKind.LETTER: "%(when)s erging das Schreiben „%(title)s“.",
    StepKind.AGREED: "%(when)s wurde der Text der Zielvereinbarung abgestimmt.",
    StepKind.SIGNATURE: "%(when)s wurde die Zielvereinbarung unterzeichnet.",
}


def step_sentence(step, fallback=None):
    """The step as full sentences beginning with its date: its own description when that already says when
    (the demo's do), otherwise an opening sentence with the date, followed by the description."""
    description = " ".join((step.description or "").split())
    if description and says_when(step):
        return description
    template = fallback or STEP_SENTENCES.get(step.kind, "%(when)s erfolgte der Verfahrensschritt „%(title)s“.")
    opening = template % {"when": date_phrase(step), "title": step.title}
    return f"{opening} {description}" if description else opening
