"""CPU time per process, from /proc (and psutil): what the benchmarks charge each part of the site.

``cpu_seconds`` sums process groups (a Procfile process with every process
below it) for ``bench/capacity.py`` and ``bench/floor.py``;
``tree_cpu_seconds`` and ``postgres_cpu_seconds`` do the same with psutil
for ``bench/scale.py``, whose workers are killed and started again; both
read the whole machine's busy time with ``machine_cpu_seconds``.
"""

import contextlib
import os
from pathlib import Path

from bench._production import Site

# Process groups whose CPU is reported, in print order. "periodic" also holds beat.
GROUPS = ("web", "routing", "notifications", "periodic", "redis", "postgres")
LOAD_GENERATOR = "load generator"
# Every process on the machine, ours or not: others' work makes a step's figures pessimistic.
MACHINE = "machine"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


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


def machine_cpu_seconds() -> float:
    """CPU time the whole machine has spent busy (/proc/stat): every process, ours or not."""
    # /proc/stat's first line: user nice system idle iowait irq softirq steal ...; not idle, not iowait.
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


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
    result[MACHINE] = machine_cpu_seconds()
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
