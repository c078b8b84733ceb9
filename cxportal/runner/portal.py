"""The site run from one terminal: what ``run_portal`` starts, in which order, and the banner it prints."""

import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cxportal.runner.net import StartupError, free_port, http_ok, port_is_free, wait_for_port, wait_for_redis
from cxportal.runner.servers import redis_command, smtp_sink_command
from cxportal.runner.supervisor import Child, GaveUp, RestartPolicy, Supervisor, _Stop

WORKER_QUEUES = "routing,notifications,periodic"


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


def run_portal(*, options: PortalOptions, base_dir: Path, var_dir: Path, email_dir: str | None) -> int:
    """Start Redis (unless REDIS_URL is set), worker, beat and web; block until stopped.

    A part that dies once the site is up is restarted (see the
    ``cxportal.runner`` docstring). Returns the exit status: 0 after Ctrl-C/SIGTERM, 1 when a
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
