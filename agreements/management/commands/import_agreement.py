from django.core.management.base import CommandError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agreements.archive import ArchiveError, import_archive
from agreements.management.base import TranslatedCommand


class Command(TranslatedCommand):
    help = _(
        "Liest ein mit export_agreement geschriebenes Archiv ein. Prüfsummen und Manifest werden vor dem "
        "Schreiben geprüft; alles wird in einer Transaktion gespeichert."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help=_("ZIP-Archiv von export_agreement"))
        parser.add_argument(
            "--dry-run", action="store_true",
            help=_("Alles prüfen und probeweise einlesen, aber nichts speichern."),
        )
        parser.add_argument(
            "--as-copy", action="store_true",
            help=_("Als Kopie einlesen, auch wenn die Zielvereinbarung schon gespeichert ist: Titel mit dem Zusatz "
                   "„(Import)“, eine schon vergebene Vorlagen-Nr. wird durch die nächste freie ersetzt."),
        )

    def handle(self, *args, archive, dry_run=False, as_copy=False, verbosity=1, **options):
        try:
            result = import_archive(archive, as_copy=as_copy, dry_run=dry_run)
        except ArchiveError as error:
            raise CommandError(str(error)) from None
        if verbosity < 1:
            return
        if result.dry_run:
            self.stdout.write(gettext("Probelauf: Das Archiv ist in Ordnung; es wurde nichts gespeichert."))
            self.stdout.write(gettext("Zielvereinbarung: %(title)s") % {"title": result.title})
        else:
            self.stdout.write(gettext("Eingelesen: Zielvereinbarung „%(title)s“ (Nr. %(id)s).") % {
                "title": result.title, "id": result.agreement_id,
            })
        counts = ", ".join(f"{label}: {count}" for label, count in result.counts.items())
        if result.dry_run:
            self.stdout.write(gettext("Würde anlegen: %(counts)s") % {"counts": counts})
        else:
            self.stdout.write(gettext("Angelegt: %(counts)s") % {"counts": counts})
        for note in result.notes:
            self.stdout.write(gettext("Hinweis: %(note)s") % {"note": note})
