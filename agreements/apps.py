from django.apps import AppConfig
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
