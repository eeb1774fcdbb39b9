import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from zielsteuerung import settings as project_settings
from zielsteuerung.settings import parse_database_url

BASE_DIR = Path(project_settings.BASE_DIR)


def test_it_reads_a_relative_sqlite_url_under_the_project():
    db = parse_database_url("sqlite:///var/db.sqlite3")
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(BASE_DIR / "var" / "db.sqlite3")


def test_it_reads_an_absolute_sqlite_url():
    assert parse_database_url("sqlite:////tmp/z.sqlite3")["NAME"] == "/tmp/z.sqlite3"


def test_it_reads_a_postgres_url():
    db = parse_database_url("postgresql://zs:g%40heim@db.intern:6543/zielsteuerung?sslmode=require")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "zielsteuerung", "zs", "g@heim", "db.intern", "6543"
    )
    assert db["OPTIONS"] == {"sslmode": "require"}


@pytest.mark.parametrize(
    "url, message",
    [
        ("mysql://root@localhost/x", "unsupported scheme 'mysql'"),
        ("postgresql://localhost", "names no database"),
        ("postgresql://localhost:notaport/x", "port is not a number"),
        ("sqlite://host/x.db", "SQLite URLs have no host"),
        ("sqlite://", "names no file"),
        ("nonsense", "unsupported scheme ''"),
    ],
)
def test_it_rejects_a_bad_database_url_with_a_clear_message(url, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        parse_database_url(url)


def _import_settings(**env):
    full_env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG", "SECRET_KEY"}}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import zielsteuerung.settings"],
        cwd=BASE_DIR, env=full_env, capture_output=True, text=True, timeout=60,
    )


def test_it_fails_loudly_at_start_up_on_a_bad_database_url():
    result = _import_settings(DATABASE_URL="oracle://x/y", SECRET_KEY="k")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "unsupported scheme 'oracle'" in result.stderr


def test_it_requires_a_secret_key_when_debug_is_off():
    result = _import_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_it_allows_the_development_key_only_with_debug_on():
    assert _import_settings(DEBUG="1").returncode == 0


def test_it_rejects_a_bad_boolean():
    result = _import_settings(DEBUG="vielleicht", SECRET_KEY="k")
    assert result.returncode != 0
    assert "is not a boolean" in result.stderr


def test_it_rejects_a_bad_integer():
    result = _import_settings(SECRET_KEY="k", UPLOAD_MAX_BYTES="zwanzig")
    assert "is not an integer" in result.stderr


def test_it_speaks_german_in_berlin_by_default(settings):
    assert settings.LANGUAGE_CODE == "de"
    assert settings.TIME_ZONE == "Europe/Berlin"
    assert [code for code, _ in settings.LANGUAGES] == ["de", "en"]
    assert settings.LOCALE_PATHS


@pytest.mark.parametrize("language, short_date, short_datetime, date_text, typed", [
    ("de", "07.12.2026", "07.12.2026 01:11", "7. Dezember 2026", "07.12.2026"),
    # Day before month and the 24-hour clock: not Django's American "12/07/2026 1:11 a.m.", which reads as
    # 12 July beside the German pages and PDFs (and ended "Checked on … a.m.." with two full stops).
    ("en", "07/12/2026", "07/12/2026 01:11", "7 December 2026", "07/12/2026"),
])
def test_dates_follow_the_readers_language_day_first(language, short_date, short_datetime, date_text, typed):
    import datetime

    from django import forms
    from django.template import Context, Template
    from django.utils import translation

    moment = datetime.datetime(2026, 12, 7, 1, 11)
    template = Template('{{ t|date:"SHORT_DATE_FORMAT" }}|{{ t|date:"SHORT_DATETIME_FORMAT" }}|{{ t|date }}')
    with translation.override(language):
        assert template.render(Context({"t": moment})) == f"{short_date}|{short_datetime}|{date_text}"
        field = forms.DateField(localize=True)
        assert field.clean(typed) == datetime.date(2026, 12, 7)
        assert field.clean("2026-12-07") == datetime.date(2026, 12, 7)
