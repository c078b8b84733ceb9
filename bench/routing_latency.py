"""Routing latency: from a customer's submission to the owner's notification being recorded.

Starts the whole site (``manage.py runportal --demo``: embedded Redis, a
Celery worker, beat, the web server) on free ports with its own var/
directory and SQLite database — or attaches to a running one with ``--url``
and ``--database-url`` — then submits complaints through the public form at
a steady rate, waits for the queue to drain and prints, from the database:

* p50/p95/p99 of (owner's "routed" Notification.sent_at - Case.created_at),
* how many submitted cases were lost (not routed, or the owner not notified).

    .venv/bin/python bench/routing_latency.py                  # 20/s for 30 s
    .venv/bin/python bench/routing_latency.py --rate 40 --seconds 10
    .venv/bin/python bench/routing_latency.py --database-url postgres://u:p@host/db

Target (issue 4): p95 <= 500 ms at 20 submissions/s, no case lost.
"""

import argparse
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench._common import Customers, percentile, submit_steadily  # noqa: E402
from cxportal.runner import free_port, http_ok  # noqa: E402

BANNER = "CX Portal is running."


def start_portal(database_url: str, var_dir: Path) -> tuple[subprocess.Popen, str]:
    port, redis_port = free_port(), free_port()
    env = {
        **os.environ,
        "DEBUG": "1",
        "CX_VAR_DIR": str(var_dir),
        "DATABASE_URL": database_url,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(var_dir / "mail"),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        # The public form allows 20 submissions per client and hour; the bench is one client.
        "CX_SUBMISSIONS_PER_HOUR": "1000000",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "EMAIL_URL", "SITE_URL"):
        env.pop(name, None)
    log = (var_dir / "runportal.log").open("wb")
    argv = [sys.executable, str(BASE_DIR / "manage.py"), "runportal", "--demo"]
    argv += ["--port", str(port), "--redis-port", str(redis_port)]
    process = subprocess.Popen(
        argv, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while BANNER not in (var_dir / "runportal.log").read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_portal(process)
            sys.exit(f"runportal did not start; see {var_dir / 'runportal.log'}")
        time.sleep(0.5)
    if not http_ok(f"{url}/health/"):
        print(f"warning: {url}/health/ is not ready yet", file=sys.stderr)
    return process, url


def stop_portal(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def measure(references: list[str], drain: float) -> tuple[list[float], list[str]]:
    """Latencies (s) of notified cases and the references still missing after ``drain`` s."""
    from feedback.models import Case
    from notifications.models import Notification

    deadline = time.monotonic() + drain
    while True:
        done = dict(
            Notification.objects.filter(
                case__reference__in=references, event="routed", sent_at__isnull=False
            ).values_list("case__reference", "sent_at")
        )
        if len(done) == len(references) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    created = dict(Case.objects.filter(reference__in=references).values_list("reference", "created_at"))
    latencies = [(done[r] - created[r]).total_seconds() for r in references if r in done and r in created]
    return latencies, [r for r in references if r not in done]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=20.0, help="submissions per second (default 20)")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to submit (default 30)")
    parser.add_argument("--drain", type=float, default=60.0, help="seconds to wait for stragglers")
    parser.add_argument("--threads", type=int, default=16, help="client threads (default 16)")
    parser.add_argument("--url", help="attach to a running site instead of starting one")
    parser.add_argument("--database-url", help="the site's DATABASE_URL (required with --url)")
    args = parser.parse_args()
    if args.url and not args.database_url:
        parser.error("--url needs --database-url to read the results")

    var_dir = Path(tempfile.mkdtemp(prefix="cx-bench-"))
    database_url = args.database_url or f"sqlite:///{var_dir / 'db.sqlite3'}"
    process = None
    if not args.url:
        print(f"Starting runportal (var: {var_dir}) ...", flush=True)
        process, url = start_portal(database_url, var_dir)
    else:
        url = args.url.rstrip("/")
    try:
        os.environ.update({"DATABASE_URL": database_url, "CX_VAR_DIR": str(var_dir), "DEBUG": "1"})
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxportal.settings")
        import django

        django.setup()
        print(f"Submitting {args.rate:g}/s for {args.seconds:g} s to {url} ...", flush=True)
        run = submit_steadily(Customers(url, args.threads), args.rate, args.seconds)
        references, http_times, errors = run.references, run.http_times, run.errors
        latencies, missing = measure(references, args.drain)
    finally:
        if process:
            stop_portal(process)

    ms = [v * 1000 for v in latencies]
    print()
    print(f"submitted            {len(references)} (HTTP errors: {errors})")
    print(
        f"HTTP response        p50 {percentile(http_times, 50) * 1000:.0f} ms, p95 {percentile(http_times, 95) * 1000:.0f} ms"
    )
    print(
        "submission -> owner notification recorded:"
        f" p50 {percentile(ms, 50):.0f} ms, p95 {percentile(ms, 95):.0f} ms,"
        f" p99 {percentile(ms, 99):.0f} ms, max {max(ms, default=float('nan')):.0f} ms"
        + (f", mean {statistics.mean(ms):.0f} ms" if ms else "")
    )
    print(f"lost (not routed or not notified after {args.drain:g} s drain): {len(missing)}")
    ok = not missing and not errors and percentile(ms, 95) <= 500
    print("target p95 <= 500 ms, none lost:", "MET" if ok else "NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
