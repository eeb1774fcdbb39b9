"""An agreement's deadlines (the "Fristen" tab, setting, changing, closing them) and the user's calendar feed.

Whether the buttons are shown is decided by AGREEMENT's "deadline" (services.transitions), the rule the services
enter with: an editor of one of the agreement's parties, while the agreement runs.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from agreements.infra.errors import ConflictError
from agreements.policy import access

from .. import models as m
from ..forms.base import submit_once
from ..forms.deadlines import DeadlineForm
from ..services import calendar_feed
from ..services import deadlines as svc
from ..services.transitions import AGREEMENT
from .base import (
    Confirmation,
    Routes,
    agreement_tab,
    ask_first,
    form_page,
    not_open,
    once,
    post_only,
    posted,
    render_conflict,
    run_action,
    run_service,
)

urlpatterns = Routes()

TAB = "agreement_deadlines"
D = m.Deadline
CLOSING = {"erledigt": D.State.DONE, "entfallen": D.State.DROPPED}


def can_set_deadlines(user, agreement):
    return AGREEMENT.refusal(user, agreement, "deadline") is None


@urlpatterns.route("vereinbarungen/<int:pk>/fristen/")
@agreement_tab(TAB, "agreements/deadlines.html", columns=(
    gettext_lazy("fällig am"), gettext_lazy("Frist"), gettext_lazy("zuständige Stelle"), gettext_lazy("Stand"),
    gettext_lazy("Anmerkung")))
def agreement_deadlines(request, agreement, context):
    allowed = can_set_deadlines(request.user, agreement)
    today = timezone.localdate()
    entries = list(agreement.deadlines.select_related("owner", "closed_by").order_by("due", "pk"))
    for deadline in entries:
        deadline.overdue = deadline.is_open and deadline.due < today
    extra = {"entries": entries, "can_set_deadlines": allowed, "actions_column": allowed,
             "reminder_days": svc.reminder_working_days()}
    if allowed:
        extra["add_action"] = {"url": reverse("deadline_add", args=[agreement.pk]), "label": _("Frist setzen")}
    return extra


def _form(request, agreement, initial=None, kind=None):
    return DeadlineForm(posted(request), agreement=agreement, initial=initial, kind=kind)


@urlpatterns.route("vereinbarungen/<int:pk>/fristen/neu/")
def deadline_add(request, pk):
    agreement = access.agreement_for(request.user, pk, write=True)
    if refused := not_open(request, agreement, "deadline", TAB):
        return refused
    form = submit_once(_form(request, agreement, initial={"owner": svc.default_owner_id(agreement)}))
    if request.method == "POST" and form.is_valid():
        if once(request, form, lambda: run_service(request, form, lambda: svc.create_deadline(
                user=request.user, agreement=agreement, data=form.cleaned_data),
                success_message=_("Die Frist wurde gesetzt."))):
            return redirect(TAB, pk=agreement.pk)
    return form_page(request, form, agreement, _("Frist setzen"), reverse(TAB, args=[agreement.pk]),
                     _working_days_intro())


def _working_days_intro():
    days = svc.reminder_working_days()
    return ngettext(
        "Erinnert wird %(days)s Arbeitstag vor der Frist und danach einmal pro Woche, solange sie überschritten ist; "
        "Arbeitstage sind Montag bis Freitag außer den gesetzlichen Feiertagen in Nordrhein-Westfalen.",
        "Erinnert wird %(days)s Arbeitstage vor der Frist und danach einmal pro Woche, solange sie überschritten ist; "
        "Arbeitstage sind Montag bis Freitag außer den gesetzlichen Feiertagen in Nordrhein-Westfalen.", days,
    ) % {"days": days}


def _open_or_back(request, deadline):
    """None for an open deadline; for a closed one the way back to the tab, with the service's reason."""
    reason = svc.closed_reason(deadline)
    if reason is None:
        return None
    messages.error(request, reason)
    return redirect(TAB, pk=deadline.agreement_id)


@urlpatterns.route("vereinbarungen/<int:pk>/fristen/<int:deadline_pk>/")
def deadline_edit(request, pk, deadline_pk):
    deadline = access.deadline_for(request.user, deadline_pk, write=True, agreement_pk=pk)
    if refused := not_open(request, deadline.agreement, "deadline", TAB) or _open_or_back(request, deadline):
        return refused
    initial = {"kind": deadline.kind, "title": deadline.title, "due": deadline.due, "owner": deadline.owner_id,
               "note": deadline.note, "lock_version": deadline.lock_version}
    form = _form(request, deadline.agreement, initial, kind=deadline.kind)
    if request.method == "POST" and form.is_valid():
        try:
            done = run_service(request, form, lambda: svc.update_deadline(
                user=request.user, deadline=deadline, data=form.cleaned_data,
                lock_version=form.cleaned_data["lock_version"]), success_message=_("Die Frist wurde geändert."))
        except ConflictError as conflict:
            return render_conflict(request, form, conflict, request.path)
        if done:
            return redirect(TAB, pk=pk)
    return form_page(request, form, deadline.agreement, _("Frist ändern"), reverse(TAB, args=[pk]),
                     _working_days_intro())


@urlpatterns.route(r"^vereinbarungen/(?P<pk>[0-9]+)/fristen/(?P<deadline_pk>[0-9]+)/(?P<state>erledigt|entfallen)/$")
def deadline_close(request, pk, deadline_pk, state):
    deadline = access.deadline_for(request.user, deadline_pk, write=True, agreement_pk=pk)
    if refused := (post_only(request) or not_open(request, deadline.agreement, "deadline", TAB)
                   or _open_or_back(request, deadline)):
        return refused
    done = state == "erledigt"
    values = {"label": deadline.label, "date": formats.date_format(deadline.due, "SHORT_DATE_FORMAT"),
              "party": deadline.owner.name}
    if asked := ask_first(request, lambda: Confirmation(
            title=(_("Frist „%(label)s“ als erledigt markieren?") if done else _("Frist „%(label)s“ streichen?"))
            % values,
            consequences=(
                (_("Die am %(date)s fällige Frist von %(party)s gilt dann als erledigt.") if done else
                 _("Die am %(date)s fällige Frist von %(party)s entfällt.")) % values,
                _("Es wird nicht mehr an sie erinnert; der Verfahrensablauf verzeichnet den Schritt."),
                _("Das lässt sich nicht rückgängig machen; eine neue Frist kann jederzeit gesetzt werden."),
            ),
            submit=_("Als erledigt markieren") if done else _("Frist streichen"),
            back_url=reverse(TAB, args=[pk]), danger=not done, subject=deadline.agreement.title)):
        return asked
    run_action(request, lambda: svc.close_deadline(user=request.user, deadline=deadline, state=CLOSING[state]),
               success_message=_("Die Frist ist erledigt.") if done else _("Die Frist wurde gestrichen."))
    return redirect(TAB, pk=pk)


# --- The calendar feed ---------------------------------------------------------------------------------------

def _feed_url(request, feed):
    return request.build_absolute_uri(reverse("calendar_feed", args=[feed.token]))


@urlpatterns.route("konto/kalender/")
@require_safe
def calendar_settings(request):
    feed = calendar_feed.feed_of(request.user)
    return render(request, "account/calendar.html", {
        "feed_url": _feed_url(request, feed), "feed": feed, "reminder_days": svc.reminder_working_days(),
    })


@urlpatterns.route("konto/kalender/erneuern/")
def calendar_renew(request):
    if refused := post_only(request):
        return refused
    if asked := ask_first(request, Confirmation(
            title=_("Kalenderadresse erneuern?"),
            consequences=(
                _("Sie erhalten eine neue geheime Adresse für Ihren Kalender."),
                _("Die bisherige Adresse funktioniert ab sofort nicht mehr: Kalenderprogramme, die sie abonniert "
                  "haben, erhalten keine Termine mehr, bis Sie dort die neue Adresse eintragen."),
            ),
            submit=_("Adresse erneuern"), back_url=reverse("calendar_settings"), danger=True)):
        return asked
    calendar_feed.renew(request.user)
    messages.success(request, _("Die Kalenderadresse wurde erneuert; die bisherige gilt nicht mehr."))
    return redirect("calendar_settings")


# No login: calendar programs know only the address. The token is the secret; an unknown one is 404.
@urlpatterns.route(r"^kalender/(?P<token>[A-Za-z0-9_-]{1,64})\.ics$", name="calendar_feed", public=True)
@never_cache
@require_safe
def calendar_feed_view(request, token):
    user = calendar_feed.user_for_token(token)
    if user is None:
        raise Http404(_("Diesen Kalender gibt es nicht (mehr)."))
    body = calendar_feed.calendar(user, host=calendar_feed.site_host(request), absolute=request.build_absolute_uri)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="zielsteuerung.ics"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response

