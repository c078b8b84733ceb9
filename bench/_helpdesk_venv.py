"""The cached virtualenv ``bench/helpdesk.py`` runs django-helpdesk in, and what pip put in it."""

import fcntl
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HELPDESK_VERSION = "2.6.1"


def progress(message: str) -> None:
    """Progress goes to stderr, so that stdout is the summary (and the JSON line) alone."""
    print(message, file=sys.stderr, flush=True)


def base_python() -> str:
    """The interpreter this Python was made from (itself when it is not a virtualenv's)."""
    candidate = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    return str(candidate) if candidate.exists() else sys.executable


def psycopg_requirement() -> str:
    """psycopg as pinned in requirements.txt: the same driver as ours, so it is not a difference."""
    requirements = ROOT / "requirements.txt"
    if requirements.exists():
        for line in requirements.read_text().splitlines():
            if re.match(r"psycopg(\[[^]]*\])?\s*==", line.strip()):
                return line.split("#")[0].strip()
    return "psycopg[binary]"


def _pip(python: Path, *requirements: str) -> None:
    # pip's output is kept quiet unless it fails: it would drown the summary.
    result = subprocess.run(
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--no-input", *requirements],
        capture_output=True,
        text=True,
    )
    if result.returncode:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"pip install {' '.join(requirements)} failed (exit status {result.returncode})")


def _imports(python: Path, module: str) -> bool:
    if not python.exists():
        return False
    return subprocess.run([str(python), "-c", f"import {module}"], capture_output=True).returncode == 0


def ensure_venv(with_psycopg: bool) -> Path:
    """The cached virtualenv's python, made or completed first if needed.

    The cache is keyed by helpdesk's version and the Python version (a
    virtualenv only works with the interpreter that made it). A lock keeps two
    runs started at once from building it together; the marker file, written
    last, tells a finished virtualenv from one an interrupted run left behind.
    """
    python_tag = f"{sys.version_info.major}.{sys.version_info.minor}"
    venv = Path(tempfile.gettempdir()) / f"cx-bench-helpdesk-{HELPDESK_VERSION}-py{python_tag}"
    python = venv / "bin" / "python"
    marker = venv / "cx-bench-ready"
    with open(f"{venv}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists() and not _imports(python, "helpdesk"):
            marker.unlink()  # the base interpreter changed or the virtualenv was damaged
        if not marker.exists():
            shutil.rmtree(venv, ignore_errors=True)
            progress(
                f"Creating {venv} with {base_python()} and installing django-helpdesk=={HELPDESK_VERSION}"
            )
            subprocess.run([base_python(), "-m", "venv", str(venv)], check=True)
            _pip(python, f"django-helpdesk=={HELPDESK_VERSION}")
            marker.write_text(f"django-helpdesk=={HELPDESK_VERSION}\n")
        if with_psycopg and not _imports(python, "psycopg"):
            progress(f"Installing {psycopg_requirement()} into {venv}")
            _pip(python, psycopg_requirement())
    return python


def packages(python: Path) -> dict[str, str]:
    """Every package in the virtualenv and its version, as pip resolved them."""
    frozen = subprocess.run(
        [str(python), "-m", "pip", "freeze", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pinned = (line.split("==", 1) for line in frozen.splitlines() if "==" in line)
    return {name: version for name, version in pinned}
