"""Reading a verified archive into the database (see the package docstring for the rules)."""

import copy
import zipfile
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import DatabaseError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from agreements import models as m
from agreements.models.agreements import LEGACY_CORRIDOR_EXCEPTION_REASON
from agreements.text import entries
from agreements.transfer.archive.format import (
    ADDED_LATER,
    AGREEMENT_JSON,
    CHANGE_REASON,
    COPY_SUFFIX,
    DEFERRED,
    FIELDS,
    GONE_REF,
    USER_FIELDS,
    ArchiveError,
    party_keys,
    snapshot_items,
    usernames,
)
from agreements.transfer.archive.members import member_limit, spool_member, tampered
from agreements.transfer.archive.verify import verify_archive


@dataclass
class ImportResult:
    agreement_id: int | None
    title: str
    dry_run: bool
    counts: dict
    notes: list



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
        """An unsaved row from the archive's plain fields. The schema has made sure they are there with the right
        JSON type; their values are converted and checked against the model's fields like a form would."""
        values = {
            name: self.field_value(model, name, data[name]) for name in FIELDS[kind]
            if name not in DEFERRED and not (name in ADDED_LATER.get(kind, ()) and name not in data)
        }
        obj = model(**values, **extra)
        obj._change_reason = CHANGE_REASON
        # People the archive names but the operator did not map: kept as names, the user field stays empty.
        obj._archived_names = {
            name: data[name] for name in USER_FIELDS.get(kind, ()) if data.get(name) and extra.get(name) is None
        }
        return obj

    @staticmethod
    def field_value(model, name, raw):
        model_field = model._meta.get_field(name)
        label = f"{model._meta.verbose_name} / {name}"
        try:
            value = model_field.to_python(raw)
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
                _("Der Wert im Feld „%(field)s“ ist länger als %(max)s Zeichen.") % {"field": label, "max": max_length}
            )
        return value

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
        names = usernames(self.data)
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
        spool, digest, _size = spool_member(self.zf, info, min(info.file_size, member_limit(path)))
        if digest != sha256:
            spool.close()
            raise tampered(path)
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
        keys = party_keys(data)
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

    def here_or_new(self, model, kind, data, key, **extra):
        """The row this installation already has with the record's `key` (and `extra`, e.g. its party), else a new
        one from the record."""
        return (model.objects.filter(**{key: data[key]}, **extra).first()
                or self.save(self.build(model, kind, data, **extra)))

    def import_context(self):
        context = self.data["context"]
        self.topics = {}
        for t in context["topics"]:
            topic = self.here_or_new(m.Topic, "topic", t, "number")
            self.topics[topic.number] = topic

        self.departments = {
            d["ref"]: self.here_or_new(m.Department, "department", d, "number", party=self.party(d["party"]))
            for d in context["departments"]
        }

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

        self.committees = {
            c["ref"]: self.here_or_new(m.Committee, "committee", c, "name", party=self.party(c["party"]))
            for c in context["committees"]
        }

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
        self.import_context()
        agreement, final_status = self.import_agreement(data["agreement"])
        self.documents = {d["ref"]: self.import_document(d) for d in data["documents"]}
        self.import_text(data)
        self.import_correspondence(data)
        self.versions = {}
        for v in data["versions"]:
            version = self.build(
                m.AgreementVersion, "version", v, agreement=agreement, author_party=self.party(v["author_party"]),
                sent_by=self.user(v["sent_by"]), snapshot=self.snapshot(v["snapshot"]),
            )
            self.versions[version.number] = self.save(version)
        for x in data.get("acceptances", ()):  # archives written before acceptances existed have none
            self.save(self.build(
                m.Acceptance, "acceptance", x, agreement=agreement, party=self.party(x["party"]),
                version=self.lookup(self.versions, x["version"], _("die Fassung")),
                accepted_by=self.user(x["accepted_by"]),
            ), x)
        for p in data["proposals"]:
            self.save(self.build(
                m.Proposal, "proposal", p, agreement=agreement, party=self.party(p["party"]),
                goal=self.lookup(self.goals, p["goal"], _("das Ziel")),
                section=self.lookup(self.sections, p["section"], _("den Abschnitt")),
                answer_letter=self.lookup(self.letters, p["answer_letter"], _("das Schreiben")),
                decided_by=self.user(p["decided_by"]), created_by=self.user(p["created_by"]),
            ), p)
        for s in data["procedure_steps"]:
            self.import_step(s)
        self.import_signatures_and_reviews(data)
        self.import_copied_passages(data)
        for v in data["vorlagen"]:
            self.import_vorlage(v)
        self.link_agreements(data["agreement"])
        self.finish(final_status, data["agreement"])
        return agreement

    def import_agreement(self, a):
        """The agreement row, its parties and legal bases; created as a draft (the children of a signed agreement
        can no longer be written), so its final status is returned for the end."""
        party_ids = {self.party(p["party"]).pk for p in a["parties"]}
        title = self.agreement_title(a["title"], a["year"], party_ids)
        agreement = self.build(m.Agreement, "agreement", {**a, "title": title}, created_by=self.user(a["created_by"]),
                               pen_party=self.party(a["pen_party"]) if a.get("pen_party") else None)
        final_status = agreement.status
        agreement.status = m.Agreement.Status.DRAFT
        self.save(agreement, a)
        self.agreement = agreement
        for p in a["parties"]:
            self.save(self.build(
                m.AgreementParty, "agreement_party", p, agreement=agreement, party=self.party(p["party"]),
            ))
        agreement.legal_bases.set([self.legal_bases[c] for c in a["legal_bases"]])
        return agreement, final_status

    def import_text(self, data):
        agreement = self.agreement
        self.sections = {}
        for s in data["sections"]:
            self.sections[s["ref"]] = self.save(self.build(m.AgreementSection, "section", s, agreement=agreement), s)
        self.goals = {}
        for g in data["goals"]:
            indicator = self.lookup(self.indicators, g["indicator"], _("die Kennzahl"))
            goal = self.build(m.Goal, "goal", g, agreement=agreement, indicator=indicator)
            if "corridor_exception_reason" not in g and goal.outside_corridor:
                # Written before a reason was required: the goal says so, as migration 0013 did for stored goals.
                goal.corridor_exception_reason = LEGACY_CORRIDOR_EXCEPTION_REASON
            try:
                goal.clean()  # the corridor rule, named as the app names it rather than by the constraint
            except ValidationError as error:
                raise ArchiveError(f"{m.Goal._meta.verbose_name} „{g['ref']}“: {' '.join(error.messages)}") from None
            self.goals[g["ref"]] = self.save(goal, g)
        self.offers = {}
        for o in data["offers"]:
            offer = self.build(
                m.SupportOffer, "offer", o, agreement=agreement, topic=self.topic(o["topic"]),
                provider=self.party(o["provider"]), coordinated_with=self.party(o["coordinated_with"]),
            )
            self.offers[o["ref"]] = self.save(offer, o)

    def import_correspondence(self, data):
        agreement = self.agreement
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

    def import_step(self, s):
        """One procedure step of the archive (written by ``_Exporter.export_step``). Archives written before
        typed entries have no action: their recorded steps keep the German sentences they were stored with."""
        action, data = s.get("action") or "", s.get("data") or {}
        if action:
            try:
                entries.check(action, data)
            except ValueError:
                raise ArchiveError(_("Der Verfahrensschritt „%(action)s“ ist unbekannt oder unvollständig.")
                                   % {"action": action}) from None
        step = self.build(
            m.ProcedureStep, "step", s, agreement=self.agreement,
            letter=self.lookup(self.letters, s["letter"], _("das Schreiben")),
            version=self.lookup(self.versions, s["version"], _("die Fassung")), actor=self.user(s["actor"]),
        )
        step.action, step.data = action, data
        self.save(step, s)
        step.participants.set([self.party(key) for key in s["participants"]])
        return step

    def import_signatures_and_reviews(self, data):
        agreement = self.agreement
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

    def import_copied_passages(self, data):
        """The checklist of a derived agreement (archives written before it existed have none)."""
        kinds = {m.CopiedPassage.Kind.SECTION: "section", m.CopiedPassage.Kind.GOAL: "goal",
                 m.CopiedPassage.Kind.OFFER: "offer"}
        for p in data.get("copied_passages", ()):
            items = {
                "section": self.lookup(self.sections, p["section"], _("den Abschnitt")),
                "goal": self.lookup(self.goals, p["goal"], _("das Ziel")),
                "offer": self.lookup(self.offers, p["offer"], _("das Unterstützungsangebot")),
            }
            passage = self.build(m.CopiedPassage, "copied_passage", p, agreement=self.agreement,
                                 reviewed_by=self.user(p["reviewed_by"]), **items)
            wanted = kinds.get(passage.kind)
            if any((name == wanted) != (item is not None) for name, item in items.items()):
                raise ArchiveError(_("Die übernommene Passage Nr. %(order)s verweist nicht auf ein Element ihrer "
                                     "Art.") % {"order": passage.order})
            self.save(passage, p)

    def finish(self, final_status, a):
        """Timestamps and extracted texts as in the source, written while the agreement is still a draft; then the
        final statuses, the signed file and the names of unmapped people."""
        agreement = self.agreement
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
            for item in snapshot_items(snapshot, kind):
                ref = item.get("id")
                if ref is None:
                    continue
                gone = GONE_REF.match(ref) if isinstance(ref, str) else None
                item["id"] = -int(gone.group(1)) if gone else self.lookup(mapping, ref, kind).pk
        for item in snapshot_items(snapshot, "parties"):
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
            # When the result was recorded, as the source knew it; unknown (None) in archives written before, so
            # that an old result is not announced to the committee's members as new.
            recorded = c.get("result_recorded_at")
            self.defer(consultation, result_recorded_at=self.timestamp(recorded) if recorded else None)
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

