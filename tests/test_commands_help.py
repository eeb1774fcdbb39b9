"""Every management command of the app prints its help in German and in English (the help texts are
translatable; argparse needs them as plain strings, agreements.management.base turns them into ones)."""

import pytest
from django.core.management import get_commands, load_command_class
from django.utils import translation

APP_COMMANDS = sorted(name for name, app in get_commands().items() if app == "agreements")


def test_the_app_has_its_commands():
    assert {"load_reference", "load_demo", "export_vorlage", "export_agreement", "import_agreement",
            "rebuild_search_index", "benchmark"} <= set(APP_COMMANDS)


@pytest.mark.parametrize("name", APP_COMMANDS)
@pytest.mark.parametrize("language", ["de", "en"])
def test_help_renders(name, language):
    with translation.override(language):
        command = load_command_class("agreements", name)
        text = command.create_parser("manage.py", name).format_help()
    assert f"manage.py {name}" in text
    assert str(command.help).split()[0] in text
