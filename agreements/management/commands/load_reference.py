"""``manage.py load_reference``: create and correct the reference data, keep what an admin changed by hand.

How the loader tells its own values from an admin's: every reference record keeps in ``reference_values`` what
the loader last wrote into each field. A field whose value still equals that is the loader's, and a newer release
corrects it; a field whose value differs was changed by hand (in the admin) and is kept, and reported, so that
the admin can decide. Installations loaded before the loader kept this record are recognised by the values the
earlier release wrote (``reference_data.EARLIER_VALUES``) or an empty field; anything else there is an admin's.
Records are updated in place by their key, never deleted and created again, so that goals pointing to a
renamed indicator keep pointing to it.
"""

from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agreements.data import reference_data
from agreements.management.base import TranslatedCommand, flag
from agreements.models import Goal, Indicator, LegalBasis, Party

# Shown in the admin's history of a Party, so a restored value can be told apart from an admin's edit.
CHANGE_REASON = "load_reference"

# (name in the counts and in EARLIER_VALUES, model, key field, records); parents precede children.
MODELS = (
    ("party", Party, "key", "PARTIES"),
    ("legalbasis", LegalBasis, "citation", "LEGAL_BASES"),
    ("indicator", Indicator, "code", "INDICATORS"),
)

_MISSING = object()
_BLANK = ("", None)


def _shown(value):
    return gettext("(leer)") if value in _BLANK else f"„{value}“"


class _Loader:
    def __init__(self, name, model, key_field, records, stdout, verbosity):
        self.name, self.model, self.key_field, self.records = name, model, key_field, records
        self.stdout, self.verbosity = stdout, verbosity
        self.counts = {"created": 0, "changed": 0, "unchanged": 0, "kept": 0}
        keys = [record[key_field] for record in records]
        self.existing = {getattr(o, key_field): o for o in model.objects.filter(**{f"{key_field}__in": keys})}
        # Every row's key, not only the reference rows': an admin may have pointed a parent elsewhere.
        self.key_by_pk = dict(model.objects.values_list("pk", key_field))
        self.pk_by_key = {key: pk for pk, key in self.key_by_pk.items()}

    def write(self, message, level=1):
        if self.stdout is not None and self.verbosity >= level:
            self.stdout.write(message)

    def current(self, obj, field):
        if field == "parent":
            return self.key_by_pk.get(obj.parent_id)
        return getattr(obj, field)

    def assign(self, obj, field, value):
        if field == "parent":
            # "parent" in the data is the parent's key; parents precede children, so it is always resolved.
            obj.parent_id = None if value is None else self.pk_by_key[value]
        else:
            setattr(obj, field, value)

    def run(self):
        for record in self.records:
            values = dict(record)
            key = values.pop(self.key_field)
            obj = self.existing.get(key)
            if obj is None:
                self.create(key, values)
            else:
                self.update(key, obj, values)
        self.write(
            gettext("%(model)s: %(created)d angelegt, %(changed)d geändert, %(unchanged)d unverändert, "
                    "%(kept)d von Hand geänderte Werte beibehalten")
            % {"model": self.model._meta.verbose_name_plural, **self.counts}
        )
        return self.counts

    def create(self, key, values):
        obj = self.model(**{self.key_field: key}, reference_values=values)
        for field, value in values.items():
            self.assign(obj, field, value)
        obj._change_reason = CHANGE_REASON
        obj.save()
        self.key_by_pk[obj.pk] = key
        self.pk_by_key[key] = obj.pk
        self.counts["created"] += 1
        self.write(gettext("angelegt: %(key)s") % {"key": key}, level=2)

    def is_loaders(self, key, field, current, written):
        """Whether the field's present value is one the loader wrote (and may correct), not an admin's."""
        if written is not _MISSING:
            return current == written
        earlier = reference_data.EARLIER_VALUES.get((self.name, key), {}).get(field, ())
        return current in _BLANK or current in earlier

    def update(self, key, obj, values):
        written = obj.reference_values if isinstance(obj.reference_values, dict) else {}
        stamp = dict(written)
        changed, before = [], {}
        for field, value in values.items():
            current = self.current(obj, field)
            if current == value:
                stamp[field] = value
            elif self.is_loaders(key, field, current, written.get(field, _MISSING)):
                before[field] = current
                self.assign(obj, field, value)
                stamp[field] = value
                changed.append(field)
            else:
                self.keep(key, field, current, value)

        if changed:
            obj.reference_values = stamp
            obj._change_reason = CHANGE_REASON
            # auto_now only reaches the database if "modified" is among the update_fields.
            obj.save(update_fields=[*changed, "reference_values", "modified"])
            self.counts["changed"] += 1
            self.write(gettext("geändert: %(key)s (%(fields)s)") % {"key": key, "fields": ", ".join(changed)}, 2)
            if self.model is Indicator and "name" in before:
                self.report_rename(obj, before["name"])
            return
        if stamp != written:
            # Only the record of what the loader wrote is new (an installation from before that record): no
            # data changed, so no history entry and no new "modified".
            self.model.objects.filter(pk=obj.pk).update(reference_values=stamp)
        self.counts["unchanged"] += 1

    def keep(self, key, field, current, value):
        self.counts["kept"] += 1
        label = self.model._meta.get_field(field).verbose_name
        self.write(
            gettext("von Hand geändert, beibehalten: %(model)s „%(key)s“, %(field)s = %(current)s "
                    "(Referenzdaten: %(reference)s)")
            % {"model": self.model._meta.verbose_name, "key": key, "field": label,
               "current": _shown(current), "reference": _shown(value)}
        )

    def report_rename(self, indicator, old_name):
        goals = Goal.objects.filter(indicator=indicator).count()
        self.write(
            gettext("Kennzahl %(code)s umbenannt: „%(old)s“ heißt jetzt „%(new)s“; %(goals)d Ziele verweisen "
                    "darauf und behalten sie.")
            % {"code": indicator.code, "old": old_name, "new": indicator.name, "goals": goals}
        )


def load_reference(stdout=None, verbosity=1, dry_run=False):
    """Load and correct parties, legal bases and indicators; return the counts per model name.

    Callable from load_demo and tests; ``stdout`` (anything with ``write``) gets the summary, ``None``
    keeps it quiet. ``dry_run`` reports the same and then rolls everything back.
    """
    if stdout is None:
        verbosity = 0
    with transaction.atomic():
        counts = {
            name: _Loader(name, model, key_field, getattr(reference_data, records), stdout, verbosity).run()
            for name, model, key_field, records in MODELS
        }
        if dry_run:
            transaction.set_rollback(True)
    return counts


class Command(TranslatedCommand):
    help = _(
        "Lädt die Referenzdaten: MAIS NRW, Regionaldirektion NRW, Verbände, die 53 Kreise und "
        "kreisfreien Städte in NRW mit ihren Jobcentern und deren Form (gE/zkT), Rechtsgrundlagen und die "
        "Kennzahlen nach § 48a SGB II mit ihrer Berechnung, jeweils mit Quelle. Kann beliebig oft laufen: "
        "fehlende Einträge werden angelegt, unveränderte nicht gespeichert. Werte, die load_reference selbst "
        "geschrieben hat, werden auf die Referenzdaten dieser Version berichtigt; Werte, die in der Verwaltung "
        "von Hand geändert wurden, bleiben erhalten und werden gemeldet. Einträge werden über ihren Schlüssel "
        "an Ort und Stelle geändert, nie gelöscht: Ziele behalten ihre Kennzahl."
    )

    arguments = (
        flag("--dry-run", _("Nur melden, was angelegt, berichtigt und beibehalten würde; nichts speichern.")),
    )

    def handle(self, *args, **options):
        load_reference(stdout=self.stdout, verbosity=options["verbosity"], dry_run=options["dry_run"])
        if options["dry_run"]:
            self.stdout.write(gettext("Probelauf: nichts gespeichert."))
