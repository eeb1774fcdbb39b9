"""The start page: what the user's parties have, what waits for them, what comes up, what happened lately; for a
committee member the meetings of their committees with the papers, the results and what is new since the last visit
(services.meetings). A member who acts for no party sees only the committees' part."""

import datetime

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from agreements.policy import access

from .. import models as m
from ..services import deadlines
from ..services import meetings as meetings_svc

WAITING_LIMIT = 20
DUE_LIMIT = 20
ENDING_WITHIN_DAYS = 60
ENDING_LIMIT = 10
ACTIVITY_LIMIT = 10

# Agreements that are over do not "end soon" any more.
ENDED_STATUSES = (
    m.Agreement.Status.CLOSED, m.Agreement.Status.WITHDRAWN, m.Agreement.Status.NOT_SIGNED,
)


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
    return list(deadlines.received_drafts(visible, mine).order_by("-latest_sent_at", "pk")[:WAITING_LIMIT])


def _due(mine, proposals, today):
    """What my parties have to do by a day (services.deadlines), soonest first: the agreements' deadlines, the
    proposals they decide (already loaded for the list above), the Vorlagen to release before a meeting; the first
    DUE_LIMIT of them, and how many there are (overdue among them)."""
    if not mine:
        return [], 0, 0
    # The agreements' parties come with the other blocks' (_with_parties): one query for the whole page.
    items = deadlines.due_for_parties(mine, today=today, proposals=proposals, with_parties=False, limit=DUE_LIMIT)
    for item in items:
        item.overdue = item.is_overdue(today)
    total, overdue = deadlines.due_counts(mine, today=today)
    return items, total, overdue


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
        .order_by("-date", "-created", "-pk")[:ACTIVITY_LIMIT]
    )


def _with_parties(agreements):
    """Load the parties of every agreement the start page names, for their short titles, in one query."""
    deadlines.load_parties(agreements)


def _committee_section(user):
    """The committees' part of the start page, or None for a user who is a member of no committee.

    Showing it is the member's visit: the comparison point for "new since your last visit" comes from
    StartPageVisit, which stays the same for every look during one login."""
    committees = meetings_svc.committees(user)
    if not committees:
        return None
    ids = [c.pk for c in committees]
    upcoming_keys = meetings_svc.upcoming_keys(user, ids)
    upcoming_count = upcoming_keys.count()
    upcoming, past = meetings_svc.meetings(user, committees, list(upcoming_keys[:meetings_svc.UPCOMING_LIMIT]),
                                           list(meetings_svc.past_keys(user, ids)[:meetings_svc.PAST_LIMIT]))
    since = m.StartPageVisit.record(user, timezone.now())
    new_papers, new_results = meetings_svc.news(user, ids, since) if since is not None else ([], [])
    limit = meetings_svc.NEW_LIMIT
    return {
        "committees": committees,
        "upcoming": upcoming,
        "upcoming_count": upcoming_count,
        "past": past,
        "since": since,
        "new_papers": new_papers[:limit],
        "new_results": new_results[:limit],
        "more_new_papers": len(new_papers) > limit,
        "more_new_results": len(new_results) > limit,
    }


@login_required
@require_safe
def dashboard(request):
    user = request.user
    mine = access.party_ids(user)
    committee_section = _committee_section(user)
    # Superusers see every agreement without acting for a party; a committee member without a party gets the
    # committees' part only; an account with neither is told why it sees nothing.
    show_agreements = bool(mine) or user.is_superuser or committee_section is None
    context = {
        "no_party_notice": not mine and not user.is_superuser and committee_section is None,
        "show_agreements": show_agreements,
        "committee_section": committee_section,
    }
    if show_agreements:
        visible = access.visible_agreements(user)
        proposals = deadlines.proposals_to_decide(mine, limit=WAITING_LIMIT)
        due, due_count, overdue_count = _due(mine, proposals, timezone.localdate())
        context.update(
            status_counts=_status_counts(visible),
            drafts_received=_drafts_received(visible, mine),
            proposals_to_decide=proposals,
            due=due, due_count=due_count, overdue_count=overdue_count,
            ending_soon=_ending_soon(visible),
            ending_within_days=ENDING_WITHIN_DAYS,
            recent_steps=_recent_steps(visible),
        )
        context["total_count"] = sum(row["count"] for row in context["status_counts"])
        _with_parties([
            *context["drafts_received"], *(p.agreement for p in context["proposals_to_decide"]),
            *(item.agreement for item in due if item.agreement is not None),
            *context["ending_soon"], *(step.agreement for step in context["recent_steps"]),
        ])
    return render(request, "agreements/dashboard.html", context)
