"""The admin's ground rules: one gate for the add/change/delete permissions, read-only records, lock_version.

Every "may the admin add, change or delete this?" of the admin goes through `PermissionGateMixin.refuses`:
the read-only records say no to everything, the locked records (admin/locks.py) to what their lock forbids.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminSplitDateTime, AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
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


# Autocomplete fields that show a tampered value again ----------------------------------------------------------------


def _fits(key, value):
    """Whether the related model's key field (`key`) can hold the submitted `value` in a query."""
    try:
        key.get_prep_value(value)
    except (TypeError, ValueError, ValidationError):
        return False
    return True


class TamperProofAutocompleteMixin:
    """Django's autocomplete widget shows the submitted value again by looking it up among the related objects
    (AutocompleteMixin.optgroups filters by the raw values); a value the key cannot hold (`party=party` for a
    numeric id) raised ValueError there, and the form that should show the field's "Select a valid choice"
    answered 500 instead. Such a value selects nothing; the form field reports it as invalid."""

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        opts = remote.model._meta
        key = opts.get_field(getattr(remote, "field_name", opts.pk.attname))
        return super().optgroups(name, [v for v in value if _fits(key, v)], attr)


class TamperProofAutocompleteSelect(TamperProofAutocompleteMixin, AutocompleteSelect):
    pass


class TamperProofAutocompleteSelectMultiple(TamperProofAutocompleteMixin, AutocompleteSelectMultiple):
    pass


class TamperProofAutocompleteAdminMixin:
    """The `autocomplete_fields` of a model admin or inline use the widgets above (every admin base of this module
    has it; tests/test_admin_autocomplete.py checks every registered admin)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = TamperProofAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = TamperProofAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


# Accessible names for the inputs the admin renders without a <label> of their own (WCAG 1.3.1, 4.1.2) -----------


def _input_widget(widget):
    """The widget that renders the input: the one a RelatedFieldWidgetWrapper (the "+" and pencil links) wraps."""
    return getattr(widget, "widget", widget)


def _part_names(widget):
    """The names of a multi-input widget's parts: the admin's date and time of a date-time field are shown with
    Django's own "Date:"/"Time:" beside them, so the names use the same words."""
    if isinstance(widget, AdminSplitDateTime):
        return [gettext("Date:").rstrip(":"), gettext("Time:").rstrip(":")]
    return [str(index) for index in range(1, len(widget.widgets) + 1)]


def name_inputs(form, *, whole_fields):
    """Gives the inputs of `form` an aria-label from their field's label: every part of a field made of several
    inputs (a date-time's date and time: "Beginn: Datum"), and, with `whole_fields`, every input at all (a row of
    a tabular inline, where the label is only the column's heading, and the row's "Löschen" box)."""
    for name, field in form.fields.items():
        widget = _input_widget(field.widget)
        if widget.is_hidden:
            continue
        label = str(field.label or name)
        if isinstance(widget, forms.MultiWidget):
            for part, part_name in zip(widget.widgets, _part_names(widget), strict=True):
                part.attrs["aria-label"] = f"{label}: {part_name}"
        elif whole_fields:
            widget.attrs["aria-label"] = label


class NamedInputsFormSetMixin:
    def add_fields(self, form, index):
        super().add_fields(form, index)
        name_inputs(form, whole_fields=True)


class TabularInline(TamperProofAutocompleteAdminMixin, admin.TabularInline):
    """A tabular inline whose inputs carry their column's label as their accessible name."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        return type(formset.__name__, (NamedInputsFormSetMixin, formset), {})


class NamedInputsAdminMixin:
    """The parts of multi-input fields (date and time) of a model admin's form carry their names."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        def __init__(self, *args, **kwargs):
            form.__init__(self, *args, **kwargs)
            name_inputs(self, whole_fields=False)

        return type(form.__name__, (form,), {"__init__": __init__})


class StackedInline(TamperProofAutocompleteAdminMixin, admin.StackedInline):
    """A stacked inline (its inputs have their labels) whose autocomplete fields survive a tampered value."""


class InUseBeforePermissionsMixin:
    """A record that protected records still point at (on_delete=PROTECT: a committee's consultations, a
    department's Vorlagen) is "in use": the delete page lists those records as protected.

    Django asks each protected record's admin for its delete permission too, and a record the admin never deletes
    (the Beratungsfolge of a released Vorlage) then puts its model among the permissions "needed", which the page
    shows first, as "Ihnen fehlen die Rechte": wrong for a superuser, and no permission would help. While protected
    records exist the deletion is refused anyway; the page names them alone.
    """

    def get_deleted_objects(self, objs, request):
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected:
            perms_needed = set()
        return to_delete, model_count, perms_needed, protected


class BaseAdmin(
        InUseBeforePermissionsMixin, TamperProofAutocompleteAdminMixin, NamedInputsAdminMixin, LockVersionAdminMixin,
        admin.ModelAdmin):
    pass


class HistoryAdmin(
        InUseBeforePermissionsMixin, TamperProofAutocompleteAdminMixin, NamedInputsAdminMixin, LockVersionAdminMixin,
        SimpleHistoryAdmin):
    """Records kept with their history are time-stamped: the stamps are shown, never edited."""

    readonly_fields = ["created", "modified"]


def membership_inline(model, other, *more_fields):
    """An inline of the memberships (`model`) seen from one side (a party's, a committee's, a user's): the other side
    (`other`), picked by autocomplete, the role, then `more_fields`."""
    return type(f"{model.__name__}Inline", (TabularInline,), {
        "__module__": __name__, "model": model, "fields": [other, "role", *more_fields],
        "autocomplete_fields": [other], "extra": 0,
    })
