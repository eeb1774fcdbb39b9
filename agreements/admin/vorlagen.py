"""Vorlagen (committee papers) with their Beratungsfolge, sections and Anlagen; frozen once released."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from agreements.models import Consultation, Vorlage, VorlageAnlage, VorlageSection

from .base import HistoryAdmin, StackedInline, TabularInline
from .locks import (
    FrozenVorlageChildAdmin,
    FrozenVorlageInline,
    LockedParentForm,
    LockedRecordAdminMixin,
    frozen_vorlage_reason,
)


class ConsultationInline(FrozenVorlageInline, TabularInline):
    model = Consultation
    fields = ["order", "committee", "meeting", "meeting_date", "role", "authoritative", "result"]
    autocomplete_fields = ["committee", "meeting"]
    extra = 0
    show_change_link = True


class VorlageSectionInline(FrozenVorlageInline, StackedInline):
    model = VorlageSection
    fields = ["order", "heading", "text"]
    extra = 0


class VorlageAnlageInline(FrozenVorlageInline, TabularInline):
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
class ConsultationAdmin(LockedRecordAdminMixin, HistoryAdmin):
    """The Beratungsfolge is fixed with the release; the committees' results (and meetings) come afterwards:
    a released Vorlage's consultation keeps its result and meeting editable and is never deleted."""

    form = ConsultationAdminForm
    lock_field = "paper_id"
    lock_check = staticmethod(frozen_vorlage_reason)
    locked_actions = ("delete",)
    list_display = ["paper", "committee", "meeting_date", "role", "authoritative", "result", "order"]
    list_filter = ["role", "authoritative", "result"]
    search_fields = ["paper__reference", "paper__name", "committee__name"]
    list_select_related = ["paper", "committee"]
    autocomplete_fields = ["paper", "committee", "meeting"]
    date_hierarchy = "meeting_date"

    def get_queryset(self, request):
        # A consultation is named by its committee and meeting (Consultation.__str__), e.g. in autocomplete answers.
        return super().get_queryset(request).select_related("committee", "meeting")

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if self.lock_reason(obj):
            mutable = {name.removesuffix("_id") for name in Consultation.MUTABLE_AFTER_RELEASE}
            readonly += [f.name for f in Consultation._meta.concrete_fields
                         if f.editable and f.name not in mutable and not f.primary_key and f.name not in readonly]
        return readonly


@admin.register(VorlageSection)
class VorlageSectionAdmin(FrozenVorlageChildAdmin, HistoryAdmin):
    list_display = ["heading", "vorlage", "order"]
    search_fields = ["heading", "text", "vorlage__reference"]
    list_select_related = ["vorlage"]
    autocomplete_fields = ["vorlage"]


@admin.register(VorlageAnlage)
class VorlageAnlageAdmin(FrozenVorlageChildAdmin, HistoryAdmin):
    list_display = ["title", "vorlage", "order", "document"]
    search_fields = ["title", "vorlage__reference", "document__title"]
    list_select_related = ["vorlage", "document"]
    autocomplete_fields = ["vorlage", "document"]
