"""Tabs "Ziele" and "Unterstützungsangebote" of an agreement, with their add/edit/delete/move actions.

Goals and offers are entries of one kind of list: the tab lists them in groups (a goal level, an offer topic),
and adding, editing, deleting and moving are one flow (`item_add`, `item_edit`, `item_delete`, `item_move`).
What differs is said once per list, in GOALS and OFFERS.
"""

from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from agreements.infra.errors import ConflictError
from agreements.policy import access

from .. import models as m
from ..forms.base import submit_once
from ..forms.goals import GoalForm, OfferForm, goal_initial, offer_initial
from ..services import agreements as agreement_svc
from ..services import goals as svc
from .base import (
    Routes,
    agreement_tab,
    ask_first,
    deletion,
    form_page,
    not_open,
    once,
    post_only,
    posted,
    render_conflict,
    run_action,
    run_service,
)

urlpatterns = Routes()


@dataclass(frozen=True)
class ItemList:
    """One list of an agreement's entries: its tab, its form, its services and its words."""

    name: str  # "goal": the URL names goal_add, goal_edit, … and the URL argument goal_pk
    tab: str  # the tab's URL name
    anchor: str  # an entry's fragment on the tab: #ziel-12
    lookup: Callable  # access.goal_for: the entry, or 404/403
    form: Callable  # (request, agreement, entry or None) -> the bound form
    save: Callable  # the service: save_goal(user=, agreement=, data=, goal=, lock_version=)
    delete: Callable  # the service: delete_goal(user=, goal=)
    siblings: Callable  # entry -> the entries of its group: "up" and "down" move within what the user sees
    added: Promise
    saved: Promise
    deleted: Promise  # with %(title)s
    delete_title: Promise  # the confirmation's question, with %(title)s
    deleting: Promise  # what deleting does, with %(title)s
    delete_submit: Promise
    add_title: Promise
    edit_title: Promise

    def entry(self, request, pk, url_args):
        """The entry the URL names (goal_pk, offer_pk), for writing: 404 for outsiders, 403 for readers."""
        return self.lookup(request.user, url_args[f"{self.name}_pk"], write=True, agreement_pk=pk)


def _entry_form(request, items, agreement, entry=None):
    """Add (entry None) or edit an entry: validate, save through the service, back to the entry on its tab; a
    save over a newer version shows the conflict page."""
    if refused := not_open(request, agreement, "write", items.tab):
        return refused
    form = items.form(request, agreement, entry)
    back_url = reverse(items.tab, args=[agreement.pk])
    if entry is None:
        form = submit_once(form)

    def save():
        data = form.cleaned_data
        changed = {} if entry is None else {items.name: entry, "lock_version": data["lock_version"] or 0}
        return items.save(user=request.user, agreement=agreement, data=data, **changed)

    if request.method == "POST" and form.is_valid():
        saved = items.added if entry is None else items.saved
        try:
            done = once(request, form, lambda: run_service(request, form, save, success_message=saved))
        except ConflictError as conflict:  # edits only: the form opened again shows the current version
            return render_conflict(request, form, conflict, entry and reverse(f"{items.name}_edit", args=[
                agreement.pk, entry.pk]))
        if done:
            return redirect(f"{back_url}#{items.anchor}-{done.pk}")
    return form_page(request, form, agreement, items.add_title if entry is None else items.edit_title, back_url)


def item_add(request, pk, items):
    return _entry_form(request, items, access.agreement_for(request.user, pk, write=True))


def item_edit(request, pk, items, **url_args):
    entry = items.entry(request, pk, url_args)
    return _entry_form(request, items, entry.agreement, entry)


def item_delete(request, pk, items, **url_args):
    entry = items.entry(request, pk, url_args)
    if refused := post_only(request) or not_open(request, entry.agreement, "write", items.tab):
        return refused
    if asked := ask_first(request, lambda: deletion(
            items.delete_title, items.deleting, items.delete_submit, entry.title, entry.agreement,
            reverse(items.tab, args=[pk]) + f"#{items.anchor}-{entry.pk}",
            proposals=entry.proposals.count() if hasattr(entry, "proposals") else 0)):
        return asked
    run_action(request, lambda: items.delete(user=request.user, **{items.name: entry}),
               success_message=items.deleted % {"title": entry.title})
    return redirect(items.tab, pk=pk)


def item_move(request, pk, items, direction, **url_args):
    entry = items.entry(request, pk, url_args)
    if refused := post_only(request):
        return refused
    run_action(request, lambda: agreement_svc.reorder(
        user=request.user, agreement=entry.agreement, queryset=items.siblings(entry).order_by("order", "id"),
        obj=entry, direction=direction,
    ))
    return redirect(reverse(items.tab, args=[pk]) + f"#{items.anchor}-{entry.pk}")


# Goals ------------------------------------------------------------------------------------------

# The tab lists goals per level, in this order: (level, heading, text when there are none).
GOAL_LEVELS = (
    (m.Goal.Level.STATE, gettext_lazy("Landesziele"), gettext_lazy("Keine Landesziele.")),
    (m.Goal.Level.LOCAL, gettext_lazy("Lokale Ziele"), gettext_lazy("Keine lokalen Ziele.")),
)


@urlpatterns.route("vereinbarungen/<int:pk>/ziele/")
@agreement_tab("agreement_goals", "agreements/goals.html",
               add=("goal_add", gettext_lazy("Ziel hinzufügen"), "can_write_text"))
def agreement_goals(request, agreement, context):
    by_level = {}
    for goal in agreement.goals.select_related("indicator").order_by("order", "id"):
        by_level.setdefault(goal.level, []).append(goal)
    return {"levels": [
        {"value": value, "heading": heading, "empty": empty, "goals": by_level.get(value, [])}
        for value, heading, empty in GOAL_LEVELS
    ]}


def _goal_form(request, agreement, goal):
    if goal is None:
        return GoalForm(posted(request), initial={"level": request.GET.get("ebene") or m.Goal.Level.LOCAL})
    return GoalForm(posted(request), initial=goal_initial(goal))


GOALS = ItemList(
    name="goal", tab="agreement_goals", anchor="ziel", lookup=access.goal_for, form=_goal_form,
    save=svc.save_goal, delete=svc.delete_goal, siblings=lambda goal: goal.agreement.goals.filter(level=goal.level),
    added=gettext_lazy("Das Ziel wurde angelegt."), saved=gettext_lazy("Das Ziel wurde gespeichert."),
    deleted=gettext_lazy("Das Ziel „%(title)s“ wurde gelöscht."),
    delete_title=gettext_lazy("Ziel „%(title)s“ löschen?"),
    deleting=gettext_lazy("Das Ziel „%(title)s“ wird aus dem Arbeitsstand gelöscht."),
    delete_submit=gettext_lazy("Ziel löschen"),
    add_title=gettext_lazy("Ziel hinzufügen"), edit_title=gettext_lazy("Ziel bearbeiten"),
)


# Support offers ---------------------------------------------------------------------------------


@urlpatterns.route("vereinbarungen/<int:pk>/angebote/")
@agreement_tab("agreement_offers", "agreements/offers.html",
               add=("offer_add", gettext_lazy("Angebot hinzufügen"), "can_write_text"))
def agreement_offers(request, agreement, context):
    offers = agreement.offers.select_related("topic", "provider", "coordinated_with").order_by(
        "topic__number", "order", "id"
    )
    return {"topics": [
        {"topic": topic, "offers": list(items)} for topic, items in groupby(offers, key=lambda o: o.topic)
    ]}


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


def _offer_form(request, agreement, offer):
    initial = _offer_initial_for_new(agreement, request) if offer is None else offer_initial(offer)
    return OfferForm(posted(request), initial=initial, agreement=agreement, offer=offer)


OFFERS = ItemList(
    name="offer", tab="agreement_offers", anchor="angebot", lookup=access.offer_for, form=_offer_form,
    save=svc.save_offer, delete=svc.delete_offer,
    siblings=lambda offer: offer.agreement.offers.filter(topic_id=offer.topic_id),
    added=gettext_lazy("Das Unterstützungsangebot wurde angelegt."),
    saved=gettext_lazy("Das Unterstützungsangebot wurde gespeichert."),
    deleted=gettext_lazy("Das Unterstützungsangebot „%(title)s“ wurde gelöscht."),
    delete_title=gettext_lazy("Unterstützungsangebot „%(title)s“ löschen?"),
    deleting=gettext_lazy("Das Unterstützungsangebot „%(title)s“ wird aus dem Arbeitsstand gelöscht."),
    delete_submit=gettext_lazy("Unterstützungsangebot löschen"),
    add_title=gettext_lazy("Unterstützungsangebot hinzufügen"),
    edit_title=gettext_lazy("Unterstützungsangebot bearbeiten"),
)


def _item_routes(items, segment):
    base, args = f"vereinbarungen/<int:pk>/{segment}/", {"items": items}
    entry = f"{base}<int:{items.name}_pk>/"
    urlpatterns.add(base + "neu/", item_add, f"{items.name}_add", args)
    urlpatterns.add(entry, item_edit, f"{items.name}_edit", args)
    urlpatterns.add(entry + "loeschen/", item_delete, f"{items.name}_delete", args)
    urlpatterns.add(rf"^vereinbarungen/(?P<pk>[0-9]+)/{segment}/(?P<{items.name}_pk>[0-9]+)/(?P<direction>up|down)/$",
                    item_move, f"{items.name}_move", args)


_item_routes(GOALS, "ziele")
_item_routes(OFFERS, "angebote")
