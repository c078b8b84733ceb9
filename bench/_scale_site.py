"""The production shape as ``bench/scale.py`` runs it, and the database each step gets.

Every Procfile line is a ``Part`` that can be killed and started again
(the routing line once per worker, in ``Site``); ``prepare`` migrates, seeds
and collects static files once, ``database_copy`` gives each step its own
copy of that database, and ``terminate_database_connections`` is the fault
injected mid-load.
"""

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench._cpu import tree_cpu_seconds
from cxportal.runner import http_ok

BASE_DIR = Path(__file__).resolve().parent.parent
# collectstatic with Django's manifest storage: the manifest (staticfiles.json)
# the production storage reads, without whitenoise's compression of every
# file, a minute of CPU that serving the form does not depend on.
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


@dataclass
class Part:
    """One process of the production shape, started from its Procfile line in its own process group."""

    name: str
    command: str
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = None
    # CPU of earlier incarnations (a killed worker's).
    cpu_spent: float = 0.0

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            # As honcho and Procfile platforms do: the line through the shell,
            # which expands the ${VAR:-default}s; exec so the pid is the program's.
            # The Procfile's own lines, run as a Procfile platform runs them.
            self.process = subprocess.Popen(  # noqa: S602
                f"exec {self.command}",
                shell=True,
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def cpu_seconds(self) -> float:
        return self.cpu_spent + (tree_cpu_seconds(self.process.pid) if self.alive else 0.0)

    def kill(self) -> None:
        """SIGKILL the whole process group: the program and its pool processes."""
        if self.alive:
            self.cpu_spent += tree_cpu_seconds(self.process.pid)
        if self.process:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def terminate(self) -> None:
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)

    def stop(self, grace: float = 15.0) -> None:
        self.terminate()
        if self.process:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=grace)
        self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class Site:
    """The production shape for one step: every Procfile line, the routing one M times."""

    def __init__(self, lines: dict[str, str], env: dict[str, str], directory: Path, routing_workers: int):
        self.directory = directory
        self.url = f"http://127.0.0.1:{env['PORT']}"
        self.parts: list[Part] = []
        for name, command in lines.items():
            if name == "routing":
                for i in range(1, routing_workers + 1):
                    # Instances on one host need distinct Celery node names (on
                    # separate machines %h, the host name, already tells them apart).
                    unique = re.sub(r"(-n\s+)(\S+?)@", rf"\g<1>\g<2>{i}@", command)
                    self.parts.append(Part(f"routing{i}", unique, env, directory / f"routing{i}.log"))
            else:
                self.parts.append(Part(name, command, env, directory / f"{name}.log"))

    def part(self, name: str) -> Part:
        return next(p for p in self.parts if p.name == name)

    def start(self) -> None:
        for part in self.parts:
            part.start()

    def wait_until_ready(self, nodes: list[str], timeout: float = 180) -> None:
        """The web server answers and every worker answers a ping."""
        from cxportal.celery import app

        deadline = time.monotonic() + timeout
        while True:
            dead = [p.name for p in self.parts if not p.alive]
            if dead:
                raise SystemExit(f"{', '.join(dead)} exited during startup; see the logs in {self.directory}")
            if http_ok(f"{self.url}/health/?check=live"):
                replies = app.control.inspect(timeout=1.0).ping() or {}
                if set(nodes) <= {name.split("@")[0] for name in replies}:
                    return
            if time.monotonic() > deadline:
                raise SystemExit(f"The site was not ready within {timeout:.0f} s; see {self.directory}")
            time.sleep(0.5)

    def stop(self) -> None:
        for part in self.parts:
            part.terminate()
        for part in self.parts:
            part.stop()


def prepare(env: dict[str, str]) -> None:
    """Schema, demo organisation (rules and the starter triage model) and static files, once."""
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    for argv, what in (
        ([*manage, "migrate", "-v", "0"], "migrating"),
        ([*manage, "seed_demo", "--force", "-v", "0"], "loading the demo organisation"),
        ([sys.executable, "-c", COLLECT_STATIC], "collecting static files"),
    ):
        started = time.monotonic()
        print(f"   {what} ...", end="", flush=True)
        subprocess.run(argv, cwd=BASE_DIR, env=env, check=True)
        print(f" {time.monotonic() - started:.0f} s", flush=True)


def database_copy(database_url: str, name: str) -> str:
    """A new database copied from the one at ``database_url`` (nobody may be connected to it); its URL."""
    import psycopg
    from django.db import connections

    connections.close_all()
    template = urlsplit(database_url)
    maintenance = urlunsplit(template._replace(path="/template1"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        for attempt in range(20):
            try:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template.path.lstrip("/")}"')
                break
            except psycopg.errors.ObjectInUse:
                # The last connections of the preparation or the previous step are still closing.
                if attempt == 19:
                    raise
                time.sleep(0.5)
    return urlunsplit(template._replace(path=f"/{name}"))


def use_database(database_url: str) -> None:
    """Point this process's own queries at ``database_url``'s database."""
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = urlsplit(database_url).path.lstrip("/")


def terminate_database_connections(database_url: str) -> int:
    """pg_terminate_backend every other connection to the database, as a failover or restart would."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    return int(row[0])
