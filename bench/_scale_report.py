"""What ``bench/scale.py`` prints at the end: the machine, the settings, and a table and details per M."""

import os
import platform
from pathlib import Path

from bench._scale_step import Config, Step


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
