"""What ``bench/capacity.py`` prints: a line per step and the summary with the highest sustained rate."""

import argparse
import datetime
import os
import platform
import re
import subprocess
from pathlib import Path

from bench._capacity_step import MIN_ACHIEVED, Step
from bench._common import percentile
from bench._cpu import GROUPS, LOAD_GENERATOR

BASE_DIR = Path(__file__).resolve().parent.parent
# Cores other processes may keep busy before the summary calls the figures pessimistic.
BUSY_ELSEWHERE = 0.25

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
