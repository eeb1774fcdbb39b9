"""The checklist of a follow-on agreement: every passage it copied, with the year references the copy moved or
kept, ticked off by the party am Zug before the first Fassung is sent (services.follow_on)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from agreements.policy import access
from agreements.text import years

from .. import models as m
from ..forms.follow_on import PassageReviewForm
from ..services import follow_on as svc
from .base import Routes, agreement_context, not_open, posted, run_service

urlpatterns = Routes()

FIELD_LABELS = {
    "title": gettext_lazy("Titel"), "heading": gettext_lazy("Überschrift"), "text": gettext_lazy("Text"),
    "preamble": gettext_lazy("Präambel"), "legal_basis_note": gettext_lazy("weitere Rechtsgrundlagen"),
}
K = m.CopiedPassage.Kind


def _edit_url(agreement, passage):
    """Where the passage is edited now (only shown to whoever may write the text)."""
    if passage.section_id:
        return reverse("section_edit", args=[agreement.pk, passage.section_id])
    if passage.goal_id:
        return reverse("goal_edit", args=[agreement.pk, passage.goal_id])
    if passage.offer_id:
        return reverse("offer_edit", args=[agreement.pk, passage.offer_id])
    return reverse("agreement_edit", args=[agreement.pk])


def _reference(ref):
    return {**ref, "moved": ref.get("old") != ref.get("new"), "reason": years.RULES.get(ref.get("rule"), "")}


def _shown(agreement, passage, can_write):
    """The passage as the page shows it: each copied field with its year references marked."""
    references = [_reference(r) for r in passage.year_references if isinstance(r, dict)]
    fields = []
    for item in passage.content:
        text = item.get("text") or ""
        if not text:
            continue
        own = [r for r in references if r.get("field") == item.get("field")]
        fields.append({"label": FIELD_LABELS.get(item.get("field"), item.get("field")),
                       "pieces": years.marked(text, own)})
    return {
        "passage": passage, "fields": fields,
        "moved": [r for r in references if r["moved"]], "kept": [r for r in references if not r["moved"]],
        "edit_url": _edit_url(agreement, passage) if can_write else None,
    }


@urlpatterns.route("vereinbarungen/<int:pk>/pruefliste/")
def follow_on_review(request, pk):
    """The checklist: readable by everybody who reads the agreement; the party am Zug ticks passages off."""
    agreement = access.agreement_for(request.user, pk, write=request.method == "POST")
    if request.method == "POST" and (refused := not_open(request, agreement, "write", "follow_on_review")):
        return refused
    passages = list(agreement.copied_passages.select_related("reviewed_by").order_by("order", "id"))
    context = agreement_context(request, agreement, "agreement_detail")
    form = None
    if context["can_write_text"] and any(not p.is_reviewed for p in passages):
        form = PassageReviewForm(posted(request), passages=passages)
    elif request.method == "POST":
        messages.info(request, _("Alle übernommenen Passagen sind bereits geprüft."))
        return redirect("follow_on_review", pk=pk)
    if request.method == "POST" and form.is_valid():
        marked = run_service(request, form, lambda: svc.review_passages(
            user=request.user, agreement=agreement, passage_ids=form.cleaned_data["passages"]))
        if marked is not None:
            if marked:
                messages.success(request, ngettext("%(count)s Passage wurde als geprüft markiert.",
                                                   "%(count)s Passagen wurden als geprüft markiert.", marked)
                                 % {"count": marked})
            else:
                messages.info(request, _("Die gewählten Passagen waren bereits als geprüft markiert."))
            return redirect("follow_on_review", pk=pk)
    open_count = sum(1 for p in passages if not p.is_reviewed)
    context.update({
        "passages": [_shown(agreement, p, context["can_write_text"]) for p in passages],
        "open_count": open_count, "total": len(passages), "form": form,
        # What the author had ticked, kept when the form comes back with an error.
        "checked": set(request.POST.getlist("passages")) if request.method == "POST" else set(),
    })
    return render(request, "agreements/follow_on_review.html", context)
