"""Composing a mail (rendered once, in the recipient's language, text and HTML) and turning a stored Mail into the
message the e-mail backend sends, with sender, reply-to and the unsubscribe headers of RFC 2369 and RFC 8058."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator

from . import kinds, tokens

SUBJECT_LENGTH = 200


def _one_line(text):
    """A header never carries a line break (nor anything a template's whitespace left)."""
    return Truncator(" ".join(text.split())).chars(SUBJECT_LENGTH)


def _site(path):
    from .services import absolute_url

    return absolute_url(path)


def render(template, kind, language, context):
    """(subject, text, html) of `template` (a kind's code, or "digest") in `language`."""
    with translation.override(language):
        context = {**context, "LANGUAGE_CODE": language, "kind_label": kinds.label(kind), "site_url": settings.SITE_URL,
                   "settings_url": _site(reverse("notification_settings"))}
        subject = render_to_string(f"notifications/mail/{template}_subject.txt", context)
        text = render_to_string(f"notifications/mail/{template}.txt", context)
        html = render_to_string(f"notifications/mail/{template}.html", context)
    return _one_line(subject), text.strip() + "\n", html


def compose(user, kind, language, context, *, template=None, now=None):
    """An unsaved Mail of `kind` to `user`: `context` as the kind's templates need it, plus `user`, its
    `unsubscribe_url` and the links every mail has. `context["url"]` is the absolute link to the object."""
    from .models import Mail

    unsubscribe = _site(tokens.unsubscribe_path(user.pk, kind))
    subject, text, html = render(template or kind, kind, language,
                                 {**context, "user": user, "unsubscribe_url": unsubscribe})
    now = now or timezone.now()
    return Mail(recipient=user, to=user.email, kind=kind, language=language, subject=subject, body_text=text,
                body_html=html, unsubscribe_url=unsubscribe, created=now, next_attempt_at=now)


def message(stored, connection=None):
    """The EmailMultiAlternatives of a stored Mail."""
    headers = {"Auto-Submitted": "auto-generated", "Content-Language": stored.language}
    if stored.unsubscribe_url:
        # One click in the mail program unsubscribes with a POST to the same address (RFC 8058).
        headers["List-Unsubscribe"] = f"<{stored.unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    reply_to = [settings.NOTIFICATION_REPLY_TO] if settings.NOTIFICATION_REPLY_TO else None
    email = EmailMultiAlternatives(subject=stored.subject, body=stored.body_text,
                                   from_email=settings.DEFAULT_FROM_EMAIL, to=[stored.to], reply_to=reply_to,
                                   headers=headers, connection=connection)
    email.attach_alternative(stored.body_html, "text/html")
    return email
