"""CPU per public ticket submission in django-helpdesk, the closest open-source peer, for comparison.

    .venv/bin/python bench/helpdesk.py                  # SQLite
    .venv/bin/python scripts/postgres.py .venv/bin/python bench/helpdesk.py
    .venv/bin/python bench/helpdesk.py --json           # summary, then one JSON object on the last line

Nothing of django-helpdesk is kept in this repository: the script builds
everything at run time, outside it.

1. A virtualenv with ``django-helpdesk==2.6.1`` from PyPI (pip resolves the
   rest; the versions it picked are printed), made with the base interpreter
   of the Python running this script and cached in
   ``/tmp/cx-bench-helpdesk-<version>-py<X.Y>`` so that reruns skip pip. With
   PostgreSQL, psycopg (the version in requirements.txt) is added to it.
2. A minimal Django project in a temporary directory: helpdesk with the apps
   its standalone settings list (teams mode off, as in those settings: it
   needs pinax-teams, an optional extra), DEBUG off, the locmem email backend
   so that its emails are rendered and "sent" in process, Django's default
   middleware. The database is a temporary SQLite file, or, when
   ``DATABASE_URL`` names PostgreSQL, a database of its own created in that
   server (helpdesk's tables would collide with ours: both have ``auth_user``)
   and dropped afterwards. After ``migrate`` (which loads helpdesk's email
   templates) one public queue is created whose new tickets are copied to a
   manager (``new_ticket_cc``); the submitter is emailed too.
3. This file again, run by the virtualenv's Python: ``--warmup`` (20)
   submissions, then ``--submissions`` (200) measured ones, each a POST of a
   complaint to helpdesk's public "submit a ticket" page (the one anonymous
   customers use) through the whole middleware stack with Django's test
   client, as ``bench/stages.py`` posts our public form: CPU of the process
   (``time.process_time``, the ticket's emails included) and SQL statements
   (``CaptureQueriesContext``) per POST, emails per POST from
   ``mail.outbox``. On PostgreSQL on this machine, also the server's CPU over
   the measured submissions (utime + stime of the postmaster and its
   children, from ``/proc``), per submission: for the whole cluster, and for
   the one backend serving the benchmark.

The summary goes to stdout; with ``--json`` the last line is one JSON object
(for ``bench/capacity.py``). Progress and pip's output go to stderr.
"""

import argparse
import fcntl
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import PackageNotFoundError, metadata
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
HELPDESK_VERSION = "2.6.1"
SETTINGS_MODULE = "helpdesk_bench_settings"
RESULT_FILE = "result.json"

# Complaints worded like the ones bench/stages.py posts to our public form.
COMPLAINTS = [
    ("Pedido {n} sin entregar", "Mi pedido {n} no ha llegado, lleva 5 días de retraso"),
    ("Paquete {n} dañado", "El paquete {n} llegó roto, la caja estaba aplastada"),
    ("Cobro doble del pedido {n}", "Me han cobrado dos veces el pedido {n}"),
    ("Order {n} is late", "My order {n} is late, it was promised last week"),
]


def progress(message: str) -> None:
    """Progress goes to stderr, so that stdout is the summary (and the JSON line) alone."""
    print(message, file=sys.stderr, flush=True)


# --- The virtualenv ------------------------------------------------------------


def base_python() -> str:
    """The interpreter this Python was made from (itself when it is not a virtualenv's)."""
    candidate = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    return str(candidate) if candidate.exists() else sys.executable


def psycopg_requirement() -> str:
    """psycopg as pinned in requirements.txt: the same driver as ours, so it is not a difference."""
    requirements = ROOT / "requirements.txt"
    if requirements.exists():
        for line in requirements.read_text().splitlines():
            if re.match(r"psycopg(\[[^]]*\])?\s*==", line.strip()):
                return line.split("#")[0].strip()
    return "psycopg[binary]"


def _pip(python: Path, *requirements: str) -> None:
    # pip's output is kept quiet unless it fails: it would drown the summary.
    result = subprocess.run(
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--no-input", *requirements],
        capture_output=True,
        text=True,
    )
    if result.returncode:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"pip install {' '.join(requirements)} failed (exit status {result.returncode})")


def _imports(python: Path, module: str) -> bool:
    if not python.exists():
        return False
    return subprocess.run([str(python), "-c", f"import {module}"], capture_output=True).returncode == 0


def ensure_venv(with_psycopg: bool) -> Path:
    """The cached virtualenv's python, made or completed first if needed.

    The cache is keyed by helpdesk's version and the Python version (a
    virtualenv only works with the interpreter that made it). A lock keeps two
    runs started at once from building it together; the marker file, written
    last, tells a finished virtualenv from one an interrupted run left behind.
    """
    python_tag = f"{sys.version_info.major}.{sys.version_info.minor}"
    venv = Path(tempfile.gettempdir()) / f"cx-bench-helpdesk-{HELPDESK_VERSION}-py{python_tag}"
    python = venv / "bin" / "python"
    marker = venv / "cx-bench-ready"
    with open(f"{venv}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists() and not _imports(python, "helpdesk"):
            marker.unlink()  # the base interpreter changed or the virtualenv was damaged
        if not marker.exists():
            shutil.rmtree(venv, ignore_errors=True)
            progress(
                f"Creating {venv} with {base_python()} and installing django-helpdesk=={HELPDESK_VERSION}"
            )
            subprocess.run([base_python(), "-m", "venv", str(venv)], check=True)
            _pip(python, f"django-helpdesk=={HELPDESK_VERSION}")
            marker.write_text(f"django-helpdesk=={HELPDESK_VERSION}\n")
        if with_psycopg and not _imports(python, "psycopg"):
            progress(f"Installing {psycopg_requirement()} into {venv}")
            _pip(python, psycopg_requirement())
    return python


# --- The Django project ----------------------------------------------------------

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


# --- Inside the virtualenv: the measurement ----------------------------------------


def _proc_stat(pid: int) -> list[str] | None:
    """Fields 3 onwards of /proc/<pid>/stat (after the command name, which may hold spaces)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2 :].split()


def _is_postgres_process(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == "postgres"
    except OSError:
        return False


def postmaster_of(backend_pid: int) -> int | None:
    """The postmaster whose child ``backend_pid`` is, when that server runs on this machine.

    Found from the benchmark's own connection rather than by process name,
    so that another cluster running here (another benchmark's) is not
    counted. On another machine or in a container the pid is not ours to
    read, or is some other process: then None.
    """
    stat = _proc_stat(backend_pid)
    if stat is None or not _is_postgres_process(backend_pid):
        return None
    parent = int(stat[1])
    return parent if _is_postgres_process(parent) else None


def cpu_ticks(postmaster: int, backend: int) -> tuple[int, int]:
    """CPU clock ticks so far of the whole cluster and of one backend.

    The cluster's: the postmaster's own utime + stime, plus its cutime +
    cstime (children it has reaped: backends and autovacuum workers that
    exited), plus utime + stime of its live children.
    """
    # Fields 14-17 of /proc/<pid>/stat: utime, stime, cutime, cstime.
    cluster = backend_ticks = 0
    own = _proc_stat(postmaster)
    if own is not None:
        cluster += sum(int(value) for value in own[11:15])
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        stat = _proc_stat(int(entry.name))
        if stat is None or int(stat[1]) != postmaster:
            continue
        ticks = int(stat[11]) + int(stat[12])
        cluster += ticks
        if int(entry.name) == backend:
            backend_ticks = ticks
    return cluster, backend_ticks


def create_database(url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as connection:
        force = " WITH (FORCE)" if connection.info.server_version >= 130000 else ""
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}" + force).format(sql.Identifier(name)))


def measure(submissions: int, warmup: int) -> dict[str, Any]:
    """Set helpdesk's site up and time its public submissions; returns the figures."""
    import django

    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    django.setup()

    from django.contrib.sites.models import Site
    from django.core import mail
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from helpdesk.models import EmailTemplate, Queue, Ticket

    call_command("migrate", verbosity=0)
    if not EmailTemplate.objects.exists():
        raise SystemExit("helpdesk's migrations loaded no email templates: no email would be sent")
    Site.objects.filter(pk=1).update(domain="support.example.com", name="Support")
    queue = Queue.objects.create(
        title="Complaints",
        slug="complaints",
        email_address="support@example.com",
        allow_public_submission=True,
        # Every new ticket is copied to the manager; the submitter gets an
        # acknowledgement: two emails, as our customer and owner get.
        new_ticket_cc="manager@example.com",
    )

    client = Client()
    url = reverse("helpdesk:submit")
    cpu_ms: list[float] = []
    statements: list[int] = []
    emails: list[int] = []

    def submit(n: int) -> None:
        title, body = COMPLAINTS[n % len(COMPLAINTS)]
        data = {
            "queue": str(queue.pk),
            "title": title.format(n=n),
            "body": body.format(n=n),
            "priority": "3",  # the form's default
            "submitter_email": f"customer{n}@example.com",
        }
        mail.outbox = []
        with CaptureQueriesContext(connection) as captured:
            started = time.process_time()
            response = client.post(url, data)
            elapsed = time.process_time() - started
        assert response.status_code == 302, (response.status_code, response.content[:2000])
        assert "ticket=" in response["Location"], response["Location"]
        if not mail.outbox:
            raise SystemExit(f"submission {n} sent no email")
        cpu_ms.append(elapsed * 1000)
        statements.append(len(captured.captured_queries))
        emails.append(len(mail.outbox))

    for n in range(warmup):  # caches, compiled templates, the connection
        submit(n)
    cpu_ms.clear()
    statements.clear()
    emails.clear()

    server = None
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        postmaster = postmaster_of(backend)
        if postmaster is not None:
            server = (postmaster, backend, cpu_ticks(postmaster, backend))

    started_wall = time.perf_counter()
    for n in range(warmup, warmup + submissions):
        submit(n)
    wall = time.perf_counter() - started_wall

    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
    server_ms = backend_ms = None
    if server is not None:
        postmaster, backend, (cluster_before, backend_before) = server
        cluster_after, backend_after = cpu_ticks(postmaster, backend)
        server_ms = (cluster_after - cluster_before) * tick_ms / submissions
        backend_ms = (backend_after - backend_before) * tick_ms / submissions

    tickets = Ticket.objects.count()
    assert tickets == warmup + submissions, tickets
    ordered = sorted(cpu_ms)
    engine = connection.vendor
    if engine == "postgresql":
        major, minor = divmod(connection.pg_version, 10000)
        engine_version = f"{major}.{minor}"
    else:
        import sqlite3

        engine_version = sqlite3.sqlite_version
    helpdesk_metadata = metadata("django-helpdesk")
    return {
        "peer": "django-helpdesk",
        "helpdesk_version": installed_version("django-helpdesk"),
        "helpdesk_license": helpdesk_metadata.get("License-Expression") or helpdesk_metadata.get("License"),
        "django_version": django.get_version(),
        "python_version": ".".join(map(str, sys.version_info[:3])),
        "db_engine": engine,
        "db_version": engine_version,
        "submissions": submissions,
        "warmup": warmup,
        "cpu_ms_mean": statistics.mean(cpu_ms),
        "cpu_ms_p50": statistics.median(cpu_ms),
        "cpu_ms_p95": ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))],
        "sql_per_submission": statistics.mean(statements),
        "emails_per_submission": statistics.mean(emails),
        "wall_ms_per_submission": wall * 1000 / submissions,
        "db_server_cpu_ms_per_submission": server_ms,
        "db_backend_cpu_ms_per_submission": backend_ms,
    }


def inside(project: Path, database_url: str | None, submissions: int, warmup: int) -> int:
    """The part run by the virtualenv's Python: set the database up, measure, write the result."""
    name = f"cx_bench_helpdesk_{os.getpid()}"
    os.environ["HELPDESK_BENCH_DATABASE"] = json.dumps(database_settings(database_url, project, name))
    postgres = is_postgres(database_url)
    if postgres:
        create_database(database_url, name)
    try:
        result = measure(submissions, warmup)
    finally:
        if postgres:
            from django.db import connections

            connections.close_all()
            drop_database(database_url, name)
    (project / RESULT_FILE).write_text(json.dumps(result))
    return 0


# --- The caller's side ---------------------------------------------------------------


def packages(python: Path) -> dict[str, str]:
    """Every package in the virtualenv and its version, as pip resolved them."""
    frozen = subprocess.run(
        [str(python), "-m", "pip", "freeze", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pinned = (line.split("==", 1) for line in frozen.splitlines() if "==" in line)
    return {name: version for name, version in pinned}


def summary(result: dict[str, Any]) -> str:
    try:
        ours = installed_version("Django")
    except PackageNotFoundError:
        ours = "not installed here"
    lines = [
        f"django-helpdesk {result['helpdesk_version']} (licence: {result['helpdesk_license']}), "
        f"Django {result['django_version']} (CX Portal's environment: {ours}), "
        f"Python {result['python_version']}",
        f"Database: {result['db_engine']} {result['db_version']}",
        "Resolved: "
        + ", ".join(f"{name}=={version}" for name, version in sorted(result["packages"].items())),
        f"{result['submissions']} public submissions after {result['warmup']} warm-up ones, DEBUG off, "
        "locmem email backend; per POST to /tickets/submit/ (test client, whole middleware stack):",
        f"  CPU in process           mean {result['cpu_ms_mean']:6.2f} ms  p50 {result['cpu_ms_p50']:6.2f} ms"
        f"  p95 {result['cpu_ms_p95']:6.2f} ms",
        f"  SQL statements           {result['sql_per_submission']:6.1f}",
        f"  emails                   {result['emails_per_submission']:6.1f} (submitter, queue's new-ticket CC)",
        f"  wall time                {result['wall_ms_per_submission']:6.2f} ms",
    ]
    if result["db_engine"] == "postgresql":
        if result["db_server_cpu_ms_per_submission"] is None:
            lines.append(
                "  PostgreSQL server CPU    not measured (the server is not a process on this machine)"
            )
        else:
            lines.append(
                f"  PostgreSQL server CPU    {result['db_server_cpu_ms_per_submission']:6.2f} ms"
                f" (whole cluster; the benchmark's backend alone:"
                f" {result['db_backend_cpu_ms_per_submission']:.2f} ms)"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=200, help="measured submissions (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="submissions before measuring (default 20)")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the figures")
    parser.add_argument("--keep", action="store_true", help="keep the temporary project (and SQLite file)")
    parser.add_argument("--inside", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.submissions < 1 or args.warmup < 0:
        parser.error("--submissions must be at least 1 and --warmup at least 0")
    database_url = os.environ.get("DATABASE_URL") or None
    if database_url and not is_postgres(database_url):
        # Never migrate helpdesk into another SQLite file (ours, say): it gets a temporary one.
        database_url = None
    if args.inside:
        return inside(args.inside, database_url, args.submissions, args.warmup)

    python = ensure_venv(with_psycopg=is_postgres(database_url))
    resolved = packages(python)
    progress(f"django-helpdesk {resolved.get('django-helpdesk')} with Django {resolved.get('Django')}")
    project = Path(tempfile.mkdtemp(prefix="cx-bench-helpdesk-"))
    try:
        write_project(project)
        environment = {
            **os.environ,
            # Only the project directory on the path: -P below keeps bench/ off it too.
            "PYTHONPATH": str(project),
            "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        }
        command = [str(python), "-P", str(Path(__file__).resolve()), "--inside", str(project)]
        command += ["--submissions", str(args.submissions), "--warmup", str(args.warmup)]
        # The child's stdout goes to our stderr: our stdout is the summary alone.
        status = subprocess.run(command, cwd=project, env=environment, stdout=sys.stderr).returncode
        if status:
            return status
        result = json.loads((project / RESULT_FILE).read_text())
    finally:
        if args.keep:
            progress(f"Kept the project in {project}")
        else:
            shutil.rmtree(project, ignore_errors=True)
    result["packages"] = resolved
    print(summary(result))
    if args.json:
        print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
