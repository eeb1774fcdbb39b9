"""`manage.py run_schedule`: run the periodic jobs that are due (notifications/schedule.py), each once per period
however many machines call it. A systemd timer calls it every five minutes (deploy/zielsteuerung-schedule.timer)."""

from django.utils.translation import gettext_lazy as _

from agreements.management.base import TranslatedCommand

from ... import schedule


class Command(TranslatedCommand):
    help = _("Führt die fälligen regelmäßigen Aufgaben aus (tägliche Zusammenfassung, Erinnerungen), jede einmal "
             "pro Zeitraum.")

    def handle(self, *args, **options):
        ran = schedule.run_due()
        for name, outcome in ran.items():
            self.stdout.write(f"{name}: {outcome}")
        if options["verbosity"] > 1 and not ran:
            self.stdout.write("nothing due")
