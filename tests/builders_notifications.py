"""Shared by the notification tests (tests/test_notifications_*.py): addresses for conftest's cast, the tasks run at
once, and a real SMTP server on loopback (aiosmtpd) that keeps what it received."""

import contextlib
import email
import email.policy
import socket
import threading
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller

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


class _BoundController(Controller):
    """aiosmtpd's Controller on a socket bound before it starts. Probing for a free port and binding it later
    races: two pytest-xdist workers once probed the same port free and the second failed with "address already in
    use". Binding to port 0 lets the kernel pick a port nobody holds, and the socket keeps it until the server
    closes. `_create_server` is aiosmtpd's documented point to override (it "MUST refer the _factory_invoker()")."""

    def __init__(self, handler, sock):
        self.sock = sock
        super().__init__(handler, hostname="127.0.0.1", port=sock.getsockname()[1])

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self.sock, ssl=self.ssl_context)


@contextlib.contextmanager
def smtp_server():
    """An SMTP server on 127.0.0.1 at a port the kernel picks; yields (mailbox, port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    mailbox = Mailbox()
    controller = _BoundController(mailbox, sock)
    try:
        controller.start()
    except BaseException:
        sock.close()
        raise
    try:
        yield mailbox, controller.port
    finally:
        controller.stop()


def use_smtp(settings, port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
