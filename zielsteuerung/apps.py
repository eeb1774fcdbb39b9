from django.contrib.staticfiles.apps import StaticFilesConfig as DjangoStaticFilesConfig
from django.utils.translation import gettext_lazy as _
from django_tasks.backends.database.apps import TasksAppConfig


class StaticFilesConfig(DjangoStaticFilesConfig):
    """django.contrib.staticfiles without what no page loads: the Bootstrap package ships source maps, right-to-left
    and partial builds next to bootstrap.min.css, and compressing them made collectstatic take seconds."""

    ignore_patterns = [
        *DjangoStaticFilesConfig.ignore_patterns, "*.map", "*.rtl.*", "bootstrap-grid*", "bootstrap-reboot*",
        "bootstrap-utilities*", "bootstrap.css",
    ]


class TasksDatabaseConfig(TasksAppConfig):
    """django-tasks' database backend under a name the admin can show in the reader's language (its own is an
    untranslated "Tasks Database Backend")."""

    verbose_name = _("Hintergrundaufgaben")
