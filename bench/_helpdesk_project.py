"""The throwaway Django project ``bench/helpdesk.py`` runs django-helpdesk in: its files, its database."""

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

SETTINGS_MODULE = "helpdesk_bench_settings"
RESULT_FILE = "result.json"

SETTINGS = '''\
"""Settings of a minimal site running django-helpdesk, for bench/helpdesk.py."""

import json
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = {secret_key!r}
# As in production: no query log, no debug pages, templates cached.
DEBUG = False
ALLOWED_HOSTS = ["testserver"]

# The apps helpdesk's standalone settings install, less pinax-teams and its
# dependencies: teams mode is off, as there (pinax-teams is an optional extra).
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "helpdesk",
    "rest_framework",
]
HELPDESK_TEAMS_MODE_ENABLED = False

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "helpdesk_bench_urls"
TEMPLATES = [
    {{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {{
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        }},
    }},
]

# bench/helpdesk.py sets the database: a temporary SQLite file or a
# PostgreSQL database of its own.
DATABASES = {{"default": json.loads(os.environ["HELPDESK_BENCH_DATABASE"])}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

USE_TZ = True
TIME_ZONE = "UTC"
SITE_ID = 1
STATIC_URL = "/static/"
MEDIA_ROOT = BASE_DIR / "media"
LOGIN_URL = "helpdesk:login"

# Emails are rendered and kept in memory (django.core.mail.outbox): their
# cost is measured, nothing leaves the machine.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_FROM_EMAIL = "support@example.com"
'''

URLS = '''\
"""helpdesk at the site's root, as a support site runs it."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("helpdesk.urls", namespace="helpdesk")),
]
'''

MANAGE = f'''\
"""manage.py of the benchmark's helpdesk site (kept with --keep, to look around)."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{SETTINGS_MODULE}")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
'''


def write_project(directory: Path) -> None:
    """A minimal Django project running helpdesk: settings, URLs and manage.py."""
    (directory / f"{SETTINGS_MODULE}.py").write_text(SETTINGS.format(secret_key=secrets.token_urlsafe(50)))
    (directory / "helpdesk_bench_urls.py").write_text(URLS)
    (directory / "manage.py").write_text(MANAGE)


def is_postgres(url: str | None) -> bool:
    return bool(url) and urlsplit(url).scheme in ("postgres", "postgresql")


def database_settings(url: str | None, project: Path, name: str) -> dict[str, Any]:
    """Django's DATABASES entry: PostgreSQL's database ``name`` on the server in ``url``, else SQLite."""
    if not is_postgres(url):
        # The same SQLite settings as CX Portal's (cxportal/settings.py), so
        # that a difference in CPU is the application's, not the journal's.
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(project / "db.sqlite3"),
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    parts = urlsplit(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        # A socket directory is written percent-encoded in the host part.
        "HOST": unquote(parts.hostname or ""),
        "PORT": str(parts.port or ""),
        "OPTIONS": dict(parse_qsl(parts.query)),
    }
