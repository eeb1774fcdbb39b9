"""The notification settings page and the unsubscribe link: every URL of the app for every role of the cast, bad
input, a fixed number of queries, and tokens that were tampered with."""

import pytest
from django.urls import reverse

from notifications import kinds, services, tokens
from notifications import urls as notification_urls
from notifications.forms import PREFIX
from notifications.models import KindSetting, Mode, Preferences

from .builders_queries import count_queries
from .factories import ROLES

pytestmark = pytest.mark.django_db

LOGIN = (302, 302)
FORM = (200, 200)  # GET the form; the empty POST gets the form again, with its errors
PAGE = (200, 200)  # GET asks, POST does

# Per URL name, per role: (GET, empty POST). The settings are every logged-in user's own; the unsubscribe link needs
# no login (its token, the editor's here, is the authorisation), and its POST is a mail program's one click.
MATRIX = {
    "notification_settings": dict(dict.fromkeys(ROLES, FORM), anonymous=LOGIN),
    "notification_unsubscribe": dict.fromkeys(ROLES, PAGE),
}


def url_for(name, w):
    if name == "notification_unsubscribe":
        return reverse(name, args=[tokens.make(w.users.editor.pk, "fassung_received")])
    return reverse(name)


def test_every_url_has_an_entry():
    names = {p.name for p in notification_urls.urlpatterns}
    assert names == set(MATRIX)
    assert all(set(expected) == set(ROLES) for expected in MATRIX.values())


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", MATRIX)
def test_matrix(world, login, name, role):
    client = login(getattr(world.users, role))
    url = url_for(name, world)
    got = client.get(url)
    assert got.status_code == MATRIX[name][role][0], (name, role, "GET")
    if got.status_code == 302:
        assert got["Location"].startswith(reverse("login"))
    posted = client.post(url)
    assert posted.status_code == MATRIX[name][role][1], (name, role, "POST")
    if name == "notification_settings" and role != "anonymous":
        form = posted.context["form"]
        assert form.is_bound and form.errors


def valid_data(**changes):
    data = {"language": "de", **{PREFIX + code: Mode.IMMEDIATE for code in kinds.KINDS}}
    data.update(changes)
    return data


def test_it_saves_the_settings_of_the_user_only(world, login):
    client = login(world.users.reader)
    data = valid_data(language="en", **{PREFIX + "fassung_received": Mode.DIGEST, PREFIX + "meeting_papers": "nie"})
    response = client.post(reverse("notification_settings"), data)
    assert response.status_code == 302 and response["Location"] == reverse("notification_settings")
    language, modes = services.settings_of(world.users.reader)
    assert language == "en"
    assert modes["fassung_received"] == Mode.DIGEST and modes["meeting_papers"] == Mode.NEVER
    assert modes["proposal_decided"] == Mode.IMMEDIATE
    # Only what differs from "at once" keeps a row; nobody else's settings changed.
    assert KindSetting.objects.count() == 2
    assert Preferences.objects.get().user == world.users.reader
    page = client.get(reverse("notification_settings")).content.decode()
    assert 'value="taeglich" selected' in page


@pytest.mark.parametrize("bad", [
    {PREFIX + "fassung_received": "sofortt"},
    {PREFIX + "fassung_received": ""},
    {"language": "fr"},
    {PREFIX + "proposal_decided": "x" * 5000},
], ids=["unknown mode", "empty mode", "unknown language", "huge value"])
def test_it_answers_bad_input_with_a_form_error_and_stores_nothing(world, login, bad):
    client = login(world.users.editor)
    response = client.post(reverse("notification_settings"), valid_data(**bad))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Preferences.objects.exists() and not KindSetting.objects.exists()


def test_the_page_issues_a_fixed_number_of_queries(world, login):
    client = login(world.users.editor)
    url = reverse("notification_settings")
    none = count_queries(client, url)
    services.save_settings(world.users.editor, language="en",
                           modes=dict.fromkeys(kinds.KINDS, Mode.DIGEST))
    assert KindSetting.objects.count() == len(kinds.KINDS)
    assert count_queries(client, url) == none
    assert none <= 12


def test_it_says_when_the_account_has_no_address(world, login):
    page = login(world.users.editor).get(reverse("notification_settings")).content.decode()
    assert "keine E-Mail-Adresse hinterlegt" in page
    world.users.editor.email = "editor@example.org"
    world.users.editor.save()
    page = login(world.users.editor).get(reverse("notification_settings")).content.decode()
    assert "editor@example.org" in page


def tampered(token):
    """The token with one character of its signature changed."""
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


@pytest.mark.parametrize("make", [
    lambda w: tampered(tokens.make(w.users.editor.pk, "fassung_received")),
    # The ministry's user and kind under the signature of the editor's token.
    lambda w: (tokens.make(w.users.ministry.pk, "fassung_received").rsplit(":", 1)[0] + ":"
               + tokens.make(w.users.editor.pk, "fassung_received").rsplit(":", 1)[1]),
    lambda w: tokens.make(w.users.editor.pk, "no_such_kind"),
    lambda w: tokens.make(987654, "fassung_received"),
    lambda w: "not-a-token",
], ids=["changed signature", "changed user", "unknown kind", "unknown user", "garbage"])
def test_an_unsubscribe_link_that_was_tampered_with_is_refused(world, client, make):
    url = reverse("notification_unsubscribe", args=[make(world)])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert not KindSetting.objects.exists()


def test_a_get_of_the_unsubscribe_link_only_asks(world, client):
    url = reverse("notification_unsubscribe", args=[tokens.make(world.users.editor.pk, "signature_made")])
    page = client.get(url)
    assert page.status_code == 200 and "Unterschrift geleistet" in page.content.decode()
    assert services.settings_of(world.users.editor)[1]["signature_made"] == Mode.IMMEDIATE
    client.post(url)
    assert services.settings_of(world.users.editor)[1]["signature_made"] == Mode.NEVER
    # Another kind and another user are untouched.
    assert services.settings_of(world.users.editor)[1]["signature_refused"] == Mode.IMMEDIATE
    assert services.settings_of(world.users.ministry)[1]["signature_made"] == Mode.IMMEDIATE


def test_the_navigation_links_to_the_settings(world, login):
    page = login(world.users.committee).get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("notification_settings")}"' in page
