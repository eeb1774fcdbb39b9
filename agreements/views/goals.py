"""Tabs "Ziele" and "Unterstützungsangebote" of an agreement, with their add/edit/delete/move actions."""

from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path, re_path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.infra.errors import ConflictError
from agreements.policy import access

from .. import models as m
from ..forms.base import submit_once
from ..forms.goals import GoalForm, OfferForm, goal_initial, offer_initial
from ..services import agreements as agreement_svc
from ..services import goals as svc
from .base import (
    agreement_context,
    form_page,
    once,
    post_only,
    posted,
    read_only,
    render_conflict,
    run_action,
    run_service,
)


def _refuse_frozen(request, agreement, tab):
    """Opening a form that could never be saved only wastes the user's time: back to the tab."""
    messages.error(
        request,
        _("Die Zielvereinbarung ist „%(status)s“: Ziele und Angebote können nicht mehr geändert werden.")
        % {"status": agreement.get_status_display()},
    )
    return redirect(tab, pk=agreement.pk)


def _item_form(request, form, *, agreement, save, saved, title, tab, anchor, conflict_url=None):
    """Add or edit a goal or an offer: validate, save through the service, back to the item on its tab; a save
    over a newer version shows the conflict page (edits only: conflict_url)."""
    back_url = reverse(tab, args=[agreement.pk])
    if request.method == "POST" and form.is_valid():
        try:
            item = once(request, form, lambda: run_service(
                request, form, lambda: save(form.cleaned_data), success_message=saved))
        except ConflictError as conflict:
            return render_conflict(request, form, conflict, conflict_url)
        if item:
            return redirect(f"{back_url}#{anchor}-{item.pk}")
    return form_page(request, form, agreement, title, back_url)


# Goals ------------------------------------------------------------------------------------------

# The tab lists goals per level, in this order: (level, heading, text when there are none).
GOAL_LEVELS = (
    (m.Goal.Level.STATE, gettext_lazy("Landesziele"), gettext_lazy("Keine Landesziele.")),
    (m.Goal.Level.LOCAL, gettext_lazy("Lokale Ziele"), gettext_lazy("Keine lokalen Ziele.")),
)


@login_required
def agreement_goals(request, pk):
    agreement = access.agreement_for(request.user, pk)
    if refused := read_only(request):
        return refused
    goals = agreement.goals.select_related("indicator").order_by("order", "id")
    by_level = {}
    for goal in goals:
        by_level.setdefault(goal.level, []).append(goal)
    levels = [
        {"value": value, "heading": heading, "empty": empty, "goals": by_level.get(value, [])}
        for value, heading, empty in GOAL_LEVELS
    ]
    return render(request, "agreements/goals.html", agreement_context(
        request, agreement, "agreement_goals", levels=levels,
    ))


@login_required
def goal_add(request, pk):
    agreement = access.agreement_for(request.user, pk, write=True)
    if agreement.is_frozen and request.method != "POST":
        return _refuse_frozen(request, agreement, "agreement_goals")
    form = submit_once(GoalForm(posted(request), initial={"level": request.GET.get("ebene") or m.Goal.Level.LOCAL}))
    return _item_form(
        request, form, agreement=agreement, tab="agreement_goals", anchor="ziel",
        save=lambda data: svc.save_goal(user=request.user, agreement=agreement, data=data),
        saved=_("Das Ziel wurde angelegt."), title=_("Ziel hinzufügen"),
    )


@login_required
def goal_edit(request, pk, goal_pk):
    goal = access.goal_for(request.user, goal_pk, write=True, agreement_pk=pk)
    agreement = goal.agreement
    if agreement.is_frozen and request.method != "POST":
        return _refuse_frozen(request, agreement, "agreement_goals")
    form = GoalForm(posted(request), initial=goal_initial(goal))
    return _item_form(
        request, form, agreement=agreement, tab="agreement_goals", anchor="ziel",
        save=lambda data: svc.save_goal(user=request.user, agreement=agreement, data=data, goal=goal,
                                        lock_version=data["lock_version"] or 0),
        saved=_("Das Ziel wurde gespeichert."), title=_("Ziel bearbeiten"),
        conflict_url=reverse("goal_edit", args=[pk, goal_pk]),
    )


@login_required
def goal_delete(request, pk, goal_pk):
    goal = access.goal_for(request.user, goal_pk, write=True, agreement_pk=pk)
    if refused := post_only(request):
        return refused
    run_action(request, lambda: svc.delete_goal(user=request.user, goal=goal),
               success_message=_("Das Ziel „%(title)s“ wurde gelöscht.") % {"title": goal.title})
    return redirect("agreement_goals", pk=pk)


@login_required
def goal_move(request, pk, goal_pk, direction):
    goal = access.goal_for(request.user, goal_pk, write=True, agreement_pk=pk)
    if refused := post_only(request):
        return refused
    # Goals are listed per level: moving stays within the level the user sees.
    run_action(request, lambda: agreement_svc.reorder(
        user=request.user, agreement=goal.agreement,
        queryset=goal.agreement.goals.filter(level=goal.level).order_by("order", "id"),
        obj=goal, direction=direction,
    ))
    return redirect(reverse("agreement_goals", args=[pk]) + f"#ziel-{goal.pk}")


# Support offers ---------------------------------------------------------------------------------


@login_required
def agreement_offers(request, pk):
    agreement = access.agreement_for(request.user, pk)
    if refused := read_only(request):
        return refused
    offers = agreement.offers.select_related("topic", "provider", "coordinated_with").order_by(
        "topic__number", "order", "id"
    )
    topics = [
        {"topic": topic, "offers": list(items)} for topic, items in groupby(offers, key=lambda o: o.topic)
    ]
    return render(request, "agreements/offers.html", agreement_context(
        request, agreement, "agreement_offers", topics=topics,
    ))


def _offer_initial_for_new(agreement, request):
    # The ministry offers support: its party is the usual provider.
    initial = {"status": m.SupportOffer.Status.PLANNED}
    topic = request.GET.get("thema")
    if topic and topic.isdigit():
        initial["topic"] = int(topic)
    land = next((ap.party_id for ap in agreement.agreement_parties.all()
                 if ap.role == m.AgreementParty.Role.LAND), None)
    if land:
        initial["provider"] = land
    return initial


@login_required
def offer_add(request, pk):
    agreement = access.agreement_for(request.user, pk, write=True)
    if agreement.is_frozen and request.method != "POST":
        return _refuse_frozen(request, agreement, "agreement_offers")
    form = submit_once(OfferForm(posted(request), initial=_offer_initial_for_new(agreement, request)))
    return _item_form(
        request, form, agreement=agreement, tab="agreement_offers", anchor="angebot",
        save=lambda data: svc.save_offer(user=request.user, agreement=agreement, data=data),
        saved=_("Das Unterstützungsangebot wurde angelegt."), title=_("Unterstützungsangebot hinzufügen"),
    )


@login_required
def offer_edit(request, pk, offer_pk):
    offer = access.offer_for(request.user, offer_pk, write=True, agreement_pk=pk)
    agreement = offer.agreement
    if agreement.is_frozen and request.method != "POST":
        return _refuse_frozen(request, agreement, "agreement_offers")
    form = OfferForm(posted(request), initial=offer_initial(offer), offer=offer)
    return _item_form(
        request, form, agreement=agreement, tab="agreement_offers", anchor="angebot",
        save=lambda data: svc.save_offer(user=request.user, agreement=agreement, data=data, offer=offer,
                                         lock_version=data["lock_version"] or 0),
        saved=_("Das Unterstützungsangebot wurde gespeichert."), title=_("Unterstützungsangebot bearbeiten"),
        conflict_url=reverse("offer_edit", args=[pk, offer_pk]),
    )


@login_required
def offer_delete(request, pk, offer_pk):
    offer = access.offer_for(request.user, offer_pk, write=True, agreement_pk=pk)
    if refused := post_only(request):
        return refused
    run_action(
        request, lambda: svc.delete_offer(user=request.user, offer=offer),
        success_message=_("Das Unterstützungsangebot „%(title)s“ wurde gelöscht.") % {"title": offer.title},
    )
    return redirect("agreement_offers", pk=pk)


@login_required
def offer_move(request, pk, offer_pk, direction):
    offer = access.offer_for(request.user, offer_pk, write=True, agreement_pk=pk)
    if refused := post_only(request):
        return refused
    # Offers are listed per Themenschwerpunkt: moving stays within the topic.
    run_action(request, lambda: agreement_svc.reorder(
        user=request.user, agreement=offer.agreement,
        queryset=offer.agreement.offers.filter(topic_id=offer.topic_id).order_by("order", "id"),
        obj=offer, direction=direction,
    ))
    return redirect(reverse("agreement_offers", args=[pk]) + f"#angebot-{offer.pk}")


urlpatterns = [
    path("vereinbarungen/<int:pk>/ziele/", agreement_goals, name="agreement_goals"),
    path("vereinbarungen/<int:pk>/ziele/neu/", goal_add, name="goal_add"),
    path("vereinbarungen/<int:pk>/ziele/<int:goal_pk>/", goal_edit, name="goal_edit"),
    path("vereinbarungen/<int:pk>/ziele/<int:goal_pk>/loeschen/", goal_delete, name="goal_delete"),
    re_path(r"^vereinbarungen/(?P<pk>[0-9]+)/ziele/(?P<goal_pk>[0-9]+)/(?P<direction>up|down)/$",
            goal_move, name="goal_move"),
    path("vereinbarungen/<int:pk>/angebote/", agreement_offers, name="agreement_offers"),
    path("vereinbarungen/<int:pk>/angebote/neu/", offer_add, name="offer_add"),
    path("vereinbarungen/<int:pk>/angebote/<int:offer_pk>/", offer_edit, name="offer_edit"),
    path("vereinbarungen/<int:pk>/angebote/<int:offer_pk>/loeschen/", offer_delete, name="offer_delete"),
    re_path(r"^vereinbarungen/(?P<pk>[0-9]+)/angebote/(?P<offer_pk>[0-9]+)/(?P<direction>up|down)/$",
            offer_move, name="offer_move"),
]
