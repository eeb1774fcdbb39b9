"""The facts a Vorlage's draft is phrased from: frozen dataclasses, no database and no Django.

`services/vorlage_facts.gather` reads an agreement's records into them; `text.vorlage.draft(facts, date)` phrases
them with the German words of `text.german`. The value classes mirror the models' choices the text tells apart.
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
