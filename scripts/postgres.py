"""A throwaway PostgreSQL cluster on loopback, for the test suite and the benchmarks.

    .venv/bin/python scripts/postgres.py .venv/bin/pytest tests/dashboards

starts a cluster in a temporary directory (as the ``postgres`` system user
when run as root: PostgreSQL refuses to run as root), runs the command with
``DATABASE_URL`` pointing at it, then stops and removes it. The command's
exit status is this script's. ``initdb`` and ``pg_ctl`` are looked for on
the PATH, then under Debian's ``/usr/lib/postgresql/<version>/bin``.
"""

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path


def _bin(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if not found:
        raise SystemExit(f"{name} not found: install PostgreSQL (Debian: apt-get install postgresql).")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    """A throwaway PostgreSQL cluster on loopback; ``url`` is its DATABASE_URL."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="cx-pg-"))
        self.port = _free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.dir, "postgres")
        data = self.dir / "data"
        self._run(_bin("initdb"), "-D", str(data), "-U", "cx", "--auth=trust", "-E", "UTF8")
        # fsync off: the cluster is thrown away, and the suite should not wait on the disk.
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(_bin("pg_ctl"), "-D", str(data), "-l", str(self.dir / "log"), "-w", "-o", options, "start")
        self.url = f"postgres://cx@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        subprocess.run([*self.as_postgres, *command], check=True, capture_output=True)

    def stop(self) -> None:
        self._run(_bin("pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "Postgres":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> int:
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    with Postgres() as server:
        print(f"PostgreSQL on {server.url}", flush=True)
        return subprocess.run(sys.argv[1:], env={**os.environ, "DATABASE_URL": server.url}).returncode


if __name__ == "__main__":
    sys.exit(main())
