"""The Vorlage's draft phrased in German from its facts: pure functions, no database.

`services/vorlage_facts.gather` reads an agreement's records into the frozen dataclasses below; `draft(facts, date)`
writes the pre-filled texts of the committee paper from them (title, Anlass, Sachverhalt I–III, Fazit, Anlagen).
The paper is German whatever language its author reads the interface in, so nothing here is translated.
"""

from dataclasses import dataclass, field
from datetime import date as Date
from decimal import Decimal
from typing import Any

# --- The model values the text tells apart (tests/test_vorlage_text.py checks them against the models) ----------


class PartyKind:
    MINISTRY = "ministerium"
    KREISFREIE_STADT = "kreisfreie_stadt"
    JOBCENTER = "jobcenter"
    REGIONALDIREKTION = "regionaldirektion"


class Precision:
    DAY = "tag"
    MONTH = "monat"
    HALF_YEAR = "halbjahr"
    YEAR = "jahr"


class StepKind:
    REFERENCE_VALUES = "referenzwerte"
    MEETING = "gespraech"
    DRAFT_SENT = "entwurf_uebersandt"
    STATEMENT = "stellungnahme"
    EVALUATION = "auswertung"
    LETTER = "schreiben"
    PROPOSAL = "vorschlag"
    PROPOSAL_DECIDED = "vorschlag_entschieden"
    AGREED = "abgestimmt"
    SIGNATURE = "unterzeichnung"
    STATUS = "status"
    REVIEW = "nachhaltung"
    OTHER = "sonstiges"


class GoalKind:
    QUALITATIVE = "qualitativ"
    QUANTITATIVE = "quantitativ"
    MONITORING = "monitoring"


class GoalLevel:
    STATE = "landesziel"


class AssessmentStatus:
    ON_TRACK = "im_plan"
    AT_RISK = "gefaehrdet"
    ACHIEVED = "erreicht"
    PARTLY = "teilweise"
    MISSED = "verfehlt"
    NOT_ASSESSABLE = "nicht_bewertbar"


# --- The facts --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    pk: int
    name: str
    short_name: str = ""
    kind: str = ""


@dataclass(frozen=True)
class Person:
    family_name: str
    form_of_address: str = ""  # "Herr", "Frau" or ""
    function: str = ""
    title: str = ""


@dataclass(frozen=True)
class File:
    """A stored document: `handle` is passed through to the Anlagen untouched (the Document in the application)."""

    pk: int
    handle: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Signature:
    name: str
    function: str = ""
    person: Person | None = None


@dataclass(frozen=True)
class Step:
    """A timeline step, with its German title and description as the timeline shows them."""

    pk: int
    date: Date
    kind: str
    title: str
    description: str = ""
    precision: str = Precision.DAY
    end_date: Date | None = None
    automatic: bool = False
    # A recorded step's action code and data (agreements.text.entries): the Verfahren phrases it from them, so
    # that nothing typed along with it (a Fassung's internal note) reaches the paper.
    action: str = ""
    data: dict = field(default_factory=dict, compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class Goal:
    title: str
    kind: str
    level: str = ""
    level_label: str = ""
    direction_label: str = ""
    target_value: Decimal | None = None
    unit: str = ""
    # The Zielwert with its unit as the paper prints it ("25,2 %"): services.vorlage_facts formats it with
    # agreements.text.numbers, in German, so that the paper writes numbers as the pages and the PDFs do.
    target_text: str = ""
    latest_status: str | None = None  # of its latest assessment (read for the predecessor's goals)
    corridor_exception_reason: str = ""  # why the target value lies outside its corridor


@dataclass(frozen=True)
class Predecessor:
    """The agreement of the previous year, and the county's other agreements of that year (with the Jobcenter)."""

    year: int
    first: bool  # no agreement before it
    partners: tuple[Party, ...]  # the county's partners, in the order the paper names them
    agreements: int  # how many agreements of that year the county made
    goals: tuple[Goal, ...]
    same_goals: bool  # every one of those agreements has the same goals


@dataclass(frozen=True)
class Topic:
    pk: int
    number: int
    name: str


@dataclass(frozen=True)
class Offer:
    topic: Topic
    provider: Party | None = None
    coordinated_with: Party | None = None
    to_be_concretised: bool = False


@dataclass(frozen=True)
class Letter:
    pk: int
    date: Date
    sender: Party
    recipient: Party
    sender_function: str = ""
    document: File | None = None


@dataclass(frozen=True)
class Proposal:
    """A proposal not (fully) adopted."""

    text: str
    decision_label: str
    concerns: str = ""
    reason: str = ""
    answer_letter: Letter | None = None


@dataclass(frozen=True)
class Statement:
    pk: int
    party: Party
    date: Date
    include_as_annex: bool = False
    document: File | None = None


@dataclass(frozen=True)
class Annex:
    title: str
    document: File


@dataclass(frozen=True)
class LegalBasis:
    citation: str
    title: str = ""
    text: str = ""


@dataclass(frozen=True)
class Related:
    """A related agreement of the same year between the county and a Jobcenter."""

    year: int
    jobcenter: Party
    signed: bool


@dataclass(frozen=True)
class VorlageFacts:
    year: int
    parties: tuple[Party, ...] = ()
    land: Party | None = None
    county: Party | None = None  # the department's party, when it is a party to the agreement
    predecessor: Predecessor | None = None  # only with a county
    related: tuple[Related, ...] = ()  # only with a county
    signatures: tuple[Signature, ...] = ()
    steps: tuple[Step, ...] = ()  # by date
    legal_bases: tuple[LegalBasis, ...] = ()
    legal_basis_note: str = ""
    goals: tuple[Goal, ...] = ()
    offers: tuple[Offer, ...] = ()
    proposals: tuple[Proposal, ...] = ()  # not (fully) adopted, of the county when there is one
    letters: tuple[Letter, ...] = ()
    statements: tuple[Statement, ...] = ()
    annexes: tuple[Annex, ...] = ()
    signed_file: File | None = None
    answer_letter_pks: frozenset = frozenset()  # the letters answering decided proposals, adopted or not


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


# --- Titel und Anlass -------------------------------------------------------------------------------------------


def title(facts):
    first = f"Zielsteuerung {facts.year} in der Grundsicherung für Arbeitsuchende"
    if facts.land is not None and facts.county is not None:
        return (f"{first}\n- Abschluss einer Zielvereinbarung zwischen {named(facts.land, 'dat')} und "
                f"{named(facts.county, 'dat')} als kommunaler Träger des Jobcenters für das Jahr {facts.year}")
    parties = join(named(p, "dat") for p in facts.parties)
    return f"{first}\n- Abschluss einer Zielvereinbarung zwischen {parties} für das Jahr {facts.year}"


def _partner(party):
    """The partner in the predecessor's sentence: the ministry by its full name with the short one in brackets."""
    if party.kind == PartyKind.MINISTRY and party.short_name:
        return f"{ARTICLES['dat'][gender(party)]} {party.name} ({party.short_name})"
    return named(party, "dat")


def _with_whom(partners):
    if len(partners) >= 2:
        return (f"sowohl mit {join([_partner(p) for p in partners[:-1]])} als auch mit "
                f"{_partner(partners[-1])}")
    return "mit " + join([_partner(p) for p in partners])


def _predecessor_goals_sentence(predecessor):
    if predecessor.same_goals:
        subject = "Diese Vereinbarungen enthielten"
    elif predecessor.agreements == 1:
        subject = "Diese Vereinbarung enthielt"
    else:
        subject = f"Die Vereinbarung mit {_partner(predecessor.partners[-1])} enthielt"
    titles = [g.title for g in predecessor.goals]
    if len(titles) == 1:
        article = "das gleichlautende" if predecessor.same_goals else "das"
        return f"{subject} {article} Ziel „{titles[0]}“ für das Jahr {predecessor.year}."
    article = "die gleichlautenden" if predecessor.same_goals else "die"
    return f"{subject} {article} Ziele {join(f'„{t}“' for t in titles)}."


def _assessment_sentences(goals):
    """What became of each goal, by its latest assessment; goals never assessed are not mentioned."""
    return [
        f"Dieses Ziel {ASSESSMENT_SENTENCES[g.latest_status]}." if len(goals) == 1
        else f"Das Ziel „{g.title}“ {ASSESSMENT_SENTENCES[g.latest_status]}."
        for g in goals if g.latest_status is not None
    ]


def predecessor_text(facts):
    """'Bereits im Jahr 2011 hat der Kreis … eine erste Zielvereinbarung abgeschlossen.', its goals, their fate."""
    predecessor = facts.predecessor
    if predecessor is None or facts.county is None:
        return ""
    first = " erste" if predecessor.first else ""
    sentences = [f"Bereits im Jahr {predecessor.year} hat {named(facts.county, 'nom')} "
                 f"{_with_whom(predecessor.partners)} eine{first} Zielvereinbarung abgeschlossen."]
    if predecessor.goals:
        sentences.append(_predecessor_goals_sentence(predecessor))
        sentences.extend(_assessment_sentences(predecessor.goals))
    return " ".join(sentences)


def signature_text(facts):
    if not facts.signatures:
        return ""
    names = [person_dative(s.person, s.name, s.function) for s in facts.signatures]
    land, county = facts.land, facts.county
    between = (f"zwischen {named(land, 'dat')} und {named(county, 'dat')} "
               if land is not None and county is not None else "")
    complete = len(facts.signatures) >= len(facts.parties)
    return (f"Die Zielvereinbarung {between}ist {'inzwischen' if complete else 'bisher'} von {join(names)} "
            f"unterzeichnet worden.")


def _negotiation_start(steps):
    begins = [s for s in steps if s.title.lower().startswith(("beginn der verhandlung", "verhandlungsbeginn"))]
    if begins:
        return begins[0]
    return next((s for s in steps if s.kind == StepKind.DRAFT_SENT), None)


def occasion(facts):
    """The Anlass, and the steps it reports (the Verfahren leaves them out)."""
    paragraphs = [predecessor_text(facts)]
    reference_values = next((s for s in facts.steps if s.kind == StepKind.REFERENCE_VALUES), None)
    if reference_values is not None:
        land = facts.land
        who = (f"teilte {named(land, 'nom')} die Referenzwerte und die dazugehörigen Korridore" if land
               else "wurden die Referenzwerte und die dazugehörigen Korridore")
        verb = "mit" if land else "mitgeteilt"
        paragraphs.append(step_sentence(
            reference_values, f"%(when)s {who} für die Zielvereinbarung {facts.year} {verb}."))
    start = _negotiation_start(facts.steps)
    if start is not None:
        opening = f"%(when)s begannen die Verhandlungen über die Inhalte der Zielvereinbarung {facts.year}."
        if start.automatic:
            # A recorded step (a Fassung sent) is told by the Verfahren; the Anlass only dates the beginning.
            paragraphs.append(opening % {"when": date_phrase(start)})
            start = None
        else:
            paragraphs.append(step_sentence(start, opening))
    paragraphs.append(signature_text(facts))
    return "\n\n".join(p for p in paragraphs if p), [s for s in (reference_values, start) if s is not None]


# --- Sachverhalt ------------------------------------------------------------------------------------------------


def legal_text(facts):
    paragraphs = [b.text or f"{b.citation}{' – ' + b.title if b.title else ''}" for b in facts.legal_bases]
    if facts.legal_basis_note:
        paragraphs.append(facts.legal_basis_note.strip())
    return "\n\n".join(paragraphs)


_NOT_IN_PROCEDURE = {StepKind.STATUS, StepKind.REVIEW, StepKind.PROPOSAL, StepKind.PROPOSAL_DECIDED}


def _party_called(facts, name):
    """The party a recorded step names (by its name as it was then), found among the agreement's parties and
    those of its statements and letters, for its article and its name in the paper; one not found keeps the name
    (its article then by its first word)."""
    known = (*facts.parties, *(s.party for s in facts.statements),
             *(p for letter in facts.letters for p in (letter.sender, letter.recipient)))
    for party in known:
        if name and name in (party.name, party.short_name):
            return party
    return Party(pk=0, name=name or "")


def _sent(facts, step, when):
    data = step.data
    recipients = [named(_party_called(facts, name), "dat") for name in data.get("recipients") or ()]
    return words(f"{when} übersandte {named(_party_called(facts, data.get('author')), 'nom')}", join(recipients),
                 f"Fassung {data.get('number')} der Zielvereinbarung.")


_DECIDED = {"uebernommen": "übernahm {deciding} den Vorschlag {party} „{text}“.",
            "teilweise": "entschied {deciding}, den Vorschlag {party} „{text}“ teilweise zu übernehmen.",
            "nicht_uebernommen": "entschied {deciding}, den Vorschlag {party} „{text}“ nicht zu übernehmen."}


def _decided(facts, step, when):
    data = step.data
    template = _DECIDED.get(data.get("decision"))
    if template is None:
        return ""
    return f"{when} " + template.format(
        deciding=named(_party_called(facts, data.get("deciding")), "nom"),
        party=named(_party_called(facts, data.get("party")), "gen"),
        text=" ".join(str(data.get("text")).split()).rstrip("."))


def _accepted(facts, step, when):
    return f"{when} nahm {named(_party_called(facts, step.data.get('party')), 'nom')} Fassung " \
           f"{step.data.get('number')} an."


def _signed(facts, step, when):
    data = step.data
    place = f" in {data['place']}" if data.get("place") else ""
    return words(when, "unterzeichnete", data.get("function"), data.get("name"),
                 f"für {named(_party_called(facts, data.get('party')), 'acc')}{place} die Zielvereinbarung.")


def _statement(facts, step, when):
    annex = " Sie ist der Zielvereinbarung als Anlage beigefügt." if step.data.get("annex") else ""
    return f"{when} gab {named(_party_called(facts, step.data.get('party')), 'nom')} eine Stellungnahme ab.{annex}"


def _letter(facts, step, when):
    data = step.data
    subject = " ".join(str(data.get("subject") or "").split())
    return words(f"{when} schrieb {named(_party_called(facts, data.get('sender')), 'nom')} an",
                 f"{named(_party_called(facts, data.get('recipient')), 'acc')}"
                 + (f" („{subject}“)." if subject else "."))


# The recorded steps the Verfahren tells, each phrased from its data; the other recorded steps (created, status,
# proposals made, the signed file's checksum, Vorlagen, reviews) are no part of the procedure that led to the text.
PROCEDURE_SENTENCES = {
    "version.sent": _sent,
    "proposal.decided": _decided,
    "version.accepted": _accepted,
    "agreement.agreed": lambda facts, step, when: f"{when} wurde der Text der Zielvereinbarung abgestimmt.",
    "signature.made": _signed,
    "statement.recorded": _statement,
    "letter.registered": _letter,
}


def _recorded_sentences(facts, steps):
    """The recorded steps in prose; the agreement of the text directly after its acceptance as 'Damit …'."""
    sentences, previous = [], None
    for step in steps:
        if step.action == "agreement.agreed" and previous is not None and previous.action == "version.accepted" \
                and previous.date == step.date:
            sentences[-1] += " Damit war der Text der Zielvereinbarung abgestimmt."
        else:
            sentence = PROCEDURE_SENTENCES[step.action](facts, step, date_phrase(step))
            if sentence:
                sentences.append(sentence)
        previous = step
    return sentences


def procedure_text(facts, used, vorlage_date):
    """Section II: the steps up to the paper's date, in date order, without those the Anlass reports. Steps entered
    by hand as the timeline tells them (without status changes, proposals and reviews, the signatures once there
    are any); recorded steps phrased from their data, never with what was typed along (a Fassung's note)."""
    skip = _NOT_IN_PROCEDURE | ({StepKind.SIGNATURE} if facts.signatures else set())
    paragraphs, recorded = [], []
    for step in facts.steps:
        if step in used or step.date > vorlage_date:
            continue
        if step.action:
            if step.action in PROCEDURE_SENTENCES:
                recorded.append(step)
            continue
        if recorded:
            paragraphs.extend(_recorded_sentences(facts, recorded))
            recorded = []
        if step.kind not in skip and not (step.automatic and step.kind == StepKind.OTHER):
            paragraphs.append(step_sentence(step))
    paragraphs.extend(_recorded_sentences(facts, recorded))
    return "\n\n".join(paragraphs)


def _unique(items):
    """The items without repetitions and without None, in their first order."""
    seen = []
    for item in items:
        if item is not None and item not in seen:
            seen.append(item)
    return seen


def _goal_kinds_sentence(facts):
    goals = facts.goals
    kinds = {kind: sum(1 for g in goals if g.kind == kind)
             for kind in (GoalKind.QUALITATIVE, GoalKind.QUANTITATIVE, GoalKind.MONITORING)}
    if kinds[GoalKind.QUALITATIVE] == len(goals):
        directions = _unique(g.direction_label or None for g in goals)
        return (f"Die Zielvereinbarung {facts.year} enthält keine zahlenmäßigen Zielwerte, sondern "
                f"ausschließlich qualitative Leitziele und Tendenzen"
                + (f" ({', '.join(directions)})." if directions else "."))
    parts = [counted(count, singular, plural) for count, singular, plural in (
        (kinds[GoalKind.QUANTITATIVE], "quantitatives Ziel mit Ziel- oder Referenzwert",
         "quantitative Ziele mit Ziel- oder Referenzwerten"),
        (kinds[GoalKind.QUALITATIVE], "qualitatives Leitziel", "qualitative Leitziele und Tendenzen"),
        (kinds[GoalKind.MONITORING], "Monitoring-Ziel", "Monitoring-Ziele"),
    ) if count]
    return f"Die Zielvereinbarung {facts.year} enthält {join(parts)}."


def _goal_line(goal):
    detail = [goal.level_label]
    if goal.direction_label:
        detail.append(f"Tendenz: {goal.direction_label}")
    if goal.target_value is not None:
        detail.append(f"Zielwert: {goal.target_text}")
        if goal.corridor_exception_reason:
            detail.append(f"außerhalb des Korridors, Begründung: {' '.join(goal.corridor_exception_reason.split())}")
    return f"- {goal.title} ({', '.join(detail)})"


def goals_text(facts):
    goals = facts.goals
    if not goals:
        return ""
    state = sum(1 for g in goals if g.level == GoalLevel.STATE)
    text = (f"{_goal_kinds_sentence(facts)} Vereinbart {'ist' if len(goals) == 1 else 'sind'} "
            f"{counted(len(goals), 'Ziel', 'Ziele')}, davon {counted(state, 'Landesziel', 'Landesziele')} und "
            f"{counted(len(goals) - state, 'lokales Ziel', 'lokale Ziele')}:")
    return text + "\n" + "\n".join(_goal_line(g) for g in goals)


def offers_text(facts):
    offers = facts.offers
    if not offers:
        return ""
    topics = {}
    for offer in offers:
        topics.setdefault(offer.topic, []).append(offer)
    providers = _unique(o.provider for o in offers)
    who = named(providers[0], "nom") if len(providers) == 1 else (
        named(facts.land, "nom") if facts.land else "Das Land")
    noun = "Themenschwerpunkt" if len(topics) == 1 else "Themenschwerpunkten"
    lines = [f"- {topic.number}. {topic.name} ({counted(len(items), 'Angebot', 'Angebote')})"
             for topic, items in sorted(topics.items(), key=lambda item: item[0].number)]
    text = (f"{capitalised(who)} will zu insgesamt {count_word(len(topics))} {noun} Unterstützung anbieten:\n"
            + "\n".join(lines))
    coordinated = _unique(o.coordinated_with for o in offers)
    sentences = []
    if coordinated:
        sentences.append(f"Die Unterstützungsangebote sind mit {join(named(p, 'dat') for p in coordinated)} "
                         f"abgestimmt.")
    if facts.annexes:
        sentences.append("Sie können der Übersicht entnommen werden, die der Zielvereinbarung beigefügt ist.")
    if any(o.to_be_concretised for o in offers):
        sentences.append("Die weitere inhaltliche Konkretisierung der einzelnen Angebote erfolgt im Jahresverlauf.")
    return text + ("\n\n" + " ".join(sentences) if sentences else "")


def _answer_letters_sentence(letters):
    """Where the reasons are: the answering letters, attached to the paper when every one has its file."""
    one_sender = len({letter.sender.pk for letter in letters}) == 1
    if len(letters) == 1:
        which, clause = "das Schreiben", ", das als Anlage dieser Vorlage beigefügt ist"
    else:
        which, clause = "die Schreiben", ", die als Anlagen dieser Vorlage beigefügt sind"
    reference = words("Zu den entsprechenden inhaltlichen Erläuterungen wird auf", which,
                      named(letters[0].sender, "gen") if one_sender else "",
                      join(f"vom {day(letter.date)}" for letter in letters), "verwiesen")
    attached = all(letter.document is not None for letter in letters)
    return f"{reference}{clause if attached else ''}."


def proposals_text(facts):
    proposals = facts.proposals
    if not proposals:
        return ""
    land, county = facts.land, facts.county
    lines = [f"- {p.concerns or ' '.join(p.text.split())[:120]} ({p.decision_label})" for p in proposals]
    text = words("Einige", f"durch {named(county, 'acc')}" if county else "", "vorgeschlagenen Inhalte wurden",
                 f"durch {named(land, 'acc')}" if land else "", "nicht oder nicht vollständig übernommen:")
    text += "\n" + "\n".join(lines)
    letters = sorted({p.answer_letter for p in proposals if p.answer_letter is not None},
                     key=lambda letter: (letter.date, letter.pk))
    if letters:
        return f"{text}\n\n{_answer_letters_sentence(letters)}"
    reasons = [f"- {p.concerns or p.text[:120]}: {' '.join(p.reason.split())}" for p in proposals]
    return text + "\n\nDie Gründe:\n" + "\n".join(reasons)


# --- Fazit und Anlagen ------------------------------------------------------------------------------------------


def _goals_conclusion(facts):
    goals = facts.goals
    if goals and all(g.kind == GoalKind.QUALITATIVE for g in goals):
        return ("Die vorliegende Zielvereinbarung enthält keine quantifizierbaren Ziele, sondern qualitative "
                "Leitziele und Tendenzen. Hierauf aufbauend sollen für zukünftige Vereinbarungen "
                "ergebnisorientierte Ziele formuliert werden.")
    if goals:
        quantified = sum(1 for g in goals if g.target_value is not None)
        return (f"Die vorliegende Zielvereinbarung enthält {counted(len(goals), 'Ziel', 'Ziele')}, davon "
                f"{counted(quantified, 'mit zahlenmäßigem Zielwert', 'mit zahlenmäßigen Zielwerten')}.")
    return f"Die vorliegende Zielvereinbarung für das Jahr {facts.year} enthält keine Ziele."


def conclusion(facts):
    paragraphs = [_goals_conclusion(facts)]
    if facts.county is not None:
        subject = capitalised(named(facts.county, "nom"))
        for related in facts.related:
            with_whom = f"{named(related.jobcenter, 'dat')} für das Jahr {related.year}"
            paragraphs.append(
                f"{subject} hat eine ähnlich lautende Zielvereinbarung mit {with_whom} abgeschlossen."
                if related.signed else
                f"{subject} beabsichtigt, eine ähnlich lautende Zielvereinbarung mit {with_whom} abzuschließen.")
    return "\n\n".join(paragraphs)


_HEADS_GENITIVE = {"Landrat": "des Landrates", "Landrätin": "der Landrätin",
                   "Oberbürgermeister": "des Oberbürgermeisters", "Oberbürgermeisterin": "der Oberbürgermeisterin"}


def letter_title(letter, county):
    """'Anschreiben des Landrates vom … an das MAIS NRW' for the county head's letters, else 'Schreiben des …'."""
    function = letter.sender_function.strip()
    if county is not None and letter.sender.pk == county.pk and function in _HEADS_GENITIVE:
        return (f"Anschreiben {_HEADS_GENITIVE[function]} vom {day(letter.date)} an "
                f"{named(letter.recipient, 'acc')}")
    return f"Schreiben {named(letter.sender, 'gen')} vom {day(letter.date)}"


def _by_date(items):
    return sorted(items, key=lambda item: (item.date, item.pk))


def anlagen(facts):
    """[(title, document handle)] in the reference paper's order: the signed agreement, its annex, the county's
    letters to the Land (the cover letter), the letters answering proposals, the statements attached to the
    agreement (titled as the letter that brought the file, if one did), then the other letters and statements
    with a file, by date; a file that comes twice is listed once, where it comes first."""
    found, seen = [], set()

    def add(title, file):
        if file is not None and file.pk not in seen:
            seen.add(file.pk)
            found.append((title, file.handle))

    if facts.signed_file is not None:
        parties = " – ".join(display_name(p) for p in (facts.land, facts.county) if p is not None)
        add(words("Zielvereinbarung", parties, str(facts.year)), facts.signed_file)
    for annex in facts.annexes:
        add("Anlage zur Zielvereinbarung" if len(facts.annexes) == 1 else f"Anlage zur Zielvereinbarung: {annex.title}",
            annex.document)
    letters = _by_date(facts.letters)
    county, land = facts.county, facts.land
    for letter in letters:
        if county is not None and letter.sender.pk == county.pk and (land is None or letter.recipient.pk == land.pk):
            add(letter_title(letter, county), letter.document)
    for letter in letters:
        if letter.pk in facts.answer_letter_pks:
            add(letter_title(letter, county), letter.document)
    letter_of_file = {letter.document.pk: letter for letter in reversed(letters) if letter.document is not None}
    statements = _by_date(facts.statements)
    for statement in statements:
        if statement.include_as_annex and statement.document is not None:
            letter = letter_of_file.get(statement.document.pk)
            own = f"Stellungnahme {named(statement.party, 'gen')} vom {day(statement.date)}"
            add(letter_title(letter, county) if letter is not None else f"{own} (Anlage zur Zielvereinbarung)",
                statement.document)
    for letter in letters:
        add(letter_title(letter, county), letter.document)
    for statement in statements:
        add(f"Stellungnahme {named(statement.party, 'gen')} vom {day(statement.date)}", statement.document)
    return found


# --- The whole draft --------------------------------------------------------------------------------------------


def draft(facts, vorlage_date):
    """The pre-filled texts of a Vorlage dated `vorlage_date`: {name, occasion, sections, conclusion, anlagen}."""
    anlass, used = occasion(facts)
    framework = "\n\n".join(p for p in (goals_text(facts), offers_text(facts), proposals_text(facts)) if p)
    return {
        "name": title(facts),
        "occasion": anlass,
        "sections": [
            ("I. Rechtliche Grundlagen", legal_text(facts)),
            ("II. Verfahren", procedure_text(facts, used, vorlage_date)),
            ("III. Rahmenbedingungen und Inhalte", framework),
        ],
        "conclusion": conclusion(facts),
        "anlagen": anlagen(facts),
    }
