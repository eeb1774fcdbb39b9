from agreements.models.vorlagen import AgendaItem, Consultation, Impact, Vorlage, VorlageAnlage, VorlageSection

from . import lookups  # noqa: F401 - registers the integer-range-safe __in lookup
from .agreements import (
    Acceptance,
    Agreement,
    AgreementParty,
    AgreementSection,
    AgreementVersion,
    Goal,
    ImmutableRecordError,
    Signature,
    SupportOffer,
)
from .archived import ArchivedUserName
from .audit import AuditEntry
from .catalogue import Indicator, LegalBasis, Topic
from .deadlines import CalendarFeed, Deadline
from .documents import CachedPdf, Document
from .follow_on import CopiedPassage
from .idempotency import FormSubmission
from .negotiation import Letter, ProcedureStep, Proposal, Statement
from .parties import Committee, CommitteeMembership, Department, Meeting, Membership, Party, Person
from .reviews import Assessment, Review
from .search import SearchEntry
from .signing import SigningKey, TimestampAuthority, TrustAnchor
from .visits import StartPageVisit

__all__ = [
    "Acceptance", "AgendaItem", "Agreement", "AgreementParty", "AgreementSection", "AgreementVersion",
    "ArchivedUserName", "Assessment", "AuditEntry", "CachedPdf", "CalendarFeed", "Committee", "CommitteeMembership",
    "Consultation",
    "CopiedPassage",
    "Deadline", "Department", "Document", "FormSubmission", "Goal", "Impact",
    "ImmutableRecordError", "Indicator", "LegalBasis", "Letter", "Meeting", "Membership", "Party", "Person",
    "ProcedureStep", "Proposal", "Review", "SearchEntry", "Signature", "SigningKey", "StartPageVisit", "Statement",
    "SupportOffer", "TimestampAuthority", "Topic", "TrustAnchor", "Vorlage", "VorlageAnlage", "VorlageSection",
]
