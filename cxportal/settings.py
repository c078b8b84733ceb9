"""CX Portal settings: one module, every value from the environment (12-factor).

The defaults give a working development site (SQLite under var/, emails
written to var/mail/); production sets DATABASE_URL, REDIS_URL, SECRET_KEY,
ALLOWED_HOSTS and EMAIL_URL.
"""

import re
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from cxportal import api_config, queues

# BASE_DIR: the project. VAR_DIR (CX_VAR_DIR, default var/): where a development
# site keeps its SQLite database, uploads, emails and generated secret key.
from cxportal.env import BASE_DIR, VAR_DIR, anymail, cache, database, mailbox, proxy_ssl_header, secret_key
from cxportal.task_limits import broker_transport_options, task_time_limits

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

# Required without DEBUG; a development key is generated once into var/.
SECRET_KEY = secret_key(env, debug=DEBUG)
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
    "notifications",
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

# DATABASE_URL (default: SQLite under var/); PostgreSQL's pool and statement
# timeout come from the DATABASE_* variables described in cxportal/env.py.
DATABASES = {"default": database(env)}

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
# A pool process holds one unacknowledged task at a time (with late
# acknowledgement): why, and how many workers each queue gets, is in
# cxportal/queues.py.
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
CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(_VISIBILITY_TIMEOUT)
# Time limits of the tasks, by kind: short (one case, email or webhook; 60 s),
# periodic (300 s) and long (540 s), each set in seconds by CX_TASK_LIMIT_SHORT,
# _PERIODIC and _LONG, with a soft limit a fifth earlier. A webhook's
# CX_WEBHOOK_TIMEOUT lengthens the short one; every limit must stay below
# CX_VISIBILITY_TIMEOUT. The rules, and the checks that stop start-up when a
# value breaks them, are in cxportal/task_limits.py.
_WEBHOOK_TIMEOUT = env.float("CX_WEBHOOK_TIMEOUT", default=5.0)
CX_TASK_TIME_LIMITS = task_time_limits(
    env, visibility_timeout=_VISIBILITY_TIMEOUT, webhook_timeout=_WEBHOOK_TIMEOUT
)
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
# Which task runs on which queue (routing, notifications, periodic): cxportal/queues.py.
CELERY_TASK_ROUTES = queues.TASK_ROUTES
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# How often the beat sends the periodic tasks (cxportal/queues.py): the
# sweeps (unrouted cases, stuck imports, pending notifications, what-if
# trials), escalation, and the dashboards' refresh; nightly, the last
# CX_DASHBOARD_RECOMPUTE_DAYS days are recomputed and the triage model retrained.
CELERY_BEAT_SCHEDULE = queues.beat_schedule(
    sweep_seconds=env.int("CX_SWEEP_SECONDS", default=60),
    escalation_seconds=env.int("CX_ESCALATION_SECONDS", default=60),
    dashboard_refresh_seconds=env.int("CX_DASHBOARD_REFRESH_SECONDS", default=600),
    dashboard_recompute_days=env.int("CX_DASHBOARD_RECOMPUTE_DAYS", default=35),
)

# --- Email intake -------------------------------------------------------------
# The mailbox customers write to, read every CX_MAILBOX_POLL_SECONDS (empty: not read):
# maildir:///abs/path, maildir://relative/path, imap(s)://user:password@host:port/Folder.
CX_MAILBOX_URL = env.str("CX_MAILBOX_URL", default="")
CX_MAILBOX = mailbox(CX_MAILBOX_URL)
CX_MAILBOX_POLL_SECONDS = env.int("CX_MAILBOX_POLL_SECONDS", default=30)
if CX_MAILBOX_POLL_SECONDS < 1:
    raise ImproperlyConfigured("CX_MAILBOX_POLL_SECONDS must be at least 1.")
if CX_MAILBOX:
    CELERY_BEAT_SCHEDULE["poll-mailbox"] = queues.mailbox_poll(CX_MAILBOX_POLL_SECONDS)
# The address customers are told to write to (shown by `make run`).
CX_INBOUND_ADDRESS = env.str("CX_INBOUND_ADDRESS", default="support@cxportal.localhost")
# ESP inbound webhooks at /email/<esp>/inbound/ (django-anymail): the
# "user:password" the ESP sends as HTTP Basic auth (CX_INBOUND_WEBHOOK_SECRET).
# Empty: they refuse emails, except ESPs that sign their posts
# (MAILGUN_WEBHOOK_SIGNING_KEY, MANDRILL_WEBHOOK_KEY, POSTAL_WEBHOOK_KEY).
ANYMAIL = anymail(env)

# In Redis (REDIS_URL, failing fast when it is away); CX_REDIS_CACHE=0: in each process's memory.
CACHES = {"default": cache(env, redis_url=REDIS_URL)}

# --- REST API -----------------------------------------------------------------
# Authentication (session; Basic with the sign-in lockout; integrations' API
# keys), parsers, paging and the OpenAPI description: cxportal/api_config.py.
REST_FRAMEWORK = api_config.rest_framework(intake_rate=env.str("CX_API_INTAKE_RATE", default="60/min"))
SPECTACULAR_SETTINGS = api_config.SPECTACULAR

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
SECURE_PROXY_SSL_HEADER = proxy_ssl_header(env)
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
