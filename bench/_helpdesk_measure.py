"""Inside the virtualenv: ``bench/helpdesk.py`` sets helpdesk's site up and times its public submissions."""

import json
import os
import statistics
import sys
import time
from importlib.metadata import metadata
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

from bench._helpdesk_postgres import cpu_ticks, create_database, drop_database, postmaster_of
from bench._helpdesk_project import RESULT_FILE, SETTINGS_MODULE, database_settings, is_postgres

# Complaints worded like the ones bench/stages.py posts to our public form.
COMPLAINTS = [
    ("Pedido {n} sin entregar", "Mi pedido {n} no ha llegado, lleva 5 días de retraso"),
    ("Paquete {n} dañado", "El paquete {n} llegó roto, la caja estaba aplastada"),
    ("Cobro doble del pedido {n}", "Me han cobrado dos veces el pedido {n}"),
    ("Order {n} is late", "My order {n} is late, it was promised last week"),
]


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
