"""Locked records in the admin: signed agreements, released Vorlagen, sent versions, frozen texts and documents;
and the records that are kept (changed, never deleted): held meetings and the meetings and agenda items of released
Vorlagen.

A locked record is shown, never changed or deleted; an inline on a locked parent's page is read-only; a form
refuses to add a record to a locked parent. The reasons are German messages read from the database.
"""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from agreements.infra.errors import DomainError
from agreements.models import AgendaItem, Agreement, Meeting, Vorlage
from agreements.services.negotiation import require_decidable

from .base import PermissionGateMixin


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


def sent_version_reason(pk):
    return _("Eine übersandte Fassung ist ein Beleg dessen, was versandt wurde; sie wird nur angezeigt und kann "
             "weder geändert noch gelöscht werden.")


def kept_meeting_reason(pk):
    """Why a meeting is never deleted, or None: it has been held, or a released Vorlage is consulted in it (its
    Beratungsfolge or an agenda item names the meeting). The papers show its time, place and agenda item numbers;
    a meeting that does not take place is cancelled (status "abgesagt") instead."""
    state = Meeting.objects.filter(pk=pk).values_list("state", flat=True).first()
    if state is None:
        return None
    if state == Meeting.State.HELD:
        return _("Die Sitzung ist „%(state)s“; sie bleibt mit ihrer Tagesordnung als Beleg erhalten und kann nicht "
                 "gelöscht werden.") % {"state": Meeting.State.HELD.label}
    papers = list(
        Vorlage.objects.filter(status__in=Vorlage.FROZEN_STATUSES)
        .filter(Q(consultations__meeting_id=pk) | Q(consultations__agenda_items__meeting_id=pk))
        .order_by("reference").values_list("reference", flat=True).distinct()
    )
    if papers:
        return _("In der Sitzung werden freigegebene Vorlagen beraten (%(papers)s); sie kann nicht gelöscht werden. "
                 "Findet sie nicht statt, setzen Sie ihren Status auf „%(cancelled)s“.") % {
            "papers": ", ".join(papers), "cancelled": Meeting.State.CANCELLED.label,
        }
    return None


def kept_agenda_item_reason(pk):
    """Why an agenda item is never deleted, or None: its meeting has been held, or it treats a released Vorlage
    (whose Beratungsfolge shows its number)."""
    item = AgendaItem.objects.filter(pk=pk).values(
        "meeting__state", "consultation__paper__status", "consultation__paper__reference").first()
    if item is None:
        return None
    if item["meeting__state"] == Meeting.State.HELD:
        return _("Die Sitzung des Tagesordnungspunkts ist „%(state)s“; er bleibt als Beleg erhalten und kann nicht "
                 "gelöscht werden.") % {"state": Meeting.State.HELD.label}
    if item["consultation__paper__status"] in Vorlage.FROZEN_STATUSES:
        return _("Der Tagesordnungspunkt berät die freigegebene Vorlage %(paper)s; er bleibt erhalten und kann nicht "
                 "gelöscht werden.") % {"paper": item["consultation__paper__reference"]}
    return None


def _reasons(obj):
    return obj.__dict__.setdefault("_zs_lock_reasons", {})


def _cached_reason(obj, check, key):
    # The permission methods run many times per page; one query per object and request is enough.
    cache = _reasons(obj)
    if key not in cache:
        cache[key] = check(key)
    return cache[key]


def remember_reason(obj, key, reason):
    """A lock reason found for many objects at once (one query), where lock_reason looks first."""
    _reasons(obj)[key] = reason


class LockedRecordAdminMixin(PermissionGateMixin):
    """Records whose lock holder is locked are read-only: view yes, `locked_actions` (change, delete) no.

    `lock_field` names the foreign key whose target decides ("agreement_id"); None means the record itself.
    `lock_check(pk)` returns the reason as a German message, or None. A POST to a locked record's change,
    delete or history-revert page is answered with that message and a redirect to the read-only page, instead
    of a 403 without explanation or the model guard's ImmutableRecordError (a 500).
    """

    lock_field = None
    lock_check = None
    locked_actions = ("change", "delete")

    def lock_reason(self, obj):
        if obj is None or obj.pk is None:
            return None
        key = obj.pk if self.lock_field is None else getattr(obj, self.lock_field)
        return _cached_reason(obj, type(self).lock_check, key)

    def refuses(self, request, obj, action):
        return (action in self.locked_actions and bool(self.lock_reason(obj))) or super().refuses(request, obj, action)

    def _refuse_locked(self, request, object_id, action):
        if action not in self.locked_actions:
            return None
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
            if refused := self._refuse_locked(request, object_id, "change"):
                return refused
        return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        if refused := self._refuse_locked(request, object_id, "delete"):
            return refused
        return super().delete_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # django-simple-history's "revert" saves on POST without asking has_change_permission.
        if request.method == "POST":
            if refused := self._refuse_locked(request, object_id, "change"):
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


class LockedParentInlineMixin(PermissionGateMixin):
    """An inline on a locked parent's page (a signed agreement, a released Vorlage) is read-only."""

    lock_check = None

    def refuses(self, request, obj, action):
        locked = obj is not None and obj.pk is not None and bool(_cached_reason(obj, type(self).lock_check, obj.pk))
        return locked or super().refuses(request, obj, action)


class KeptRowsInlineMixin:
    """An inline whose rows `keep_check(pk)` keeps: ticking "Löschen" on such a row is refused with the reason, as
    an error of the inline (nothing of the page is saved). Django asks the inline's delete permission only for the
    parent, never per row."""

    keep_check = None

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        check = type(self).keep_check

        def clean(self):
            # Before the formset's own checks: Django's "would require deleting protected objects" (an agenda item
            # PROTECTs its meeting) is true, but not the reason.
            kept = [
                f"{form.instance} – {reason}" for form in self.forms
                if self.can_delete and form.instance.pk is not None and self._should_delete_form(form)
                and (reason := check(form.instance.pk))
            ]
            if kept:
                raise ValidationError(kept, code="kept")
            formset.clean(self)

        return type(formset.__name__, (formset,), {"clean": clean})


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


class FrozenTextChildForm(LockedParentForm):
    lock_parent = "agreement"
    lock_check = staticmethod(frozen_text_reason)


class SignedAgreementChildAdmin(LockedRecordAdminMixin):
    form = SignedAgreementChildForm
    lock_field = "agreement_id"
    lock_check = staticmethod(signed_agreement_reason)


class FrozenVorlageChildAdmin(LockedRecordAdminMixin):
    form = FrozenVorlageChildForm
    lock_field = "vorlage_id"
    lock_check = staticmethod(frozen_vorlage_reason)


class SignedAgreementInline(LockedParentInlineMixin):
    lock_check = staticmethod(signed_agreement_reason)


class FrozenVorlageInline(LockedParentInlineMixin):
    lock_check = staticmethod(frozen_vorlage_reason)
