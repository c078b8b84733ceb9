"""The Procfile is the production shape: ``honcho start`` serves, routes, notifies and stops cleanly.

Every line of the Procfile runs as written (gunicorn, the routing,
notifications and periodic workers, beat) with production settings: DEBUG
off, static files from the manifest, Redis as broker and cache. The
processes share this test's database (hence ``transactional_db``: they see
only what is committed) and a Redis of their own. A complaint goes in
through the public form, over plain HTTP on loopback, as a customer's
browser sends it.
"""

import contextlib
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import connection

from cxportal.runner import free_port, http_ok
from feedback.models import Case, Status
from notifications.models import Notification

from .parts import BASE_DIR, RedisServer, database_url, read_emails, wait_for, wait_until_drained
from .processes import descendants, nothing_left_running
from .test_runportal import Customer

pytestmark = pytest.mark.integration

HONCHO = Path(sys.executable).with_name("honcho")
TIMEOUT = 120
# The manifest (staticfiles.json) that production's storage reads, written by
# Django's manifest storage: whitenoise's compression of every file on top
# takes a minute of CPU and changes nothing this test looks at.
COLLECT_STATIC = """
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
call_command("collectstatic", interactive=False, verbosity=0)
"""
# Not for this site: a developer's own production or HTTPS settings.
INHERITED_OUT = (
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "EMAIL_URL",
    "SITE_URL",
    "CX_MAILBOX_URL",
    "CX_HTTPS",
    "SECURE_SSL_REDIRECT",
    "SECURE_COOKIES",
    "SECURE_PROXY_SSL_HEADER",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


@pytest.fixture
def production_shape(transactional_db, organisation, tmp_path):
    """``honcho start -f Procfile`` on a free port; stopped (and checked stopped) by the test."""
    redis_dir = tmp_path / "redis"
    redis_dir.mkdir()
    redis = RedisServer.start(redis_dir)
    port = free_port()
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = {key: value for key, value in os.environ.items() if key not in INHERITED_OUT}
    env.update(
        {
            "DATABASE_URL": database_url(connection.settings_dict),
            "REDIS_URL": redis.url,
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "HOST": "127.0.0.1",
            # honcho hands the first line (web) PORT, the next ones PORT+100, ...
            "PORT": str(port),
            "SITE_URL": f"http://127.0.0.1:{port}",
            "CX_VAR_DIR": str(tmp_path / "var"),
            "STATIC_ROOT": str(tmp_path / "static"),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(mail_dir),
            # pytest's own defaults (pyproject.toml) are for in-process tests.
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "CX_REDIS_CACHE": "1",
            # One process each: this machine also runs the test suite.
            "WEB_CONCURRENCY": "1",
            "ROUTING_CONCURRENCY": "1",
            "NOTIFICATION_CONCURRENCY": "1",
            "CELERY_LOG_LEVEL": "info",
            "PATH": f"{HONCHO.parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if connection.vendor == "postgresql":
        # The pool production may switch on, in every process of the shape.
        env.update({"DATABASE_POOL_MAX_SIZE": "2", "CONN_MAX_AGE": "0"})
    subprocess.run([sys.executable, "-c", COLLECT_STATIC], cwd=BASE_DIR, env=env, check=True, timeout=300)
    log_path = tmp_path / "honcho.log"
    with log_path.open("wb") as log:
        honcho = subprocess.Popen(
            [str(HONCHO), "start", "-f", str(BASE_DIR / "Procfile"), "--no-colour"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    shape = SimpleNamespace(
        process=honcho,
        url=f"http://127.0.0.1:{port}",
        redis_url=redis.url,
        mail_dir=mail_dir,
        log=lambda: log_path.read_text(errors="replace"),
        started={},
    )
    try:
        wait_for(
            lambda: honcho.poll() is not None or http_ok(f"{shape.url}/health/?check=live"),
            timeout=TIMEOUT,
            what="gunicorn to answer",
            interval=0.5,
        )
        assert honcho.poll() is None, "honcho exited during startup"
        yield shape
    finally:
        shape.started.update(descendants(honcho.pid))
        if honcho.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(honcho.pid, signal.SIGKILL)
        for pid in shape.started:  # never leave a part running, even when the test failed
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        honcho.wait()
        redis.stop()
        print(f"--- honcho output ---\n{shape.log()}")


def test_the_procfile_serves_routes_notifies_and_stops_on_sigterm(production_shape, carmen):
    shape = production_shape
    roles = {
        "web": "gunicorn cxportal.wsgi",
        "routing": "-Q routing",
        "notifications": "-Q notifications",
        "periodic": "-Q periodic",
        "beat": " beat ",
    }

    def every_role_running() -> dict[int, str]:
        found = descendants(shape.process.pid)
        return found if all(any(m in f" {c} " for c in found.values()) for m in roles.values()) else {}

    shape.started.update(
        wait_for(every_role_running, timeout=TIMEOUT, what="every Procfile line", interval=0.5)
    )

    reference = Customer(shape.url).submit(1)

    def owner_emailed() -> Notification | None:
        return Notification.objects.filter(
            case__reference=reference, event="routed", status=Notification.Status.SENT
        ).first()

    notification = wait_for(owner_emailed, timeout=TIMEOUT, what="the owner's routed email", interval=0.5)
    case = Case.objects.get(reference=reference)
    # No rule or model knows it: the fallback department's owner has it.
    assert case.status == Status.ROUTED
    assert (case.department.slug, case.owner) == ("customer-service", carmen)
    assert notification.recipient == carmen

    def owner_emails() -> list:
        return [m for m in read_emails(shape.mail_dir) if m["X-CX-Notification"] == notification.key]

    emails = owner_emails()
    assert len(emails) == 1
    assert emails[0]["To"] == carmen.email
    assert reference in emails[0]["Subject"]
    # Still one when no task is left queued or in a worker's hands.
    wait_until_drained(shape.redis_url, timeout=TIMEOUT)
    assert len(owner_emails()) == 1
    assert Notification.objects.filter(case__reference=reference, event="routed").count() == 1
    shape.started.update(descendants(shape.process.pid))

    os.killpg(shape.process.pid, signal.SIGTERM)

    # honcho stops every line (SIGTERM to each one's process group) and exits
    # with SIGTERM's status; gunicorn's and Celery's pool processes go too.
    assert shape.process.wait(timeout=60) == 128 + signal.SIGTERM
    assert nothing_left_running(shape.started, timeout=10) == {}
    log = shape.log()
    for role in roles:
        assert f"{role}.1 stopped" in log, role
