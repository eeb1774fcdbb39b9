from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Benachrichtigungen")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The timeline's steps become notices (hooks), the daily digest and the sweep of mails join the schedule,
        # and the deployment check looks at the mail settings.
        from . import checks, digest, hooks  # noqa: F401
