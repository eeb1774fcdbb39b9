"""Shared by the notification tests (tests/test_notifications_*.py): addresses for conftest's cast, the tasks run at
once, and a real SMTP server on loopback (aiosmtpd) that keeps what it received."""

import contextlib
import email
import email.policy
import threading
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller

from agreements.tooling.ports import first_free_port

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
DATABASE = {"default": {"BACKEND": "django_tasks.backends.database.DatabaseBackend", "QUEUES": ["default"]}}


def give_addresses(world):
    """Every user of the cast gets an address <username>@example.org (the world creates them without)."""
    for role, user in vars(world.users).items():
        if user is not None:
            user.email = f"{role}@example.org"
            user.save(update_fields=["email"])
    return world


def role_of(world, address):
    return address.split("@")[0]


@pytest.fixture
def immediate_tasks(settings):
    """Tasks run right after the commit that queued them, as under `make run`; mails go to Django's outbox."""
    settings.TASKS = IMMEDIATE
    settings.SITE_URL = "https://zs.example"
    return settings


class Mailbox:
    """aiosmtpd's handler: every message as received, with its envelope. `refuse` answers every RCPT with that
    reply instead (e.g. "451 4.3.0 Try again later")."""

    def __init__(self):
        self.messages = []
        self.refuse = None
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(SimpleNamespace(sender=envelope.mail_from, to=list(envelope.rcpt_tos),
                                                 message=parsed))
        return "250 Message accepted for delivery"


@contextlib.contextmanager
def smtp_server():
    """An SMTP server on 127.0.0.1 at a free port; yields (mailbox, port)."""
    port = first_free_port(range(20025, 20125))
    assert port is not None, "no free port for the SMTP server"
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


def use_smtp(settings, port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
