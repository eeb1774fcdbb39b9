"""The base of the app's management commands: translatable help texts.

argparse formats `description` with regular expressions, which refuse Django's lazy translation proxies; the
help is turned into a plain string in the active language when the parser is built.
"""

from django.core.management.base import BaseCommand


class TranslatedCommand(BaseCommand):
    def create_parser(self, prog_name, subcommand, **kwargs):
        if self.help:
            self.help = str(self.help)
        return super().create_parser(prog_name, subcommand, **kwargs)
