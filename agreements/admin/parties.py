"""Parties, people, committees and meetings, and the reference data (Kennzahlen, Themen, Rechtsgrundlagen)."""

from django import forms
from django.contrib import admin
from django.template.defaultfilters import urlize
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from agreements.data import reference_data
from agreements.forms.vorlagen import check_year
from agreements.models import (
    AgendaItem,
    Committee,
    CommitteeMembership,
    Department,
    Indicator,
    LegalBasis,
    Meeting,
    Membership,
    Party,
    Person,
    Topic,
)

from .base import BaseAdmin, HistoryAdmin, ReadOnlyMixin, TabularInline, membership_inline
from .locks import KeptRowsInlineMixin, LockedRecordAdminMixin, kept_agenda_item_reason, kept_meeting_reason


class DepartmentInline(TabularInline):
    model = Department
    fields = ["number", "name"]
    extra = 0
    show_change_link = True


class PersonInline(TabularInline):
    model = Person
    fields = [
        "form_of_address", "title", "given_name", "family_name", "function", "department", "email", "user",
    ]
    autocomplete_fields = ["department", "user"]
    extra = 0
    show_change_link = True


class PartyMembershipInline(membership_inline(Membership, "user")):
    verbose_name = _("Benutzer mit Zugriff")
    verbose_name_plural = _("Benutzer mit Zugriff")


class ChildPartyInline(ReadOnlyMixin, TabularInline):
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


@admin.register(Person)
class PersonAdmin(HistoryAdmin):
    list_display = ["family_name", "given_name", "title", "function", "party", "department", "email", "user"]
    list_display_links = ["family_name", "given_name"]
    list_filter = ["party__kind", "form_of_address"]
    search_fields = ["family_name", "given_name", "function", "email", "party__name", "party__short_name"]
    list_select_related = ["party", "department", "user"]
    autocomplete_fields = ["party", "department", "user"]


@admin.register(Membership)
class MembershipAdmin(HistoryAdmin):
    list_display = ["user", "party", "role", "modified"]
    list_filter = ["role", "party__kind"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email", "party__name"]
    list_select_related = ["user", "party"]
    autocomplete_fields = ["user", "party"]
    date_hierarchy = "created"


CommitteeMembershipInline = membership_inline(CommitteeMembership, "user", "start_date", "end_date")


class MeetingForm(forms.ModelForm):
    """A meeting's dates lie in the years the application accepts for every date of a Vorlage."""

    def clean(self):
        cleaned = super().clean()
        for name in ("start", "end"):
            check_year(self, name)
        return cleaned


class MeetingInline(KeptRowsInlineMixin, TabularInline):
    model = Meeting
    form = MeetingForm
    keep_check = staticmethod(kept_meeting_reason)
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
    inlines = [CommitteeMembershipInline, MeetingInline]


@admin.register(CommitteeMembership)
class CommitteeMembershipAdmin(BaseAdmin):
    list_display = ["user", "committee", "role", "start_date", "end_date"]
    list_filter = ["role", "committee__kind"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "committee__name"]
    list_select_related = ["user", "committee"]
    autocomplete_fields = ["user", "committee"]
    date_hierarchy = "start_date"


class AgendaItemInline(KeptRowsInlineMixin, TabularInline):
    model = AgendaItem
    keep_check = staticmethod(kept_agenda_item_reason)
    fields = ["order", "number", "name", "public", "consultation", "result"]
    autocomplete_fields = ["consultation"]
    extra = 0
    show_change_link = True


@admin.register(Meeting)
class MeetingAdmin(LockedRecordAdminMixin, HistoryAdmin):
    """A held meeting, and one where released Vorlagen are consulted, is kept: it is cancelled, not deleted."""

    form = MeetingForm
    lock_check = staticmethod(kept_meeting_reason)
    locked_actions = ("delete",)
    list_display = ["__str__", "committee", "start", "location", "state"]
    list_filter = ["state", "committee__kind"]
    search_fields = ["name", "location", "committee__name", "committee__party__name"]
    list_select_related = ["committee"]
    autocomplete_fields = ["committee"]
    date_hierarchy = "start"
    inlines = [AgendaItemInline]

    def get_queryset(self, request):
        # A meeting is named by its committee (Meeting.__str__): in the list and in the autocomplete answers.
        return super().get_queryset(request).select_related("committee")


@admin.register(AgendaItem)
class AgendaItemAdmin(LockedRecordAdminMixin, BaseAdmin):
    lock_check = staticmethod(kept_agenda_item_reason)
    locked_actions = ("delete",)
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
