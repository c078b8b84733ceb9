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
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench._capacity_report import HEADER, database_description, step_lines, summary  # noqa: E402
from bench._capacity_step import Bench, Step  # noqa: E402
from bench._common import Customers  # noqa: E402
from bench._cpu import GROUPS, cpu_seconds, group_roots, postgres_server_pid  # noqa: E402
from bench._production import start_site  # noqa: E402


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
