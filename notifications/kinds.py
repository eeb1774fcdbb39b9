"""The kinds of message a user can be sent, each with its own setting (at once, daily digest, never).

A registry: this app registers the kinds that follow the timeline (rules.py); other apps register theirs when
they are ready (agreements.services.reminders: deadline_near, deadline_overdue). Pure: no database, so it can be
imported while the apps are loaded. A kind's mail is rendered from templates/notifications/mail/<code>.txt,
<code>.html and <code>_subject.txt.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Kind:
    code: str
    label: object  # lazy str: shown on the settings page, in the digest and on the unsubscribe page
    description: object  # lazy str: when the message is sent


KINDS: dict[str, Kind] = {}

# The daily digest is not a kind of its own: its unsubscribe link turns off every kind a user gets in it.
DIGEST = "digest"


def register(kind):
    """Adds `kind` to KINDS and returns it; registering the same code twice with another kind is an error."""
    if kind.code == DIGEST or not kind.code.isidentifier() or len(kind.code) > 40:
        raise ValueError(f"{kind.code!r} cannot name a kind of message")
    known = KINDS.get(kind.code)
    if known is not None and known != kind:
        raise ValueError(f"the kind of message {kind.code!r} is registered already")
    KINDS[kind.code] = kind
    return kind


def choices():
    """(code, label) of every registered kind, for the models' fields (a callable: kinds come with the apps)."""
    return [(kind.code, kind.label) for kind in KINDS.values()]


def mail_choices():
    return [*choices(), (DIGEST, _("Tägliche Zusammenfassung"))]


def label(code):
    """The label of a kind, or of the digest; the code itself for a kind that is no longer registered."""
    if code == DIGEST:
        return _("Tägliche Zusammenfassung")
    kind = KINDS.get(code)
    return kind.label if kind is not None else code


FASSUNG_RECEIVED = register(Kind(
    "fassung_received", _("Fassung erhalten"),
    _("Eine andere Stelle hat Ihrer Stelle eine neue Fassung einer Zielvereinbarung übersandt.")))
PROPOSAL_DECIDED = register(Kind(
    "proposal_decided", _("Vorschlag entschieden"),
    _("Die Stelle am Zug hat über einen Vorschlag Ihrer Stelle entschieden.")))
TEXT_ACCEPTED = register(Kind(
    "text_accepted", _("Fassung angenommen"),
    _("Eine andere Stelle hat eine Fassung angenommen, auf deren Annahme Ihre Stelle wartet.")))
SIGNATURE_REQUESTED = register(Kind(
    "signature_requested", _("Unterschrift erbeten"),
    _("Der Text ist abgestimmt, und Ihre Stelle hat noch nicht unterzeichnet.")))
SIGNATURE_MADE = register(Kind(
    "signature_made", _("Unterschrift geleistet"),
    _("Eine andere Stelle hat eine Zielvereinbarung Ihrer Stelle unterzeichnet.")))
SIGNATURE_REFUSED = register(Kind(
    "signature_refused", _("Unterzeichnung abgelehnt"),
    _("Eine andere Stelle unterzeichnet eine Zielvereinbarung Ihrer Stelle nicht.")))
AGREEMENT_SIGNED = register(Kind(
    "agreement_signed", _("Zielvereinbarung unterzeichnet"),
    _("Alle Stellen haben eine Zielvereinbarung Ihrer Stelle unterzeichnet.")))
VORLAGE_RELEASED = register(Kind(
    "vorlage_released", _("Vorlage freigegeben"),
    _("Eine Vorlage wurde freigegeben, die in einem Ihrer Gremien beraten wird.")))
MEETING_PAPERS = register(Kind(
    "meeting_papers", _("Sitzungsunterlagen verfügbar"),
    _("Für eine kommende Sitzung eines Ihrer Gremien liegen Unterlagen vor; einmal pro Sitzung.")))
