from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from agreements.infra.errors import ConflictError
from agreements.policy import access, vorlage_access

from .. import models as m
from ..forms import AgreementFilterForm, AgreementForm, SectionForm
from ..forms.base import submit_once
from ..services import agreements as svc
from ..services import follow_on, lifecycle, signing
from ..services.overview import filter_agreement_list
from .base import (
    Routes,
    agreement_context,
    ask_first,
    deletion,
    form_page,
    not_open,
    once,
    post_only,
    posted,
    read_only,
    render_conflict,
    run_action,
    run_service,
)

urlpatterns = Routes()

PAGE_SIZE = 25


def _parties_prefetch():
    return Prefetch("agreement_parties", queryset=m.AgreementParty.objects.select_related("party"))


@urlpatterns.route("vereinbarungen/")
def agreement_list(request):
    if refused := read_only(request):
        return refused
    form = AgreementFilterForm(request.GET or None)
    qs = access.visible_agreements(request.user)
    if form.is_valid():
        qs = filter_agreement_list(qs, form.cleaned_data)
    qs = qs.annotate(signature_count=Count("signatures", distinct=True)).prefetch_related(_parties_prefetch())
    page = Paginator(qs.order_by("-year", "title", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "agreements/agreement_list.html", {
        "form": form, "page": page, "query": query.urlencode(),
        "can_create": bool(access.editor_party_ids(request.user)),
    })


def _readable(user, relation):
    """The agreements linked through the relation that the user may open, as visible_<relation>: a link to
    any other would end in 404 (the rule of the agreement page itself, as one query)."""
    return Prefetch(relation, queryset=access.visible_agreements(user), to_attr=f"visible_{relation}")


@urlpatterns.route("vereinbarungen/<int:pk>/")
def agreement_detail(request, pk):
    user = request.user
    agreement = access.agreement_for(
        user, pk,
        queryset=m.Agreement.objects.select_related("signed_file").prefetch_related(
            _parties_prefetch(), "legal_bases", "sections",
            *(_readable(user, relation) for relation in ("predecessor", "amends", "successors", "amendments",
                                                         "related")),
            Prefetch("signatures", queryset=m.Signature.objects.select_related("party")),
        ).annotate(
            goal_count=Count("goals", distinct=True),
            offer_count=Count("offers", distinct=True),
            version_count=Count("versions", distinct=True),
            open_proposal_count=Count("proposals", filter=Q(proposals__decision="offen"), distinct=True),
            signature_count=Count("signatures", distinct=True),
            **follow_on.passage_annotations(),
        ),
    )
    if refused := read_only(request):
        return refused
    signed, total, missing = lifecycle.signature_progress(agreement)
    acceptance_round = lifecycle.acceptance_round(agreement)
    # How the agreement is (to be) signed: shown from the agreed text on, as the service decides it.
    signing_plan = (signing.plan(agreement) if agreement.status == m.Agreement.Status.AGREED or signed
                    else None)
    return render(request, "agreements/agreement_detail.html", agreement_context(
        request, agreement, "agreement_detail",
        actions=lifecycle.available_actions(request.user, agreement),
        latest_version=acceptance_round.version,
        acceptances=acceptance_round.current, earlier_acceptances=acceptance_round.earlier,
        next_step=lifecycle.next_step_text(agreement, acceptance_round),
        signed_count=signed, party_count=total, missing_parties=missing, signing_plan=signing_plan,
        next_signer=next((p for p in missing if signing_plan and p.pk == signing_plan.next_party_id), None),
        can_write_vorlage=vorlage_access.can_report_on_agreement(request.user, agreement),
    ))


def _predecessors(user, exclude=None):
    qs = access.visible_agreements(user).order_by("-year", "title")
    return qs.exclude(pk=exclude.pk) if exclude else qs


def _initial_from(agreement):
    initial = {
        "title": agreement.title, "year": agreement.year, "period_start": agreement.period_start,
        "period_end": agreement.period_end, "preamble": agreement.preamble,
        "legal_basis_note": agreement.legal_basis_note, "predecessor": agreement.predecessor_id,
        "legal_bases": [lb.pk for lb in agreement.legal_bases.all()], "lock_version": agreement.lock_version,
    }
    for field, role in svc.ROLE_FIELDS:
        for ap in agreement.agreement_parties.all():
            if ap.role == role:
                initial[field] = ap.party_id
    return initial


@urlpatterns.route("vereinbarungen/neu/")
def agreement_create(request):
    if not access.editor_party_ids(request.user):
        raise PermissionDenied(_("Sie haben keine Bearbeitungsrechte."))
    form = submit_once(AgreementForm(posted(request), predecessors=_predecessors(request.user)))
    if request.method == "POST" and form.is_valid():
        agreement = once(request, form, lambda: run_service(
            request, form, lambda: svc.create_agreement(user=request.user, data=form.cleaned_data),
            success_message=_("Die Zielvereinbarung wurde angelegt."),
        ))
        if agreement:
            return redirect("agreement_detail", pk=agreement.pk)
    return render(request, "agreements/agreement_form.html", {"form": form, "title": _("Neue Zielvereinbarung")})


@urlpatterns.route("vereinbarungen/<int:pk>/bearbeiten/")
def agreement_edit(request, pk):
    agreement = access.agreement_for(request.user, pk, write=True)
    if refused := not_open(request, agreement, "write"):
        return refused
    form = AgreementForm(
        posted(request), initial=_initial_from(agreement), predecessors=_predecessors(request.user, agreement)
    )
    if request.method == "POST" and form.is_valid():
        try:
            done = run_service(
                request, form,
                lambda: svc.update_agreement(
                    user=request.user, agreement=agreement, data=form.cleaned_data,
                    lock_version=form.cleaned_data["lock_version"] or 0,
                ),
                success_message=_("Die Änderungen wurden gespeichert."),
            )
        except ConflictError as conflict:
            return render_conflict(request, form, conflict, reverse("agreement_edit", args=[pk]))
        if done:
            return redirect("agreement_detail", pk=pk)
    return render(request, "agreements/agreement_form.html", {
        "form": form, "agreement": agreement, "title": _("Zielvereinbarung bearbeiten"),
    })


@urlpatterns.route("vereinbarungen/<int:pk>/abschnitte/neu/")
def section_add(request, pk):
    agreement = access.agreement_for(request.user, pk, write=True)
    if refused := not_open(request, agreement, "write"):
        return refused
    form = submit_once(SectionForm(posted(request)))
    if request.method == "POST" and form.is_valid():
        if once(request, form, lambda: run_service(request, form, lambda: svc.save_section(
                user=request.user, agreement=agreement, data=form.cleaned_data),
                success_message=_("Der Abschnitt wurde angelegt."))):
            return redirect("agreement_detail", pk=pk)
    return form_page(request, form, agreement, _("Abschnitt hinzufügen"), reverse("agreement_detail", args=[pk]))


@urlpatterns.route("vereinbarungen/<int:pk>/abschnitte/<int:section_pk>/")
def section_edit(request, pk, section_pk):
    section = access.section_for(request.user, section_pk, write=True, agreement_pk=pk)
    if refused := not_open(request, section.agreement, "write"):
        return refused
    form = SectionForm(posted(request), initial={
        "heading": section.heading, "text": section.text, "lock_version": section.lock_version,
    })
    if request.method == "POST" and form.is_valid():
        try:
            done = run_service(request, form, lambda: svc.save_section(
                user=request.user, agreement=section.agreement, data=form.cleaned_data, section=section,
                lock_version=form.cleaned_data["lock_version"] or 0),
                success_message=_("Der Abschnitt wurde gespeichert."))
        except ConflictError as conflict:
            return render_conflict(request, form, conflict, reverse("section_edit", args=[pk, section_pk]))
        if done:
            return redirect("agreement_detail", pk=pk)
    return form_page(request, form, section.agreement, _("Abschnitt bearbeiten"),
                     reverse("agreement_detail", args=[pk]))


@urlpatterns.route("vereinbarungen/<int:pk>/abschnitte/<int:section_pk>/loeschen/")
def section_delete(request, pk, section_pk):
    section = access.section_for(request.user, section_pk, write=True, agreement_pk=pk)
    if refused := post_only(request) or not_open(request, section.agreement, "write"):
        return refused
    if asked := ask_first(request, lambda: deletion(
            _("Abschnitt „%(title)s“ löschen?"), _("Der Abschnitt „%(title)s“ wird aus dem Arbeitsstand gelöscht."),
            _("Abschnitt löschen"), section.heading, section.agreement, reverse("agreement_detail", args=[pk]),
            proposals=section.proposals.count())):
        return asked
    run_action(request, lambda: svc.delete_section(user=request.user, section=section),
               success_message=_("Der Abschnitt wurde gelöscht."))
    return redirect("agreement_detail", pk=pk)


@urlpatterns.route(r"^vereinbarungen/(?P<pk>[0-9]+)/abschnitte/(?P<section_pk>[0-9]+)/(?P<direction>up|down)/$")
def section_move(request, pk, section_pk, direction):
    section = access.section_for(request.user, section_pk, write=True, agreement_pk=pk)
    if (refused := post_only(request)) is not None:
        return refused
    run_action(request, lambda: svc.reorder(
        user=request.user, agreement=section.agreement, queryset=section.agreement.sections.all(),
        obj=section, direction=direction))
    return redirect("agreement_detail", pk=pk)
