"""CPU and SQL per case, stage by stage, in one process: where a case's cost goes.

Seeds the demo organisation into a fresh database (a temporary SQLite file,
or the PostgreSQL database named by ``--database-url``), warms every stage
up, then for ``--cases`` complaints measures with ``time.process_time``:

* web: the public form's POST through the whole middleware stack (test client),
* route: ``case_route`` (what the routing worker runs per case),
* notify: the emails the routing queued (the owner's, the customer's
  acknowledgement) sent in one call, as the notifications worker's one
  task per case does: ``notifications_send``.

and counts SQL statements per stage. The whole-system figures (Celery,
Redis, PostgreSQL server, the web server's own cost) come from
``bench/capacity.py``; this script says which part of our code to cut.

    .venv/bin/python bench/stages.py
    .venv/bin/python scripts/postgres.py .venv/bin/python bench/stages.py --database-url from-env
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

MESSAGES = [
    "Mi pedido {n} no ha llegado, lleva 5 días de retraso",
    "El paquete {n} llegó roto, la caja estaba aplastada",
    "Me han cobrado dos veces el pedido {n}",
    "My order {n} is late, it was promised last week",
]


def start_redis(var_dir: Path) -> tuple[subprocess.Popen, str]:
    """A real Redis for the cache (the set-up version tokens live there, as in production)."""
    from cxportal.runner import free_port, redis_command, wait_for_redis

    port = free_port()
    process = subprocess.Popen(redis_command(port=port, data_dir=var_dir), stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    wait_for_redis(url, timeout=20)
    return process, url


def configure(database_url: str | None) -> subprocess.Popen:
    var_dir = Path(tempfile.mkdtemp(prefix="cx-stages-"))
    redis, redis_url = start_redis(var_dir)
    if database_url == "from-env":
        database_url = os.environ["DATABASE_URL"]
    os.environ.update(
        {
            "DATABASE_URL": database_url or f"sqlite:///{var_dir / 'db.sqlite3'}",
            "CX_VAR_DIR": str(var_dir),
            # Production settings: DEBUG off (no query log, no debug pages).
            "DEBUG": "0",
            "SECRET_KEY": "bench-stages-" + "x" * 40,
            "ALLOWED_HOSTS": "testserver",
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "CX_SUBMISSIONS_PER_HOUR": "1000000",
            "SECURE_SSL_REDIRECT": "0",
            "LOG_LEVEL": "ERROR",
            "REDIS_URL": redis_url,
        }
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxportal.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return redis


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--database-url", help="a DATABASE_URL, or 'from-env' (default: temporary SQLite)")
    parser.add_argument("--profile", choices=("web", "route", "notify"), help="cProfile one stage")
    parser.add_argument("--show-sql", action="store_true", help="print the last case's statements per stage")
    args = parser.parse_args()
    redis = configure(args.database_url)
    try:
        return measure(args)
    finally:
        redis.terminate()


def measure(args: argparse.Namespace) -> int:

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    import notifications.tasks
    import routing.tasks
    from feedback.models import Case
    from notifications.delivery import notifications_send
    from notifications.models import Notification
    from routing.services import case_route

    call_command("migrate", verbosity=0)
    call_command("seed_demo", force=True, verbosity=0)
    # Tasks are queued after commit; here the stages are called by hand instead.
    for task in (
        routing.tasks.route_case,
        notifications.tasks.send_notification,
        notifications.tasks.send_notifications,
        notifications.tasks.send_webhook,
    ):
        task.delay = lambda *a, **k: None

    client = Client(enforce_csrf_checks=False)
    cpu: dict[str, list[float]] = defaultdict(list)
    queries: dict[str, list[int]] = defaultdict(list)
    last_sql: dict[str, list[str]] = {}
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()

    def timed(stage: str, fn, *fn_args, **kwargs):
        with CaptureQueriesContext(connection) as captured:
            if profiler and stage.startswith(args.profile):
                profiler.enable()
            started = time.process_time()
            result = fn(*fn_args, **kwargs)
            cpu[stage].append((time.process_time() - started) * 1000)
            if profiler:
                profiler.disable()
        queries[stage].append(len(captured.captured_queries))
        last_sql[stage] = [q["sql"] for q in captured.captured_queries]
        return result

    def one_case(n: int) -> None:
        data = {
            "kind": "complaint",
            "subject": f"Bench {n}",
            "message": MESSAGES[n % len(MESSAGES)].format(n=n),
            "order_reference": str(n),
            "name": "Bench Customer",
            "email": f"bench{n}@example.com",
        }
        response = timed("web (form POST)", client.post, "/feedback/new/", data)
        assert response.status_code == 302, response.status_code
        case_id = Case.objects.order_by("-pk").values_list("pk", flat=True).first()
        timed("route", case_route, case_id=case_id)
        pending = Notification.objects.filter(case_id=case_id, status="pending").values_list("pk", flat=True)
        sent = timed("notify (owner + acknowledgement)", notifications_send, notification_ids=list(pending))
        assert sent == 2, sent

    for n in range(20):  # warm-up: caches, compiled templates, rule set
        one_case(n)
    cpu.clear()
    queries.clear()
    if profiler:
        profiler = cProfile.Profile()
    for n in range(20, 20 + args.cases):
        one_case(n)

    vendor = connection.vendor
    print(f"{args.cases} cases on {vendor}, DEBUG off, CPU of this process per call:")
    total = 0.0
    for stage, values in cpu.items():
        mean = statistics.mean(values)
        total += mean * len(values) / args.cases
        print(
            f"  {stage:<28} mean {mean:6.2f} ms  p50 {statistics.median(values):6.2f} ms"
            f"  SQL statements {statistics.mean(queries[stage]):5.1f}  (calls {len(values)})"
        )
    print(f"  {'total per case':<28} {total:6.2f} ms (without Celery, Redis and the database server)")
    if args.show_sql:
        for stage, statements in last_sql.items():
            print(f"\n{stage}:")
            for sql in statements:
                print("   ", sql[:220])
    if profiler:
        import pstats

        pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(
            int(os.environ.get("ROWS", "45"))
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
