import hashlib
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agreements.management.base import TranslatedCommand, argument
from agreements.models import Agreement
from agreements.transfer.archive import ArchiveError, export_archive


class Command(TranslatedCommand):
    help = _(
        "Schreibt eine Zielvereinbarung mit allem, was dazugehört (Fassungen, Vorschläge, Schreiben, "
        "Unterschriften, Vorlagen, Dateien), als ZIP-Archiv, das import_agreement wieder einliest."
    )

    arguments = (
        argument("agreement_id", type=int, help=_("Nummer (ID) der Zielvereinbarung")),
        argument("-o", "--output", help=_("Zieldatei; ohne Angabe zielvereinbarung-<ID>.zip hier.")),
    )

    def handle(self, *args, agreement_id, output=None, verbosity=1, **options):
        try:
            agreement = Agreement.objects.get(pk=agreement_id)
        except Agreement.DoesNotExist:
            raise CommandError(
                gettext("Es gibt keine Zielvereinbarung mit der Nummer %(id)s.") % {"id": agreement_id}
            ) from None
        path = Path(output) if output else Path(f"zielvereinbarung-{agreement.pk}.zip")
        try:
            result = export_archive(agreement, path)
        except ArchiveError as error:
            raise CommandError(str(error)) from None
        except OSError as error:
            raise CommandError(
                gettext("Die Datei %(path)s kann nicht geschrieben werden: %(reason)s")
                % {"path": path, "reason": error.strerror or error}
            ) from None
        if verbosity < 1:
            return
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(1024 * 1024):
                digest.update(chunk)
        self.stdout.write(gettext("Archiv: %(path)s") % {"path": path.resolve()})
        self.stdout.write(gettext("Zielvereinbarung: %(title)s (%(year)s)") % {
            "title": agreement.title, "year": agreement.year,
        })
        self.stdout.write(gettext("Dokumente: %(documents)d, Dateien: %(files)d") % {
            "documents": result.documents, "files": result.files,
        })
        self.stdout.write(gettext("SHA-256 des Archivs: %(sha256)s") % {"sha256": digest.hexdigest()})
