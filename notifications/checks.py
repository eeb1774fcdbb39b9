"""`manage.py check --deploy`: the settings a production server needs to send mail that works."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
NOT_DELIVERING = ("django.core.mail.backends.console.EmailBackend", "django.core.mail.backends.locmem.EmailBackend",
                  "django.core.mail.backends.dummy.EmailBackend", "django.core.mail.backends.filebased.EmailBackend")


@checks.register(checks.Tags.security, deploy=True)
def check_mail_settings(app_configs, **kwargs):
    found = []
    parts = urlsplit(settings.SITE_URL)
    if parts.hostname in LOCAL_HOSTS or parts.scheme != "https":
        found.append(checks.Warning(
            f"SITE_URL is {settings.SITE_URL!r}: the links in the mails would not reach the server.",
            hint="Set SITE_URL to the address users open, e.g. https://zielsteuerung.kreis.example.",
            id="notifications.W001"))
    if settings.EMAIL_BACKEND in NOT_DELIVERING:
        found.append(checks.Warning(
            f"EMAIL_BACKEND is {settings.EMAIL_BACKEND}: no mail leaves the server.",
            hint="Leave EMAIL_BACKEND unset (SMTP) and set EMAIL_HOST and friends.", id="notifications.W002"))
    return found
