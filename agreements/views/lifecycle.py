"""Lifecycle actions on an agreement (abstimmen, unterzeichnen, …) and the reviews tab."""

from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.policy import access
from agreements.services.transitions import accepting_party_id, latest_version

from .. import models as m
from ..forms.base import submit_once
from ..forms.lifecycle import AgreeForm, AssessmentForm, ReasonForm, ReviewForm, SignatureForm
from ..services import lifecycle as svc
from ..services import signing
from .base import (
    Confirmation,
    Routes,
    agreement_context,
    agreement_tab,
    ask_first,
    form_page,
    not_open,
    once,
    once_button,
    post_only,
    posted,
    run_action,
    run_service,
)

urlpatterns = Routes()


def _with_parties():
    return m.Agreement.objects.prefetch_related(
        Prefetch("agreement_parties", queryset=m.AgreementParty.objects.select_related("party")))


def _action_page(request, agreement, form, title, intro=""):
    return form_page(request, form, agreement, title, reverse("agreement_detail", args=[agreement.pk]), intro)


def _agree_confirmation(request, agreement, version):
    """What accepting does: which party accepts which Fassung, and whether that makes the text agreed."""
    parties = [ap.party for ap in agreement.agreement_parties.all()]
    accepting = accepting_party_id(request.user, agreement, version)
    accepted = set(version.acceptances.values_list("party_id", flat=True))
    missing = [p for p in parties if p.pk not in accepted | {version.author_party_id, accepting}]
    facts = {"number": version.number, "author": version.author_party.name,
             "party": next(p.name for p in parties if p.pk == accepting),
             "date": formats.date_format(timezone.localtime(version.sent_at), "SHORT_DATE_FORMAT")}
    consequences = [
        _("%(party)s nimmt Fassung %(number)s an, die %(author)s am %(date)s übersandt hat, genau so, wie sie "
          "übersandt wurde.") % facts,
        _("Damit ist der Text abgestimmt: Fassung %(number)s wird unverändert als Endfassung festgehalten, unter "
          "der nächsten Nummer der Fassungen. Sie wird danach nur noch unterzeichnet, nicht mehr geändert; die "
          "Abstimmung lässt sich nur aufheben, solange niemand unterzeichnet hat.") % facts if not missing else
        _("Abgestimmt ist der Text erst, wenn auch %(parties)s Fassung %(number)s angenommen hat.")
        % {**facts, "parties": svc.party_names(missing)},
        _("Die Annahme wird mit Ihrem Namen und der Uhrzeit im Verfahren vermerkt und kann nicht zurückgenommen "
          "werden."),
    ]
    return Confirmation(
        title=_("Fassung %(number)s annehmen") % facts, consequences=tuple(consequences),
        submit=_("Fassung verbindlich annehmen"), back_url=reverse("agreement_detail", args=[agreement.pk]),
        subject=agreement.title,
    )


@urlpatterns.route("vereinbarungen/<int:pk>/abstimmen/")
def agreement_agree(request, pk):
    """The acceptance is its own confirmation step: the page says what accepting does, and only its confirming
    POST accepts (a POST without the confirmation is asked first, like every irreversible action)."""
    agreement = access.agreement_for(request.user, pk, write=True, queryset=_with_parties())
    if refused := not_open(request, agreement, "agree"):
        return refused
    version = latest_version(agreement)
    form = AgreeForm(posted(request))
    if request.method == "POST" and not form.is_valid():
        return _action_page(request, agreement, form, _("Fassung %(number)s annehmen") % {"number": version.number})
    if asked := ask_first(request, lambda: _agree_confirmation(request, agreement, version), form=form,
                          show=("note",)):
        return asked
    if run_service(request, form, lambda: svc.agree(user=request.user, agreement=agreement,
                                                     note=form.cleaned_data["note"])):
        agreement.refresh_from_db(fields=["status"])
        final = agreement.versions.order_by("-number").first()  # the Endfassung, when the text is agreed now
        messages.success(request, _("Der Text ist abgestimmt: Fassung %(number)s ist unverändert als Endfassung "
                                    "(Fassung %(final)s) festgehalten.")
                         % {"number": version.number, "final": final.number} if agreement.is_frozen else
                         _("Ihre Stelle hat Fassung %(number)s angenommen; es fehlt noch die Annahme der "
                           "anderen Vereinbarungspartner.") % {"number": version.number})
        return redirect("agreement_detail", pk=pk)
    return _action_page(request, agreement, form, _("Fassung %(number)s annehmen") % {"number": version.number})


def _refuse_confirmation(request, agreement, form):
    party = m.Party.objects.get(pk=access.acting_party_id(request.user, agreement))
    return Confirmation(
        title=_("Unterzeichnung ablehnen?"),
        consequences=(
            _("%(party)s lehnt die Unterzeichnung der abgestimmten Zielvereinbarung ab. Begründung: „%(reason)s“")
            % {"party": party.name, "reason": form.cleaned_data["reason"].strip()},
            _("Die Zielvereinbarung erhält den Status „nicht unterzeichnet“: Sie kann danach von keiner Seite mehr "
              "unterzeichnet werden, und das lässt sich nicht rückgängig machen."),
        ),
        submit=_("Unterzeichnung endgültig ablehnen"), back_url=reverse("agreement_detail", args=[agreement.pk]),
        danger=True, subject=agreement.title,
    )


def _reason_view(action, service, title, success, confirmation=None):
    # Built at import time: title and success are lazy so that each request gets its own language.
    # confirmation(request, agreement, form): what the action does, for an action that asks first (ask_first).
    def view(request, pk):
        agreement = access.agreement_for(request.user, pk, write=True)
        if refused := not_open(request, agreement, action):
            return refused
        form = ReasonForm(posted(request), submit=title)
        if request.method == "POST" and form.is_valid():
            if confirmation and (asked := ask_first(
                    request, lambda: confirmation(request, agreement, form), form=form)):
                return asked
            if run_service(request, form, lambda: service(user=request.user, agreement=agreement,
                                                          reason=form.cleaned_data["reason"]),
                           success_message=success):
                return redirect("agreement_detail", pk=pk)
        return _action_page(request, agreement, form, title)

    view.__name__ = f"agreement_{action}"
    return view


agreement_reopen = _reason_view("reopen", svc.reopen, gettext_lazy("Abstimmung aufheben"),
                                gettext_lazy("Die Abstimmung wurde aufgehoben."))
urlpatterns.add("vereinbarungen/<int:pk>/abstimmung-aufheben/", agreement_reopen)
agreement_refuse = _reason_view("refuse", svc.refuse, gettext_lazy("Unterzeichnung ablehnen"),
                                gettext_lazy("Die Ablehnung der Unterzeichnung wurde erfasst."), _refuse_confirmation)
urlpatterns.add("vereinbarungen/<int:pk>/unterzeichnung-ablehnen/", agreement_refuse)
agreement_withdraw = _reason_view("withdraw", svc.withdraw, gettext_lazy("Zielvereinbarung zurückziehen"),
                                  gettext_lazy("Die Zielvereinbarung wurde zurückgezogen."))
urlpatterns.add("vereinbarungen/<int:pk>/zurueckziehen/", agreement_withdraw)


def _sign_confirmation(request, agreement, data, electronic):
    """Who signs for which party, where and when; whether it is the last signature (which stores the PDF)."""
    parties = [ap.party for ap in agreement.agreement_parties.all()]
    signed = {s.party_id for s in agreement.signatures.all()}
    party_id = next(pid for pid in access.acting_parties(request.user, agreement) if pid not in signed)
    person = data.get("person")
    missing = [p for p in parties if p.pk not in signed | {party_id}]
    facts = {
        "party": next(p.name for p in parties if p.pk == party_id),
        "name": data.get("signatory_name") or (person.name if person else ""),
        "function": data.get("signatory_function") or (person.function if person else ""),
        "date": formats.date_format(data.get("date") or timezone.localdate(), "SHORT_DATE_FORMAT"),
        "place": data["place"],
    }
    if electronic:
        consequences = (
            _("Für %(party)s unterzeichnet %(name)s (%(function)s) jetzt elektronisch in %(place)s: Die Datei der "
              "Endfassung wird mit dem Signaturschlüssel von %(party)s signiert und mit einem Zeitstempel "
              "versehen.") % facts,
            _("Danach unterzeichnet %(parties)s in dieser Reihenfolge.") % {
                "parties": svc.party_names(missing)} if missing
            else _("Damit haben alle Vereinbarungspartner unterzeichnet: Die signierte Datei ist die unterzeichnete "
                   "Fassung der Zielvereinbarung."),
            _("Eine Signatur kann nicht zurückgenommen werden; die Abstimmung lässt sich danach nicht mehr "
              "aufheben, und der Text der Endfassung ist festgeschrieben."),
        )
    else:
        consequences = (
            _("Für %(party)s unterzeichnet %(name)s (%(function)s), am %(date)s in %(place)s.") % facts,
            _("Danach fehlt noch die Unterschrift von %(parties)s.") % {
                "parties": svc.party_names(missing)} if missing else
            _("Damit haben alle Vereinbarungspartner unterzeichnet: Die Zielvereinbarung ist unterzeichnet, und die "
              "Endfassung wird einmalig als PDF erzeugt und mit ihrer Prüfsumme gespeichert."),
            _("Die Unterschrift wird im Verfahren vermerkt und kann nicht zurückgenommen werden; die Abstimmung "
              "lässt sich danach nicht mehr aufheben."),
        )
    return Confirmation(
        title=_("Elektronisch unterzeichnen?") if electronic else _("Unterschrift erfassen?"),
        consequences=consequences,
        submit=_("Jetzt verbindlich elektronisch unterzeichnen") if electronic
        else _("Unterschrift verbindlich erfassen"),
        back_url=reverse("agreement_detail", args=[agreement.pk]), subject=agreement.title,
    )


@urlpatterns.route("vereinbarungen/<int:pk>/unterzeichnen/")
def agreement_sign(request, pk):
    agreement = access.agreement_for(request.user, pk, write=True, queryset=_with_parties().prefetch_related(
        "signatures"))
    if refused := not_open(request, agreement, "sign"):
        return refused
    # The people of the party the user signs for, the one the service records the signature for.
    people = m.Person.objects.filter(party_id=svc.signing_party_id(request.user, agreement)).order_by(
        "family_name", "given_name", "pk")
    electronic = signing.method_for(agreement) == signing.PADES
    form = SignatureForm(posted(request), people=people, electronic=electronic, agreed=svc.agreed_on(agreement))
    if request.method == "POST" and form.is_valid():
        if asked := ask_first(request, lambda: _sign_confirmation(request, agreement, form.cleaned_data, electronic),
                              form=form):
            return asked
        if run_service(request, form, lambda: svc.sign(user=request.user, agreement=agreement,
                                                        data=form.cleaned_data),
                       success_message=_("Die Zielvereinbarung wurde elektronisch unterzeichnet.") if electronic
                       else _("Die Unterschrift wurde erfasst.")):
            return redirect("agreement_detail", pk=pk)
    if electronic:
        return _action_page(request, agreement, form, _("Elektronisch unterzeichnen"), _(
            "Die Endfassung wird als PDF/A mit der elektronischen Signatur Ihrer Stelle und einem Zeitstempel "
            "versehen. Geben Sie an, wer für Ihre Stelle unterzeichnet und wo; Datum und Uhrzeit sind die des "
            "Zeitstempels."))
    return _action_page(request, agreement, form, _("Unterschrift erfassen"),
                        _("Erfassen Sie die Unterschrift Ihrer Stelle unter der abgestimmten Endfassung."))


def _post_action(action, service, success):
    def view(request, pk):
        agreement = access.agreement_for(request.user, pk, write=True)
        if refused := post_only(request):
            return refused
        run_action(request, lambda: service(user=request.user, agreement=agreement), success_message=success)
        return redirect("agreement_detail", pk=pk)

    view.__name__ = f"agreement_{action}"
    return view


agreement_start = _post_action("start", svc.start_implementation, gettext_lazy("Die Umsetzung hat begonnen."))
urlpatterns.add("vereinbarungen/<int:pk>/umsetzung-beginnen/", agreement_start)
agreement_close = _post_action("close", svc.close, gettext_lazy("Die Zielvereinbarung ist abgeschlossen."))
urlpatterns.add("vereinbarungen/<int:pk>/abschliessen/", agreement_close)


def _created(request, create, success_message):
    """run_action for a button that creates a record: the new record, or None when refused (with its message)."""
    result = {}
    ok = run_action(request, lambda: result.setdefault("new", create()), success_message=success_message)
    return result["new"] if ok else None


@urlpatterns.route("vereinbarungen/<int:pk>/nachtrag/")
def agreement_amend(request, pk):
    agreement = access.agreement_for(request.user, pk, write=True)
    if refused := post_only(request):
        return refused
    new = once_button(request, lambda: _created(request, lambda: svc.create_amendment(
        user=request.user, agreement=agreement), _("Der Nachtrag wurde als Entwurf angelegt.")))
    return redirect("agreement_detail", pk=new.pk if new else pk)


@urlpatterns.route(r"^vereinbarungen/(?P<pk>[0-9]+)/ableiten/(?P<kind>next_year|jobcenter)/$")
def agreement_derive(request, pk, kind):
    agreement = access.agreement_for(request.user, pk, write=True)
    if refused := post_only(request):
        return refused
    new = once_button(request, lambda: _created(request, lambda: svc.derive(
        user=request.user, agreement=agreement, kind=kind), _("Die Folgevereinbarung wurde als Entwurf angelegt.")))
    return redirect("agreement_detail", pk=new.pk if new else pk)


def _assessments_prefetch():
    return Prefetch("assessments", queryset=m.Assessment.objects.select_related("goal").order_by("goal__order",
                                                                                                 "goal_id"))


@urlpatterns.route("vereinbarungen/<int:pk>/nachhaltung/")
@agreement_tab("agreement_reviews", "agreements/reviews.html")
def agreement_reviews(request, agreement, context):
    return {
        "reviews": agreement.reviews.select_related("created_by").prefetch_related(_assessments_prefetch()),
        "predecessor_results": svc.predecessor_results(agreement),
        "can_review": "review" in svc.available_actions(request.user, agreement),
    }


@urlpatterns.route("vereinbarungen/<int:pk>/nachhaltung/neu/")
def review_add(request, pk):
    agreement = access.agreement_for(request.user, pk, write=True)
    if refused := not_open(request, agreement, "review", "agreement_reviews"):
        return refused
    goals = list(agreement.goals.select_related("indicator"))
    form = submit_once(ReviewForm(posted(request)))
    goal_forms = [AssessmentForm(posted(request), goal=g, prefix=f"goal-{g.pk}") for g in goals]
    if request.method == "POST" and form.is_valid() and all(f.is_valid() for f in goal_forms):
        assessments = [dict(f.cleaned_data, goal=f.goal) for f in goal_forms if f.cleaned_data.get("status")]
        if once(request, form, lambda: run_service(request, form, lambda: svc.record_review(
                user=request.user, agreement=agreement, data=form.cleaned_data, assessments=assessments),
                success_message=_("Die Zielnachhaltung wurde gespeichert."))):
            return redirect("agreement_reviews", pk=pk)
    return render(request, "agreements/review_form.html", agreement_context(
        request, agreement, "agreement_reviews", form=form, goal_forms=goal_forms,
    ))
