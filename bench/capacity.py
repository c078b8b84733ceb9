"""Capacity: the highest submission rate the production shape sustains, and its CPU per case.

Starts on loopback, with its own temporary directory: an embedded Redis,
then every process of the Procfile (web on gunicorn, the routing,
notification and periodic workers, beat) with production settings (DEBUG
off, a generated SECRET_KEY, the static files' manifest collected, emails
written as files; other settings from the environment, such as
DATABASE_POOL_MAX_SIZE, pass through), on a fresh SQLite database seeded
with the demo organisation, or on the database named by
``--database-url``. Then it offers submissions
through the public form in steps of ``--seconds``, each at a steady rate
(open loop: the n-th leaves at n/rate), raising the rate until a step
fails and bisecting between the last passing and the first failing rate.

A step passes when, after the queues drain,

* p95 of (owner's "routed" Notification.sent_at - Case.created_at) is
  within ``--p95-ms`` (250 ms),
* no case is lost: every submitted case is routed and its owner notified
  within ``--drain`` seconds of the last submission,
* no submission failed, and the client kept the schedule (it sent at
  least 95 % of the offered rate; below that the site, not the schedule,
  set the pace and the latency would flatter it).

For every step it prints the HTTP and end-to-end percentiles, the CPU each
process group used per case (from /proc: web, routing, notifications,
periodic+beat, Redis, the PostgreSQL server when it runs on this machine,
and this load generator), the emails written and the notifications sent per
event; at the end, a summary with the highest sustained rate. A step's CPU
runs from its first submission until its queues are empty again, so it
includes what the idle site costs meanwhile (printed once, in ms/s) and any
periodic task that fell due; /proc counts in ticks of 10 ms per process.
Only the form's POST is offered: a real visitor also loads the form and
the thanks page.

    .venv/bin/python bench/capacity.py                      # SQLite, 60 s steps (about 10 minutes)
    .venv/bin/python bench/capacity.py --quick              # 10 s steps, for development
    .venv/bin/python scripts/postgres.py .venv/bin/python bench/capacity.py --database-url from-env

The per-case CPU of each stage of our own code (form POST, case_route, each
notification event) comes from ``bench/stages.py``, in one process.
"""

import argparse
import contextlib
import ctypes
import datetime
import os
import platform
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench._common import Customers, Submissions, percentile, submit_steadily  # noqa: E402
from cxportal.runner import free_port, http_ok, redis_command, wait_for_redis  # noqa: E402

PROCFILE = BASE_DIR / "Procfile"
# Process groups whose CPU is reported, in print order. "periodic" also holds beat.
GROUPS = ("web", "routing", "notifications", "periodic", "redis", "postgres")
LOAD_GENERATOR = "load generator"
# Every process on the machine, ours or not: others' work makes a step's figures pessimistic.
MACHINE = "machine"
# Cores other processes may keep busy before the summary calls the figures pessimistic.
BUSY_ELSEWHERE = 0.25
# The queues whose backlog must be empty before a step's CPU is read.
WORK_QUEUES = ("routing", "notifications")
# Below this share of the offered rate, the client could not keep the schedule.
MIN_ACHIEVED = 0.95
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- Starting and stopping the production shape ---------------------------------


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


# --- CPU from /proc --------------------------------------------------------------


def _read_processes() -> dict[int, tuple[int, int]]:
    """Every process: pid -> (parent pid, ticks of its own CPU plus that of the children it reaped)."""
    processes = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:  # gone since the listing
            continue
        # The command name may hold spaces and parentheses: the fields start after the last ")".
        fields = stat.rsplit(")", 1)[1].split()
        utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
        processes[int(entry.name)] = (int(fields[1]), utime + stime + cutime + cstime)
    return processes


def _own_ticks() -> int:
    fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    # Every thread of this process, not its children: those are the site, counted per group.
    return int(fields[11]) + int(fields[12])


def _machine_ticks() -> int:
    # /proc/stat's first line: user nice system idle iowait irq softirq steal ...; not idle, not iowait.
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return user + nice + system + irq + softirq + steal


def cpu_seconds(roots: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds so far of each group: its root processes and all their descendants.

    A process that exited was reaped by its parent, whose cumulative
    children's time then holds it: summing every live process's own and
    reaped-children time counts each process of the tree once, however
    many pool processes or database backends came and went.
    """
    processes = _read_processes()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _ticks) in processes.items():
        children.setdefault(ppid, []).append(pid)
    result = {}
    for group, pids in roots.items():
        ticks, todo = 0, [p for p in pids if p in processes]
        while todo:
            pid = todo.pop()
            ticks += processes[pid][1]
            todo.extend(children.get(pid, ()))
        result[group] = ticks / CLOCK_TICKS
    result[LOAD_GENERATOR] = _own_ticks() / CLOCK_TICKS
    result[MACHINE] = _machine_ticks() / CLOCK_TICKS
    return result


def postgres_server_pid() -> int | None:
    """The PostgreSQL postmaster's pid when it runs on this machine; None otherwise.

    Our own connection's backend is a child of the postmaster, and every
    other backend (web, workers, beat) is a sibling of it.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    try:
        stat = Path(f"/proc/{backend}/stat").read_text()
        postmaster = int(stat.rsplit(")", 1)[1].split()[1])
        if Path(f"/proc/{postmaster}/comm").read_text().strip() != "postgres":
            return None
    except OSError:  # a server on another machine (or in another pid namespace)
        return None
    return postmaster


def group_roots(site: Site, postmaster: int | None) -> dict[str, list[int]]:
    pid = {name: process.pid for name, process in site.processes.items()}
    roots = {
        "web": [pid["web"]],
        "routing": [pid["routing"]],
        "notifications": [pid["notifications"]],
        "periodic": [pid["periodic"], pid["beat"]],
        "redis": [pid["redis"]],
    }
    if postmaster:
        roots["postgres"] = [postmaster]
    return roots


# --- One step ----------------------------------------------------------------------


def _chunks(values: list, size: int = 5000) -> Iterator[list]:
    # SQLite limits the parameters of one statement.
    for i in range(0, len(values), size):
        yield values[i : i + size]


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


@dataclass
class Step:
    rate: float
    seconds: float
    submissions: Submissions
    latencies_ms: list[float]
    routed_ms: list[float]  # the part of each latency until the case was routed
    lost: int
    cpu: dict[str, float]  # seconds used by each group during the step
    wall: float
    emails: int
    mail_files: int
    events: dict[str, Counter]
    p95_limit_ms: float
    settled: bool = True

    @property
    def cases(self) -> int:
        return len(self.submissions.references)

    @property
    def reasons(self) -> list[str]:
        """Why the step failed; empty when it passed."""
        reasons = []
        p95 = percentile(self.latencies_ms, 95)
        if not p95 <= self.p95_limit_ms:
            reasons.append(f"p95 {p95:.0f} > {self.p95_limit_ms:g} ms")
        if self.lost:
            reasons.append(f"{self.lost} lost")
        if self.submissions.errors:
            reasons.append(f"{self.submissions.errors} HTTP errors")
        if not self.submissions.achieved_rate >= MIN_ACHIEVED * self.rate:
            reasons.append(f"sent {self.submissions.achieved_rate:.1f}/s < {MIN_ACHIEVED:.0%} of offered")
        return reasons

    @property
    def passed(self) -> bool:
        return not self.reasons

    def cpu_ms_per_case(self, group: str) -> float:
        return self.cpu[group] * 1000 / self.cases if self.cases else float("nan")

    @property
    def site_cpu(self) -> float:
        return sum(v for k, v in self.cpu.items() if k in GROUPS)

    @property
    def cores_busy(self) -> float:
        """Cores the site and the load generator kept busy, on average over the step."""
        return (self.site_cpu + self.cpu[LOAD_GENERATOR]) / self.wall

    @property
    def others_busy(self) -> float:
        """Cores other processes on the machine kept busy meanwhile."""
        return max(0.0, self.cpu[MACHINE] / self.wall - self.cores_busy)


def drain(references: list[str], timeout: float) -> tuple[list[float], list[float], int]:
    """Wait up to ``timeout`` s for every owner's "routed" notification.

    Returns the end-to-end latencies (ms) of the notified cases, the part of
    each until the case was routed (ms), and how many cases were lost.
    """
    from feedback.models import Case
    from notifications.models import Notification

    ids = []
    for chunk in _chunks(references):
        ids += Case.objects.filter(reference__in=chunk).values_list("pk", flat=True)
    deadline = time.monotonic() + timeout
    while True:
        sent = sum(
            Notification.objects.filter(case_id__in=chunk, event="routed", sent_at__isnull=False).count()
            for chunk in _chunks(ids)
        )
        if sent >= len(references) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    latencies, to_routed = [], []
    for chunk in _chunks(ids):
        cases = {
            pk: (created, routed)
            for pk, created, routed in Case.objects.filter(pk__in=chunk, routed_at__isnull=False).values_list(
                "pk", "created_at", "routed_at"
            )
        }
        for case_id, sent_at in Notification.objects.filter(
            case_id__in=chunk, event="routed", sent_at__isnull=False
        ).values_list("case_id", "sent_at"):
            if case_id in cases:
                created, routed = cases[case_id]
                latencies.append((sent_at - created).total_seconds() * 1000)
                to_routed.append((routed - created).total_seconds() * 1000)
    return latencies, to_routed, len(references) - len(latencies)


def notification_counts(references: list[str]) -> dict[str, Counter]:
    """Per event, how many of the step's notifications are in each status."""
    from django.db.models import Count

    from notifications.models import Notification

    events: dict[str, Counter] = {}
    for chunk in _chunks(references):
        rows = (
            Notification.objects.filter(case__reference__in=chunk)
            .values_list("event", "status")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for event, status, n in rows:
            events.setdefault(event, Counter())[status] += n
    return events


def mail_files(mail_dir: Path) -> set[str]:
    return {p.name for p in mail_dir.iterdir()} if mail_dir.exists() else set()


def count_emails(mail_dir: Path, known: set[str]) -> tuple[int, int]:
    """Emails, and files holding them, that the file backend wrote since ``known`` was listed."""
    new = mail_files(mail_dir) - known
    emails = 0
    for name in new:
        # The file backend writes each message followed by a line of 79 dashes.
        with contextlib.suppress(OSError):
            emails += (mail_dir / name).read_bytes().count(b"\n" + b"-" * 79 + b"\n")
    return emails, len(new)


@dataclass
class Bench:
    site: Site
    customers: Customers
    roots: dict[str, list[int]]
    args: argparse.Namespace
    next_n: int = 0

    def run(self, rate: float, seconds: float) -> Step:
        """Offer ``rate`` submissions/s for ``seconds``, drain, settle; what it took."""
        mail_before = mail_files(self.site.mail_dir)
        before = cpu_seconds(self.roots)
        started = time.monotonic()
        submissions = submit_steadily(
            self.customers, rate, seconds, start_n=self.next_n, tag=f"Capacity {rate:g}/s"
        )
        self.next_n += int(rate * seconds)
        latencies, routed, lost = drain(submissions.references, self.args.drain)
        # The acknowledgements and anything else the step queued, so its CPU is all in.
        settled = settle(self.site.redis_url, self.args.settle)
        after = cpu_seconds(self.roots)
        wall = time.monotonic() - started
        emails, files = count_emails(self.site.mail_dir, mail_before)
        return Step(
            rate=rate,
            seconds=seconds,
            submissions=submissions,
            latencies_ms=latencies,
            routed_ms=routed,
            lost=lost,
            cpu={k: after[k] - before[k] for k in after},
            wall=wall,
            emails=emails,
            mail_files=files,
            events=notification_counts(submissions.references),
            p95_limit_ms=self.args.p95_ms,
            settled=settled,
        )


# --- Output ------------------------------------------------------------------------

HEADER = (
    f"{'offered':>8} {'sent':>7} {'cases':>6}  {'HTTP p50/p95 ms':>15}  "
    f"{'end-to-end p50/p95/p99 ms':>25}  {'lost':>4}  verdict"
)


def step_lines(step: Step) -> list[str]:
    s, ms = step.submissions, step.latencies_ms
    http = f"{percentile(s.http_times, 50) * 1000:.0f} / {percentile(s.http_times, 95) * 1000:.0f}"
    e2e = f"{percentile(ms, 50):.0f} / {percentile(ms, 95):.0f} / {percentile(ms, 99):.0f}"
    verdict = "pass" if step.passed else "FAIL: " + ", ".join(step.reasons)
    lines = [
        f"{step.rate:>6.1f}/s {s.achieved_rate:>5.1f}/s {step.cases:>6}  {http:>15}  {e2e:>25}  "
        f"{step.lost:>4}  {verdict}"
    ]
    notify = [e - r for e, r in zip(ms, step.routed_ms, strict=True)]
    lines.append(
        f"    end-to-end split p50/p95: submitted -> routed {percentile(step.routed_ms, 50):.0f} / "
        f"{percentile(step.routed_ms, 95):.0f} ms, routed -> owner notified "
        f"{percentile(notify, 50):.0f} / {percentile(notify, 95):.0f} ms"
    )
    lines.append("    CPU ms/case  " + cpu_line(step))
    events = ", ".join(f"{event} {c['sent']}/{sum(c.values())}" for event, c in sorted(step.events.items()))
    lines.append(
        f"    sent/recorded notifications: {events or 'none'}; "
        f"emails written {step.emails} in {step.mail_files} files"
    )
    if not step.settled:
        lines.append("    (queues still busy after --settle seconds: the next step starts with a backlog)")
    return lines


def cpu_line(step: Step) -> str:
    parts = [f"{g} {step.cpu_ms_per_case(g):.1f}" for g in GROUPS if g in step.cpu]
    site = step.site_cpu * 1000 / step.cases if step.cases else float("nan")
    total = (step.site_cpu + step.cpu[LOAD_GENERATOR]) * 1000 / step.cases if step.cases else float("nan")
    return (
        ", ".join(parts)
        + f" | site {site:.1f}, load generator {step.cpu_ms_per_case(LOAD_GENERATOR):.1f}, all {total:.1f}"
        + f" | cores busy: ours {step.cores_busy:.2f}, other processes {step.others_busy:.2f}"
    )


def machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)

    def git(*argv: str) -> str:
        result = subprocess.run(["git", *argv], cwd=BASE_DIR, capture_output=True, text=True)
        return result.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    if git("status", "--porcelain", "--untracked-files=no"):
        commit += " with uncommitted changes"
    return {
        "cores": f"{len(os.sched_getaffinity(0))} usable of {os.cpu_count()}",
        "cpu": model.group(1).strip() if model else platform.processor() or "unknown",
        "system": f"Linux {platform.release()}, Python {platform.python_version()}",
        "commit": commit,
    }


def database_description() -> str:
    import sqlite3

    from django.db import connection

    if connection.vendor == "sqlite":
        return f"SQLite {sqlite3.sqlite_version} (a file, WAL)"
    if connection.vendor == "postgresql":
        major, minor = divmod(connection.pg_version, 10000)
        host = connection.settings_dict.get("HOST") or "a local socket"
        return f"PostgreSQL {major}.{minor} at {host}"
    return connection.vendor


def quiet_warning(steps: list[Step]) -> list[str]:
    """A warning when other processes competed for the cores during the steps."""
    busiest = max((s.others_busy for s in steps), default=0.0)
    if busiest <= BUSY_ELSEWHERE:
        return []
    return [
        f"WARNING: other processes kept up to {busiest:.2f} cores busy during the steps: the rates "
        "and latencies are pessimistic; run again on a quiet machine to quote them."
    ]


def summary(
    steps: list[Step], idle: dict[str, float], shape: str, database: str, args: argparse.Namespace
) -> list[str]:
    passing = [s for s in steps if s.passed]
    best = max(passing, key=lambda s: s.rate, default=None)
    failing = min((s for s in steps if not s.passed), key=lambda s: s.rate, default=None)
    lines = ["", "=== Capacity summary ==="]
    lines += [f"{k:<13}{v}" for k, v in machine().items()]
    lines += [
        f"{'date':<13}{datetime.datetime.now().astimezone().date().isoformat()}",
        f"{'database':<13}{database}",
        f"{'processes':<13}{shape}",
        f"{'criterion':<13}p95 submission -> owner's 'routed' notification sent <= {args.p95_ms:g} ms, "
        f"none lost after {args.drain:g} s, no HTTP error, >= {MIN_ACHIEVED:.0%} of the offered rate sent; "
        f"{args.seconds:g} s per step",
        f"{'steps':<13}"
        + ", ".join(
            f"{s.rate:g}/s {'pass' if s.passed else 'fail'}" for s in sorted(steps, key=lambda s: s.rate)
        ),
    ]
    if best is None:
        lines.append("No rate passed" + (f" (lowest tried {failing.rate:g}/s)." if failing else "."))
        return lines + quiet_warning(steps)
    ms, http = best.latencies_ms, best.submissions.http_times
    lines.append(
        f"HIGHEST SUSTAINED RATE: {best.rate:g} submissions/s "
        f"(end-to-end p50 {percentile(ms, 50):.0f} ms, p95 {percentile(ms, 95):.0f} ms, "
        f"p99 {percentile(ms, 99):.0f} ms; HTTP p95 {percentile(http, 95) * 1000:.0f} ms; {best.cases} cases)"
    )
    if failing and failing.rate > best.rate:
        lines.append(f"first failing rate: {failing.rate:g}/s ({', '.join(failing.reasons)})")
    elif not failing:
        lines.append("no step failed: the capacity is higher; raise --max-steps or --step")
    lines.append(f"CPU per case at {best.rate:g}/s, ms (from /proc, drain and settle included):")
    width = max(len(g) for g in (*GROUPS, LOAD_GENERATOR, "site total"))
    for group in (*GROUPS, LOAD_GENERATOR):
        if group in best.cpu:
            name = "periodic+beat" if group == "periodic" else group
            lines.append(
                f"  {name:<{width}} {best.cpu_ms_per_case(group):7.2f}"
                f"   (idle: {idle.get(group, 0) * 1000:.1f} ms/s)"
            )
    site = best.site_cpu * 1000 / best.cases
    everything = site + best.cpu_ms_per_case(LOAD_GENERATOR)
    lines += [
        f"  {'site total':<{width}} {site:7.2f}   (without the load generator)",
        f"  {'all':<{width}} {everything:7.2f}   (with it)",
        f"  {best.cores_busy:.2f} cores busy over the step's {best.wall:.0f} s (submitting, draining and "
        f"settling); other processes on the machine {best.others_busy:.2f} cores meanwhile",
        "CPU per notification event and per stage of our code (one process): "
        + (
            ".venv/bin/python scripts/postgres.py .venv/bin/python bench/stages.py --database-url from-env"
            if database.startswith("PostgreSQL")
            else ".venv/bin/python bench/stages.py"
        ),
    ]
    return lines + quiet_warning(steps)


# --- Main --------------------------------------------------------------------------


def next_rates(args: argparse.Namespace) -> Iterator[float]:
    """The step-up rates: start, start + step, ... (at most --max-steps)."""
    for i in range(args.max_steps):
        yield args.start_rate + i * args.step


def bisect_rate(low: float, high: float, resolution: float) -> float | None:
    """The rate halfway, rounded to ``resolution``; None when nothing is left between them."""
    mid = round((low + high) / 2 / resolution) * resolution
    return mid if low < mid < high else None


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each step (default 60)")
    parser.add_argument("--quick", action="store_true", help="development: 10 s steps, shorter drain")
    parser.add_argument("--p95-ms", type=float, default=250.0, help="end-to-end p95 limit (default 250)")
    parser.add_argument("--start-rate", type=float, default=10.0, help="first rate, per second (default 10)")
    parser.add_argument("--step", type=float, default=10.0, help="rate increase per step (default 10)")
    parser.add_argument("--max-steps", type=int, default=8, help="step-up steps at most (default 8)")
    parser.add_argument("--bisect-steps", type=int, default=3, help="bisection steps at most (default 3)")
    parser.add_argument(
        "--resolution", type=float, default=1.0, help="bisection stops this close (default 1/s)"
    )
    parser.add_argument(
        "--drain", type=float, default=60.0, help="seconds after the last submission (default 60)"
    )
    parser.add_argument(
        "--settle", type=float, default=600.0, help="seconds for a backlog to clear (default 600)"
    )
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds at the start rate, not counted")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle CPU measured (default 10)")
    parser.add_argument("--threads", type=int, default=32, help="client threads (default 32)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--routing-concurrency", type=int, default=2, help="routing processes (default 2)")
    parser.add_argument(
        "--notification-concurrency", type=int, default=4, help="notification processes (default 4)"
    )
    parser.add_argument(
        "--database-url",
        help="'from-env' for $DATABASE_URL, or a URL; it is migrated and seeded with the demo "
        "(default: a fresh SQLite file)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, mail)")
    args = parser.parse_args()
    if args.quick:
        args.seconds = min(args.seconds, 10.0)
        args.drain = min(args.drain, 20.0)
        args.warmup = min(args.warmup, 5.0)
        args.idle = min(args.idle, 5.0)
    return args


def main() -> int:
    args = parse_args()
    if args.database_url == "from-env":
        if not os.environ.get("DATABASE_URL"):
            sys.exit("--database-url from-env: DATABASE_URL is not set")
        args.database_url = os.environ["DATABASE_URL"]
    var_dir = Path(tempfile.mkdtemp(prefix="cx-capacity-"))
    database_url = args.database_url or f"sqlite:///{var_dir / 'db.sqlite3'}"

    # SIGTERM (a CI timeout, kill) must stop the site too: the same path as Ctrl-C.
    def interrupted(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, interrupted)
    print(f"Starting the Procfile's processes on loopback (var: {var_dir}) ...", flush=True)
    site = start_site(var_dir, database_url, args)
    shape = (
        f"web {args.web_workers} gunicorn workers; routing {args.routing_concurrency}, "
        f"notifications {args.notification_concurrency} and periodic 1 Celery processes; beat; "
        f"embedded Redis"
    )
    steps: list[Step] = []
    ok, database = False, ""
    try:
        database = database_description()
        postmaster = postgres_server_pid()
        if database.startswith("PostgreSQL") and not postmaster:
            print("PostgreSQL runs elsewhere: its server CPU is not counted.", flush=True)
        bench = Bench(site, Customers(site.url, args.threads), group_roots(site, postmaster), args)
        print(f"{database}; {shape}; site {site.url}", flush=True)

        # Every web and pool process imports, compiles templates and loads the triage model on
        # its first cases: that is start-up, not the cost of a case.
        bench.run(args.start_rate, args.warmup)
        # What the site costs doing nothing (beat, heartbeats, Redis): part of every step's figure.
        before = cpu_seconds(bench.roots)
        time.sleep(args.idle)
        after = cpu_seconds(bench.roots)
        idle = {k: (after[k] - before[k]) / args.idle for k in after}
        print(
            f"warm-up done; the idle site uses {sum(idle.get(g, 0) for g in GROUPS) * 1000:.0f} ms/s of CPU",
            flush=True,
        )

        print(f"\nSteps of {args.seconds:g} s; p95 limit {args.p95_ms:g} ms")
        print(HEADER)

        def one(rate: float) -> Step:
            step = bench.run(rate, args.seconds)
            steps.append(step)
            print("\n".join(step_lines(step)), flush=True)
            dead = site.dead()
            if dead:
                raise RuntimeError(f"{', '.join(dead)} exited; see {var_dir / 'logs'}")
            if not step.settled:
                raise RuntimeError("the backlog did not clear; the next step would not be comparable")
            return step

        low, high = 0.0, None
        for rate in next_rates(args):
            if one(rate).passed:
                low = rate
            else:
                high = rate
                break
        for _ in range(args.bisect_steps if high is not None else 0):
            rate = bisect_rate(low, high, args.resolution)
            if rate is None:
                break
            if one(rate).passed:
                low = rate
            else:
                high = rate
        ok = any(s.passed for s in steps)
        print("\n".join(summary(steps, idle, shape, database, args)), flush=True)
    except (KeyboardInterrupt, RuntimeError) as exc:
        print(f"\nStopped: {exc or 'interrupted'}", file=sys.stderr)
        if steps:
            print("\n".join(summary(steps, {}, shape, database, args)), flush=True)
        args.keep = True
    except Exception:
        args.keep = True  # the processes' logs say what the traceback does not
        raise
    finally:
        from django.db import connections

        connections.close_all()
        site.stop()
        if args.keep:
            print(f"Kept {var_dir} (logs/, mail/)")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
