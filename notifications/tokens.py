"""The one-click unsubscribe link of every mail: a signed token of (user, kind), no login needed. Tokens do not
expire (a link in an old mail keeps working); a changed token fails the signature check."""

from django.core import signing
from django.urls import reverse

from . import kinds

SALT = "notifications.unsubscribe"


def make(user_id, kind):
    return signing.dumps([user_id, kind], salt=SALT, compress=False)


def read(token):
    """(user id, kind) of a valid token, or None for anything tampered with, malformed or naming no kind."""
    try:
        value = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if (not isinstance(value, list) or len(value) != 2 or not isinstance(value[0], int)
            or not (value[1] == kinds.DIGEST or value[1] in kinds.KINDS)):
        return None
    return value[0], value[1]


def unsubscribe_path(user_id, kind):
    return reverse("notification_unsubscribe", args=[make(user_id, kind)])
