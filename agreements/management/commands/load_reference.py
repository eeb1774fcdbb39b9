from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agreements import reference_data
from agreements.management.base import TranslatedCommand
from agreements.models import Indicator, LegalBasis, Party

# Shown in the admin's history of a Party, so a restored value can be told apart from an admin's edit.
CHANGE_REASON = "load_reference"


def _upsert(model, key_field, records, stdout, verbosity):
    """Create missing rows and restore differing fields; a row that already matches is not saved at all.

    Not saving matters: ``modified`` is ``auto_now`` and Party keeps a history, so a blind save would make
    every run look like an edit of every row.
    """
    keys = [record[key_field] for record in records]
    existing = {getattr(obj, key_field): obj for obj in model.objects.filter(**{f"{key_field}__in": keys})}
    # "parent" in the data is the parent's key; parents precede children, so it is always resolved here.
    pk_by_key = {key: obj.pk for key, obj in existing.items()}
    counts = {"created": 0, "changed": 0, "unchanged": 0}

    for record in records:
        values = dict(record)
        key = values.pop(key_field)
        if "parent" in values:
            values["parent_id"] = pk_by_key[values.pop("parent")]

        obj = existing.get(key)
        if obj is None:
            obj = model(**{key_field: key}, **values)
            obj._change_reason = CHANGE_REASON
            obj.save()
            pk_by_key[key] = obj.pk
            counts["created"] += 1
            if verbosity >= 2:
                stdout.write(gettext("angelegt: %(key)s") % {"key": key})
            continue

        changed = [field for field, value in values.items() if getattr(obj, field) != value]
        if not changed:
            counts["unchanged"] += 1
            continue
        for field in changed:
            setattr(obj, field, values[field])
        obj._change_reason = CHANGE_REASON
        # auto_now only reaches the database if "modified" is among the update_fields.
        obj.save(update_fields=[*changed, "modified"])
        counts["changed"] += 1
        if verbosity >= 2:
            stdout.write(
                gettext("geändert: %(key)s (%(fields)s)") % {"key": key, "fields": ", ".join(changed)}
            )

    if stdout is not None and verbosity >= 1:
        stdout.write(
            gettext("%(model)s: %(created)d angelegt, %(changed)d geändert, %(unchanged)d unverändert")
            % {"model": model._meta.verbose_name_plural, **counts}
        )
    return counts


def load_reference(stdout=None, verbosity=1):
    """Load parties, legal bases and indicators; return the counts per model name.

    Callable from load_demo and tests; ``stdout`` (anything with ``write``) gets the summary, ``None``
    keeps it quiet.
    """
    if stdout is None:
        verbosity = 0
    with transaction.atomic():
        return {
            "party": _upsert(Party, "key", reference_data.PARTIES, stdout, verbosity),
            "legalbasis": _upsert(LegalBasis, "citation", reference_data.LEGAL_BASES, stdout, verbosity),
            "indicator": _upsert(Indicator, "code", reference_data.INDICATORS, stdout, verbosity),
        }


class Command(TranslatedCommand):
    help = _(
        "Lädt die Referenzdaten: MAIS NRW, Regionaldirektion NRW, Verbände, die 53 Kreise und "
        "kreisfreien Städte in NRW mit ihren Jobcentern, Rechtsgrundlagen und die Kennzahlen nach "
        "§ 48a SGB II. Kann beliebig oft laufen: fehlende Einträge werden angelegt, unveränderte nicht "
        "gespeichert. Felder, die die Referenzdaten festlegen, werden auf den Referenzwert "
        "zurückgesetzt, auch wenn sie in der Verwaltung geändert wurden; Felder ohne Referenzwert "
        "(z. B. eine noch nicht erfasste Form des Jobcenters) und zusätzlich angelegte Einträge bleiben "
        "unberührt."
    )

    def handle(self, *args, **options):
        load_reference(stdout=self.stdout, verbosity=options["verbosity"])
