"""The admin: each user's notification settings (to look at, and to change on a user's behalf), the mails with their
delivery state and the reason a delivery failed, and the runs of the schedule."""

from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django_tasks.backends.database.models import DBTaskResult

from agreements.admin.base import BaseAdmin, ReadOnlyAdmin, TabularInline

from .models import KindSetting, Mail, Preferences, ScheduleRun

# django-tasks' own admin lists the queue's raw rows (in English, task paths and tracebacks): what an admin needs to
# know, whether each mail went out and why not, is the list of mails below. The queue stays in the database (and
# `manage.py prune_db_task_results` trims it).
# (Its app comes before this one in INSTALLED_APPS, so its admin is registered by now.)
if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)


class KindSettingInline(TabularInline):
    model = KindSetting
    fields = ["kind", "mode"]
    extra = 0


@admin.register(Preferences)
class PreferencesAdmin(BaseAdmin):
    list_display = ["user", "language", "settings_summary", "modified"]
    list_filter = ["language"]
    search_fields = ["user__username", "user__email", "user__last_name"]
    autocomplete_fields = ["user"]
    inlines = [KindSettingInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user").prefetch_related("kind_settings")

    @admin.display(description=_("abweichend von „sofort“"))
    def settings_summary(self, obj):
        return "; ".join(str(setting) for setting in obj.kind_settings.all()) or "–"


@admin.register(Mail)
class MailAdmin(ReadOnlyAdmin):
    list_display = ["created", "to", "kind", "subject", "status", "attempts", "error_summary", "sent_at",
                    "next_attempt_at"]
    list_filter = ["status", "kind", "language"]
    search_fields = ["to", "subject", "last_error"]
    date_hierarchy = "created"
    list_select_related = ["recipient"]

    @admin.display(description=_("Grund"))
    def error_summary(self, obj):
        return Truncator(obj.last_error).chars(120) if obj.last_error else ""


@admin.register(ScheduleRun)
class ScheduleRunAdmin(ReadOnlyAdmin):
    list_display = ["job", "period", "status", "started_at", "finished_at", "worker", "error"]
    list_filter = ["job", "status"]
