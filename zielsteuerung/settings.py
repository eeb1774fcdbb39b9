"""Settings for Zielsteuerung.

Everything that differs between machines comes from the environment. The helpers below parse it and fail
with ImproperlyConfigured on a value they cannot read, so a typo never silently becomes a default.
"""

import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.log import DEFAULT_LOGGING
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name, default=None):
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise ImproperlyConfigured(f"Environment variable {name} is required.")
        return default
    return value


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off.")


def env_int(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from None


def env_list(name, default):
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def parse_database_url(url):
    """Turn DATABASE_URL into a Django DATABASES entry.

    Supported: sqlite:///relative/path, sqlite:////absolute/path and postgres[ql]://user:pass@host:port/name?opt=v.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        # sqlite:///var/db.sqlite3 -> relative to BASE_DIR, sqlite:////tmp/x -> absolute
        path = unquote(parts.path)
        if parts.netloc:
            raise ImproperlyConfigured(f"DATABASE_URL {url!r}: SQLite URLs have no host; use sqlite:///path.")
        if not path or path == "/":
            raise ImproperlyConfigured(f"DATABASE_URL {url!r}: SQLite URL names no file.")
        name_path = Path(path[1:])
        if not name_path.is_absolute():
            name_path = BASE_DIR / name_path
        # A multi-user server on SQLite: every transaction takes the write lock when it begins (IMMEDIATE), so
        # a reader is never refused the upgrade to a writer mid-transaction ("database is locked" at once,
        # which the busy timeout cannot help with); WAL lets readers go on while one writer writes; a writer
        # waits up to `timeout` seconds for the lock instead of failing.
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(name_path),
            "OPTIONS": {
                "timeout": env_int("SQLITE_BUSY_TIMEOUT", 20),
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    if scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ImproperlyConfigured(f"DATABASE_URL {url!r}: PostgreSQL URL names no database.")
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"DATABASE_URL {url!r}: the port is not a number.") from None
        options = dict(parse_qsl(parts.query))
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 60),
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL {url!r}: unsupported scheme {scheme!r}; use sqlite:///path or postgresql://user@host/name."
    )


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "zielsteuerung.apps.StaticFilesConfig",
    "csp",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "axes",
    "django_tasks",
    "zielsteuerung.apps.TasksDatabaseConfig",  # django_tasks.backends.database, with a translatable name
    "agreements",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "agreements.infra.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check, which would turn an unreadable upload (a very long file name) into a bare 400.
    "agreements.infra.uploads.UnreadableUploadMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: it turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "zielsteuerung.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "agreements.views.navigation.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "zielsteuerung.wsgi.application"

VAR_DIR = BASE_DIR / "var"
DATABASES = {"default": parse_database_url(env_str("DATABASE_URL", "sqlite:///var/db.sqlite3"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("Deutsch")), ("en", _("Englisch"))]
# The project's catalogues, then the German of Django's own strings its catalogue lacks (django_locale/README.md).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "zielsteuerung" / "django_locale"]
FORMAT_MODULE_PATH = ["zielsteuerung.formats"]  # English dates day first, 24-hour clock (formats/en/formats.py)
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]


def _xstatic_dirs():
    # Bootstrap comes from the xstatic-bootstrap package, so the intranet needs no CDN and the repo no copy.
    import xstatic.pkg.bootstrap as bootstrap

    # The pages use bootstrap.min.css alone (no Bootstrap JavaScript); StaticFilesConfig leaves out the rest.
    return [("bootstrap/css", str(Path(bootstrap.BASE_DIR) / "css"))]


STATICFILES_DIRS += _xstatic_dirs()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media-not-served/"  # files are served only through views that check access

# Login throttling (django-axes): 5 failed logins for one username from one address lock that pair out for 30
# minutes. Counted in the database, so every app server sees the same attempts.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "audit/lockout.html"
# No admin pages of axes' own: the log of logins is the audit log (/verwaltung/protokoll/); a lockout is lifted
# early with `manage.py axes_reset_username <name>`.
AXES_ENABLE_ADMIN = False
# Behind nginx the client address is the last entry of X-Forwarded-For (the one nginx appended); anything
# before it is whatever the client sent. Without the proxy the header is ignored: REMOTE_ADDR is the client.
AXES_IPWARE_PROXY_COUNT = 1 if env_bool("BEHIND_TLS_PROXY", False) else None
AXES_CLIENT_IP_CALLABLE = "agreements.infra.audit.client_ip"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Deadlines (agreements/services/deadlines.py), counted in working days in NRW (weekends and public holidays off):
# the reminder before a deadline, the time the party am Zug has to decide a proposal, and how long before a meeting
# a Vorlage must be released to go out with the invitation (the Ladungsfrist of the committees' rules of procedure).
def _working_days(name, default):
    value = env_int(name, default)
    if not 1 <= value <= 60:
        raise ImproperlyConfigured(f"{name}={value} is out of range; use 1 to 60 working days.")
    return value


DEADLINE_REMINDER_WORKING_DAYS = _working_days("DEADLINE_REMINDER_WORKING_DAYS", 3)
DEADLINE_PROPOSAL_WORKING_DAYS = _working_days("DEADLINE_PROPOSAL_WORKING_DAYS", 10)
VORLAGE_INVITATION_WORKING_DAYS = _working_days("VORLAGE_INVITATION_WORKING_DAYS", 5)

# Electronic signatures (agreements/services/signing.py). Keys, the timestamp authority and the trust anchors are
# managed in the admin; how certificates are checked for revocation is the installation's: whether OCSP responders and
# CRLs may be fetched over the network (an intranet often cannot), and whether a missing answer fails the check
# ("hard-fail") or is tolerated ("soft-fail").
SIGNING_ALLOW_FETCHING = env_bool("SIGNING_ALLOW_FETCHING", False)
SIGNING_REVOCATION_MODE = env_str("SIGNING_REVOCATION_MODE", "soft-fail")
if SIGNING_REVOCATION_MODE not in ("soft-fail", "hard-fail", "require"):
    raise ImproperlyConfigured("SIGNING_REVOCATION_MODE must be soft-fail, hard-fail or require.")
SIGNING_TSA_TIMEOUT = env_int("SIGNING_TSA_TIMEOUT", 20)
# Where load_demo makes the demo installation's keys (demo certificates, never for real records): the PKCS#12 files and
# the files with their passphrases, which the demo's key records name. Outside the database and MEDIA_ROOT.
DEMO_SIGNING_DIR = Path(env_str("DEMO_SIGNING_DIR", str(VAR_DIR / "demo-signing")))

# Mail (notifications/): Django's own names. With DEBUG (`make run`) mails go to the console unless EMAIL_BACKEND says
# otherwise; a production server sends by SMTP to EMAIL_HOST.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend" if DEBUG
                        else "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL exclude each other; set one of them.")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)


def _address(name, default):
    """An address setting ("Name <a@b.example>" or "a@b.example"), checked now: a typo fails at start-up."""
    from email.utils import parseaddr

    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    value = env_str(name, default)
    if not value:
        return value
    try:
        validate_email(parseaddr(value)[1])
    except ValidationError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an e-mail address.") from None
    return value


DEFAULT_FROM_EMAIL = _address("DEFAULT_FROM_EMAIL", "Zielsteuerung <zielsteuerung@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where answers to a notification go (a team mailbox); empty: to the sender.
NOTIFICATION_REPLY_TO = _address("NOTIFICATION_REPLY_TO", "")


def _site_url(value):
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ImproperlyConfigured(f"SITE_URL={value!r} is not an address like https://zielsteuerung.kreis.example.")
    return value.rstrip("/")


# The address users open the application at: the links in the mails are built from it.
SITE_URL = _site_url(env_str("SITE_URL", "http://127.0.0.1:8000"))

# Background tasks (Django's Tasks API through the django-tasks backport). "database": the tasks wait in the
# database until a `manage.py db_worker` process takes them (production; any number of workers on any number of
# machines). "immediate": a task runs right after the commit that queued it, in the same process (DEBUG, `make run`:
# no extra process).
_TASK_BACKENDS = {
    "database": "django_tasks.backends.database.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
TASKS_BACKEND = env_str("TASKS_BACKEND", "immediate" if DEBUG else "database")
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured(f"TASKS_BACKEND={TASKS_BACKEND!r}; use one of {', '.join(_TASK_BACKENDS)}.")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASKS_BACKEND], "QUEUES": ["default"]}}

# A mail that fails is tried again after NOTIFICATION_RETRY_SECONDS, doubled each time, NOTIFICATION_MAX_ATTEMPTS
# times in all; the daily jobs (digest, reminders) run from SCHEDULE_DAILY_HOUR o'clock (local time) on.
NOTIFICATION_MAX_ATTEMPTS = env_int("NOTIFICATION_MAX_ATTEMPTS", 5)
NOTIFICATION_RETRY_SECONDS = env_int("NOTIFICATION_RETRY_SECONDS", 60)
SCHEDULE_DAILY_HOUR = env_int("SCHEDULE_DAILY_HOUR", 6)
if NOTIFICATION_MAX_ATTEMPTS < 1 or NOTIFICATION_RETRY_SECONDS < 1 or not 0 <= SCHEDULE_DAILY_HOUR <= 23:
    raise ImproperlyConfigured("NOTIFICATION_MAX_ATTEMPTS and NOTIFICATION_RETRY_SECONDS must be at least 1, "
                               "SCHEDULE_DAILY_HOUR an hour from 0 to 23.")

# Uploads: the limit is a setting because a Landkreis scanning a 60-page contract may need more.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Transport security. Production runs behind TLS (see deploy/); every switch can be turned off for a test bench.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
if env_bool("BEHIND_TLS_PROXY", False):
    # nginx terminates TLS and says so in X-Forwarded-Proto; only trust it when told we sit behind it.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)  # one working day
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content Security Policy (django-csp): no inline scripts anywhere, nothing from other hosts (intranet).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # The Django admin sets a few style attributes; styles cannot run code.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Django's own pieces (django.utils.log.DEFAULT_LOGGING) where "django" is configured again below.
    "filters": {
        "require_debug_false": DEFAULT_LOGGING["filters"]["require_debug_false"],
        "refusal_without_traceback": {"()": "agreements.infra.logs.RefusalWithoutTraceback"},
    },
    "formatters": {"django.server": DEFAULT_LOGGING["formatters"]["django.server"]},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "django.server": DEFAULT_LOGGING["handlers"]["django.server"],
        "mail_admins": DEFAULT_LOGGING["handlers"]["mail_admins"],
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
    "loggers": {
        # Django's default logging (applied before this) gives "django" a console handler of its own (with DEBUG)
        # and lets it propagate to the root's console as well: every warning and error of Django was printed
        # twice. "django" keeps only Django's mail to ADMINS and prints through the root's handler. Configuring
        # "django" resets its existing children, so runserver's request lines ("django.server") are configured
        # again as Django does.
        "django": {"handlers": ["mail_admins"], "level": "INFO"},
        "django.server": DEFAULT_LOGGING["loggers"]["django.server"],
        # A 403 is one warning line with its reason; its traceback is no fault to look at.
        "django.request": {"filters": ["refusal_without_traceback"]},
        # pyHanko warns, with a traceback, about every certificate it finds no trusted path for, and about signing
        # without fetching: the check every download of a signed file makes asks no trust on purpose, and the
        # validation page shows trust to the user. PYHANKO_LOG_LEVEL=WARNING shows them when setting up trust
        # anchors.
        "pyhanko": {"level": env_str("PYHANKO_LOG_LEVEL", "ERROR")},
    },
}
