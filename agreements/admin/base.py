"""The admin's ground rules: one gate for the add/change/delete permissions, read-only records, lock_version.

Every "may the admin add, change or delete this?" of the admin goes through `PermissionGateMixin.refuses`:
the read-only records say no to everything, the locked records (admin/locks.py) to what their lock forbids.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from agreements.models.base import LockVersionModel


class PermissionGateMixin:
    """Refuses an action where `refuses(request, obj, action)` says so; otherwise the model admin decides.

    One signature for model admins (`has_add_permission(request)`) and inlines (`…(request, obj)`).
    """

    def refuses(self, request, obj, action):
        return False

    def has_add_permission(self, request, *parent):
        obj = parent[0] if parent else None
        return not self.refuses(request, obj, "add") and super().has_add_permission(request, *parent)

    def has_change_permission(self, request, obj=None):
        return not self.refuses(request, obj, "change") and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self.refuses(request, obj, "delete") and super().has_delete_permission(request, obj)


class ReadOnlyMixin(PermissionGateMixin):
    """Records the application writes and nobody edits: admins look, never add, change or delete.

    `deletable = True` lets them delete what only serves a convenience (the double-submission records).
    """

    deletable = False

    def refuses(self, request, obj, action):
        return action != "delete" or not self.deletable


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    pass


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
    """Records kept with their history are time-stamped: the stamps are shown, never edited."""

    readonly_fields = ["created", "modified"]


def membership_inline(model, other, *more_fields):
    """An inline of the memberships (`model`) seen from one side (a party's, a committee's, a user's): the other side
    (`other`), picked by autocomplete, the role, then `more_fields`."""
    return type(f"{model.__name__}Inline", (admin.TabularInline,), {
        "__module__": __name__, "model": model, "fields": [other, "role", *more_fields],
        "autocomplete_fields": [other], "extra": 0,
    })
