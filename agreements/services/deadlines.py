"""Deadlines (Fristen) and what is due for a party, in working days in NRW (services.workdays).

Three sources, one shape (`Due`), so the start page, the navigation, the calendar feed and the reminders read the
same list:
- an agreement's deadlines (models.Deadline): set, changed, marked done or dropped by an editor of one of its
  parties (AGREEMENT's "deadline"), each write one function here, recorded on the agreement's timeline;
- a proposal awaiting its decision: the party am Zug decides it (access.can_decide_proposal) within
  DEADLINE_PROPOSAL_WORKING_DAYS working days of its making;
- a Vorlage still in draft whose Beratungsfolge names a meeting to come: the authoring party releases it
  VORLAGE_INVITATION_WORKING_DAYS working days before that meeting, so it goes out with the invitation.

The last two are computed from the records' state, not stored: a decision, a release or a meeting moved to another
day changes them at once, and no service of the negotiation or the Vorlagen has to keep a second record in step.

Every query function issues a fixed number of queries, whatever the number of agreements, proposals and Vorlagen.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, F, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.infra.errors import DomainError

from .. import models as m
from ..models.agreements import pen_holder
from . import workdays
from .base import record_step, save_locked
from .transitions import AGREEMENT

D = m.Deadline
# The agreements whose deadlines still count: those AGREEMENT's "deadline" is open for.
LIVE_STATUSES = AGREEMENT["deadline"].sources
FIELDS = ("kind", "title", "due", "owner", "note")
MIN_YEAR, MAX_YEAR = 2005, 2100
TEXT_MAX = 5000

_S = m.Agreement.Status
_NOT_EVALUATED = tuple(s for s in LIVE_STATUSES if s != _S.EVALUATED)
# The agreement statuses in which each kind of deadline is set (all of them LIVE_STATUSES): those in which what it
# asks for can still happen. The one rule the services check (kind_refusal) and the form offers (kind_choices).
KIND_STATUSES = {
    # Met by sending a Fassung (MET_BY): only while Fassungen are sent (AGREEMENT's "send"); from "abgestimmt" on the
    # text is frozen and no draft is due any more.
    D.Kind.DRAFT: tuple(AGREEMENT["send"].sources),
    # Met by the last signature: set ahead while the text is negotiated, up to the signing; not once it is signed.
    D.Kind.SIGNATURE: tuple(s for s in LIVE_STATUSES if s not in m.Agreement.SIGNED_STATUSES),
    # § 4 of the 2012 agreement: planned from the draft on, given while it is in effect; once the Jahresauswertung is
    # recorded ("bewertet", services.lifecycle.record_review) the year is reported on.
    D.Kind.HALF_YEAR_REPORT: _NOT_EVALUATED,
    D.Kind.YEAR_END_REPORT: _NOT_EVALUATED,
    # Whatever it is, as long as the agreement's deadlines are set at all.
    D.Kind.OTHER: tuple(LIVE_STATUSES),
}

PROPOSAL_KIND = "vorschlag"
VORLAGE_KIND = "vorlage"
DERIVED_LABELS = {
    PROPOSAL_KIND: gettext_lazy("Entscheidung über einen Vorschlag"),
    VORLAGE_KIND: gettext_lazy("Freigabe der Vorlage für die Einladung"),
}


def reminder_working_days():
    return settings.DEADLINE_REMINDER_WORKING_DAYS


def proposal_due(created):
    """The day the party am Zug should have decided a proposal made at `created` (a datetime)."""
    return workdays.add_working_days(timezone.localdate(created), settings.DEADLINE_PROPOSAL_WORKING_DAYS)


def release_due(meeting_day):
    """The day a Vorlage for a meeting on `meeting_day` must be released to go out with the invitation."""
    return workdays.working_days_before(meeting_day, settings.VORLAGE_INVITATION_WORKING_DAYS)


# --- What is due ------------------------------------------------------------------------------------------------

@dataclass
class Due:
    """Something a party has to do by a day: a deadline of an agreement, a proposal to decide, a Vorlage to
    release. `ref` is stable for the object ("12" for Deadline 12, "vorschlag-5", "vorlage-3"): reminders and the
    calendar feed name it by that."""

    ref: str
    kind: str  # a Deadline.Kind, PROPOSAL_KIND or VORLAGE_KIND
    title: str  # a deadline's own title ("sonstige Frist"); empty otherwise
    due: datetime.date
    owner: m.Party
    target: object  # the Deadline, Proposal or Vorlage
    url: str  # the page where it is done
    agreement: m.Agreement | None = None
    detail: str = ""  # the proposal's text, the meeting the Vorlage goes to
    paper: str = ""  # a Vorlage's number and subject
    extra: dict = field(default_factory=dict)

    @property
    def subject(self):
        """What it concerns, as written: the agreement's short title (its parties loaded with load_parties), or the
        Vorlage's number and subject."""
        return self.agreement.short_title if self.agreement is not None else self.paper

    @property
    def label(self):
        if self.title:
            return self.title
        if self.kind in DERIVED_LABELS:
            return str(DERIVED_LABELS[self.kind])
        return str(D.Kind(self.kind).label)

    def is_overdue(self, today):
        return self.due < today

    def reminder_day(self):
        """The working day the reminder before it is due goes out."""
        return workdays.working_days_before(self.due, reminder_working_days())

    def is_near(self, today):
        """Due within the reminder period (from the reminder day to the day it is due)."""
        return self.reminder_day() <= today <= self.due


def _party_filter(field_name, party_ids):
    return Q() if party_ids is None else Q(**{f"{field_name}__in": party_ids})


def load_parties(agreements):
    """Load the parties of the agreements (for their short titles) in one query; none for no agreements."""
    by_pk = {}
    for agreement in agreements:
        by_pk.setdefault(agreement.pk, []).append(agreement)
    if not by_pk:
        return
    parties = {pk: [] for pk in by_pk}
    for ap in m.AgreementParty.objects.filter(agreement_id__in=by_pk).select_related("party").order_by("order", "pk"):
        parties[ap.agreement_id].append(ap.party)
    for pk, same in by_pk.items():
        for agreement in same:
            agreement._zs_parties = parties[pk]


def open_deadlines(party_ids=None):
    """The open deadlines owned by `party_ids` (ids or a subquery; None: every party) of agreements that still
    run, owned by a party of the agreement."""
    return D.objects.filter(_party_filter("owner_id", party_ids), state=D.State.OPEN,
                            agreement__status__in=LIVE_STATUSES).filter(
        Exists(m.AgreementParty.objects.filter(agreement=OuterRef("agreement_id"), party=OuterRef("owner_id"))))


def stored_due(party_ids=None, *, limit=None):
    """The open deadlines owned by `party_ids` (None: every party) of agreements that still run, owned by a party of
    the agreement. One query."""
    deadlines = open_deadlines(party_ids).select_related("owner", "agreement").order_by("due", "pk")
    if limit:
        deadlines = deadlines[:limit]
    return [
        Due(ref=str(d.pk), kind=d.kind, title=d.title, due=d.due, owner=d.owner, target=d,
            agreement=d.agreement, detail=d.note,
            url=reverse("agreement_deadlines", args=[d.agreement_id]) + f"#frist-{d.pk}")
        for d in deadlines
    ]


def _pen_of_agreement():
    """The party am Zug of a proposal's agreement (Agreement.pen_holder_id), as a query expression."""
    agreements = m.Agreement.objects.filter(pk=OuterRef("agreement_id")).annotate(pen=pen_holder())
    return Subquery(agreements.values("pen")[:1], output_field=IntegerField())


def awaiting_decision():
    """Open proposals on agreements whose text is still open, made by another party than the one am Zug, annotated
    with that party (`pen`): the rule of access.can_decide_proposal, asked of every proposal in one query."""
    return (
        m.Proposal.objects.filter(decision=m.Proposal.Decision.OPEN)
        .exclude(agreement__status__in=m.Agreement.FROZEN_STATUSES)
        .annotate(pen=_pen_of_agreement())
        .exclude(party_id=F("pen"))
    )


def _with_pen_party(proposals):
    return proposals.annotate(pen_name=Subquery(m.Party.objects.filter(pk=OuterRef("pen")).values("name")[:1]))


def proposals_to_decide(party_ids, *, limit=None):
    """The proposals the parties `party_ids` (None: every party) decide, oldest first, with `due` and the deciding
    party `owner` (its id and name) set. One query."""
    if party_ids is not None and not party_ids:
        return []
    proposals = awaiting_decision().filter(_party_filter("pen", party_ids))
    if party_ids is not None:
        proposals = proposals.exclude(party_id__in=party_ids)
    proposals = _with_pen_party(proposals).select_related("agreement", "party").order_by("created", "pk")
    proposals = list(proposals[:limit] if limit else proposals)
    for proposal in proposals:
        proposal.due = proposal_due(proposal.created)
        proposal.owner = m.Party(pk=proposal.pen, name=proposal.pen_name or "")
    return proposals


def _proposal_items(proposals):
    return [
        Due(ref=f"{PROPOSAL_KIND}-{p.pk}", kind=PROPOSAL_KIND, title="", due=p.due, owner=p.owner, target=p,
            agreement=p.agreement, detail=str(p),
            url=reverse("agreement_proposals", args=[p.agreement_id]) + f"#proposal-{p.pk}")
        for p in proposals
    ]


def _meeting_day():
    """A consultation's meeting day: its meeting's (in local time), else the day the Beratungsfolge names."""
    return Coalesce(TruncDate("meeting__start"), F("meeting_date"))


def vorlage_due(party_ids=None, *, today):
    """Vorlagen in draft of the parties `party_ids` (None: every party) with a meeting to come in their
    Beratungsfolge: released by the invitation deadline of the first such meeting. One query."""
    consultations = (
        m.Consultation.objects.filter(_party_filter("paper__department__party_id", party_ids),
                                      paper__status=m.Vorlage.Status.DRAFT)
        .annotate(day=_meeting_day()).filter(day__gte=today)
        .select_related("paper", "paper__department__party", "committee", "meeting")
        .order_by("paper_id", "day", "order", "pk")
    )
    items, seen = [], set()
    for consultation in consultations:
        paper = consultation.paper
        if paper.pk in seen:
            continue
        seen.add(paper.pk)
        items.append(Due(
            ref=f"{VORLAGE_KIND}-{paper.pk}", kind=VORLAGE_KIND, title="", due=release_due(consultation.day),
            owner=paper.department.party, target=paper, paper=f"{paper.reference} {paper.name}",
            detail=consultation.meeting_label, url=reverse("vorlage_detail", args=[paper.pk]),
            extra={"meeting_day": consultation.day},
        ))
    return items


def due_for_parties(party_ids, *, today, proposals=None, with_parties=True, limit=None):
    """Everything the parties `party_ids` (None: every party) have to do, soonest first: their agreements'
    deadlines, the proposals they decide (pass `proposals` when the caller has them already), their Vorlagen to
    release; the first `limit` of them if given (each source is read in the order of its due dates, so at most
    `limit` rows of each are needed). Four queries at most: deadlines, proposals, Vorlagen, and the agreements'
    parties for their short titles (unless `with_parties` is off: the caller loads them with load_parties, with
    its own agreements)."""
    if party_ids is not None and not party_ids:
        return []
    if proposals is None:
        proposals = proposals_to_decide(party_ids, limit=limit)
    items = [*stored_due(party_ids, limit=limit), *_proposal_items(proposals), *vorlage_due(party_ids, today=today)]
    items = sorted(items, key=lambda item: (item.due, item.kind, item.ref))[:limit]
    if with_parties:
        load_parties(item.agreement for item in items if item.agreement is not None)
    return items


def _start_of(day):
    """The first instant of `day` in the installation's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _meeting_between(first, last=None):
    """Consultations whose meeting day (services' _meeting_day) lies from `first` to `last` (open-ended without
    it). Compared as instants and dates, not through TruncDate: no database function per row, and an index on the
    meeting's start or the date can serve it."""
    with_meeting = Q(meeting__isnull=False, meeting__start__gte=_start_of(first))
    by_date = Q(meeting__isnull=True, meeting_date__gte=first)
    if last is not None:
        with_meeting &= Q(meeting__start__lt=_start_of(last + datetime.timedelta(days=1)))
        by_date &= Q(meeting_date__lte=last)
    return with_meeting | by_date


def _due_counts(party_ids, *, today, horizon=None):
    """The subqueries that count what is due for `party_ids` (stored deadlines up to `horizon` if given,
    proposals to decide, Vorlagen to release) and, as "..._overdue", of it what is past its day: annotations for
    one statement, so every count costs no query of its own."""
    yesterday = today - datetime.timedelta(days=1)
    stored = open_deadlines(party_ids)
    proposals = awaiting_decision().filter(pen__in=party_ids).exclude(party_id__in=party_ids)
    made_by = workdays.latest_start(yesterday, settings.DEADLINE_PROPOSAL_WORKING_DAYS)
    vorlagen = m.Vorlage.objects.filter(department__party_id__in=party_ids, status=m.Vorlage.Status.DRAFT)
    invitation_days = settings.VORLAGE_INVITATION_WORKING_DAYS

    def first_meeting(last=None):
        # Vorlagen with a meeting to come, whose invitation deadline falls by `last` if given.
        before = workdays.latest_day_before(last, invitation_days) if last is not None else None
        return vorlagen.filter(Exists(m.Consultation.objects.filter(_meeting_between(today, before),
                                                                    paper=OuterRef("pk"))))

    return {
        "n_deadlines": _Count((stored.filter(due__lte=horizon) if horizon else stored).values("pk")),
        "n_deadlines_overdue": _Count(stored.filter(due__lt=today).values("pk")),
        "n_proposals": _Count(proposals.values("pk")),
        "n_proposals_overdue": _Count(proposals.filter(
            created__lt=_start_of(made_by + datetime.timedelta(days=1))).values("pk")),
        "n_vorlagen": _Count(first_meeting(horizon).values("pk")),
        "n_vorlagen_overdue": _Count(first_meeting(yesterday).values("pk")),
    }


def _totals(counts):
    """(everything, of it overdue) of the counts _due_counts annotated."""
    return (counts["n_deadlines"] + counts["n_proposals"] + counts["n_vorlagen"],
            counts["n_deadlines_overdue"] + counts["n_proposals_overdue"] + counts["n_vorlagen_overdue"])


def due_counts(party_ids, *, today):
    """(everything open, of it overdue) for the parties `party_ids`, as due_for_parties would list it; one query."""
    if not party_ids:
        return 0, 0
    annotations = _due_counts(party_ids, today=today)
    counts = m.Party.objects.filter(pk=next(iter(party_ids))).annotate(**annotations).values(*annotations).first()
    return (0, 0) if counts is None else _totals(counts)


# --- Counting for the navigation ---------------------------------------------------------------------------------

class _Count(Subquery):
    """The number of rows of a queryset, as a scalar subquery (one query asks several counts at once)."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _counted)"
    output_field = IntegerField()


def received_drafts(agreements, party_ids):
    """Open agreements among `agreements` with a party of `party_ids` whose latest Fassung came from another
    party: those parties have to answer (the start page's "Erhaltene Entwürfe"). A queryset, annotated with the
    latest Fassung's number, author, time and kind."""
    latest = m.AgreementVersion.objects.filter(agreement=OuterRef("pk")).order_by("-number")
    return (
        agreements.filter(
            Exists(m.AgreementParty.objects.filter(agreement=OuterRef("pk"), party_id__in=party_ids)),
            status__in=(m.Agreement.Status.DRAFT, m.Agreement.Status.NEGOTIATION),
        )
        .annotate(
            latest_number=Subquery(latest.values("number")[:1]),
            latest_author_id=Subquery(latest.values("author_party_id")[:1]),
            latest_author_name=Subquery(latest.values("author_party__name")[:1]),
            latest_sent_at=Subquery(latest.values("sent_at")[:1]),
            latest_kind=Subquery(latest.values("kind")[:1]),
        )
        .filter(latest_number__isnull=False, latest_kind=m.AgreementVersion.Kind.DRAFT)
        .exclude(latest_author_id__in=party_ids)
    )


@dataclass(frozen=True)
class Waiting:
    """What waits for the user's parties ("am Zug"): Fassungen to answer, proposals to decide and deadlines due
    within the reminder period; `overdue` of them past their day."""

    total: int
    overdue: int
    acts_for_a_party: bool = True


def waiting_counts(user, *, today=None):
    """Waiting for the navigation, in one query whatever the amount of data: every count is a subquery of one
    statement (the user's parties come from access.party_ids, read once per request and shared with the page; a
    user who acts for no party costs no further query). The day limits are computed here, so the database compares
    dates only."""
    from agreements.policy import access

    today = today or timezone.localdate()
    mine = sorted(access.party_ids(user))
    if not mine:
        return Waiting(0, 0, acts_for_a_party=False)
    horizon = workdays.add_working_days(today, reminder_working_days())
    annotations = {
        # received_drafts() asks for a party of the user's among the agreement's: those agreements are visible.
        "n_drafts": _Count(received_drafts(m.Agreement.objects.all(), mine).values("pk")),
        **_due_counts(mine, today=today, horizon=horizon),
    }
    counts = get_user_model().objects.filter(pk=user.pk).annotate(**annotations).values(*annotations).first()
    if counts is None:
        return Waiting(0, 0, acts_for_a_party=False)
    total, overdue = _totals(counts)
    return Waiting(total=counts["n_drafts"] + total, overdue=overdue)


# --- Writing an agreement's deadlines ------------------------------------------------------------------------

def _user_name(user):
    return user.get_full_name() or user.get_username()


def _entry_data(deadline, user):
    return {"kind": deadline.kind, "title": deadline.title, "owner": deadline.owner.name, "due": deadline.due,
            "user": _user_name(user)}


def kind_fits(kind, status):
    """Whether a deadline of `kind` is set on an agreement in `status` (KIND_STATUSES)."""
    return status in KIND_STATUSES.get(kind, ())


def kind_choices(agreement, *, keep=None):
    """The kinds of deadline the agreement's status allows now, as (value, label) in Deadline.Kind's order, and
    `keep` (the kind of the deadline being changed: it may stay what it is). What the form offers."""
    return [(value, label) for value, label in D.Kind.choices
            if value == keep or kind_fits(value, agreement.status)]


def kind_refusal(kind, agreement):
    """Why a deadline of `kind` is not set on the agreement in its status, or None when it fits."""
    if kind_fits(kind, agreement.status):
        return None
    statuses = ", ".join(str(_S(status).label) for status in KIND_STATUSES[kind])
    return _("Eine Frist „%(kind)s“ passt nicht mehr zum Status „%(status)s“ der Zielvereinbarung. Gesetzt wird "
             "sie nur in diesen Status: %(statuses)s.") % {
        "kind": D.Kind(kind).label, "status": agreement.get_status_display(), "statuses": statuses}


def _same_key(kind, title, due):
    """What makes two deadlines of an agreement the same one: kind and day, and for "sonstige Frist" the title
    (whatever its case)."""
    return kind, due, title.casefold() if kind == D.Kind.OTHER else ""


def _refuse_duplicate(agreement, values, deadline=None):
    """DomainError when an open deadline of the agreement other than `deadline` is the same as `values` (_same_key).
    A done or dropped one does not count: a deadline dropped by mistake is set again. Called with the agreement
    row-locked (AGREEMENT.enter), so two editors setting the same deadline at once get one of it."""
    key = _same_key(values["kind"], values["title"], values["due"])
    if deadline is not None and _same_key(deadline.kind, deadline.title, deadline.due) == key:
        return  # the deadline stays the one it is (a changed note, owner or title of a kind without one)
    same = D.objects.filter(agreement=agreement, kind=values["kind"], due=values["due"], state=D.State.OPEN)
    if values["kind"] == D.Kind.OTHER:
        same = same.filter(title__iexact=values["title"])
    if deadline is not None:
        same = same.exclude(pk=deadline.pk)
    if same.exists():
        label = values["title"] if values["kind"] == D.Kind.OTHER else D.Kind(values["kind"]).label
        raise DomainError(_("Die am %(date)s fällige Frist „%(label)s“ ist bereits gesetzt. Bitte ändern Sie die "
                            "bestehende Frist, statt sie ein zweites Mal zu setzen.") % {
            "date": formats.date_format(values["due"], "SHORT_DATE_FORMAT"), "label": label})


def _clean(agreement, data, deadline=None):
    """The deadline's values, checked: a kind that fits the agreement's status (one the changed `deadline` has
    already may stay), a title for "sonstige Frist", a plausible day, an owner that is a party to the agreement, and
    no second open deadline the same. DomainError with the sentence for the form otherwise."""
    kind = data.get("kind")
    if kind not in D.Kind.values:
        raise DomainError(_("Bitte wählen Sie die Art der Frist."))
    if kind != getattr(deadline, "kind", None) and (refusal := kind_refusal(kind, agreement)):
        raise DomainError(refusal)
    title = (data.get("title") or "").strip()
    if kind == D.Kind.OTHER and not title:
        raise DomainError(_("Eine sonstige Frist braucht eine Bezeichnung."))
    if len(title) > D._meta.get_field("title").max_length:
        raise DomainError(_("Die Bezeichnung ist zu lang."))
    due = data.get("due")
    if not isinstance(due, datetime.date) or not MIN_YEAR <= due.year <= MAX_YEAR:
        raise DomainError(_("Bitte geben Sie ein Datum zwischen %(first)s und %(last)s an.")
                          % {"first": MIN_YEAR, "last": MAX_YEAR})
    owner = data.get("owner")
    owner_id = getattr(owner, "pk", owner)
    parties = {ap.party_id: ap.party for ap in agreement.agreement_parties.select_related("party")}
    if owner_id not in parties:
        raise DomainError(_("Zuständig für eine Frist ist eine Stelle, die Partner der Zielvereinbarung ist."))
    note = (data.get("note") or "").strip()
    if len(note) > TEXT_MAX:
        raise DomainError(_("Die Anmerkung ist zu lang."))
    values = {"kind": kind, "title": title, "due": due, "owner": parties[owner_id], "note": note}
    _refuse_duplicate(agreement, values, deadline)
    return values


def create_deadline(*, user, agreement, data):
    """A new deadline on the agreement: an editor of one of its parties, while it runs (AGREEMENT's "deadline"), of
    a kind its status allows (KIND_STATUSES), and not a second time while the first is open (_refuse_duplicate)."""
    with transaction.atomic():
        locked = AGREEMENT.enter(user, agreement, "deadline")
        deadline = D.objects.create(agreement=locked, created_by=user, **_clean(locked, data))
        record_step(locked, kind=m.ProcedureStep.Kind.DEADLINE, action="deadline.set", user=user,
                    data=_entry_data(deadline, user), participants=[deadline.owner])
    return deadline


def closed_reason(deadline):
    """Why a deadline can no longer be changed (it is done or dropped), or None while it is open."""
    if deadline.is_open:
        return None
    return _("Die Frist ist bereits %(state)s und kann nicht mehr geändert werden.") % {
        "state": deadline.get_state_display()}


def _open_deadline(user, deadline):
    """Inside a transaction: the permission and the agreement's state (row-locked), then the deadline re-read with
    a row lock and still open."""
    AGREEMENT.enter(user, deadline.agreement, "deadline")
    locked = D.objects.select_for_update().select_related("owner", "agreement").get(pk=deadline.pk)
    if reason := closed_reason(locked):
        raise DomainError(reason)
    return locked


def update_deadline(*, user, deadline, data, lock_version):
    """Change an open deadline (optimistic locking: a form over a newer version gets the conflict page). A new kind
    must fit the agreement's status; the deadline's own kind may stay, so one set before the status moved on can
    still be corrected (or it is dropped)."""
    with transaction.atomic():
        locked = _open_deadline(user, deadline)
        values = _clean(locked.agreement, data, locked)
        previous = locked.due
        changed = [name for name in FIELDS if getattr(locked, name) != values[name]]
        for name, value in values.items():
            setattr(locked, name, value)
        save_locked(locked, lock_version, FIELDS, submitted=data)
        if set(changed) - {"note"}:
            record_step(locked.agreement, kind=m.ProcedureStep.Kind.DEADLINE, action="deadline.changed", user=user,
                        data={**_entry_data(locked, user), "previous": previous if previous != locked.due else None},
                        participants=[locked.owner])
    return locked


def close_deadline(*, user, deadline, state):
    """Mark an open deadline done (erledigt) or drop it (entfallen); recorded on the timeline."""
    if state not in (D.State.DONE, D.State.DROPPED):
        raise DomainError(_("Unbekannter Abschluss einer Frist."))
    with transaction.atomic():
        locked = _open_deadline(user, deadline)
        locked.state = state
        locked.closed_at = timezone.now()
        locked.closed_by = user
        locked.save(update_fields=["state", "closed_at", "closed_by", "modified"])
        action = "deadline.done" if state == D.State.DONE else "deadline.dropped"
        record_step(locked.agreement, kind=m.ProcedureStep.Kind.DEADLINE, action=action, user=user,
                    data=_entry_data(locked, user), participants=[locked.owner])
    return locked


# The step that meets a kind of deadline by itself: "Entwurf bis" by a Fassung sent, or by the text agreed (no draft
# is due any more: KIND_STATUSES), "Unterzeichnung bis" by the last signature. Nobody has to mark those done, and
# their reminders stop with the step.
MET_BY = {"version.sent": D.Kind.DRAFT, "agreement.agreed": D.Kind.DRAFT, "agreement.signed": D.Kind.SIGNATURE}


def meet_deadlines(agreement, *, by, user, **event):
    """Inside the transaction of the step `by` (a key of MET_BY), with the agreement row-locked: its open deadlines
    of the kind that step meets are done, each recorded on the timeline ("deadline.met"). `event` is the step's
    data the entry names (the Fassung's number)."""
    met = list(D.objects.select_for_update().select_related("owner")
               .filter(agreement=agreement, kind=MET_BY[by], state=D.State.OPEN).order_by("due", "pk"))
    now = timezone.now()
    for deadline in met:
        deadline.state, deadline.closed_at, deadline.closed_by = D.State.DONE, now, user
        deadline.save(update_fields=["state", "closed_at", "closed_by", "modified"])
        record_step(agreement, kind=m.ProcedureStep.Kind.DEADLINE, action="deadline.met", user=user,
                    data={**_entry_data(deadline, user), "by": by, **event}, participants=[deadline.owner])
    return met


def default_owner_id(agreement):
    """Who a new deadline is for unless the editor says otherwise: the kommunaler Träger, who drafts and, by § 4 of
    the 2012 agreement, reports; else the first party."""
    parties = list(agreement.agreement_parties.all())
    drafting = [ap for ap in parties if ap.role == m.AgreementParty.Role.KOMMUNALER_TRAEGER] or parties
    return drafting[0].party_id if drafting else None
