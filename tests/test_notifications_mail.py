"""The mails as they leave: through Django's SMTP backend to a real SMTP server on loopback (aiosmtpd), with both
bodies, the link, the unsubscribe headers and link (RFC 2369, RFC 8058), in the recipient's language; and a failed
delivery retried with backoff until it is marked failed, with the reason in the admin's list."""

import datetime
import re
import socket

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agreements.services import versions
from notifications import delivery, digest, services, tasks
from notifications.models import Mail, Mode, Notice

from .builders_notifications import DATABASE, give_addresses, immediate_tasks, smtp_server, use_smtp  # noqa: F401
from .factories import admin_url

pytestmark = pytest.mark.django_db

SITE = "https://zs.example"


@pytest.fixture
def cast(world, immediate_tasks, settings):  # noqa: F811
    settings.DEFAULT_FROM_EMAIL = "Zielsteuerung <zielsteuerung@kreis.example>"
    settings.NOTIFICATION_REPLY_TO = "zielsteuerung-team@kreis.example"
    settings.NOTIFICATION_RETRY_SECONDS = 60
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    return give_addresses(world)


def send_fassung(w, capture):
    with capture(execute=True):
        versions.send_draft(user=w.users.editor, agreement=w.agreement)


def unsubscribe_header(message):
    """The address in List-Unsubscribe (a long header is folded: its whitespace is not part of it)."""
    value = "".join(message["List-Unsubscribe"].split())
    return re.fullmatch(r"<(https://zs\.example/abbestellen/[^/]+/)>", value).group(1)


def parts(message):
    return (message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content())


def test_it_sends_through_smtp_with_both_bodies_the_link_and_the_unsubscribe_headers(
        cast, settings, django_capture_on_commit_callbacks):
    w = cast
    with smtp_server() as (mailbox, port):
        use_smtp(settings, port)
        send_fassung(w, django_capture_on_commit_callbacks)
    [received] = mailbox.messages
    message = received.message
    assert received.to == ["ministry@example.org"]
    assert received.sender == "zielsteuerung@kreis.example"
    assert message["To"] == "ministry@example.org"
    assert message["From"] == "Zielsteuerung <zielsteuerung@kreis.example>"
    assert message["Reply-To"] == "zielsteuerung-team@kreis.example"
    assert message["Subject"].strip() == f"Fassung 2 von Kreis Mettmann erhalten: {w.agreement.short_title}"
    assert message["Auto-Submitted"] == "auto-generated"
    text, html = parts(message)
    link = f"{SITE}/vereinbarungen/{w.agreement.pk}/fassungen/2/"
    assert "Guten Tag Ministry," in text and (
        f"Kreis Mettmann hat Fassung 2 der Zielvereinbarung „{w.agreement.short_title}“ als Entwurf an") in text
    assert f"Zur Fassung: {link}" in text
    assert f'<a href="{link}">Zur Fassung</a>' in html and '<html lang="de">' in html
    unsubscribe = unsubscribe_header(message)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in text and f'href="{unsubscribe}"' in html
    stored = Mail.objects.get()
    assert (stored.status, stored.attempts, stored.last_error) == (Mail.Status.SENT, 1, "")

    # The link works without login: GET only asks, the one-click POST of a mail program (no CSRF token) unsubscribes.
    browser = Client(enforce_csrf_checks=True)
    path = unsubscribe.removeprefix(SITE)
    page = browser.get(path)
    assert page.status_code == 200 and "Fassung erhalten" in page.content.decode()
    assert services.settings_of(w.users.ministry)[1]["fassung_received"] == Mode.IMMEDIATE
    done = browser.post(path, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "Abbestellt" in done.content.decode()
    assert services.settings_of(w.users.ministry)[1]["fassung_received"] == Mode.NEVER
    assert services.settings_of(w.users.ministry)[1]["proposal_decided"] == Mode.IMMEDIATE

    # The next Fassung for the ministry: nothing is sent any more.
    w.agreement.refresh_from_db()
    w.agreement.pen_party = w.county
    w.agreement.save(update_fields=["pen_party"])
    w.section.text = "Neuer Text"
    w.section.save(update_fields=["text"])
    with smtp_server() as (mailbox, port):
        use_smtp(settings, port)
        send_fassung(w, django_capture_on_commit_callbacks)
    assert mailbox.messages == [] and Mail.objects.count() == 1


def test_it_writes_in_the_language_the_user_chose(cast, settings, django_capture_on_commit_callbacks):
    w = cast
    services.set_language(w.users.ministry, "en")
    with smtp_server() as (mailbox, port):
        use_smtp(settings, port)
        send_fassung(w, django_capture_on_commit_callbacks)
    message = mailbox.messages[0].message
    assert message["Subject"].strip() == f"Version 2 received from Kreis Mettmann: {w.agreement.short_title}"
    assert message["Content-Language"] == "en"
    text, html = parts(message)
    assert "Dear Ministry," in text and (
        f"Kreis Mettmann sent version 2 of the target agreement “{w.agreement.short_title}” as a draft to") in text
    assert "Unsubscribe from these messages:" in text
    assert '<html lang="en">' in html
    # The agreement's title is German record content: marked as such in the English HTML.
    assert f'<span lang="de">{w.agreement.short_title}</span>' in html


def test_the_language_switch_keeps_the_choice_for_the_mails(cast, client):
    client.force_login(cast.users.reader)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert services.settings_of(cast.users.reader)[0] == "en"
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert services.settings_of(cast.users.reader)[0] == "en"


def queued_mail(w, capture):
    """A mail to the ministry, stored and queued; the immediate task has tried to send it once."""
    send_fassung(w, capture)
    return Mail.objects.get()


def test_a_refused_delivery_is_retried_with_backoff_then_failed_with_the_reason_in_the_admin(
        cast, settings, django_capture_on_commit_callbacks, admin_client):
    w = cast
    start = timezone.now()
    with smtp_server() as (mailbox, port):
        use_smtp(settings, port)
        mailbox.refuse = "451 4.3.0 Mailbox busy, try again later"
        with time_machine.travel(start, tick=False):
            stored = queued_mail(w, django_capture_on_commit_callbacks)
        stored.refresh_from_db()
        assert (stored.status, stored.attempts) == (Mail.Status.RETRY, 1)
        assert "451" in stored.last_error and "Mailbox busy" in stored.last_error
        assert stored.next_attempt_at == start + datetime.timedelta(seconds=60)
        # Not due yet: a worker does not take it.
        with time_machine.travel(start + datetime.timedelta(seconds=59), tick=False):
            assert delivery.deliver(stored.pk) is None
        second = stored.next_attempt_at
        with time_machine.travel(second, tick=False):
            assert delivery.deliver(stored.pk) == Mail.Status.RETRY
        stored.refresh_from_db()
        assert stored.attempts == 2
        assert stored.next_attempt_at - second == datetime.timedelta(seconds=120)
        with time_machine.travel(stored.next_attempt_at, tick=False):
            assert delivery.deliver(stored.pk) == Mail.Status.FAILED
        stored.refresh_from_db()
        assert (stored.status, stored.attempts) == (Mail.Status.FAILED, 3)
        assert mailbox.messages == []
        # Failed is final: nobody takes it again.
        assert delivery.deliver(stored.pk) is None
    page = admin_client.get(admin_url(Mail, "changelist") + "?status=fehlgeschlagen").content.decode()
    assert "ministry@example.org" in page and "451 4.3.0 Mailbox busy" in page and "fehlgeschlagen" in page


def test_a_closed_port_is_retried_and_the_database_backend_defers_the_retry(
        cast, settings, django_capture_on_commit_callbacks):
    from django_tasks.backends.database.models import DBTaskResult

    w = cast
    # A port bound but never listening refuses connections, and no other test (another xdist worker's SMTP server)
    # can take it while it is held; a port merely freed again could be (CI saw "421 Too busy" from such a server).
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        use_smtp(settings, held.getsockname()[1])
        stored = queued_mail(w, django_capture_on_commit_callbacks)
    stored.refresh_from_db()
    assert stored.status == Mail.Status.RETRY and "ConnectionRefusedError" in stored.last_error
    # With the database backend the retry waits in the queue until it is due.
    settings.TASKS = DATABASE
    stored.next_attempt_at = timezone.now()
    stored.save(update_fields=["next_attempt_at"])
    assert delivery.deliver(stored.pk) == Mail.Status.RETRY
    stored.refresh_from_db()
    task = DBTaskResult.objects.get()
    assert task.task_path == "notifications.tasks.send_mails" and task.args_kwargs["args"] == [[stored.pk]]
    assert task.run_after == stored.next_attempt_at


def test_a_permanent_refusal_fails_at_once(cast, settings, django_capture_on_commit_callbacks):
    w = cast
    with smtp_server() as (mailbox, port):
        use_smtp(settings, port)
        mailbox.refuse = "550 5.1.1 No such user"
        stored = queued_mail(w, django_capture_on_commit_callbacks)
    stored.refresh_from_db()
    assert (stored.status, stored.attempts) == (Mail.Status.FAILED, 1)
    assert "550" in stored.last_error and "No such user" in stored.last_error


def test_the_sweep_hands_due_retries_to_the_workers_again(cast, settings, django_capture_on_commit_callbacks):
    w = cast
    with smtp_server() as (mailbox, port):
        use_smtp(settings, port)
        mailbox.refuse = "421 4.7.0 Too busy"
        stored = queued_mail(w, django_capture_on_commit_callbacks)
        mailbox.refuse = None
        assert digest.sweep() == 0  # not due yet
        later = timezone.now() + delivery.backoff(1)
        with time_machine.travel(later, tick=False):
            assert digest.sweep(later) == 1
    stored.refresh_from_db()
    assert stored.status == Mail.Status.SENT and stored.attempts == 2
    assert [m.to for m in mailbox.messages] == [["ministry@example.org"]]


def test_the_daily_digest_gathers_a_users_notices_in_one_mail(cast, settings, django_capture_on_commit_callbacks):
    w = cast
    services.save_settings(w.users.ministry, language="de", modes={"fassung_received": Mode.DIGEST,
                                                                   "proposal_decided": Mode.DIGEST})
    with smtp_server() as (mailbox, port):
        use_smtp(settings, port)
        send_fassung(w, django_capture_on_commit_callbacks)
        assert mailbox.messages == []
        notice = Notice.objects.get()
        assert notice.mode == Mode.DIGEST and notice.mail is None
        with django_capture_on_commit_callbacks(execute=True):
            assert digest.send_digests() == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert digest.send_digests() == 0
    notice.refresh_from_db()
    assert notice.mail.kind == "digest" and notice.mail.status == Mail.Status.SENT
    [received] = mailbox.messages
    message = received.message
    assert message["Subject"].strip() == "Zielsteuerung: 1 Nachricht des Tages"
    text, html = parts(message)
    assert f"Fassung erhalten: Fassung 2 von Kreis Mettmann erhalten: {w.agreement.short_title}" in text
    assert notice.url in text and f'href="{notice.url}"' in html
    # The digest's own link turns off every kind the user gets in it.
    path = unsubscribe_header(message).removeprefix(SITE)
    Client().post(path)
    modes = services.settings_of(w.users.ministry)[1]
    assert modes["fassung_received"] == modes["proposal_decided"] == Mode.NEVER
    assert modes["signature_made"] == Mode.IMMEDIATE


def test_a_mail_is_claimed_once_however_often_it_is_queued(cast, settings, django_capture_on_commit_callbacks):
    w = cast
    settings.TASKS = DATABASE
    with django_capture_on_commit_callbacks(execute=True):
        services.notify("vorlage_released", users=[w.users.ministry], target="Vorlage 50/001/2026", url="/",
                        context={"reference": "50/001/2026", "name": "Zielsteuerung", "committees": ["Kreistag"],
                                 "public": True}, key="claim-test")
    stored = Mail.objects.get()
    with smtp_server() as (mailbox, port):
        use_smtp(settings, port)
        results = [tasks.send_mails.call([stored.pk]) for _ in range(3)]
    assert [r[str(stored.pk)] for r in results] == [Mail.Status.SENT, None, None]
    assert len(mailbox.messages) == 1
