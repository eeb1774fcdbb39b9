"""Versions tab: the list of sent versions, one frozen version, the redline between two, sending a draft."""

from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Max, Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from agreements.infra.errors import DomainError
from agreements.policy import access
from agreements.text.redline import FIELD_LABELS, ITEM_FIELDS, NUMBER_FIELDS, compare_snapshots, display_value

from .. import models as m
from ..forms.versions import CURRENT, MODES, DraftSendForm, VersionCompareForm
from ..services import follow_on
from ..services import versions as svc
from ..services.transitions import AGREEMENT
from .base import (
    Confirmation,
    Routes,
    agreement_context,
    ask_first,
    confirmed,
    not_open,
    post_only,
    read_only,
    run_service,
)

urlpatterns = Routes()

TAB = "agreement_versions"


# How snapshot codes are shown: choices of the models the snapshot was taken from. Numbers are formatted by
# redline.display_value ("25,5 %").
CHOICE_LABELS = {
    "kind": dict(m.Goal.Kind.choices),
    "level": dict(m.Goal.Level.choices),
    "area": dict(m.Goal.Area.choices),
    "direction": dict(m.Goal.Direction.choices),
    "status": dict(m.SupportOffer.Status.choices),
    "role": dict(m.AgreementParty.Role.choices),
}


def _agreement(request, pk, *, write=False):
    return access.agreement_for(
        request.user, pk, write=write,
        queryset=m.Agreement.objects.prefetch_related(Prefetch(
            "agreement_parties", queryset=m.AgreementParty.objects.select_related("party")))
        # The checklist's state, for the "send" guard (a follow-on is sent once its copied passages are reviewed).
        .annotate(**follow_on.passage_annotations()),
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
    # The party "am Zug" sends (AGREEMENT's "send"); a follow-on only once its copied passages are reviewed: the
    # page then says so, with the way to its checklist, instead of offering the form.
    send_refusal = AGREEMENT.state_refusal(request.user, agreement, "send") if context["can_write_text"] else None
    if draft_form is None and context["can_write_text"] and send_refusal is None:
        draft_form = _draft_form(agreement)
    context.update({"entries": versions, "compare_form": compare_form, "draft_form": draft_form,
                    "send_refusal": send_refusal})
    return render(request, "agreements/versions.html", context, status=status)


@urlpatterns.route("vereinbarungen/<int:pk>/fassungen/")
def agreement_versions(request, pk):
    agreement = _agreement(request, pk)
    if refused := read_only(request):
        return refused
    return _versions_page(request, agreement)


def _recipients(agreement):
    """The parties a Fassung goes to, the one after the party "am Zug" first (services.versions.next_pen_holder)."""
    pen = agreement.pen_holder_id()
    parties = [ap.party for ap in agreement.agreement_parties.all()]
    after = parties.index(next(p for p in parties if p.pk == pen)) + 1 if pen else 0
    return [p for p in parties[after:] + parties[:after] if p.pk != pen]


def _draft_form(agreement, data=None):
    return DraftSendForm(data, action=reverse("draft_send", args=[agreement.pk]), recipients=_recipients(agreement))


def _send_confirmation(agreement, form):
    """What sending does: the number of the new Fassung, who receives it, who is "am Zug" afterwards."""
    recipients = _recipients(agreement)
    pen = form.cleaned_data.get("to") or recipients[0]
    number = (agreement.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    consequences = [
        _("Fassung %(number)s wird an %(recipients)s übersandt: Der aktuelle Arbeitsstand wird als diese Fassung "
          "unveränderlich gespeichert.") % {"number": number, "recipients": ", ".join(p.name for p in recipients)},
        _("Danach ist %(party)s am Zug. Ihre Stelle kann den Text erst wieder bearbeiten, wenn sie eine Fassung "
          "zurückerhält; bis dahin kann sie Vorschläge einbringen.") % {"party": pen.name},
    ]
    if agreement.status == m.Agreement.Status.DRAFT:
        consequences.append(_("Die Zielvereinbarung ist damit „in Verhandlung“."))
    if form.cleaned_data["note"].strip():
        consequences.append(_("Anmerkung zur Übersendung: „%(note)s“") % {"note": form.cleaned_data["note"].strip()})
    return Confirmation(
        title=_("Fassung %(number)s übersenden?") % {"number": number}, consequences=tuple(consequences),
        submit=_("Fassung %(number)s übersenden") % {"number": number},
        back_url=reverse(TAB, args=[agreement.pk]), subject=agreement.title,
    )


def _nothing_new(request, agreement, form):
    """Whether the working text is still the last Fassung: said in the form before the question is asked (the
    confirming POST leaves it to the service, which checks it again under the row lock)."""
    if confirmed(request):
        return False
    try:
        svc.require_changed_since_last_version(agreement)
    except DomainError as exc:
        form.add_error(None, exc.message)
        return True
    return False


@urlpatterns.route("vereinbarungen/<int:pk>/fassungen/senden/")
def draft_send(request, pk):
    agreement = _agreement(request, pk, write=True)
    if refused := post_only(request) or not_open(request, agreement, "send", TAB):
        return refused
    form = _draft_form(agreement, request.POST)
    if form.is_valid() and not _nothing_new(request, agreement, form):
        if asked := ask_first(request, lambda: _send_confirmation(agreement, form), form=form):
            return asked
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
    """(label, value, quoted) of an item's filled fields, except its title and text, which the template shows;
    `quoted`: the value is record content as written (an indicator, a topic, a reason), not a choice or a number."""
    rows = []
    for name in ITEM_FIELDS[kind]:
        if name in ("title", "heading", "text"):
            continue
        value = display_value(name, item.get(name), CHOICE_LABELS, item.get("unit") or "")
        if value:
            rows.append((FIELD_LABELS[name], value, name not in CHOICE_LABELS and name not in NUMBER_FIELDS))
    return rows


def _readable(snapshot, notes=None):
    """The snapshot prepared for display: codes as words, numbers localised; `notes` ({(kind, index): text},
    see _notes) says what changed in an item against another Fassung."""
    snapshot = snapshot if isinstance(snapshot, dict) else {}
    notes = notes or {}

    def items(kind):
        return enumerate(snapshot.get(kind) or [])

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
            {"heading": s.get("heading", ""), "text": s.get("text", ""), "note": notes.get(("sections", i))}
            for i, s in items("sections")
        ],
        "goals": [
            {"title": g.get("title", ""), "text": g.get("text", ""), "facts": _facts("goals", g),
             "note": notes.get(("goals", i))}
            for i, g in items("goals")
        ],
        "offers": [
            {"title": o.get("title", ""), "text": o.get("text", ""), "facts": _facts("offers", o),
             "note": notes.get(("offers", i))}
            for i, o in items("offers")
        ],
    }


def _note(entry):
    """What changed in an item against the other side: "neu", "entfallen" or "geändert: Zielwert, Text"."""
    if entry["status"] == "changed":
        return f"{entry['status_label']}: {', '.join(str(label) for label in entry['changed_labels'])}"
    return str(entry["status_label"])


def _notes(comparison, mode):
    """{(kind, index in the shown snapshot): note} for the items of the side the `mode` view ("new" or "old")
    shows that are new, removed or changed against the other side."""
    position = "new_index" if mode == "new" else "old_index"
    return {
        (kind, entry[position]): _note(entry)
        for kind in ("sections", "goals", "offers")
        for entry in comparison[kind]
        if entry[position] is not None and entry["status"] != "unchanged"
    }


def _general_note(comparison):
    """The changed parts of the header (title, preamble, legal bases, parties) as one note, or None."""
    labels = [str(field["label"]) for field in comparison["fields"]]
    if comparison["legal_bases"]["added"] or comparison["legal_bases"]["removed"]:
        labels.append(_("Rechtsgrundlagen"))
    if any(p["status"] != "unchanged" for p in comparison["parties"]):
        labels.append(_("Vereinbarungspartner"))
    if not labels:
        return None
    return _("Allgemeine Angaben geändert: %(fields)s") % {"fields": ", ".join(labels)}


def _side_label(number):
    if number is None:
        return _("aktueller Arbeitsstand")
    return _("Fassung %(number)s") % {"number": number}


def _side(number, version=None, snapshot=None):
    return {"label": _side_label(number), "version": version,
            "snapshot": version.snapshot if version is not None else snapshot}


def _comparison(a, b, mode):
    """What the views of the sides `a` (old) and `b` (new) show in `mode`: the changes (inline or side by side),
    or one side's text alone with notes on what changed against the other."""
    comparison = compare_snapshots(a["snapshot"], b["snapshot"], choice_labels=CHOICE_LABELS)
    context = {
        "a": a, "b": b, "sides": [a, b], "mode": mode, "comparison": comparison,
        "general_changed": bool(
            comparison["fields"] or comparison["legal_bases"]["added"] or comparison["legal_bases"]["removed"]
            or any(p["status"] != "unchanged" for p in comparison["parties"])
        ),
        "groups": [
            (_("Abschnitte"), _("Abschnitt"), comparison["sections"]),
            (_("Ziele"), _("Ziel"), comparison["goals"]),
            (_("Unterstützungsangebote"), _("Unterstützungsangebot"), comparison["offers"]),
        ],
    }
    if mode in ("new", "old"):
        shown, other = (b, a) if mode == "new" else (a, b)
        context.update({
            "shown": shown, "other": other,
            "content": _readable(shown["snapshot"], _notes(comparison, mode)),
            "general_note": _general_note(comparison),
        })
    return context


def _mode_links(modes, current, href, a_label, b_label):
    """The navigation between the views of two sides: label, address and whether it is the one shown."""
    labels = {
        "inline": _("Änderungen im Text"),
        "side": _("Änderungen nebeneinander"),
        "new": _("nur neuer Text (%(label)s)") % {"label": b_label},
        "old": _("nur alter Text (%(label)s)") % {"label": a_label},
    }
    return [{"mode": mode, "label": labels[mode], "href": href(mode), "current": mode == current} for mode in modes]


# The version page shows the Fassung itself unless asked for another view.
DETAIL_MODE = "new"


@urlpatterns.route("vereinbarungen/<int:pk>/fassungen/<int:number>/")
def version_detail(request, pk, number):
    """One Fassung: its text, or its changes since the previous Fassung, or the previous Fassung's text
    (?mode=, the views of the compare page with this Fassung as the new side). An unknown view, or a comparison
    asked of the first Fassung, is bad input: 400 with the reason and the views there are."""
    agreement = _agreement(request, pk)
    if refused := read_only(request):
        return refused
    numbers = list(agreement.versions.order_by("number").values_list("number", flat=True))
    if number not in numbers:
        raise Http404(_("Diese Fassung gibt es nicht."))
    previous = max((n for n in numbers if n < number), default=None)
    found = {
        v.number: v for v in agreement.versions.select_related("author_party", "sent_by")
        .filter(number__in=[n for n in (number, previous) if n is not None])
    }
    version = found[number]
    modes = MODES if previous is not None else (DETAIL_MODE,)
    mode = request.GET.get("mode") or DETAIL_MODE
    base = reverse("version_detail", args=[pk, number])

    def href(view):
        return base if view == DETAIL_MODE else f"{base}?{urlencode({'mode': view})}"

    context = agreement_context(
        request, agreement, TAB, version=version, previous=previous, mode=mode, content=None, comparison=None,
        mode_links=_mode_links(modes, mode, href, _side_label(previous), _side_label(number)),
    )
    if mode not in modes:
        if mode in MODES:
            error = _("Fassung %(number)s ist die erste Fassung: Es gibt keine frühere, mit der sie verglichen "
                      "werden könnte.") % {"number": number}
        else:
            error = _("Die Darstellung „%(value)s“ gibt es nicht.") % {"value": mode}
        context["mode_error"] = error
        return render(request, "agreements/version_detail.html", context, status=400)
    if previous is None:
        context["content"] = _readable(version.snapshot)
    else:
        context.update(_comparison(_side(previous, found[previous]), _side(number, version), mode))
    return render(request, "agreements/version_detail.html", context)


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
        # Missing, unknown or equal numbers, an unknown view: the form explains; nothing to compare.
        return render(request, "agreements/version_compare.html", context, status=400)
    a_number = form.to_number(form.cleaned_data["a"])
    b_number = form.to_number(form.cleaned_data["b"])
    wanted = [n for n in (a_number, b_number) if n is not None]
    found = {v.number: v for v in agreement.versions.select_related("author_party").filter(number__in=wanted)}
    current = svc.agreement_snapshot(agreement) if None in (a_number, b_number) else None

    def side(number):
        return _side(None, snapshot=current) if number is None else _side(number, found[number])

    a, b = side(a_number), side(b_number)
    mode = form.cleaned_data["mode"]

    def href(view):
        return "?" + urlencode({"a": form.cleaned_data["a"], "b": form.cleaned_data["b"], "mode": view})

    context.update(_comparison(a, b, mode))
    context["mode_links"] = _mode_links(MODES, mode, href, a["label"], b["label"])
    return render(request, "agreements/version_compare.html", context)
