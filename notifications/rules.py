"""Which recorded step tells whom: the table of action codes (agreements/text/entries.py) to kinds of message and
their recipients.

The recipients are the users of the parties a step concerns (members of a party, editors and readers), or for a
Vorlage the current members of the committees of its Beratungsfolge; always only those who may open the object
(agreements.policy.access.can_read_agreement, vorlage_access.can_read_vorlage), and never the user who acted.

| action             | kind                | to the users of                                                 |
|--------------------|---------------------|-----------------------------------------------------------------|
| version.sent       | fassung_received    | the parties that received the Fassung                           |
| proposal.decided   | proposal_decided    | the party that made the proposal                                |
| version.accepted   | text_accepted       | the parties that have not accepted that Fassung (its author …)  |
| agreement.agreed   | signature_requested | the parties that still have to sign                             |
| signature.made     | signature_made      | the other parties                                               |
| agreement.refused  | signature_refused   | the other parties                                               |
| agreement.signed   | agreement_signed    | every party                                                     |
| vorlage.released   | vorlage_released    | the members of the committees in its Beratungsfolge             |
|                    | meeting_papers      | per coming meeting of those committees: its committee's members |
| agenda_item.saved  | meeting_papers      | a released paper put on a coming meeting's agenda: its members  |

Every function reads a fixed number of queries, whatever the number of recipients.
"""

import logging
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from agreements import models as m
from agreements.models.parties import meeting_label
from agreements.policy import access, vorlage_access

from . import kinds
from .services import notify

logger = logging.getLogger(__name__)


@dataclass
class Event:
    action: str
    data: dict
    step_id: int | None
    agreement: m.Agreement | None
    target: object
    actor_id: int | None

    @property
    def key(self):
        return f"step:{self.step_id}" if self.step_id else f"{self.target._meta.label_lower}:{self.target.pk}"


def load(payload):
    """The Event of a task's payload (hooks.payload); None if its records are gone meanwhile."""
    label, pk = payload["target"]
    target = apps.get_model(label)._default_manager.filter(pk=pk).first()
    if target is None:
        return None
    agreement = None
    if payload.get("agreement"):
        agreement = m.Agreement.objects.filter(pk=payload["agreement"]).first()
        if agreement is None:
            return None
    return Event(action=payload["action"], data=payload.get("data") or {}, step_id=payload.get("step"),
                 agreement=agreement, target=target, actor_id=payload.get("actor"))


def dispatch(payload):
    """Run the rules of the payload's action; the number of notices created."""
    rules = RULES.get(payload["action"], ())
    event = load(payload) if rules else None
    if event is None:
        return 0
    created, failed = 0, None
    for rule in rules:
        # One rule's failure does not keep the others' users uninformed; the task fails with it afterwards.
        try:
            created += rule(event)
        except Exception as error:  # noqa: BLE001
            logger.exception("Notification rule %s failed for %s", rule.__name__, payload["action"])
            failed = failed or error
    if failed is not None:
        raise failed
    return created


# --- Who --------------------------------------------------------------------------------------------------------

def _with_memberships(users):
    """The users with the access caches of agreements.policy filled for all of them in one query each, so that
    asking the policy about each costs nothing more."""
    if not users:
        return users
    ids = [user.pk for user in users]
    parties, editors = {pk: set() for pk in ids}, {pk: set() for pk in ids}
    for user_id, party_id, role in m.Membership.objects.filter(user_id__in=ids).values_list(
            "user_id", "party_id", "role"):
        parties[user_id].add(party_id)
        if role == m.Membership.Role.EDITOR:
            editors[user_id].add(party_id)
    committees = {pk: set() for pk in ids}
    for user_id, committee_id in vorlage_access.current_memberships().filter(user_id__in=ids).values_list(
            "user_id", "committee_id"):
        committees[user_id].add(committee_id)
    for user in users:
        user._zs_party_ids, user._zs_editor_party_ids = parties[user.pk], editors[user.pk]
        user._zs_committee_ids = committees[user.pk]
    return users


def _party_users(party_ids, actor_id):
    found = {}
    for membership in (m.Membership.objects.filter(party_id__in=party_ids, user__is_active=True)
                       .exclude(user_id=actor_id).select_related("user").order_by("user_id")):
        found.setdefault(membership.user_id, membership.user)
    return _with_memberships(list(found.values()))


def agreement_readers(agreement, party_ids, actor_id):
    """The users of `party_ids` who may open the agreement, the actor left out."""
    return [user for user in _party_users(set(party_ids), actor_id) if access.can_read_agreement(user, agreement)]


def committee_members(committee_ids, actor_id):
    """{committee id: [current members]} of the committees, the actor left out."""
    members, users = {}, {}
    for membership in (vorlage_access.current_memberships().filter(committee_id__in=committee_ids,
                                                                   user__is_active=True)
                       .exclude(user_id=actor_id).select_related("user").order_by("user_id")):
        user = users.setdefault(membership.user_id, membership.user)
        members.setdefault(membership.committee_id, []).append(user)
    _with_memberships(list(users.values()))
    return members


# --- The rules of the agreement's steps ----------------------------------------------------------------------------

def _parties(event):
    return access.agreement_party_ids(event.agreement)


def _tell(event, kind, party_ids, url):
    agreement = event.agreement
    users = agreement_readers(agreement, party_ids, event.actor_id)
    context = {"action": event.action, "data": event.data, "agreement": agreement.short_title,
               "agreement_title": agreement.title}
    return notify(kind.code, users=users, target=agreement.short_title, url=url, context=context,
                  key=f"{event.key}:{kind.code}")


def _detail(event):
    return reverse("agreement_detail", args=[event.agreement.pk])


def _version_url(event, version):
    return reverse("version_detail", args=[event.agreement.pk, version.number])


def fassung_received(event):
    version = event.target
    receiving = [pid for pid in _parties(event) if pid != version.author_party_id]
    return _tell(event, kinds.FASSUNG_RECEIVED, receiving, _version_url(event, version))


def proposal_decided(event):
    proposal = event.target
    url = reverse("agreement_proposals", args=[event.agreement.pk]) + f"#proposal-{proposal.pk}"
    return _tell(event, kinds.PROPOSAL_DECIDED, [proposal.party_id], url)


def text_accepted(event):
    version = event.target
    accepted = set(version.acceptances.values_list("party_id", flat=True))
    waiting = [pid for pid in _parties(event) if pid not in accepted]
    return _tell(event, kinds.TEXT_ACCEPTED, waiting, _version_url(event, version))


def signature_requested(event):
    signed = set(event.agreement.signatures.values_list("party_id", flat=True))
    return _tell(event, kinds.SIGNATURE_REQUESTED, [pid for pid in _parties(event) if pid not in signed],
                 _detail(event))


def signature_made(event):
    signing = event.target.party_id
    return _tell(event, kinds.SIGNATURE_MADE, [pid for pid in _parties(event) if pid != signing], _detail(event))


def signature_refused(event):
    # The party the refusal was recorded for: the refusing user's first party to the agreement (access.acting_party_id).
    actor = get_user_model().objects.filter(pk=event.actor_id).first() if event.actor_id else None
    acting = access.acting_parties(actor, event.agreement)[:1] if actor is not None else []
    return _tell(event, kinds.SIGNATURE_REFUSED, [pid for pid in _parties(event) if pid not in acting],
                 _detail(event))


def agreement_signed(event):
    return _tell(event, kinds.AGREEMENT_SIGNED, _parties(event), _detail(event))


# --- The rules of a Vorlage's release -----------------------------------------------------------------------------

def _vorlage(event):
    """The released Vorlage with its department and Beratungsfolge (consultations, committees, meetings)."""
    vorlage = event.target
    consultations = list(m.Consultation.objects.filter(paper=vorlage).select_related("committee", "meeting")
                         .order_by("order", "pk"))
    vorlage._prefetched_objects_cache = {"consultations": consultations}
    vorlage.department  # noqa: B018 - loaded once, vorlage_access asks for its party
    return vorlage, consultations


def _paper_context(vorlage):
    return {"reference": vorlage.reference, "name": " ".join(vorlage.name.split()), "public": vorlage.public}


def vorlage_released(event):
    vorlage, consultations = _vorlage(event)
    members = committee_members({c.committee_id for c in consultations}, event.actor_id)
    users = {user.pk: user for group in members.values() for user in group}
    readers = [user for user in users.values() if vorlage_access.can_read_vorlage(user, vorlage)]
    context = {**_paper_context(vorlage), "committees": [c.committee.name for c in consultations]}
    return notify(kinds.VORLAGE_RELEASED.code, users=readers, target=vorlage, context=context,
                  url=reverse("vorlage_detail", args=[vorlage.pk]), key=f"vorlage:{vorlage.pk}:released")


def _meeting_day(consultation):
    if consultation.meeting is not None:
        return timezone.localdate(consultation.meeting.start)
    return consultation.meeting_date


def _meeting_notice(vorlage, committee, day, label, members):
    """"Papers available" for the meeting of `committee` on `day`, to its `members` who may read `vorlage`: once
    per meeting (its key), whichever paper or agenda item told first."""
    readers = [user for user in members if vorlage_access.can_read_vorlage(user, vorlage)]
    context = {**_paper_context(vorlage), "meeting": label, "committee": committee.name, "day": day.isoformat()}
    return notify(kinds.MEETING_PAPERS.code, users=readers, target=label, context=context,
                  url=reverse("vorlage_meetings"), key=f"meeting:{committee.pk}:{day.isoformat()}")


def meeting_papers(event):
    """Once per coming meeting (a committee on a day: a Meeting record, or a date in a Beratungsfolge), to the
    members of its committee who may read the paper now released for it."""
    vorlage, consultations = _vorlage(event)
    today = timezone.localdate()
    days = [(c, _meeting_day(c)) for c in consultations]
    coming = [(c, day) for c, day in days if day is not None and day >= today]
    members = committee_members({c.committee_id for c, _day in coming}, event.actor_id)
    created = 0
    for consultation, day in coming:
        label = str(consultation.meeting) if consultation.meeting else meeting_label(consultation.committee, day)
        created += _meeting_notice(vorlage, consultation.committee, day, label,
                                   members.get(consultation.committee_id, ()))
    return created


# A paper on the agenda of a meeting is available to the committee once it is released (not a draft, not
# withdrawn): an agenda item that an admin adds after the release tells what the release could not name.
AVAILABLE = (m.Vorlage.Status.RELEASED, m.Vorlage.Status.IN_CONSULTATION)


def meeting_agenda(event):
    """An agenda item of a coming meeting that consults a released paper: that meeting's papers are available."""
    item = (m.AgendaItem.objects.filter(pk=event.target.pk, consultation__paper__status__in=AVAILABLE)
            .select_related("meeting__committee", "consultation__paper__department").first())
    if item is None:
        return 0
    meeting, vorlage = item.meeting, item.consultation.paper
    day = timezone.localdate(meeting.start)
    if day < timezone.localdate():
        return 0
    members = committee_members({meeting.committee_id}, event.actor_id).get(meeting.committee_id, ())
    return _meeting_notice(vorlage, meeting.committee, day, str(meeting), members)


RULES = {
    "version.sent": (fassung_received,),
    "proposal.decided": (proposal_decided,),
    "version.accepted": (text_accepted,),
    "agreement.agreed": (signature_requested,),
    "signature.made": (signature_made,),
    "agreement.refused": (signature_refused,),
    "agreement.signed": (agreement_signed,),
    "vorlage.released": (vorlage_released, meeting_papers),
    # Not a timeline step: an agenda item saved (hooks.on_agenda_item).
    "agenda_item.saved": (meeting_agenda,),
}
