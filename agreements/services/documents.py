"""Uploads and the letters register.

There is deliberately no delete_document: the documents are the agreement's records (what was sent, signed,
answered) and must still be there when someone asks years later. A wrong upload is superseded by a new one.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models, transaction
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from agreements.infra.errors import DomainError
from agreements.infra.files import clean_filename
from agreements.infra.uploads import inspect_upload
from agreements.services.base import record_step, require_writer

from .. import models as m

LETTER_FIELDS = (
    "date", "direction", "sender", "recipient", "sender_person", "subject", "reference", "summary",
)
MAX_TITLE = m.Document._meta.get_field("title").max_length
# A letter is registered once it has been written: its date is not later than today (the form says it too).
LETTER_IN_THE_FUTURE = _("Das Datum des Schreibens liegt in der Zukunft.")


def agreement_documents_queryset(agreement):
    """Every document of the agreement: attached directly, a letter's file, a statement's file, the signed copy."""
    belongs = (
        models.Q(agreement=agreement)
        | models.Q(pk__in=m.Letter.objects.filter(agreement=agreement, document__isnull=False).values("document_id"))
        | models.Q(pk__in=m.Statement.objects.filter(agreement=agreement, document__isnull=False)
                   .values("document_id"))
    )
    if agreement.signed_file_id:
        belongs |= models.Q(pk=agreement.signed_file_id)
    return m.Document.objects.filter(belongs)


# The file lists of the discard_files_on_failure() blocks the current code runs in, innermost last.
_collectors = ContextVar("discard_files_on_failure", default=())


@contextmanager
def discard_files_on_failure():
    """Deletes the files stored by store_upload() and friends inside the block if the block fails.

    A database rollback does not remove files, so without this a failed write would leave an orphan file behind.
    Wrap the transaction.atomic() block in it, so the rollback happens first and the cleanup after:

        with discard_files_on_failure(), transaction.atomic():
            document = store_upload(...)
            ...  # anything raising here also removes the stored file
    """
    written = []
    token = _collectors.set((*_collectors.get(), written))
    try:
        yield written
    except BaseException:
        storage = m.Document._meta.get_field("file").storage
        for name in written:
            storage.delete(name)
        raise
    finally:
        _collectors.reset(token)


# --- Documents of frozen records ----------------------------------------------------------------------------

def _frozen_holders():
    """(records that froze their documents, the field naming the document, German reason)."""
    released = m.Vorlage.FROZEN_STATUSES
    return (
        (m.Agreement.objects.all(), "signed_file",
         _("Das Dokument ist die unterzeichnete Fassung einer Zielvereinbarung.")),
        (m.Vorlage.objects.filter(status__in=released), "main_file",
         _("Das Dokument ist das PDF einer freigegebenen Vorlage.")),
        (m.VorlageAnlage.objects.filter(vorlage__status__in=released), "document",
         _("Das Dokument ist eine Anlage einer freigegebenen Vorlage.")),
        (m.Statement.objects.filter(agreement__status__in=m.Agreement.SIGNED_STATUSES), "document",
         _("Das Dokument ist eine Stellungnahme zu einer unterzeichneten Zielvereinbarung.")),
    )


def frozen_documents():
    """Documents that belong to a frozen record and never change again: a signed agreement's PDF, a released
    Vorlage's PDF and Anlagen, the Stellungnahmen of a signed agreement. Their file, title, kind, agreement
    and uploader are part of what was signed or released (the agreement decides who may read them)."""
    query = models.Q(pk__in=[])
    for holders, field, _reason in _frozen_holders():
        query |= models.Q(pk__in=holders.exclude(**{field: None}).values(field))
    return m.Document.objects.filter(query)


def frozen_document_reason(document_id):
    """Why the document can no longer be changed (German), or None."""
    if document_id is None:
        return None
    for holders, field, reason in _frozen_holders():
        if holders.filter(**{field: document_id}).exists():
            return _("%(reason)s Es wird nur angezeigt und kann weder geändert noch gelöscht werden.") % {
                "reason": reason,
            }
    return None


def _check_document_fields(title, kind):
    title = (title or "").strip()
    if not title:
        raise DomainError(_("Bitte geben Sie einen Titel an."))
    if len(title) > MAX_TITLE:
        raise DomainError(_("Der Titel darf höchstens %(max)s Zeichen lang sein.") % {"max": MAX_TITLE})
    if kind not in m.Document.Kind.values:
        raise DomainError(_("Unbekannte Art des Dokuments."))
    return title


def _write_document(*, user, agreement, uploaded_file, info, title, kind):
    document = m.Document(
        title=title, kind=kind, agreement=agreement, original_filename=clean_filename(uploaded_file.name),
        size=info.size, content_type=info.content_type, sha256=info.sha256, is_pdfa=info.is_pdfa,
        uploaded_by=user if user.is_authenticated else None,
    )
    uploaded_file.seek(0)
    # The name passed here is ignored: Document.file's upload_to generates it.
    document.file.save("upload", uploaded_file, save=False)
    for written in _collectors.get():
        written.append(document.file.name)
    document.save()
    return document


def store_upload(*, user, agreement, uploaded_file, title, kind):
    """Check the file by content and store it as a document of the agreement, at any status of the agreement.

    Raises PermissionDenied for non-editors, UploadRejected / DomainError with the reason; then nothing is
    stored.
    """
    require_writer(user, agreement)
    title = _check_document_fields(title, kind)
    info = inspect_upload(uploaded_file)
    with discard_files_on_failure(), transaction.atomic():
        return _write_document(
            user=user, agreement=agreement, uploaded_file=uploaded_file, info=info, title=title, kind=kind,
        )


def _check_letter(data):
    sender, recipient = data.get("sender"), data.get("recipient")
    if not data.get("date"):
        raise DomainError(_("Bitte geben Sie das Datum des Schreibens an."))
    if data["date"] > timezone.localdate():
        raise DomainError(LETTER_IN_THE_FUTURE)
    if data.get("direction") not in m.Letter.Direction.values:
        raise DomainError(_("Bitte wählen Sie aus, ob das Schreiben eingegangen oder ausgegangen ist."))
    if sender is None or recipient is None:
        raise DomainError(_("Bitte geben Sie Absender und Empfänger an."))
    if sender.pk == recipient.pk:
        raise DomainError(_("Absender und Empfänger müssen verschiedene Stellen sein."))
    person = data.get("sender_person")
    if person is not None and person.party_id != sender.pk:
        raise DomainError(
            _("%(person)s gehört nicht zur absendenden Stelle %(party)s.")
            % {"person": person, "party": sender}
        )
    if not (data.get("subject") or "").strip():
        raise DomainError(_("Bitte geben Sie den Betreff an."))
    for field in ("subject", "reference"):
        model_field = m.Letter._meta.get_field(field)
        if len(data.get(field) or "") > model_field.max_length:
            raise DomainError(
                _("„%(field)s“ darf höchstens %(max)s Zeichen lang sein.")
                % {"field": model_field.verbose_name, "max": model_field.max_length}
            )


def _assign_letter(letter, data):
    for field in LETTER_FIELDS:
        value = data.get(field)
        if field in ("subject", "reference", "summary"):
            value = (value or "").strip()
        setattr(letter, field, value)


def _step_data(letter):
    """The timeline entry of a letter (agreements.text.entries "letter.registered")."""
    return {
        "date": letter.date.isoformat(), "subject": letter.subject, "sender": str(letter.sender),
        "recipient": str(letter.recipient), "direction": letter.direction,
    }


def _write_letter_file(user, letter, uploaded_file, info):
    return _write_document(
        user=user, agreement=letter.agreement, uploaded_file=uploaded_file, info=info,
        title=Truncator(letter.subject).chars(MAX_TITLE), kind=m.Document.Kind.LETTER,
    )


def register_letter(*, user, agreement, data, uploaded_file=None):
    """Register an incoming or outgoing letter (with its file) and put it on the agreement's timeline.

    Allowed at any status: correspondence goes on after signing.
    """
    require_writer(user, agreement)
    _check_letter(data)
    info = inspect_upload(uploaded_file) if uploaded_file else None
    with discard_files_on_failure(), transaction.atomic():
        letter = m.Letter(agreement=agreement, registered_by=user)
        _assign_letter(letter, data)
        if info is not None:
            letter.document = _write_letter_file(user, letter, uploaded_file, info)
        letter.save()
        record_step(
            agreement, kind=m.ProcedureStep.Kind.LETTER, action="letter.registered", data=_step_data(letter),
            user=user, date=letter.date, letter=letter, participants=[letter.sender, letter.recipient],
        )
    return letter


def update_letter(*, user, letter, data, uploaded_file=None):
    """Correct a letter's register entry; a new file supersedes the old one, which stays among the documents.

    Without optimistic locking on purpose: a register entry is typed in once from the paper and corrected
    rarely, by the same office; django-simple-history keeps every earlier state.
    """
    agreement = letter.agreement
    if agreement is None:
        raise DomainError(_("Das Schreiben gehört zu keiner Zielvereinbarung."))
    require_writer(user, agreement)
    _check_letter(data)
    info = inspect_upload(uploaded_file) if uploaded_file else None
    with discard_files_on_failure(), transaction.atomic():
        _assign_letter(letter, data)
        fields = list(LETTER_FIELDS) + ["modified"]
        if info is not None:
            letter.document = _write_letter_file(user, letter, uploaded_file, info)
            fields.append("document")
        letter.save(update_fields=fields)
        # Keep the automatic timeline entry in step with the corrected date, parties and subject.
        for step in letter.steps.filter(automatic=True, kind=m.ProcedureStep.Kind.LETTER):
            step.date, step.action, step.data = letter.date, "letter.registered", _step_data(letter)
            step.save(update_fields=["date", "action", "data", "modified"])
            step.participants.set([letter.sender, letter.recipient])
    return letter
