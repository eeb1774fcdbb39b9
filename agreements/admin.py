"""Django admin: the admins' tool for parties, people, committees and users, and a full view of every case.

Day-to-day work happens in the app's own views and services; the admin is the escape hatch. It therefore keeps
the few rules that protect data even here: submitted agreement versions, signed agreements and released Vorlagen
are shown read-only (a POST gets a message, never the model guard's 500), the lifecycle status is changed only
by the services, uploads pass the app's own content check, files are never served from MEDIA, and saves bump
the optimistic-locking counter so open forms elsewhere see a conflict.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.http import HttpResponseRedirect
from django.template.defaultfilters import filesizeformat, urlize
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from agreements.data import reference_data
from agreements.infra.errors import DomainError
from agreements.infra.uploads import UploadRejected, inspect_upload

from .models import (
    AgendaItem,
    Agreement,
    AgreementParty,
    AgreementSection,
    AgreementVersion,
    ArchivedUserName,
    Assessment,
    AuditEntry,
    CachedPdf,
    Committee,
    CommitteeMembership,
    Consultation,
    Department,
    Document,
    FormSubmission,
    Goal,
    Indicator,
    LegalBasis,
    Letter,
    Meeting,
    Membership,
    Party,
    Person,
    ProcedureStep,
    Proposal,
    Review,
    SearchEntry,
    Signature,
    Statement,
    SupportOffer,
    Topic,
    Vorlage,
    VorlageAnlage,
    VorlageSection,
)
from .models.base import LockVersionModel
from .services.documents import clean_filename, frozen_document_reason
from .services.negotiation import require_decidable

User = get_user_model()

admin.site.site_header = _("Zielsteuerung – Verwaltung")
admin.site.site_title = _("Zielsteuerung")
admin.site.index_title = _("Stammdaten und Vorgänge")


class LockVersionAdminMixin:
    """An admin save counts as an edit: forms opened elsewhere on the old version must report a conflict."""

    def save_model(self, request, obj, form, change):
        if change and isinstance(obj, LockVersionModel):
            obj.lock_version += 1
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        deleted = set(getattr(formset, "deleted_forms", []))
        for inline_form in formset.forms:
            obj = inline_form.instance
            if (
                isinstance(obj, LockVersionModel) and obj.pk and inline_form not in deleted
                and inline_form.has_changed()
            ):
                obj.lock_version += 1
        super().save_formset(request, form, formset, change)


class BaseAdmin(LockVersionAdminMixin, admin.ModelAdmin):
    pass


class HistoryAdmin(LockVersionAdminMixin, SimpleHistoryAdmin):
    pass


# --- Locked records: signed agreements, released Vorlagen, sent versions ---------------------------------


def signed_agreement_reason(agreement_id):
    """Why the agreement (and everything in it) is read-only, or None. Read from the database, not the form."""
    if agreement_id is None:
        return None
    status = Agreement.objects.filter(pk=agreement_id).values_list("status", flat=True).first()
    if status in Agreement.SIGNED_STATUSES:
        return _("Die Zielvereinbarung ist unterzeichnet und wird hier nur angezeigt; Änderungen sind nur als "
                 "Nachtrag möglich.")
    return None


def frozen_vorlage_reason(vorlage_id):
    if vorlage_id is None:
        return None
    status = Vorlage.objects.filter(pk=vorlage_id).values_list("status", flat=True).first()
    if status in Vorlage.FROZEN_STATUSES:
        return _("Die Vorlage ist „%(status)s“; ihr Inhalt wird hier nur angezeigt und nicht mehr geändert.") % {
            "status": Vorlage.Status(status).label
        }
    return None


def _cached_reason(obj, check, key):
    # The permission methods run many times per page; one query per object and request is enough.
    cache = obj.__dict__.setdefault("_zs_lock_reasons", {})
    if key not in cache:
        cache[key] = check(key)
    return cache[key]


class LockedRecordAdminMixin:
    """Records whose lock holder is locked are read-only: view yes, change and delete no.

    `lock_field` names the foreign key whose target decides ("agreement_id"); None means the record itself.
    `lock_check(pk)` returns the reason as a German message, or None. A POST to a locked record's change,
    delete or history-revert page is answered with that message and a redirect to the read-only page, instead
    of a 403 without explanation or the model guard's ImmutableRecordError (a 500).
    """

    lock_field = None
    lock_check = None

    def lock_reason(self, obj):
        if obj is None or obj.pk is None:
            return None
        key = obj.pk if self.lock_field is None else getattr(obj, self.lock_field)
        return _cached_reason(obj, type(self).lock_check, key)

    def has_change_permission(self, request, obj=None):
        if self.lock_reason(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if self.lock_reason(obj):
            return False
        return super().has_delete_permission(request, obj)

    def _refuse_locked(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        reason = self.lock_reason(obj)
        if not reason:
            return None
        self.message_user(request, reason, messages.ERROR)
        opts = self.model._meta
        return HttpResponseRedirect(reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)],
            current_app=self.admin_site.name,
        ))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and object_id is not None:
            if refused := self._refuse_locked(request, object_id):
                return refused
        return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        if refused := self._refuse_locked(request, object_id):
            return refused
        return super().delete_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # django-simple-history's "revert" saves on POST without asking has_change_permission.
        if request.method == "POST":
            if refused := self._refuse_locked(request, object_id):
                return refused
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_deleted_objects(self, objs, request):
        # "Delete selected" in the list deletes with QuerySet.delete(), past the model's delete() guard: locked
        # records are listed as protected, so Django refuses the whole deletion and says why.
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        locked = [f"{obj} – {reason}" for obj in objs if (reason := self.lock_reason(obj))]
        if locked:
            protected = [*protected, *locked]
            # has_delete_permission() said no because of the lock (on these records, or on the locked records
            # that protect them, e.g. the signed agreement of its PDF): the page should say why, not "no rights".
            perms_needed = set()
        return to_delete, model_count, perms_needed, protected


class LockedParentInlineMixin:
    """An inline on a locked parent's page (a signed agreement, a released Vorlage) is read-only."""

    lock_check = None

    def _parent_locked(self, obj):
        return obj is not None and obj.pk is not None and bool(_cached_reason(obj, type(self).lock_check, obj.pk))

    def has_add_permission(self, request, obj=None):
        if self._parent_locked(obj):
            return False
        return super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        if self._parent_locked(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if self._parent_locked(obj):
            return False
        return super().has_delete_permission(request, obj)


class LockedParentForm(forms.ModelForm):
    """Refuses to add a record to (or move one into) a locked parent: a form error instead of a 500.

    No Meta: ModelAdmin builds it from its fields. Subclasses name the parent field and the check.
    """

    lock_parent = None
    lock_check = None

    def clean(self):
        cleaned = super().clean()
        parent = cleaned.get(self.lock_parent)
        if parent is not None:
            reason = type(self).lock_check(parent.pk)
            if reason:
                self.add_error(self.lock_parent, ValidationError(reason, code="locked"))
        return cleaned


class SignedAgreementChildForm(LockedParentForm):
    lock_parent = "agreement"
    lock_check = staticmethod(signed_agreement_reason)


class FrozenVorlageChildForm(LockedParentForm):
    lock_parent = "vorlage"
    lock_check = staticmethod(frozen_vorlage_reason)


def frozen_text_reason(agreement_id):
    """Proposals and the decisions on them freeze with the text (abgestimmt and later): the rule of the services."""
    agreement = Agreement.objects.filter(pk=agreement_id).first() if agreement_id is not None else None
    if agreement is None:
        return None
    try:
        require_decidable(agreement)
    except DomainError as refusal:
        return refusal.message
    return None


class FrozenTextChildForm(LockedParentForm):
    lock_parent = "agreement"
    lock_check = staticmethod(frozen_text_reason)


class SignedAgreementChildAdmin(LockedRecordAdminMixin):
    form = SignedAgreementChildForm
    lock_field = "agreement_id"
    lock_check = staticmethod(signed_agreement_reason)


class SignedAgreementInline(LockedParentInlineMixin):
    lock_check = staticmethod(signed_agreement_reason)


class FrozenVorlageInline(LockedParentInlineMixin):
    lock_check = staticmethod(frozen_vorlage_reason)


# --- Parties, people, committees -------------------------------------------------------------------------


class DepartmentInline(admin.TabularInline):
    model = Department
    fields = ["number", "name"]
    extra = 0
    show_change_link = True


class PersonInline(admin.TabularInline):
    model = Person
    fields = [
        "form_of_address", "title", "given_name", "family_name", "function", "department", "email", "user",
    ]
    autocomplete_fields = ["department", "user"]
    extra = 0
    show_change_link = True


class PartyMembershipInline(admin.TabularInline):
    model = Membership
    fields = ["user", "role"]
    autocomplete_fields = ["user"]
    extra = 0
    verbose_name = _("Benutzer mit Zugriff")
    verbose_name_plural = _("Benutzer mit Zugriff")


class ChildPartyInline(admin.TabularInline):
    """Jobcenters (and other subordinate parties) of a kommunaler Träger; edited on their own page."""

    model = Party
    fk_name = "parent"
    fields = ["name", "kind", "jobcenter_form", "city", "is_active"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = _("untergeordnete Stelle (z. B. Jobcenter)")
    verbose_name_plural = _("untergeordnete Stellen (z. B. Jobcenter)")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReferenceSourceAdminMixin:
    """Reference records (load_reference): the source of their values, and where they differ from the data.

    The differences are the values an admin entered by hand; load_reference keeps them and reports them, and
    this shows them beside the reference value, so that whoever reads the record sees both and where each is from.
    """

    reference_model = None  # the name in reference_data.record_for: "party", "legalbasis", "indicator"
    reference_key_field = None
    reference_fields = ["source_links", "reference_deviations"]

    @admin.display(description=_("Quelle"))
    def source_links(self, obj):
        if not obj.source:
            return _("keine Quelle angegeben")
        # The template filter escapes the text and marks only its own links safe (rel="nofollow").
        return urlize(obj.source, autoescape=True)

    @admin.display(description=_("Abweichungen von den Referenzdaten"))
    def reference_deviations(self, obj):
        key = getattr(obj, self.reference_key_field) if obj.pk else None
        record = reference_data.record_for(self.reference_model, key) if key else None
        if record is None:
            return _("kein Eintrag der Referenzdaten")
        rows = []
        for field, value in record.items():
            if field == self.reference_key_field:
                continue
            if field == "parent":
                current = getattr(obj.parent, self.reference_key_field) if obj.parent_id else None
            else:
                current = getattr(obj, field)
            if current != value:
                rows.append((obj._meta.get_field(field).verbose_name, current or "–", value or "–"))
        if not rows:
            return _("keine: alle Werte wie in den Referenzdaten")
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", "<li>{}: {} ({})</li>", (
                (label, current, _("Referenzdaten: %(value)s") % {"value": value}) for label, current, value in rows
            )),
        )


@admin.register(Party)
class PartyAdmin(ReferenceSourceAdminMixin, HistoryAdmin):
    list_display = ["name", "short_name", "kind", "jobcenter_form", "parent", "region", "city", "is_active"]
    list_filter = ["kind", "jobcenter_form", "region", "is_active"]
    search_fields = ["name", "short_name", "key", "city", "source"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    prepopulated_fields = {"key": ["name"]}
    reference_model, reference_key_field = "party", "key"
    readonly_fields = ["created", "modified", *ReferenceSourceAdminMixin.reference_fields]
    fieldsets = [
        (None, {"fields": [
            "name", "short_name", "key", "kind", "parent", "jobcenter_form", "region", "is_active",
        ]}),
        (_("Anschrift"), {"fields": ["street", "postal_code", "city"]}),
        (_("Quelle"), {"fields": ["source_links", "reference_deviations", "source"]}),
        (_("Verwaltung"), {"fields": ["created", "modified"], "classes": ["collapse"]}),
    ]
    inlines = [DepartmentInline, PersonInline, PartyMembershipInline, ChildPartyInline]


@admin.register(Department)
class DepartmentAdmin(HistoryAdmin):
    list_display = ["number", "name", "party"]
    list_filter = ["party__kind"]
    search_fields = ["number", "name", "party__name", "party__short_name"]
    list_select_related = ["party"]
    autocomplete_fields = ["party"]
    readonly_fields = ["created", "modified"]


@admin.register(Person)
class PersonAdmin(HistoryAdmin):
    list_display = ["family_name", "given_name", "title", "function", "party", "department", "email", "user"]
    list_display_links = ["family_name", "given_name"]
    list_filter = ["party__kind", "form_of_address"]
    search_fields = ["family_name", "given_name", "function", "email", "party__name", "party__short_name"]
    list_select_related = ["party", "department", "user"]
    autocomplete_fields = ["party", "department", "user"]
    readonly_fields = ["created", "modified"]


@admin.register(Membership)
class MembershipAdmin(HistoryAdmin):
    list_display = ["user", "party", "role", "modified"]
    list_filter = ["role", "party__kind"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email", "party__name"]
    list_select_related = ["user", "party"]
    autocomplete_fields = ["user", "party"]
    date_hierarchy = "created"


class CommitteeMembershipInline(admin.TabularInline):
    model = CommitteeMembership
    fields = ["user", "role", "start_date", "end_date"]
    autocomplete_fields = ["user"]
    extra = 0


class MeetingInline(admin.TabularInline):
    model = Meeting
    fields = ["name", "start", "end", "location", "state"]
    extra = 0
    show_change_link = True


@admin.register(Committee)
class CommitteeAdmin(HistoryAdmin):
    list_display = ["name", "short_name", "kind", "party"]
    list_filter = ["kind", "party__kind"]
    search_fields = ["name", "short_name", "party__name"]
    list_select_related = ["party"]
    autocomplete_fields = ["party"]
    readonly_fields = ["created", "modified"]
    inlines = [CommitteeMembershipInline, MeetingInline]


@admin.register(CommitteeMembership)
class CommitteeMembershipAdmin(BaseAdmin):
    list_display = ["user", "committee", "role", "start_date", "end_date"]
    list_filter = ["role", "committee__kind"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "committee__name"]
    list_select_related = ["user", "committee"]
    autocomplete_fields = ["user", "committee"]
    date_hierarchy = "start_date"


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    fields = ["order", "number", "name", "public", "consultation", "result"]
    autocomplete_fields = ["consultation"]
    extra = 0
    show_change_link = True


@admin.register(Meeting)
class MeetingAdmin(HistoryAdmin):
    list_display = ["__str__", "committee", "start", "location", "state"]
    list_filter = ["state", "committee__kind"]
    search_fields = ["name", "location", "committee__name", "committee__party__name"]
    list_select_related = ["committee"]
    autocomplete_fields = ["committee"]
    date_hierarchy = "start"
    readonly_fields = ["created", "modified"]
    inlines = [AgendaItemInline]


@admin.register(AgendaItem)
class AgendaItemAdmin(BaseAdmin):
    list_display = ["number", "name", "meeting", "public", "result", "order"]
    list_filter = ["public"]
    search_fields = ["number", "name", "meeting__name", "meeting__committee__name"]
    list_select_related = ["meeting__committee"]
    autocomplete_fields = ["meeting", "consultation"]
    date_hierarchy = "meeting__start"


# --- Reference data --------------------------------------------------------------------------------------


@admin.register(Indicator)
class IndicatorAdmin(ReferenceSourceAdminMixin, BaseAdmin):
    list_display = ["code", "name", "parent", "computation", "window_months", "unit", "order"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter), "computation"]
    search_fields = ["code", "name", "numerator", "denominator", "source"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    reference_model, reference_key_field = "indicator", "code"
    readonly_fields = ["created", "modified", *ReferenceSourceAdminMixin.reference_fields]
    fieldsets = [
        (None, {"fields": ["code", "name", "parent", "description", "unit", "order"]}),
        (_("Berechnung"), {"fields": ["numerator", "denominator", "computation", "window_months"]}),
        (_("Quelle"), {"fields": ["source_links", "reference_deviations", "source"]}),
        (_("Verwaltung"), {"fields": ["created", "modified"], "classes": ["collapse"]}),
    ]


@admin.register(Topic)
class TopicAdmin(BaseAdmin):
    list_display = ["number", "name"]
    search_fields = ["name", "description"]


@admin.register(LegalBasis)
class LegalBasisAdmin(ReferenceSourceAdminMixin, BaseAdmin):
    list_display = ["citation", "title", "order"]
    search_fields = ["citation", "title", "text", "source"]
    reference_model, reference_key_field = "legalbasis", "citation"
    readonly_fields = ReferenceSourceAdminMixin.reference_fields
    fields = ["citation", "title", "text", "order", "source_links", "reference_deviations", "source"]


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


class AgreementPartyInline(SignedAgreementInline, admin.TabularInline):
    model = AgreementParty
    fields = ["order", "party", "role"]
    autocomplete_fields = ["party"]
    extra = 0


class AgreementSectionInline(SignedAgreementInline, admin.StackedInline):
    model = AgreementSection
    fields = ["order", "heading", "text"]
    extra = 0
    show_change_link = True


class GoalInline(SignedAgreementInline, admin.StackedInline):
    model = Goal
    fields = [
        ("order", "kind", "level", "area"),
        "title",
        "text",
        ("direction", "indicator", "unit"),
        ("reference_value", "corridor_low", "corridor_high", "target_value"),
    ]
    autocomplete_fields = ["indicator"]
    extra = 0
    show_change_link = True


class SupportOfferInline(SignedAgreementInline, admin.StackedInline):
    model = SupportOffer
    fields = [("order", "topic", "status"), "title", "text", ("provider", "coordinated_with")]
    autocomplete_fields = ["provider", "coordinated_with"]
    extra = 0
    show_change_link = True


class SignatureInline(SignedAgreementInline, admin.TabularInline):
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
    readonly_fields = ["status", "signed_file", "lock_version", "created", "modified"]
    lock_check = staticmethod(signed_agreement_reason)
    fieldsets = [
        (None, {"fields": ["title", "year", ("period_start", "period_end"), "status", "status_reason"]}),
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


def _version_reason(pk):
    return _("Eine übersandte Fassung ist ein Beleg dessen, was versandt wurde; sie wird nur angezeigt und kann "
             "weder geändert noch gelöscht werden.")


@admin.register(AgreementVersion)
class AgreementVersionAdmin(LockedRecordAdminMixin, admin.ModelAdmin):
    """Submitted versions are evidence of what was sent: readable, never changed or deleted."""

    lock_check = staticmethod(_version_reason)

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

    def has_add_permission(self, request):
        # Versions are made by sending a draft (services), which also records the procedure step.
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Signature)
class SignatureAdmin(SignedAgreementChildAdmin, HistoryAdmin):
    list_display = ["signatory_name", "signatory_function", "party", "agreement", "date", "place"]
    list_filter = ["party__kind"]
    search_fields = ["signatory_name", "signatory_function", "party__name", "agreement__title"]
    list_select_related = ["party", "agreement"]
    autocomplete_fields = ["agreement", "party", "person", "recorded_by"]
    date_hierarchy = "date"
    readonly_fields = ["created", "modified"]


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
    readonly_fields = ["created", "modified"]


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
    readonly_fields = ["created", "modified"]


@admin.register(ProcedureStep)
class ProcedureStepAdmin(HistoryAdmin):
    list_display = ["date", "date_precision", "kind", "title", "agreement", "automatic"]
    list_display_links = ["date", "title"]
    list_filter = ["kind", "automatic", "date_precision"]
    search_fields = ["title", "description", "participants_note", "agreement__title"]
    list_select_related = ["agreement"]
    autocomplete_fields = ["agreement", "participants", "letter", "version", "actor"]
    date_hierarchy = "date"
    readonly_fields = ["created", "modified"]


# --- Reviews ---------------------------------------------------------------------------------------------


class AssessmentInline(admin.TabularInline):
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
    readonly_fields = ["created", "modified"]
    inlines = [AssessmentInline]


@admin.register(Assessment)
class AssessmentAdmin(HistoryAdmin):
    list_display = ["goal", "review", "status", "actual_value", "report_month"]
    list_filter = ["status"]
    search_fields = ["goal__title", "comment", "review__agreement__title"]
    list_select_related = ["goal", "review"]
    autocomplete_fields = ["review", "goal"]
    date_hierarchy = "report_month"
    readonly_fields = ["created", "modified"]


# --- Vorlagen --------------------------------------------------------------------------------------------


class ConsultationInline(FrozenVorlageInline, admin.TabularInline):
    model = Consultation
    fields = ["order", "committee", "meeting", "meeting_date", "role", "authoritative", "result"]
    autocomplete_fields = ["committee", "meeting"]
    extra = 0
    show_change_link = True


class VorlageSectionInline(FrozenVorlageInline, admin.StackedInline):
    model = VorlageSection
    fields = ["order", "heading", "text"]
    extra = 0


class VorlageAnlageInline(FrozenVorlageInline, admin.TabularInline):
    model = VorlageAnlage
    fields = ["order", "title", "document"]
    autocomplete_fields = ["document"]
    extra = 0


@admin.register(Vorlage)
class VorlageAdmin(LockedRecordAdminMixin, HistoryAdmin):
    lock_check = staticmethod(frozen_vorlage_reason)
    list_display = ["reference", "name", "department", "status", "public", "date", "paper_type"]
    list_display_links = ["reference", "name"]
    list_filter = ["status", "public", "paper_type", "decision_type", "year", "department"]
    search_fields = ["reference", "name", "file_reference", "author__family_name", "agreement__title"]
    list_select_related = ["department"]
    autocomplete_fields = ["department", "author", "agreement", "main_file", "released_by", "created_by"]
    date_hierarchy = "date"
    fieldsets = [
        (None, {"fields": [("reference", "department", "running_number", "year"), "name",
                           ("paper_type", "decision_type", "status"), ("date", "author", "file_reference"),
                           "agreement"]}),
        (_("Öffentlichkeit"), {"fields": ["public", "non_public_reason"]}),
        (_("Auswirkungen"), {"fields": [("financial_impact", "financial_impact_text"),
                                        ("personnel_impact", "personnel_impact_text"),
                                        ("organisational_impact", "organisational_impact_text")]}),
        (_("Inhalt"), {"fields": ["resolution", "occasion", "conclusion"]}),
        (_("Freigabe"), {"fields": ["main_file", "released_at", "released_by"]}),
        (_("Verwaltung"), {"fields": ["created_by", "lock_version", "created", "modified"],
                           "classes": ["collapse"]}),
    ]
    inlines = [ConsultationInline, VorlageSectionInline, VorlageAnlageInline]

    def get_readonly_fields(self, request, obj=None):
        # The Vorlagen-Nr. is derived from Fachbereich, laufende Nr. and Jahr when saving (Vorlage.save).
        readonly = ["reference", "lock_version", "created", "modified"]
        if obj is not None:
            # The number is part of the paper's identity once it exists (printed, cited in minutes).
            readonly = ["running_number", "year", *readonly]
        return readonly


class ConsultationAdminForm(LockedParentForm):
    lock_parent = "paper"
    lock_check = staticmethod(frozen_vorlage_reason)

    def clean(self):
        # An existing row of a released Vorlage may still get its result; only new rows are refused.
        if self.instance.pk is not None:
            return forms.ModelForm.clean(self)
        return super().clean()


@admin.register(Consultation)
class ConsultationAdmin(HistoryAdmin):
    """The Beratungsfolge is fixed with the release; the committees' results (and meetings) come afterwards."""

    form = ConsultationAdminForm
    list_display = ["paper", "committee", "meeting_date", "role", "authoritative", "result", "order"]
    list_filter = ["role", "authoritative", "result"]
    search_fields = ["paper__reference", "paper__name", "committee__name"]
    list_select_related = ["paper", "committee"]
    autocomplete_fields = ["paper", "committee", "meeting"]
    date_hierarchy = "meeting_date"
    readonly_fields = ["created", "modified"]

    def _frozen(self, obj):
        return obj is not None and obj.pk is not None and bool(_cached_reason(obj, frozen_vorlage_reason, obj.paper_id))

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if self._frozen(obj):
            mutable = {name.removesuffix("_id") for name in Consultation.MUTABLE_AFTER_RELEASE}
            readonly += [f.name for f in Consultation._meta.concrete_fields
                         if f.editable and f.name not in mutable and not f.primary_key and f.name not in readonly]
        return readonly

    def has_delete_permission(self, request, obj=None):
        if self._frozen(obj):
            return False
        return super().has_delete_permission(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if self._frozen(obj):
            self.message_user(request, frozen_vorlage_reason(obj.paper_id), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:agreements_consultation_change", args=[quote(obj.pk)],
                                                current_app=self.admin_site.name))
        return super().delete_view(request, object_id, extra_context)

    def get_deleted_objects(self, objs, request):
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        locked = [f"{obj} – {frozen_vorlage_reason(obj.paper_id)}" for obj in objs if self._frozen(obj)]
        if locked:
            protected = [*protected, *locked]
            perms_needed = {p for p in perms_needed if p != self.model._meta.verbose_name}
        return to_delete, model_count, perms_needed, protected


class FrozenVorlageChildAdmin(LockedRecordAdminMixin):
    form = FrozenVorlageChildForm
    lock_field = "vorlage_id"
    lock_check = staticmethod(frozen_vorlage_reason)


@admin.register(VorlageSection)
class VorlageSectionAdmin(FrozenVorlageChildAdmin, HistoryAdmin):
    list_display = ["heading", "vorlage", "order"]
    search_fields = ["heading", "text", "vorlage__reference"]
    list_select_related = ["vorlage"]
    autocomplete_fields = ["vorlage"]
    readonly_fields = ["created", "modified"]


@admin.register(VorlageAnlage)
class VorlageAnlageAdmin(FrozenVorlageChildAdmin, HistoryAdmin):
    list_display = ["title", "vorlage", "order", "document"]
    search_fields = ["title", "vorlage__reference", "document__title"]
    list_select_related = ["vorlage", "document"]
    autocomplete_fields = ["vorlage", "document"]
    readonly_fields = ["created", "modified"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records the application writes and nobody edits: admins look, never add, change or delete."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FormSubmission)
class FormSubmissionAdmin(admin.ModelAdmin):
    """Which opening of a create form created what (views.base.once): written by the app, read here."""

    list_display = ["created", "user", "path", "content_type", "object_id"]
    list_select_related = ["user", "content_type"]
    search_fields = ["path", "user__username"]
    date_hierarchy = "created"
    fields = readonly_fields = ["created", "user", "path", "token", "content_type", "object_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SearchEntry)
class SearchEntryAdmin(ReadOnlyAdmin):
    """The search index is derived data (rebuild_search_index); admins may look, never edit."""

    list_display = ["title", "kind", "agreement", "vorlage", "modified"]
    list_filter = ["kind"]
    search_fields = ["title", "body"]
    list_select_related = ["agreement", "vorlage"]
    readonly_fields = ["kind", "object_id", "agreement", "vorlage", "title", "body", "modified"]
    exclude = ["search_vector"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The audit log is append-only: admins read it here or at /verwaltung/protokoll/, nobody edits it."""

    list_display = ["time", "username", "action", "object_type", "object_repr", "ip_address"]
    list_filter = ["action", "object_type"]
    search_fields = ["username", "object_repr", "object_id", "path"]
    date_hierarchy = "time"
    readonly_fields = [
        "time", "user", "username", "action", "object_type", "object_id", "object_repr", "changes", "ip_address",
        "path",
    ]


@admin.register(CachedPdf)
class CachedPdfAdmin(ReadOnlyAdmin):
    """The checksums of the PDF cache (agreements/pdf/cache.py): a cached file is served only while it matches."""

    list_display = ["key", "sha256", "size", "written"]
    search_fields = ["key", "sha256"]
    date_hierarchy = "written"
    fields = readonly_fields = ["key", "sha256", "size", "written"]


@admin.register(ArchivedUserName)
class ArchivedUserNameAdmin(ReadOnlyAdmin):
    """Who did something according to an imported archive, kept as text (agreements/transfer/archive.py)."""

    list_display = ["name", "content_type", "object_id", "field"]
    list_select_related = ["content_type"]
    search_fields = ["name"]
    fields = readonly_fields = ["name", "content_type", "object_id", "field"]


# --- Users -----------------------------------------------------------------------------------------------


class UserMembershipInline(admin.TabularInline):
    model = Membership
    fields = ["party", "role"]
    autocomplete_fields = ["party"]
    extra = 0


class UserCommitteeMembershipInline(admin.TabularInline):
    model = CommitteeMembership
    fields = ["committee", "role", "start_date", "end_date"]
    autocomplete_fields = ["committee"]
    extra = 0


class PartyMembershipFilter(admin.SimpleListFilter):
    title = _("Stelle (Mitgliedschaft)")
    parameter_name = "stelle"

    def lookups(self, request, model_admin):
        parties = Party.objects.filter(memberships__isnull=False).distinct().order_by("name")
        return [("ohne", _("ohne Stelle")), *((str(p.pk), p.name) for p in parties)]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value == "ohne":
            return queryset.filter(memberships__isnull=True)
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(memberships__party_id=int(value)).distinct()


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = [
        "username", "email", "first_name", "last_name", "parties_display", "is_staff", "is_active",
    ]
    list_filter = [PartyMembershipFilter, *BaseUserAdmin.list_filter]
    inlines = [UserMembershipInline, UserCommitteeMembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("memberships__party")

    @admin.display(description=_("Stellen"))
    def parties_display(self, obj):
        return format_html_join(
            ", ", "{} ({})", ((m.party, m.get_role_display()) for m in obj.memberships.all())
        )
