"""The demo loader's machinery: idempotent writes by natural key, look-ups of the reference data, and the
building blocks (an agreement with its parties, sections, goals, versions, procedure steps) that every part of
the demo case is written with. What the case contains is in the other modules of this package.
"""

import contextlib
import datetime
import hashlib

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from agreements.data.catalogue import BERLIN, MINISTRY_LEGAL_BASES
from agreements.models import (
    Agreement,
    AgreementParty,
    AgreementSection,
    AgreementVersion,
    Document,
    Goal,
    Indicator,
    LegalBasis,
    Party,
    ProcedureStep,
)
from agreements.models.base import LockVersionModel

CHANGE_REASON = "load_demo"


class DemoDataError(RuntimeError):
    pass


def paragraphs(*texts):
    return "\n\n".join(texts)


def day(year, month, day):
    return datetime.date(year, month, day)


def moment(year, month, day, hour=10, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def section(order, heading, text):
    return {"heading": heading, "text": text, "order": order}


class Loader:
    """Writes the demo rows and counts what it did: {model name: {created, changed, unchanged}}.

    stdout, when given, receives one line per created or changed row.
    """

    def __init__(self, stdout=None):
        self.stdout = stdout
        self.counts = {}
        self.created = set()
        self.saved_files = []
        self.logins = []

    # Generic idempotent writes ----------------------------------------------------------------------------

    def count(self, model, what, obj=None, fields=()):
        label = model._meta.model_name
        counts = self.counts.setdefault(label, {"created": 0, "changed": 0, "unchanged": 0})
        counts[what] += 1
        if self.stdout is not None and what != "unchanged":
            verb = _("angelegt") if what == "created" else _("geändert")
            detail = f" ({', '.join(fields)})" if fields else ""
            self.stdout.write(f"{verb}: {model._meta.verbose_name} „{obj}“{detail}\n")

    @staticmethod
    def _differs(obj, name, value):
        field = obj._meta.get_field(name)
        if field.is_relation:
            return getattr(obj, field.attname) != (value.pk if value is not None else None)
        return getattr(obj, name) != value

    def ensure(self, model, lookup, values=None, *, create_only=False):
        """Get the row by its natural key; create it, or save only the fields that differ from the demo."""
        values = values or {}
        try:
            obj = model.objects.get(**lookup)
        except model.DoesNotExist:
            obj = model(**lookup, **values)
            obj._change_reason = CHANGE_REASON
            obj.save()
            self.created.add((model, obj.pk))
            self.count(model, "created", obj)
            return obj
        if create_only or not self.sync(obj, values):
            self.count(model, "unchanged")
        return obj

    def sync(self, obj, values):
        """Save the fields that differ from values; True if there were any."""
        changed = [name for name, value in values.items() if self._differs(obj, name, value)]
        if not changed:
            return False
        for name in changed:
            setattr(obj, name, values[name])
        update_fields = list(changed)
        if isinstance(obj, LockVersionModel):
            # An editor holding the old lock_version must get a conflict, not overwrite the restored value.
            obj.lock_version += 1
            update_fields.append("lock_version")
        if any(f.name == "modified" for f in obj._meta.concrete_fields):
            update_fields.append("modified")
        obj._change_reason = CHANGE_REASON
        obj.save(update_fields=update_fields)
        if (type(obj), obj.pk) not in self.created:  # a second write to a new row is still just "created"
            self.count(type(obj), "changed", obj, changed)
        return True

    def ensure_m2m(self, manager, objects):
        # Adds what is missing and leaves anything added by hand alone; add() itself skips existing links.
        present = set(manager.values_list("pk", flat=True))
        missing = [obj for obj in objects if obj.pk not in present]
        if missing:
            manager.add(*missing)

    def ensure_document(self, title, kind, filename, agreement, *, render, text):
        """The PDF document `render()` makes; `text` is what an upload would extract from it."""
        # The demo's own document from an earlier run: kept as it is, not even re-rendered (that is the slow
        # part of the loader).
        document = (
            Document.objects.filter(title=title, kind=kind, original_filename=filename).order_by("pk").first()
        )
        if document is None:
            data = render()
            sha256 = hashlib.sha256(data).hexdigest()
            # The same bytes are the same document, whoever stored them first.
            document = Document.objects.filter(sha256=sha256).order_by("pk").first()
        if document is not None:
            self.count(Document, "unchanged")
            return document
        document = Document(
            title=title, kind=kind, original_filename=filename, size=len(data),
            content_type="application/pdf", sha256=sha256, is_pdfa=True, agreement=agreement,
            extracted_text=text,
        )
        document.file.save(filename, ContentFile(data), save=False)
        self.saved_files.append((document.file.storage, document.file.name))
        document.save()
        self.count(Document, "created", document)
        return document

    def delete_saved_files(self):
        for storage, name in self.saved_files:
            with contextlib.suppress(OSError):
                storage.delete(name)

    # Look-ups of reference data -----------------------------------------------------------------------------

    def _reference(self, model, field, values, message):
        """The rows of `model` whose `field` has these values, in that order; DemoDataError names the first one
        missing (message has a placeholder named like the field)."""
        found = {getattr(row, field): row for row in model.objects.filter(**{f"{field}__in": values})}
        for value in values:
            if value not in found:
                raise DemoDataError(message % {field: value})
        return [found[value] for value in values]

    def parties(self, keys):
        rows = self._reference(Party, "key", keys, _(
            "Die Referenzdaten enthalten die Stelle „%(key)s“ nicht; bitte zuerst load_reference ausführen."))
        return dict(zip(keys, rows, strict=True))

    def party(self, key):
        return self.parties([key])[key]

    def indicator(self, code):
        if code is None:
            return None
        return self._reference(Indicator, "code", [code], _(
            "Die Referenzdaten enthalten die Kennzahl „%(code)s“ nicht; bitte zuerst load_reference ausführen."))[0]

    def legal_bases(self, citations):
        return self._reference(LegalBasis, "citation", citations, _(
            "Die Referenzdaten enthalten die Rechtsgrundlage „%(citation)s“ nicht; bitte zuerst load_reference "
            "ausführen."))

    # Building blocks ----------------------------------------------------------------------------------------

    def agreement(
        self, title, year, parties, *, preamble="", predecessor=None, legal_bases=MINISTRY_LEGAL_BASES, related=(),
    ):
        # Created as a draft: a signed agreement's parts can no longer be written (SignedAgreementGuard), so
        # the final status comes last, in set_status().
        agreement = self.ensure(
            Agreement, {"year": year, "title": title},
            {
                "period_start": day(year, 1, 1), "period_end": day(year, 12, 31), "preamble": preamble,
                "predecessor": predecessor,
            },
        )
        for order, (party, role) in enumerate(parties, start=1):
            self.ensure(
                AgreementParty, {"agreement": agreement, "party": party}, {"role": role, "order": order},
            )
        self.ensure_m2m(agreement.legal_bases, self.legal_bases(legal_bases))
        self.ensure_m2m(agreement.related, related)
        return agreement

    def set_status(self, agreement, status, **values):
        self.sync(agreement, {"status": status, **values})

    def sections(self, agreement, sections):
        for section in sections:
            self.ensure(
                AgreementSection, {"agreement": agreement, "heading": section["heading"]},
                {"order": section["order"], "text": section["text"]},
            )

    def goals(self, agreement, goals):
        result = {}
        for goal in goals:
            values = {k: v for k, v in goal.items() if k != "title"}
            values["indicator"] = self.indicator(goal["indicator"])
            lookup = {"agreement": agreement, "title": goal["title"]}
            result[goal["title"]] = self.ensure(Goal, lookup, values)
        return result

    def version(self, agreement, number, kind, author, sent_at, note, snapshot):
        # Versions are immutable: an existing one is never compared or saved again.
        return self.ensure(
            AgreementVersion, {"agreement": agreement, "number": number},
            {"kind": kind, "author_party": author, "sent_at": sent_at, "note": note, "snapshot": snapshot},
            create_only=True,
        )

    def step(
        self, agreement, kind, title, date, precision, description, participants=(), *, letter=None,
        version=None, participants_note="",
    ):
        values = {
            "date": date, "date_precision": precision, "end_date": None, "description": description,
            "letter": letter, "version": version, "participants_note": participants_note,
        }
        step = self.ensure(ProcedureStep, {"agreement": agreement, "kind": kind, "title": title}, values)
        self.ensure_m2m(step.participants, participants)
        return step

    # The case ----------------------------------------------------------------------------------------------
