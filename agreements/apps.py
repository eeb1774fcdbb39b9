from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class AgreementsConfig(AppConfig):
    name = "agreements"
    verbose_name = _("Zielvereinbarungen")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # The search index follows every save and delete of the searchable models.
        from agreements.infra import search

        search.connect_signals()
        # The audit log's receivers: logins, lockouts and every write (agreements/infra/audit.py).
        from agreements.infra import audit  # noqa: F401

        # Deadline reminders (services.reminders): their message kinds and the daily job, with the notifications app.
        if apps.is_installed("notifications"):
            from agreements.services import reminders

            reminders.register()
