"""The ministry's overview across all counties (status board, comparison) and the table downloads.

The pages work for every user: the numbers are computed over the agreements the user may see
(services.overview), so a county sees its own row and the ministry all counties.
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from agreements.policy import access
from agreements.transfer.exports import FORMATS, export_response

from .. import models as m
from ..forms import AgreementFilterForm
from ..services import overview as svc
from .base import Routes

urlpatterns = Routes()

MIN_YEAR, MAX_YEAR = 2005, 2100
COMPARISON_TABLES = ("goals", "offers", "proposals", "achievement")
EXPORT_TABLES = ("board", *COMPARISON_TABLES)
FILENAMES = {
    "board": _("Statustafel"),
    "goals": _("Zielvergleich"),
    "offers": _("Unterstützungsangebote"),
    "proposals": _("Vorschläge"),
    "achievement": _("Zielerreichung"),
}
# Bootstrap badge per status; one colour per phase of the lifecycle.
STATUS_BADGES = {
    m.Agreement.Status.DRAFT: "text-bg-light border",
    m.Agreement.Status.NEGOTIATION: "text-bg-warning",
    m.Agreement.Status.AGREED: "text-bg-info",
    m.Agreement.Status.SIGNED: "text-bg-success",
    m.Agreement.Status.IN_EFFECT: "text-bg-success",
    m.Agreement.Status.EVALUATED: "text-bg-primary",
    m.Agreement.Status.CLOSED: "text-bg-secondary",
    m.Agreement.Status.WITHDRAWN: "text-bg-danger",
    m.Agreement.Status.NOT_SIGNED: "text-bg-danger",
}


def _year_field(label):
    return forms.IntegerField(label=label, required=False, min_value=MIN_YEAR, max_value=MAX_YEAR)


class OverviewFilterForm(forms.Form):
    form = forms.ChoiceField(
        label=_("Form des Jobcenters"), required=False,
        choices=[("", _("alle")), *m.Party.JobcenterForm.choices, (svc.FORM_NOT_RECORDED, _("nicht erfasst"))],
    )
    region = forms.ChoiceField(
        label=_("Regierungsbezirk"), required=False, choices=[("", _("alle")), *m.Party.Region.choices],
    )
    year_fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.layout = Layout(Row(*(Column(f) for f in (*self.year_fields, "form", "region"))))
        self.helper.add_input(Submit("", _("Anzeigen")))

    def filters(self):
        """The valid filter values; an invalid field is left out (and shown as an error), never a 500."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class BoardFilterForm(OverviewFilterForm):
    year_from = _year_field(_("von Jahr"))
    year_to = _year_field(_("bis Jahr"))
    year_fields = ("year_from", "year_to")

    def clean(self):
        data = super().clean()
        first, last = data.get("year_from"), data.get("year_to")
        if first and last:
            if first > last:
                self.add_error("year_to", _("Das Endjahr liegt vor dem Anfangsjahr."))
            elif last - first + 1 > svc.MAX_YEARS:
                self.add_error("year_to", _("Bitte höchstens %(n)s Jahre auf einmal anzeigen.") % {"n": svc.MAX_YEARS})
        return data


class CompareFilterForm(OverviewFilterForm):
    year = _year_field(_("Jahr"))
    year_fields = ("year",)


def _year_range(filters, years):
    """The board's columns: the filter's years, completed from the default (the last years with agreements)."""
    this_year = timezone.localdate().year
    default_first, default_last = svc.default_year_range(years) or (this_year - svc.DEFAULT_YEAR_COUNT + 1,
                                                                      this_year)
    first, last = filters.get("year_from"), filters.get("year_to")
    if first is None and last is None:
        return default_first, default_last
    if last is None:
        last = min(max(first, default_last), first + svc.MAX_YEARS - 1)
    if first is None:
        first = max(min(last, default_first), last - svc.MAX_YEARS + 1)
    return first, last


def _board(request, form):
    filters = form.filters()
    years = svc.agreement_years(request.user)
    first, last = _year_range(filters, years)
    board = svc.board(request.user, first_year=first, last_year=last,
                      form=filters.get("form", ""), region=filters.get("region", ""))
    return board, years, (first, last)


def _scope(request, form):
    filters = form.filters()
    years = svc.agreement_years(request.user)
    year = filters.get("year") or (years[0] if years else timezone.localdate().year)
    scope = svc.compare_scope(request.user, year=year, form=filters.get("form", ""),
                              region=filters.get("region", ""))
    return scope, years


def _base_context(request, active, years):
    return {
        "active": active,
        "years_with_agreements": sorted(years),
        # Without a membership nothing is visible; the page says why instead of showing an empty table.
        "has_scope": request.user.is_superuser or bool(access.party_ids(request.user)),
        "query": request.GET.urlencode(),
        "formats": list(FORMATS),
    }


@urlpatterns.route(r"^uebersicht/tafel/$")
@require_safe
def overview_board(request):
    form = BoardFilterForm(request.GET or None)
    board, years, (first, last) = _board(request, form)
    # The status labels translated once per page: get_status_display() hashes every lazy label of the choices
    # for each call, which took most of the page's time with 500 agreements on the board.
    labels = {value: str(label) for value, label in m.Agreement.Status.choices}
    for row in board.rows:
        for cell in row.cells:
            for agreement in cell:
                agreement.badge = STATUS_BADGES.get(agreement.status, "text-bg-light")
                agreement.status_label = labels.get(agreement.status, agreement.status)
    status_counts = [
        {"label": label, "count": board.status_counts[value], "badge": STATUS_BADGES.get(value)}
        for value, label in m.Agreement.Status.choices if board.status_counts.get(value)
    ]
    return render(request, "overview/board.html", {
        **_base_context(request, "board", years),
        "form": form, "board": board, "first_year": first, "last_year": last, "status_counts": status_counts,
        "column_count": len(board.years) + 2,
    })


@urlpatterns.route(r"^uebersicht/vergleich/$")
@require_safe
def overview_compare(request):
    form = CompareFilterForm(request.GET or None)
    scope, years = _scope(request, form)
    tables = svc.comparison_tables(scope)
    return render(request, "overview/compare.html", {
        **_base_context(request, "compare", years),
        "form": form, "scope": scope, "tables": [(name, tables[name]) for name in COMPARISON_TABLES],
        "county_count": len(scope.counties),
        "agreement_count": len(scope.agreement_ids),
    })


# Any name and extension reach the view, which answers 404 for unknown ones (after the login check).
@urlpatterns.route(r"^uebersicht/(?P<table>[a-z]+)\.(?P<fmt>[a-z0-9]+)$")
@require_safe
def overview_export(request, table, fmt):
    if table not in EXPORT_TABLES or fmt not in FORMATS:
        raise Http404(_("Diese Tabelle oder dieses Format gibt es nicht."))
    if table == "board":
        board, _years, (first, last) = _board(request, BoardFilterForm(request.GET or None))
        data = svc.board_table(board)
        period = str(first) if first == last else f"{first}-{last}"
    else:
        scope, _years = _scope(request, CompareFilterForm(request.GET or None))
        data = svc.comparison_tables(scope, only=table)[table]
        period = str(scope.year)
    return export_response(data, fmt, f"{FILENAMES[table]} {period}")


@urlpatterns.route(r"^vereinbarungen/export\.(?P<fmt>[a-z0-9]+)$")
@require_safe
def agreement_list_export(request, fmt):
    if fmt not in FORMATS:
        raise Http404(_("Dieses Format gibt es nicht."))
    form = AgreementFilterForm(request.GET or None)
    # Exactly like the list: its filters apply only when the whole filter form is valid.
    data = form.cleaned_data if form.is_valid() else {}
    filename = str(_("Zielvereinbarungen"))
    if data.get("year"):
        filename = f"{filename} {data['year']}"
    return export_response(svc.agreement_list_table(request.user, data), fmt, filename)

