"""Users with the parties and committees they belong to. A user who has acted is kept: deactivated, not deleted."""

from functools import cache, reduce
from operator import or_

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, Permission
from django.db import models
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from agreements.models import CommitteeMembership, Membership, Party, Person

from .base import NamedInputsAdminMixin, membership_inline
from .locks import LockedRecordAdminMixin, remember_reason

User = get_user_model()


# Links to a user that are not something the user did: the person the account belongs to, the mails sent to them
# (and the history of the person and of memberships, which the account's own records are).
NOT_ACTIONS = {(Person, "user"), ("agreements.HistoricalPerson", "user"), ("agreements.HistoricalMembership", "user"),
               ("notifications.Mail", "recipient")}


@cache
def action_links():
    """The foreign keys that record what a user did: every link that keeps its record when the account goes
    (fields.user_link, the audit log, the history's history_user and its copies of those links), and the admin's
    own change log. The account's own records (memberships, settings, visits) go with it (CASCADE) and are not
    counted."""
    not_actions = {(apps.get_model(model) if isinstance(model, str) else model, name) for model, name in NOT_ACTIONS}
    links = [LogEntry._meta.get_field("user")]
    for app in ("agreements", "notifications"):
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.concrete_fields:
                if (field.many_to_one and field.related_model is User and (model, field.name) not in not_actions
                        and field.remote_field.on_delete in (models.SET_NULL, models.DO_NOTHING)):
                    links.append(field)
    return links


def users_with_recorded_actions(user_ids):
    """The ids among `user_ids` of the users who have acted: one query, however many users and links."""
    user_ids = list(user_ids)
    if not user_ids:
        return set()
    acted = reduce(or_, (
        models.Exists(field.model._base_manager.filter(**{field.attname: models.OuterRef("pk")}))
        for field in action_links()
    ))
    return set(User.objects.filter(acted, pk__in=user_ids).values_list("pk", flat=True))


def _recorded_actions_message():
    return _("Dieses Benutzerkonto hat Handlungen hinterlassen (z. B. Fassungen, Unterschriften, Protokolleinträge) "
             "und kann deshalb nicht gelöscht werden. Um den Zugang zu sperren, deaktivieren Sie es: Häkchen bei "
             "„Aktiv“ entfernen und speichern.")


def recorded_actions_reason(pk):
    """Why the user is not deleted, or None."""
    return _recorded_actions_message() if pk in users_with_recorded_actions([pk]) else None


# Django stores a permission's name in English when it creates it ("Can add Fassung"): the admin's permission
# choices name the four default actions in the reader's language instead, with the app's and model's own names.
DEFAULT_ACTIONS = {"add": _("hinzufügen"), "change": _("ändern"), "delete": _("löschen"), "view": _("ansehen")}


def permission_label(permission):
    """'Zielvereinbarungen | Fassung | ansehen' for a default permission; other permissions keep their name."""
    content_type = permission.content_type
    model = content_type.model_class()
    if model is None:
        return str(permission)
    opts = model._meta
    action, _sep, model_name = permission.codename.partition("_")
    name = DEFAULT_ACTIONS[action] if action in DEFAULT_ACTIONS and model_name == opts.model_name else permission.name
    return f"{opts.app_config.verbose_name} | {opts.verbose_name} | {name}"


class PermissionLabelsMixin:
    """The permission choices of a user or group named by permission_label."""

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and db_field.related_model is Permission:
            field.label_from_instance = permission_label
        return field


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
class UserAdmin(PermissionLabelsMixin, LockedRecordAdminMixin, NamedInputsAdminMixin, BaseUserAdmin):
    """A user who has acted is never deleted (the records name them; the audit log keeps only the name as text):
    the delete page and the list's "delete" say why and point to deactivation."""

    lock_check = staticmethod(recorded_actions_reason)
    locked_actions = ("delete",)
    list_display = [
        "username", "email", "first_name", "last_name", "parties_display", "is_staff", "is_active",
    ]
    list_filter = [PartyMembershipFilter, *BaseUserAdmin.list_filter]
    inlines = [UserMembershipInline, UserCommitteeMembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("memberships__party")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        reason = self.lock_reason(obj)
        if reason and "is_active" in form.base_fields:
            field = form.base_fields["is_active"]
            # The admin shows help texts unescaped: both parts are escaped here.
            field.help_text = format_html("{} {}", field.help_text, reason)
        return form

    def get_deleted_objects(self, objs, request):
        # One query for all the users of the list's "delete selected" (not one per user): the answers go into the
        # cache the permission checks read (locks._cached_reason).
        objs = list(objs)
        acted = users_with_recorded_actions(obj.pk for obj in objs)
        for obj in objs:
            remember_reason(obj, obj.pk, _recorded_actions_message() if obj.pk in acted else None)
        return super().get_deleted_objects(objs, request)

    @admin.display(description=_("Stellen"))
    def parties_display(self, obj):
        return format_html_join(
            ", ", "{} ({})", ((m.party, m.get_role_display()) for m in obj.memberships.all())
        )


if admin.site.is_registered(Group):
    admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(PermissionLabelsMixin, NamedInputsAdminMixin, BaseGroupAdmin):
    """Django's groups, with the permission choices in the reader's language."""
