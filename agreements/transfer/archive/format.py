"""The archive format shared by export and import: names, the fields of every kind of record, and what the
records refer to (user names, party keys). See the package docstring for the format itself."""

import datetime
import json
import re
from decimal import Decimal

FORMAT_NAME = "zielsteuerung-zielvereinbarung"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
AGREEMENT_JSON = "agreement.json"
FILE_PATH = re.compile(r"^files/([0-9a-f]{64})$")
GONE_REF = re.compile(r"^[a-z]+-gone-([1-9][0-9]*)$")
# 1980-01-01 is the earliest time a ZIP can hold: no trace of when or where the archive was written.
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
ZIP_FILE_MODE = 0o644 << 16
CHUNK = 1024 * 1024
COPY_SUFFIX = " (Import)"
CHANGE_REASON = "import_agreement"

# The fields written as they are, per kind of record. Export and import both use these lists.
FIELDS = {
    "agreement": ("title", "year", "period_start", "period_end", "status", "status_reason", "preamble",
                  "legal_basis_note", "created"),
    "agreement_party": ("role", "order"),
    "section": ("order", "heading", "text", "created"),
    "goal": ("kind", "level", "area", "title", "text", "direction", "reference_value", "corridor_low",
             "corridor_high", "target_value", "unit", "corridor_exception_reason", "order", "created"),
    "offer": ("title", "text", "status", "order", "created"),
    "document": ("title", "kind", "original_filename", "size", "content_type", "sha256", "is_pdfa",
                 "extracted_text", "created"),
    "letter": ("date", "direction", "subject", "reference", "summary", "created"),
    "statement": ("date", "title", "text", "include_as_annex", "created"),
    "version": ("number", "kind", "sent_at", "note"),
    "proposal": ("concerns", "text", "wording", "goal_values", "based_on", "applied_at", "decision", "reason",
                 "decided_at", "created"),
    "step": ("date", "date_precision", "end_date", "kind", "title", "description", "participants_note",
             "automatic", "created"),
    "signature": ("signatory_name", "signatory_function", "date", "place", "created"),
    "acceptance": ("accepted_at",),
    "review": ("kind", "date", "participants", "minutes", "created"),
    "assessment": ("status", "actual_value", "report_month", "comment", "created"),
    "copied_passage": ("kind", "label", "content", "year_references", "order", "reviewed_at", "created"),
    "vorlage": ("reference", "year", "running_number", "paper_type", "public", "non_public_reason", "date",
                "file_reference", "name", "decision_type", "financial_impact", "financial_impact_text",
                "personnel_impact", "personnel_impact_text", "organisational_impact",
                "organisational_impact_text", "resolution", "occasion", "conclusion", "status", "released_at",
                "created"),
    "vorlage_section": ("order", "heading", "text", "created"),
    "consultation": ("meeting_date", "role", "authoritative", "result", "result_recorded_at", "order", "created"),
    "anlage": ("order", "title", "created"),
    "agenda_item": ("number", "order", "name", "public", "result"),
    "topic": ("number", "name", "description"),
    "department": ("number", "name"),
    "person": ("form_of_address", "title", "given_name", "family_name", "function", "email"),
    "committee": ("name", "short_name", "kind"),
    "meeting": ("name", "start", "end", "location", "state"),
}
# Set by the import at the very end (statuses) or through an UPDATE after the row exists: saving the row stamps
# these with the time of the import.
DEFERRED = frozenset({"created", "result_recorded_at"})
# Fields added to a record after archives of this format version were written: the schema lets an archive leave
# them out, and the import then takes the model's default.
ADDED_LATER = {"goal": frozenset({"corridor_exception_reason"}),
               "proposal": frozenset({"wording", "goal_values", "based_on", "applied_at"}),
               "consultation": frozenset({"result_recorded_at"})}


class ArchiveError(Exception):
    """The archive cannot be written or read; the message is German and names the cause."""


def out(value):
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def plain(obj, kind):
    return {name: out(getattr(obj, name)) for name in FIELDS[kind]}


def dumps(data):
    return (json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2) + "\n").encode("utf-8")



# The fields that name a user account of the source system, per kind of record (see _Importer.user).
USER_FIELDS = {
    "agreement": ("created_by",),
    "document": ("uploaded_by",),
    "letter": ("registered_by",),
    "statement": ("created_by",),
    "version": ("sent_by",),
    "proposal": ("decided_by", "created_by"),
    "step": ("actor",),
    "signature": ("recorded_by",),
    "acceptance": ("accepted_by",),
    "review": ("created_by",),
    "copied_passage": ("reviewed_by",),
    "vorlage": ("released_by", "created_by"),
    "person": ("user",),
}


def usernames(data):
    """Every user name the archive mentions."""
    rows = [
        ("agreement", data["agreement"]), *(("document", x) for x in data["documents"]),
        *(("letter", x) for x in data["letters"]), *(("statement", x) for x in data["statements"]),
        *(("version", x) for x in data["versions"]), *(("proposal", x) for x in data["proposals"]),
        *(("step", x) for x in data["procedure_steps"]), *(("signature", x) for x in data["signatures"]),
        *(("review", x) for x in data["reviews"]), *(("vorlage", x) for x in data["vorlagen"]),
        *(("copied_passage", x) for x in data.get("copied_passages", ())),
        *(("acceptance", x) for x in data.get("acceptances", ())),
        *(("person", x) for x in data["context"]["people"]),
    ]
    names = {row.get(name) for kind, row in rows for name in USER_FIELDS[kind]}
    names.discard(None)
    return names


def party_keys(data):
    """Every party key the archive refers to."""
    keys = {p["party"] for p in data["agreement"]["parties"]}
    for o in data["offers"]:
        keys |= {o["provider"], o["coordinated_with"]}
    for x in data["letters"]:
        keys |= {x["sender"], x["recipient"]}
    for collection in ("statements", "proposals", "signatures"):
        keys |= {x["party"] for x in data[collection]}
    keys |= {x["party"] for x in data.get("acceptances", ())}
    if data["agreement"].get("pen_party"):
        keys.add(data["agreement"]["pen_party"])
    for v in data["versions"]:
        keys.add(v["author_party"])
        keys |= {p.get("party_id") for p in snapshot_items(v["snapshot"], "parties")}
    for s in data["procedure_steps"]:
        keys |= set(s["participants"])
    for collection in ("departments", "people", "committees"):
        keys |= {x["party"] for x in data["context"][collection]}
    keys.discard(None)
    return keys


def snapshot_items(snapshot, kind):
    items = snapshot.get(kind) if isinstance(snapshot, dict) else None
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []

