"""CX Portal settings: one module, every value from the environment (12-factor).

The defaults give a working development site (SQLite under var/, emails
written to var/mail/); production sets DATABASE_URL, REDIS_URL, SECRET_KEY,
ALLOWED_HOSTS and EMAIL_URL.
"""

import re
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("CX_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)


def _secret_key() -> str:
    """Return SECRET_KEY, generating a development key once into var/."""
    key = env.str("SECRET_KEY", default="")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Absolute links in emails and webhooks (the owner's link to the case).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_celery_beat",
    "axes",
    "rest_framework_api_key",
    "anymail",
    "routing",
    "feedback",
    "dashboards",
    "cxportal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "cxportal.middleware.QueryLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # After LocaleMiddleware so its 400 page is in the reader's language.
    "cxportal.middleware.RejectNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires: turns a locked-out sign-in into its 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cxportal.urls"
WSGI_APPLICATION = "cxportal.wsgi.application"

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
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
# The open-cases index carries extra columns for index-only scans on
# PostgreSQL; SQLite builds it on its key alone, which is what we want there.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

POSTGRESQL = "django.db.backends.postgresql"


def _database(env: environ.Env) -> dict:
    """DATABASES["default"] from DATABASE_URL and the DATABASE_* / CONN_MAX_AGE switches.

    PostgreSQL (production):

    * ``DATABASE_POOL_MAX_SIZE`` > 0 gives each process its own psycopg pool
      of at most that many connections (Django's built-in pool); 0, the
      default, keeps one persistent connection per process (``CONN_MAX_AGE``,
      60 s). Size it so that every process's pool together stays below the
      server's ``max_connections``: a gunicorn sync worker or a Celery pool
      process runs one request or task at a time and needs 1 or 2.
      ``DATABASE_POOL_MIN_SIZE`` (1) connections are kept open;
      ``DATABASE_POOL_TIMEOUT`` (10 s) is how long a request waits for a
      free connection before failing.
    * ``DATABASE_STATEMENT_TIMEOUT_MS`` (30000; 0 turns it off) ends any
      statement that runs longer, so one runaway query cannot hold a web
      process or a worker, and its locks, indefinitely.

    SQLite (development, tests) ignores both.
    """
    database = env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # The web server and the Celery worker write to one SQLite file at once:
        # WAL lets readers go on during a write, IMMEDIATE transactions take the
        # write lock up front (no "database is locked" upgrade failures), and the
        # timeout makes a writer wait its turn instead of failing.
        database["OPTIONS"] = {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        # A file, not :memory:, so a real worker process can open the test database.
        database["TEST"] = {"NAME": env.str("CX_TEST_DB", default=str(VAR_DIR / "test_db.sqlite3"))}
        return database
    options = database.setdefault("OPTIONS", {})
    # A dead connection (server restarted, backend terminated) is replaced
    # before use instead of failing the request or task that picks it up.
    database["CONN_HEALTH_CHECKS"] = True
    pool_max_size = env.int("DATABASE_POOL_MAX_SIZE", default=0)
    if pool_max_size > 0 and database["ENGINE"] == POSTGRESQL:
        pool_min_size = env.int("DATABASE_POOL_MIN_SIZE", default=1)
        if not 0 <= pool_min_size <= pool_max_size:
            raise ImproperlyConfigured("DATABASE_POOL_MIN_SIZE must be between 0 and DATABASE_POOL_MAX_SIZE.")
        # Django refuses persistent connections with a pool: the pool keeps them.
        if env.int("CONN_MAX_AGE", default=0) != 0:
            raise ImproperlyConfigured(
                "CONN_MAX_AGE must be 0 (or unset) when DATABASE_POOL_MAX_SIZE is set."
            )
        database["CONN_MAX_AGE"] = 0
        options["pool"] = {
            "min_size": pool_min_size,
            "max_size": pool_max_size,
            "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
        }
    else:
        database["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    statement_timeout = env.int("DATABASE_STATEMENT_TIMEOUT_MS", default=30_000)
    if statement_timeout < 0:
        raise ImproperlyConfigured(
            "DATABASE_STATEMENT_TIMEOUT_MS must be 0 (off) or a number of milliseconds."
        )
    if statement_timeout and database["ENGINE"] == POSTGRESQL:
        # Sent at connection time (libpq "options"), after any the URL carries.
        given = options.get("options", "")
        options["options"] = f"{given} -c statement_timeout={statement_timeout}".strip()
    if not options:
        del database["OPTIONS"]
    return database


DATABASES = {"default": _database(env)}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# django-axes first: it refuses a locked-out username before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# --- Languages and time -------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="es")
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
# The project's catalogue, then Spanish for third-party apps that ship none (django-axes).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale" / "vendor"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Madrid")
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# Customer uploads live under var/ (or CX_UPLOAD_ROOT), never under the
# static files: they are served by a view that checks who is asking.
MEDIA_ROOT = Path(env.str("CX_UPLOAD_ROOT", default=str(VAR_DIR / "uploads")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Tests and development serve files straight from the finders.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)
WHITENOISE_AUTOREFRESH = DEBUG

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Email --------------------------------------------------------------------
# Default: every email is a file under var/mail/, readable after `make run`.
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="CX Portal <cx@localhost>")

# --- Redis, Celery, cache -----------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
# A killed worker's task is redelivered; tasks are idempotent, so a redo is safe.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Workers per queue (the Procfile's lines; the concurrency comes from the
# environment there):
# * routing: CPU-bound (rules engine, triage model, a few statements per
#   case), so one pool process per core (ROUTING_CONCURRENCY = cores) and
#   more machines or worker processes for more throughput. Prefetch 1 with
#   late acknowledgement: a process holds one unacknowledged case at a time,
#   so a busy or dead process never sits on a queue of cases another could
#   route, and a killed one loses at most that one, redelivered.
# * notifications: I/O-bound (SMTP, webhooks; a slow endpoint waits up to
#   CX_WEBHOOK_TIMEOUT), so more processes than cores
#   (NOTIFICATION_CONCURRENCY, 2-4 per core); prefetch 1 too, so one slow
#   destination delays only the task it is running.
# * periodic: concurrency 1. Sweeps, escalation, roll-ups, retraining and
#   the mailbox poll are idempotent but heavy; one at a time keeps them off
#   the cores the other queues need, and exactly one beat feeds them.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django integration closes the database connection around every
# task; on PostgreSQL each task would then start a new server process
# (several milliseconds of CPU) and a per-process pool would be thrown away.
# cxportal/celery.py instead treats each task like a web request
# (CONN_MAX_AGE or the pool, health check, a broken connection replaced);
# the integration still closes everything every CELERY_DB_REUSE_MAX tasks
# (0: around every task, Celery's default).
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000) or None
# Redis redelivers an unacknowledged task after this long; it must exceed the
# longest task (the hard time limits below stay under it), and it bounds how
# long a task from a dead worker waits.
# Tests that kill a worker set it low (CX_VISIBILITY_TIMEOUT) to see the redelivery.
_VISIBILITY_TIMEOUT = env.int("CX_VISIBILITY_TIMEOUT", default=600)
if _VISIBILITY_TIMEOUT < 1:
    raise ImproperlyConfigured("CX_VISIBILITY_TIMEOUT must be at least 1 second.")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _VISIBILITY_TIMEOUT,
    # How often a worker looks for such overdue messages (kombu's default is
    # every 100 s): a few times per timeout, one cheap Redis query each.
    "unacked_restore_interval": max(1, min(60, _VISIBILITY_TIMEOUT // 3)),
    "unacked_restore_throttle": 1,
    # A worker killed while restoring holds the restore lock until it expires.
    "unacked_mutex_expire": min(300, max(5, _VISIBILITY_TIMEOUT)),
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
# Time limits of the tasks, by kind; CX_TASK_LIMIT_SHORT, _PERIODIC and _LONG
# set a kind's hard limit in seconds. At the hard limit the task's process is
# killed; at the soft limit, a fifth earlier (30 s at most), the task gets
# SoftTimeLimitExceeded and stops with its work clean (a what-if trial is
# marked failed, a dashboard refresh keeps the months it stored, a sweep
# leaves the rest to its next round). Kinds:
# * short (60 s): one case, email or webhook: route_case,
#   send_notification(s), send_webhook. Its soft limit must leave a webhook
#   twice CX_WEBHOOK_TIMEOUT (to connect, then for the answer): the default
#   is at least 3 times that timeout; a value set too low stops start-up.
# * periodic (300 s): sweeps, escalation, retention, the mailbox poll.
# * long (540 s): dashboard refresh, triage retraining, what-if trials and
#   CSV imports (a file of thousands of cases).
# Every hard limit must stay below CX_VISIBILITY_TIMEOUT, or Redis hands a
# task still running to a second worker: a limit set at or above it stops
# start-up, and an unset one is cut to 90% of it (so a low timeout, as tests
# use, shrinks every limit). A retried task also waits out its countdown
# (at most 120 s) unacknowledged: keep the timeout above that plus the short limit.
_WEBHOOK_TIMEOUT = env.float("CX_WEBHOOK_TIMEOUT", default=5.0)


def _task_time_limits() -> dict[str, dict[str, float]]:
    """The soft and hard limit of each kind of task, as Celery task options."""
    defaults = {"short": max(60, 3 * _WEBHOOK_TIMEOUT), "periodic": 300, "long": 540}
    limits = {}
    for kind, default in defaults.items():
        name = f"CX_TASK_LIMIT_{kind.upper()}"
        chosen = env.float(name, default=None)
        hard = min(default, 0.9 * _VISIBILITY_TIMEOUT) if chosen is None else chosen
        soft = hard - min(30, hard / 5)
        if chosen is not None and not 0 < hard < _VISIBILITY_TIMEOUT:
            raise ImproperlyConfigured(
                f"{name} must be above 0 and below CX_VISIBILITY_TIMEOUT ({_VISIBILITY_TIMEOUT} s): "
                "a task still running then is delivered to another worker as well."
            )
        if chosen is not None and kind == "short" and soft <= 2 * _WEBHOOK_TIMEOUT:
            least = min(2.5 * _WEBHOOK_TIMEOUT, 2 * _WEBHOOK_TIMEOUT + 30)
            raise ImproperlyConfigured(
                f"{name} must leave a webhook twice CX_WEBHOOK_TIMEOUT before its soft limit: "
                f"more than {least:g} s."
            )
        limits[kind] = {"soft_time_limit": soft, "time_limit": hard}
    return limits


CX_TASK_TIME_LIMITS = _task_time_limits()
# Tasks without limits of their own (Celery's built-in ones) get the periodic kind's.
CELERY_TASK_SOFT_TIME_LIMIT = CX_TASK_TIME_LIMITS["periodic"]["soft_time_limit"]
CELERY_TASK_TIME_LIMIT = CX_TASK_TIME_LIMITS["periodic"]["time_limit"]
# Publishing happens in the web request after the case is stored: with the
# broker down, give up quickly (the sweep re-queues) instead of hanging.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "periodic"
CELERY_TASK_ROUTES = {
    "routing.tasks.route_case": {"queue": "routing"},
    "routing.tasks.send_notification": {"queue": "notifications"},
    "routing.tasks.send_notifications": {"queue": "notifications"},
    # A slow or dead webhook endpoint waits with the emails, never with routing.
    "routing.tasks.send_webhook": {"queue": "notifications"},
    "routing.tasks.escalate_overdue": {"queue": "periodic"},
    "dashboards.tasks.refresh_daily_figures": {"queue": "periodic"},
    "feedback.tasks.poll_mailbox": {"queue": "periodic"},
    "feedback.tasks.requeue_case_imports": {"queue": "periodic"},
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "sweep-unrouted-cases": {
        "task": "routing.tasks.sweep_unrouted",
        "schedule": timedelta(seconds=env.int("CX_SWEEP_SECONDS", default=60)),
    },
    "apply-retention": {
        "task": "feedback.tasks.apply_retention",
        "schedule": timedelta(hours=24),
    },
    "forget-intake-keys": {
        "task": "feedback.tasks.forget_intake_keys",
        "schedule": timedelta(hours=24),
    },
    # Imports uploaded while the broker was down.
    "requeue-case-imports": {
        "task": "feedback.tasks.requeue_case_imports",
        "schedule": timedelta(seconds=env.int("CX_SWEEP_SECONDS", default=60)),
    },
    "sweep-pending-notifications": {
        "task": "routing.tasks.sweep_notifications",
        "schedule": timedelta(seconds=env.int("CX_SWEEP_SECONDS", default=60)),
    },
    # What-if trials whose worker was killed or whose task was lost stay unfinished.
    "sweep-rule-trials": {
        "task": "routing.tasks.sweep_rule_trials",
        "schedule": timedelta(seconds=env.int("CX_SWEEP_SECONDS", default=60)),
    },
    "escalate-overdue-cases": {
        "task": "routing.tasks.escalate_overdue",
        "schedule": timedelta(seconds=env.int("CX_ESCALATION_SECONDS", default=60)),
    },
    # Yesterday's figures, days never stored and the days of cases changed lately.
    "refresh-daily-figures": {
        "task": "dashboards.tasks.refresh_daily_figures",
        "schedule": timedelta(seconds=env.int("CX_DASHBOARD_REFRESH_SECONDS", default=600)),
    },
    # Nightly, the last weeks again: a due date moved by a pause or a reopened
    # case leaves its old day counted until that day is recomputed.
    "recompute-recent-daily-figures": {
        "task": "dashboards.tasks.refresh_daily_figures",
        "schedule": crontab(hour=3, minute=30),
        "kwargs": {"recent": env.int("CX_DASHBOARD_RECOMPUTE_DAYS", default=35)},
    },
    # Nightly, a triage model that has learnt the day's re-routes and resolutions
    # (live only if it is not worse than the live one on recent cases).
    "retrain-triage-model": {
        "task": "routing.tasks.retrain_triage",
        "schedule": crontab(hour=4, minute=0),
    },
}


# --- Email intake -------------------------------------------------------------
def _mailbox(url: str) -> dict | None:
    """CX_MAILBOX_URL as the reader's settings; None when empty (intake by mailbox off).

    ``maildir:///abs/path`` or ``maildir://relative/path`` (from BASE_DIR);
    ``imap://user:password@host:port/Folder`` or ``imaps://…`` (folder INBOX
    by default; user and password URL-encoded, ``%40`` for an ``@``).
    """
    if not url:
        return None
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "maildir":
        relative = unquote(parts.netloc + parts.path)
        if not relative:
            raise ImproperlyConfigured("CX_MAILBOX_URL maildir:// needs a path, e.g. maildir:///var/mail/cx.")
        return {"scheme": scheme, "path": str((BASE_DIR / relative).resolve())}
    if scheme not in ("imap", "imaps"):
        raise ImproperlyConfigured(
            f"CX_MAILBOX_URL must start with maildir://, imap:// or imaps://, not {scheme or url!r}."
        )
    try:
        port = parts.port or (993 if scheme == "imaps" else 143)
    except ValueError as exc:
        raise ImproperlyConfigured(f"CX_MAILBOX_URL has a bad port: {exc}") from None
    if not parts.hostname or not parts.username:
        raise ImproperlyConfigured("CX_MAILBOX_URL needs a user and a host: imap://user:pass@host/INBOX.")
    return {
        "scheme": scheme,
        "host": parts.hostname,
        "port": port,
        "user": unquote(parts.username),
        "password": unquote(parts.password or ""),
        "folder": unquote(parts.path.strip("/")) or "INBOX",
    }


# The mailbox customers write to, read every CX_MAILBOX_POLL_SECONDS (empty: not read).
CX_MAILBOX_URL = env.str("CX_MAILBOX_URL", default="")
CX_MAILBOX = _mailbox(CX_MAILBOX_URL)
CX_MAILBOX_POLL_SECONDS = env.int("CX_MAILBOX_POLL_SECONDS", default=30)
if CX_MAILBOX_POLL_SECONDS < 1:
    raise ImproperlyConfigured("CX_MAILBOX_POLL_SECONDS must be at least 1.")
if CX_MAILBOX:
    CELERY_BEAT_SCHEDULE["poll-mailbox"] = {
        "task": "feedback.tasks.poll_mailbox",
        "schedule": timedelta(seconds=CX_MAILBOX_POLL_SECONDS),
        # A poll still queued when the next is due is dropped: the next one reads the same mail.
        # (django-celery-beat's name for Celery's ``expires``.)
        "options": {"expire_seconds": CX_MAILBOX_POLL_SECONDS},
    }
# The address customers are told to write to (shown by `make run`).
CX_INBOUND_ADDRESS = env.str("CX_INBOUND_ADDRESS", default="support@cxportal.localhost")
# ESP inbound webhooks at /email/<esp>/inbound/ (django-anymail): the
# "user:password" the ESP sends as HTTP Basic auth. Empty: they refuse
# emails, except ESPs that sign their posts (Mailgun's signing key below).
ANYMAIL = {
    "WEBHOOK_SECRET": env.str("CX_INBOUND_WEBHOOK_SECRET", default=""),
    **{
        name: env.str(name)
        for name in ("MAILGUN_WEBHOOK_SIGNING_KEY", "MANDRILL_WEBHOOK_KEY", "POSTAL_WEBHOOK_KEY")
        if env.str(name, default="")
    },
}

CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # The cache is an accelerator: when Redis is away, fail fast and
            # let callers fall back instead of waiting on a dead socket.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
        if env.bool("CX_REDIS_CACHE", default=True)
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- REST API -----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # Basic auth answering 429 while the username is locked out (django-axes).
        "cxportal.authentication.LockoutBasicAuthentication",
        # Integrations: "Authorization: Api-Key <key>" (feedback.IntegrationKey, made in the admin).
        "cxportal.authentication.APIKeyAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON first (DRF's default order); nesting too deep for Python is a 400, not a 500.
    "DEFAULT_PARSER_CLASSES": [
        "cxportal.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"intake": env.str("CX_API_INTAKE_RATE", default="60/min")},
    "EXCEPTION_HANDLER": "cxportal.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CX Portal API",
    "DESCRIPTION": "Customer feedback intake and case tracking. Integrations authenticate with an API "
    "key made in the admin (`Authorization: Api-Key <key>`), staff with their account (Basic or "
    "session). Case events can also be pushed to you: see the `caseEvent` webhook.",
    "VERSION": "1",
    # 3.1: the first version with webhooks, to describe the signed case-event webhook.
    "OAS_VERSION": "3.1.0",
    "WEBHOOKS": ["feedback.api.CASE_EVENT_WEBHOOK"],
    # Cases and timeline events both have a "kind", from different choices.
    "ENUM_NAME_OVERRIDES": {
        "KindEnum": "feedback.models.Kind",
        "EventKindEnum": "feedback.models.CaseEvent.Kind",
    },
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the installed sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Product settings ---------------------------------------------------------
# Cases still `new` this long after submission are re-queued by the sweep.
CX_REQUEUE_AFTER = timedelta(seconds=env.int("CX_REQUEUE_AFTER_SECONDS", default=60))
# A notification claimed this long ago without being sent is marked failed.
CX_SENDING_TIMEOUT = timedelta(seconds=env.int("CX_SENDING_TIMEOUT_SECONDS", default=600))
# Public form submissions per client IP and hour; the header naming the
# client's address when behind a proxy (empty: REMOTE_ADDR).
CX_SUBMISSIONS_PER_HOUR = env.int("CX_SUBMISSIONS_PER_HOUR", default=20)
# Messages a customer may add to one case per hour from its tracking page.
CX_REPLIES_PER_HOUR = env.int("CX_REPLIES_PER_HOUR", default=10)
CX_CLIENT_IP_HEADER = env.str("CX_CLIENT_IP_HEADER", default="")
# Closed cases older than this many months are anonymised daily (0: never).
CX_RETENTION_MONTHS = env.int("CX_RETENTION_MONTHS", default=0)
# API Idempotency-Keys are remembered this many days (a retry after that makes a new case).
CX_INTAKE_KEY_DAYS = env.int("CX_INTAKE_KEY_DAYS", default=7)
# The largest CSV of past cases the admin and import_cases accept.
CX_IMPORT_MAX_MB = env.int("CX_IMPORT_MAX_MB", default=20)
CX_REFERENCE_PREFIX = env.str("CX_REFERENCE_PREFIX", default="CX")
# Phone numbers written without a country code are read as this country's (E.164 after).
CX_PHONE_REGION = env.str("CX_PHONE_REGION", default="ES")
# References (PREFIX-2026-000123) must fit the URLs' converter and the 32-character column.
if not re.fullmatch(r"[A-Za-z0-9_]{1,16}", CX_REFERENCE_PREFIX):
    raise ImproperlyConfigured("CX_REFERENCE_PREFIX must be 1 to 16 letters, digits or underscores.")
# The owner is warned once this share of the time to a due date has passed.
CX_SLA_WARNING_RATIO = env.float("CX_SLA_WARNING_RATIO", default=0.8)
# Webhooks: seconds to wait for an answer, and how many notifications in a
# row may fail for good before the destination is switched off.
CX_WEBHOOK_TIMEOUT = _WEBHOOK_TIMEOUT  # read with the task limits above, which depend on it
CX_WEBHOOK_DISABLE_AFTER = env.int("CX_WEBHOOK_DISABLE_AFTER", default=3)
# /health/ names its checks (database, Redis, workers) only to staff and to
# callers sending this token in an X-Health-Token header (empty: staff only).
CX_HEALTH_TOKEN = env.str("CX_HEALTH_TOKEN", default="")

# --- Security in production ---------------------------------------------------
# Behind HTTPS, CX_HTTPS=1 turns on every HTTPS-only setting below; each can
# still be set on its own. The README lists the production environment for
# which `manage.py check --deploy` is clean (a test runs it).
_HTTPS = env.bool("CX_HTTPS", default=False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=_HTTPS)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_HTTPS)
# A load balancer probing plain HTTP must get the status, not a redirect.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if _HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# The header a TLS-terminating proxy sets, as "HEADER,value", e.g.
# "HTTP_X_FORWARDED_PROTO,https". Only behind a proxy that always sets it.
_proxy_header = env.list("SECURE_PROXY_SSL_HEADER", default=[])
if _proxy_header and len(_proxy_header) != 2:
    raise ImproperlyConfigured(
        'SECURE_PROXY_SSL_HEADER must be "HEADER,value", e.g. "HTTP_X_FORWARDED_PROTO,https".'
    )
SECURE_PROXY_SSL_HEADER = tuple(_proxy_header) if _proxy_header else None
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp) on every page: scripts, styles, fonts
# and images only from this site, no inline script or style, no framing.
# Bootstrap's form controls draw their arrows and ticks from data: SVGs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Sign-in lockout (django-axes) on the admin login and API Basic auth: after
# CX_LOGIN_FAILURE_LIMIT wrong passwords for one username from one address,
# that pair is refused (429, a page saying when to retry) for the cool-off.
AXES_FAILURE_LIMIT = env.int("CX_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("CX_LOGIN_COOLOFF_MINUTES", default=15))
# Per username and address: a guesser cannot lock a manager out from elsewhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The same client address as the rate limits (CX_CLIENT_IP_HEADER behind a proxy).
AXES_CLIENT_IP_CALLABLE = "cxportal.ratelimit.client_ip"
AXES_LOCKOUT_CALLABLE = "cxportal.lockout.lockout_response"
# No start-up banner on every manage.py command; lockouts are still logged.
AXES_VERBOSE = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
