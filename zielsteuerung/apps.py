from django.contrib.staticfiles.apps import StaticFilesConfig as DjangoStaticFilesConfig


class StaticFilesConfig(DjangoStaticFilesConfig):
    """django.contrib.staticfiles without what no page loads: the Bootstrap package ships source maps, right-to-left
    and partial builds next to bootstrap.min.css, and compressing them made collectstatic take seconds."""

    ignore_patterns = [
        *DjangoStaticFilesConfig.ignore_patterns, "*.map", "*.rtl.*", "bootstrap-grid*", "bootstrap-reboot*",
        "bootstrap-utilities*", "bootstrap.css",
    ]
