from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agreements.data.demo import DEMO_USERS, DemoDataError, load_demo
from agreements.management.base import TranslatedCommand, flag
from agreements.models import Agreement, ImmutableRecordError


class Command(TranslatedCommand):
    help = _(
        "Lädt den Demo-Fall des Kreises Mettmann (Zielvereinbarung 2012, Vorlage 50/015/2012) mit "
        "Demo-Benutzern. Mehrfaches Ausführen legt nichts doppelt an."
    )

    arguments = (
        flag("--force", _("Auch bei DEBUG=0 laden (Demo-Benutzer mit bekanntem Passwort!).")),
        flag("--if-empty", _("Nichts tun, wenn schon eine Zielvereinbarung gespeichert ist.")),
    )

    def handle(self, *args, force=False, if_empty=False, verbosity=1, **options):
        if not settings.DEBUG and not force:
            raise CommandError(gettext(
                "load_demo legt Benutzerkonten mit dem bekannten Passwort „demo“ an und läuft deshalb nur "
                "mit DEBUG=1: Eine Produktionsdatenbank darf keine Konten mit bekannten Passwörtern "
                "erhalten. Wer die Demodaten bewusst in eine Datenbank ohne DEBUG laden will, ruft den "
                "Befehl mit --force auf."
            ))
        if if_empty and Agreement.objects.exists():
            if verbosity >= 1:
                self.stdout.write(gettext(
                    "Es sind bereits Zielvereinbarungen gespeichert; die Demodaten werden nicht geladen "
                    "(--if-empty)."
                ))
                # `make run` promises the logins on every start, not only on the first.
                existing = set(get_user_model().objects.filter(
                    username__in=[u[0] for u in DEMO_USERS]).values_list("username", flat=True))
                self.write_logins([
                    {"username": u[0], "role": "", "password": gettext("demo (falls nicht geändert)")}
                    for u in DEMO_USERS if u[0] in existing
                ])
            return

        try:
            result = load_demo(stdout=self.stdout if verbosity >= 2 else None)
        except (DemoDataError, ImmutableRecordError) as error:
            # ImmutableRecordError: a demo value differs from a signed agreement's stored text, which no
            # loader may change; everything was rolled back.
            raise CommandError(str(error)) from error

        if verbosity < 1:
            return
        totals = {"created": 0, "changed": 0, "unchanged": 0}
        for counts in result["counts"].values():
            for key in totals:
                totals[key] += counts[key]
        summary = gettext("Demodaten: %(created)d angelegt, %(changed)d geändert, %(unchanged)d unverändert.")
        self.stdout.write(summary % totals)
        self.write_logins(result["logins"])

    def write_logins(self, logins):
        header = (gettext("Benutzername"), gettext("Rolle"), gettext("Passwort"))
        rows = [header, *((login["username"], login["role"], login["password"]) for login in logins)]
        widths = [max(len(str(row[i])) for row in rows) for i in range(3)]
        self.stdout.write("")
        self.stdout.write(gettext("Demo-Anmeldungen:"))
        for number, row in enumerate(rows):
            cells = (str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
            self.stdout.write("  ".join(cells).rstrip())
            if number == 0:
                self.stdout.write("  ".join("-" * width for width in widths))
