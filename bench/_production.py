"""Starting and stopping the production shape on loopback, for ``bench/capacity.py`` and ``bench/floor.py``.

An embedded Redis, then every process of the ``Procfile`` with production
settings in a temporary directory (``start_site``), and waiting for the
queues to empty between measurements (``settle``). ``procfile_commands``
also gives ``bench/scale.py`` the Procfile's lines.
"""

import argparse
import contextlib
import ctypes
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from cxportal.runner import free_port, http_ok, redis_command, wait_for_redis

BASE_DIR = Path(__file__).resolve().parent.parent
PROCFILE = BASE_DIR / "Procfile"
# The queues whose backlog must be empty before a step's CPU is read.
WORK_QUEUES = ("routing", "notifications")


def procfile_commands(path: Path = PROCFILE) -> dict[str, str]:
    """The Procfile's ``name: command`` lines, in order."""
    commands = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, command = line.split(":", 1)
            commands[name.strip()] = command.strip()
    return commands


def _die_with_parent() -> None:
    # In the child, before exec: SIGTERM when the bench itself dies, even by
    # SIGKILL, so no worker is left running against a deleted directory.
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Site:
    """The running processes, their environment and where they write."""

    var_dir: Path
    env: dict[str, str]
    url: str
    redis_url: str
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def mail_dir(self) -> Path:
        return Path(self.env["EMAIL_FILE_PATH"])

    def log(self, name: str) -> Path:
        return self.var_dir / "logs" / f"{name}.log"

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        self.log(name).parent.mkdir(exist_ok=True)
        with self.log(name).open("wb") as log:
            process = subprocess.Popen(
                argv,
                cwd=BASE_DIR,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group: stopping it reaches a worker's pool processes too.
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        self.processes[name] = process
        return process

    def dead(self) -> list[str]:
        return [name for name, process in self.processes.items() if process.poll() is not None]

    def stop(self) -> None:
        """SIGTERM to everything but Redis, then Redis, so workers can still acknowledge."""
        order = [[n for n in self.processes if n != "redis"], [n for n in self.processes if n == "redis"]]
        for names in order:
            for name in names:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.processes[name].pid, signal.SIGTERM)
            deadline = time.monotonic() + 20
            for name in names:
                process = self.processes[name]
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def site_environment(
    var_dir: Path, database_url: str, port: int, redis_url: str, args: argparse.Namespace
) -> dict[str, str]:
    """The production settings for every process, this one included."""
    env = dict(os.environ)
    # Whatever the caller's shell points elsewhere (a real mailbox, SMTP, another
    # broker, a proxy header) must not change what is measured.
    for name in (
        "EMAIL_URL",
        "CELERY_BROKER_URL",
        "CX_MAILBOX_URL",
        "SECURE_PROXY_SSL_HEADER",
        "CX_CLIENT_IP_HEADER",
        "CX_REDIS_CACHE",
        "CSRF_TRUSTED_ORIGINS",
        "CELERY_TASK_ALWAYS_EAGER",
    ):
        env.pop(name, None)
    site = f"http://127.0.0.1:{port}"
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "cxportal.settings",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": site,
            "CX_VAR_DIR": str(var_dir),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "STATIC_ROOT": str(var_dir / "static"),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(var_dir / "mail"),
            "LOG_LEVEL": "WARNING",
            "CELERY_LOG_LEVEL": "warning",
            # The bench is a single client address; the public form allows 20 an hour to one.
            "CX_SUBMISSIONS_PER_HOUR": "1000000000",
            # Plain HTTP on loopback: cookies must not be HTTPS-only, nor requests redirected
            # to HTTPS, or the client never gets a CSRF cookie back to post with.
            "CX_HTTPS": "0",
            "SECURE_COOKIES": "0",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_HSTS_SECONDS": "0",
            # The Procfile's variables.
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "WEB_CONCURRENCY": str(args.web_workers),
            "ROUTING_CONCURRENCY": str(args.routing_concurrency),
            "NOTIFICATION_CONCURRENCY": str(args.notification_concurrency),
            # gunicorn and celery from this virtualenv.
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def prepare_database() -> None:
    """Migrate, seed the demo organisation and collect static files, as a deployment would."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections
    from django.test import override_settings

    call_command("migrate", interactive=False, verbosity=0)
    # The demo's departments, owners, rules and triage model: what cases are routed by.
    call_command("seed_demo", force=True, verbosity=0)
    # DEBUG off names static files by their hashed copies, listed in a manifest. The bench never
    # fetches a static file, so the manifest is all it needs: compressing every file as the
    # production storage does would add a minute of CPU to each run for nothing measured.
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
    connections.close_all()


def start_site(var_dir: Path, database_url: str, args: argparse.Namespace) -> Site:
    """Redis, then the database prepared, then every Procfile process; returns once /health/ is 200."""
    port, redis_port = free_port(), free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    site = Site(var_dir, site_environment(var_dir, database_url, port, redis_url, args), "", redis_url)
    site.url = site.env["SITE_URL"]
    try:
        (var_dir / "redis").mkdir()
        redis = site.start("redis", redis_command(port=redis_port, data_dir=var_dir / "redis"))
        wait_for_redis(redis_url, timeout=20, alive=lambda: redis.poll() is None)

        # This process reads the results with the same settings as the site.
        os.environ.clear()
        os.environ.update(site.env)
        import django

        django.setup()
        started = time.monotonic()
        prepare_database()
        print(f"database migrated and seeded in {time.monotonic() - started:.0f} s", flush=True)
        started = time.monotonic()

        for name, command in procfile_commands().items():
            # Through the shell for the Procfile's ${VAR:-default}; exec keeps the pid the process's own.
            site.start(name, ["/bin/sh", "-c", f"exec {command}"])
        # /health/ answers 200 once the database, Redis and the workers all answer.
        deadline = time.monotonic() + 180
        while not http_ok(f"{site.url}/health/"):
            dead = site.dead()
            if dead or time.monotonic() > deadline:
                what = f"{', '.join(dead)} exited" if dead else "/health/ not 200 after 180 s"
                sys.exit(f"The site did not start ({what}); logs in {var_dir / 'logs'}")
            time.sleep(0.5)
    except BaseException:
        # Failed or interrupted while starting: nothing may be left running.
        site.stop()
        raise
    print(f"processes up and /health/ answering in {time.monotonic() - started:.0f} s", flush=True)
    return site


def queues_busy(redis_url: str) -> int:
    """Tasks waiting in the routing and notification queues, or taken but not yet acknowledged."""
    from cxportal.celery import tasks_in_hand

    return tasks_in_hand(redis_url, WORK_QUEUES)


def settle(redis_url: str, timeout: float) -> bool:
    """Wait until no routing or notification work is queued or in hand (twice in a row)."""
    deadline = time.monotonic() + timeout
    idle = 0
    while idle < 2:
        if time.monotonic() > deadline:
            return False
        idle = idle + 1 if queues_busy(redis_url) == 0 else 0
        time.sleep(0.2)
    return True
