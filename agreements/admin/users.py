"""Users with the parties and committees they belong to."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from agreements.models import CommitteeMembership, Membership, Party

from .base import NamedInputsAdminMixin, membership_inline

User = get_user_model()


UserMembershipInline = membership_inline(Membership, "party")
UserCommitteeMembershipInline = membership_inline(CommitteeMembership, "committee", "start_date", "end_date")


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
class UserAdmin(NamedInputsAdminMixin, BaseUserAdmin):
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
