"""The audit log page (Protokoll) for superusers: filter, page through, download as CSV.

Nobody else learns that the page exists: other users get 404, anonymous users the login page.
"""

import csv
import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db.models import DecimalField
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.infra.audit import TRACKED_WITHOUT_HISTORY
from agreements.policy import access
from agreements.text.numbers import format_number

from .. import models as m
from ..forms.base import DateInput
from .base import Routes, read_only

urlpatterns = Routes()

PAGE_SIZE = 50
CSV_CHUNK = 2000
# A spreadsheet evaluates a cell that starts like this: usernames of failed logins are whatever was typed.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _object_type_choices():
    """Every model the log writes about: the app's models with history, the tracked ones, the user accounts."""
    labels = set()
    for model in apps.get_app_config("agreements").get_models():
        if hasattr(model, "history") or model._meta.label in TRACKED_WITHOUT_HISTORY:
            labels.add(model._meta.label_lower)
    labels.add(get_user_model()._meta.label_lower)
    choices = [(label, str(apps.get_model(label)._meta.verbose_name)) for label in labels]
    return [("", gettext_lazy("alle"))] + sorted(choices, key=lambda choice: choice[1].lower())


class AuditFilterForm(forms.Form):
    benutzer = forms.CharField(label=gettext_lazy("Benutzername"), required=False, max_length=150)
    aktion = forms.ChoiceField(label=gettext_lazy("Aktion"), required=False,
                               choices=[("", gettext_lazy("alle"))] + list(m.AuditEntry.Action.choices))
    objekttyp = forms.ChoiceField(label=gettext_lazy("Objekttyp"), required=False)
    von = forms.DateField(label=gettext_lazy("von"), required=False, widget=DateInput())
    bis = forms.DateField(label=gettext_lazy("bis"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["objekttyp"].choices = _object_type_choices()
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.layout = Layout(Row(*(Column(name) for name in self.fields)))
        self.helper.add_input(Submit("", gettext_lazy("Filtern")))

    def clean(self):
        data = super().clean()
        if data.get("von") and data.get("bis") and data["von"] > data["bis"]:
            self.add_error("bis", _("Das Ende des Zeitraums liegt vor seinem Beginn."))
        return data


def _day_start(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def filtered_entries(form):
    """The entries the form asks for, newest first: all for an empty form, none for an invalid one."""
    qs = m.AuditEntry.objects.all()
    if form.is_bound and not form.is_valid():
        return qs.none()
    if form.is_bound:
        data = form.cleaned_data
        if data["benutzer"]:
            qs = qs.filter(username__iexact=data["benutzer"].strip())
        if data["aktion"]:
            qs = qs.filter(action=data["aktion"])
        if data["objekttyp"]:
            qs = qs.filter(object_type=data["objekttyp"])
        if data["von"]:
            qs = qs.filter(time__gte=_day_start(data["von"]))
        if data["bis"]:
            qs = qs.filter(time__lt=_day_start(data["bis"] + datetime.timedelta(days=1)))
    return qs.order_by("-time", "-id")


def _superuser_only(request):
    """None for a superuser's GET; 404 for everyone else (before the method check: a 405 would tell that the
    page exists), 405 for a superuser's POST."""
    if not access.can_read_audit_log(request.user):
        raise Http404(_("Seite nicht gefunden."))
    return read_only(request)


def _field_label(model, name):
    if model is None:
        return name
    try:
        return str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def _value(model, name, value):
    """A stored value as the log shows it: a number as the pages do ("25,5", not the stored "25.500")."""
    if model is None or value is None:
        return value
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return value
    return format_number(value) if isinstance(field, DecimalField) else value


def _model(label):
    try:
        return apps.get_model(label) if label else None
    except (LookupError, ValueError):
        return None


def change_rows(entry):
    """(field label, old, new) for the changes of an update, in the field's words."""
    model = _model(entry.object_type)
    changes = entry.changes if isinstance(entry.changes, dict) else {}
    rows = []
    for name, values in changes.items():
        old, new = (list(values) + [None, None])[:2] if isinstance(values, (list, tuple)) else (None, values)
        rows.append((_field_label(model, name), _value(model, name, old), _value(model, name, new)))
    return rows


@urlpatterns.route("verwaltung/protokoll/")
def audit_log(request):
    if refused := _superuser_only(request):
        return refused
    form = AuditFilterForm(request.GET or None)
    page = Paginator(filtered_entries(form), PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in page:
        entry.change_rows = change_rows(entry)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/log.html", {"form": form, "page": page, "query": query.urlencode()})


def _csv_text(value):
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


class _Echo:
    def write(self, value):
        return value


def _csv_rows(entries):
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    # UTF-8 with BOM, ";" and CRLF: what a German Excel opens without an import dialogue.
    yield "\ufeff" + writer.writerow([
        _("Zeitpunkt"), _("Benutzername"), _("Aktion"), _("Objekttyp"), _("Objekt-ID"), _("Objekt"),
        _("Änderungen"), _("IP-Adresse"), _("Pfad"),
    ])
    actions = dict(m.AuditEntry.Action.choices)
    for entry in entries.iterator(chunk_size=CSV_CHUNK):
        changes = "; ".join(f"{label}: {old} → {new}" for label, old, new in change_rows(entry))
        yield writer.writerow([_csv_text(v) for v in (
            timezone.localtime(entry.time).isoformat(timespec="seconds"), entry.username,
            actions.get(entry.action, entry.action), entry.object_type_label, entry.object_id, entry.object_repr,
            changes, entry.ip_address, entry.path,
        )])


@urlpatterns.route("verwaltung/protokoll/export.csv")
def audit_log_csv(request):
    if refused := _superuser_only(request):
        return refused
    form = AuditFilterForm(request.GET or None)
    response = StreamingHttpResponse(_csv_rows(filtered_entries(form)), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="protokoll-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
