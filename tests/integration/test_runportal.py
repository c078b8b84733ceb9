"""``manage.py runportal`` starts every part, restarts one that dies, and leaves nothing behind when stopped."""

import contextlib
import http.cookiejar
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from cxportal.runner import free_port, http_ok

from .parts import BASE_DIR, late_delivery_complaint, stop_process, wait_for, wait_until_drained
from .processes import descendants, nothing_left_running

pytestmark = pytest.mark.integration

BANNER = "CX Portal is running. Ctrl-C stops everything."


@pytest.fixture
def portal(request, tmp_path):
    """Start runportal on free ports with its own var/ directory and database.

    Parametrize it indirectly with ``{"args": [...], "env": {...}, "prepare": code}``
    for more command-line arguments, more environment, or Python code run
    by ``manage.py shell`` on the site's database before runportal starts.
    """
    extra = getattr(request, "param", {})
    port, redis_port, smtp_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "DEBUG": "1",
        "CX_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "EMAIL_URL", "SITE_URL", "CX_MAILBOX_URL"):
        env.pop(name, None)
    env.update(extra.get("env", {}))
    if extra.get("prepare"):
        # Without the Redis cache: no Redis runs yet, and 6379 may be someone else's.
        subprocess.run(
            [sys.executable, str(BASE_DIR / "manage.py"), "shell", "-c", extra["prepare"]],
            cwd=BASE_DIR,
            env={**env, "CX_REDIS_CACHE": "0"},
            check=True,
            timeout=120,
        )
    log_path = tmp_path / "runportal.log"
    argv = [sys.executable, str(BASE_DIR / "manage.py"), "runportal", "--port", str(port)]
    argv += ["--redis-port", str(redis_port), "--smtp-port", str(smtp_port), *extra.get("args", [])]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    process.url = f"http://127.0.0.1:{port}"
    process.smtp_port = smtp_port
    process.log = lambda: log_path.read_text(errors="replace")
    started = descendants(process.pid)
    try:
        # The banner comes once the site is ready (or after runportal gave up waiting).
        wait_for(
            lambda: process.poll() is not None or BANNER in process.log(),
            timeout=120,
            what="runportal's banner",
            interval=0.5,
        )
        assert process.poll() is None, "runportal exited during startup"
        assert http_ok(f"{process.url}/health/"), "runportal printed its banner but is not ready"
        process.redis_url = re.search(r"^  Redis +(redis://\S+)", process.log(), re.MULTILINE).group(1)
        yield process
    finally:
        started.update(descendants(process.pid))
        stop_process(process, grace=20)
        for pid in started:  # never leave a part running, even when the test failed
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        print(f"--- runportal output ---\n{process.log()}")


def children_by_role(pid: int) -> dict[str, int]:
    roles = {
        "redis": "redis-server",
        "worker": " worker ",
        "beat": " beat ",
        "web": "runserver",
        "smtp": "aiosmtpd",
    }
    found = {}
    for child, cmd in descendants(pid).items():
        for role, marker in roles.items():
            if marker in f" {cmd} " and role not in found:
                found[role] = child
    return found


def test_it_starts_every_part_and_ctrl_c_stops_them_all(portal):
    assert set(children_by_role(portal.pid)) == {"redis", "worker", "beat", "web", "smtp"}
    everything = descendants(portal.pid)
    assert f"Form        {portal.url}/feedback/new/" in portal.log()

    portal.send_signal(signal.SIGINT)

    assert portal.wait(timeout=60) == 0
    assert nothing_left_running(everything) == {}


@pytest.mark.parametrize("role", ["beat", "worker", "smtp"])
def test_a_part_that_dies_is_restarted_and_ctrl_c_still_stops_everything(portal, role):
    everything = descendants(portal.pid)  # with the worker's pool processes
    old = children_by_role(portal.pid)[role]
    os.kill(old, signal.SIGKILL)

    wait_for(lambda: f"{role} restarted (pid" in portal.log(), timeout=30, what=f"{role} to be restarted")
    assert f"{role} exited unexpectedly (killed by SIGKILL); restarting it now" in portal.log()
    assert portal.poll() is None, "the site must keep running"
    new = wait_for(lambda: children_by_role(portal.pid).get(role), timeout=10, what=f"the new {role}")
    assert new != old
    # The killed worker's pool processes went with it.
    gone = {pid: cmd for pid, cmd in everything.items() if pid not in descendants(portal.pid)}
    assert nothing_left_running(gone) == {}
    wait_for(
        lambda: http_ok(f"{portal.url}/health/"), timeout=60, what="the site to be healthy", interval=0.5
    )
    everything.update(descendants(portal.pid))

    portal.send_signal(signal.SIGINT)

    assert portal.wait(timeout=60) == 0
    assert nothing_left_running(everything) == {}


# The smallest organisation that routes: one fallback department. (``--demo``
# would do, but it trains the triage model first, a minute of setup.)
ONE_DEPARTMENT = """
from django.contrib.auth import get_user_model
from django.core.management import call_command
from routing.models import Department, SLAPolicy
call_command("migrate", verbosity=0)
owner = get_user_model().objects.create_user("carmen", "carmen@cx.example")
policy = SLAPolicy.objects.create(name="Standard", first_response_hours=8, resolution_hours=72)
Department.objects.create(
    name="Customer service", slug="customer-service", owner=owner, sla_policy=policy, is_fallback=True
)
"""


class Customer:
    """A browser on the web form: keeps cookies, posts with the form's CSRF token."""

    def __init__(self, site: str) -> None:
        self.site = site
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get_form(self) -> str:
        with self.opener.open(f"{self.site}/feedback/new/", timeout=15) as response:
            assert response.status == 200
            return response.read().decode()

    def submit(self, n: int) -> str:
        """Post a late-delivery complaint; the reference its confirmation page shows."""
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.get_form()).group(1)
        data = {"csrfmiddlewaretoken": token, **late_delivery_complaint(n)}
        request = urllib.request.Request(
            f"{self.site}/feedback/new/", data=urllib.parse.urlencode(data).encode(), method="POST"
        )
        # A 500 or a form re-shown with errors raises or fails here; the redirect
        # to the confirmation page is followed with the session cookie.
        with self.opener.open(request, timeout=15) as response:
            assert response.status == 200
            assert "/feedback/thanks/" in response.url, response.url
            reference = response.url.rstrip("/").rsplit("/", 1)[-1]
            assert reference in response.read().decode()
            return reference


def routings(database: Path) -> dict[str, tuple[str, int, int]]:
    """Every case of the site: reference -> (channel, routing attempts, "routed" notifications)."""
    with contextlib.closing(sqlite3.connect(database, timeout=10)) as db:
        rows = db.execute(
            "SELECT c.reference, c.channel, c.routing_attempts,"
            " (SELECT COUNT(*) FROM notifications_notification n WHERE n.case_id = c.id AND n.event = 'routed')"
            " FROM feedback_case c"
        ).fetchall()
    return {reference: tuple(rest) for reference, *rest in rows}


def routed_department(database: Path, reference: str) -> str | None:
    """The slug of the department the case went to, once routed (the site's own database)."""
    with contextlib.closing(sqlite3.connect(database, timeout=10)) as db:
        row = db.execute(
            "SELECT d.slug FROM feedback_case c JOIN routing_department d ON d.id = c.department_id"
            " WHERE c.reference = ? AND c.routed_at IS NOT NULL",
            (reference,),
        ).fetchone()
    return row[0] if row else None


@pytest.mark.parametrize(
    "portal",
    [
        {
            "prepare": ONE_DEPARTMENT,
            "env": {
                # Redis as the cache too, as in production: the form must not need it.
                "CX_REDIS_CACHE": "1",
                # The sweep that queues cases whose routing task was lost, in seconds not minutes.
                "CX_SWEEP_SECONDS": "2",
                "CX_REQUEUE_AFTER_SECONDS": "2",
            },
        }
    ],
    indirect=True,
)
def test_when_redis_is_killed_it_is_restarted_and_no_submission_fails_or_is_lost(portal, tmp_path):
    customer = Customer(portal.url)
    customer.get_form()
    everything = descendants(portal.pid)
    os.kill(children_by_role(portal.pid)["redis"], signal.SIGKILL)

    # Right away, while Redis is gone or just coming back (its restart takes a
    # fraction of a second): the case is stored and confirmed, its routing
    # queued by the publish retries or, if they gave up, by the sweep.
    started = time.monotonic()
    references = [customer.submit(1)]
    assert time.monotonic() - started < 10, "a submission must not hang while the broker is down"
    wait_for(lambda: "redis restarted (pid" in portal.log(), timeout=30, what="redis to be restarted")
    references.append(customer.submit(2))

    log = portal.log()
    assert "redis exited unexpectedly (killed by SIGKILL); restarting it now" in log
    assert "redis is answering again at redis://127.0.0.1:" in log
    assert portal.poll() is None, "the site must keep running"
    database = tmp_path / "db.sqlite3"
    for reference in references:
        department = wait_for(
            lambda reference=reference: routed_department(database, reference),
            timeout=60,
            what=f"case {reference} to be routed",
            interval=0.5,
        )
        assert department == "customer-service"
    # Two cases, each routed once and its owner told once; the same when no
    # task is left queued or in a worker's hands.
    once = dict.fromkeys(references, ("web", 1, 1))
    assert routings(database) == once
    wait_until_drained(portal.redis_url, timeout=60)
    assert routings(database) == once
    # Database, Redis and a worker all answer again.
    wait_for(
        lambda: http_ok(f"{portal.url}/health/"), timeout=30, what="the site to be healthy", interval=0.5
    )
    assert "Internal Server Error" not in portal.log()
    everything.update(descendants(portal.pid))

    portal.send_signal(signal.SIGINT)

    assert portal.wait(timeout=60) == 0
    assert nothing_left_running(everything) == {}


@pytest.mark.parametrize(
    "portal", [{"prepare": ONE_DEPARTMENT, "env": {"CX_MAILBOX_POLL_SECONDS": "1"}}], indirect=True
)
def test_the_sample_email_sent_to_the_demo_address_becomes_a_routed_case(portal, tmp_path):
    import smtplib

    smtp = f"smtp://127.0.0.1:{portal.smtp_port}"
    assert f"Inbound email: write to support@cxportal.localhost at {smtp}" in portal.log()
    assert f"curl {smtp} --mail-from ana@example.com" in portal.log()

    with smtplib.SMTP("127.0.0.1", portal.smtp_port, timeout=10) as client:
        client.sendmail(
            "ana@example.com",
            ["support@cxportal.localhost"],
            (BASE_DIR / "docs" / "sample-complaint.eml").read_bytes(),
        )

    database = tmp_path / "db.sqlite3"

    def routed_email_case() -> str | None:
        with contextlib.closing(sqlite3.connect(database, timeout=10)) as db:
            row = db.execute("SELECT reference FROM feedback_case WHERE channel = 'email'").fetchone()
        return row and routed_department(database, row[0])

    department = wait_for(routed_email_case, timeout=60, what="the emailed case to be routed", interval=0.5)
    assert department == "customer-service"
    # One case, routed once, its owner told once; the same when no task is left to run.
    assert list(routings(database).values()) == [("email", 1, 1)]
    wait_until_drained(portal.redis_url, timeout=60)
    assert list(routings(database).values()) == [("email", 1, 1)]
