"""Settings, notices and the mails that carry them.

notify() is the one way a message is sent: callers (rules.py for the timeline's steps, the deadline reminders) have
chosen the users it concerns among those who may open the object; notify() skips inactive users and users without
an e-mail address, respects each user's setting for the kind, and records one notice per (user, key), ever.
"""

import logging
import uuid

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import kinds, mail, tokens
from .models import DEFAULT_MODE, KindSetting, Mail, Mode, Notice, Preferences

logger = logging.getLogger(__name__)


# --- Settings ------------------------------------------------------------------------------------------------

class UserSettings:
    """The language and the per-kind modes of a set of users, read in two queries."""

    def __init__(self, user_ids):
        ids = list(user_ids)
        self.languages = dict(Preferences.objects.filter(user_id__in=ids).values_list("user_id", "language"))
        self.modes = {}
        for user_id, kind, mode in KindSetting.objects.filter(preferences__user_id__in=ids).values_list(
                "preferences__user_id", "kind", "mode"):
            self.modes[(user_id, kind)] = mode

    def language(self, user_id):
        language = self.languages.get(user_id)
        return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE

    def mode(self, user_id, kind):
        return self.modes.get((user_id, kind), DEFAULT_MODE)


def settings_of(user):
    """(language, {kind: mode}) of one user, every registered kind included."""
    found = UserSettings([user.pk])
    return found.language(user.pk), {code: found.mode(user.pk, code) for code in kinds.KINDS}


def _preferences(user):
    preferences, _created = Preferences.objects.get_or_create(user=user)
    return preferences


def save_settings(user, *, language, modes):
    """Store the user's language and modes; only kinds whose mode differs from the default keep a row."""
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"unknown language {language!r}")
    unknown = [kind for kind in modes if kind not in kinds.KINDS]
    if unknown or any(mode not in Mode.values for mode in modes.values()):
        raise ValueError(f"unknown kind or mode in {modes!r}")
    with transaction.atomic():
        preferences = _preferences(user)
        if preferences.language != language:
            preferences.language = language
            preferences.save(update_fields=["language", "modified"])
        KindSetting.objects.filter(preferences=preferences, kind__in=list(modes)).delete()
        KindSetting.objects.bulk_create(KindSetting(preferences=preferences, kind=kind, mode=mode)
                                        for kind, mode in modes.items() if mode != DEFAULT_MODE)


def set_language(user, language):
    """The language switch's choice, kept for the mails of a logged-in user."""
    if language not in dict(settings.LANGUAGES):
        return
    with transaction.atomic():
        preferences = _preferences(user)
        if preferences.language != language:
            preferences.language = language
            preferences.save(update_fields=["language", "modified"])


def unsubscribed_kinds(user, kind):
    """The kinds an unsubscribe link of `kind` turns off: that kind, or for the digest's link every kind the user
    gets in the digest."""
    if kind != kinds.DIGEST:
        return [kind]
    _language, modes = settings_of(user)
    return [code for code, mode in modes.items() if mode == Mode.DIGEST]


def unsubscribe(user, kind):
    """Turns `kind` off for the user (or every kind of the digest); returns the kinds turned off."""
    with transaction.atomic():
        turned_off = unsubscribed_kinds(user, kind)
        preferences = _preferences(user)
        for code in turned_off:
            KindSetting.objects.update_or_create(preferences=preferences, kind=code, defaults={"mode": Mode.NEVER})
    return turned_off


# --- Notices -------------------------------------------------------------------------------------------------

def absolute_url(url):
    """A link for a mail: the site's address (settings.SITE_URL) before a path of this site."""
    if url.startswith(("https://", "http://")):
        return url
    return settings.SITE_URL + url


def recipients(users):
    """The users a mail can reach: active, with an address, each once, in a stable order."""
    seen = {}
    for user in users:
        if user is not None and user.is_active and user.email and user.pk not in seen:
            seen[user.pk] = user
    return [seen[pk] for pk in sorted(seen)]


def notify(kind, *, users, target, url, context, key):
    """Tell `users` about `target` (a record, or anything with a str()) under the deduplication `key`: at once
    (a mail queued now, sent by a task after the commit), in the daily digest, or not at all, by each user's
    setting for `kind`. Returns the number of notices created; a (user, key) pair gets one notice, ever."""
    if kind not in kinds.KINDS:
        raise ValueError(f"unknown kind of message {kind!r}")
    users = recipients(users)
    if not users:
        return 0
    found = UserSettings(u.pk for u in users)
    wanted = [(user, found.mode(user.pk, kind)) for user in users]
    wanted = [(user, mode) for user, mode in wanted if mode != Mode.NEVER]
    if not wanted:
        return 0
    by_id = {user.pk: user for user, _mode in wanted}
    batch = uuid.uuid4().hex
    now = timezone.now()
    link = absolute_url(url)
    label = str(target)[:300]
    with transaction.atomic():
        Notice.objects.bulk_create(
            [Notice(user=user, key=key[:200], kind=kind, mode=mode, target_label=label, url=link, context=context,
                    created=now, batch=batch, handled_at=now if mode == Mode.IMMEDIATE else None)
             for user, mode in wanted],
            ignore_conflicts=True,
        )
        created = list(Notice.objects.filter(batch=batch).order_by("user_id"))
        at_once = [notice for notice in created if notice.mode == Mode.IMMEDIATE]
        if at_once:
            mails = Mail.objects.bulk_create(
                [mail.compose(by_id[notice.user_id], kind, found.language(notice.user_id),
                              {**notice.context, "url": link}, now=now) for notice in at_once])
            for notice, queued in zip(at_once, mails, strict=True):
                notice.mail = queued
            Notice.objects.bulk_update(at_once, ["mail"])
            queue([queued.pk for queued in mails])
    return len(created)


def queue(mail_ids):
    """Send the mails by tasks once the transaction that stored them has committed (never under its locks)."""
    from . import tasks

    if mail_ids:
        transaction.on_commit(lambda: tasks.enqueue_mails(mail_ids), robust=True)


def unsubscribe_url(user_id, kind):
    return absolute_url(tokens.unsubscribe_path(user_id, kind))
