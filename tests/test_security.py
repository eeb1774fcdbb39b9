"""Security settings as a whole: Django's deployment check, the response headers, login throttling, CSRF."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agreements import models as m

BASE_DIR = Path(__file__).resolve().parent.parent
A = m.AuditEntry.Action
pytestmark = pytest.mark.django_db


def _run(args, **env):
    full_env = {k: v for k, v in os.environ.items()
                if k not in {"DATABASE_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT",
                             "SECURE_COOKIES", "SECURE_HSTS_SECONDS", "BEHIND_TLS_PROXY"}}
    full_env.update(env)
    return subprocess.run([sys.executable, *args], cwd=BASE_DIR, env=full_env, capture_output=True, text=True,
                          timeout=120)


def production_env(**extra):
    return {"DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(64), "ALLOWED_HOSTS": "zielsteuerung.kreis.example",
            "SITE_URL": "https://zielsteuerung.kreis.example", **extra}


# --- Deployment check -------------------------------------------------------------------------------------------


def test_it_passes_the_deployment_check_with_production_settings():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **production_env())
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output and "System check identified no issues" in output


def test_the_deployment_check_warns_of_mail_links_to_localhost_and_mails_that_never_leave():
    env = production_env(EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend")
    del env["SITE_URL"]
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **env)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "notifications.W001" in output and "notifications.W002" in output


@pytest.mark.parametrize("name, value", [("SITE_URL", "zielsteuerung.kreis.example"),
                                         ("DEFAULT_FROM_EMAIL", "Zielsteuerung"),
                                         ("NOTIFICATION_REPLY_TO", "team@"), ("TASKS_BACKEND", "celery"),
                                         ("EMAIL_PORT", "smtp")])
def test_it_refuses_mail_settings_it_cannot_read(name, value):
    result = _run(["manage.py", "check"], **production_env(**{name: value}))
    assert result.returncode != 0 and name in result.stderr


def test_it_trusts_x_forwarded_for_only_behind_the_proxy():
    code = "from django.conf import settings as s; import django; django.setup(); print(s.AXES_IPWARE_PROXY_COUNT)"
    env = {"DJANGO_SETTINGS_MODULE": "zielsteuerung.settings"}
    assert _run(["-c", code], **production_env(**env)).stdout.strip() == "None"
    assert _run(["-c", code], **production_env(BEHIND_TLS_PROXY="1", **env)).stdout.strip() == "1"


# --- Headers ----------------------------------------------------------------------------------------------------


def _csp(response):
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.mark.parametrize("page", ["login", "dashboard", "agreement_list"])
def test_it_sends_the_security_headers(world, login, page):
    client = login(None if page == "login" else world.users.editor)
    response = client.get(reverse(page))
    assert response.status_code == 200
    csp = _csp(response)
    script = csp.get("script-src", csp.get("default-src"))
    assert script == ["'self'"]
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"] and csp["form-action"] == ["'self'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_it_serves_no_inline_script_that_the_policy_would_block(world, login):
    content = login(world.users.editor).get(reverse("dashboard")).content.decode()
    assert "<script>" not in content and " onclick=" not in content and "javascript:" not in content


# --- Login throttling -------------------------------------------------------------------------------------------


def _try(client, password, username="editor", **meta):
    return client.post(reverse("login"), {"username": username, "password": password}, **meta)


def test_it_locks_out_after_five_failures_even_with_the_right_password(world, client):
    for _ in range(4):
        response = _try(client, "falsch")
        assert response.status_code == 200  # the form says the password is wrong; nobody is locked out yet
    # The fifth failure locks the name out from this address, and says so at once.
    assert _try(client, "falsch").status_code == 429
    response = _try(client, "pw")
    assert response.status_code == 429
    content = response.content.decode()
    assert "Anmeldung vorübergehend gesperrt" in content and "30 Minuten" in content
    assert '<html lang="de">' in content  # the site's own page, not a bare message
    assert "_auth_user_id" not in client.session
    assert len([e for e in m.AuditEntry.objects.filter(action=A.LOGIN_FAILED) if e.username == "editor"]) >= 5
    locked = m.AuditEntry.objects.filter(action=A.LOCKED_OUT).first()
    assert locked is not None and locked.user == world.users.editor and locked.ip_address == "127.0.0.1"
    assert not m.AuditEntry.objects.filter(action=A.LOGIN).exists()


def test_it_locks_out_the_name_from_that_address_only(world, client):
    for _ in range(5):
        _try(client, "falsch")
    assert _try(client, "pw").status_code == 429
    # The same name from another address, and another name from this one, still get in.
    assert _try(Client(), "pw", REMOTE_ADDR="10.0.0.8").status_code == 302
    assert _try(Client(), "pw", username="ministry").status_code == 302


def test_it_lets_the_user_in_again_after_thirty_minutes(world, client):
    for _ in range(5):
        _try(client, "falsch")
    assert _try(client, "pw").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timezone.timedelta(minutes=31))
    assert _try(client, "pw").status_code == 302


def test_it_forgets_failures_after_a_successful_login(world, client):
    for _ in range(4):
        _try(client, "falsch")
    assert _try(client, "pw").status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        _try(client, "falsch")
    assert _try(client, "pw").status_code == 302


# --- CSRF -------------------------------------------------------------------------------------------------------


def test_it_refuses_a_post_without_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    assert client.post(reverse("login"), {"username": "editor", "password": "pw"}).status_code == 403
    client.force_login(world.users.editor)
    before = m.AgreementSection.objects.count()
    response = client.post(reverse("section_add", args=[world.agreement.pk]), {"heading": "§ 9", "text": ""})
    assert response.status_code == 403
    assert m.AgreementSection.objects.count() == before


def test_it_accepts_a_post_with_the_token_from_the_form(world):
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("login"))
    token = client.cookies["csrftoken"].value
    response = client.post(reverse("login"), {"username": "editor", "password": "pw",
                                              "csrfmiddlewaretoken": token})
    assert response.status_code == 302
