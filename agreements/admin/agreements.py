"""Agreements with their parts, sent versions, signatures, documents, the negotiation and the reviews."""

import json

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from agreements.infra.uploads import UploadRejected, inspect_upload
from agreements.models import (
    Acceptance,
    Agreement,
    AgreementParty,
    AgreementSection,
    AgreementVersion,
    Assessment,
    CopiedPassage,
    Document,
    Goal,
    Letter,
    ProcedureStep,
    Proposal,
    Review,
    Signature,
    Statement,
    SupportOffer,
)
from agreements.services.documents import clean_filename, frozen_document_reason

from .base import BaseAdmin, HistoryAdmin, ReadOnlyAdmin, ReadOnlyMixin, StackedInline, TabularInline
from .locks import (
    FrozenTextChildForm,
    LockedRecordAdminMixin,
    SignedAgreementChildAdmin,
    SignedAgreementInline,
    frozen_text_reason,
    sent_version_reason,
    signed_agreement_reason,
)

# --- Documents -------------------------------------------------------------------------------------------

class DocumentAdminForm(forms.ModelForm):
    """The app's own upload check (agreements.infra.uploads): the admin refuses exactly what the app refuses.

    No Meta: ModelAdmin builds it from the fieldsets.
    """

    upload_info = None

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload and "file" in self.changed_data:
            try:
                self.upload_info = inspect_upload(upload)
            except UploadRejected as exc:
                raise ValidationError(exc.message, code="upload_rejected") from exc
        return upload


@admin.register(Document)
class DocumentAdmin(LockedRecordAdminMixin, BaseAdmin):
    # A signed agreement's or a released Vorlage's PDF (and the like) is read-only here as everywhere: its
    # agreement, for one, decides who may read it.
    lock_check = staticmethod(frozen_document_reason)
    form = DocumentAdminForm
    list_display = ["title", "kind", "agreement", "original_filename", "size_display", "content_type",
                    "is_pdfa", "created", "uploaded_by"]
    list_filter = ["kind", "is_pdfa", "content_type"]
    search_fields = ["title", "original_filename", "sha256", "agreement__title"]
    list_select_related = ["agreement", "uploaded_by"]
    autocomplete_fields = ["agreement", "uploaded_by"]
    date_hierarchy = "created"
    # is_pdfa is what the content says (inspect_upload), not a claim anybody can tick.
    readonly_fields = ["download_link", "original_filename", "size", "content_type", "sha256", "is_pdfa",
                       "created", "modified"]
    # A plain file input: the default widget would link to MEDIA_URL, which is deliberately not served.
    formfield_overrides = {models.FileField: {"widget": forms.FileInput}}

    def get_fieldsets(self, request, obj=None):
        # The stored file is what its SHA-256 certifies, so it is chosen once and never replaced.
        file_field = "file" if obj is None else "download_link"
        return [
            (None, {"fields": ["title", "kind", file_field, "is_pdfa", "agreement"]}),
            (_("Dateiangaben"), {"fields": ["original_filename", "size", "content_type", "sha256",
                                            "uploaded_by", "created", "modified"]}),
        ]

    @admin.display(description=_("Größe"), ordering="size")
    def size_display(self, obj):
        return filesizeformat(obj.size)

    @admin.display(description=_("Datei"))
    def download_link(self, obj):
        if obj is None or obj.pk is None:
            return "–"
        label = obj.original_filename or obj.title
        try:
            url = reverse("document_download", args=[obj.pk])
        except NoReverseMatch:
            return label
        return format_html('<a href="{}">{}</a>', url, label)

    def save_model(self, request, obj, form, change):
        info = getattr(form, "upload_info", None)
        if info is not None:
            upload = form.cleaned_data["file"]
            obj.sha256, obj.size, obj.content_type = info.sha256, info.size, info.content_type
            obj.is_pdfa = info.is_pdfa
            obj.original_filename = clean_filename(upload.name)
            upload.seek(0)
            if obj.uploaded_by_id is None:
                obj.uploaded_by = request.user
        super().save_model(request, obj, form, change)


# --- Agreements ------------------------------------------------------------------------------------------


class AgreementPartyInline(SignedAgreementInline, TabularInline):
    model = AgreementParty
    fields = ["order", "party", "role"]
    autocomplete_fields = ["party"]
    extra = 0


class AgreementSectionInline(SignedAgreementInline, StackedInline):
    model = AgreementSection
    fields = ["order", "heading", "text"]
    extra = 0
    show_change_link = True


class GoalInline(SignedAgreementInline, StackedInline):
    model = Goal
    fields = [
        ("order", "kind", "level", "area"),
        "title",
        "text",
        ("direction", "indicator", "unit"),
        ("reference_value", "corridor_low", "corridor_high", "target_value"),
        "corridor_exception_reason",
    ]
    autocomplete_fields = ["indicator"]
    extra = 0
    show_change_link = True


class SupportOfferInline(SignedAgreementInline, StackedInline):
    model = SupportOffer
    fields = [("order", "topic", "status"), "title", "text", ("provider", "coordinated_with")]
    autocomplete_fields = ["provider", "coordinated_with"]
    extra = 0
    show_change_link = True


class SignatureInline(SignedAgreementInline, TabularInline):
    model = Signature
    fields = ["party", "person", "signatory_name", "signatory_function", "date", "place"]
    autocomplete_fields = ["party", "person"]
    extra = 0


@admin.register(Agreement)
class AgreementAdmin(LockedRecordAdminMixin, HistoryAdmin):
    list_display = ["title", "year", "status", "parties_display", "period_start", "period_end", "modified"]
    list_filter = ["status", "year"]
    search_fields = ["title", "preamble", "parties__name", "parties__short_name"]
    date_hierarchy = "period_start"
    autocomplete_fields = ["predecessor", "amends", "related", "legal_bases", "created_by"]
    # The lifecycle (abstimmen, unterzeichnen, …) moves status and signed file, with its checks and timeline
    # steps; an admin who edits them directly would skip all of that.
    # The pen passes only by sending a Fassung (services.versions.send_draft).
    readonly_fields = ["status", "pen_party", "signed_file", "lock_version", "created", "modified"]
    lock_check = staticmethod(signed_agreement_reason)
    fieldsets = [
        (None, {"fields": ["title", "year", ("period_start", "period_end"), "status", "status_reason",
                           "pen_party"]}),
        (_("Rechtsgrundlagen"), {"fields": ["legal_bases", "legal_basis_note"]}),
        (_("Text"), {"fields": ["preamble"]}),
        (_("Bezüge"), {"fields": ["predecessor", "amends", "related", "signed_file"]}),
        (_("Verwaltung"), {"fields": ["created_by", "lock_version", "created", "modified"],
                           "classes": ["collapse"]}),
    ]
    inlines = [AgreementPartyInline, AgreementSectionInline, GoalInline, SupportOfferInline, SignatureInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("agreement_parties__party")

    @admin.display(description=_("Vereinbarungspartner"))
    def parties_display(self, obj):
        return ", ".join(str(ap.party) for ap in obj.agreement_parties.all())


@admin.register(AgreementParty)
class AgreementPartyAdmin(SignedAgreementChildAdmin, BaseAdmin):
    list_display = ["agreement", "party", "role", "order"]
    list_filter = ["role"]
    search_fields = ["agreement__title", "party__name"]
    list_select_related = ["agreement", "party"]
    autocomplete_fields = ["agreement", "party"]


@admin.register(AgreementSection)
class AgreementSectionAdmin(SignedAgreementChildAdmin, HistoryAdmin):
    list_display = ["heading", "agreement", "order"]
    search_fields = ["heading", "text", "agreement__title"]
    list_filter = ["agreement__year"]
    list_select_related = ["agreement"]
    autocomplete_fields = ["agreement"]
    readonly_fields = ["lock_version", "created", "modified"]


@admin.register(Goal)
class GoalAdmin(SignedAgreementChildAdmin, HistoryAdmin):
    list_display = ["title", "agreement", "kind", "level", "area", "direction", "indicator", "target_value",
                    "unit", "order"]
    list_filter = ["kind", "level", "area", "direction", "agreement__year"]
    search_fields = ["title", "text", "agreement__title", "indicator__code"]
    list_select_related = ["agreement", "indicator"]
    autocomplete_fields = ["agreement", "indicator"]
    readonly_fields = ["lock_version", "created", "modified"]


@admin.register(SupportOffer)
class SupportOfferAdmin(SignedAgreementChildAdmin, HistoryAdmin):
    list_display = ["title", "agreement", "topic", "provider", "coordinated_with", "status", "order"]
    list_filter = ["status", "topic"]
    search_fields = ["title", "text", "agreement__title"]
    list_select_related = ["agreement", "topic", "provider", "coordinated_with"]
    autocomplete_fields = ["agreement", "provider", "coordinated_with"]
    readonly_fields = ["lock_version", "created", "modified"]


@admin.register(AgreementVersion)
class AgreementVersionAdmin(ReadOnlyMixin, LockedRecordAdminMixin, admin.ModelAdmin):
    """Submitted versions are evidence of what was sent: readable, never changed or deleted.

    They are made by sending a draft (services), which also records the procedure step: never added here.
    A POST to change or delete one is answered with the reason (LockedRecordAdminMixin).
    """

    lock_check = staticmethod(sent_version_reason)

    list_display = ["agreement", "number", "kind", "author_party", "sent_at", "sent_by"]
    list_filter = ["kind", "author_party__kind"]
    search_fields = ["agreement__title", "note", "author_party__name"]
    list_select_related = ["agreement", "author_party", "sent_by"]
    date_hierarchy = "sent_at"
    fields = ["agreement", "number", "kind", "author_party", "sent_at", "sent_by", "note", "snapshot_display",
              "created"]
    readonly_fields = fields

    @admin.display(description=_("Inhalt"))
    def snapshot_display(self, obj):
        text = json.dumps(obj.snapshot, indent=2, ensure_ascii=False, cls=DjangoJSONEncoder)
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', text)


@admin.register(Acceptance)
class AcceptanceAdmin(ReadOnlyAdmin):
    """A party's consent to a Fassung is evidence like the Fassung itself: made by "annehmen", never changed."""

    list_display = ["agreement", "version", "party", "accepted_by", "accepted_at"]
    search_fields = ["agreement__title", "party__name"]
    list_select_related = ["agreement", "version", "party", "accepted_by"]
    date_hierarchy = "accepted_at"
    fields = list_display
    readonly_fields = fields


@admin.register(CopiedPassage)
class CopiedPassageAdmin(ReadOnlyAdmin):
    """The checklist of a derived agreement: made by deriving it, ticked off on its checklist page by the party
    am Zug (services.follow_on); a record of what the copy did, never edited here."""

    list_display = ["agreement", "kind", "label", "order", "reviewed_by", "reviewed_at"]
    list_filter = ["kind"]
    search_fields = ["agreement__title", "label"]
    list_select_related = ["agreement", "reviewed_by"]
    fields = ["agreement", "kind", "label", "section", "goal", "offer", "order", "content", "year_references",
              "reviewed_by", "reviewed_at", "created", "modified"]
    readonly_fields = fields


@admin.register(Signature)
class SignatureAdmin(SignedAgreementChildAdmin, HistoryAdmin):
    list_display = ["signatory_name", "signatory_function", "party", "agreement", "date", "place"]
    list_filter = ["party__kind"]
    search_fields = ["signatory_name", "signatory_function", "party__name", "agreement__title"]
    list_select_related = ["party", "agreement"]
    autocomplete_fields = ["agreement", "party", "person", "recorded_by"]
    date_hierarchy = "date"


# --- Negotiation -----------------------------------------------------------------------------------------


@admin.register(Letter)
class LetterAdmin(HistoryAdmin):
    list_display = ["date", "subject", "direction", "sender", "recipient", "agreement", "reference"]
    list_display_links = ["date", "subject"]
    list_filter = ["direction", "sender__kind", "recipient__kind"]
    search_fields = ["subject", "reference", "summary", "sender__name", "recipient__name", "agreement__title"]
    list_select_related = ["sender", "recipient", "agreement"]
    autocomplete_fields = ["agreement", "sender", "sender_person", "recipient", "document", "registered_by"]
    date_hierarchy = "date"


@admin.register(Proposal)
class ProposalAdmin(LockedRecordAdminMixin, HistoryAdmin):
    form = FrozenTextChildForm
    lock_field = "agreement_id"
    lock_check = staticmethod(frozen_text_reason)
    list_display = ["__str__", "agreement", "party", "decision", "decided_at", "answer_letter"]
    list_filter = ["decision", "party__kind", "agreement__year"]
    search_fields = ["concerns", "text", "reason", "party__name", "agreement__title"]
    list_select_related = ["agreement", "party", "answer_letter"]
    autocomplete_fields = [
        "agreement", "party", "goal", "section", "answer_letter", "decided_by", "created_by",
    ]
    date_hierarchy = "created"
    readonly_fields = ["lock_version", "created", "modified"]
    fieldsets = [
        (None, {"fields": ["agreement", "party", "concerns", "goal", "section", "text"]}),
        (_("Entscheidung"), {"fields": ["decision", "reason", "answer_letter", "decided_at", "decided_by"]}),
        (_("Verwaltung"), {"fields": ["created_by", "lock_version", "created", "modified"],
                           "classes": ["collapse"]}),
    ]


@admin.register(Statement)
class StatementAdmin(HistoryAdmin):
    list_display = ["date", "title", "party", "agreement", "include_as_annex"]
    list_display_links = ["date", "title"]
    list_filter = ["include_as_annex", "party__kind"]
    search_fields = ["title", "text", "party__name", "agreement__title"]
    list_select_related = ["party", "agreement"]
    autocomplete_fields = ["agreement", "party", "document", "created_by"]
    date_hierarchy = "date"


@admin.register(ProcedureStep)
class ProcedureStepAdmin(HistoryAdmin):
    # __str__: a recorded step's title is phrased from its action (agreements.text.entries), its column is empty.
    list_display = ["date", "date_precision", "kind", "__str__", "agreement", "automatic"]
    list_display_links = ["date", "__str__"]
    list_filter = ["kind", "automatic", "action", "date_precision"]
    search_fields = ["title", "description", "action", "participants_note", "agreement__title"]
    list_select_related = ["agreement"]
    autocomplete_fields = ["agreement", "participants", "letter", "version", "actor"]
    date_hierarchy = "date"


# --- Reviews ---------------------------------------------------------------------------------------------


class AssessmentInline(TabularInline):
    model = Assessment
    fields = ["goal", "status", "actual_value", "report_month", "comment"]
    autocomplete_fields = ["goal"]
    extra = 0


@admin.register(Review)
class ReviewAdmin(HistoryAdmin):
    list_display = ["__str__", "agreement", "kind", "date"]
    list_filter = ["kind", "agreement__year"]
    search_fields = ["agreement__title", "participants", "minutes"]
    list_select_related = ["agreement"]
    autocomplete_fields = ["agreement", "created_by"]
    date_hierarchy = "date"
    inlines = [AssessmentInline]


@admin.register(Assessment)
class AssessmentAdmin(HistoryAdmin):
    list_display = ["goal", "review", "status", "actual_value", "report_month"]
    list_filter = ["status"]
    search_fields = ["goal__title", "comment", "review__agreement__title"]
    list_select_related = ["goal", "review"]
    autocomplete_fields = ["review", "goal"]
    date_hierarchy = "report_month"
