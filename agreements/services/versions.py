"""Versions (Fassungen): immutable snapshots of the whole agreement, made when a party sends a draft."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agreements.infra.errors import DomainError
from agreements.services.base import record_step

from .. import models as m
from . import deadlines
from .transitions import AGREEMENT

SNAPSHOT_SCHEMA = 1
NOTE_MAX_LENGTH = 2000


def _decimal(value):
    """Decimals as canonical strings ('12.5', '100'), so equal numbers compare equal across versions."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _parties(agreement):
    return m.AgreementParty.objects.filter(agreement=agreement).select_related("party").order_by("order", "id")


def agreement_snapshot(agreement):
    """The whole content of the agreement as JSON-safe data (the `snapshot` of an AgreementVersion).

    Items carry their database id so that a redline can follow a goal across versions even when its title
    changed. Choice fields are stored as their codes; the views translate them for display.
    """
    legal_bases = list(agreement.legal_bases.order_by("order", "citation").values_list("citation", flat=True))
    parties = [
        {"party_id": ap.party_id, "name": ap.party.name, "role": ap.role}
        for ap in _parties(agreement)
    ]
    sections = [
        {"id": s.pk, "order": s.order, "heading": s.heading, "text": s.text}
        for s in m.AgreementSection.objects.filter(agreement=agreement).order_by("order", "id")
    ]
    goals = [
        {
            "id": g.pk, "order": g.order, "kind": g.kind, "level": g.level, "area": g.area, "title": g.title,
            "text": g.text, "direction": g.direction, "indicator": g.indicator.code if g.indicator else None,
            "reference_value": _decimal(g.reference_value), "corridor_low": _decimal(g.corridor_low),
            "corridor_high": _decimal(g.corridor_high), "target_value": _decimal(g.target_value),
            "unit": g.unit,
            # Only where there is one: a Fassung sent before the field existed still equals the unchanged text.
            **({"corridor_exception_reason": g.corridor_exception_reason} if g.corridor_exception_reason else {}),
        }
        for g in m.Goal.objects.filter(agreement=agreement).select_related("indicator").order_by("order", "pk")
    ]
    offers = [
        {
            "id": o.pk, "order": o.order, "topic": str(o.topic), "title": o.title, "text": o.text,
            "provider": o.provider.name if o.provider else None,
            "coordinated_with": o.coordinated_with.name if o.coordinated_with else None,
            "status": o.status,
        }
        for o in m.SupportOffer.objects.filter(agreement=agreement)
        .select_related("topic", "provider", "coordinated_with")
        .order_by("topic__number", "order", "id")
    ]
    return {
        "schema": SNAPSHOT_SCHEMA,
        "title": agreement.title,
        "year": agreement.year,
        "preamble": agreement.preamble,
        "legal_bases": legal_bases,
        "legal_basis_note": agreement.legal_basis_note,
        "parties": parties,
        "sections": sections,
        "goals": goals,
        "offers": offers,
    }


def create_version(agreement, *, author_party_id, user, note, kind, snapshot=None):
    """Freeze the agreement's current content as the next numbered version.

    Internal: the caller has checked permission and state and holds the agreement's row lock, so two parties
    sending at the same moment cannot both get the same number (the unique constraint backs this up).
    """
    with transaction.atomic():
        last = m.AgreementVersion.objects.filter(agreement=agreement).aggregate(n=Max("number"))["n"] or 0
        return m.AgreementVersion.objects.create(
            agreement=agreement,
            number=last + 1,
            kind=kind,
            author_party_id=author_party_id,
            sent_at=timezone.now(),
            sent_by=user if user is not None and user.is_authenticated else None,
            note=note,
            snapshot=agreement_snapshot(agreement) if snapshot is None else snapshot,
        )


def _as_stored(snapshot):
    """The snapshot as it reads back from the JSON column, so a fresh one compares equal to a stored one."""
    return json.loads(json.dumps(snapshot, cls=DjangoJSONEncoder))


def unsent_changes(agreement, version):
    """Whether the working text differs from `version` (the last sent Fassung)."""
    return _as_stored(agreement_snapshot(agreement)) != version.snapshot


def require_changed_since_last_version(agreement):
    """Refuse to send what the other side already has: the working text equals the last sent Fassung.

    The caller holds the agreement's row lock: of two identical sends at the same moment the second one sees
    the first one's Fassung here and is refused.
    """
    last = m.AgreementVersion.objects.filter(agreement=agreement).order_by("-number").first()
    if last is not None and not unsent_changes(agreement, last):
        raise DomainError(
            _("Der Arbeitsstand ist seit Fassung %(number)s unverändert; es gibt nichts Neues zu übersenden.")
            % {"number": last.number}
        )


def next_pen_holder(parties, author_party_id):
    """Who receives the pen by default: the party after the sender in the agreement's order of parties."""
    ids = [ap.party_id for ap in parties]
    return ids[(ids.index(author_party_id) + 1) % len(ids)]


def send_draft(*, user, agreement, note="", to=None):
    """The party "am Zug" sends its working text to the other parties: Fassung n+1, status 'in Verhandlung', and
    the pen passes to `to` (a party of the agreement other than the sender; by default the next one)."""
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise DomainError(
            _("Die Anmerkung darf höchstens %(max)s Zeichen lang sein.") % {"max": NOTE_MAX_LENGTH}
        )
    with transaction.atomic():
        # The lock first: every check below and the new number see the state no other send can change.
        agreement = AGREEMENT.enter(user, agreement, "send")
        author_party_id = agreement.pen_holder_id()
        require_changed_since_last_version(agreement)
        parties = list(_parties(agreement))
        author = next(ap.party for ap in parties if ap.party_id == author_party_id)
        recipients = [ap.party for ap in parties if ap.party_id != author_party_id]
        pen = to.pk if to is not None else next_pen_holder(parties, author_party_id)
        if pen not in {p.pk for p in recipients}:
            raise DomainError(_("Die Fassung geht an eine andere Stelle der Vereinbarung."))

        version = create_version(
            agreement, author_party_id=author_party_id, user=user, note=note,
            kind=m.AgreementVersion.Kind.DRAFT,
        )
        agreement.pen_party_id = pen
        fields = ["pen_party", "modified"]
        if agreement.status == m.Agreement.Status.DRAFT:
            agreement.status = m.Agreement.Status.NEGOTIATION
            fields.append("status")
        agreement.save(update_fields=fields)

        record_step(
            agreement, kind=m.ProcedureStep.Kind.DRAFT_SENT, action="version.sent", user=user, version=version,
            participants=[author, *recipients],
            data={"number": version.number, "author": author.name, "title": agreement.title,
                  "source": agreement.short_title, "recipients": [p.name for p in recipients], "note": note,
                  "pen": next(p.name for p in recipients if p.pk == pen)},
        )
        deadlines.meet_deadlines(agreement, by="version.sent", user=user, number=version.number)
    return version
