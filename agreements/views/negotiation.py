"""Negotiation tabs of an agreement: proposals, statements, the timeline (Verfahren) and the history."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from agreements.infra.errors import ConflictError, DomainError
from agreements.policy import access
from agreements.services.base import require_editable

from ..forms.base import submit_once
from ..forms.negotiation import ProposalDecisionForm, ProposalForm, StatementForm, StepForm
from ..services import negotiation as svc
from .base import agreement_context, form_page, once, posted, posted_files, read_only, render_conflict, run_service

PAGE_SIZE = 25


def _refuse_frozen(request, agreement, tab):
    """Content writes on a frozen agreement go back to the tab with the service's reason (like agreement_edit)."""
    try:
        require_editable(agreement)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(tab, pk=agreement.pk)
    return None


# Proposals ------------------------------------------------------------

@login_required
def agreement_proposals(request, pk):
    agreement = access.agreement_for(request.user, pk)
    if refused := read_only(request):
        return refused
    proposals = list(agreement.proposals.select_related(
        "party", "goal", "section", "answer_letter", "decided_by",
    ).order_by("created", "id"))
    for proposal in proposals:
        proposal.user_can_decide = access.can_decide_proposal(request.user, proposal)
    not_adopted = [p for p in proposals if p.decision in svc.NOT_ADOPTED]
    return render(request, "agreements/proposals.html", agreement_context(
        request, agreement, "agreement_proposals", proposals=proposals, not_adopted=not_adopted,
    ))


@login_required
def proposal_add(request, pk):
    agreement = access.agreement_for(request.user, pk, write=True)
    refused = _refuse_frozen(request, agreement, "agreement_proposals")
    if refused:
        return refused
    form = submit_once(ProposalForm(posted(request), posted_files(request), agreement=agreement))
    if request.method == "POST" and form.is_valid():
        if once(request, form, lambda: run_service(request, form, lambda: svc.create_proposal(
                user=request.user, agreement=agreement, data=form.cleaned_data),
                success_message=_("Der Vorschlag wurde eingebracht."))):
            return redirect("agreement_proposals", pk=pk)
    return form_page(request, form, agreement, _("Vorschlag einbringen"),
                      reverse("agreement_proposals", args=[pk]))


@login_required
def proposal_decide(request, pk, proposal_pk):
    proposal = access.proposal_for(request.user, proposal_pk, write=True, agreement_pk=pk)
    try:
        # The rule access.can_decide_proposal applies, with the service's reason instead of a bare 403.
        svc.require_decidable(proposal.agreement)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("agreement_proposals", pk=pk)
    if not access.can_decide_proposal(request.user, proposal):
        raise PermissionDenied(_("Über einen Vorschlag entscheidet die andere Seite."))
    agreement = proposal.agreement
    initial = {"reason": proposal.reason, "answer_letter": proposal.answer_letter_id,
               "lock_version": proposal.lock_version}
    if proposal.decision != svc.Decision.OPEN:
        initial["decision"] = proposal.decision
    form = ProposalDecisionForm(posted(request), posted_files(request), initial=initial, agreement=agreement)
    if request.method == "POST" and form.is_valid():
        try:
            done = run_service(request, form, lambda: svc.decide_proposal(
                user=request.user, proposal=proposal, data=form.cleaned_data,
                lock_version=form.cleaned_data["lock_version"] or 0),
                success_message=_("Die Entscheidung wurde gespeichert."))
        except ConflictError as conflict:
            back = reverse("proposal_decide", args=[pk, proposal_pk])
            return render_conflict(request, form, conflict, back)
        if done:
            return redirect("agreement_proposals", pk=pk)
    intro = _("Vorschlag von %(party)s: „%(text)s“") % {"party": proposal.party.name, "text": proposal.text}
    return form_page(request, form, agreement, _("Über den Vorschlag entscheiden"),
                      reverse("agreement_proposals", args=[pk]), intro=intro)


# Statements ------------------------------------------------------------

@login_required
def agreement_statements(request, pk):
    agreement = access.agreement_for(request.user, pk)
    if refused := read_only(request):
        return refused
    statements = agreement.statements.select_related("party", "document").order_by("date", "id")
    return render(request, "agreements/statements.html", agreement_context(
        request, agreement, "agreement_statements", statements=statements,
    ))


@login_required
def statement_add(request, pk):
    agreement = access.agreement_for(request.user, pk, write=True)
    refused = _refuse_frozen(request, agreement, "agreement_statements")
    if refused:
        return refused
    form = submit_once(StatementForm(posted(request), posted_files(request)))
    if request.method == "POST" and form.is_valid():
        if once(request, form, lambda: run_service(request, form, lambda: svc.create_statement(
                user=request.user, agreement=agreement, data=form.cleaned_data),
                success_message=_("Die Stellungnahme wurde erfasst."))):
            return redirect("agreement_statements", pk=pk)
    return form_page(request, form, agreement, _("Stellungnahme erfassen"),
                      reverse("agreement_statements", args=[pk]))


@login_required
def statement_edit(request, pk, statement_pk):
    statement = access.statement_for(request.user, statement_pk, write=True, agreement_pk=pk)
    refused = _refuse_frozen(request, statement.agreement, "agreement_statements")
    if refused:
        return refused
    initial = {
        "party": statement.party_id, "date": statement.date, "title": statement.title, "text": statement.text,
        "include_as_annex": statement.include_as_annex, "lock_version": statement.modified.isoformat(),
    }
    form = StatementForm(posted(request), posted_files(request), initial=initial,
                         current_party=statement.party)
    if request.method == "POST" and form.is_valid():
        try:
            done = run_service(request, form, lambda: svc.update_statement(
                user=request.user, statement=statement, data=form.cleaned_data,
                opened_modified=form.cleaned_data["lock_version"]),
                success_message=_("Die Stellungnahme wurde gespeichert."))
        except ConflictError as conflict:
            back = reverse("statement_edit", args=[pk, statement_pk])
            return render_conflict(request, form, conflict, back)
        if done:
            return redirect("agreement_statements", pk=pk)
    return form_page(request, form, statement.agreement, _("Stellungnahme bearbeiten"),
                      reverse("agreement_statements", args=[pk]))


# Timeline ------------------------------------------------------------

@login_required
def agreement_timeline(request, pk):
    agreement = access.agreement_for(request.user, pk)
    if refused := read_only(request):
        return refused
    context = agreement_context(request, agreement, "agreement_timeline")
    steps = list(agreement.steps.select_related("letter", "version").prefetch_related("participants")
                 .order_by("date", "created", "id"))
    for step in steps:
        step.user_can_edit = context["can_edit"] and svc.is_manual(step)
    context["steps"] = steps
    return render(request, "agreements/timeline.html", context)


@login_required
def step_add(request, pk):
    agreement = access.agreement_for(request.user, pk, write=True)
    form = submit_once(StepForm(posted(request), posted_files(request), agreement=agreement))
    if request.method == "POST" and form.is_valid():
        if once(request, form, lambda: run_service(request, form, lambda: svc.create_step(
                user=request.user, agreement=agreement, data=form.cleaned_data),
                success_message=_("Der Verfahrensschritt wurde erfasst."))):
            return redirect("agreement_timeline", pk=pk)
    return form_page(request, form, agreement, _("Verfahrensschritt erfassen"),
                      reverse("agreement_timeline", args=[pk]))


@login_required
def step_edit(request, pk, step_pk):
    step = access.step_for(request.user, step_pk, write=True, agreement_pk=pk)
    if not svc.is_manual(step):
        raise PermissionDenied(_("Vom System erfasste Verfahrensschritte können nicht geändert werden."))
    initial = {field: getattr(step, field) for field in svc.STEP_FIELDS}
    initial.update(participants=list(step.participants.all()), lock_version=step.modified.isoformat())
    form = StepForm(posted(request), posted_files(request), initial=initial, agreement=step.agreement, step=step)
    if request.method == "POST" and form.is_valid():
        try:
            done = run_service(request, form, lambda: svc.update_step(
                user=request.user, step=step, data=form.cleaned_data,
                opened_modified=form.cleaned_data["lock_version"]),
                success_message=_("Der Verfahrensschritt wurde gespeichert."))
        except ConflictError as conflict:
            return render_conflict(request, form, conflict, reverse("step_edit", args=[pk, step_pk]))
        if done:
            return redirect("agreement_timeline", pk=pk)
    return form_page(request, form, step.agreement, _("Verfahrensschritt bearbeiten"),
                      reverse("agreement_timeline", args=[pk]))


# History ------------------------------------------------------------

@login_required
def agreement_history(request, pk):
    agreement = access.agreement_for(request.user, pk)
    if refused := read_only(request):
        return refused
    page = Paginator(svc.history_entries(agreement), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "agreements/history.html", agreement_context(
        request, agreement, "agreement_history", page=page, entries=svc.describe_history(agreement, page),
    ))


P = "vereinbarungen/<int:pk>/"
urlpatterns = [
    path(P + "vorschlaege/", agreement_proposals, name="agreement_proposals"),
    path(P + "vorschlaege/neu/", proposal_add, name="proposal_add"),
    path(P + "vorschlaege/<int:proposal_pk>/entscheiden/", proposal_decide, name="proposal_decide"),
    path(P + "stellungnahmen/", agreement_statements, name="agreement_statements"),
    path(P + "stellungnahmen/neu/", statement_add, name="statement_add"),
    path(P + "stellungnahmen/<int:statement_pk>/", statement_edit, name="statement_edit"),
    path(P + "verfahren/", agreement_timeline, name="agreement_timeline"),
    path(P + "verfahren/neu/", step_add, name="step_add"),
    path(P + "verfahren/<int:step_pk>/", step_edit, name="step_edit"),
    path(P + "historie/", agreement_history, name="agreement_history"),
]
