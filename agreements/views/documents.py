"""Letters register, documents list, uploads, and the download of a stored document.

Every file leaves the server through agreements/infra/files.py; send_file is the web's answer when it refuses.
"""

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.infra import files
from agreements.infra.uploads import DOCX, ODT, PDF
from agreements.policy import access

from .. import models as m
from ..forms.base import submit_once
from ..forms.documents import LetterFilterForm, LetterForm, UploadForm
from ..services import documents as svc
from .base import Routes, agreement_tab, form_page, once, posted, posted_files, read_only, run_service

urlpatterns = Routes()

PAGE_SIZE = 50
TYPE_LABELS = {PDF: "PDF", DOCX: "DOCX", ODT: "ODT"}


# Letters ------------------------------------------------------------------------------------------------------


@urlpatterns.route("vereinbarungen/<int:pk>/schreiben/")
@agreement_tab(
    "agreement_letters", "agreements/letters.html",
    columns=(gettext_lazy("Datum"), gettext_lazy("Richtung"), gettext_lazy("Absender"), gettext_lazy("Empfänger"),
             gettext_lazy("Betreff"), gettext_lazy("Aktenzeichen"), gettext_lazy("Datei"),
             gettext_lazy("beantwortete Vorschläge")),
    add=("letter_add", gettext_lazy("Schreiben erfassen"), "can_edit"), row_actions="can_edit",
)
def agreement_letters(request, agreement, context):
    filter_form = LetterFilterForm(request.GET or None)
    letters = agreement.letters.select_related("sender", "recipient", "sender_person", "document").prefetch_related(
        Prefetch("answered_proposals", queryset=m.Proposal.objects.select_related("party").order_by("created", "id"))
    )
    if filter_form.is_valid() and filter_form.cleaned_data["richtung"]:
        letters = letters.filter(direction=filter_form.cleaned_data["richtung"])
    page = Paginator(letters.order_by("date", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {"page": page, "entries": page, "filter_form": filter_form, "query": query.urlencode()}


def _letter_form_page(request, form, agreement, title):
    return form_page(request, form, agreement, title, reverse("agreement_letters", args=[agreement.pk]))


@urlpatterns.route("vereinbarungen/<int:pk>/schreiben/neu/")
def letter_add(request, pk):
    agreement = access.agreement_for(request.user, pk, write=True)
    form = submit_once(LetterForm(posted(request), posted_files(request), agreement=agreement, user=request.user))
    if request.method == "POST" and form.is_valid():
        letter = once(request, form, lambda: run_service(request, form, lambda: svc.register_letter(
            user=request.user, agreement=agreement, data=form.cleaned_data,
            uploaded_file=form.cleaned_data.get("file"),
        ), success_message=_("Das Schreiben wurde erfasst."), file_field="file"))
        if letter:
            return redirect("agreement_letters", pk=pk)
    return _letter_form_page(request, form, agreement, _("Schreiben erfassen"))


@urlpatterns.route("vereinbarungen/<int:pk>/schreiben/<int:letter_pk>/")
def letter_edit(request, pk, letter_pk):
    letter = access.letter_for(request.user, letter_pk, write=True, agreement_pk=pk)
    initial = {field: getattr(letter, field) for field in ("date", "direction", "subject", "reference", "summary")}
    initial.update(sender=letter.sender_id, recipient=letter.recipient_id, sender_person=letter.sender_person_id)
    form = LetterForm(posted(request), posted_files(request), initial=initial, agreement=letter.agreement,
                      letter=letter)
    if request.method == "POST" and form.is_valid():
        done = run_service(request, form, lambda: svc.update_letter(
            user=request.user, letter=letter, data=form.cleaned_data, uploaded_file=form.cleaned_data.get("file"),
        ), success_message=_("Das Schreiben wurde gespeichert."), file_field="file")
        if done:
            return redirect("agreement_letters", pk=pk)
    return _letter_form_page(request, form, letter.agreement, _("Schreiben bearbeiten"))


# Documents ----------------------------------------------------------------------------------------------------


@urlpatterns.route("vereinbarungen/<int:pk>/dokumente/")
@agreement_tab(
    "agreement_documents", "agreements/documents.html",
    columns=(gettext_lazy("Titel"), gettext_lazy("Art"), gettext_lazy("gehört zu"), gettext_lazy("Größe"),
             gettext_lazy("Dateityp"), gettext_lazy("SHA-256"), gettext_lazy("hochgeladen"), gettext_lazy("Datei")),
    add=("document_upload", gettext_lazy("Dokument hochladen"), "can_edit"),
)
def agreement_documents(request, agreement, context):
    documents = svc.agreement_documents_queryset(agreement).select_related("uploaded_by").prefetch_related(
        Prefetch("letters", queryset=m.Letter.objects.filter(agreement=agreement), to_attr="agreement_letters"),
        Prefetch("statements", queryset=m.Statement.objects.filter(agreement=agreement),
                 to_attr="agreement_statements"),
    ).order_by("-created", "-id")
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    for document in page:
        document.type_label = TYPE_LABELS.get(document.content_type, document.content_type)
        document.is_pdf = document.content_type == PDF
    return {"page": page, "entries": page, "query": ""}


@urlpatterns.route("vereinbarungen/<int:pk>/dokumente/neu/")
def document_upload(request, pk):
    agreement = access.agreement_for(request.user, pk, write=True)
    form = submit_once(UploadForm(posted(request), posted_files(request)))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        document = once(request, form, lambda: run_service(request, form, lambda: svc.store_upload(
            user=request.user, agreement=agreement, uploaded_file=data["file"], title=data["title"],
            kind=data["kind"],
        ), success_message=_("Das Dokument wurde gespeichert."), file_field="file"))
        if document:
            return redirect("agreement_documents", pk=pk)
    return form_page(request, form, agreement, _("Dokument hochladen"), reverse("agreement_documents", args=[pk]))


# Download -----------------------------------------------------------------------------------------------------


def send_file(request, serve, *, document=None, back_url=None):
    """serve() → the file's response (agreements/infra/files.py); a file that is missing, changed since its
    checksum was recorded, or of a type never served is refused with a page that says so (409)."""
    try:
        return serve()
    except files.FileRefused as refused:
        return render(request, "agreements/_document_error.html",
                      {"document": document, "message": refused.message, "back_url": back_url}, status=409)


# Outside the agreement prefix: a document can belong to several agreements (through letters, statements).
@urlpatterns.route("dokumente/<int:doc_pk>/herunterladen/")
def document_download(request, doc_pk):
    document = access.document_for(request.user, doc_pk)
    if refused := read_only(request):
        return refused
    return send_file(request, lambda: files.serve_document(
        request, document, inline=request.GET.get("inline") == "1"), document=document)
