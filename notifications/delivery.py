"""Sending a stored mail once, whatever the number of workers, and retrying a failed delivery with backoff.

A worker claims a mail with one conditional UPDATE (queued or due for a retry -> sending, attempts + 1): two
workers, or a task enqueued twice, cannot both claim it. A refused or failed delivery is tried again after
NOTIFICATION_RETRY_SECONDS, doubled for each attempt, up to NOTIFICATION_MAX_ATTEMPTS; a permanent refusal (an SMTP
5xx answer) and the last attempt mark it failed, with the reason the admin lists.
"""

import datetime
import logging
import smtplib

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from . import mail
from .models import Mail

logger = logging.getLogger(__name__)
S = Mail.Status
# A mail still "sending" after this long belongs to a worker that died: it is tried again.
STALE_SENDING = datetime.timedelta(minutes=30)
ERROR_LENGTH = 2000


def backoff(attempts):
    """The wait after the `attempts`-th failed attempt: 1, 2, 4, 8 … times NOTIFICATION_RETRY_SECONDS."""
    return datetime.timedelta(seconds=settings.NOTIFICATION_RETRY_SECONDS * 2 ** max(attempts - 1, 0))


def _reason(error):
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        parts = [f"{address}: {code} {_text(message)}" for address, (code, message) in error.recipients.items()]
        return f"{type(error).__name__}: " + "; ".join(parts)
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{type(error).__name__}: {error.smtp_code} {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}"


def _text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _permanent(error):
    """An SMTP 5xx answer will not change by trying again (unknown recipient, refused sender)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _message in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


def claim(mail_id, now):
    """Whether this worker got the mail to send (one UPDATE; nobody else gets it while it is sending)."""
    return bool(Mail.objects.filter(pk=mail_id, status__in=(S.QUEUED, S.RETRY), next_attempt_at__lte=now)
                .update(status=S.SENDING, attempts=F("attempts") + 1, claimed_at=now))


def deliver(mail_id, *, connection=None):
    """Send the mail if it is due and nobody else is sending it. Returns its status afterwards (None: not ours)."""
    now = timezone.now()
    if not claim(mail_id, now):
        return None
    stored = Mail.objects.get(pk=mail_id)
    try:
        mail.message(stored, connection=connection).send()
    except Exception as error:  # noqa: BLE001 - whatever the mail server or network did, it is recorded
        return _failed(stored, error)
    Mail.objects.filter(pk=stored.pk).update(status=S.SENT, sent_at=timezone.now(), last_error="")
    return S.SENT


def _failed(stored, error):
    reason = _reason(error)[:ERROR_LENGTH]
    final = _permanent(error) or stored.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS
    if final:
        logger.warning("Mail %s to %s failed after %s attempts: %s", stored.pk, stored.to, stored.attempts, reason)
        Mail.objects.filter(pk=stored.pk).update(status=S.FAILED, last_error=reason)
        return S.FAILED
    retry_at = timezone.now() + backoff(stored.attempts)
    logger.info("Mail %s to %s: attempt %s failed (%s); next at %s", stored.pk, stored.to, stored.attempts, reason,
                retry_at)
    Mail.objects.filter(pk=stored.pk).update(status=S.RETRY, last_error=reason, next_attempt_at=retry_at)
    from . import tasks

    tasks.enqueue_mails([stored.pk], run_after=retry_at)
    return S.RETRY


def due(now):
    """Ids of the mails a sweep hands to the workers again: retries that are due, mails queued for a minute and
    not taken (their task was lost), and mails left "sending" by a worker that died."""
    stale = now - STALE_SENDING
    Mail.objects.filter(status=S.SENDING, claimed_at__lt=stale).update(status=S.RETRY, next_attempt_at=now)
    waiting = Q(status=S.RETRY, next_attempt_at__lte=now) | Q(status=S.QUEUED,
                                                              created__lte=now - datetime.timedelta(minutes=1))
    return list(Mail.objects.filter(waiting).order_by("pk").values_list("pk", flat=True))
