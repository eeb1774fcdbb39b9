"""German pages show no English from Django itself: every string of the Django packages whose pages users see (the
admin, the accounts, the forms) has a German translation, Django's own or the project's supplement for what
Django's German catalogue lacks (zielsteuerung/django_locale). A newer Django with new strings fails here and names
them."""

from pathlib import Path

import django
import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import translation

from agreements.admin.users import permission_label

pytestmark = pytest.mark.django_db

DJANGO = Path(django.__file__).parent
SUPPLEMENT = Path(settings.BASE_DIR) / "zielsteuerung" / "django_locale" / "de" / "LC_MESSAGES"
PACKAGES = [("contrib/admin", "django"), ("contrib/admin", "djangojs"), ("contrib/auth", "django"),
            ("contrib/contenttypes", "django"), ("conf", "django")]


def _translated(catalogue):
    if not catalogue.exists():
        return set()
    return {(e.msgctxt, e.msgid) for e in polib.pofile(str(catalogue)) if e.translated() and not e.obsolete}


def _djangos_german(domain):
    """What Django's German catalogues translate, merged as Django merges them: for "django", Django's own and every
    installed Django app's; for "djangojs", the admin's (its JavaScript catalogue)."""
    if domain == "djangojs":
        return _translated(DJANGO / "contrib" / "admin" / "locale" / "de" / "LC_MESSAGES" / "djangojs.po")
    folders = [DJANGO / "conf"] + [Path(c.path) for c in apps.get_app_configs() if c.name.startswith("django.")]
    return set().union(*(_translated(f / "locale" / "de" / "LC_MESSAGES" / "django.po") for f in folders))


@pytest.mark.parametrize("package, domain", PACKAGES, ids=[f"{p}-{d}" for p, d in PACKAGES])
def test_every_string_of_django_shown_to_users_has_german(package, domain):
    locale = DJANGO / package / "locale"
    strings = {(e.msgctxt, e.msgid) for e in polib.pofile(str(locale / "en" / "LC_MESSAGES" / f"{domain}.po"))
               if not e.obsolete}
    missing = sorted(msgid for _ctx, msgid in strings - _djangos_german(domain) - _translated(
        SUPPLEMENT / f"{domain}.po"))
    assert not missing, f"German missing for Django's {package} ({domain}): {missing}"


def test_the_supplement_translates_only_what_django_lacks():
    """What Django's German catalogues have, the supplement leaves alone: it would silently win over Django's own
    (LOCALE_PATHS come first)."""
    for domain in ("django", "djangojs"):
        ours = _translated(SUPPLEMENT / f"{domain}.po")
        assert ours and not ours & _djangos_german(domain)


def test_the_admins_user_pages_and_filter_widget_speak_german(admin_client):
    with translation.override("de"):
        add = admin_client.get(reverse("admin:auth_user_add"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
        catalogue = admin_client.get(reverse("admin:jsi18n"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Nachdem Sie den Benutzer angelegt haben" in add and "After you’ve created a user" not in add
    assert "Anmeldung mit Passwort" in add and "Password-based authentication" not in add
    # The catalogue is JSON: non-ASCII letters come escaped.
    assert "Alle %s ausw\\u00e4hlen" in catalogue and "Markierte %s entfernen" in catalogue


def test_the_permission_choices_speak_the_readers_language(admin_client, admin_user):
    """Django stores permission names in English ("Can add …"); the user and group pages name the actions in the
    reader's language, with the apps' and models' own names (agreements.admin.users.permission_label)."""
    for url in (reverse("admin:auth_group_add"), reverse("admin:auth_user_change", args=[admin_user.pk])):
        german = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
        assert "Zielvereinbarungen | Fassung | ansehen" in german and "Gruppe | hinzufügen" in german
        for english in ("Can add", "Can view", "Tasks Database Backend", "access attempt expiration", "Task Result"):
            assert english not in german, english
        assert "Hintergrundaufgaben | Ergebnis einer Hintergrundaufgabe | löschen" in german
        assert "Sessions | Sitzung | ändern" in german  # Django's German for the app is "Sessions"
    permission = Permission.objects.get(codename="view_agreementversion")
    with translation.override("en"):
        assert permission_label(permission) == "Target agreements | Version | view"
