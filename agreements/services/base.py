import logging
from contextlib import contextmanager

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from agreements.infra.errors import ConflictError, DomainError
from agreements.policy import access

from .. import models as m

logger = logging.getLogger(__name__)


def require_editable(agreement):
    """Content may change only while the agreement is a draft or in negotiation."""
    if agreement.is_frozen:
        raise DomainError(
            _("Die Zielvereinbarung ist „%(status)s“ und kann nicht mehr bearbeitet werden.")
            % {"status": agreement.get_status_display()}
        )


def require_writer(user, agreement):
    """Returns the id of the party the user writes for; PermissionDenied otherwise."""
    return access.acting_party_id(user, agreement)


def lock_agreement(agreement):
    """Re-read the agreement with a row lock (PostgreSQL) so state checks and writes see one truth."""
    return m.Agreement.objects.select_for_update().get(pk=agreement.pk)


def save_locked(obj, expected_version, fields, submitted=None):
    """Optimistic locking: save `fields` only if nobody saved since `expected_version` was read.

    The conditional UPDATE is atomic on every database, so two racing saves cannot both pass. The real save()
    afterwards keeps django-simple-history's record of who changed what.
    """
    model = type(obj)
    with transaction.atomic():
        bumped = model.objects.filter(pk=obj.pk, lock_version=expected_version).update(
            lock_version=F("lock_version") + 1
        )
        if not bumped:
            current = model.objects.get(pk=obj.pk)
            raise ConflictError(current=current, submitted=submitted or {})
        obj.lock_version = expected_version + 1
        update_fields = list(fields) + ["lock_version"]
        if hasattr(obj, "modified"):
            update_fields.append("modified")
        obj.save(update_fields=update_fields)
    return obj


@contextmanager
def record_language():
    """Texts written into the record (timeline steps, generated paper text) are in the language of the files,
    German, whatever language the acting user reads the interface in: the Vorlage quotes them."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


def record_step(agreement, *, kind, title, description="", user=None, date=None, version=None, letter=None,
                participants=(), automatic=True):
    step = m.ProcedureStep.objects.create(
        agreement=agreement,
        date=date or timezone.localdate(),
        kind=kind,
        title=str(title),
        description=str(description),
        version=version,
        letter=letter,
        automatic=automatic,
        actor=user if user is not None and user.is_authenticated else None,
    )
    if participants:
        step.participants.set(participants)
    return step


RENDER_ATTEMPTS = 3


def commit_with_pdf(*, prepare, build, commit, failure):
    """A transition that stores a PDF, without rendering it while a row lock is held, and without half states.

    prepare() runs in a transaction that takes the row lock and checks permission and state; it returns
    (inputs, state): `inputs` is everything the PDF is made of (its HTML, the hashes of its Anlagen), `state` what
    the other steps need. build(inputs, state) makes the PDF outside any transaction: the slow part. Then prepare()
    runs again under the lock; only if it gives the same inputs does commit(state, built) write, in that same
    transaction, so what is stored is exactly what the stored state renders to. If somebody changed the inputs in
    between, the PDF is built again (at most RENDER_ATTEMPTS times). A build that fails writes nothing: its
    DomainError, or `failure` for anything unexpected (logged), tells the user, and the action can be retried.
    """
    for _attempt in range(RENDER_ATTEMPTS):
        with transaction.atomic():
            inputs, state = prepare()
        try:
            built = build(inputs, state)
        except DomainError:
            raise
        except Exception as error:
            logger.exception("PDF rendering failed; nothing was stored")
            raise DomainError(failure) from error
        with transaction.atomic():
            current_inputs, state = prepare()
            if current_inputs == inputs:
                return commit(state, built)
    raise DomainError(_("Die Daten wurden während der Erzeugung des PDFs mehrfach geändert; es wurde nichts "
                        "gespeichert. Bitte versuchen Sie es erneut."))
