"""Negotiation tabs of an agreement: proposals, statements, the timeline (Verfahren) and the history."""

from functools import partial

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.infra.errors import ConflictError, DomainError
from agreements.policy import access
from agreements.text.parts import quoted, sentence

from ..forms.base import submit_once
from ..forms.negotiation import ProposalDecisionForm, ProposalForm, StatementForm, StepForm
from ..services import negotiation as svc
from .base import (
    Routes,
    agreement_tab,
    form_page,
    not_open,
    once,
    posted,
    posted_files,
    query_pk,
    render_conflict,
    run_service,
)

urlpatterns = Routes()

PAGE_SIZE = 25


def _add_view(name, make_form, create, *, tab, saved, title, action="edit"):
    """The view that adds a record on its own page: created once (a second submission of the same form creates
    nothing), then back to the tab. `make_form(request, agreement)` builds the form (bound on POST), `create(
    user=…, agreement=…, data=…)` is the service. While the agreement's `action` is not open (services.transitions;
    None: always), the user goes back to the tab with the reason. The page's title is `title`, or the form's
    `title` if it has one.
    """

    def view(request, pk):
        agreement = access.agreement_for(request.user, pk, write=True)
        if action and (refused := not_open(request, agreement, action, tab)):
            return refused
        form = submit_once(make_form(request, agreement))
        if request.method == "POST" and form.is_valid():
            if once(request, form, lambda: run_service(request, form, lambda: create(
                    user=request.user, agreement=agreement, data=form.cleaned_data), success_message=saved)):
                return redirect(tab, pk=agreement.pk)
        return form_page(request, form, agreement, getattr(form, "title", title), reverse(tab, args=[agreement.pk]))

    view.__name__ = name
    return view


def _edit_page(request, agreement, form, update, *, tab, saved, title, intro="", **page):
    """A record changed on its own page: saved over a newer version, the conflict page (status 409, back to this
    form); otherwise back to the tab. `update(data=…, lock_version=…)` is the service, bound to user and record."""
    if request.method == "POST" and form.is_valid():
        try:
            done = run_service(request, form, lambda: update(
                data=form.cleaned_data, lock_version=form.cleaned_data["lock_version"]), success_message=saved)
        except ConflictError as conflict:
            return render_conflict(request, form, conflict, request.path)
        if done:
            return redirect(tab, pk=agreement.pk)
    return form_page(request, form, agreement, title, reverse(tab, args=[agreement.pk]), intro=intro, **page)


# Proposals ------------------------------------------------------------

@urlpatterns.route("vereinbarungen/<int:pk>/vorschlaege/")
@agreement_tab(
    "agreement_proposals", "agreements/proposals.html",
    columns=(gettext_lazy("vorschlagende Stelle"), gettext_lazy("betrifft"), gettext_lazy("Vorschlag"),
             gettext_lazy("Entscheidung"), gettext_lazy("Begründung"), gettext_lazy("Antwortschreiben"),
             gettext_lazy("entschieden von / am")),
    add=("proposal_add", gettext_lazy("Vorschlag einbringen"), "can_propose"), row_actions=True,
)
def agreement_proposals(request, agreement, context):
    proposals = list(agreement.proposals.select_related(
        "party", "goal", "section", "answer_letter", "decided_by",
    ).order_by("created", "id"))
    for proposal in proposals:
        proposal.user_can_decide = access.can_decide_proposal(request.user, proposal)
    return {"entries": svc.arrange_proposals(proposals),
            "not_adopted": [p for p in proposals if p.decision in svc.NOT_ADOPTED]}


def _proposal_form(request, agreement):
    """?abschnitt=<pk> or ?ziel=<pk> asks for the exact change to that section or goal of this agreement (404 for
    any other value); without either, a proposal in words."""
    targets = {"abschnitt": agreement.sections, "ziel": agreement.goals}
    chosen = {key: get_object_or_404(rows, pk=query_pk(request.GET[key]))
              for key, rows in targets.items() if key in request.GET}
    if len(chosen) > 1:
        raise Http404
    form = ProposalForm(posted(request), posted_files(request), agreement=agreement,
                        section=chosen.get("abschnitt"), goal=chosen.get("ziel"))
    if "abschnitt" in chosen:
        form.title = _("Neuen Wortlaut vorschlagen: %(heading)s") % {"heading": chosen["abschnitt"].heading}
    elif "ziel" in chosen:
        form.title = _("Neue Werte vorschlagen: %(title)s") % {"title": chosen["ziel"].title}
    return form


proposal_add = urlpatterns.add("vereinbarungen/<int:pk>/vorschlaege/neu/", _add_view(
    "proposal_add", _proposal_form, svc.create_proposal,
    tab="agreement_proposals", saved=gettext_lazy("Der Vorschlag wurde eingebracht."),
    title=gettext_lazy("Vorschlag einbringen"), action="propose",
))


@urlpatterns.route("vereinbarungen/<int:pk>/vorschlaege/<int:proposal_pk>/entscheiden/")
def proposal_decide(request, pk, proposal_pk):
    proposal = access.proposal_for(request.user, proposal_pk, write=True, agreement_pk=pk)
    try:
        # The rule access.can_decide_proposal applies, with the service's reason instead of a bare 403.
        svc.require_decidable(proposal.agreement)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("agreement_proposals", pk=pk)
    if not access.can_decide_proposal(request.user, proposal):
        raise PermissionDenied(access.DECISION_REFUSED)
    agreement = proposal.agreement
    initial = {"reason": proposal.reason, "answer_letter": proposal.answer_letter_id,
               "lock_version": proposal.lock_version}
    if proposal.decision != svc.Decision.OPEN:
        initial["decision"] = proposal.decision
    form = ProposalDecisionForm(posted(request), posted_files(request), initial=initial, agreement=agreement)
    intro = sentence(_("Vorschlag von %(party)s: „%(text)s“"), party=escape(proposal.party.name),
                     text=quoted(proposal.text))
    same_passage = [p for p in svc.arrange_proposals(list(agreement.proposals.select_related(
        "party", "goal", "section").order_by("created", "id"))) if svc.passage_key(p) == svc.passage_key(proposal)]
    return _edit_page(request, agreement, form, partial(svc.decide_proposal, user=request.user, proposal=proposal),
                      tab="agreement_proposals", saved=_("Die Entscheidung wurde gespeichert."),
                      title=_("Über den Vorschlag entscheiden"), intro=intro,
                      template="agreements/proposal_decide.html", proposal=next(
                          p for p in same_passage if p.pk == proposal.pk),
                      others=[p for p in same_passage if p.pk != proposal.pk])


# Statements ------------------------------------------------------------

@urlpatterns.route("vereinbarungen/<int:pk>/stellungnahmen/")
@agreement_tab(
    "agreement_statements", "agreements/statements.html",
    columns=(gettext_lazy("Stelle"), gettext_lazy("Datum"), gettext_lazy("Titel"), gettext_lazy("Inhalt"),
             gettext_lazy("Datei"), gettext_lazy("als Anlage")),
    add=("statement_add", gettext_lazy("Stellungnahme erfassen"), "can_edit_content"), row_actions="can_edit_content",
)
def agreement_statements(request, agreement, context):
    return {"entries": agreement.statements.select_related("party", "document").order_by("date", "id")}


statement_add = urlpatterns.add("vereinbarungen/<int:pk>/stellungnahmen/neu/", _add_view(
    "statement_add", lambda request, agreement: StatementForm(posted(request), posted_files(request)),
    svc.create_statement,
    tab="agreement_statements", saved=gettext_lazy("Die Stellungnahme wurde erfasst."),
    title=gettext_lazy("Stellungnahme erfassen"),
))


@urlpatterns.route("vereinbarungen/<int:pk>/stellungnahmen/<int:statement_pk>/")
def statement_edit(request, pk, statement_pk):
    statement = access.statement_for(request.user, statement_pk, write=True, agreement_pk=pk)
    if refused := not_open(request, statement.agreement, "edit", "agreement_statements"):
        return refused
    initial = {
        "party": statement.party_id, "date": statement.date, "title": statement.title, "text": statement.text,
        "include_as_annex": statement.include_as_annex, "lock_version": statement.lock_version,
    }
    form = StatementForm(posted(request), posted_files(request), initial=initial,
                         current_party=statement.party)
    return _edit_page(request, statement.agreement, form,
                      partial(svc.update_statement, user=request.user, statement=statement),
                      tab="agreement_statements", saved=_("Die Stellungnahme wurde gespeichert."),
                      title=_("Stellungnahme bearbeiten"))


# Timeline ------------------------------------------------------------

@urlpatterns.route("vereinbarungen/<int:pk>/verfahren/")
@agreement_tab(
    "agreement_timeline", "agreements/timeline.html",
    columns=(gettext_lazy("Datum"), gettext_lazy("Art"), gettext_lazy("Bezeichnung"), gettext_lazy("Beschreibung"),
             gettext_lazy("Beteiligte"), gettext_lazy("Bezug"), gettext_lazy("Erfassung")),
    add=("step_add", gettext_lazy("Verfahrensschritt erfassen"), "can_edit"), row_actions="can_edit",
)
def agreement_timeline(request, agreement, context):
    steps = list(agreement.steps.select_related("letter", "version").prefetch_related("participants")
                 .order_by("date", "created", "id"))
    for step in steps:
        step.user_can_edit = context["can_edit"] and svc.is_manual(step)
    return {"entries": steps}


step_add = urlpatterns.add("vereinbarungen/<int:pk>/verfahren/neu/", _add_view(
    "step_add", lambda request, agreement: StepForm(posted(request), posted_files(request), agreement=agreement),
    svc.create_step,
    tab="agreement_timeline", saved=gettext_lazy("Der Verfahrensschritt wurde erfasst."),
    title=gettext_lazy("Verfahrensschritt erfassen"),
    action=None,
))


@urlpatterns.route("vereinbarungen/<int:pk>/verfahren/<int:step_pk>/")
def step_edit(request, pk, step_pk):
    step = access.step_for(request.user, step_pk, write=True, agreement_pk=pk)
    if not svc.is_manual(step):
        raise PermissionDenied(_("Vom System erfasste Verfahrensschritte können nicht geändert werden."))
    initial = {field: getattr(step, field) for field in svc.STEP_FIELDS}
    initial.update(participants=list(step.participants.all()), lock_version=step.lock_version)
    form = StepForm(posted(request), posted_files(request), initial=initial, agreement=step.agreement, step=step)
    return _edit_page(request, step.agreement, form, partial(svc.update_step, user=request.user, step=step),
                      tab="agreement_timeline", saved=_("Der Verfahrensschritt wurde gespeichert."),
                      title=_("Verfahrensschritt bearbeiten"))


# History ------------------------------------------------------------

@urlpatterns.route("vereinbarungen/<int:pk>/historie/")
@agreement_tab("agreement_history", "agreements/history.html")
def agreement_history(request, agreement, context):
    page = Paginator(svc.history_entries(agreement), PAGE_SIZE).get_page(request.GET.get("page"))
    return {"page": page, "entries": svc.describe_history(agreement, page)}
