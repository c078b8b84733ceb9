"""Server time of the dashboards at growing volumes, on SQLite and PostgreSQL.

    .venv/bin/python bench/dashboard.py                       # 10k and 100k cases, both databases
    .venv/bin/python bench/dashboard.py --sizes 10000,100000,1000000 --backends postgres

For each database it migrates a fresh one, loads the demo organisation,
grows the history with ``generate_cases`` to each size in turn (a year of
cases), stores every day's figures with ``refresh_dashboards --all`` (timed:
what the periodic task does once on a new installation), and times the
executive overview (last 30 and 90 days) and the logistics page (last 30
days) in-process as elena: the median of 5 requests after one warm-up,
server time only. As in production, each request reads the stored days
(today's as far as the last refresh went) and tallies what happened since.
PostgreSQL is started on loopback in a temporary directory
(``scripts/postgres.py``) and removed afterwards; after each load it is
vacuumed and analysed, as autovacuum would have done on a live database.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.postgres import Postgres  # noqa: E402

PYTHON = sys.executable
TARGET_MS = 300  # the overview at 1M cases on PostgreSQL

TIMING = r"""
import statistics, time
from django.contrib.auth import get_user_model
from django.test import Client
client = Client(HTTP_HOST="127.0.0.1")
client.force_login(get_user_model().objects.get(username="elena"))
for url in ("/dashboards/", "/dashboards/?days=90", "/dashboards/logistics/"):
    assert client.get(url).status_code == 200
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        client.get(url)
        runs.append((time.perf_counter() - started) * 1000)
    print(f"TIMING {url} {statistics.median(runs):.0f}")
"""


VACUUM = "from django.db import connection; connection.cursor().execute('VACUUM ANALYZE')"


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def bench(backend: str, sizes: list[int]) -> list[tuple]:
    var = Path(tempfile.mkdtemp(prefix="cx-bench-dash-"))
    server = Postgres() if backend == "postgres" else None
    env = {
        **os.environ,
        "DEBUG": "1",
        "CX_VAR_DIR": str(var),
        "CX_REDIS_CACHE": "0",
        "DATABASE_URL": server.url if server else f"sqlite:///{var / 'db.sqlite3'}",
    }
    rows = []
    try:
        manage(env, "migrate", "-v0")
        manage(env, "seed_demo")
        have = 0
        for size in sizes:
            started = time.monotonic()
            manage(env, "generate_cases", "--count", str(size - have), "--seed", str(size), "--no-rollups")
            have = size
            generated = time.monotonic() - started
            started = time.monotonic()
            manage(env, "refresh_dashboards", "--all")
            rolled_up = time.monotonic() - started
            if server:
                # What autovacuum does on a live database: statistics for the
                # planner and a visibility map for index-only scans.
                manage(env, "shell", "-c", VACUUM)
            print(
                f"  {backend}: {size:,} cases ready ({generated:.0f} s to generate, {rolled_up:.0f} s to roll up)",
                flush=True,
            )
            timings = dict(
                line.split()[1:]
                for line in manage(env, "shell", "-c", TIMING).splitlines()
                if line.startswith("TIMING")
            )
            rows.append(
                (
                    backend,
                    size,
                    int(timings["/dashboards/"]),
                    int(timings["/dashboards/?days=90"]),
                    int(timings["/dashboards/logistics/"]),
                    rolled_up,
                )
            )
    finally:
        if server:
            server.stop()
        shutil.rmtree(var, ignore_errors=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    rows = []
    for backend in args.backends.split(","):
        rows += bench(backend, sizes)
    print()
    print(
        "database  |     cases | overview ms | overview 90 d ms | logistics page ms | roll-up of all days s"
    )
    print(
        "----------+-----------+-------------+------------------+-------------------+----------------------"
    )
    for backend, size, overview, overview_90, team, rolled_up in rows:
        note = (
            f"  (target <= {TARGET_MS} ms at 1M on PostgreSQL)"
            if backend == "postgres" and size >= 1_000_000
            else ""
        )
        print(
            f"{backend:9} | {size:>9,} | {overview:>11} | {overview_90:>16} | {team:>17} | {rolled_up:>20.0f}{note}"
        )


if __name__ == "__main__":
    main()
