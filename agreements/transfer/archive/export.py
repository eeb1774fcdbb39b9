"""Writing an archive: agreement.json from the database, the documents' bytes, the manifest."""

import copy
import datetime
import hashlib
import json
import platform
import zipfile
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements import models as m
from agreements.infra.storage import atomic_write
from agreements.transfer.archive.format import (
    AGREEMENT_JSON,
    CHUNK,
    FORMAT_NAME,
    FORMAT_VERSION,
    MANIFEST,
    ZIP_FILE_MODE,
    ZIP_TIMESTAMP,
    ArchiveError,
    dumps,
    party_keys,
    plain,
    snapshot_items,
)


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
        self.usernames = {}
        self.party_keys = {}

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
        if user_id not in self.usernames:
            user = get_user_model().objects.filter(pk=user_id).first()
            self.usernames[user_id] = user.get_username() if user else None
        return self.usernames[user_id]

    def party_key(self, party_id):
        if party_id is None:
            return None
        if party_id not in self.party_keys:
            self.party_keys[party_id] = m.Party.objects.filter(pk=party_id).values_list("key", flat=True).first()
        return self.party_keys[party_id]

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
        self.copied_passages = list(a.copied_passages.order_by("order", "id"))
        self.acceptances = list(a.acceptances.order_by("accepted_at", "id"))
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
            *self.steps, *self.signatures, *self.reviews, *self.copied_passages, *self.acceptances, *self.vorlagen,
            *self.people,
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
            **plain(a, "agreement"),
            "legal_bases": sorted(a.legal_bases.values_list("citation", flat=True)),
            "parties": [
                {"party": self.party_key(ap.party_id), **plain(ap, "agreement_party")}
                for ap in a.agreement_parties.order_by("order", "id")
            ],
            "predecessor": self._agreement_reference(a.predecessor),
            "amends": self._agreement_reference(a.amends),
            "related": sorted(
                (self._agreement_reference(r) for r in a.related.all()), key=lambda r: (r["year"], r["title"])
            ),
            "signed_file": self.document_refs.get(a.signed_file_id),
            "created_by": self.user_name(a, "created_by"),
            "pen_party": self.party_key(a.pen_party_id),
        }
        data = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "agreement": agreement,
            "sections": [{"ref": self.section_refs[s.pk], **plain(s, "section")} for s in self.sections],
            "goals": [
                {
                    "ref": self.goal_refs[g.pk], **plain(g, "goal"),
                    "indicator": g.indicator.code if g.indicator else None,
                }
                for g in self.goals
            ],
            "offers": [
                {
                    "ref": self.offer_refs[o.pk], **plain(o, "offer"), "topic": o.topic.number,
                    "provider": self.party_key(o.provider_id),
                    "coordinated_with": self.party_key(o.coordinated_with_id),
                }
                for o in self.offers
            ],
            "documents": [self._document(d) for d in self.documents],
            "letters": [self._letter(x) for x in self.letters],
            "statements": [
                self._record(s, "statement", "created_by", party=self.party_key(s.party_id),
                             document=self.document_refs.get(s.document_id))
                for s in self.statements
            ],
            "versions": [
                self._record(v, "version", "sent_by", author_party=self.party_key(v.author_party_id),
                             snapshot=self._snapshot(v.snapshot))
                for v in self.versions
            ],
            "proposals": [self._proposal(p) for p in self.proposals],
            "procedure_steps": [self.export_step(s) for s in self.steps],
            "signatures": [
                self._record(s, "signature", "recorded_by", party=self.party_key(s.party_id),
                             person=self.person_refs.get(s.person_id))
                for s in self.signatures
            ],
            "reviews": [self._review(r) for r in self.reviews],
            "copied_passages": [self._copied_passage(p) for p in self.copied_passages],
            "acceptances": [
                self._record(x, "acceptance", "accepted_by", party=self.party_key(x.party_id),
                             version=self.version_numbers.get(x.version_id))
                for x in self.acceptances
            ],
            "vorlagen": [self._vorlage(v) for v in self.vorlagen],
        }
        data["context"] = self._context(data)
        return data

    def _agreement_reference(self, other):
        # Informational: the other agreement is not part of the archive.
        return None if other is None else {"title": other.title, "year": other.year}

    def _record(self, obj, kind, user_field, **references):
        """A record's plain fields, the user name of its `user_field` and its references to other records."""
        return {**plain(obj, kind), user_field: self.user_name(obj, user_field), **references}

    def _document(self, d):
        return {
            "ref": self.document_refs[d.pk], **plain(d, "document"), "file": f"files/{d.sha256}",
            "attached_to_agreement": d.agreement_id == self.agreement.pk,
            "uploaded_by": self.user_name(d, "uploaded_by"),
        }

    def _letter(self, x):
        return {
            "ref": self.letter_refs[x.pk], **plain(x, "letter"),
            "attached_to_agreement": x.agreement_id == self.agreement.pk,
            "sender": self.party_key(x.sender_id), "recipient": self.party_key(x.recipient_id),
            "sender_person": self.person_refs.get(x.sender_person_id),
            "document": self.document_refs.get(x.document_id), "registered_by": self.user_name(x, "registered_by"),
        }

    def _proposal(self, p):
        return {
            **plain(p, "proposal"), "party": self.party_key(p.party_id),
            # A goal or section of another agreement (or one that is gone) cannot be referenced.
            "goal": self.goal_refs.get(p.goal_id), "section": self.section_refs.get(p.section_id),
            "answer_letter": self.letter_refs.get(p.answer_letter_id),
            "decided_by": self.user_name(p, "decided_by"), "created_by": self.user_name(p, "created_by"),
        }

    def export_step(self, s):
        """One procedure step as the archive keeps it (read by ``_Importer.import_step``)."""
        return {
            **plain(s, "step"),
            # A recorded step is a typed entry: its action and data; title and description stay empty.
            "action": s.action, "data": s.data,
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
            **plain(r, "review"), "created_by": self.user_name(r, "created_by"),
            "assessments": [
                {**plain(x, "assessment"), "goal": self._assessed_goal(x)} for x in assessments
            ],
        }

    def _copied_passage(self, p):
        """A passage on the checklist of a derived agreement, with the section, goal or offer it was copied to."""
        return {
            **plain(p, "copied_passage"), "section": self.section_refs.get(p.section_id),
            "goal": self.goal_refs.get(p.goal_id), "offer": self.offer_refs.get(p.offer_id),
            "reviewed_by": self.user_name(p, "reviewed_by"),
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
            **plain(v, "vorlage"),
            "department": self.department_refs[v.department_id],
            "author": self.person_refs[v.author_id],
            "main_file": self.document_refs.get(v.main_file_id),
            "released_by": self.user_name(v, "released_by"),
            "created_by": self.user_name(v, "created_by"),
            "sections": [plain(s, "vorlage_section") for s in self.vorlage_sections[v.pk]],
            "consultations": [
                {
                    **plain(c, "consultation"), "committee": self.committee_refs[c.committee_id],
                    "meeting": self.meeting_refs.get(c.meeting_id),
                    "agenda_items": [
                        {**plain(item, "agenda_item"), "meeting": self.meeting_refs[item.meeting_id]}
                        for item in self.agenda_items[c.pk]
                    ],
                }
                for c in self.consultations[v.pk]
            ],
            "anlagen": [
                {**plain(x, "anlage"), "document": self.document_refs.get(x.document_id)}
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
            for item in snapshot_items(snapshot, kind):
                if item.get("id") is not None:
                    item["id"] = refs.get(item["id"]) or self._gone(prefix, item["id"])
        for item in snapshot_items(snapshot, "parties"):
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
                plain(t, "topic") for t in m.Topic.objects.filter(pk__in={o.topic_id for o in self.offers})
                .order_by("number")
            ],
            "departments": [
                {"ref": self.department_refs[d.pk], "party": d.party.key, **plain(d, "department")}
                for d in self.departments
            ],
            "people": [
                {
                    "ref": self.person_refs[p.pk], "party": p.party.key, **plain(p, "person"),
                    "department": self.department_refs.get(p.department_id), "user": self.user_name(p, "user"),
                }
                for p in self.people
            ],
            "committees": [
                {"ref": self.committee_refs[c.pk], "party": c.party.key, **plain(c, "committee")}
                for c in self.committees
            ],
            "meetings": [
                {"ref": self.meeting_refs[x.pk], "committee": self.committee_refs[x.committee_id],
                 **plain(x, "meeting")}
                for x in self.meetings
            ],
        }
        # Informational: which parties the archive needs, with their names for a reader of the file.
        keys = party_keys({**data, "context": context})
        context["parties"] = [
            {"key": p.key, "name": p.name, "kind": p.kind} for p in m.Party.objects.filter(key__in=keys).order_by("key")
        ]
        return context



def agreement_data(agreement):
    """The content of agreement.json as Python data (deterministic for an unchanged agreement)."""
    return _Exporter(agreement).build()


def agreement_json(agreement):
    return dumps(agreement_data(agreement))


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
    payload = dumps(data)
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
        manifest_bytes = dumps(manifest)
        zf.writestr(_zip_info(MANIFEST, len(manifest_bytes)), manifest_bytes)
    return ExportResult(
        agreement_id=agreement.pk, documents=len(data["documents"]), files=len(documents),
        agreement_sha256=payload_sha256, manifest=manifest,
    )


def export_archive(agreement, path):
    """Write the archive to `path` atomically: a reader never sees half an archive."""
    with atomic_write(path) as out:
        return write_archive(agreement, out)

