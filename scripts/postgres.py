"""A throwaway PostgreSQL cluster on loopback, for the test suite and the benchmarks.

    .venv/bin/python scripts/postgres.py .venv/bin/pytest tests/dashboards

starts a cluster in a temporary directory (as the ``postgres`` system user
when run as root: PostgreSQL refuses to run as root), runs the command with
``DATABASE_URL`` pointing at it, then stops and removes it. The command's
exit status is this script's. ``initdb`` and ``pg_ctl`` are looked for on
the PATH, then under Debian's ``/usr/lib/postgresql/<version>/bin``; without
them the command is skipped with a message, unless ``CX_REQUIRE_POSTGRES``
is set (CI sets it, so a missing PostgreSQL fails there instead).
"""

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path


class Missing(Exception):
    """PostgreSQL's programs are not installed."""


def _bin(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if not found:
        raise Missing(f"{name} not found: install PostgreSQL (Debian: apt-get install postgresql).")
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
        try:
            self._run(_bin("initdb"), "-D", str(data), "-U", "cx", "--auth=trust", "-E", "UTF8")
            # fsync off: the cluster is thrown away, and the suite should not wait on the disk.
            options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
            self._run(
                _bin("pg_ctl"), "-D", str(data), "-l", str(self.dir / "log"), "-w", "-o", options, "start"
            )
        except BaseException:
            log = self.dir / "log"
            if log.exists():
                sys.stderr.write(log.read_text(errors="replace"))
            shutil.rmtree(self.dir, ignore_errors=True)
            raise
        self.url = f"postgres://cx@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        result = subprocess.run([*self.as_postgres, *command], capture_output=True, text=True)
        if result.returncode:
            sys.stderr.write(result.stdout + result.stderr)
            raise subprocess.CalledProcessError(result.returncode, command)

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
    try:
        server = Postgres()
    except Missing as missing:
        if os.environ.get("CX_REQUIRE_POSTGRES"):
            raise SystemExit(str(missing)) from None
        print(f"Skipping the PostgreSQL run: {missing}", flush=True)
        return 0
    with server:
        print(f"PostgreSQL on {server.url}", flush=True)
        return subprocess.run(sys.argv[1:], env={**os.environ, "DATABASE_URL": server.url}).returncode


if __name__ == "__main__":
    sys.exit(main())
