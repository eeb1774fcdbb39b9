"""The user's notification settings, the unsubscribe link of the mails, and the language switch that also keeps
the choice for the mails."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from agreements.views.base import posted

from . import kinds, services, tokens
from .forms import SettingsForm


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def notification_settings(request):
    language, modes = services.settings_of(request.user)
    form = SettingsForm(posted(request), initial=SettingsForm.initial_for(language, modes))
    if request.method == "POST" and form.is_valid():
        services.save_settings(request.user, language=form.cleaned_data["language"], modes=form.modes())
        messages.success(request, _("Ihre Einstellungen wurden gespeichert."))
        return redirect("notification_settings")
    return render(request, "notifications/settings.html", {"form": form, "has_address": bool(request.user.email)})


def _token_user(token):
    """The user and kind a valid token names; 404 for a changed, made-up or outdated link."""
    found = tokens.read(token)
    user = get_user_model().objects.filter(pk=found[0]).first() if found else None
    if user is None:
        raise Http404(_("Dieser Abbestell-Link ist ungültig."))
    return user, found[1]


# No login and no CSRF token: mail programs unsubscribe with a POST to this address on their own (RFC 8058 one-click);
# the signed token is the authorisation. A GET (which mail programs and scanners fetch ahead) only asks.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def notification_unsubscribe(request, token):
    user, kind = _token_user(token)
    context = {"kind_label": kinds.label(kind), "digest": kind == kinds.DIGEST}
    if request.method != "POST":
        context["labels"] = [kinds.label(code) for code in services.unsubscribed_kinds(user, kind)]
        return render(request, "notifications/unsubscribe.html", context)
    turned_off = services.unsubscribe(user, kind)
    context["labels"] = [kinds.label(code) for code in turned_off]
    return render(request, "notifications/unsubscribed.html", context)


def set_language(request):
    """Django's language switch (the cookie), and for a logged-in user the same choice for the mails."""
    response = i18n.set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        services.set_language(request.user, request.POST.get("language", ""))
    return response
