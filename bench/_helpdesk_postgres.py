"""PostgreSQL for ``bench/helpdesk.py``: a database of its own, and the server's CPU read from ``/proc``."""

import os
from pathlib import Path


def _proc_stat(pid: int) -> list[str] | None:
    """Fields 3 onwards of /proc/<pid>/stat (after the command name, which may hold spaces)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2 :].split()


def _is_postgres_process(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == "postgres"
    except OSError:
        return False


def postmaster_of(backend_pid: int) -> int | None:
    """The postmaster whose child ``backend_pid`` is, when that server runs on this machine.

    Found from the benchmark's own connection rather than by process name,
    so that another cluster running here (another benchmark's) is not
    counted. On another machine or in a container the pid is not ours to
    read, or is some other process: then None.
    """
    stat = _proc_stat(backend_pid)
    if stat is None or not _is_postgres_process(backend_pid):
        return None
    parent = int(stat[1])
    return parent if _is_postgres_process(parent) else None


def cpu_ticks(postmaster: int, backend: int) -> tuple[int, int]:
    """CPU clock ticks so far of the whole cluster and of one backend.

    The cluster's: the postmaster's own utime + stime, plus its cutime +
    cstime (children it has reaped: backends and autovacuum workers that
    exited), plus utime + stime of its live children.
    """
    # Fields 14-17 of /proc/<pid>/stat: utime, stime, cutime, cstime.
    cluster = backend_ticks = 0
    own = _proc_stat(postmaster)
    if own is not None:
        cluster += sum(int(value) for value in own[11:15])
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        stat = _proc_stat(int(entry.name))
        if stat is None or int(stat[1]) != postmaster:
            continue
        ticks = int(stat[11]) + int(stat[12])
        cluster += ticks
        if int(entry.name) == backend:
            backend_ticks = ticks
    return cluster, backend_ticks


def create_database(url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as connection:
        force = " WITH (FORCE)" if connection.info.server_version >= 130000 else ""
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}" + force).format(sql.Identifier(name)))
