"""Records the application writes and admins only read: submissions, search index, audit log, caches, deadlines,
calendar feeds."""

from django.contrib import admin

from agreements.models import (
    ArchivedUserName,
    AuditEntry,
    CachedPdf,
    CalendarFeed,
    Deadline,
    FormSubmission,
    SearchEntry,
    StartPageVisit,
)

from .base import ReadOnlyAdmin


@admin.register(FormSubmission)
class FormSubmissionAdmin(ReadOnlyAdmin):
    """Which opening of a create form created what (views.base.once): written by the app, read here.

    Deleting one only lets that opening of the form be submitted again."""

    deletable = True
    list_display = ["created", "user", "path", "content_type", "object_id"]
    list_select_related = ["user", "content_type"]
    search_fields = ["path", "user__username"]
    date_hierarchy = "created"
    fields = readonly_fields = ["created", "user", "path", "token", "content_type", "object_id"]


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
    """Who did something according to an imported archive, kept as text (agreements/transfer/archive/)."""

    list_display = ["name", "content_type", "object_id", "field"]
    list_select_related = ["content_type"]
    search_fields = ["name"]
    fields = readonly_fields = ["name", "content_type", "object_id", "field"]


@admin.register(StartPageVisit)
class StartPageVisitAdmin(ReadOnlyAdmin):
    """When each user last saw the start page, and since when it reports news (models.visits): written by the app.

    Deleting one makes the user's next visit a first one, with nothing reported as new."""

    deletable = True
    list_display = ["user", "seen_at", "login_at", "since"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    date_hierarchy = "seen_at"
    fields = readonly_fields = ["user", "seen_at", "login_at", "since"]


@admin.register(Deadline)
class DeadlineAdmin(ReadOnlyAdmin):
    """An agreement's deadlines: set, changed and closed on the agreement's "Fristen" tab (services.deadlines), which
    records each step on the timeline; read here."""

    list_display = ["due", "kind", "title", "owner", "agreement", "state"]
    list_filter = ["state", "kind"]
    list_select_related = ["owner", "agreement"]
    search_fields = ["title", "owner__name", "agreement__title"]
    date_hierarchy = "due"
    fields = readonly_fields = ["agreement", "kind", "title", "due", "owner", "note", "state", "closed_at",
                                "closed_by", "created_by", "created", "modified"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(ReadOnlyAdmin):
    """Who has a calendar feed since when; the secret address itself is not shown. Deleting one ends its address at
    once (the user gets a new one on the calendar page)."""

    deletable = True
    list_display = ["user", "created"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    fields = readonly_fields = ["user", "created"]
