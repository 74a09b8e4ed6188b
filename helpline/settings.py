"""Helpline settings, read from environment variables only.

Every setting has a safe default for the embedded single-machine mode: SQLite in WAL mode under
``var/``, the database task backend, mail written to ``var/mail``. See README "Configuration".
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url

from helpline.core.sqlite.checkpoint import AUTOCHECKPOINT_PAGES

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("HELPLINE_VAR_DIR", BASE_DIR / "var"))


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def envsecret(name: str, default: str) -> str:
    """Read NAME, or the contents of the file named by NAME_FILE (for container secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


DEBUG = envbool("DEBUG", False)
SECRET_KEY = envsecret("SECRET_KEY", "helpline-insecure-embedded-default-change-me-in-production")
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "django_tasks_db",
    "helpline.core",
    "helpline.accounts",
    "helpline.directory",
    "helpline.audit",
    "helpline.tickets",
    "helpline.sla",
    "helpline.bench",
    "helpline.search",
    "helpline.notifications",
    "helpline.kb",
    "helpline.catalog",
    "helpline.rules",
    "helpline.intake",
    "helpline.mail",
    "helpline.webhooks",
    "helpline.csat",
    "helpline.timetrack",
    "helpline.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "helpline.web.middleware.UserTimezoneMiddleware",
]

# Django's form renderer, with inputs and textareas written in Python (helpline.web.widgets).
FORM_RENDERER = "helpline.web.widgets.FormRenderer"

ROOT_URLCONF = "helpline.urls"
WSGI_APPLICATION = "helpline.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: DATABASE_URL, default an SQLite file in WAL mode under var/.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'helpline.sqlite3'}"),
        conn_max_age=envint("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend, with writers queued on a file lock (see helpline/core/sqlite/base.py).
    DATABASES["default"]["ENGINE"] = "helpline.core.sqlite"
    # Connections are kept (DB_CONN_MAX_AGE) as on PostgreSQL: opening one costs SQLite a read
    # of the whole schema and the PRAGMAs below, and empties its page cache (at 100k tickets,
    # server CPU per ticket detail 15.7 -> 7.6 ms, per queue page 30.5 -> 23.6 ms).
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue on busy_timeout
        # instead of failing with "database is locked" when a read transaction upgrades.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # The worker checkpoints the WAL; a connection's own checkpoints are a backstop for
        # when none runs (helpline/core/sqlite/checkpoint.py).
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=20000; PRAGMA cache_size=-20000; PRAGMA temp_store=MEMORY;"
            f" PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES};"
        ),
    }
    # Tests run in memory unless TEST_SQLITE_NAME names a file. Named, not left to Django's
    # default: pytest-django recognises SQLite by Django's own ENGINE only.
    DATABASES["default"].setdefault("TEST", {})["NAME"] = (
        os.environ.get("TEST_SQLITE_NAME") or ":memory:"
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, with prepared statements for the SQL written once that every request
    # runs (helpline/core/postgresql/base.py). DB_PREPARED_STATEMENTS=0 behind a PgBouncer
    # in transaction mode that does not keep them (before 1.21).
    DATABASES["default"]["ENGINE"] = "helpline.core.postgresql"
    options = DATABASES["default"].setdefault("OPTIONS", {})
    if envbool("DB_PREPARED_STATEMENTS", True):
        options["prepare_threshold"] = 5  # psycopg's default: prepared at the fifth run
    # Without JIT: PostgreSQL compiles a query whose estimated cost is high, and a keyset or
    # search query with a LIMIT over a filtered index walk is estimated far above what it
    # reads. At 1M tickets a phrase search spent 608 of its 673 ms compiling
    # (bench/results/2026-11-26-c.md). JIT_OFF=0 keeps the server's own setting.
    if envbool("JIT_OFF", True):
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Django's ModelBackend, reading the signed-in user by SQL written once. A session names the
# backend that signed it in: sessions from before it (ModelBackend) sign in again.
AUTHENTICATION_BACKENDS = ["helpline.accounts.backends.UserBackend"]
# Django's database sessions, read by SQL written once (helpline/accounts/sessions.py).
SESSION_ENGINE = "helpline.accounts.sessions"
# Argon2id with OWASP's parameters for a small machine (19 MiB, not Django's 100 MiB per
# login): see helpline/accounts/hashers.py.
PASSWORD_HASHERS = [
    "helpline.accounts.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
# The full-text search's language (stemming, and on PostgreSQL stop words; SQLite stems
# English only): a name (english, german...) or an ISO code; empty means LANGUAGE_CODE's;
# "simple" stems nothing. Applied when the index is built or rebuilt (helpline
# search-reindex). See helpline/search/language.py.
HELPLINE_SEARCH_LANGUAGE = os.environ.get("SEARCH_LANGUAGE", "")
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    # Attachments live outside the web root and are only served by a permission-checked view.
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "attachments"), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = VAR_DIR / "attachments"

# Request limits: a body past these is refused with 413, never half-processed.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("MAX_REQUEST_BYTES", 2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
HELPLINE_MAX_ATTACHMENT_BYTES = envint("MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024)
HELPLINE_MAX_ATTACHMENTS = envint("MAX_ATTACHMENTS", 10)
# POST /api/tickets.json (helpline.intake): largest request body, attachments included.
HELPLINE_INTAKE_MAX_BYTES = envint("INTAKE_MAX_BYTES", 25 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FILES = HELPLINE_MAX_ATTACHMENTS + 1

# Small configuration tables read on every ticket write (SLA policies, priority matrix,
# assignment strategies, mailboxes) are kept per process for this long; an admin's change is
# seen at once in the process that made it and within this many seconds elsewhere.
HELPLINE_CONFIG_CACHE_SECONDS = envint("CONFIG_CACHE_SECONDS", 10)

# Tasks: the database backend by default; RQ on Redis to scale out (TASKS_BACKEND=rq).
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "database")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
TASKS: dict[str, dict[str, Any]]
if TASKS_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
elif TASKS_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    # django-tasks-db, with a cheaper enqueue (see helpline.core.tasks_backend).
    TASKS = {
        "default": {"BACKEND": "helpline.core.tasks_backend.DatabaseBackend", "QUEUES": ["default"]}
    }

# Mail out: EMAIL_URL (smtp://user:pass@host:587?tls=1), default files under var/mail.
EMAIL_URL = os.environ.get("EMAIL_URL", "")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Helpline <helpdesk@helpline.invalid>")
# Mail out (helpline.notifications): replies to our mail go to SUPPORT_EMAIL (the mailbox mail
# ingestion reads; default the From address); Message-IDs use MAIL_DOMAIN (default SITE_URL's
# host). Failed sends are retried MAIL_MAX_ATTEMPTS times with backoff, then given up.
HELPLINE_SUPPORT_EMAIL = os.environ.get("SUPPORT_EMAIL", "")
HELPLINE_MAIL_DOMAIN = os.environ.get("MAIL_DOMAIN", "")
HELPLINE_MAIL_MAX_ATTEMPTS = envint("MAIL_MAX_ATTEMPTS", 6)
# Finished task results (django-tasks-db) older than this many days are deleted by the
# worker's sweep (helpline.core.tasks_backend.prune_task_results); 0 keeps them.
HELPLINE_TASK_RESULTS_KEEP_DAYS = envint("TASK_RESULTS_KEEP_DAYS", 14)
# Reply-To is plus-addressed with the ticket (support+t12345@…); off for a server without it.
HELPLINE_MAIL_PLUS_ADDRESSING = envbool("MAIL_PLUS_ADDRESSING", True)
# Webhooks (helpline.webhooks): seconds to connect and to read the answer; attempts.
HELPLINE_WEBHOOK_CONNECT_TIMEOUT = float(os.environ.get("WEBHOOK_CONNECT_TIMEOUT", "5"))
HELPLINE_WEBHOOK_READ_TIMEOUT = float(os.environ.get("WEBHOOK_READ_TIMEOUT", "10"))
HELPLINE_WEBHOOK_MAX_ATTEMPTS = envint("WEBHOOK_MAX_ATTEMPTS", 8)


def _mailer(url: str) -> dict:
    """A MAILERS entry from EMAIL_URL: smtp[s]://user:pass@host:port?tls=1, console://, or
    empty for .eml files under var/mail."""
    from urllib.parse import parse_qs, unquote, urlsplit

    if url.startswith(("smtp://", "smtps://")):
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        return {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": parts.hostname or "localhost",
                "port": parts.port or (465 if parts.scheme == "smtps" else 25),
                "username": unquote(parts.username or ""),
                "password": unquote(parts.password or ""),
                "use_ssl": parts.scheme == "smtps",
                "use_tls": query.get("tls", ["0"])[0] in {"1", "true"},
                "timeout": 30,
            },
        }
    if url == "console://":
        return {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    return {
        "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "OPTIONS": {"file_path": str(VAR_DIR / "mail")},
    }


MAILERS = {"default": _mailer(EMAIL_URL)}

# Mail in (helpline.mail, docs/mail.md): loop protection and polling.
HELPLINE_MAIL_RATE_LIMIT = envint("MAIL_RATE_LIMIT_PER_HOUR", 30)  # per sender; then quarantine
HELPLINE_MAIL_UNKNOWN_SENDER = os.environ.get("MAIL_UNKNOWN_SENDER", "new_ticket")  # or quarantine
HELPLINE_MAIL_POLL_BATCH = envint("MAIL_POLL_BATCH", 200)  # messages per mailbox per poll
HELPLINE_MAIL_IMAP_TIMEOUT = envint("MAIL_IMAP_TIMEOUT", 60)  # seconds
HELPLINE_MAIL_IMAP_CAFILE = os.environ.get("MAIL_IMAP_CAFILE", "")  # extra CA for IMAP TLS

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if envbool("BEHIND_TLS_PROXY", False) else None
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
