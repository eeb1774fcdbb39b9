import hashlib
import io
from pathlib import Path

import pikepdf
from django.core.management.base import CommandError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agreements.infra.storage import atomic_write
from agreements.management.base import TranslatedCommand, argument, flag
from agreements.pdf.bundle import BundleError
from agreements.pdf.vorlage import pdf_filename, vorlage_queryset
from agreements.pdf.vorlage_bundle import bundle_filename
from agreements.services.stored_pdfs import vorlage_bundle_pdf, vorlage_pdf_bytes


class Command(TranslatedCommand):
    help = _(
        "Schreibt eine Vorlage als PDF/A-Datei, mit --bundle als Gesamtdokument mit Inhaltsverzeichnis und "
        "allen Anlagen, und gibt Pfad, Seitenzahl und SHA-256 aus."
    )

    arguments = (
        argument("reference", help=_("Vorlagen-Nr., z. B. 50/015/2012")),
        argument(
            "-o", "--output",
            help=_("Zieldatei; ohne Angabe Vorlage-<Nr.>.pdf bzw. Vorlage-<Nr.>-mit-Anlagen.pdf hier, wie beim "
                   "Herunterladen."),
        ),
        argument(
            "--stelle", metavar="SCHLÜSSEL",
            help=_("Schlüssel der Stelle (z. B. kreis-mettmann), wenn mehrere Stellen dieselbe Nummer vergeben haben."),
        ),
        flag("--bundle", _("Gesamtdokument: Inhaltsverzeichnis, Vorlage und Anlagen mit durchgehenden Seitenzahlen.")),
    )

    def handle(self, *args, reference, output=None, bundle=False, stelle=None, **options):
        reference = reference.strip()
        candidates = vorlage_queryset().filter(reference=reference)
        if stelle:
            candidates = candidates.filter(department__party__key=stelle)
        found = list(candidates[:10])
        if not found:
            raise CommandError(
                gettext("Es gibt keine Vorlage mit der Nummer „%(reference)s“.") % {"reference": reference}
            )
        if len(found) > 1:
            # Every Kreis numbers its own papers: 50/015/2012 may exist in Mettmann and in Neuss.
            raise CommandError(
                gettext("Die Nummer „%(reference)s“ gibt es bei mehreren Stellen (%(keys)s); bitte mit --stelle "
                        "wählen.") % {"reference": reference,
                                      "keys": ", ".join(v.department.party.key for v in found)}
            )
        vorlage = found[0]

        # The web's downloads, byte for byte and by name: a released Vorlage as stored (same SHA-256 as at
        # release, never rendered again), the Gesamtdokument from the same cache.
        if bundle:
            try:
                content = vorlage_bundle_pdf(vorlage)
            except BundleError as error:
                raise CommandError(
                    gettext("Das Gesamtdokument der Vorlage %(reference)s wurde nicht erstellt: %(error)s")
                    % {"reference": vorlage.reference, "error": error}
                ) from None
        else:
            try:
                content = vorlage_pdf_bytes(vorlage)
            except BundleError as error:
                raise CommandError(str(error)) from None
        pages = len(pikepdf.open(io.BytesIO(content)).pages)

        path = Path(output) if output else Path(bundle_filename(vorlage) if bundle else pdf_filename(vorlage))
        try:
            with atomic_write(path, mode=0o644) as out:
                out.write(content)
        except OSError as error:
            raise CommandError(
                gettext("Die Datei %(path)s kann nicht geschrieben werden: %(reason)s")
                % {"path": path, "reason": error.strerror or error}
            ) from None

        self.stdout.write(gettext("Datei: %(path)s") % {"path": path.resolve()})
        self.stdout.write(gettext("Seiten: %(pages)d") % {"pages": pages})
        self.stdout.write(gettext("SHA-256: %(sha256)s") % {"sha256": hashlib.sha256(content).hexdigest()})
