"""Archive of one agreement: a ZIP file that restores it, with everything that belongs to it, in another database.

`manage.py export_agreement <id> -o archive.zip` writes it, `manage.py import_agreement archive.zip` reads it.

Format (``FORMAT_NAME``, version ``FORMAT_VERSION``)
----------------------------------------------------
- ``manifest.json``: format name and version, ``created_at``, ``source`` (system, version, host, database),
  the source agreement (``id``, title, year), ``agreement_sha256`` and ``files``: every other member of the
  ZIP with ``path``, ``size`` and ``sha256``. A member that is not listed makes the archive invalid.
- ``agreement.json``: the agreement and everything that belongs to it (see ``_Exporter.build``). Nothing in it
  is a database id of the source system: rows refer to each other by archive references (``goal-3``,
  ``document-1``, …, numbered in the order the rows are listed), to reference data by natural keys (party
  key, legal basis citation, indicator code, topic number) and to people by user name. Written with
  sorted keys and in a fixed order, so the same agreement exported twice gives the same bytes.
- ``files/<sha256>``: the bytes of every document, once per content.

The ZIP members carry a fixed timestamp; the ZIP differs between two exports only in the manifest's
``created_at``.

Version snapshots keep their content; only the ids in them are translated: the ids of the agreement's sections,
goals and offers become their archive references (and the new rows' ids on import), so a redline still follows
an item across versions and against the current text. An id of an item that no longer exists becomes
``<kind>-gone-<n>`` in the archive and ``-n`` in the importing database (negative: it can never be mistaken
for a real row). Party ids in snapshots become party keys and back.

Import rules
------------
- The archive is not trusted. Before anything is written: every ZIP entry must be a plain file at a plain relative
  path (links, directories, absolute paths and ``..`` are refused); the sizes the ZIP declares must stay within
  the limits (a document: ``UPLOAD_MAX_BYTES``, agreement.json: ``MAX_AGREEMENT_JSON_SIZE``, all together:
  ``MAX_TOTAL_SIZE``), and members are read in chunks that stop at the declared size, so a zip bomb or a lying
  header never gets further; the manifest and every file's SHA-256 are checked (a tampered or damaged archive is
  refused naming the member); every document's bytes pass the upload checks (``uploads.inspect_upload``: type by
  content, PDF/DOCX/ODT only) and must be of the stated type; a reference, number or key that identifies a row
  may occur only once, and so may a key within one JSON object.
- Reference data must exist: parties (by key), legal bases (by citation) and § 48a indicators (by code) are
  maintained by ``load_reference``; missing ones are listed and the import is refused. A party key stands for the
  local party only if the archive's own description of it (``context.parties``: name and kind) matches; otherwise
  the operator maps it explicitly (``party_map``, ``--map-party``), to a party of the same kind. Topics,
  departments, people, committees and meetings are the agreement's own context: found by natural key or created.
- User names belong to the source system and are never looked up here by themselves: a user field is bound to a
  local account only when the operator maps the name (``user_map``, ``--map-user name=local``); otherwise it stays
  empty and the name is kept as text (``ArchivedUserName``), and a later export writes it again.
- An agreement with the same title, year and parties refuses the import; ``as_copy`` imports it anyway with
  " (Import)" appended to the title (" (Import 2)", … if that exists too). A Vorlage whose number exists is
  refused as well; with ``as_copy`` it gets the next free running number of its department and year.
- Predecessor, amended agreement and related agreements are linked when exactly one agreement with that title
  and year exists; otherwise the link stays empty and the import says so.
- Everything is written in one transaction, content first and the final statuses last (the write guards of
  signed agreements and released Vorlagen hold throughout); files are stored through ``Document.file.save``
  under new generated names. ``created`` timestamps are restored (versions keep their own: they are immutable).
- ``dry_run`` runs the whole import, writes no file and rolls the transaction back.
"""

import copy
import datetime
import functools
import hashlib
import io
import json
import os
import platform
import re
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import DatabaseError, connection, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements import models as m
from agreements.infra.uploads import UploadRejected, format_mb, inspect_upload

FORMAT_NAME = "zielsteuerung-zielvereinbarung"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
AGREEMENT_JSON = "agreement.json"
FILE_PATH = re.compile(r"^files/([0-9a-f]{64})$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
GONE_REF = re.compile(r"^[a-z]+-gone-([1-9][0-9]*)$")
# 1980-01-01 is the earliest time a ZIP can hold: no trace of when or where the archive was written.
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
ZIP_FILE_MODE = 0o644 << 16
CHUNK = 1024 * 1024
MAX_MANIFEST_SIZE = 16 * 1024 * 1024
# Limits on what an archive may unpack to, checked against the sizes the ZIP declares before anything is read and
# against the bytes actually read while reading. A document member has the upload limit (UPLOAD_MAX_BYTES).
MAX_AGREEMENT_JSON_SIZE = 256 * 1024 * 1024
MAX_TOTAL_SIZE = 8 * 1024 * 1024 * 1024
MAX_MEMBERS = 100_000
# A document being checked or stored is held in memory up to this size, in a temporary file beyond it.
SPOOL_IN_MEMORY = 4 * 1024 * 1024
# The MS-DOS directory attribute in the low byte of a ZIP entry's external attributes.
MSDOS_DIRECTORY = 0x10
COPY_SUFFIX = " (Import)"
CHANGE_REASON = "import_agreement"

# The fields written as they are, per kind of record. Export and import both use these lists.
FIELDS = {
    "agreement": ("title", "year", "period_start", "period_end", "status", "status_reason", "preamble",
                  "legal_basis_note", "created"),
    "agreement_party": ("role", "order"),
    "section": ("order", "heading", "text", "created"),
    "goal": ("kind", "level", "area", "title", "text", "direction", "reference_value", "corridor_low",
             "corridor_high", "target_value", "unit", "order", "created"),
    "offer": ("title", "text", "status", "order", "created"),
    "document": ("title", "kind", "original_filename", "size", "content_type", "sha256", "is_pdfa",
                 "extracted_text", "created"),
    "letter": ("date", "direction", "subject", "reference", "summary", "created"),
    "statement": ("date", "title", "text", "include_as_annex", "created"),
    "version": ("number", "kind", "sent_at", "note"),
    "proposal": ("concerns", "text", "decision", "reason", "decided_at", "created"),
    "step": ("date", "date_precision", "end_date", "kind", "title", "description", "participants_note",
             "automatic", "created"),
    "signature": ("signatory_name", "signatory_function", "date", "place", "created"),
    "review": ("kind", "date", "participants", "minutes", "created"),
    "assessment": ("status", "actual_value", "report_month", "comment", "created"),
    "vorlage": ("reference", "year", "running_number", "paper_type", "public", "non_public_reason", "date",
                "file_reference", "name", "decision_type", "financial_impact", "financial_impact_text",
                "personnel_impact", "personnel_impact_text", "organisational_impact",
                "organisational_impact_text", "resolution", "occasion", "conclusion", "status", "released_at",
                "created"),
    "vorlage_section": ("order", "heading", "text", "created"),
    "consultation": ("meeting_date", "role", "authoritative", "result", "order", "created"),
    "anlage": ("order", "title", "created"),
    "agenda_item": ("number", "order", "name", "public", "result"),
    "topic": ("number", "name", "description"),
    "department": ("number", "name"),
    "person": ("form_of_address", "title", "given_name", "family_name", "function", "email"),
    "committee": ("name", "short_name", "kind"),
    "meeting": ("name", "start", "end", "location", "state"),
}
# Set by the import at the very end (statuses) or through an UPDATE after the row exists (created).
DEFERRED = frozenset({"created"})


class ArchiveError(Exception):
    """The archive cannot be written or read; the message is German and names the cause."""


def _out(value):
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _plain(obj, kind):
    return {name: _out(getattr(obj, name)) for name in FIELDS[kind]}


def _dumps(data):
    return (json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _source_system():
    try:
        from importlib.metadata import version

        app_version = version("zielsteuerung")
    except Exception:  # not installed as a package: the archive is still valid without it
        app_version = ""
    return {
        "system": "zielsteuerung", "version": app_version, "host": platform.node(),
        "database": connection.vendor,
    }


# Export ----------------------------------------------------------------------------------------------------------


@dataclass
class ExportResult:
    agreement_id: int
    documents: int
    files: int
    agreement_sha256: str
    manifest: dict = field(default_factory=dict)


class _Exporter:
    def __init__(self, agreement):
        self.agreement = agreement
        self._usernames = {}
        self._party_keys = {}

    # Look-ups -----------------------------------------------------------------------------------------------

    def user_name(self, obj, field):
        """The user name of `obj`'s user field, or the name an earlier import kept for it (ArchivedUserName)."""
        user_id = getattr(obj, f"{field}_id")
        if user_id is None:
            return self._archived_names.get((type(obj), obj.pk, field))
        return self.username(user_id)

    def username(self, user_id):
        if user_id is None:
            return None
        if user_id not in self._usernames:
            user = get_user_model().objects.filter(pk=user_id).first()
            self._usernames[user_id] = user.get_username() if user else None
        return self._usernames[user_id]

    def party_key(self, party_id):
        if party_id is None:
            return None
        if party_id not in self._party_keys:
            self._party_keys[party_id] = m.Party.objects.filter(pk=party_id).values_list("key", flat=True).first()
        return self._party_keys[party_id]

    @staticmethod
    def _refs(prefix, objects):
        return {obj.pk: f"{prefix}-{number}" for number, obj in enumerate(objects, start=1)}

    # The archive ----------------------------------------------------------------------------------------------

    def collect(self):
        a = self.agreement
        self.sections = list(a.sections.order_by("order", "id"))
        self.goals = list(a.goals.select_related("indicator").order_by("order", "id"))
        self.offers = list(a.offers.select_related("topic").order_by("topic__number", "order", "id"))
        self.versions = list(a.versions.order_by("number"))
        self.proposals = list(a.proposals.order_by("created", "id"))
        self.steps = list(a.steps.prefetch_related("participants").order_by("date", "created", "id"))
        self.statements = list(a.statements.order_by("date", "id"))
        self.signatures = list(a.signatures.order_by("date", "id"))
        self.reviews = list(a.reviews.prefetch_related("assessments").order_by("date", "id"))
        self.vorlagen = list(m.Vorlage.objects.filter(agreement=a).order_by("date", "id"))

        letter_ids = set(a.letters.values_list("pk", flat=True))
        letter_ids |= {p.answer_letter_id for p in self.proposals if p.answer_letter_id}
        letter_ids |= {s.letter_id for s in self.steps if s.letter_id}
        self.letters = list(m.Letter.objects.filter(pk__in=letter_ids).order_by("date", "id"))

        self.vorlage_sections = {v.pk: list(v.sections.order_by("order", "id")) for v in self.vorlagen}
        self.consultations = {
            v.pk: list(v.consultations.select_related("meeting").order_by("order", "id")) for v in self.vorlagen
        }
        self.anlagen = {v.pk: list(v.anlagen.order_by("order", "id")) for v in self.vorlagen}
        self.agenda_items = {
            c.pk: list(c.agenda_items.order_by("order", "id"))
            for consultations in self.consultations.values() for c in consultations
        }

        document_ids = set(a.documents.values_list("pk", flat=True))
        document_ids |= {x.document_id for x in [*self.letters, *self.statements] if x.document_id}
        document_ids |= {x.document_id for anlagen in self.anlagen.values() for x in anlagen if x.document_id}
        document_ids |= {v.main_file_id for v in self.vorlagen if v.main_file_id}
        if a.signed_file_id:
            document_ids.add(a.signed_file_id)
        self.documents = list(m.Document.objects.filter(pk__in=document_ids).order_by("created", "id"))

        # The context: rows of other aggregates that the agreement's rows point at.
        person_ids = {s.person_id for s in self.signatures if s.person_id}
        person_ids |= {x.sender_person_id for x in self.letters if x.sender_person_id}
        person_ids |= {v.author_id for v in self.vorlagen}
        self.people = sorted(
            m.Person.objects.filter(pk__in=person_ids).select_related("party"),
            key=lambda p: (p.party.key, p.family_name, p.given_name, p.title, p.function, p.pk),
        )
        department_ids = {v.department_id for v in self.vorlagen}
        department_ids |= {p.department_id for p in self.people if p.department_id}
        self.departments = sorted(
            m.Department.objects.filter(pk__in=department_ids).select_related("party"),
            key=lambda d: (d.party.key, d.number, d.pk),
        )
        meeting_ids = {c.meeting_id for cs in self.consultations.values() for c in cs if c.meeting_id}
        meeting_ids |= {item.meeting_id for items in self.agenda_items.values() for item in items}
        meetings = list(m.Meeting.objects.filter(pk__in=meeting_ids))
        committee_ids = {c.committee_id for cs in self.consultations.values() for c in cs}
        committee_ids |= {x.committee_id for x in meetings}
        self.committees = sorted(
            m.Committee.objects.filter(pk__in=committee_ids).select_related("party"),
            key=lambda c: (c.party.key, c.name, c.pk),
        )
        self.committee_refs = self._refs("committee", self.committees)
        committee_order = {pk: number for number, pk in enumerate(self.committee_refs)}
        self.meetings = sorted(meetings, key=lambda x: (committee_order[x.committee_id], x.start, x.pk))

        self.section_refs = self._refs("section", self.sections)
        self.goal_refs = self._refs("goal", self.goals)
        self.offer_refs = self._refs("offer", self.offers)
        self.document_refs = self._refs("document", self.documents)
        self.letter_refs = self._refs("letter", self.letters)
        self.person_refs = self._refs("person", self.people)
        self.department_refs = self._refs("department", self.departments)
        self.meeting_refs = self._refs("meeting", self.meetings)
        self.version_numbers = {v.pk: v.number for v in self.versions}
        self._archived_names = self._load_archived_names()
        # Ids in snapshots of items that no longer exist, numbered in the order they first appear.
        self.gone_refs = {}

    def _load_archived_names(self):
        records = [
            self.agreement, *self.documents, *self.letters, *self.statements, *self.versions, *self.proposals,
            *self.steps, *self.signatures, *self.reviews, *self.vorlagen, *self.people,
        ]
        ids = {}
        for record in records:
            ids.setdefault(type(record), set()).add(record.pk)
        content_types = ContentType.objects.get_for_models(*ids)
        query = Q()
        for model, pks in ids.items():
            query |= Q(content_type=content_types[model], object_id__in=pks)
        models_by_type = {content_types[model].pk: model for model in ids}
        return {
            (models_by_type[row.content_type_id], row.object_id, row.field): row.name
            for row in m.ArchivedUserName.objects.filter(query)
        }

    def build(self):
        self.collect()
        a = self.agreement
        agreement = {
            **_plain(a, "agreement"),
            "legal_bases": sorted(a.legal_bases.values_list("citation", flat=True)),
            "parties": [
                {"party": self.party_key(ap.party_id), **_plain(ap, "agreement_party")}
                for ap in a.agreement_parties.order_by("order", "id")
            ],
            "predecessor": self._agreement_reference(a.predecessor),
            "amends": self._agreement_reference(a.amends),
            "related": sorted(
                (self._agreement_reference(r) for r in a.related.all()), key=lambda r: (r["year"], r["title"])
            ),
            "signed_file": self.document_refs.get(a.signed_file_id),
            "created_by": self.user_name(a, "created_by"),
        }
        data = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "agreement": agreement,
            "sections": [{"ref": self.section_refs[s.pk], **_plain(s, "section")} for s in self.sections],
            "goals": [
                {
                    "ref": self.goal_refs[g.pk], **_plain(g, "goal"),
                    "indicator": g.indicator.code if g.indicator else None,
                }
                for g in self.goals
            ],
            "offers": [
                {
                    "ref": self.offer_refs[o.pk], **_plain(o, "offer"), "topic": o.topic.number,
                    "provider": self.party_key(o.provider_id),
                    "coordinated_with": self.party_key(o.coordinated_with_id),
                }
                for o in self.offers
            ],
            "documents": [self._document(d) for d in self.documents],
            "letters": [self._letter(x) for x in self.letters],
            "statements": [
                {
                    **_plain(s, "statement"), "party": self.party_key(s.party_id),
                    "document": self.document_refs.get(s.document_id), "created_by": self.user_name(s, "created_by"),
                }
                for s in self.statements
            ],
            "versions": [
                {
                    **_plain(v, "version"), "author_party": self.party_key(v.author_party_id),
                    "sent_by": self.user_name(v, "sent_by"), "snapshot": self._snapshot(v.snapshot),
                }
                for v in self.versions
            ],
            "proposals": [self._proposal(p) for p in self.proposals],
            "procedure_steps": [self._step(s) for s in self.steps],
            "signatures": [
                {
                    **_plain(s, "signature"), "party": self.party_key(s.party_id),
                    "person": self.person_refs.get(s.person_id), "recorded_by": self.user_name(s, "recorded_by"),
                }
                for s in self.signatures
            ],
            "reviews": [self._review(r) for r in self.reviews],
            "vorlagen": [self._vorlage(v) for v in self.vorlagen],
        }
        data["context"] = self._context(data)
        return data

    def _agreement_reference(self, other):
        # Informational: the other agreement is not part of the archive.
        return None if other is None else {"title": other.title, "year": other.year}

    def _document(self, d):
        return {
            "ref": self.document_refs[d.pk], **_plain(d, "document"), "file": f"files/{d.sha256}",
            "attached_to_agreement": d.agreement_id == self.agreement.pk,
            "uploaded_by": self.user_name(d, "uploaded_by"),
        }

    def _letter(self, x):
        return {
            "ref": self.letter_refs[x.pk], **_plain(x, "letter"),
            "attached_to_agreement": x.agreement_id == self.agreement.pk,
            "sender": self.party_key(x.sender_id), "recipient": self.party_key(x.recipient_id),
            "sender_person": self.person_refs.get(x.sender_person_id),
            "document": self.document_refs.get(x.document_id), "registered_by": self.user_name(x, "registered_by"),
        }

    def _proposal(self, p):
        return {
            **_plain(p, "proposal"), "party": self.party_key(p.party_id),
            # A goal or section of another agreement (or one that is gone) cannot be referenced.
            "goal": self.goal_refs.get(p.goal_id), "section": self.section_refs.get(p.section_id),
            "answer_letter": self.letter_refs.get(p.answer_letter_id),
            "decided_by": self.user_name(p, "decided_by"), "created_by": self.user_name(p, "created_by"),
        }

    def _step(self, s):
        return {
            **_plain(s, "step"),
            "participants": sorted(p.key for p in s.participants.all()),
            "letter": self.letter_refs.get(s.letter_id),
            # A step pointing at another agreement's version keeps no version.
            "version": self.version_numbers.get(s.version_id),
            "actor": self.user_name(s, "actor"),
        }

    def _review(self, r):
        assessments = sorted(
            r.assessments.all(), key=lambda x: (self._goal_position(x.goal_id), x.pk)
        )
        return {
            **_plain(r, "review"), "created_by": self.user_name(r, "created_by"),
            "assessments": [
                {**_plain(x, "assessment"), "goal": self._assessed_goal(x)} for x in assessments
            ],
        }

    def _goal_position(self, goal_id):
        ref = self.goal_refs.get(goal_id)
        return int(ref.rsplit("-", 1)[1]) if ref else 0

    def _assessed_goal(self, assessment):
        ref = self.goal_refs.get(assessment.goal_id)
        if ref is None:
            raise ArchiveError(
                _("Die Bewertung „%(assessment)s“ gehört zu einem Ziel einer anderen Zielvereinbarung; das Archiv "
                  "kann sie nicht abbilden.") % {"assessment": assessment}
            )
        return ref

    def _vorlage(self, v):
        return {
            **_plain(v, "vorlage"),
            "department": self.department_refs[v.department_id],
            "author": self.person_refs[v.author_id],
            "main_file": self.document_refs.get(v.main_file_id),
            "released_by": self.user_name(v, "released_by"),
            "created_by": self.user_name(v, "created_by"),
            "sections": [_plain(s, "vorlage_section") for s in self.vorlage_sections[v.pk]],
            "consultations": [
                {
                    **_plain(c, "consultation"), "committee": self.committee_refs[c.committee_id],
                    "meeting": self.meeting_refs.get(c.meeting_id),
                    "agenda_items": [
                        {**_plain(item, "agenda_item"), "meeting": self.meeting_refs[item.meeting_id]}
                        for item in self.agenda_items[c.pk]
                    ],
                }
                for c in self.consultations[v.pk]
            ],
            "anlagen": [
                {**_plain(x, "anlage"), "document": self.document_refs.get(x.document_id)}
                for x in self.anlagen[v.pk]
            ],
        }

    def _snapshot(self, snapshot):
        snapshot = copy.deepcopy(snapshot)
        if not isinstance(snapshot, dict):
            return snapshot
        for kind, prefix, refs in (
            ("sections", "section", self.section_refs), ("goals", "goal", self.goal_refs),
            ("offers", "offer", self.offer_refs),
        ):
            for item in _items(snapshot, kind):
                if item.get("id") is not None:
                    item["id"] = refs.get(item["id"]) or self._gone(prefix, item["id"])
        for item in _items(snapshot, "parties"):
            if "party_id" in item:
                item["party_id"] = self.party_key(item["party_id"]) if isinstance(item["party_id"], int) else None
        return snapshot

    def _gone(self, prefix, value):
        key = (prefix, json.dumps(value, sort_keys=True))
        if key not in self.gone_refs:
            number = 1 + sum(1 for p, _value in self.gone_refs if p == prefix)
            self.gone_refs[key] = f"{prefix}-gone-{number}"
        return self.gone_refs[key]

    def _context(self, data):
        context = {
            "legal_bases": data["agreement"]["legal_bases"],
            "indicators": sorted({g["indicator"] for g in data["goals"] if g["indicator"]}),
            "topics": [
                _plain(t, "topic") for t in m.Topic.objects.filter(pk__in={o.topic_id for o in self.offers})
                .order_by("number")
            ],
            "departments": [
                {"ref": self.department_refs[d.pk], "party": d.party.key, **_plain(d, "department")}
                for d in self.departments
            ],
            "people": [
                {
                    "ref": self.person_refs[p.pk], "party": p.party.key, **_plain(p, "person"),
                    "department": self.department_refs.get(p.department_id), "user": self.user_name(p, "user"),
                }
                for p in self.people
            ],
            "committees": [
                {"ref": self.committee_refs[c.pk], "party": c.party.key, **_plain(c, "committee")}
                for c in self.committees
            ],
            "meetings": [
                {"ref": self.meeting_refs[x.pk], "committee": self.committee_refs[x.committee_id],
                 **_plain(x, "meeting")}
                for x in self.meetings
            ],
        }
        # Informational: which parties the archive needs, with their names for a reader of the file.
        keys = _party_keys({**data, "context": context})
        context["parties"] = [
            {"key": p.key, "name": p.name, "kind": p.kind} for p in m.Party.objects.filter(key__in=keys).order_by("key")
        ]
        return context


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
    "review": ("created_by",),
    "vorlage": ("released_by", "created_by"),
    "person": ("user",),
}


def _usernames(data):
    """Every user name the archive mentions."""
    rows = [
        ("agreement", data["agreement"]), *(("document", x) for x in data["documents"]),
        *(("letter", x) for x in data["letters"]), *(("statement", x) for x in data["statements"]),
        *(("version", x) for x in data["versions"]), *(("proposal", x) for x in data["proposals"]),
        *(("step", x) for x in data["procedure_steps"]), *(("signature", x) for x in data["signatures"]),
        *(("review", x) for x in data["reviews"]), *(("vorlage", x) for x in data["vorlagen"]),
        *(("person", x) for x in data["context"]["people"]),
    ]
    names = {row.get(name) for kind, row in rows for name in USER_FIELDS[kind]}
    names.discard(None)
    return names


def _party_keys(data):
    """Every party key the archive refers to."""
    keys = {p["party"] for p in data["agreement"]["parties"]}
    for o in data["offers"]:
        keys |= {o["provider"], o["coordinated_with"]}
    for x in data["letters"]:
        keys |= {x["sender"], x["recipient"]}
    for collection in ("statements", "proposals", "signatures"):
        keys |= {x["party"] for x in data[collection]}
    for v in data["versions"]:
        keys.add(v["author_party"])
        keys |= {p.get("party_id") for p in _items(v["snapshot"], "parties")}
    for s in data["procedure_steps"]:
        keys |= set(s["participants"])
    for collection in ("departments", "people", "committees"):
        keys |= {x["party"] for x in data["context"][collection]}
    keys.discard(None)
    return keys


def _items(snapshot, kind):
    items = snapshot.get(kind) if isinstance(snapshot, dict) else None
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def agreement_data(agreement):
    """The content of agreement.json as Python data (deterministic for an unchanged agreement)."""
    return _Exporter(agreement).build()


def agreement_json(agreement):
    return _dumps(agreement_data(agreement))


def _zip_info(path, size):
    info = zipfile.ZipInfo(path, date_time=ZIP_TIMESTAMP)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = ZIP_FILE_MODE
    info.file_size = size
    return info


def write_archive(agreement, target):
    """Write the archive of `agreement` to `target` (a binary file object)."""
    exporter = _Exporter(agreement)
    data = exporter.build()
    payload = _dumps(data)
    payload_sha256 = hashlib.sha256(payload).hexdigest()
    files = [{"path": AGREEMENT_JSON, "size": len(payload), "sha256": payload_sha256}]
    # One member per content: two documents with the same bytes share it.
    documents = {}
    for document in exporter.documents:
        documents.setdefault(document.sha256, document)

    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        zf.writestr(_zip_info(AGREEMENT_JSON, len(payload)), payload)
        for sha256 in sorted(documents):
            document = documents[sha256]
            path = f"files/{sha256}"
            digest, size = hashlib.sha256(), 0
            try:
                source = document.file.open("rb")
            except (OSError, ValueError) as error:
                raise ArchiveError(
                    _("Die Datei des Dokuments „%(title)s“ (Nr. %(id)s) ist nicht lesbar: %(error)s")
                    % {"title": document.title, "id": document.pk, "error": error}
                ) from None
            with source, zf.open(_zip_info(path, document.size), "w", force_zip64=document.size > 2**31) as sink:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    sink.write(chunk)
            if digest.hexdigest() != sha256 or size != document.size:
                # The stored bytes are not what was uploaded: an archive must not carry them as if they were.
                raise ArchiveError(
                    _("Die gespeicherte Datei des Dokuments „%(title)s“ (Nr. %(id)s) stimmt nicht mit ihrer "
                      "Prüfsumme überein; das Archiv wurde nicht geschrieben.")
                    % {"title": document.title, "id": document.pk}
                )
            files.append({"path": path, "size": size, "sha256": sha256})
        manifest = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "created_at": timezone.now().astimezone(datetime.UTC).isoformat(),
            "source": _source_system(),
            "agreement": {"id": agreement.pk, "title": agreement.title, "year": agreement.year},
            "agreement_sha256": payload_sha256,
            "files": files,
        }
        manifest_bytes = _dumps(manifest)
        zf.writestr(_zip_info(MANIFEST, len(manifest_bytes)), manifest_bytes)
    return ExportResult(
        agreement_id=agreement.pk, documents=len(data["documents"]), files=len(documents),
        agreement_sha256=payload_sha256, manifest=manifest,
    )


def export_archive(agreement, path):
    """Write the archive to `path` atomically: a reader never sees half an archive."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem[:16]}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            result = write_archive(agreement, tmp)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.chmod(tmp_name, 0o640)
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    return result


# Import ----------------------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    agreement_id: int | None
    title: str
    dry_run: bool
    counts: dict
    notes: list


class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs):
    # json.loads keeps the last of two equal keys silently; in an archive that is a second, hidden value.
    result = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _parse_json(raw, path):
    try:
        return json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicate_keys)
    except _DuplicateKey as error:
        raise ArchiveError(
            _("Die Datei „%(path)s“ im Archiv enthält den Schlüssel „%(key)s“ mehrfach in einem Objekt; es wurde "
              "nichts gespeichert.") % {"path": path, "key": error.args[0]}
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ArchiveError(
            _("Die Datei „%(path)s“ im Archiv ist kein gültiges JSON: %(error)s") % {"path": path, "error": error}
        ) from None


def _read_member(zf, info, limit, *, sink=None):
    """SHA-256 and size of one member, read in chunks into `sink` (if given); never more than `limit` bytes are
    read, so neither a lying size in the ZIP nor a zip bomb gets further than the limit."""
    digest, size = hashlib.sha256(), 0
    try:
        with zf.open(info) as handle:
            while chunk := handle.read(min(CHUNK, limit + 1 - size)):
                size += len(chunk)
                if size > limit:
                    raise ArchiveError(
                        _("Die Datei „%(path)s“ im Archiv ist größer als angegeben; es wurde nichts gespeichert.")
                        % {"path": info.filename}
                    )
                digest.update(chunk)
                if sink is not None:
                    sink.write(chunk)
    except ArchiveError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError, ValueError) as error:
        # A damaged member (CRC, truncated data), an encrypted one or an unknown compression.
        raise ArchiveError(
            _("Die Datei „%(path)s“ im Archiv ist beschädigt oder verändert worden (%(error)s); es wurde nichts "
              "gespeichert.") % {"path": info.filename, "error": error}
        ) from None
    return digest.hexdigest(), size


def _read_small_member(zf, info, limit):
    sink = io.BytesIO()
    _read_member(zf, info, limit, sink=sink)
    return sink.getvalue()


def _spool_member(zf, info, limit):
    """The member's bytes in a temporary file (in memory only while small), its SHA-256 and size."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
    try:
        sha256, size = _read_member(zf, info, limit, sink=spool)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool, sha256, size


def _tampered(path):
    return ArchiveError(
        _("Die Datei „%(path)s“ im Archiv stimmt nicht mit ihrer Prüfsumme (SHA-256) im Manifest überein: Das "
          "Archiv ist beschädigt oder verändert worden; es wurde nichts gespeichert.") % {"path": path}
    )


def _invalid_manifest(reason):
    return ArchiveError(_("Das Manifest des Archivs ist ungültig: %(reason)s") % {"reason": reason})


def _too_large(path, limit):
    return ArchiveError(
        _("Die Datei „%(path)s“ im Archiv ist größer als erlaubt (höchstens %(limit)s MB); es wurde nichts "
          "gespeichert.") % {"path": path, "limit": format_mb(limit)}
    )


def _member_limit(path):
    if path == MANIFEST:
        return MAX_MANIFEST_SIZE
    if path == AGREEMENT_JSON:
        return MAX_AGREEMENT_JSON_SIZE
    # A document in an archive is an upload like any other: the same limit.
    return settings.UPLOAD_MAX_BYTES


def _member_problem(info):
    """Why a ZIP entry is not a plain file at a plain relative path, or None."""
    name = info.filename
    parts = name.split("/")
    if (
        not name or name.startswith("/") or "\\" in name or "\x00" in name or re.match(r"^[A-Za-z]:", name)
        or ".." in parts or "" in parts[:-1]
    ):
        return _("unzulässiger Pfad (absolut, mit „..“ oder Laufwerk)")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return _("symbolische Verknüpfung")
    if info.is_dir() or stat.S_ISDIR(mode) or info.external_attr & MSDOS_DIRECTORY:
        return _("Verzeichnis")
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG):
        # Hard links, devices, pipes: nothing an export writes, nothing an import may follow.
        return _("Verknüpfung oder Sonderdatei")
    if info.flag_bits & 0x1:
        return _("verschlüsselt")
    return None


def _checked_members(zf):
    """The ZIP's entries by name, refused before any is read: anything but plain files, names twice, sizes that
    promise more than the limits (the sizes actually read are checked against these while reading)."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ArchiveError(
            _("Das Archiv enthält mehr als %(count)s Dateien und wird nicht gelesen.") % {"count": MAX_MEMBERS}
        )
    for info in infos:
        problem = _member_problem(info)
        if problem:
            raise ArchiveError(
                _("Das Archiv enthält „%(path)s“: %(problem)s. Ein Archiv darf nur gewöhnliche Dateien enthalten; "
                  "es wurde nichts gespeichert.") % {"path": info.filename, "problem": problem}
            )
    names = [info.filename for info in infos]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ArchiveError(
            _("Das Archiv enthält Dateien mehrfach: %(names)s") % {"names": ", ".join(duplicates)}
        )
    for info in infos:
        limit = _member_limit(info.filename)
        if info.file_size > limit:
            raise _too_large(info.filename, limit)
    if sum(info.file_size for info in infos) > MAX_TOTAL_SIZE:
        raise ArchiveError(
            _("Das Archiv würde entpackt mehr als %(limit)s MB ergeben und wird nicht gelesen.")
            % {"limit": format_mb(MAX_TOTAL_SIZE)}
        )
    return {info.filename: info for info in infos}


def _read_manifest(zf, members):
    if MANIFEST not in members:
        raise ArchiveError(_("Das Archiv enthält keine Datei „%(path)s“.") % {"path": MANIFEST})
    manifest = _parse_json(_read_small_member(zf, members[MANIFEST], MAX_MANIFEST_SIZE), MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise ArchiveError(_("Die Datei ist kein Archiv einer Zielvereinbarung (Format „%(format)s“ erwartet).")
                           % {"format": FORMAT_NAME})
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _invalid_manifest(_("Die Formatversion fehlt."))
    if version > FORMAT_VERSION:
        raise ArchiveError(
            _("Das Archiv hat die Formatversion %(version)s; diese Installation liest nur bis Version %(max)s.")
            % {"version": version, "max": FORMAT_VERSION}
        )
    return manifest


def _manifest_entry(entry):
    path = entry.get("path") if isinstance(entry, dict) else None
    size = entry.get("size") if isinstance(entry, dict) else None
    sha256 = entry.get("sha256") if isinstance(entry, dict) else None
    if (
        not isinstance(path, str) or not isinstance(size, int) or isinstance(size, bool) or size < 0
        or not isinstance(sha256, str) or not SHA256.match(sha256)
    ):
        raise _invalid_manifest(_("Ein Eintrag der Dateiliste ist unvollständig: %(entry)s")
                                % {"entry": json.dumps(entry, ensure_ascii=False)[:200]})
    if path != AGREEMENT_JSON and not FILE_PATH.match(path):
        raise _invalid_manifest(_("Unerwarteter Pfad „%(path)s“.") % {"path": path})
    return path


def _listed_files(manifest, members):
    """The manifest's file list by path, matched against the ZIP's members both ways."""
    files = manifest.get("files")
    if not isinstance(files, list):
        raise _invalid_manifest(_("Die Liste der Dateien fehlt."))
    listed = {}
    for entry in files:
        path = _manifest_entry(entry)
        if path in listed:
            raise _invalid_manifest(_("Der Pfad „%(path)s“ ist doppelt aufgeführt.") % {"path": path})
        listed[path] = entry
    if AGREEMENT_JSON not in listed:
        raise _invalid_manifest(_("„%(path)s“ ist nicht aufgeführt.") % {"path": AGREEMENT_JSON})
    if manifest.get("agreement_sha256") != listed[AGREEMENT_JSON]["sha256"]:
        raise _tampered(AGREEMENT_JSON)
    unlisted = sorted(set(members) - set(listed) - {MANIFEST})
    if unlisted:
        raise ArchiveError(
            _("Das Archiv enthält Dateien, die nicht im Manifest stehen: %(names)s; es wurde nichts gespeichert.")
            % {"names": ", ".join(unlisted)}
        )
    missing = sorted(set(listed) - set(members))
    if missing:
        raise ArchiveError(
            _("Im Archiv fehlen Dateien, die das Manifest aufführt: %(names)s") % {"names": ", ".join(missing)}
        )
    for path, entry in listed.items():
        if members[path].file_size != entry["size"]:
            raise _tampered(path)
    return listed


def _read_agreement(zf, info, entry, version):
    sink = io.BytesIO()
    sha256, size = _read_member(zf, info, entry["size"], sink=sink)
    if sha256 != entry["sha256"] or size != entry["size"]:
        raise _tampered(AGREEMENT_JSON)
    data = _parse_json(sink.getvalue(), AGREEMENT_JSON)
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME or data.get("format_version") != version:
        raise ArchiveError(_("„%(path)s“ passt nicht zum Manifest (Format oder Version).") % {"path": AGREEMENT_JSON})
    return data


def _check_documents(data, listed):
    """Every document names a listed file with its size and SHA-256; returns {path: [documents]}."""
    documents = data.get("documents")
    if not isinstance(documents, list):
        raise ArchiveError(_("„%(path)s“ enthält keine Liste der Dokumente.") % {"path": AGREEMENT_JSON})
    by_path = {}
    for document in documents:
        entry = listed.get(document.get("file")) if isinstance(document, dict) else None
        if entry is None or entry["sha256"] != document.get("sha256") or entry["size"] != document.get("size"):
            title = document.get("title") if isinstance(document, dict) else document
            raise ArchiveError(
                _("Die Datei des Dokuments „%(title)s“ fehlt im Archiv oder passt nicht zu seinen Angaben.")
                % {"title": title}
            )
        by_path.setdefault(document["file"], []).append(document)
    return by_path


def _check_file(zf, info, entry, documents):
    """Checksum, then the upload checks by content: an archive is no way around them. The stated type of every
    document using the file must be the type its bytes have."""
    spool, sha256, size = _spool_member(zf, info, min(entry["size"], _member_limit(info.filename)))
    with spool:
        if sha256 != entry["sha256"] or size != entry["size"] or FILE_PATH.match(info.filename).group(1) != sha256:
            raise _tampered(info.filename)
        try:
            upload = inspect_upload(spool)
        except UploadRejected as error:
            raise ArchiveError(
                _("Die Datei „%(path)s“ im Archiv (Dokument „%(title)s“) wird nicht angenommen: %(reason)s Es wurde "
                  "nichts gespeichert.")
                % {"path": info.filename, "title": _titles(documents), "reason": error}
            ) from None
    for document in documents:
        if document.get("content_type") != upload.content_type:
            raise ArchiveError(
                _("Das Dokument „%(title)s“ ist im Archiv als „%(stated)s“ angegeben, die Datei „%(path)s“ ist aber "
                  "„%(actual)s“; es wurde nichts gespeichert.")
                % {"title": document.get("title"), "stated": document.get("content_type"), "path": info.filename,
                   "actual": upload.content_type}
            )
        if document.get("is_pdfa") and not upload.is_pdfa:
            # A bundle claims PDF/A only when every part is; the claim must come from the file, not the archive.
            raise ArchiveError(
                _("Das Dokument „%(title)s“ ist im Archiv als PDF/A angegeben, die Datei „%(path)s“ ist aber nicht als "
                  "PDF/A gekennzeichnet; es wurde nichts gespeichert.")
                % {"title": document.get("title"), "path": info.filename}
            )


def _titles(documents):
    return ", ".join(str(d.get("title")) for d in documents) or "–"


# Keys that identify a row within the archive: each must occur once (per list; per parent where nested).
UNIQUE_KEYS = (
    (("sections",), "ref", gettext_lazy("den Abschnitt")),
    (("goals",), "ref", gettext_lazy("das Ziel")),
    (("offers",), "ref", gettext_lazy("das Unterstützungsangebot")),
    (("documents",), "ref", gettext_lazy("das Dokument")),
    (("letters",), "ref", gettext_lazy("das Schreiben")),
    (("versions",), "number", gettext_lazy("die Fassung")),
    (("vorlagen",), "reference", gettext_lazy("die Vorlage")),
    (("agreement", "parties"), "party", gettext_lazy("die Stelle unter den Vereinbarungspartnern")),
    (("context", "departments"), "ref", gettext_lazy("den Fachbereich")),
    (("context", "people"), "ref", gettext_lazy("die Person")),
    (("context", "committees"), "ref", gettext_lazy("das Gremium")),
    (("context", "meetings"), "ref", gettext_lazy("die Sitzung")),
    (("context", "topics"), "number", gettext_lazy("den Themenschwerpunkt")),
    (("context", "parties"), "key", gettext_lazy("die Stelle")),
)


def _duplicate(what, key):
    return ArchiveError(
        _("Im Archiv kommt %(what)s „%(key)s“ mehrfach vor; es wurde nichts gespeichert.")
        % {"what": what, "key": key}
    )


def _first_duplicate(values):
    seen = set()
    for value in values:
        marker = json.dumps(value, sort_keys=True)
        if marker in seen:
            return value
        seen.add(marker)
    return None


def _check_unique(data):
    """Duplicates are errors, never merged: two goals with one reference would otherwise become one target of
    every reference to them, two parties with one key one signature too few."""
    try:
        for path, key, what in UNIQUE_KEYS:
            rows = functools.reduce(lambda node, name: node[name], path, data)
            if (value := _first_duplicate(row[key] for row in rows)) is not None:
                raise _duplicate(what, value)
        for values, what in (
            (data["agreement"]["legal_bases"], _("die Rechtsgrundlage")),
            (data["context"]["legal_bases"], _("die Rechtsgrundlage")),
            *((s["participants"], _("die beteiligte Stelle eines Verfahrensschritts"))
              for s in data["procedure_steps"]),
            *(([x["goal"] for x in r["assessments"]], _("die Bewertung des Ziels")) for r in data["reviews"]),
            ([(i["meeting"], i["number"]) for v in data["vorlagen"] for c in v["consultations"]
              for i in c["agenda_items"]], _("der Tagesordnungspunkt (Sitzung, Nummer)")),
        ):
            if (value := _first_duplicate(values)) is not None:
                raise _duplicate(what, value)
    except (KeyError, TypeError, AttributeError) as error:
        raise ArchiveError(
            _("„%(path)s“ hat nicht den erwarteten Aufbau (%(error)s: %(detail)s); es wurde nichts gespeichert.")
            % {"path": AGREEMENT_JSON, "error": type(error).__name__, "detail": error}
        ) from error


def verify_archive(zf):
    """Check the members, the manifest, every member's size and SHA-256, the documents' contents and the keys of
    agreement.json, all before anything is written; returns (manifest, agreement data, members)."""
    members = _checked_members(zf)
    manifest = _read_manifest(zf, members)
    listed = _listed_files(manifest, members)
    data = _read_agreement(zf, members[AGREEMENT_JSON], listed[AGREEMENT_JSON], manifest["format_version"])
    _check_unique(data)
    documents = _check_documents(data, listed)
    for path in sorted(listed):
        if path != AGREEMENT_JSON:
            _check_file(zf, members[path], listed[path], documents.get(path, []))
    return manifest, data, {path: members[path] for path in listed}


class _Importer:
    def __init__(self, zf, data, members, *, as_copy, dry_run, user_map=None, party_map=None):
        self.zf = zf
        self.data = data
        self.members = members
        self.as_copy = as_copy
        self.dry_run = dry_run
        self.user_map = dict(user_map or {})
        self.party_map = dict(party_map or {})
        self.archived_names = []  # ArchivedUserName rows, written once their records exist
        self.saved_files = []
        self.counts = {}
        self.notes = []
        self.deferred = []  # (model, pk, values) written by UPDATE once every row exists
        self._users = {}
        self.unmapped_users = set()
        self.vorlage_statuses = []

    # Helpers --------------------------------------------------------------------------------------------------

    def build(self, model, kind, data, **extra):
        """An unsaved row from the archive's plain fields, converted and checked like a form would."""
        values = {}
        for name in FIELDS[kind]:
            if name in DEFERRED:
                continue
            model_field = model._meta.get_field(name)
            label = f"{model._meta.verbose_name} / {name}"
            if name not in data:
                raise ArchiveError(_("Im Archiv fehlt das Feld „%(field)s“.") % {"field": label})
            try:
                value = model_field.to_python(data[name])
            except ValidationError as error:
                raise ArchiveError(
                    _("Ungültiger Wert im Feld „%(field)s“: %(error)s") % {"field": label, "error": error}
                ) from None
            if value is None and not model_field.null:
                raise ArchiveError(_("Das Feld „%(field)s“ darf nicht leer sein.") % {"field": label})
            if model_field.choices and value not in ("", None):
                if value not in {str(choice) for choice, _label in model_field.flatchoices}:
                    raise ArchiveError(
                        _("Unbekannter Wert „%(value)s“ im Feld „%(field)s“.") % {"value": value, "field": label}
                    )
            max_length = getattr(model_field, "max_length", None)
            if max_length and isinstance(value, str) and len(value) > max_length:
                raise ArchiveError(
                    _("Der Wert im Feld „%(field)s“ ist länger als %(max)s Zeichen.")
                    % {"field": label, "max": max_length}
                )
            values[name] = value
        obj = model(**values, **extra)
        obj._change_reason = CHANGE_REASON
        # People the archive names but the operator did not map: kept as names, the user field stays empty.
        obj._archived_names = {
            name: data[name] for name in USER_FIELDS.get(kind, ()) if data.get(name) and extra.get(name) is None
        }
        return obj

    def save(self, obj, data=None):
        obj.save()
        names = getattr(obj, "_archived_names", None)
        if names:
            content_type = ContentType.objects.get_for_model(type(obj))
            self.archived_names.extend(
                m.ArchivedUserName(content_type=content_type, object_id=obj.pk, field=field, name=name)
                for field, name in sorted(names.items())
            )
        label = str(obj._meta.verbose_name_plural)
        self.counts[label] = self.counts.get(label, 0) + 1
        if data is not None and "created" in data:
            self.defer(obj, created=self.timestamp(data["created"]))
        return obj

    def defer(self, obj, **values):
        self.deferred.append((type(obj), obj.pk, values))

    @staticmethod
    def timestamp(value):
        try:
            result = m.Document._meta.get_field("created").to_python(value)
        except ValidationError:
            result = None
        if result is None:
            raise ArchiveError(_("Ungültiger Zeitpunkt „%(value)s“ im Archiv.") % {"value": value})
        return result

    @staticmethod
    def lookup(mapping, ref, what):
        if ref is None:
            return None
        try:
            return mapping[ref]
        except (KeyError, TypeError):
            raise ArchiveError(
                _("Das Archiv verweist auf %(what)s „%(ref)s“; dieser Eintrag fehlt im Archiv.")
                % {"what": what, "ref": ref}
            ) from None

    def party(self, key):
        return self.lookup(self.parties, key, _("die Stelle"))

    def user(self, username):
        """The local account the operator mapped `username` to, or None: never found by the name alone."""
        if not username:
            return None
        user = self._users.get(username)
        if user is None:
            self.unmapped_users.add(username)
        return user

    def resolve_users(self):
        names = _usernames(self.data)
        problems = []
        unknown = sorted(set(self.user_map) - names)
        if unknown:
            problems.append(_("Diese Namen kommen im Archiv nicht vor: %(names)s") % {"names": ", ".join(unknown)})
        User = get_user_model()
        targets = set(self.user_map.values())
        found = {u.get_username(): u for u in User.objects.filter(**{f"{User.USERNAME_FIELD}__in": targets})}
        missing = sorted(targets - found.keys())
        if missing:
            problems.append(_("Diese Benutzerkonten gibt es hier nicht: %(names)s") % {"names": ", ".join(missing)})
        if problems:
            raise ArchiveError(
                _("Die Zuordnung der Benutzer (--map-user) passt nicht; es wurde nichts gespeichert. %(problems)s")
                % {"problems": "; ".join(problems)}
            )
        self._users = {name: found[target] for name, target in self.user_map.items()}

    def spooled_file(self, path, sha256):
        # Read again and hashed again: the archive may have changed since it was verified.
        info = self.members[path]
        spool, digest, _size = _spool_member(self.zf, info, min(info.file_size, _member_limit(path)))
        if digest != sha256:
            spool.close()
            raise _tampered(path)
        return spool

    def delete_saved_files(self):
        for storage, name in self.saved_files:
            try:
                storage.delete(name)
            except OSError:
                pass

    # Reference data and context -------------------------------------------------------------------------------

    def check_reference_data(self):
        data = self.data
        keys = _party_keys(data)
        self.resolve_users()
        targets = {key: self.party_map.get(key, key) for key in keys}
        local = {p.key: p for p in m.Party.objects.filter(key__in=targets.values())}
        self.parties = {key: local[target] for key, target in targets.items() if target in local}
        citations = set(data["agreement"]["legal_bases"])
        self.legal_bases = {lb.citation: lb for lb in m.LegalBasis.objects.filter(citation__in=citations)}
        codes = {g["indicator"] for g in data["goals"] if g["indicator"]}
        self.indicators = {i.code: i for i in m.Indicator.objects.filter(code__in=codes)}
        problems = []
        for label, missing in (
            (_("Unbekannte Stellen (Schlüssel)"), keys - self.parties.keys()),
            (_("Unbekannte Rechtsgrundlagen"), citations - self.legal_bases.keys()),
            (_("Unbekannte Kennzahlen"), codes - self.indicators.keys()),
        ):
            if missing:
                problems.append(f"{label}: {', '.join(sorted(map(str, missing)))}")
        if problems:
            raise ArchiveError(
                _("Das Archiv verweist auf Referenzdaten, die in dieser Datenbank fehlen; es wurde nichts "
                  "gespeichert. Bitte zuerst „manage.py load_reference“ ausführen oder die Einträge anlegen. "
                  "%(problems)s") % {"problems": "; ".join(problems)}
            )
        self.check_parties(keys)

    def check_parties(self, keys):
        """A party key of the archive stands for a local party only if the archive describes that party as this
        database knows it (same name, same kind): a key alone may mean another party in the source system. The
        operator may map a party explicitly (--map-party); its kind must still be the same."""
        described = {p["key"]: p for p in self.data["context"]["parties"]}
        problems = []
        unknown = sorted(set(self.party_map) - keys)
        if unknown:
            problems.append(_("Diese Schlüssel kommen im Archiv nicht vor: %(keys)s") % {"keys": ", ".join(unknown)})
        for key in sorted(keys):
            party, description = self.parties[key], described.get(key)
            if description is None:
                problems.append(_("„%(key)s“ wird im Archiv nicht beschrieben") % {"key": key})
            elif description.get("kind") != party.kind or (
                key not in self.party_map and description.get("name") != party.name
            ):
                kinds = dict(m.Party.Kind.choices)
                problems.append(
                    _("„%(key)s“ ist im Archiv „%(name)s“ (%(kind)s), hier „%(local)s“ (%(local_kind)s)")
                    % {"key": key, "name": description.get("name"),
                       "kind": kinds.get(description.get("kind"), description.get("kind")),
                       "local": party.name, "local_kind": party.get_kind_display()}
                )
        by_party = {}
        for key, party in self.parties.items():
            by_party.setdefault(party.key, []).append(key)
        problems.extend(
            _("„%(keys)s“ würden derselben Stelle „%(local)s“ zugeordnet")
            % {"keys": "“, „".join(sorted(k)), "local": local}
            for local, k in sorted(by_party.items()) if len(k) > 1
        )
        if problems:
            raise ArchiveError(
                _("Die Stellen im Archiv passen nicht zu den Stellen dieser Datenbank; es wurde nichts gespeichert. "
                  "Eine Stelle wird über ihren Schlüssel nur zugeordnet, wenn Name und Art übereinstimmen; sonst "
                  "ordnen Sie sie mit --map-party schlüssel-im-archiv=schlüssel-hier ausdrücklich zu. %(problems)s")
                % {"problems": "; ".join(problems)}
            )
        self.notes.append(
            _("Stellen: %(parties)s")
            % {"parties": ", ".join(f"{key} → {party.name}" for key, party in sorted(self.parties.items()))}
        )

    def import_context(self):
        context = self.data["context"]
        self.topics = {}
        for t in context["topics"]:
            topic = m.Topic.objects.filter(number=t["number"]).first()
            if topic is None:
                topic = self.save(self.build(m.Topic, "topic", t))
            self.topics[topic.number] = topic

        self.departments = {}
        for d in context["departments"]:
            party = self.party(d["party"])
            department = m.Department.objects.filter(party=party, number=d["number"]).first()
            if department is None:
                department = self.save(self.build(m.Department, "department", d, party=party))
            self.departments[d["ref"]] = department

        self.people = {}
        for p in context["people"]:
            party = self.party(p["party"])
            candidates = list(
                m.Person.objects.filter(party=party, family_name=p["family_name"], given_name=p["given_name"])
                .order_by("pk")
            )
            exact = [c for c in candidates if (c.title, c.function) == (p["title"], p["function"])]
            person = (exact or candidates or [None])[0]
            if person is None:
                person = self.build(
                    m.Person, "person", p, party=party,
                    department=self.lookup(self.departments, p["department"], _("den Fachbereich")),
                )
                user = self.user(p.get("user"))
                if user is not None and not m.Person.objects.filter(user=user).exists():
                    person.user = user
                    person._archived_names.pop("user", None)
                self.save(person)
            self.people[p["ref"]] = person

        self.committees = {}
        for c in context["committees"]:
            party = self.party(c["party"])
            committee = m.Committee.objects.filter(party=party, name=c["name"]).first()
            if committee is None:
                committee = self.save(self.build(m.Committee, "committee", c, party=party))
            self.committees[c["ref"]] = committee

        self.meetings = {}
        for x in context["meetings"]:
            committee = self.lookup(self.committees, x["committee"], _("das Gremium"))
            meeting = self.build(m.Meeting, "meeting", x, committee=committee)
            existing = m.Meeting.objects.filter(committee=committee, start=meeting.start).first()
            self.meetings[x["ref"]] = existing or self.save(meeting)

    def topic(self, number):
        topic = self.topics.get(number) or m.Topic.objects.filter(number=number).first()
        if topic is None:
            raise ArchiveError(_("Das Archiv verweist auf den Themenschwerpunkt %(number)s, den es nicht enthält.")
                               % {"number": number})
        return topic

    # The agreement --------------------------------------------------------------------------------------------

    def _is_duplicate(self, title, year, party_ids):
        for other in m.Agreement.objects.filter(title=title, year=year):
            if set(other.agreement_parties.values_list("party_id", flat=True)) == party_ids:
                return True
        return False

    def agreement_title(self, title, year, party_ids):
        if not self.as_copy:
            if self._is_duplicate(title, year, party_ids):
                raise ArchiveError(
                    _("Die Zielvereinbarung „%(title)s“ (%(year)s) mit denselben Vereinbarungspartnern ist bereits "
                      "gespeichert; es wurde nichts eingelesen. Mit --as-copy wird sie als Kopie mit dem Zusatz "
                      "„%(suffix)s“ im Titel eingelesen.")
                    % {"title": title, "year": year, "suffix": COPY_SUFFIX.strip()}
                )
            return title
        max_length = m.Agreement._meta.get_field("title").max_length
        number = 1
        while True:
            suffix = COPY_SUFFIX if number == 1 else f" (Import {number})"
            candidate = title[: max_length - len(suffix)] + suffix
            if not self._is_duplicate(candidate, year, party_ids):
                return candidate
            number += 1

    def run(self):
        data = self.data
        a = data["agreement"]
        self.import_context()

        party_ids = {self.party(p["party"]).pk for p in a["parties"]}
        title = self.agreement_title(a["title"], a["year"], party_ids)
        agreement = self.build(m.Agreement, "agreement", {**a, "title": title}, created_by=self.user(a["created_by"]))
        # Created as a draft: the children of a signed agreement can no longer be written. The status comes last.
        final_status = agreement.status
        agreement.status = m.Agreement.Status.DRAFT
        self.save(agreement, a)
        self.agreement = agreement
        for p in a["parties"]:
            self.save(self.build(
                m.AgreementParty, "agreement_party", p, agreement=agreement, party=self.party(p["party"]),
            ))
        agreement.legal_bases.set([self.legal_bases[c] for c in a["legal_bases"]])

        self.documents = {}
        for d in data["documents"]:
            self.documents[d["ref"]] = self.import_document(d)
        self.sections = {}
        for s in data["sections"]:
            self.sections[s["ref"]] = self.save(self.build(m.AgreementSection, "section", s, agreement=agreement), s)
        self.goals = {}
        for g in data["goals"]:
            indicator = self.lookup(self.indicators, g["indicator"], _("die Kennzahl"))
            self.goals[g["ref"]] = self.save(
                self.build(m.Goal, "goal", g, agreement=agreement, indicator=indicator), g
            )
        self.offers = {}
        for o in data["offers"]:
            offer = self.build(
                m.SupportOffer, "offer", o, agreement=agreement, topic=self.topic(o["topic"]),
                provider=self.party(o["provider"]), coordinated_with=self.party(o["coordinated_with"]),
            )
            self.offers[o["ref"]] = self.save(offer, o)

        self.letters = {}
        for x in data["letters"]:
            letter = self.build(
                m.Letter, "letter", x, agreement=agreement if x["attached_to_agreement"] else None,
                sender=self.party(x["sender"]), recipient=self.party(x["recipient"]),
                sender_person=self.lookup(self.people, x["sender_person"], _("die Person")),
                document=self.document(x["document"]), registered_by=self.user(x["registered_by"]),
            )
            self.letters[x["ref"]] = self.save(letter, x)
        for s in data["statements"]:
            self.save(self.build(
                m.Statement, "statement", s, agreement=agreement, party=self.party(s["party"]),
                document=self.document(s["document"]), created_by=self.user(s["created_by"]),
            ), s)

        self.versions = {}
        for v in data["versions"]:
            version = self.build(
                m.AgreementVersion, "version", v, agreement=agreement, author_party=self.party(v["author_party"]),
                sent_by=self.user(v["sent_by"]), snapshot=self.snapshot(v["snapshot"]),
            )
            self.versions[version.number] = self.save(version)
        for p in data["proposals"]:
            self.save(self.build(
                m.Proposal, "proposal", p, agreement=agreement, party=self.party(p["party"]),
                goal=self.lookup(self.goals, p["goal"], _("das Ziel")),
                section=self.lookup(self.sections, p["section"], _("den Abschnitt")),
                answer_letter=self.lookup(self.letters, p["answer_letter"], _("das Schreiben")),
                decided_by=self.user(p["decided_by"]), created_by=self.user(p["created_by"]),
            ), p)
        for s in data["procedure_steps"]:
            step = self.save(self.build(
                m.ProcedureStep, "step", s, agreement=agreement,
                letter=self.lookup(self.letters, s["letter"], _("das Schreiben")),
                version=self.lookup(self.versions, s["version"], _("die Fassung")), actor=self.user(s["actor"]),
            ), s)
            step.participants.set([self.party(key) for key in s["participants"]])
        for s in data["signatures"]:
            self.save(self.build(
                m.Signature, "signature", s, agreement=agreement, party=self.party(s["party"]),
                person=self.lookup(self.people, s["person"], _("die Person")), recorded_by=self.user(s["recorded_by"]),
            ), s)
        for r in data["reviews"]:
            review = self.save(
                self.build(m.Review, "review", r, agreement=agreement, created_by=self.user(r["created_by"])), r
            )
            for x in r["assessments"]:
                self.save(self.build(
                    m.Assessment, "assessment", x, review=review,
                    goal=self.lookup(self.goals, x["goal"], _("das Ziel")),
                ), x)
        for v in data["vorlagen"]:
            self.import_vorlage(v)
        self.link_agreements(a)

        # Timestamps and extracted texts as in the source, written while the agreement is still a draft.
        for model, pk, values in self.deferred:
            model.objects.filter(pk=pk).update(**values)
        for vorlage, status in self.vorlage_statuses:
            vorlage.status = status
            vorlage._change_reason = CHANGE_REASON
            vorlage.save(update_fields=["status", "modified"])
        agreement.status = final_status
        agreement.signed_file = self.document(a["signed_file"])
        agreement._change_reason = CHANGE_REASON
        agreement.save(update_fields=["status", "signed_file", "modified"])
        m.ArchivedUserName.objects.bulk_create(self.archived_names)
        if self.unmapped_users:
            self.notes.append(
                _("Diese Benutzer des Archivs sind keinem Benutzerkonto zugeordnet und als Namen gespeichert (zuordnen "
                  "mit --map-user name=benutzer): %(names)s")
                % {"names": ", ".join(sorted(self.unmapped_users))}
            )
        return agreement

    def document(self, ref):
        return self.lookup(self.documents, ref, _("das Dokument"))

    def import_document(self, d):
        document = self.build(
            m.Document, "document", d, agreement=self.agreement if d["attached_to_agreement"] else None,
            uploaded_by=self.user(d["uploaded_by"]),
        )
        with self.spooled_file(d["file"], document.sha256) as content:
            if self.dry_run:
                # Nothing reaches the storage in a dry run; the row is rolled back with the rest.
                document.file.name = f"documents/probelauf/{document.sha256}.bin"
            else:
                document.file.save(document.original_filename or "datei", File(content), save=False)
                self.saved_files.append((document.file.storage, document.file.name))
        self.save(document)
        # The upload signal extracts a PDF's text when there is none; the archive's text is the one that counts.
        self.defer(document, created=self.timestamp(d["created"]), extracted_text=document.extracted_text)
        return document

    def snapshot(self, snapshot):
        snapshot = copy.deepcopy(snapshot)
        for kind, mapping in (("sections", self.sections), ("goals", self.goals), ("offers", self.offers)):
            for item in _items(snapshot, kind):
                ref = item.get("id")
                if ref is None:
                    continue
                gone = GONE_REF.match(ref) if isinstance(ref, str) else None
                item["id"] = -int(gone.group(1)) if gone else self.lookup(mapping, ref, kind).pk
        for item in _items(snapshot, "parties"):
            if "party_id" in item:
                item["party_id"] = self.party(item["party_id"]).pk if item["party_id"] is not None else None
        return snapshot

    @staticmethod
    def _vorlage_number_taken(vorlage):
        # The running number is unique per department and year; the reference is derived from it (and, where the
        # model still keeps it unique across all parties, must be free as well).
        taken = m.Vorlage.objects.filter(
            department=vorlage.department, year=vorlage.year, running_number=vorlage.running_number,
        ).exists()
        if m.Vorlage._meta.get_field("reference").unique:
            taken = taken or m.Vorlage.objects.filter(reference=vorlage.reference).exists()
        return taken

    def import_vorlage(self, v):
        department = self.lookup(self.departments, v["department"], _("den Fachbereich"))
        vorlage = self.build(
            m.Vorlage, "vorlage", v, department=department, agreement=self.agreement,
            author=self.lookup(self.people, v["author"], _("die Person")),
            main_file=self.document(v["main_file"]), released_by=self.user(v["released_by"]),
            created_by=self.user(v["created_by"]),
        )
        if self._vorlage_number_taken(vorlage):
            if not self.as_copy:
                raise ArchiveError(
                    _("Die Vorlage %(reference)s ist bereits gespeichert; es wurde nichts eingelesen. Mit --as-copy "
                      "erhält sie die nächste freie Nummer.") % {"reference": vorlage.reference}
                )
            old_reference = vorlage.reference
            last = m.Vorlage.objects.filter(department=department, year=vorlage.year).aggregate(n=Max("running_number"))
            vorlage.running_number = last["n"] or 0
            while True:
                vorlage.running_number += 1
                vorlage.reference = m.Vorlage.format_reference(department.number, vorlage.running_number, vorlage.year)
                if not self._vorlage_number_taken(vorlage):
                    break
            self.notes.append(
                _("Die Vorlage %(old)s ist bereits gespeichert; die Kopie hat die Nummer %(new)s.")
                % {"old": old_reference, "new": vorlage.reference}
            )
        # Created as a draft: the parts of a released Vorlage can no longer be written. The status comes last.
        self.vorlage_statuses.append((vorlage, vorlage.status))
        vorlage.status = m.Vorlage.Status.DRAFT
        self.save(vorlage, v)
        for s in v["sections"]:
            self.save(self.build(m.VorlageSection, "vorlage_section", s, vorlage=vorlage), s)
        for c in v["consultations"]:
            consultation = self.save(self.build(
                m.Consultation, "consultation", c, paper=vorlage,
                committee=self.lookup(self.committees, c["committee"], _("das Gremium")),
                meeting=self.lookup(self.meetings, c["meeting"], _("die Sitzung")),
            ), c)
            for item in c["agenda_items"]:
                meeting = self.lookup(self.meetings, item["meeting"], _("die Sitzung"))
                if meeting.agenda_items.filter(number=item["number"]).exists():
                    # The meeting's agenda is not ours to change: its item stays with the consultation it has.
                    self.notes.append(
                        _("TOP %(number)s der Sitzung „%(meeting)s“ besteht bereits und wurde nicht verändert.")
                        % {"number": item["number"], "meeting": meeting}
                    )
                    continue
                self.save(self.build(m.AgendaItem, "agenda_item", item, meeting=meeting, consultation=consultation))
        for x in v["anlagen"]:
            anlage = self.build(m.VorlageAnlage, "anlage", x, vorlage=vorlage, document=self.document(x["document"]))
            self.save(anlage, x)

    def link_agreements(self, a):
        agreement = self.agreement

        def find(reference, label):
            if reference is None:
                return None
            found = list(
                m.Agreement.objects.filter(title=reference["title"], year=reference["year"])
                .exclude(pk=agreement.pk)[:2]
            )
            if len(found) == 1:
                return found[0]
            message = (
                _("%(label)s „%(title)s“ (%(year)s) wurde nicht gefunden; die Verknüpfung bleibt leer.") if not found
                else _("%(label)s „%(title)s“ (%(year)s) wurde mehrfach gefunden; die Verknüpfung bleibt leer.")
            )
            self.notes.append(message % {"label": label, "title": reference["title"], "year": reference["year"]})
            return None

        predecessor = find(a["predecessor"], _("Die Vorgängervereinbarung"))
        amends = find(a["amends"], _("Die geänderte Vereinbarung"))
        if predecessor is not None or amends is not None:
            agreement.predecessor, agreement.amends = predecessor, amends
            agreement.save(update_fields=["predecessor", "amends", "modified"])
        related = [r for r in (find(ref, _("Die verbundene Vereinbarung")) for ref in a["related"]) if r is not None]
        if related:
            agreement.related.add(*related)


def import_archive(source, *, as_copy=False, dry_run=False, user_map=None, party_map=None):
    """Read the archive at `source` (a path or a binary file object) into the database; see the module docstring."""
    try:
        zf = zipfile.ZipFile(source)
    except FileNotFoundError:
        raise ArchiveError(_("Die Datei %(path)s gibt es nicht.") % {"path": source}) from None
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ArchiveError(_("Die Datei ist kein lesbares ZIP-Archiv: %(error)s") % {"error": error}) from None
    with zf:
        _manifest, data, members = verify_archive(zf)
        importer = _Importer(
            zf, data, members, as_copy=as_copy, dry_run=dry_run, user_map=user_map, party_map=party_map,
        )
        try:
            with transaction.atomic():
                importer.check_reference_data()
                agreement = importer.run()
                if dry_run:
                    transaction.set_rollback(True)
        except ArchiveError:
            importer.delete_saved_files()
            raise
        except (ValidationError, DatabaseError, m.ImmutableRecordError) as error:
            importer.delete_saved_files()
            raise ArchiveError(
                _("Das Archiv konnte nicht eingelesen werden; es wurde nichts gespeichert: %(error)s")
                % {"error": error}
            ) from error
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            importer.delete_saved_files()
            raise ArchiveError(
                _("„%(path)s“ hat nicht den erwarteten Aufbau (%(error)s: %(detail)s); es wurde nichts gespeichert.")
                % {"path": AGREEMENT_JSON, "error": type(error).__name__, "detail": error}
            ) from error
        except BaseException:
            importer.delete_saved_files()
            raise
    return ImportResult(
        agreement_id=None if dry_run else agreement.pk, title=agreement.title, dry_run=dry_run,
        counts=dict(sorted(importer.counts.items())), notes=importer.notes,
    )


def read_archive_data(source):
    """The verified agreement.json of an archive as Python data (for tests and tools)."""
    with zipfile.ZipFile(source) as zf:
        return verify_archive(zf)[1]


__all__ = [
    "AGREEMENT_JSON", "ArchiveError", "COPY_SUFFIX", "FORMAT_NAME", "FORMAT_VERSION", "MANIFEST", "ExportResult",
    "ImportResult", "agreement_data", "agreement_json", "export_archive", "import_archive", "read_archive_data",
    "verify_archive", "write_archive",
]
