"""Small helpers shared by the view modules: URL routes, tab navigation, service calls, the conflict page."""

import datetime
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import models, transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, re_path, resolve, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from agreements.infra.errors import ConflictError, DomainError
from agreements.infra.uploads import UploadRejected
from agreements.text.numbers import format_number

from .. import models as m
from ..forms.base import REPEAT_FIELD, SUBMISSION_FIELD, new_submission_token, submit_once


class Routes(list):
    """A view module's URL patterns, each declared where its view is: `@urlpatterns.route("vorlagen/<int:pk>/")`
    above a view function, `urlpatterns.add(route, view)` for a view made by a factory.

    Every route asks for a login (login_required) unless it is `public` (or the module's Routes are): the one place
    that rule is applied. The URL name is the view's name unless `name` is given; a route starting with ^ is a
    regular expression. Patterns are tried in the order the views stand in the module.
    """

    def __init__(self, *, public=False):
        super().__init__()
        self.public = public

    def route(self, route, name=None, kwargs=None, *, public=False):
        def register(view):
            if not (public or self.public):
                view = login_required(view)
            make = re_path if route.startswith("^") else path
            self.append(make(route, view, kwargs, name=name or view.__name__))
            return view

        return register

    def add(self, route, view, name=None, kwargs=None, *, public=False):
        return self.route(route, name, kwargs, public=public)(view)


# (url name, label): the agreement page's tabs, each its own URL so every page stays small and fast.
AGREEMENT_TABS = (
    ("agreement_detail", _("Überblick")),
    ("agreement_goals", _("Ziele")),
    ("agreement_offers", _("Unterstützungsangebote")),
    ("agreement_versions", _("Fassungen")),
    ("agreement_proposals", _("Vorschläge")),
    ("agreement_statements", _("Stellungnahmen")),
    ("agreement_timeline", _("Verfahren")),
    # German uses one word for a letter and for letters; the tab lists them.
    ("agreement_letters", pgettext_lazy("plural", "Schreiben")),
    ("agreement_documents", _("Dokumente")),
    ("agreement_reviews", _("Zielnachhaltung")),
    ("agreement_deadlines", _("Fristen")),
    ("agreement_history", _("Historie")),
)


def _pen_holder(agreement):
    """The party "am Zug" while the text is open (shown on every tab), from the prefetched parties."""
    if agreement.is_frozen:
        return None
    pen = agreement.pen_holder_id()
    if pen is not None and agreement.pen_party_id == pen:
        return agreement.pen_party
    return m.Party.objects.filter(pk=pen).first()


def agreement_context(request, agreement, active, *, columns=(), add=None, row_actions=False, **extra):
    """Context every agreement tab needs; permissions are decided here (via access), never in templates.

    The tab's table (agreements/tab.html) has the column heads `columns`; `add` is its add button as (url name,
    label, permission), `row_actions` the permission under which its rows end in an actions column (True: always).
    A permission is a key of this context: "can_edit", "can_edit_content", "can_write_text" or "can_propose".
    """
    from agreements.policy import access
    from agreements.services.transitions import AGREEMENT

    can_edit = access.can_edit_agreement(request.user, agreement)
    open_now = [action for action in ("edit", "write", "propose")
                if can_edit and AGREEMENT.state_refusal(request.user, agreement, action) is None]
    context = {
        "agreement": agreement,
        "tabs": AGREEMENT_TABS,
        "active_tab": active,
        "tab_label": dict(AGREEMENT_TABS).get(active),
        "can_edit": can_edit,
        # Records around the text (statements, letters, documents): every editor while the text is open.
        "can_edit_content": "edit" in open_now,
        # The working text (header, sections, goals, offers): the party "am Zug" only; the others propose.
        "can_write_text": "write" in open_now,
        "can_propose": "propose" in open_now,
        "pen_holder": _pen_holder(agreement),
        "columns": columns,
    }
    context["actions_column"] = row_actions is True or bool(row_actions and context[row_actions])
    if add and context[add[2]]:
        context["add_action"] = {"url": reverse(add[0], args=[agreement.pk]), "label": add[1]}
    context.update(extra)
    return context


def agreement_tab(name, template, **table):
    """A tab of the agreement page (AGREEMENT_TABS): party members look at it, nobody posts to it.

    The decorated view takes (request, agreement, context) and returns what it adds to the tab's context; `table`
    describes the tab's table and add button (agreement_context).
    """

    def decorate(view):
        @wraps(view)
        def tab(request, pk):
            from agreements.policy import access

            agreement = access.agreement_for(request.user, pk)
            if refused := read_only(request):
                return refused
            context = agreement_context(request, agreement, name, **table)
            context.update(view(request, agreement, context))
            return render(request, template, context)

        return tab

    return decorate


def form_page(request, form, agreement, title, back_url, intro="", *, template="agreements/simple_form.html",
              **extra):
    """A form of the agreement on its own page (agreements/simple_form.html, or a template that extends it and
    shows `extra` before the form), with the way back."""
    return render(request, template, {
        "form": form, "agreement": agreement, "title": title, "back_url": back_url, "intro": intro, **extra,
    })


def posted(request):
    """Form data for binding. Not `request.POST or None`: an empty POST must still be validated and answered."""
    return request.POST if request.method == "POST" else None


def posted_files(request):
    """Uploaded files for binding, with posted(): only a POST binds the form."""
    return request.FILES if request.method == "POST" else None


def query_pk(value):
    """A primary key from a query parameter; Http404 for anything that is not one."""
    if not value.isdigit() or len(value) > 18:
        raise Http404
    return int(value)


def post_only(request):
    """405 for anything but POST, checked after the access helper: an outsider still gets 404, a reader 403."""
    return None if request.method == "POST" else not_allowed(request, ["POST"])


def read_only(request):
    return None if request.method in ("GET", "HEAD") else not_allowed(request, ["GET", "HEAD"])


def not_allowed(request, methods):
    """405 as a page: the address of a step (Freigeben, Unterzeichnen) opened as a page, from a bookmark or the
    address bar, says what it is and leads back to the record the step belongs to, the path one level up (every
    step's address is below its record's page), when that is a page of the app."""
    parent = request.path.rstrip("/").rsplit("/", 1)[0] + "/"
    try:
        resolve(parent)
    except Http404:
        parent = None
    response = render(request, "405.html", {"back_url": parent}, status=405)
    response["Allow"] = ", ".join(methods)
    return response


def _call_service(request, fn, refused, success_message):
    """The one way a view calls a service: (True, result), or (False, None) after refused(error) when the service
    refuses with a DomainError (nothing stored). The success message is shown only when it ran."""
    try:
        result = fn()
    except DomainError as exc:
        refused(exc)
        return False, None
    if success_message:
        messages.success(request, success_message)
    return True, result


def run_service(request, form, fn, *, success_message=None, file_field=None):
    """Call a service for a form; a DomainError becomes a form error. Returns the result or None.

    A refused upload (UploadRejected) is shown at `file_field` when given. A ConflictError is re-raised: the
    caller renders the conflict page with render_conflict().
    """

    def refused(exc):
        if isinstance(exc, ConflictError):
            raise exc
        at_file = file_field is not None and isinstance(exc, UploadRejected)
        form.add_error(file_field if at_file else None, exc.message)

    return _call_service(request, fn, refused, success_message)[1]


# How long an entry just created from a form counts as "just created" when the same content comes again from the
# form opened anew (the back button, then "send"): long enough for a look elsewhere and back.
REPEAT_WINDOW = datetime.timedelta(minutes=30)


def _fingerprint_value(value):
    if isinstance(value, models.Model):
        return [value._meta.label, value.pk]
    if isinstance(value, (list, tuple, set, frozenset)) or hasattr(value, "model"):  # a queryset of a multiple choice
        return sorted((_fingerprint_value(v) for v in value), key=str)
    if hasattr(value, "size") and hasattr(value, "name"):  # an uploaded file
        return ["file", value.name, value.size]
    return value if value is None or isinstance(value, (bool, int, str)) else str(value)


def fingerprint(form):
    """A SHA-256 of what the form says (its cleaned data but the tokens), or "" for a form that says nothing (a
    button: Nachtrag anlegen)."""
    data = {name: _fingerprint_value(value) for name, value in form.cleaned_data.items()
            if name not in (SUBMISSION_FIELD, REPEAT_FIELD)}
    if not data:
        return ""
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def once(request, form, save):
    """Save a create form (made with forms.base.submit_once) at most once per opening of the form.

    save() runs the service as the view would (usually through run_service) and returns the created record, or
    None when it was refused. The form's token is claimed in the same transaction: a second submission of the
    same form, even one arriving at the same moment, creates nothing and returns the record the first one created,
    with a message. A refused save leaves the token unused, so the corrected form can be sent again.

    The back button may bring the form back opened anew, with a new token and the browser's copy of what was typed:
    the same content from the same form within REPEAT_WINDOW of an entry it created is not saved but asked about;
    sending it again (it then carries REPEAT_FIELD) creates the second entry on purpose. A form whose service
    refuses the same content itself (`refuses_duplicates`: an open deadline is set once) is not asked about: the
    service's own refusal says it.
    """
    token = form.cleaned_data.get(SUBMISSION_FIELD) if SUBMISSION_FIELD in form.fields else None
    if not token:
        return save()
    content = fingerprint(form)
    with transaction.atomic():
        submission, earlier = m.FormSubmission.claim(user=request.user, token=token, path=request.path,
                                                     fingerprint=content)
        if earlier is not None:
            return _sent_before(request, form, earlier)
        if (form.cleaned_data.get(REPEAT_FIELD) != content and not getattr(form, "refuses_duplicates", False)
                and (alike := submission.recent_alike(since=timezone.now() - REPEAT_WINDOW))):
            transaction.set_rollback(True)  # the token stays unused: the form is sent again with it
            return _alike_before(form, alike, content)
        result = save()
        if not result:
            transaction.set_rollback(True)
            return result
        submission.record(result)
    return result


def once_button(request, save):
    """once() for a POST-only button that creates a record (Nachtrag anlegen, Folgevereinbarung): its form carries
    the token ({% submission_token %}); what a form would show above its fields becomes an error message."""
    form = submit_once(forms.Form(request.POST))
    form.is_valid()
    result = once(request, form, save)
    for error in form.non_field_errors():
        messages.error(request, error)
    return result


def _alike_before(form, alike, content):
    form.add_error(None, _("Einen Eintrag mit genau diesem Inhalt haben Sie über dieses Formular um %(time)s Uhr "
                           "bereits angelegt, vielleicht mit „Zurück“ und erneutem Absenden. Er wurde nicht noch "
                           "einmal angelegt. Wenn Sie einen zweiten, gleichlautenden Eintrag wollen, senden Sie das "
                           "Formular bitte noch einmal ab.") % {
        "time": formats.time_format(timezone.localtime(alike.created), "H:i")})
    form.data = form.data.copy()
    form.data[REPEAT_FIELD] = content
    return None


def _sent_before(request, form, earlier):
    obj = earlier.created_object() if earlier.path == request.path else None
    if obj is None:
        # The record was deleted since, or the token belongs to another form: say so, and let the user decide
        # to send this form (with a new token) deliberately.
        form.add_error(None, _("Dieses Formular wurde bereits abgeschickt. Prüfen Sie bitte, ob der Eintrag "
                               "gespeichert ist, bevor Sie es erneut absenden."))
        form.data = form.data.copy()
        form.data[SUBMISSION_FIELD] = new_submission_token()
        return None
    messages.info(request, _("Das Formular wurde mehrfach abgeschickt; der Eintrag ist bereits gespeichert und "
                             "wurde nicht noch einmal angelegt."))
    return obj


def not_open(request, agreement, action, back="agreement_detail"):
    """None when the agreement's `action` (services.transitions.AGREEMENT) is open for the user; otherwise the way
    back to the tab `back`, with the sentence the service would refuse with ("am Zug ist …", "abgestimmt …").

    A form for an action that is not open is neither shown nor processed; the service checks again under the row
    lock, so a race between this check and the write still ends in a refusal, never in a wrong state.
    """
    from agreements.services.transitions import AGREEMENT

    return refused_now(request, AGREEMENT, agreement, action, reverse(back, args=[agreement.pk]))


def refused_now(request, lifecycle, obj, action, back_url):
    """not_open() for any lifecycle of services.transitions (AGREEMENT, VORLAGE): None when `action` is open for
    the user; PermissionDenied (403) when the user may not act at all; otherwise the way back to `back_url` with
    the sentence the service would refuse with."""
    refusal = lifecycle.refusal(request.user, obj, action)
    if refusal is None:
        return None
    if refusal.forbidden:
        refusal.raise_it()
    messages.error(request, refusal_message(refusal))
    return redirect(back_url)


def refusal_message(refusal):
    """The refusal's sentence, with its link (to where the user can do what it asks) when it has one."""
    if not refusal.link:
        return str(refusal)
    return format_html('{} <a href="{}">{}</a>', refusal.reason, refusal.link, refusal.link_text)


def run_action(request, fn, *, success_message=None):
    """Call a service for a POST-only button; a DomainError becomes an error message. Returns True on success."""
    return _call_service(request, fn, lambda exc: messages.error(request, exc.message), success_message)[0]


# Irreversible actions ask first ------------------------------------------------------------------------------------

# The field that says "yes, do it": only a POST that carries it performs an irreversible action; it is sent by the
# confirmation page's form (templates/confirm.html), never by the form or button that starts the action.
CONFIRM_FIELD = "confirmed"
CONFIRM_VALUE = "yes"


@dataclass(frozen=True)
class Confirmation:
    """What the confirmation step of an irreversible action says: the question, what will happen (sentence by
    sentence, with the names and numbers of this case), the button that does it, and the way back. `danger` marks
    an action that removes or ends something; `subject` names what it acts on (the agreement's or Vorlage's
    title), shown under the question."""

    title: str
    consequences: tuple
    submit: str
    back_url: str
    danger: bool = False
    subject: str = ""


def deletion(title, deleting, submit, name, agreement, back_url, *, proposals=0):
    """The Confirmation of deleting an entry of the working text (a section, goal or offer) named `name`: `title`
    and `deleting` take it as %(title)s; `proposals` counts the proposals that refer to the entry."""
    consequences = [deleting % {"title": name}, _("Bereits übersandte Fassungen bleiben unverändert.")]
    if proposals:
        consequences.append(_("Vorschläge, die sich darauf beziehen (%(count)s), bleiben erhalten, verlieren aber "
                              "diesen Bezug.") % {"count": proposals})
    consequences.append(_("Das Löschen lässt sich nicht rückgängig machen."))
    return Confirmation(title=title % {"title": name}, consequences=tuple(consequences), submit=submit,
                        back_url=back_url, danger=True, subject=agreement.title)


def confirmed(request):
    """Whether the request is the confirming POST of the confirmation page."""
    return request.method == "POST" and request.POST.get(CONFIRM_FIELD) == CONFIRM_VALUE


def _carried(form, show):
    """(name, value) of what the form was posted with, for hidden fields: every field of the form (its tokens,
    submission_token and lock_version, included) except those shown for editing. Only the form's own fields: a
    value the form does not know is not echoed."""
    if form is None or not form.is_bound or not hasattr(form.data, "getlist"):
        return []
    return [(form.add_prefix(name), value) for name in form.fields if name not in show
            for value in form.data.getlist(form.add_prefix(name))]


def ask_first(request, confirmation, *, form=None, show=()):
    """The confirmation step of an irreversible action: None when this POST confirms it (the caller acts);
    otherwise the confirmation page (status 200), and nothing is done. `confirmation` is the Confirmation, or a
    function that makes it (called only when the page is shown).

    Call it where the action would run: after the action's own access and state check, so that whoever may not act
    gets the same refusal as for the action itself and is never asked, and after its form validated, so that bad
    input gets the form's errors first. The page posts back to the same URL with the posted values of `form` in
    hidden fields; the view validates them again, as for any POST. `show` names fields of the form that stay
    editable on the page (the note to an acceptance), rendered with their label.
    """
    if confirmed(request):
        return None
    if callable(confirmation):
        confirmation = confirmation()
    return render(request, "confirm.html", {
        "confirmation": confirmation,
        "carried": _carried(form, show),
        "shown": [form[name] for name in show] if form is not None else [],
        "confirm_field": CONFIRM_FIELD,
        "confirm_value": CONFIRM_VALUE,
    })


def _text(value):
    if value is None:
        return ""
    if isinstance(value, bool):  # a checkbox, e.g. a goal's confirmation against Goal.corridor_exception_confirmed
        return str(_("ja") if value else _("nein"))
    if isinstance(value, Decimal):  # "25,5", not the stored "25,500"
        return format_number(value)
    if isinstance(value, (float, int, datetime.date)):
        return str(formats.localize(value))
    if hasattr(value, "all"):  # a related manager
        value = list(value.all())
    if isinstance(value, (list, tuple, set)) or (hasattr(value, "__iter__") and not isinstance(value, str)):
        return ", ".join(sorted(str(v) for v in value))
    return str(value)


def render_conflict(request, form, conflict, back_url):
    """Show what changed since the user opened the form, next to what they submitted. Status 409."""
    current = conflict.current
    rows = []
    for name, field in form.fields.items():
        if name in ("lock_version", SUBMISSION_FIELD):
            continue
        mine = _text(form.cleaned_data.get(name))
        theirs = _text(getattr(current, name, None))
        display = getattr(current, f"get_{name}_display", None)
        choices = dict(getattr(field, "choices", []) or [])
        labelled = bool(choices) and not hasattr(field, "queryset")
        rows.append({
            "label": field.label,
            "mine": choices.get(form.cleaned_data.get(name), mine) if choices and not hasattr(field, "queryset")
            else mine,
            "theirs": str(display()) if display else theirs,
            "changed": mine != theirs,
            # What was written (a text, a title) is German record content; a choice's label is interface.
            "quoted": not labelled,
        })
    last = current.history.select_related("history_user").first() if hasattr(current, "history") else None
    return render(
        request,
        "agreements/conflict.html",
        {"rows": rows, "current": current, "last_change": last, "back_url": back_url},
        status=409,
    )
