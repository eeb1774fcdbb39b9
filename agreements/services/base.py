import datetime
import logging
from contextlib import contextmanager

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from agreements.infra.errors import ConflictError, DomainError
from agreements.policy import access
from agreements.text import entries

from .. import models as m
from .transitions import AGREEMENT, lock_agreement  # noqa: F401 - lock_agreement: services import it from here

logger = logging.getLogger(__name__)


def require_editable(agreement):
    """Content may change only while the agreement is a draft or in negotiation (AGREEMENT's "edit").

    Call it on the row lock_agreement() returned, never on an instance read before: otherwise a concurrent
    "Text abstimmen" can commit between the check and the write.
    """
    AGREEMENT.require_state(agreement, "edit")


def editable_agreement(user, agreement):
    """Inside a transaction: the party the user writes for, and the agreement row locked and still editable.

    Every content write starts here: the permission, then the row lock, then the state, in that order.
    """
    party_id = require_writer(user, agreement)
    return party_id, AGREEMENT.enter(user, agreement, "edit")


def pen_agreement(user, agreement):
    """editable_agreement() for the working text (header, sections, goals, offers): only the party "am Zug"
    writes it (AGREEMENT's "write"). Returns that party's id and the locked row."""
    locked = AGREEMENT.enter(user, agreement, "write")
    return locked.pen_holder_id(), locked


def require_writer(user, agreement):
    """Returns the id of the party the user writes for; PermissionDenied otherwise."""
    return access.acting_party_id(user, agreement)


def _version(value):
    """The lock_version a form sent back, or None for anything that is not one (empty, tampered)."""
    try:
        version = int(str(value))
    except (TypeError, ValueError):
        return None
    return version if version >= 1 else None


def save_locked(obj, expected_version, fields, submitted=None):
    """Optimistic locking, the one save path of every editable record (models.base.LockVersionModel): save
    `fields` only if nobody saved since `expected_version` was read; ConflictError otherwise.

    The conditional UPDATE is atomic on every database, so two racing saves cannot both pass. The real save()
    afterwards keeps django-simple-history's record of who changed what.
    """
    model = type(obj)
    expected_version = _version(expected_version)
    with transaction.atomic():
        bumped = expected_version is not None and model.objects.filter(
            pk=obj.pk, lock_version=expected_version).update(lock_version=F("lock_version") + 1)
        if not bumped:
            current = model.objects.filter(pk=obj.pk).first() or obj
            raise ConflictError(current=current, submitted=submitted or {})
        obj.lock_version = expected_version + 1
        update_fields = list(fields) + ["lock_version"]
        if hasattr(obj, "modified"):
            update_fields.append("modified")
        obj.save(update_fields=update_fields)
    return obj


def move_one_place(items, obj, direction):
    """Move `obj` one place up (direction "up") or down among `items`, in their order, and renumber the orders
    densely from 1. Called inside the caller's transaction, after its permission and state checks."""
    index = next((i for i, item in enumerate(items) if item.pk == obj.pk), None)
    if index is None:
        raise DomainError(_("Eintrag nicht gefunden."))
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
    for order, item in enumerate(items, start=1):
        if item.order != order:
            item.order = order
            # Only the order: a move does not touch what an open edit form changes (no lock_version bump).
            item.save(update_fields=["order"])


@contextmanager
def record_language():
    """Generated text that is stored as text (an agenda item's result) is German, the language of the files,
    whatever language the acting user reads the interface in. Timeline steps store no text: they are typed
    entries, phrased when read (record_step)."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


def _as_stored(data):
    """A step's data as it is stored: dates as ISO strings."""
    return {key: value.isoformat() if isinstance(value, datetime.date) else value for key, value in data.items()}


# What the system did, as it is recorded: sent by record_step() (and by announce_step() for a step that stands on
# no agreement's timeline) inside the caller's transaction, with `action` (the code of agreements.text.entries),
# `data` (its data as stored), `step` (the ProcedureStep, or None), `agreement_id`, `target` (the record the step
# is about: the Fassung, the proposal, the signature, the Vorlage; else the agreement) and `user` (who acted).
# Receivers that do slow or outgoing work (the notifications app's mails) defer it with transaction.on_commit.
step_recorded = Signal()


def announce_step(action, *, data, target, user=None, step=None, agreement_id=None):
    """Tell the receivers of step_recorded what happened. record_step() calls it for every entry it writes; a
    step without an agreement (a Vorlage that reports on none) calls it directly."""
    data = _as_stored(data)
    step_recorded.send(sender=announce_step, action=action, data=data, step=step, agreement_id=agreement_id,
                       target=target, user=user if user is not None and user.is_authenticated else None)


def record_step(agreement, *, kind, action, data, user=None, date=None, version=None, letter=None,
                participants=(), target=None):
    """Record what the system did on the agreement's timeline as a typed entry: an action code of
    agreements.text.entries and the data its sentences need (names, references, numbers as they are now, so
    that a later renaming does not rewrite history). Dates in `data` may be date objects; they are stored as
    ISO strings. `target` is the record the step is about, for the receivers of step_recorded (default: the
    Fassung if there is one, else the agreement)."""
    data = _as_stored(data)
    entries.check(action, data)
    step = m.ProcedureStep.objects.create(
        agreement=agreement,
        date=date or timezone.localdate(),
        kind=kind,
        action=action,
        data=data,
        version=version,
        letter=letter,
        automatic=True,
        actor=user if user is not None and user.is_authenticated else None,
    )
    if participants:
        step.participants.set(participants)
    announce_step(action, data=data, step=step, agreement_id=agreement.pk, user=user,
                  target=target if target is not None else version if version is not None else agreement)
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
