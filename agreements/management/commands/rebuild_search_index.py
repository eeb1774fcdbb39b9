from django.core.management.base import CommandError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agreements.infra import search
from agreements.management.base import TranslatedCommand, argument, flag
from agreements.models import SearchEntry


class Command(TranslatedCommand):
    help = _(
        "Baut den Suchindex neu auf: ein Eintrag je Zielvereinbarung, Ziel, Unterstützungsangebot, "
        "Verfahrensschritt, Vorschlag, Stellungnahme, Schreiben, Vorlage und Dokument; Einträge gelöschter "
        "Datensätze werden entfernt. Mehrfach ausführbar."
    )

    arguments = (
        argument("--batch-size", type=int, default=500, help=_("Datensätze je Schreibvorgang")),
        flag("--no-extract", _("PDF-Dokumente ohne extrahierten Text nicht nachträglich auslesen")),
    )

    def handle(self, *args, batch_size, no_extract, verbosity, **options):
        if batch_size < 1:
            raise CommandError(gettext("--batch-size muss mindestens 1 sein."))
        if not no_extract:
            filled = search.fill_missing_text()
            if verbosity >= 1:
                self.stdout.write(gettext("Text aus %(n)d PDF-Dokumenten gelesen") % {"n": filled})
        counts = search.rebuild_index(batch_size=batch_size)
        labels = dict(SearchEntry.Kind.choices)
        for kind, (indexed, removed) in counts.items():
            if verbosity >= 1:
                self.stdout.write(
                    gettext("%(kind)s: %(indexed)d indexiert, %(removed)d entfernt")
                    % {"kind": labels[kind], "indexed": indexed, "removed": removed}
                )
        if verbosity >= 1:
            self.stdout.write(
                gettext("Suchindex: %(total)d Einträge") % {"total": SearchEntry.objects.count()}
            )
