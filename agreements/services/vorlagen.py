"""Vorlagen (committee papers): numbering, writing, routing, releasing, and the draft written from an agreement.

Entwurf → freigegeben (content frozen, PDF stored once with its SHA-256) → in Beratung (a result per
consultation) → erledigt; side exit zurückgezogen. Every write is one function here: atomic, checks the
permission (an editor of the department's party, see agreements/policy/vorlage_access.py) and the state (content
changes only while Entwurf), and is recorded: django-simple-history always, a ProcedureStep on the agreement
when the Vorlage has one. Models refuse writes to released Vorlagen as well (ReleasedVorlageGuard); the
services refuse first, with a message the user can act on.
"""

import datetime
import logging
import time

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Max
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from agreements.infra.errors import DomainError
from agreements.policy import access, vorlage_access
from agreements.services.base import (
    announce_step,
    commit_with_pdf,
    move_one_place,
    record_language,
    record_step,
    save_locked,
)
from agreements.text import entries

from .. import models as m
from .documents import _write_document, agreement_documents_queryset, discard_files_on_failure, inspect_upload
from .stored_pdfs import store_generated_pdf
from .transitions import VORLAGE, move
from .vorlage_draft import draft_from_agreement

logger = logging.getLogger(__name__)

V = m.Vorlage
S = V.Status

HEADER_FIELDS = (
    "paper_type", "public", "non_public_reason", "author", "date", "file_reference", "name", "decision_type",
    "financial_impact", "financial_impact_text", "personnel_impact", "personnel_impact_text",
    "organisational_impact", "organisational_impact_text", "resolution", "occasion", "conclusion",
)
IMPACTS = (
    ("financial_impact", "financial_impact_text"),
    ("personnel_impact", "personnel_impact_text"),
    ("organisational_impact", "organisational_impact_text"),
)
CONSULTATION_FIELDS = ("committee", "meeting", "meeting_date", "role", "authoritative")
MIN_YEAR, MAX_YEAR = 2005, 2100
MAX_TEXT = 50000
NUMBERING_ATTEMPTS = 5
POSTPONED = m.Consultation.Result.POSTPONED
DEFAULT_RESOLUTION = "Die Ausführungen der Verwaltung werden zur Kenntnis genommen."


# --- Checks -------------------------------------------------------------------------------------------------

def _text(value, label, max_length=MAX_TEXT, required=False):
    value = (value or "").strip()
    if required and not value:
        raise DomainError(_("Bitte füllen Sie „%(field)s“ aus.") % {"field": label})
    if len(value) > max_length:
        raise DomainError(
            _("„%(field)s“ darf höchstens %(max)s Zeichen lang sein.") % {"field": label, "max": max_length}
        )
    return value


def _label(model, name):
    return str(model._meta.get_field(name).verbose_name)


def _check_date(value, label):
    if not isinstance(value, datetime.date):
        raise DomainError(_("Bitte geben Sie „%(field)s“ an.") % {"field": label})
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise DomainError(
            _("„%(field)s“ muss zwischen %(min)s und %(max)s liegen.")
            % {"field": label, "min": MIN_YEAR, "max": MAX_YEAR}
        )
    return value


def clean_header(data, department):
    """The header fields, checked; raises DomainError with the first problem."""
    cleaned = {}
    for name in HEADER_FIELDS:
        field = V._meta.get_field(name)
        value = data.get(name)
        if name in ("author", "date", "public"):
            cleaned[name] = value
        elif field.choices:
            if value not in dict(field.choices):
                raise DomainError(_("Bitte wählen Sie „%(field)s“ aus.") % {"field": field.verbose_name})
            cleaned[name] = value
        else:
            cleaned[name] = _text(value, field.verbose_name, field.max_length or MAX_TEXT, required=name == "name")
    cleaned["public"] = bool(cleaned["public"])
    if not cleaned["public"] and not cleaned["non_public_reason"]:
        raise DomainError(_("Eine nichtöffentliche Vorlage braucht einen Grund für die Nichtöffentlichkeit."))
    for impact, text in IMPACTS:
        if cleaned[impact] == m.Impact.YES and not cleaned[text]:
            raise DomainError(
                _("„%(field)s“ ist „ja“: bitte erläutern Sie die Auswirkung.") % {"field": _label(V, impact)}
            )
    author = cleaned["author"]
    if author is None or author.party_id != department.party_id:
        raise DomainError(_("Bearbeiter/in muss eine Person der Stelle des Fachbereichs sein."))
    _check_date(cleaned["date"], _label(V, "date"))
    return cleaned


# --- Numbering ----------------------------------------------------------------------------------------------

def next_reference(department, year):
    """(running number, reference) of the next Vorlage of the department in the year: max + 1, 3 digits.

    Call it inside the transaction that holds the department's row lock (see create_vorlage): otherwise two
    creators read the same maximum.
    """
    last = V.objects.filter(department=department, year=year).aggregate(n=Max("running_number"))["n"] or 0
    running = last + 1
    return running, V.format_reference(department.number, running, year)


def _create_numbered(department, year, build):
    """Run build(running_number, reference) with the next number; safe when several users create at once.

    PostgreSQL: the department row lock queues the creators, each reads the maximum after the previous one
    committed. SQLite has no row locks; there the unique constraint (department, year, running number)
    refuses a taken number and the number is drawn again, or the database is busy and we try again later.
    """
    nested = connection.in_atomic_block
    for attempt in range(1, NUMBERING_ATTEMPTS + 1):
        running = None
        try:
            with transaction.atomic():
                m.Department.objects.select_for_update().filter(pk=department.pk).first()
                running, reference = next_reference(department, year)
                return build(running, reference)
        except IntegrityError:
            taken = running is not None and V.objects.filter(
                department=department, year=year, running_number=running
            ).exists()
            if not taken:
                raise
            logger.info("Vorlage number %s/%s of department %s was taken meanwhile", running, year, department.pk)
        except OperationalError as exc:
            if nested or "locked" not in str(exc):
                raise
            logger.info("Database busy while numbering a Vorlage (attempt %s)", attempt)
            time.sleep(0.05 * attempt)
    raise DomainError(
        _("Die Vorlagen-Nr. konnte wegen gleichzeitiger Zugriffe nicht vergeben werden. Bitte versuchen Sie es "
          "erneut.")
    )


# --- Creating -----------------------------------------------------------------------------------------------

def _record(vorlage, user, action, **data):
    """A step on the agreement's timeline, when the Vorlage reports on an agreement: the action of
    agreements.text.entries, with the paper's reference and name as they are now. A Vorlage that reports on no
    agreement has no timeline; the step is announced all the same (the committees' members are told of it)."""
    data = {"reference": vorlage.reference, "name": _label_of(vorlage), **data}
    if vorlage.agreement_id:
        record_step(
            m.Agreement(pk=vorlage.agreement_id), kind=m.ProcedureStep.Kind.OTHER, user=user, action=action,
            data=data, target=vorlage,
        )
    else:
        entries.check(action, data)
        announce_step(action, data=data, target=vorlage, user=user)


def _check_agreement(user, agreement, department):
    if agreement is None:
        return
    if not access.can_read_agreement(user, agreement):
        raise DomainError(_("Die Zielvereinbarung ist nicht verfügbar."))
    if department.party_id not in access.agreement_party_ids(agreement):
        raise DomainError(_("Die Stelle des Fachbereichs ist nicht Partei dieser Zielvereinbarung."))


def _create(*, user, department, header, agreement=None, sections=(), anlagen=()):
    vorlage_access.require_writer(user, department)
    header = clean_header(header, department)
    _check_agreement(user, agreement, department)
    year = header["date"].year

    def build(running, reference):
        vorlage = V(
            reference=reference, department=department, year=year, running_number=running,
            agreement=agreement, created_by=user, status=S.DRAFT, **header,
        )
        vorlage.save()
        m.VorlageSection.objects.bulk_create(
            m.VorlageSection(vorlage=vorlage, order=order, heading=heading, text=text)
            for order, (heading, text) in enumerate(sections, start=1)
        )
        m.VorlageAnlage.objects.bulk_create(
            m.VorlageAnlage(vorlage=vorlage, order=order, title=title, document=document)
            for order, (title, document) in enumerate(anlagen, start=1)
        )
        _record(vorlage, user, "vorlage.created")
        return vorlage

    return _create_numbered(department, year, build)


def default_header(**values):
    """Sensible defaults: a public Beschlussvorlage without impacts, like the reference paper."""
    header = {
        "paper_type": V.PaperType.BESCHLUSSVORLAGE, "public": True, "non_public_reason": "",
        "decision_type": V.DecisionType.BESCHLUSS, "file_reference": "", "resolution": "", "occasion": "",
        "conclusion": "",
    }
    for impact, text in IMPACTS:
        header[impact], header[text] = m.Impact.NO, ""
    header.update(values)
    return header


def create_vorlage(*, user, data):
    """A new draft without agreement (or with one, but without pre-filled text). data: department, the
    header fields, optionally agreement."""
    department = data.get("department")
    if department is None:
        raise DomainError(_("Bitte wählen Sie den Fachbereich aus."))
    header = default_header(**{k: data[k] for k in HEADER_FIELDS if k in data})
    return _create(user=user, department=department, header=header, agreement=data.get("agreement"))


def create_vorlage_from_agreement(*, user, agreement, department, author, date):
    """A draft reporting on the agreement, pre-filled from its records; everything stays editable."""
    vorlage_access.require_writer(user, department)
    _check_agreement(user, agreement, department)
    if agreement.status == m.Agreement.Status.WITHDRAWN:
        # The rule of vorlage_access.can_report_on_agreement, which hides the link: it goes to no committee.
        raise DomainError(_("Eine zurückgezogene Zielvereinbarung wird keinem Gremium vorgelegt."))
    _check_date(date, _label(V, "date"))
    draft = draft_from_agreement(agreement, department=department, date=date)
    header = default_header(author=author, date=date, name=draft["name"], occasion=draft["occasion"],
                            conclusion=draft["conclusion"], resolution=DEFAULT_RESOLUTION,
                            # The proposed resolution takes note ("zur Kenntnis genommen"): so does the paper.
                            decision_type=V.DecisionType.KENNTNISNAHME)
    return _create(user=user, department=department, header=header, agreement=agreement,
                   sections=draft["sections"], anlagen=draft["anlagen"])


# --- Editing ------------------------------------------------------------------------------------------------

def update_vorlage(*, user, vorlage, data, lock_version):
    """Change the header and texts of a draft; refused once released, or when somebody saved in between."""
    with transaction.atomic():
        locked = VORLAGE.enter(user, vorlage, "edit")
        header = clean_header(data, locked.department)
        if header["date"].year != locked.year:
            raise DomainError(
                _("Das Datum muss im Jahr %(year)s liegen: die Vorlagen-Nr. %(reference)s ist für dieses Jahr "
                  "vergeben.") % {"year": locked.year, "reference": locked.reference}
            )
        for name, value in header.items():
            setattr(locked, name, value)
        return save_locked(locked, lock_version, HEADER_FIELDS, submitted=data)


def _next_order(queryset):
    return (queryset.aggregate(n=Max("order"))["n"] or 0) + 1


def _clean_section(data):
    return (_text(data.get("heading"), _label(m.VorlageSection, "heading"), 300, required=True),
            _text(data.get("text"), _label(m.VorlageSection, "text")))


def save_section(*, user, vorlage, data, section=None, lock_version=None):
    heading, text = _clean_section(data)
    with transaction.atomic():
        locked = VORLAGE.enter(user, vorlage, "edit")
        if section is None:
            return m.VorlageSection.objects.create(vorlage=locked, heading=heading, text=text,
                                                   order=_next_order(locked.sections.all()))
        section.heading, section.text = heading, text
        return save_locked(section, lock_version, ["heading", "text"], submitted=data)


def _delete_child(user, vorlage, obj):
    with transaction.atomic():
        VORLAGE.enter(user, vorlage, "edit")
        obj.delete()


def delete_section(*, user, section):
    _delete_child(user, section.vorlage, section)


def _move(user, vorlage, queryset, obj, direction):
    """One place up or down; orders are renumbered densely."""
    if direction not in ("up", "down"):
        raise DomainError(_("Unbekannte Richtung."))
    with transaction.atomic():
        VORLAGE.enter(user, vorlage, "edit")
        move_one_place(list(queryset.order_by("order", "id")), obj, direction)


def move_section(*, user, section, direction):
    _move(user, section.vorlage, section.vorlage.sections.all(), section, direction)


def _meeting_date(meeting):
    return timezone.localdate(meeting.start) if meeting is not None else None


def clean_consultation(data, vorlage):
    """The Beratungsfolge entry, checked against the Vorlage's party and the chosen meeting."""
    committee, meeting = data.get("committee"), data.get("meeting")
    if committee is None:
        raise DomainError(_("Bitte wählen Sie das Gremium aus."))
    if committee.party_id != vorlage.department.party_id:
        raise DomainError(_("Das Gremium gehört nicht zur Stelle, die die Vorlage schreibt."))
    if meeting is not None and meeting.committee_id != committee.pk:
        raise DomainError(_("Die Sitzung ist keine Sitzung dieses Gremiums."))
    meeting_date = data.get("meeting_date")
    if meeting is not None:
        if meeting_date is not None and meeting_date != _meeting_date(meeting):
            raise DomainError(_("Der Sitzungstermin weicht vom Datum der gewählten Sitzung ab."))
        meeting_date = _meeting_date(meeting)
    if meeting_date is not None:
        _check_date(meeting_date, _label(m.Consultation, "meeting_date"))
        if meeting_date < vorlage.date:
            raise DomainError(_("Der Sitzungstermin liegt vor dem Datum der Vorlage."))
    if data.get("role") not in m.Consultation.Role.values:
        raise DomainError(_("Bitte wählen Sie die Art der Beratung aus."))
    return {"committee": committee, "meeting": meeting, "meeting_date": meeting_date, "role": data["role"],
            "authoritative": bool(data.get("authoritative"))}


def save_consultation(*, user, vorlage, data, consultation=None, lock_version=None):
    with transaction.atomic():
        locked = VORLAGE.enter(user, vorlage, "edit")
        values = clean_consultation(data, locked)
        others = locked.consultations.exclude(pk=consultation.pk if consultation else None)
        if values["authoritative"] and others.filter(authoritative=True).exists():
            raise DomainError(_("Nur eine Beratung kann abschließend sein."))
        if consultation is None:
            return m.Consultation.objects.create(paper=locked, order=_next_order(locked.consultations.all()),
                                                 **values)
        for name, value in values.items():
            setattr(consultation, name, value)
        return save_locked(consultation, lock_version, CONSULTATION_FIELDS, submitted=data)


def delete_consultation(*, user, consultation):
    _delete_child(user, consultation.paper, consultation)


def move_consultation(*, user, consultation, direction):
    _move(user, consultation.paper, consultation.paper.consultations.all(), consultation, direction)


def _anlage_title(title, fallback=""):
    title = (title or "").strip() or (fallback or "").strip()
    return _text(title, _label(m.VorlageAnlage, "title"), m.VorlageAnlage._meta.get_field("title").max_length,
                 required=True)


def add_anlage(*, user, vorlage, title="", document=None, uploaded_file=None):
    """An Anlage from the agreement's documents, or from an upload (checked by content, stored as Document)."""
    if (document is None) == (uploaded_file is None):
        raise DomainError(_("Bitte wählen Sie ein Dokument der Zielvereinbarung aus oder laden Sie eine Datei hoch."))
    if document is not None:
        if vorlage.agreement_id is None or not agreement_documents_queryset(vorlage.agreement).filter(
                pk=document.pk).exists():
            raise DomainError(_("Das Dokument gehört nicht zur Zielvereinbarung dieser Vorlage."))
        title = _anlage_title(title, document.title)
        with transaction.atomic():
            locked = VORLAGE.enter(user, vorlage, "edit")
            return m.VorlageAnlage.objects.create(vorlage=locked, title=title, document=document,
                                                  order=_next_order(locked.anlagen.all()))
    title = _anlage_title(title, uploaded_file.name)
    vorlage_access.require_writer(user, vorlage.department)
    info = inspect_upload(uploaded_file)
    with discard_files_on_failure(), transaction.atomic():
        locked = VORLAGE.enter(user, vorlage, "edit")
        # Stored without agreement: the file is the Vorlage's, served by the Vorlage's access rules only.
        stored = _write_document(user=user, agreement=None, uploaded_file=uploaded_file, info=info,
                                 title=title, kind=m.Document.Kind.ANNEX)
        return m.VorlageAnlage.objects.create(vorlage=locked, title=title, document=stored,
                                              order=_next_order(locked.anlagen.all()))


def update_anlage(*, user, anlage, title, lock_version=None):
    title = _anlage_title(title)
    with transaction.atomic():
        VORLAGE.enter(user, anlage.vorlage, "edit")
        anlage.title = title
        return save_locked(anlage, lock_version, ["title"], submitted={"title": title})


def delete_anlage(*, user, anlage):
    """Removes the entry from the list; the document stays among the records."""
    _delete_child(user, anlage.vorlage, anlage)


def move_anlage(*, user, anlage, direction):
    _move(user, anlage.vorlage, anlage.vorlage.anlagen.all(), anlage, direction)


# --- Lifecycle ----------------------------------------------------------------------------------------------

def available_actions(user, vorlage):
    """The lifecycle actions this user may start now (the VORLAGE table); the page shows exactly these."""
    return VORLAGE.available(user, vorlage)


def release_refusal(user, vorlage):
    """Why a draft the user may act on is not released yet, or None: the release rule's guard (its agreement is
    not signed yet). The page says it where the "Freigeben" button would be, instead of leaving the button out."""
    if vorlage.status != m.Vorlage.Status.DRAFT:
        return None
    refusal = VORLAGE.refusal(user, vorlage, "release")
    return None if refusal is None or refusal.forbidden else refusal


def _label_of(vorlage):
    return " ".join(vorlage.name.split())


def release_problem(vorlage):
    """What the content lacks for the release (_check_releasable), or None: the page says it before it asks."""
    try:
        _check_releasable(vorlage)
    except DomainError as exc:
        return exc.message
    return None


def _check_releasable(vorlage):
    consultations = list(vorlage.consultations.all())
    if not consultations:
        raise DomainError(_("Die Beratungsfolge ist leer: bitte mindestens ein Gremium eintragen."))
    for consultation in consultations:
        if consultation.meeting_date is not None and consultation.meeting_date < vorlage.date:
            raise DomainError(_("Der Sitzungstermin des Gremiums „%(committee)s“ liegt vor dem Datum der Vorlage.")
                              % {"committee": consultation.committee})


def release(*, user, vorlage):
    """Freigeben: the content is frozen, the PDF rendered once and stored with its SHA-256.

    The Gesamtdokument is built before anything is stored: a Vorlage whose Anlage cannot go into it (not a
    PDF, encrypted, damaged, changed on disk) is not released, and the BundleError names that Anlage. Both are
    rendered while no row lock is held (commit_with_pdf); what is stored is what the locked state renders to.
    """
    from ..pdf.bundle import BundleError
    from ..pdf.render import pdf_from_html
    from ..pdf.vorlage import pdf_filename, vorlage_html, vorlage_queryset
    from ..pdf.vorlage_bundle import anlagen_key, build_vorlage_bundle, bundle_meta, remember_bundle

    def prepare():
        locked = VORLAGE.enter(user, vorlage, "release")
        full = vorlage_queryset().get(pk=locked.pk)
        _check_releasable(full)
        # Still a draft in the database, rendered as what it becomes: the released paper, without the draft mark.
        return (vorlage_html(full, draft=False), anlagen_key(full), bundle_meta(full)), (locked, full)

    def build(inputs, state):
        _locked, full = state
        rendered = pdf_from_html(inputs[0])
        try:
            bundle = build_vorlage_bundle(full, rendered.content)
        except BundleError as error:
            raise DomainError(
                _("Die Vorlage kann nicht freigegeben werden: %(error)s") % {"error": error}
            ) from error
        return rendered, bundle

    def commit(state, built):
        locked, full = state
        rendered, bundle = built
        document = store_generated_pdf(
            rendered, kind=m.Document.Kind.VORLAGE, user=user, filename=pdf_filename(full),
            title=_("Vorlage %(reference)s (freigegebene Fassung)") % {"reference": full.reference},
        )
        try:
            locked.status = VORLAGE["release"].target
            locked.main_file = document
            locked.released_at = timezone.now()
            locked.released_by = user
            locked._change_reason = "freigegeben"
            locked.save(update_fields=["status", "main_file", "released_at", "released_by", "modified"])
            _record(locked, user, "vorlage.released", sha=rendered.sha256)
        except BaseException:
            document.file.storage.delete(document.file.name)
            raise
        # The first download of the Gesamtdokument need not build it again.
        transaction.on_commit(lambda: remember_bundle(full, rendered.sha256, bundle.content))
        return locked

    return commit_with_pdf(
        prepare=prepare, build=build, commit=commit,
        failure=_("Das PDF der Vorlage konnte nicht erzeugt werden; die Vorlage wurde nicht freigegeben. Bitte "
                  "versuchen Sie es erneut oder wenden Sie sich an die Administration."),
    )


def _status_change(*, user, vorlage, action, entry, check=None):
    """A transition of the VORLAGE table that changes nothing but the status; `entry` is the timeline action it
    records (agreements.text.entries), whose German title is also the history's note on the change."""

    def record(locked):
        _record(locked, user, entry)

    title, _description = entries.render(
        entry, {"reference": vorlage.reference, "name": _label_of(vorlage)}, entries.PAPER_LANGUAGE)
    return move(VORLAGE, user=user, obj=vorlage, action=action, record=record, check=check, change_reason=title)


def start_consultation(*, user, vorlage):
    return _status_change(
        user=user, vorlage=vorlage, action="start_consultation", entry="vorlage.consultation_started",
    )


def _in_order(consultations):
    return sorted(consultations, key=lambda c: (c.order, c.pk))


def awaiting_follow_up(consultations):
    """The postponed ("vertagt") consultations that no later consultation of the same committee follows yet: that
    committee has not dealt with the paper, and its next consultation is added (add_follow_up). One rule for the
    service, the page's link and completion."""
    consultations = _in_order(consultations)
    return [c for i, c in enumerate(consultations) if c.result == POSTPONED
            and not any(later.committee_id == c.committee_id for later in consultations[i + 1:])]


def open_consultations(consultations):
    """The consultations that have not dealt with the paper: without a result, or postponed and not taken up again
    in a later consultation of the same committee. A postponed one followed by its next consultation keeps its
    "vertagt"; that next one needs a result of its own."""
    waiting = {c.pk for c in awaiting_follow_up(consultations)}
    return [c for c in _in_order(consultations) if not c.result or c.pk in waiting]


def completion_problem(consultations):
    """Why the paper cannot be completed yet (every consultation must have dealt with it), or None."""
    waiting = awaiting_follow_up(consultations)
    missing = [c for c in _in_order(consultations) if not c.result]
    problems = []
    if missing:
        problems.append(_("Es fehlt noch das Ergebnis der Beratung in: %(committees)s.")
                        % {"committees": ", ".join(c.meeting_label for c in missing)})
    if waiting:
        problems.append(_("Vertagt wurde die Beratung in: %(committees)s. Tragen Sie die erneute Beratung in einer "
                          "späteren Sitzung ein und erfassen Sie deren Ergebnis.")
                        % {"committees": ", ".join(c.meeting_label for c in waiting)})
    return " ".join(problems) or None


def ordered_consultations(vorlage):
    """The Beratungsfolge in its order, with what names each consultation (its meeting_label)."""
    return list(vorlage.consultations.select_related("committee", "meeting").order_by("order", "id"))


def not_awaiting_follow_up():
    return _("Erneut beraten wird nur eine vertagte Beratung, der noch keine weitere Beratung desselben Gremiums "
             "folgt.")


def record_result(*, user, consultation, result):
    """The committee's result; the first result puts a released Vorlage into Beratung."""
    if result not in m.Consultation.Result.values or not result:
        raise DomainError(_("Bitte wählen Sie ein Ergebnis aus."))
    with transaction.atomic():
        locked = VORLAGE.enter(user, consultation.paper, "record_result")
        consultation = m.Consultation.objects.select_related("committee").get(pk=consultation.pk, paper=locked)
        if consultation.result == POSTPONED and result != POSTPONED and consultation.pk not in {
                c.pk for c in open_consultations(ordered_consultations(locked))}:
            # Its next consultation stands in the Beratungsfolge because it was postponed: that one gets the result.
            raise DomainError(_("Die Beratung wurde vertagt und wird in einer späteren Sitzung des Gremiums erneut "
                                "beraten: Erfassen Sie das Ergebnis dort."))
        consultation.result = result
        consultation.save(update_fields=["result", "modified"])
        with record_language():
            label = str(consultation.get_result_display())
        # The agenda items of the meeting show the result, too.
        m.AgendaItem.objects.filter(consultation=consultation).update(result=str(label)[:200])
        if locked.status != VORLAGE["record_result"].target:
            locked.status = VORLAGE["record_result"].target
            locked._change_reason = "in Beratung"
            locked.save(update_fields=["status", "modified"])
        _record(locked, user, "vorlage.result_recorded", committee=str(consultation.committee), result=result,
                date=consultation.meeting_date)
    return consultation


def _consultation_day(consultation):
    return consultation.meeting_date or _meeting_date(consultation.meeting)


def add_follow_up(*, user, consultation, data):
    """A postponed item is dealt with again in a later meeting of the same committee (as in ALLRIS or SessionNet):
    its next consultation joins the frozen Beratungsfolge, with the committee, role and authoritative flag of the
    postponed one, in the meeting (or on the date) of `data`; the postponed one keeps its "vertagt". Refused for any
    consultation that is not postponed or already followed by a later one of its committee."""
    with transaction.atomic():
        locked = VORLAGE.enter(user, consultation.paper, "follow_up")
        waiting = awaiting_follow_up(ordered_consultations(locked))
        postponed = next((c for c in waiting if c.pk == consultation.pk), None)
        if postponed is None:
            raise DomainError(not_awaiting_follow_up())
        values = clean_consultation({
            "committee": postponed.committee, "meeting": data.get("meeting"), "meeting_date": data.get("meeting_date"),
            "role": postponed.role, "authoritative": postponed.authoritative,
        }, locked)
        if values["meeting_date"] is None:
            raise DomainError(_("Bitte wählen Sie die Sitzung, in der erneut beraten wird, oder geben Sie ihren "
                                "Termin an."))
        before = _consultation_day(postponed)
        if before is not None and values["meeting_date"] <= before:
            raise DomainError(_("Die erneute Beratung muss nach der vertagten Sitzung am %(date)s liegen.")
                              % {"date": formats.date_format(before, "SHORT_DATE_FORMAT")})
        follow_up = m.Consultation.objects.create(paper=locked, order=_next_order(locked.consultations.all()),
                                                  **values)
        _record(locked, user, "vorlage.follow_up_added", committee=str(postponed.committee), postponed=before,
                date=values["meeting_date"])
    return follow_up


def complete(*, user, vorlage):
    """Erledigt: every committee of the Beratungsfolge has dealt with the paper (open_consultations)."""

    def every_result(locked):
        if problem := completion_problem(ordered_consultations(locked)):
            raise DomainError(problem)

    return _status_change(
        user=user, vorlage=vorlage, action="complete", check=every_result, entry="vorlage.completed",
    )


def withdraw(*, user, vorlage, reason):
    """Zurückziehen, with a reason: on the timeline, in the history, and on the agenda items of the meetings.
    What has dealt with the paper keeps its result (a postponed consultation taken up again keeps "vertagt")."""
    reason = _text(reason, _("Begründung"), 4000, required=True)
    with transaction.atomic():
        locked = VORLAGE.enter(user, vorlage, "withdraw")
        pending = open_consultations(ordered_consultations(locked))
        m.AgendaItem.objects.filter(consultation__in=pending).update(
            result=(_("zurückgezogen: %(reason)s") % {"reason": reason})[:200])
        for consultation in pending:
            consultation.result = m.Consultation.Result.WITHDRAWN
            consultation.save(update_fields=["result", "modified"])
        locked.status = VORLAGE["withdraw"].target
        locked._change_reason = (_("zurückgezogen: %(reason)s") % {"reason": reason})[:100]
        locked.save(update_fields=["status", "modified"])
        _record(locked, user, "vorlage.withdrawn", reason=reason)
    return locked


# --- Reading ------------------------------------------------------------------------------------------------

def vorlage_text_sections(vorlage):
    """The explanation part of the paper in the order the PDF prints it (Anlass, Sachverhaltsdarstellung with its
    sections, Fazit), empty parts left out: [{"key", "heading", "text", "level", "section"}]. The reading view
    renders exactly this list, so it cannot drift from the PDF's order."""
    blocks = []
    if vorlage.occasion:
        blocks.append({"key": "occasion", "heading": _("Anlass der Vorlage:"), "text": vorlage.occasion, "level": 2})
    sections = list(vorlage.sections.all())
    if sections:
        blocks.append({"key": "facts", "heading": _("Sachverhaltsdarstellung:"), "text": "", "level": 2})
        blocks += [{"key": "section", "heading": section.heading, "text": section.text, "level": 3,
                    "section": section, "first": i == 0, "last": i == len(sections) - 1}
                   for i, section in enumerate(sections)]
    if vorlage.conclusion:
        blocks.append({"key": "conclusion", "heading": _("Fazit:"), "text": vorlage.conclusion, "level": 2})
    return blocks
