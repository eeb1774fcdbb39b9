"""Versions tab: the list of sent versions, one frozen version, the redline between two, sending a draft."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from agreements.policy import access
from agreements.text.redline import FIELD_LABELS, ITEM_FIELDS, compare_snapshots, display_value

from .. import models as m
from ..forms.versions import CURRENT, DraftSendForm, VersionCompareForm
from ..services import versions as svc
from .base import Routes, agreement_context, not_open, post_only, read_only, run_service

urlpatterns = Routes()

TAB = "agreement_versions"


def _number(value):
    """'12.5' → '12,5' in German; a value that is not a number is shown as stored."""
    try:
        return number_format(Decimal(str(value)), use_l10n=True)
    except (InvalidOperation, ValueError):
        return str(value)


# How snapshot codes are shown: choices of the models the snapshot was taken from, numbers localised.
CHOICE_LABELS = {
    "kind": dict(m.Goal.Kind.choices),
    "level": dict(m.Goal.Level.choices),
    "area": dict(m.Goal.Area.choices),
    "direction": dict(m.Goal.Direction.choices),
    "status": dict(m.SupportOffer.Status.choices),
    "role": dict(m.AgreementParty.Role.choices),
    "reference_value": _number,
    "corridor_low": _number,
    "corridor_high": _number,
    "target_value": _number,
}


def _agreement(request, pk, *, write=False):
    return access.agreement_for(
        request.user, pk, write=write,
        queryset=m.Agreement.objects.prefetch_related(Prefetch(
            "agreement_parties", queryset=m.AgreementParty.objects.select_related("party"))),
    )


def _versions(agreement):
    # The snapshot can be large and the list does not show it.
    return list(
        agreement.versions.select_related("author_party", "sent_by").defer("snapshot").order_by("number")
    )


def _compare_initial(versions):
    numbers = [v.number for v in versions]
    if len(numbers) >= 2:
        return {"a": str(numbers[-2]), "b": str(numbers[-1]), "mode": "inline"}
    if numbers:
        return {"a": str(numbers[-1]), "b": CURRENT, "mode": "inline"}
    return {"mode": "inline"}


def _versions_page(request, agreement, *, draft_form=None, status=200):
    versions = _versions(agreement)
    context = agreement_context(request, agreement, TAB, columns=(
        _("Nr."), _("Art"), _("übersandt von"), _("übersandt am"), _("übersandt durch"), _("Anmerkung"),
    ))
    compare_form = VersionCompareForm(
        initial=_compare_initial(versions), numbers=[v.number for v in versions],
        action=reverse("version_compare", args=[agreement.pk]),
    )
    if draft_form is None and context["can_write_text"]:  # the party "am Zug" sends (AGREEMENT's "send")
        draft_form = _draft_form(agreement)
    context.update({"entries": versions, "compare_form": compare_form, "draft_form": draft_form})
    return render(request, "agreements/versions.html", context, status=status)


@urlpatterns.route("vereinbarungen/<int:pk>/fassungen/")
def agreement_versions(request, pk):
    agreement = _agreement(request, pk)
    if refused := read_only(request):
        return refused
    return _versions_page(request, agreement)


def _draft_form(agreement, data=None):
    pen = agreement.pen_holder_id()
    parties = [ap.party for ap in agreement.agreement_parties.all()]
    after = parties.index(next(p for p in parties if p.pk == pen)) + 1 if pen else 0
    recipients = [p for p in parties[after:] + parties[:after] if p.pk != pen]  # the next one first
    return DraftSendForm(data, action=reverse("draft_send", args=[agreement.pk]), recipients=recipients)


@urlpatterns.route("vereinbarungen/<int:pk>/fassungen/senden/")
def draft_send(request, pk):
    agreement = _agreement(request, pk, write=True)
    if refused := post_only(request) or not_open(request, agreement, "send", TAB):
        return refused
    form = _draft_form(agreement, request.POST)
    if form.is_valid():
        version = run_service(
            request, form,
            lambda: svc.send_draft(user=request.user, agreement=agreement, note=form.cleaned_data["note"],
                                   to=form.cleaned_data.get("to")),
        )
        if version is not None:
            messages.success(request, _("Fassung %(number)s wurde übersandt.") % {"number": version.number})
            return redirect("agreement_versions", pk=pk)
    return _versions_page(request, agreement, draft_form=form, status=400)


def _facts(kind, item):
    """(label, value) of an item's filled fields, except its title and text, which the template shows."""
    rows = []
    for name in ITEM_FIELDS[kind]:
        if name in ("title", "heading", "text"):
            continue
        value = display_value(name, item.get(name), CHOICE_LABELS)
        if value:
            rows.append((FIELD_LABELS[name], value))
    return rows


def _readable(snapshot):
    """The snapshot prepared for display: codes as words, numbers localised."""
    snapshot = snapshot if isinstance(snapshot, dict) else {}
    return {
        "title": snapshot.get("title", ""),
        "year": snapshot.get("year"),
        "preamble": snapshot.get("preamble", ""),
        "legal_bases": snapshot.get("legal_bases") or [],
        "legal_basis_note": snapshot.get("legal_basis_note", ""),
        "parties": [
            {"name": p.get("name", ""), "role": display_value("role", p.get("role"), CHOICE_LABELS)}
            for p in snapshot.get("parties") or []
        ],
        "sections": [
            {"heading": s.get("heading", ""), "text": s.get("text", "")}
            for s in snapshot.get("sections") or []
        ],
        "goals": [
            {"title": g.get("title", ""), "text": g.get("text", ""), "facts": _facts("goals", g)}
            for g in snapshot.get("goals") or []
        ],
        "offers": [
            {"title": o.get("title", ""), "text": o.get("text", ""), "facts": _facts("offers", o)}
            for o in snapshot.get("offers") or []
        ],
    }


@urlpatterns.route("vereinbarungen/<int:pk>/fassungen/<int:number>/")
def version_detail(request, pk, number):
    agreement = _agreement(request, pk)
    if refused := read_only(request):
        return refused
    version = (
        agreement.versions.select_related("author_party", "sent_by").filter(number=number).first()
    )
    if version is None:
        raise Http404(_("Diese Fassung gibt es nicht."))
    numbers = list(agreement.versions.order_by("number").values_list("number", flat=True))
    previous = max((n for n in numbers if n < number), default=None)
    context = agreement_context(
        request, agreement, TAB, version=version, content=_readable(version.snapshot), previous=previous,
    )
    return render(request, "agreements/version_detail.html", context)


def _side_label(number):
    if number is None:
        return _("aktueller Arbeitsstand")
    return _("Fassung %(number)s") % {"number": number}


@urlpatterns.route("vereinbarungen/<int:pk>/fassungen/vergleich/")
def version_compare(request, pk):
    agreement = _agreement(request, pk)
    if refused := read_only(request):
        return refused
    numbers = list(agreement.versions.order_by("number").values_list("number", flat=True))
    form = VersionCompareForm(
        request.GET or None, numbers=numbers, action=reverse("version_compare", args=[pk]),
    )
    context = agreement_context(request, agreement, TAB, form=form, comparison=None)
    if not form.is_bound:
        return render(request, "agreements/version_compare.html", context)
    if not form.is_valid():
        # Missing, unknown or equal numbers: the form explains; nothing to compare.
        return render(request, "agreements/version_compare.html", context, status=400)
    a_number = form.to_number(form.cleaned_data["a"])
    b_number = form.to_number(form.cleaned_data["b"])
    wanted = [n for n in (a_number, b_number) if n is not None]
    found = {v.number: v for v in agreement.versions.select_related("author_party").filter(number__in=wanted)}
    current = svc.agreement_snapshot(agreement) if None in (a_number, b_number) else None

    def side(number):
        if number is None:
            return {"label": _side_label(None), "version": None, "snapshot": current}
        version = found[number]
        return {"label": _side_label(number), "version": version, "snapshot": version.snapshot}

    a, b = side(a_number), side(b_number)
    comparison = compare_snapshots(a["snapshot"], b["snapshot"], choice_labels=CHOICE_LABELS)
    context.update({
        "a": a, "b": b, "sides": [a, b], "mode": form.cleaned_data["mode"], "comparison": comparison,
        "general_changed": bool(
            comparison["fields"] or comparison["legal_bases"]["added"] or comparison["legal_bases"]["removed"]
            or any(p["status"] != "unchanged" for p in comparison["parties"])
        ),
        "groups": [
            (_("Abschnitte"), _("Abschnitt"), comparison["sections"]),
            (_("Ziele"), _("Ziel"), comparison["goals"]),
            (_("Unterstützungsangebote"), _("Unterstützungsangebot"), comparison["offers"]),
        ],
        "query_inline": f"a={form.cleaned_data['a']}&b={form.cleaned_data['b']}&mode=inline",
        "query_side": f"a={form.cleaned_data['a']}&b={form.cleaned_data['b']}&mode=side",
    })
    return render(request, "agreements/version_compare.html", context)
