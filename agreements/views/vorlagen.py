"""Vorlagen: lists (internal, public, "Meine Sitzungsunterlagen"), the reading view, PDFs, writing and lifecycle.

Who may do what is decided in agreements/policy/vorlage_access.py. The reading views, the PDFs and the Anlagen of a
released public Vorlage need no login; whoever may not read something is sent to the login page when
anonymous and gets 404 otherwise.
"""

import functools
import logging

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.infra import files
from agreements.infra.errors import ConflictError
from agreements.policy import access, vorlage_access

from .. import models as m
from ..forms.base import submit_once
from ..forms.lifecycle import ReasonForm
from ..forms.vorlagen import (
    AnlageForm,
    AnlageTitleForm,
    ConsultationForm,
    FollowUpForm,
    PublicFilterForm,
    ResultForm,
    SectionForm,
    VorlageFilterForm,
    VorlageForm,
    VorlageFromAgreementForm,
)
from ..pdf.bundle import BundleError
from ..pdf.vorlage import pdf_filename, render_vorlage, vorlage_context
from ..pdf.vorlage_bundle import bundle_filename
from ..services import meetings as meetings_svc
from ..services import stored_pdfs
from ..services import vorlagen as svc
from ..services.documents import agreement_documents_queryset
from ..services.transitions import VORLAGE
from .base import (
    Confirmation,
    Routes,
    ask_first,
    once,
    post_only,
    posted,
    posted_files,
    read_only,
    refused_now,
    render_conflict,
    run_action,
    run_service,
)

# The refusal page of the documents area, reused: a Vorlage's files leave the server the same way.
from .documents import send_file

urlpatterns = Routes()

logger = logging.getLogger(__name__)

PAGE_SIZE = 25
PAST_MEETINGS_PAGE_SIZE = 10


def public_page(route):
    """A page anonymous users may see for public papers, at `route`: whatever they may not read sends them to the
    login page (logged-in users get the 404)."""

    def register(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except Http404:
                if not request.user.is_authenticated:
                    return redirect_to_login(request.get_full_path())
                raise

        return urlpatterns.add(route, wrapper, public=True)

    return register


def _consultations_prefetch():
    return Prefetch("consultations",
                    queryset=m.Consultation.objects.select_related("committee", "meeting").order_by("order", "id"))


def _list_queryset(qs):
    return qs.select_related("department", "department__party", "author").prefetch_related(
        _consultations_prefetch()).order_by("-year", "department__number", "-running_number", "pk")


def _with_committee(qs, committee):
    return qs.filter(Exists(m.Consultation.objects.filter(paper=OuterRef("pk"), committee=committee)))


def _page(request, qs):
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


# --- Lists ----------------------------------------------------------------------------------------------------


@urlpatterns.route("vorlagen/")
def vorlage_list(request):
    if refused := read_only(request):
        return refused
    visible = vorlage_access.visible_vorlagen(request.user)
    committees = m.Committee.objects.filter(
        consultations__paper__in=visible.values("pk")).distinct().order_by("name")
    form = VorlageFilterForm(request.GET or None, committees=committees)
    qs = visible
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            qs = qs.filter(Q(name__icontains=data["q"]) | Q(reference__icontains=data["q"]))
        if data["year"]:
            qs = qs.filter(year=data["year"])
        if data["status"]:
            qs = qs.filter(status=data["status"])
        if data["committee"]:
            qs = _with_committee(qs, data["committee"])
    page, query = _page(request, _list_queryset(qs))
    return render(request, "vorlagen/list.html", {
        "form": form, "page": page, "query": query,
        "can_create": vorlage_access.can_create_vorlage(request.user),
    })


@public_page("vorlagen/oeffentlich/")
def vorlage_public_list(request):
    if refused := read_only(request):
        return refused
    public = m.Vorlage.objects.filter(vorlage_access.PUBLIC)
    committees = m.Committee.objects.filter(consultations__paper__in=public.values("pk")).distinct().order_by("name")
    form = PublicFilterForm(request.GET or None, committees=committees)
    qs = public
    if form.is_valid():
        if form.cleaned_data["year"]:
            qs = qs.filter(year=form.cleaned_data["year"])
        if form.cleaned_data["committee"]:
            qs = _with_committee(qs, form.cleaned_data["committee"])
    page, query = _page(request, _list_queryset(qs))
    return render(request, "vorlagen/public_list.html", {"form": form, "page": page, "query": query})


@urlpatterns.route("vorlagen/sitzungsunterlagen/")
def vorlage_meetings(request):
    """Meine Sitzungsunterlagen: the coming meetings of the user's committees with their released papers (the same
    meetings the start page counts: services.meetings)."""
    if refused := read_only(request):
        return refused
    committees = meetings_svc.committees(request.user)
    keys = list(meetings_svc.upcoming_keys(request.user, [c.pk for c in committees])) if committees else []
    (upcoming,) = meetings_svc.meetings(request.user, committees, keys)
    return render(request, "vorlagen/meetings.html", {"meetings": upcoming, "has_committees": bool(committees)})


@urlpatterns.route("vorlagen/sitzungsunterlagen/vergangene/")
def vorlage_past_meetings(request):
    """The past meetings of the user's committees, latest first, with their papers and results, page by page."""
    if refused := read_only(request):
        return refused
    committees = meetings_svc.committees(request.user)
    keys = meetings_svc.past_keys(request.user, [c.pk for c in committees]) if committees else []
    page = Paginator(keys, PAST_MEETINGS_PAGE_SIZE).get_page(request.GET.get("page"))
    (past,) = meetings_svc.meetings(request.user, committees, list(page.object_list))
    return render(request, "vorlagen/past_meetings.html", {"meetings": past, "page": page, "query": ""})


# --- Creating -------------------------------------------------------------------------------------------------


def _authors(departments):
    return m.Person.objects.filter(party_id__in=departments.values("party_id")).select_related("party").order_by(
        "family_name", "given_name")


def _writable_departments(request):
    departments = vorlage_access.writable_departments(request.user)
    if not departments.exists():
        raise PermissionDenied(_("Sie haben keine Bearbeitungsrechte für Vorlagen."))
    return departments


def _author_initial(request, departments):
    person = m.Person.objects.filter(user=request.user, party_id__in=departments.values("party_id")).first()
    return {"author": person.pk, "department": person.department_id} if person else {}


@urlpatterns.route("vorlagen/neu/")
def vorlage_create(request):
    departments = _writable_departments(request)
    form = submit_once(VorlageForm(posted(request), departments=departments, authors=_authors(departments),
                                   initial=_author_initial(request, departments)))
    if request.method == "POST" and form.is_valid():
        vorlage = once(request, form, lambda: run_service(
            request, form, lambda: svc.create_vorlage(user=request.user, data=form.cleaned_data),
            success_message=_("Die Vorlage wurde angelegt.")))
        if vorlage:
            return redirect("vorlage_detail", pk=vorlage.pk)
    return _form_page(request, form, _("Neue Vorlage"), reverse("vorlage_list"))


@urlpatterns.route("vorlagen/neu/aus-zielvereinbarung/")
def vorlage_create_from_agreement(request):
    departments = _writable_departments(request)
    agreements = access.visible_agreements(request.user).filter(
        agreement_parties__party_id__in=departments.values("party_id")).distinct().order_by("-year", "title")
    initial = _author_initial(request, departments)
    if request.GET.get("agreement", "").isdigit():
        initial["agreement"] = int(request.GET["agreement"])
    form = submit_once(VorlageFromAgreementForm(posted(request), agreements=agreements, departments=departments,
                                                authors=_authors(departments), initial=initial))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        vorlage = once(request, form, lambda: run_service(request, form, lambda: svc.create_vorlage_from_agreement(
            user=request.user, agreement=data["agreement"], department=data["department"], author=data["author"],
            date=data["date"]), success_message=_("Die Vorlage wurde aus der Zielvereinbarung vorbereitet.")))
        if vorlage:
            return redirect("vorlage_detail", pk=vorlage.pk)
    return _form_page(request, form, _("Vorlage zu einer Zielvereinbarung"), reverse("vorlage_list"),
                      intro=_("Betreff, Anlass, Sachverhaltsdarstellung, Fazit und Anlagen werden aus der "
                              "Zielvereinbarung vorbereitet und können danach bearbeitet werden."))


# --- Reading --------------------------------------------------------------------------------------------------


@public_page("vorlagen/<int:pk>/")
def vorlage_detail(request, pk):
    vorlage = vorlage_access.vorlage_for(request.user, pk)
    if refused := read_only(request):
        return refused
    # The paper's text as written (German), its labels and choices in the reader's language.
    context = vorlage_context(vorlage, language=None)
    paper = context["vorlage"]
    can_edit = vorlage_access.can_edit_vorlage(request.user, paper)
    actions = svc.available_actions(request.user, paper)
    context.update(
        rows=list(zip(context["consultations"], paper.consultations.all(), strict=True)),
        blocks=svc.vorlage_text_sections(paper),
        can_edit=can_edit,
        actions=actions,
        can_record_results="record_result" in actions,
        release_refusal=svc.release_refusal(request.user, paper) if can_edit and "release" not in actions else None,
        # The postponed consultations whose next one the user may add now (the rule of services.vorlagen).
        follow_ups={c.pk for c in svc.awaiting_follow_up(paper.consultations.all())} if "follow_up" in actions
        else set(),
        # Linked only for those who may open the agreement.
        agreement=access.visible_agreements(request.user).filter(pk=paper.agreement_id).first()
        if paper.agreement_id else None,
    )
    return render(request, "vorlagen/detail.html", context)


def _inline(request):
    return request.GET.get("inline") == "1"


@public_page("vorlagen/<int:pk>/pdf/")
def vorlage_pdf(request, pk):
    """Released: the stored PDF (never rendered again). Draft: rendered, through the input-hash cache."""
    vorlage = vorlage_access.vorlage_for(request.user, pk, queryset=m.Vorlage.objects.select_related("main_file"))
    if refused := read_only(request):
        return refused
    document = stored_pdfs.stored_pdf(vorlage)
    if document is not None:
        return send_file(request, lambda: files.serve_document(
            request, document, filename=pdf_filename(vorlage), inline=_inline(request)), document=document)
    return send_file(request, lambda: files.file_response(
        request, render_vorlage(vorlage).content, filename=pdf_filename(vorlage), inline=_inline(request)),
        back_url=_back(vorlage))


@public_page("vorlagen/<int:pk>/gesamtdokument/")
def vorlage_bundle(request, pk):
    vorlage = vorlage_access.vorlage_for(request.user, pk)
    if refused := read_only(request):
        return refused
    try:
        return send_file(request, lambda: files.file_response(
            request, stored_pdfs.vorlage_bundle_pdf(vorlage), filename=bundle_filename(vorlage),
            inline=_inline(request)), back_url=_back(vorlage))
    except BundleError as error:
        return render(request, "vorlagen/bundle_error.html", {"vorlage": vorlage, "message": str(error)},
                      status=422)


@public_page("vorlagen/<int:pk>/anlagen/<int:anlage_pk>/datei/")
def vorlage_anlage_download(request, pk, anlage_pk):
    anlage = vorlage_access.anlage_for(request.user, pk, anlage_pk)
    if refused := read_only(request):
        return refused
    if anlage.document is None:
        raise Http404(_("Diese Anlage hat keine Datei."))
    return send_file(request, lambda: files.serve_document(request, anlage.document, inline=_inline(request)),
                     document=anlage.document)


# --- Writing --------------------------------------------------------------------------------------------------


def _form_page(request, form, title, back_url, vorlage=None, intro=""):
    return render(request, "vorlagen/form.html", {
        "form": form, "title": title, "back_url": back_url, "vorlage": vorlage, "intro": intro,
    })


def _back(vorlage):
    return reverse("vorlage_detail", args=[vorlage.pk])


def _not_editable(request, vorlage):
    """None for a draft the user may change; a released one sends them back to its page."""
    if vorlage_access.can_edit_vorlage(request.user, vorlage):
        return None
    messages.error(request, _("Die Vorlage ist „%(status)s“ und kann nicht mehr bearbeitet werden.")
                   % {"status": vorlage.get_status_display()})
    return redirect("vorlage_detail", pk=vorlage.pk)


def _editable(request, pk):
    """The draft for a content change: 404 outsiders, 403 readers, (vorlage, refusal) otherwise."""
    vorlage = vorlage_access.vorlage_for(request.user, pk, write=True)
    return vorlage, _not_editable(request, vorlage)


def _saved_page(request, form, save, success, *, vorlage, title, conflict_url, intro=""):
    """A form of the Vorlage: saved through the service call `save` (once, for a create form), then back to the
    Vorlage; the conflict page (back to `conflict_url`) when somebody saved in between; otherwise the form."""
    if request.method == "POST" and form.is_valid():
        try:
            if once(request, form, lambda: run_service(request, form, save, success_message=success)):
                return redirect("vorlage_detail", pk=vorlage.pk)
        except ConflictError as conflict:
            return render_conflict(request, form, conflict, conflict_url)
    return _form_page(request, form, title, _back(vorlage), vorlage, intro=intro)


def _header_initial(vorlage):
    initial = {name: getattr(vorlage, name) for name in svc.HEADER_FIELDS}
    initial["author"] = vorlage.author_id
    initial["lock_version"] = vorlage.lock_version
    return initial


@urlpatterns.route("vorlagen/<int:pk>/bearbeiten/")
def vorlage_edit(request, pk):
    vorlage, refused = _editable(request, pk)
    if refused:
        return refused
    authors = _authors(m.Department.objects.filter(pk=vorlage.department_id))
    form = VorlageForm(posted(request), authors=authors, initial=_header_initial(vorlage))
    return _saved_page(request, form, lambda: svc.update_vorlage(
        user=request.user, vorlage=vorlage, data=form.cleaned_data,
        lock_version=form.cleaned_data["lock_version"] or 0), _("Die Vorlage wurde gespeichert."),
        vorlage=vorlage, title=_("Vorlage bearbeiten"), conflict_url=reverse("vorlage_edit", args=[pk]),
        intro=_("Fachbereich: %(department)s") % {"department": vorlage.department})


# Sections ----------------------------------------------------------------------------------------------------


@urlpatterns.route("vorlagen/<int:pk>/abschnitte/neu/", name="vorlage_section_add")
def section_add(request, pk):
    vorlage, refused = _editable(request, pk)
    if refused:
        return refused
    form = submit_once(SectionForm(posted(request)))
    if request.method == "POST" and form.is_valid():
        if once(request, form, lambda: run_service(
                request, form, lambda: svc.save_section(user=request.user, vorlage=vorlage, data=form.cleaned_data),
                success_message=_("Der Abschnitt wurde angelegt."))):
            return redirect("vorlage_detail", pk=pk)
    return _form_page(request, form, _("Abschnitt der Sachverhaltsdarstellung hinzufügen"), _back(vorlage), vorlage)


@urlpatterns.route("vorlagen/<int:pk>/abschnitte/<int:section_pk>/", name="vorlage_section_edit")
def section_edit(request, pk, section_pk):
    section = vorlage_access.section_for(request.user, pk, section_pk)
    vorlage = section.vorlage
    if refused := _not_editable(request, vorlage):
        return refused
    form = SectionForm(posted(request), initial={
        "heading": section.heading, "text": section.text, "lock_version": section.lock_version})
    return _saved_page(request, form, lambda: svc.save_section(
        user=request.user, vorlage=vorlage, data=form.cleaned_data, section=section,
        lock_version=form.cleaned_data["lock_version"]), _("Der Abschnitt wurde gespeichert."),
        vorlage=vorlage, title=_("Abschnitt bearbeiten"),
        conflict_url=reverse("vorlage_section_edit", args=[pk, section_pk]))


def _post_action(getter, service, success):
    def view(request, pk, item_pk, **kwargs):
        item = getter(request.user, pk, item_pk)
        if refused := post_only(request):
            return refused
        run_action(request, lambda: service(request.user, item, **kwargs), success_message=success)
        return redirect("vorlage_detail", pk=pk)

    return view


section_delete = _post_action(vorlage_access.section_for,
                              lambda user, item: svc.delete_section(user=user, section=item),
                              gettext_lazy("Der Abschnitt wurde gelöscht."))
urlpatterns.add("vorlagen/<int:pk>/abschnitte/<int:item_pk>/loeschen/", section_delete, name="vorlage_section_delete")
section_move = _post_action(vorlage_access.section_for,
                            lambda user, item, direction: svc.move_section(user=user, section=item,
                                                                           direction=direction), None)
urlpatterns.add(r"^vorlagen/(?P<pk>[0-9]+)/abschnitte/(?P<item_pk>[0-9]+)/(?P<direction>up|down)/$",
                section_move, name="vorlage_section_move")


# Beratungsfolge ----------------------------------------------------------------------------------------------


def _consultation_page(request, vorlage, consultation=None):
    initial = {}
    if consultation is not None:
        initial = {name: getattr(consultation, name) for name in ("meeting_date", "role", "authoritative")}
        initial.update(committee=consultation.committee_id, meeting=consultation.meeting_id,
                       lock_version=consultation.lock_version)
    form = ConsultationForm(posted(request), party=vorlage.department.party_id, initial=initial)
    if consultation is None:
        form = submit_once(form)
    return _saved_page(request, form, lambda: svc.save_consultation(
        user=request.user, vorlage=vorlage, data=form.cleaned_data, consultation=consultation,
        lock_version=form.cleaned_data["lock_version"]), _("Die Beratungsfolge wurde gespeichert."),
        vorlage=vorlage,
        title=_("Beratung bearbeiten") if consultation else _("Gremium in die Beratungsfolge aufnehmen"),
        conflict_url=(reverse("vorlage_consultation_edit", args=[vorlage.pk, consultation.pk]) if consultation
                      else _back(vorlage)))


@urlpatterns.route("vorlagen/<int:pk>/beratungsfolge/neu/", name="vorlage_consultation_add")
def consultation_add(request, pk):
    vorlage, refused = _editable(request, pk)
    return refused or _consultation_page(request, vorlage)


@urlpatterns.route("vorlagen/<int:pk>/beratungsfolge/<int:consultation_pk>/", name="vorlage_consultation_edit")
def consultation_edit(request, pk, consultation_pk):
    consultation = vorlage_access.consultation_for(request.user, pk, consultation_pk)
    return _not_editable(request, consultation.paper) or _consultation_page(request, consultation.paper, consultation)


consultation_delete = _post_action(vorlage_access.consultation_for,
                                   lambda user, item: svc.delete_consultation(user=user, consultation=item),
                                   gettext_lazy("Die Beratung wurde aus der Beratungsfolge entfernt."))
urlpatterns.add("vorlagen/<int:pk>/beratungsfolge/<int:item_pk>/loeschen/",
                consultation_delete, name="vorlage_consultation_delete")
consultation_move = _post_action(vorlage_access.consultation_for,
                                 lambda user, item, direction: svc.move_consultation(
                                     user=user, consultation=item, direction=direction), None)
urlpatterns.add(r"^vorlagen/(?P<pk>[0-9]+)/beratungsfolge/(?P<item_pk>[0-9]+)/(?P<direction>up|down)/$",
                consultation_move, name="vorlage_consultation_move")


@urlpatterns.route("vorlagen/<int:pk>/beratungsfolge/<int:consultation_pk>/ergebnis/",
                   name="vorlage_consultation_result")
def consultation_result(request, pk, consultation_pk):
    consultation = vorlage_access.consultation_for(request.user, pk, consultation_pk)
    vorlage = consultation.paper
    if refused := refused_now(request, VORLAGE, vorlage, "record_result", _back(vorlage)):
        return refused
    form = ResultForm(posted(request), initial={"result": consultation.result or None})
    if request.method == "POST" and form.is_valid():
        if run_service(request, form, lambda: svc.record_result(
                user=request.user, consultation=consultation, result=form.cleaned_data["result"]),
                success_message=_("Das Ergebnis wurde erfasst.")):
            return redirect("vorlage_detail", pk=pk)
    return _form_page(request, form, _("Ergebnis der Beratung: %(committee)s") % {"committee": consultation.committee},
                      _back(vorlage), vorlage)


@urlpatterns.route("vorlagen/<int:pk>/beratungsfolge/<int:consultation_pk>/erneute-beratung/",
                   name="vorlage_consultation_follow_up")
def consultation_follow_up(request, pk, consultation_pk):
    """The next consultation of a postponed one, in a later meeting of the same committee: the one entry a released
    Beratungsfolge takes (services.vorlagen.add_follow_up)."""
    consultation = vorlage_access.consultation_for(request.user, pk, consultation_pk)
    vorlage = consultation.paper
    if refused := refused_now(request, VORLAGE, vorlage, "follow_up", _back(vorlage)):
        return refused
    if consultation.pk not in {c.pk for c in svc.awaiting_follow_up(vorlage.consultations.all())}:
        messages.error(request, svc.not_awaiting_follow_up())
        return redirect("vorlage_detail", pk=pk)
    form = submit_once(FollowUpForm(posted(request), committee=consultation.committee))
    return _saved_page(request, form, lambda: svc.add_follow_up(
        user=request.user, consultation=consultation, data=form.cleaned_data),
        _("Die erneute Beratung wurde in die Beratungsfolge aufgenommen."), vorlage=vorlage,
        title=_("Erneute Beratung nach Vertagung: %(consultation)s") % {"consultation": consultation.meeting_label},
        conflict_url=_back(vorlage),
        intro=_("Das Gremium hat die Beratung vertagt und berät die Vorlage in einer späteren Sitzung erneut, als "
                "„%(role)s“. Die vertagte Beratung behält ihr Ergebnis.") % {"role": consultation.get_role_display()})


# Anlagen -----------------------------------------------------------------------------------------------------


@urlpatterns.route("vorlagen/<int:pk>/anlagen/neu/", name="vorlage_anlage_add")
def anlage_add(request, pk):
    vorlage, refused = _editable(request, pk)
    if refused:
        return refused
    documents = None
    if vorlage.agreement_id:
        documents = agreement_documents_queryset(vorlage.agreement).order_by("title", "pk")
    form = submit_once(AnlageForm(posted(request), posted_files(request), documents=documents))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if once(request, form, lambda: run_service(request, form, lambda: svc.add_anlage(
                user=request.user, vorlage=vorlage, title=data["title"], document=data.get("document"),
                uploaded_file=data.get("file")), success_message=_("Die Anlage wurde hinzugefügt."),
                file_field="file")):
            return redirect("vorlage_detail", pk=pk)
    return _form_page(request, form, _("Anlage hinzufügen"), _back(vorlage), vorlage)


@urlpatterns.route("vorlagen/<int:pk>/anlagen/<int:anlage_pk>/", name="vorlage_anlage_edit")
def anlage_edit(request, pk, anlage_pk):
    anlage = vorlage_access.anlage_for(request.user, pk, anlage_pk, write=True)
    vorlage = anlage.vorlage
    if refused := _not_editable(request, vorlage):
        return refused
    form = AnlageTitleForm(posted(request), initial={"title": anlage.title,
                                                          "lock_version": anlage.lock_version})
    return _saved_page(request, form, lambda: svc.update_anlage(
        user=request.user, anlage=anlage, title=form.cleaned_data["title"],
        lock_version=form.cleaned_data["lock_version"]), _("Die Anlage wurde gespeichert."),
        vorlage=vorlage, title=_("Anlage umbenennen"),
        conflict_url=reverse("vorlage_anlage_edit", args=[pk, anlage_pk]))


def _anlage_for_write(user, pk, anlage_pk):
    return vorlage_access.anlage_for(user, pk, anlage_pk, write=True)


anlage_delete = _post_action(_anlage_for_write, lambda user, item: svc.delete_anlage(user=user, anlage=item),
                             gettext_lazy("Die Anlage wurde aus der Liste entfernt."))
urlpatterns.add("vorlagen/<int:pk>/anlagen/<int:item_pk>/loeschen/", anlage_delete, name="vorlage_anlage_delete")
anlage_move = _post_action(_anlage_for_write,
                           lambda user, item, direction: svc.move_anlage(user=user, anlage=item,
                                                                         direction=direction), None)
urlpatterns.add(r"^vorlagen/(?P<pk>[0-9]+)/anlagen/(?P<item_pk>[0-9]+)/(?P<direction>up|down)/$",
                anlage_move, name="vorlage_anlage_move")


# Lifecycle ---------------------------------------------------------------------------------------------------


def _lifecycle_action(service, success, *, action=None, confirmation=None, check=None):
    """A POST-only step of the VORLAGE lifecycle. With `confirmation(vorlage)` (a Confirmation) the step asks first:
    once `action` is open for the user (otherwise the refusal the service would give), and what the content must
    satisfy holds (`check(vorlage)`: the service's reason, or None), the confirmation page."""

    def view(request, pk):
        vorlage = vorlage_access.vorlage_for(request.user, pk, write=True)
        if refused := post_only(request):
            return refused
        if confirmation is not None:
            if refused := refused_now(request, VORLAGE, vorlage, action, _back(vorlage)):
                return refused
            if check is not None and (problem := check(vorlage)):
                messages.error(request, problem)
                return redirect("vorlage_detail", pk=pk)
            if asked := ask_first(request, lambda: confirmation(vorlage)):
                return asked
        run_action(request, lambda: service(user=request.user, vorlage=vorlage), success_message=success)
        return redirect("vorlage_detail", pk=pk)

    return view


def _release_confirmation(vorlage):
    committees = ", ".join(str(c.committee) for c in vorlage.consultations.select_related("committee").order_by(
        "order", "id"))
    readers = (_("Sie ist öffentlich: Danach kann sie jeder ohne Anmeldung lesen.") if vorlage.public else
               _("Sie ist nichtöffentlich: Danach lesen sie auch die Mitglieder der Gremien in der Beratungsfolge."))
    consequences = [
        _("Die Vorlage %(reference)s wird freigegeben: Ihr Inhalt wird festgeschrieben, das PDF einmalig erzeugt und "
          "mit seiner Prüfsumme (SHA-256) gespeichert.") % {"reference": vorlage.reference},
        _("Danach kann die Vorlage nicht mehr bearbeitet werden; erfasst werden dann die Ergebnisse der "
          "Beratungsfolge."),
        readers,
    ]
    if committees:
        consequences.append(_("Beratungsfolge: %(committees)s") % {"committees": committees})
    return Confirmation(
        title=_("Vorlage %(reference)s freigeben?") % {"reference": vorlage.reference},
        consequences=tuple(consequences), submit=_("Vorlage freigeben"), back_url=_back(vorlage),
        subject=vorlage.name,
    )


vorlage_release = _lifecycle_action(
    svc.release, gettext_lazy("Die Vorlage ist freigegeben; das PDF wurde gespeichert."), action="release",
    confirmation=_release_confirmation, check=svc.release_problem)
urlpatterns.add("vorlagen/<int:pk>/freigeben/", vorlage_release, name="vorlage_release")
vorlage_start = _lifecycle_action(svc.start_consultation, gettext_lazy("Die Vorlage ist in Beratung."))
urlpatterns.add("vorlagen/<int:pk>/beratung-beginnen/", vorlage_start, name="vorlage_start")
def _results(vorlage):
    return svc.ordered_consultations(vorlage)


def _complete_confirmation(vorlage):
    consequences = [
        _("Die Vorlage %(reference)s wird als erledigt abgeschlossen: Ihre Beratung in den Gremien ist damit "
          "beendet.") % {"reference": vorlage.reference},
        _("Erfasst sind diese Ergebnisse der Beratungsfolge:"),
        *(_("%(consultation)s: %(result)s") % {"consultation": c.meeting_label, "result": c.get_result_display()}
          for c in _results(vorlage)),
        _("Danach werden keine Ergebnisse mehr erfasst oder geändert, und die Vorlage kann nicht mehr zurückgezogen "
          "werden."),
    ]
    return Confirmation(
        title=_("Vorlage %(reference)s als erledigt abschließen?") % {"reference": vorlage.reference},
        consequences=tuple(consequences), submit=_("Als erledigt abschließen"), back_url=_back(vorlage),
        subject=vorlage.name,
    )


vorlage_complete = _lifecycle_action(
    svc.complete, gettext_lazy("Die Vorlage ist erledigt."), action="complete", confirmation=_complete_confirmation,
    check=lambda vorlage: svc.completion_problem(_results(vorlage)))
urlpatterns.add("vorlagen/<int:pk>/erledigt/", vorlage_complete, name="vorlage_complete")


@urlpatterns.route("vorlagen/<int:pk>/zurueckziehen/")
def vorlage_withdraw(request, pk):
    vorlage = vorlage_access.vorlage_for(request.user, pk, write=True)
    form = ReasonForm(posted(request), submit=_("Vorlage zurückziehen"))
    if request.method == "POST" and form.is_valid():
        if run_service(request, form, lambda: svc.withdraw(
                user=request.user, vorlage=vorlage, reason=form.cleaned_data["reason"]),
                success_message=_("Die Vorlage wurde zurückgezogen.")):
            return redirect("vorlage_detail", pk=pk)
    return _form_page(request, form, _("Vorlage zurückziehen"), _back(vorlage), vorlage,
                      intro=_("Die Begründung wird im Verfahren der Zielvereinbarung und bei den "
                              "Tagesordnungspunkten vermerkt.") if vorlage.agreement_id else
                      _("Die Begründung wird in der Änderungshistorie der Vorlage und bei den Tagesordnungspunkten "
                        "vermerkt."))
