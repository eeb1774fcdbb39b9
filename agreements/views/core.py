"""The start page: what the user's parties have, what waits for them, what comes up, what happened lately."""

import datetime

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from agreements.policy import access

from .. import models as m
from ..models.agreements import pen_holder

WAITING_LIMIT = 20
MEETING_LIMIT = 5
ENDING_WITHIN_DAYS = 60
ENDING_LIMIT = 10
ACTIVITY_LIMIT = 10

# Agreements that are over do not "end soon" any more.
ENDED_STATUSES = (
    m.Agreement.Status.CLOSED, m.Agreement.Status.WITHDRAWN, m.Agreement.Status.NOT_SIGNED,
)
OPEN_STATUSES = (m.Agreement.Status.DRAFT, m.Agreement.Status.NEGOTIATION)


def _status_counts(visible):
    counts = dict(visible.order_by().values_list("status").annotate(n=Count("pk")))
    return [
        {"status": value, "label": label, "count": counts[value]}
        for value, label in m.Agreement.Status.choices if counts.get(value)
    ]


def _drafts_received(visible, mine):
    """Agreements of my parties whose latest version came from another party: my party has to answer.

    A newer version from my party would be the latest one, so "latest is not mine" is the whole rule.
    """
    if not mine:
        return []
    latest = m.AgreementVersion.objects.filter(agreement=OuterRef("pk")).order_by("-number")
    return list(
        visible.filter(
            Exists(m.AgreementParty.objects.filter(agreement=OuterRef("pk"), party_id__in=mine)),
            status__in=OPEN_STATUSES,
        )
        .annotate(
            latest_number=Subquery(latest.values("number")[:1]),
            latest_author_id=Subquery(latest.values("author_party_id")[:1]),
            latest_author_name=Subquery(latest.values("author_party__name")[:1]),
            latest_sent_at=Subquery(latest.values("sent_at")[:1]),
            latest_kind=Subquery(latest.values("kind")[:1]),
        )
        .filter(latest_number__isnull=False, latest_kind=m.AgreementVersion.Kind.DRAFT)
        .exclude(latest_author_id__in=mine)
        .order_by("-latest_sent_at", "pk")[:WAITING_LIMIT]
    )


def _proposals_to_decide(visible, mine):
    """Open proposals of other parties on open agreements whose pen my party holds: the party am Zug decides
    (the rule of access.can_decide_proposal, asked of every agreement in one query)."""
    if not mine:
        return []
    return list(
        m.Proposal.objects.filter(
            decision=m.Proposal.Decision.OPEN,
            agreement__in=visible.exclude(status__in=m.Agreement.FROZEN_STATUSES)
            .annotate(pen=pen_holder()).filter(pen__in=mine).values("pk"),
        )
        .exclude(party_id__in=mine)
        .select_related("agreement", "party")
        .order_by("created", "pk")[:WAITING_LIMIT]
    )


def _upcoming_meetings(user, now):
    today = timezone.localdate()
    member = m.CommitteeMembership.objects.filter(committee=OuterRef("committee"), user=user).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today)
    )
    return list(
        m.Meeting.objects.filter(Exists(member), start__gte=now)
        .select_related("committee", "committee__party")
        .order_by("start", "pk")[:MEETING_LIMIT]
    )


def _ending_soon(visible):
    today = timezone.localdate()
    return list(
        visible.filter(period_end__gte=today, period_end__lte=today + datetime.timedelta(days=ENDING_WITHIN_DAYS))
        .exclude(status__in=ENDED_STATUSES)
        .order_by("period_end", "title", "pk")[:ENDING_LIMIT]
    )


def _recent_steps(visible):
    return list(
        m.ProcedureStep.objects.filter(agreement__in=visible.values("pk"))
        .select_related("agreement")
        .order_by("-created", "-pk")[:ACTIVITY_LIMIT]
    )


@login_required
@require_safe
def dashboard(request):
    user = request.user
    visible = access.visible_agreements(user)
    mine = access.party_ids(user)
    now = timezone.now()
    context = {
        # Superusers see every agreement without acting for a party; everyone else needs a membership.
        "no_party_notice": not mine and not user.is_superuser,
        "status_counts": _status_counts(visible),
        "drafts_received": _drafts_received(visible, mine),
        "proposals_to_decide": _proposals_to_decide(visible, mine),
        "meetings": _upcoming_meetings(user, now),
        "ending_soon": _ending_soon(visible),
        "ending_within_days": ENDING_WITHIN_DAYS,
        "recent_steps": _recent_steps(visible),
    }
    context["total_count"] = sum(row["count"] for row in context["status_counts"])
    return render(request, "agreements/dashboard.html", context)
