"""Negotiation: proposals and the other side's decisions, associations' statements, the procedure timeline,
and the readable change history of an agreement."""

from collections import defaultdict
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import IntegerField, OuterRef, Q, Subquery, Value
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agreements.infra.errors import DomainError
from agreements.policy import access
from agreements.services.base import (
    editable_agreement,
    lock_agreement,
    record_step,
    require_writer,
    save_locked,
)
from agreements.text import entries, redline
from agreements.text.numbers import format_number

from .. import models as m
from .agreements import save_section
from .documents import discard_files_on_failure
from .goals import GOAL_FIELDS, GOAL_NUMBER_FIELDS, save_goal
from .transitions import AGREEMENT

Decision = m.Proposal.Decision
Kind = m.ProcedureStep.Kind
Precision = m.ProcedureStep.Precision

# Steps the system records itself (drafts sent, decisions, signatures, status changes) are not entered by
# hand.
MANUAL_STEP_KINDS = (
    Kind.REFERENCE_VALUES, Kind.MEETING, Kind.EVALUATION, Kind.STATEMENT, Kind.LETTER, Kind.OTHER,
)
NOT_ADOPTED = (Decision.PARTLY, Decision.REJECTED)


def _user_name(user):
    if user is None:
        return gettext("System")
    return user.get_full_name() or user.get_username()


def _require_own(agreement, obj, message):
    """A goal, section or letter may only be linked within its own agreement."""
    if obj is not None and obj.agreement_id != agreement.pk:
        raise DomainError(message)


def _short(text, length=80):
    text = " ".join(str(text).split())
    return text if len(text) <= length else text[: length - 1] + "…"


# Proposals ------------------------------------------------------------

# The goal fields a proposal may give new values for, as the pen holder adopts them in one step.
GOAL_VALUE_FIELDS = ("direction", "reference_value", "corridor_low", "corridor_high", "target_value", "text")


def _stored(value):
    """A goal value as a proposal stores it (JSON): numbers as plain decimal strings, empty as None."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _same_text(a, b):
    """Texts that differ only in line endings or trailing whitespace are the same wording."""
    def norm(text):
        return "\n".join(line.rstrip() for line in str(text or "").replace("\r\n", "\n").replace("\r", "\n")
                         .split("\n")).strip()
    return norm(a) == norm(b)


def _same_value(a, b):
    if a is None or b is None:
        return a is None and b is None
    try:
        return Decimal(a) == Decimal(b)
    except (InvalidOperation, TypeError, ValueError):
        return str(a) == str(b)


def passage(section=None, goal=None):
    """The current content of the passage a proposal concerns, in the proposal's terms: {"text": …} of a
    section, or the goal's GOAL_VALUE_FIELDS; {} for none."""
    if section is not None:
        return {"text": section.text}
    if goal is not None:
        return {field: _stored(getattr(goal, field)) for field in GOAL_VALUE_FIELDS}
    return {}


def changed_goal_values(goal, values):
    """The proposed values that differ from the goal's current ones, as stored (see _stored)."""
    current = passage(goal=goal)
    proposed = {field: _stored(values.get(field)) for field in GOAL_VALUE_FIELDS if field in values}
    return {field: value for field, value in proposed.items() if not _same_value(value, current[field])}


def create_proposal(*, user, agreement, data):
    """A party without the pen proposes: a free text, optionally with the exact change (a section's new
    `wording`, or `goal_values` for the goal's GOAL_VALUE_FIELDS, of which those differing from the goal are
    kept). The passage as it stands is stored with it, so the decision shows what changed since."""
    with transaction.atomic():
        locked = AGREEMENT.enter(user, agreement, "propose")  # the parties without the pen propose
        party_id = next(pid for pid in access.acting_parties(user, locked) if pid != locked.pen_holder_id())
        goal, section = data.get("goal"), data.get("section")
        _require_own(agreement, goal, _("Das Ziel gehört nicht zu dieser Zielvereinbarung."))
        _require_own(agreement, section, _("Der Abschnitt gehört nicht zu dieser Zielvereinbarung."))
        wording, goal_values = data.get("wording") or "", {}
        if wording:
            if section is None:
                raise DomainError(_("Ein neuer Wortlaut braucht den Abschnitt, den er ersetzt."))
            section = m.AgreementSection.objects.select_for_update().get(pk=section.pk)
            if _same_text(wording, section.text):
                raise DomainError(_("Der vorgeschlagene Wortlaut ist derselbe wie der des Abschnitts."))
        if data.get("goal_values"):
            if goal is None:
                raise DomainError(_("Neue Werte eines Ziels brauchen das Ziel, das sie ändern."))
            goal = m.Goal.objects.select_for_update().get(pk=goal.pk)
            goal_values = changed_goal_values(goal, data["goal_values"])
            if not goal_values:
                raise DomainError(_("Die vorgeschlagenen Werte sind dieselben wie die des Ziels."))
        proposal = m.Proposal.objects.create(
            agreement=agreement, party_id=party_id, text=data["text"], concerns=data.get("concerns") or "",
            goal=goal, section=section, created_by=user, wording=wording, goal_values=goal_values,
            based_on=passage(section=section if wording else None, goal=goal if goal_values else None),
        )
        party = m.Party.objects.get(pk=party_id)
        record_step(
            agreement, kind=Kind.PROPOSAL, user=user, participants=[party], action="proposal.made",
            data={"party": party.name, "party_short": party.short_name or party.name, "user": _user_name(user),
                  "text": _short(proposal.text, 200)},
        )
    return proposal


def decide_proposal(*, user, proposal, data, lock_version):
    """The other side adopts a proposal fully, partly or not, with a reason unless fully adopted.

    Deciding again is allowed while the text is open (the answer letter may arrive later) and is recorded like
    the first decision. Decisions freeze with the text (abgestimmt and later): the Vorlage quotes them as the
    record of the negotiation that led to exactly that text.
    """
    with transaction.atomic():
        # Under the row lock: an "abgestimmt" at the same moment cannot let a late decision slip in.
        agreement = lock_agreement(proposal.agreement)
        proposal.agreement = agreement
        require_writer(user, agreement)
        require_decidable(agreement)
        if not access.can_decide_proposal(user, proposal):
            raise PermissionDenied(access.DECISION_REFUSED)
        decision = data.get("decision")
        if decision not in (Decision.ADOPTED, *NOT_ADOPTED):
            raise DomainError(_("Bitte eine Entscheidung wählen."))
        reason = (data.get("reason") or "").strip()
        if decision in NOT_ADOPTED and not reason:
            raise DomainError(_("Bitte begründen, warum der Vorschlag nicht vollständig übernommen wird."))
        letter = data.get("answer_letter")
        _require_own(agreement, letter, _("Das Schreiben gehört nicht zu dieser Zielvereinbarung."))

        if proposal.applied_at is not None and decision != Decision.ADOPTED:
            raise DomainError(_("Die Änderung dieses Vorschlags steht bereits im Arbeitstext; die Entscheidung "
                                "bleibt „übernommen“. Wer sie zurücknehmen will, ändert den Text selbst."))

        previous = proposal.decision
        proposal.decision, proposal.reason, proposal.answer_letter = decision, reason, letter
        proposal.decided_at, proposal.decided_by = timezone.now(), user
        fields = ["decision", "reason", "answer_letter", "decided_at", "decided_by"]
        applies = decision == Decision.ADOPTED and proposal.applied_at is None and (
            proposal.wording or proposal.goal_values)
        if applies:
            proposal.applied_at = proposal.decided_at
            fields.append("applied_at")
        save_locked(proposal, lock_version, fields, submitted=data)
        if applies:
            _apply(user, agreement, proposal)

        deciding = m.Party.objects.get(pk=agreement.pen_holder_id())
        record_step(
            agreement, kind=Kind.PROPOSAL_DECIDED, user=user, letter=letter, participants=[deciding, proposal.party],
            action="proposal.decided", data=_decision_data(user, proposal, deciding, previous), target=proposal,
        )
    return proposal


def _apply(user, agreement, proposal):
    """Adopting in one step: the proposal's change goes into the working text through the same service as an
    edit by hand (its rules apply: a goal outside its corridor still needs the reason), so the next Fassung's
    redline shows it."""
    if proposal.wording:
        section = m.AgreementSection.objects.select_for_update().filter(pk=proposal.section_id).first()
        if section is None:
            raise DomainError(_("Den Abschnitt, dessen Wortlaut der Vorschlag ersetzt, gibt es nicht mehr. Bitte "
                                "übernehmen Sie ihn teilweise oder lehnen Sie ihn ab."))
        save_section(user=user, agreement=agreement, data={"heading": section.heading, "text": proposal.wording},
                     section=section, lock_version=section.lock_version)
    if proposal.goal_values:
        goal = m.Goal.objects.select_for_update().filter(pk=proposal.goal_id).first()
        if goal is None:
            raise DomainError(_("Das Ziel, dessen Werte der Vorschlag ändert, gibt es nicht mehr. Bitte "
                                "übernehmen Sie ihn teilweise oder lehnen Sie ihn ab."))
        data = {field: getattr(goal, field) for field in GOAL_FIELDS}
        for field, value in proposal.goal_values.items():
            number = isinstance(goal._meta.get_field(field), models.DecimalField)
            data[field] = Decimal(value) if number and value is not None else value
        save_goal(user=user, agreement=agreement, data=data, goal=goal, lock_version=goal.lock_version)


def _goal_display(field, value, unit=""):
    """A goal value as shown: the label of a Tendenz, a number with the goal's unit ("25,5 %"), a text."""
    if value is None or value == "":
        return None
    if field == "direction":
        return m.Goal.Direction(value).label if value in m.Goal.Direction.values else value
    if field in GOAL_NUMBER_FIELDS:
        return format_number(value, unit)
    return value


def describe_change(proposal):
    """What a proposal's change does, for the proposals tab and the decision page; None without one.

    Before adoption: the proposed wording marked against the working text (word redline), or per goal field the
    current and the proposed value. After adoption: what it changed (from the passage as it stood when proposed).
    `stale`: the passage has changed since the proposal was made (by the pen holder or another adopted proposal),
    so the decision should look again.
    """
    if not proposal.carries_change:
        return None
    applied = proposal.applied_at is not None
    current = passage(section=proposal.section if proposal.wording else None,
                      goal=proposal.goal if proposal.goal_values else None)
    base = current if not proposal.based_on else {**current, **proposal.based_on}
    before = base if applied else current
    if proposal.wording:
        return SimpleNamespace(
            applied=applied, stale=not applied and not _same_text(base["text"], current["text"]),
            diff=redline.diff_text(before["text"], proposal.wording), rows=())
    unit = proposal.goal.unit if proposal.goal is not None else ""
    rows = [
        SimpleNamespace(label=m.Goal._meta.get_field(field).verbose_name,
                        old=_goal_display(field, before.get(field), unit), new=_goal_display(field, value, unit),
                        quoted=field == "text")  # the goal's text is record content; the other values are not
        for field, value in proposal.goal_values.items()
    ]
    stale = not applied and any(not _same_value(base.get(f), current.get(f)) for f in GOAL_VALUE_FIELDS)
    return SimpleNamespace(applied=applied, stale=stale, diff="", rows=rows)


def passage_key(proposal):
    """The passage a proposal concerns, for seeing proposals on the same one together: ("section", pk),
    ("goal", pk), or ("concerns", the normalised words) for a proposal only in words."""
    if proposal.section_id:
        return ("section", proposal.section_id)
    if proposal.goal_id:
        return ("goal", proposal.goal_id)
    return ("concerns", " ".join(proposal.concerns.lower().split()) or f"#{proposal.pk}")


def arrange_proposals(proposals):
    """Proposals grouped by passage (groups in the order of their first proposal, each in order of arrival), each
    with `change` (describe_change) and `collisions`: the other open proposals on the same passage, while it is
    open itself. Two open proposals on one passage are a collision the pen holder decides together."""
    groups = {}
    for proposal in proposals:
        groups.setdefault(passage_key(proposal), []).append(proposal)
    arranged = []
    for group in groups.values():
        open_ones = [p for p in group if p.decision == Decision.OPEN]
        for proposal in group:
            proposal.change = describe_change(proposal)
            proposal.collisions = ([p for p in open_ones if p is not proposal]
                                   if proposal.decision == Decision.OPEN else [])
            arranged.append(proposal)
    return arranged


def require_decidable(agreement):
    """Decisions on proposals are part of the negotiated record and freeze with the text."""
    if agreement.is_frozen:
        raise DomainError(
            _("Die Zielvereinbarung ist „%(status)s“: Entscheidungen über Vorschläge sind mit dem Text "
              "festgeschrieben und können nicht mehr geändert werden.")
            % {"status": agreement.get_status_display()}
        )


def _decision_data(user, proposal, deciding, previous):
    """The timeline entry of a decision (agreements.text.entries "proposal.decided")."""
    return {
        "user": _user_name(user), "deciding": deciding.name, "text": _short(proposal),
        "party": proposal.party.name, "decision": proposal.decision, "previous": previous,
        "reason": proposal.reason,
        "letter": str(proposal.answer_letter) if proposal.answer_letter else "",
        "applied": changed_passage(proposal) if proposal.applied_at and previous != Decision.ADOPTED else "",
    }


def changed_passage(proposal):
    """The passage a proposal's change concerns, as data of the timeline entry (phrased when read, see
    agreements.text.entries): {"section": heading} or {"goal": title, "fields": [changed field names]}."""
    if proposal.wording and proposal.section is not None:
        return {"section": proposal.section.heading}
    if proposal.goal_values and proposal.goal is not None:
        return {"goal": proposal.goal.title, "fields": [f for f in GOAL_VALUE_FIELDS if f in proposal.goal_values]}
    return ""


# Statements ------------------------------------------------------------

def _attach_file(user, statement, uploaded_file):
    # The documents area owns uploads (type check by content, size limit, generated name); imported here so
    # that statements work before and without it.
    try:
        from .documents import store_upload
    except ImportError as exc:
        raise DomainError(_("Dateien können noch nicht hochgeladen werden.")) from exc
    statement.document = store_upload(
        user=user, agreement=statement.agreement, uploaded_file=uploaded_file, title=statement.title,
        kind=m.Document.Kind.STATEMENT,
    )


STATEMENT_FIELDS = ("party", "date", "title", "text", "include_as_annex")


def create_statement(*, user, agreement, data):
    with discard_files_on_failure(), transaction.atomic():
        editable_agreement(user, agreement)
        statement = m.Statement(agreement=agreement, created_by=user,
                                **{f: data.get(f) for f in STATEMENT_FIELDS})
        statement.text = statement.text or ""
        statement.include_as_annex = bool(statement.include_as_annex)
        if data.get("file"):
            _attach_file(user, statement, data["file"])
        statement.save()
        record_step(
            agreement, kind=Kind.STATEMENT, user=user, date=statement.date, participants=[statement.party],
            action="statement.recorded",
            data={"title": statement.title, "party": statement.party.name, "date": statement.date,
                  "user": _user_name(user), "annex": statement.include_as_annex},
        )
    return statement


def update_statement(*, user, statement, data, lock_version):
    with discard_files_on_failure(), transaction.atomic():
        editable_agreement(user, statement.agreement)
        for field in STATEMENT_FIELDS:
            setattr(statement, field, data.get(field))
        statement.text = statement.text or ""
        statement.include_as_annex = bool(statement.include_as_annex)
        fields = list(STATEMENT_FIELDS)
        if data.get("file"):
            _attach_file(user, statement, data["file"])
            fields.append("document")
        return save_locked(statement, lock_version, fields, submitted=data)


# Timeline ------------------------------------------------------------

STEP_FIELDS = ("date", "date_precision", "end_date", "kind", "title", "description", "participants_note")


def is_manual(step):
    return not step.automatic


def _check_step(data):
    if data.get("kind") not in MANUAL_STEP_KINDS:
        raise DomainError(_("Diese Art von Verfahrensschritt erfasst das System selbst."))
    if data.get("end_date") and data.get("date") and data["end_date"] < data["date"]:
        raise DomainError(_("Das Ende liegt vor dem Beginn."))


def create_step(*, user, agreement, data):
    """A manual step (meeting, reference values received, …); the timeline goes on after signing."""
    with transaction.atomic():
        require_writer(user, agreement)
        _check_step(data)
        step = m.ProcedureStep(agreement=agreement, automatic=False, actor=user,
                               **{f: data.get(f) for f in STEP_FIELDS})
        step.description = step.description or ""
        step.participants_note = step.participants_note or ""
        step.save()
        step.participants.set(data.get("participants") or [])
    return step


def update_step(*, user, step, data, lock_version):
    with transaction.atomic():
        require_writer(user, step.agreement)
        if not is_manual(step):
            raise DomainError(_("Vom System erfasste Verfahrensschritte können nicht geändert werden."))
        _check_step(data)
        for field in STEP_FIELDS:
            setattr(step, field, data.get(field))
        step.description = step.description or ""
        step.participants_note = step.participants_note or ""
        save_locked(step, lock_version, STEP_FIELDS, submitted=data)
        step.participants.set(data.get("participants") or [])
    return step


def format_step_date(step):
    """The date as precise as it is known, in the active language: "16.12.2011" (16/12/2011 in English),
    "November 2011", "2. Halbjahr 2011", "2012"."""

    def fmt(value):
        if step.date_precision == Precision.MONTH:
            return date_format(value, "F Y")
        if step.date_precision == Precision.HALF_YEAR:
            return gettext("%(half)s. Halbjahr %(year)s") % {
                "half": 1 if value.month <= 6 else 2, "year": value.year,
            }
        if step.date_precision == Precision.YEAR:
            return str(value.year)
        return date_format(value, "SHORT_DATE_FORMAT")

    start = fmt(step.date)
    end = fmt(step.end_date) if step.end_date else start
    return start if end == start else f"{start} – {end}"


# History ------------------------------------------------------------

def _history_sources(agreement):
    """(historical model, filter) for the agreement and every record that belongs to it."""
    sources = [(m.Agreement.history.model, Q(id=agreement.pk))]
    for model in (m.AgreementSection, m.Goal, m.SupportOffer, m.Proposal, m.Statement, m.Letter,
                  m.ProcedureStep, m.Signature):
        sources.append((model.history.model, Q(agreement_id=agreement.pk)))
    return sources


def history_entries(agreement):
    """All history records of the agreement, newest first, as one database query of light rows.

    Each row is (history_id, history_date, source index, history_id of the same object's previous record), so
    a page needs one more query per kind of record on it, however many records and changes it shows.
    """
    parts = []
    for index, (historical, condition) in enumerate(_history_sources(agreement)):
        previous = historical.objects.filter(id=OuterRef("id")).filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
        ).order_by("-history_date", "-history_id").values("history_id")[:1]
        parts.append(
            historical.objects.filter(condition)
            .annotate(source=Value(index, output_field=IntegerField()),
                      previous_id=Subquery(previous, output_field=IntegerField()))
            .values_list("history_id", "history_date", "source", "previous_id")
            .order_by()  # historical models order by date; parts of a UNION must not
        )
    return parts[0].union(*parts[1:], all=True).order_by("-history_date", "-history_id")


ACTIONS = {"+": _("angelegt"), "~": _("geändert"), "-": _("gelöscht")}


def describe_history(agreement, rows):
    """Readable entries for a page of history_entries() rows: who, when, what, and old → new per field."""
    sources = _history_sources(agreement)
    wanted = defaultdict(set)
    for history_id, _date, source, previous_id in rows:
        wanted[source].add(history_id)
        if previous_id is not None:
            wanted[source].add(previous_id)
    records = {}
    for source, ids in wanted.items():
        historical = sources[source][0]
        for record in historical.objects.filter(history_id__in=ids).select_related("history_user"):
            records[source, record.history_id] = record

    entries, foreign_keys = [], defaultdict(set)
    for history_id, _date, source, previous_id in rows:
        record = records[source, history_id]
        model = sources[source][0].instance_type
        changes = []
        if record.history_type == "~" and previous_id is not None:
            previous = records[source, previous_id]
            delta = record.diff_against(previous)
            for change in _phrased(model, delta.changes, previous, record):
                field = model._meta.get_field(change.field)
                # A number with its unit as it was then: "25,5 % → 25,2 %".
                changes.append({"field": field, "old": change.old, "new": change.new,
                                "units": (getattr(previous, "unit", ""), getattr(record, "unit", "")),
                                "phrased": getattr(change, "phrased", False)})
                if field.is_relation:
                    foreign_keys[field.related_model].update(
                        v for v in (change.old, change.new) if v is not None
                    )
        entries.append({
            "date": record.history_date,
            "user": _user_name(record.history_user),
            "action": ACTIONS.get(record.history_type, record.history_type),
            "type": model._meta.verbose_name,
            "label": _label(model, record),
            "label_language": _label_language(model, record),
            "changes": changes,
        })

    related = {model: model._default_manager.in_bulk(pks) for model, pks in foreign_keys.items()}
    for entry in entries:
        entry["changes"] = [
            {"label": c["field"].verbose_name,
             "old": _display(c["field"], c["old"], related, c["units"][0]),
             "new": _display(c["field"], c["new"], related, c["units"][1]),
             "quoted": _quoted(c["field"]) and not c["phrased"]}
            for c in entry["changes"]
        ]
    return entries


def _phrased(model, changes, old, new):
    """A typed step's action and data read as the title and description they phrase, in the reader's language."""
    if model is not m.ProcedureStep or not any(c.field in ("action", "data") for c in changes):
        return changes
    texts = [_instance(model, record).rendered() for record in (old, new)]
    kept = [c for c in changes if c.field not in ("action", "data", "title", "description")]
    for index, name in enumerate(("title", "description")):
        if texts[0][index] != texts[1][index]:
            kept.append(SimpleNamespace(field=name, old=texts[0][index], new=texts[1][index], phrased=True))
    return kept


def _instance(model, record):
    fields = model._meta.concrete_fields
    return model(**{f.attname: getattr(record, f.attname) for f in fields if hasattr(record, f.attname)})


def _label(model, record):
    # Not record.instance: it reads fields excluded from history (lock_version) back from the database, one
    # query per record. __str__ of these models needs only their own columns.
    fields = model._meta.concrete_fields
    values = {f.attname: getattr(record, f.attname) for f in fields if hasattr(record, f.attname)}
    instance = model(**values)
    if model is m.ProcedureStep:
        return instance.display_title_html  # a typed step's quoted record content marked as German
    return str(instance)


def _label_language(model, record):
    """A typed step's label is phrased in the reader's language (None); every other label is record content."""
    if model is m.ProcedureStep and record.action in entries.ACTIONS:
        return None
    return entries.PAPER_LANGUAGE


def _quoted(field):
    """Whether a field's values are record content as written (a text, a name), shown as German whatever the
    reader's language; choices, flags, numbers and dates are shown in the reader's language."""
    if field.choices or isinstance(field, (models.BooleanField, models.DecimalField, models.DateField,
                                           models.IntegerField)):
        return False
    return field.is_relation or isinstance(field, (models.CharField, models.TextField))


def _display(field, value, related, unit=""):
    if value is None or value == "":
        return "–"
    if isinstance(field, models.DecimalField):
        return format_number(value, unit)
    if field.is_relation:
        obj = related.get(field.related_model, {}).get(value)
        if obj is None:
            return gettext("(gelöscht, Nr. %(pk)s)") % {"pk": value}
        if field.related_model is get_user_model():
            return _user_name(obj)
        return str(obj)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return gettext("ja") if value else gettext("nein")
    if isinstance(field, models.DateTimeField):
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(field, models.DateField):
        return date_format(value, "SHORT_DATE_FORMAT")
    return str(value)
