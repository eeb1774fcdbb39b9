"""The JSON Schemas of the archive (agreements/transfer/archive/schema/): valid Draft 2020-12, in step with the
models and the export, and refusing a broken archive with a German message that names the record and the field."""

import json

import pytest
from jsonschema import Draft202012Validator

from agreements import models as m
from agreements.transfer import archive
from agreements.transfer.archive import schema

from .archive_builders import archive_data, export, read_members, refused, rewrite, write_members

# The model behind each kind of record in archive.FIELDS.
MODELS = {
    "agreement": m.Agreement, "agreement_party": m.AgreementParty, "section": m.AgreementSection, "goal": m.Goal,
    "offer": m.SupportOffer, "document": m.Document, "letter": m.Letter, "statement": m.Statement,
    "version": m.AgreementVersion, "proposal": m.Proposal, "step": m.ProcedureStep, "signature": m.Signature,
    "review": m.Review, "assessment": m.Assessment, "vorlage": m.Vorlage, "vorlage_section": m.VorlageSection,
    "copied_passage": m.CopiedPassage, "acceptance": m.Acceptance,
    "consultation": m.Consultation, "anlage": m.VorlageAnlage, "agenda_item": m.AgendaItem, "topic": m.Topic,
    "department": m.Department, "person": m.Person, "committee": m.Committee, "meeting": m.Meeting,
}
# The JSON type the export writes for a model field (archive.format.out: dates, times and decimals as text).
JSON_TYPES = {
    "CharField": "string", "TextField": "string", "DateField": "string", "DateTimeField": "string",
    "DecimalField": "string", "BooleanField": "boolean", "PositiveSmallIntegerField": "integer",
    "PositiveIntegerField": "integer", "PositiveBigIntegerField": "integer", "IntegerField": "integer",
    "JSONField": None,
}


def agreement_schema():
    return schema.validator(schema.AGREEMENT_SCHEMA).schema


def minimal_agreement():
    """The smallest agreement.json the schema accepts: an agreement without content and an empty context."""
    return {
        "format": archive.FORMAT_NAME, "format_version": archive.FORMAT_VERSION,
        "agreement": {
            "title": "Zielvereinbarung 2030", "year": 2030, "period_start": None, "period_end": None,
            "status": "draft", "status_reason": "", "preamble": "", "legal_basis_note": "",
            "created": "2030-01-02T03:04:05+00:00", "legal_bases": [], "parties": [], "predecessor": None,
            "amends": None, "related": [], "signed_file": None, "created_by": None,
        },
        **{key: [] for key in ("sections", "goals", "offers", "documents", "letters", "statements", "versions",
                               "proposals", "procedure_steps", "signatures", "reviews", "vorlagen")},
        "context": {key: [] for key in ("legal_bases", "indicators", "topics", "departments", "people",
                                        "committees", "meetings", "parties")},
    }


def goal(ref, **values):
    return {
        "ref": ref, "kind": "qualitative", "level": "", "area": "", "title": "Ziel", "text": "", "direction": "",
        "reference_value": None, "corridor_low": None, "corridor_high": None, "target_value": None, "unit": "",
        "order": 1, "created": "2030-01-02T03:04:05+00:00", "indicator": None, **values,
    }


@pytest.mark.parametrize("name", [schema.MANIFEST_SCHEMA, schema.AGREEMENT_SCHEMA])
def test_it_ships_valid_draft_2020_12_schemas(name):
    Draft202012Validator.check_schema(schema.validator(name).schema)


@pytest.mark.parametrize("kind", sorted(archive.FIELDS))
def test_it_describes_every_field_of_every_record_as_its_model_does(kind):
    """Every field the export writes is required (except those added after archives of this format were written,
    which older archives do not have), with the JSON type of its model field; null only where the model allows it.
    A field added to FIELDS without the schema fails here."""
    definition = agreement_schema()["$defs"][kind]
    model = MODELS[kind]
    for name in archive.FIELDS[kind]:
        if name in archive.ADDED_LATER.get(kind, ()):
            assert name in definition["properties"] and name not in definition["required"], (kind, name)
        else:
            assert name in definition["required"], f"{kind}.{name}: add it to schema/{schema.AGREEMENT_SCHEMA}"
        field = model._meta.get_field(name)
        json_type = JSON_TYPES[field.get_internal_type()]
        declared = definition["properties"][name].get("type")
        if json_type is None:
            # A JSON field holds any JSON; the schema may narrow it to the object the model stores there.
            assert declared in (None, "object"), (kind, name, declared)
        elif kind == "document" and name == "sha256":
            assert declared == "string"
        else:
            assert declared == ([json_type, "null"] if field.null else json_type), (kind, name, declared)


def test_it_accepts_the_smallest_agreement():
    assert schema.problem(schema.AGREEMENT_SCHEMA, minimal_agreement()) is None


@pytest.mark.parametrize("change, message", [
    (lambda d: d.pop("goals"), "Das Feld „goals“ fehlt."),
    (lambda d: d["goals"].append({k: v for k, v in goal("goal-1").items() if k != "title"}),
     "Ziel „goal-1“: Das Feld „title“ fehlt."),
    (lambda d: d["goals"].extend([goal("goal-1"), goal("goal-2", order="2")]),
     "Ziel „goal-2“: Das Feld „order“ muss eine ganze Zahl sein, nicht „\"2\"“."),
    (lambda d: d["goals"].append(goal("goal-1", target_value=5)),
     "Ziel „goal-1“: Das Feld „target_value“ muss ein Text oder leer (null) sein, nicht „5“."),
    (lambda d: d["agreement"].update(year=None),
     "Zielvereinbarung: Das Feld „year“ muss eine ganze Zahl sein, nicht „null“."),
    (lambda d: d["context"]["parties"].append({"key": "kreis", "name": "Kreis"}),
     "Kontext, Beteiligte Stelle „kreis“: Das Feld „kind“ fehlt."),
    (lambda d: d["goals"].append("goal-1"), "Ziel Nr. 1: Der Eintrag muss ein Objekt sein, nicht „\"goal-1\"“."),
    (lambda d: d.update(format_version=2), "Das Feld „format_version“ hat den ungültigen Wert „2“."),
])
def test_it_names_the_record_and_the_field(change, message):
    data = minimal_agreement()
    change(data)
    assert schema.problem(schema.AGREEMENT_SCHEMA, data) == message


def test_it_names_the_entry_of_the_manifest():
    manifest = {
        "format": archive.FORMAT_NAME, "format_version": 1, "agreement_sha256": "0" * 64,
        "files": [{"path": archive.AGREEMENT_JSON, "size": 10, "sha256": "0" * 64},
                  {"path": "files/../x", "size": 1, "sha256": "1" * 64},
                  {"path": "files/" + "2" * 64, "size": True, "sha256": "2" * 64}],
    }
    assert schema.problem(schema.MANIFEST_SCHEMA, manifest) == (
        "Datei „files/../x“: Das Feld „path“ hat den ungültigen Wert „\"files/../x\"“.")
    manifest["files"].pop(1)
    assert schema.problem(schema.MANIFEST_SCHEMA, manifest) == (
        f"Datei „files/{'2' * 64}“: Das Feld „size“ muss eine ganze Zahl sein, nicht „true“.")


# Through the import: the export matches, a mismatch is refused before anything is written ----------------------


@pytest.fixture
def demo(demo_2012):
    return demo_2012


def test_it_accepts_what_the_export_writes(demo, tmp_path):
    path = export(demo, tmp_path / "a.zip")
    manifest = json.loads(read_members(path)[archive.MANIFEST])
    assert schema.problem(schema.MANIFEST_SCHEMA, manifest) is None
    assert schema.problem(schema.AGREEMENT_SCHEMA, archive_data(path)) is None
    assert schema.problem(schema.AGREEMENT_SCHEMA, archive_data(export(demo.predecessor, tmp_path / "b.zip"))) is None


def test_it_refuses_a_record_that_breaks_the_schema_naming_it(demo, tmp_path, settings):
    path = export(demo, tmp_path / "a.zip")
    data = archive_data(path)
    item = data["vorlagen"][0]["consultations"][0]["agenda_items"][0]
    item["public"] = "ja"
    broken = rewrite(path, tmp_path / "s.zip", data=data)
    message = refused(settings, broken, f"„{archive.AGREEMENT_JSON}“ hat nicht den erwarteten Aufbau")
    assert (f"Vorlage „{data['vorlagen'][0]['reference']}“, Beratung Nr. 1, Tagesordnungspunkt „{item['number']}“: "
            "Das Feld „public“ muss true oder false sein, nicht „\"ja\"“.") in message


def test_it_refuses_a_manifest_that_breaks_the_schema_naming_the_entry(demo, tmp_path, settings):
    path = export(demo, tmp_path / "a.zip")
    members = read_members(path)
    manifest = json.loads(members[archive.MANIFEST])
    entry = next(e for e in manifest["files"] if e["path"] != archive.AGREEMENT_JSON)
    del entry["sha256"]
    members[archive.MANIFEST] = json.dumps(manifest).encode()
    broken = write_members(tmp_path / "m.zip", members, manifest=False)
    refused(settings, broken, f"Manifest des Archivs ist ungültig: Datei „{entry['path']}“: Das Feld „sha256“ fehlt")
