"""The stack's own cost per request and per task, next to a case's: how far down can a case go?

Starts the Procfile's processes as ``bench/capacity.py`` does (production
settings, PostgreSQL or SQLite, embedded Redis), then measures with /proc,
each for ``--count`` calls at ``--rate`` per second:

* web: ``GET /health/?check=live``, a view that does nothing, through
  gunicorn and every middleware;
* an empty task (Celery's own ``celery.ping``) through the routing worker,
  then through the notifications worker: publishing is the caller's cost,
  receiving, running and acknowledging it the worker's (with our signal
  handlers around each task).

Each line is CPU per call of the process group (its pool processes
included), Redis and PostgreSQL. A case costs one form POST, one routing
task and one notification task; their floors added are what the stack
costs before our code does anything.

    .venv/bin/python scripts/postgres.py .venv/bin/python bench/floor.py --database-url from-env
"""

import argparse
import os
import signal
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench._cpu import cpu_seconds, group_roots, postgres_server_pid  # noqa: E402  (the path above first)
from bench._production import settle, start_site  # noqa: E402


def paced(count: int, rate: float, call) -> None:
    """``call()`` ``count`` times, ``rate`` per second (open loop, as bench/_common.py submits)."""
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        calls = []
        for i in range(count):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            calls.append(pool.submit(call))
    for done in calls:
        done.result()  # a failed call must not pass for a cheap one


def measure(name: str, groups: list[str], roots, count: int, rate: float, call, redis_url: str) -> None:
    time.sleep(2)
    before = cpu_seconds(roots)
    paced(count, rate, call)
    settle(redis_url, timeout=120)
    time.sleep(1)
    after = cpu_seconds(roots)
    parts = {g: (after[g] - before[g]) * 1000 / count for g in [*groups, "redis", "postgres"] if g in after}
    total = sum(parts.values())
    detail = ", ".join(f"{g} {ms:.2f}" for g, ms in parts.items())
    print(f"  {name:<34} {total:6.2f} ms per call  ({detail})", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1500, help="calls per measurement (default 1500)")
    parser.add_argument("--rate", type=float, default=50.0, help="calls per second (default 50)")
    parser.add_argument("--database-url", help="'from-env' for $DATABASE_URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    if args.database_url == "from-env":
        args.database_url = os.environ["DATABASE_URL"]
    var_dir = Path(tempfile.mkdtemp(prefix="cx-floor-"))
    database_url = args.database_url or f"sqlite:///{var_dir / 'db.sqlite3'}"
    site_args = argparse.Namespace(web_workers=2, routing_concurrency=2, notification_concurrency=4)

    def interrupted(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, interrupted)
    site = start_site(var_dir, database_url, site_args)
    try:
        from cxportal.celery import app

        roots = group_roots(site, postgres_server_pid())
        url = f"{site.url}/health/?check=live"

        def get() -> None:
            with urllib.request.urlopen(url, timeout=10) as response:
                response.read()

        print(f"{args.count} calls each at {args.rate:g}/s; CPU from /proc:", flush=True)
        measure("web: an empty view", ["web"], roots, args.count, args.rate, get, site.redis_url)
        for queue in ("routing", "notifications"):
            measure(
                f"empty task, {queue} worker",
                [queue],
                roots,
                args.count,
                args.rate,
                lambda queue=queue: app.send_task("celery.ping", queue=queue),
                site.redis_url,
            )
    finally:
        site.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
