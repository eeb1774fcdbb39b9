"""The base of the app's management commands: declared arguments and translatable help texts.

A command lists its arguments in `arguments`, each made by `argument(*names, **options)` (what
`parser.add_argument` takes) or `flag(name, help)` for an on/off switch.

argparse formats `description` with regular expressions, which refuse Django's lazy translation proxies; the
help is turned into a plain string in the active language when the parser is built.
"""

from django.core.management.base import BaseCommand


def argument(*names, **options):
    """One argument of a command, as `parser.add_argument(*names, **options)` takes it."""
    return names, options


def flag(name, help):
    """A switch that is off unless given."""
    return argument(name, action="store_true", help=help)


class TranslatedCommand(BaseCommand):
    arguments = ()

    def add_arguments(self, parser):
        for names, options in self.arguments:
            parser.add_argument(*names, **options)

    def create_parser(self, prog_name, subcommand, **kwargs):
        if self.help:
            self.help = str(self.help)
        return super().create_parser(prog_name, subcommand, **kwargs)
