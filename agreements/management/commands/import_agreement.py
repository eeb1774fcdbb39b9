from django.core.management.base import CommandError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agreements.management.base import TranslatedCommand, argument, flag
from agreements.transfer.archive import ArchiveError, import_archive


class Command(TranslatedCommand):
    help = _(
        "Liest ein mit export_agreement geschriebenes Archiv ein. Prüfsummen und Manifest werden vor dem "
        "Schreiben geprüft; alles wird in einer Transaktion gespeichert."
    )

    arguments = (
        argument("archive", help=_("ZIP-Archiv von export_agreement")),
        flag("--dry-run", _("Alles prüfen und probeweise einlesen, aber nichts speichern.")),
        flag("--as-copy", _(
            "Als Kopie einlesen, auch wenn die Zielvereinbarung schon gespeichert ist: Titel mit dem Zusatz "
            "„(Import)“, eine schon vergebene Vorlagen-Nr. wird durch die nächste freie ersetzt."
        )),
        argument(
            "--map-user", action="append", default=[], metavar="NAME=BENUTZER",
            help=_("Einen Benutzernamen des Archivs einem Benutzerkonto dieser Installation zuordnen (mehrfach "
                   "möglich). Ohne Zuordnung werden Personen aus dem Archiv nur als Namen gespeichert."),
        ),
        argument(
            "--map-party", action="append", default=[], metavar="SCHLÜSSEL=SCHLÜSSEL",
            help=_("Eine Stelle des Archivs (Schlüssel) ausdrücklich einer Stelle dieser Installation zuordnen "
                   "(mehrfach möglich), wenn Name oder Schlüssel abweichen; die Art der Stelle muss gleich sein."),
        ),
    )

    @staticmethod
    def _pairs(values, option):
        pairs = {}
        for value in values:
            source, sep, target = value.partition("=")
            source, target = source.strip(), target.strip()
            if not sep or not source or not target:
                raise CommandError(
                    gettext("%(option)s erwartet NAME=ZIEL, nicht „%(value)s“.") % {"option": option, "value": value}
                )
            if pairs.get(source, target) != target:
                raise CommandError(
                    gettext("%(option)s ordnet „%(name)s“ mehrfach zu.") % {"option": option, "name": source}
                )
            pairs[source] = target
        return pairs

    def handle(self, *args, archive, dry_run=False, as_copy=False, verbosity=1, map_user=(), map_party=(),
               **options):
        user_map = self._pairs(map_user, "--map-user")
        party_map = self._pairs(map_party, "--map-party")
        try:
            result = import_archive(archive, as_copy=as_copy, dry_run=dry_run, user_map=user_map, party_map=party_map)
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
