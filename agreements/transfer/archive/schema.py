"""The JSON Schemas (Draft 2020-12) of manifest.json and agreement.json, shipped in ``schema/``, and the German
message that names the record and the field a document breaks the schema at.

The schemas describe the structure and the JSON types of the format as the export writes it; the values of a
record's model fields (choices, lengths, dates, numbers) are checked against the model fields themselves on import
(``importer._Importer.build``), so the model stays the one place that says what a field may hold."""

import functools
import json
from importlib.resources import files

from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from jsonschema import Draft202012Validator

from agreements import models as m

MANIFEST_SCHEMA = "manifest.schema.json"
AGREEMENT_SCHEMA = "agreement.schema.json"

# What a list of the archive holds, to name a record in a message ("Ziel „goal-3“"): its model or a name.
RECORD_LABELS = {
    "sections": m.AgreementSection, "goals": m.Goal, "offers": m.SupportOffer, "documents": m.Document,
    "letters": m.Letter, "statements": m.Statement, "versions": m.AgreementVersion, "proposals": m.Proposal,
    "procedure_steps": m.ProcedureStep, "signatures": m.Signature, "reviews": m.Review,
    "copied_passages": m.CopiedPassage, "acceptances": m.Acceptance,
    "assessments": m.Assessment, "vorlagen": m.Vorlage, "consultations": m.Consultation,
    "agenda_items": m.AgendaItem, "anlagen": m.VorlageAnlage, "parties": m.Party, "related": m.Agreement,
    "topics": m.Topic, "departments": m.Department, "people": m.Person, "committees": m.Committee,
    "meetings": m.Meeting, "files": gettext_lazy("Datei"),
}
# The objects at the top of agreement.json that a message names on the way to a record.
OBJECT_LABELS = {"agreement": m.Agreement, "context": gettext_lazy("Kontext")}
# The keys that identify a record to a reader, in the order they are tried.
IDENTIFYING_KEYS = ("ref", "reference", "key", "number", "path", "title")
JSON_TYPES = {
    "string": gettext_lazy("ein Text"),
    "integer": gettext_lazy("eine ganze Zahl"),
    "number": gettext_lazy("eine Zahl"),
    "boolean": gettext_lazy("true oder false"),
    "array": gettext_lazy("eine Liste"),
    "object": gettext_lazy("ein Objekt"),
    "null": gettext_lazy("leer (null)"),
}


@functools.cache
def validator(name):
    schema = json.loads(files(__package__).joinpath("schema", name).read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def problem(name, instance):
    """Why `instance` does not match the schema `name`, in German, naming the record and the field; or None.
    The first error found is the one named: the validator takes the parts in the order the schema lists them and
    the records of a list in the order of the file, and stops at the first broken one, however large the file."""
    error = next(validator(name).iter_errors(instance), None)
    return None if error is None else describe(error, instance)


def describe(error, instance):
    path = list(error.absolute_path)
    if error.validator == "required":
        missing = next(key for key in error.validator_value if key not in error.instance)
        what = _("Das Feld „%(field)s“ fehlt.") % {"field": missing}
    elif error.validator == "type":
        expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        what = _("%(field)s muss %(type)s sein, nicht %(value)s.") % {
            "field": _field(path), "type": _(" oder ").join(str(JSON_TYPES[t]) for t in expected),
            "value": _shown(error.instance),
        }
    else:
        what = _("%(field)s hat den ungültigen Wert %(value)s.") % {
            "field": _field(path), "value": _shown(error.instance),
        }
    where = _location(path, instance)
    return f"{where}: {what}" if where else what


def _field(path):
    if path and isinstance(path[-1], str):
        return _("Das Feld „%(field)s“") % {"field": path[-1]}
    return _("Der Eintrag")


def _shown(value):
    text = json.dumps(value, ensure_ascii=False)
    return f"„{text[:77]}…“" if len(text) > 80 else f"„{text}“"


def _location(path, instance):
    """The records on the way to the error ("Vorlage „50/015/2012“, Beratung Nr. 1"), from the list names and each
    record's identifying key (or its position)."""
    parts, node = [], instance
    for position, step in enumerate(path):
        parent = path[position - 1] if position else None
        node = node[step]
        if isinstance(step, int) and parent in RECORD_LABELS:
            parts.append(f"{_label(RECORD_LABELS[parent])} {_identifier(node, step)}")
        elif position == 0 and step in OBJECT_LABELS:
            parts.append(_label(OBJECT_LABELS[step]))
    return ", ".join(parts)


def _label(label):
    return str(capfirst(label._meta.verbose_name if isinstance(label, type) else label))


def _identifier(record, index):
    if isinstance(record, dict):
        for key in IDENTIFYING_KEYS:
            value = record.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool):
                return f"„{value}“"
    return _("Nr. %(number)s") % {"number": index + 1}
