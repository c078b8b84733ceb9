"""``manage.py runportal`` starts every part and leaves nothing behind when stopped."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cxportal.runner import free_port, http_ok

from .parts import BASE_DIR, stop_process, wait_for

pytestmark = pytest.mark.integration

BANNER = "CX Portal is running. Ctrl-C stops everything."


def descendants(pid: int) -> dict[int, str]:
    """Every living process below ``pid``, with its command line (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                # The command name may hold spaces and parentheses: split after the last ")".
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    found: dict[int, str] = {}
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found[child] = command_line(child)
            todo.append(child)
    return found


def command_line(pid: int) -> str:
    try:
        return (Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()).strip()
    except OSError:
        return ""


def running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture
def portal(tmp_path):
    """Start runportal on free ports with its own var/ directory and database."""
    port, redis_port = free_port(), free_port()
    env = {
        **os.environ,
        "DEBUG": "1",
        "CX_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "EMAIL_URL", "SITE_URL"):
        env.pop(name, None)
    log_path = tmp_path / "runportal.log"
    argv = [sys.executable, str(BASE_DIR / "manage.py"), "runportal", "--port", str(port)]
    argv += ["--redis-port", str(redis_port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    process.url = f"http://127.0.0.1:{port}"
    process.log = lambda: log_path.read_text(errors="replace")
    started = descendants(process.pid)
    try:
        # The banner comes once the site is ready (or after runportal gave up waiting).
        wait_for(
            lambda: process.poll() is not None or BANNER in process.log(),
            timeout=120,
            what="runportal's banner",
            interval=0.5,
        )
        assert process.poll() is None, "runportal exited during startup"
        assert http_ok(f"{process.url}/health/"), "runportal printed its banner but is not ready"
        yield process
    finally:
        started.update(descendants(process.pid))
        stop_process(process, grace=20)
        for pid in started:  # never leave a part running, even when the test failed
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        print(f"--- runportal output ---\n{process.log()}")


def children_by_role(pid: int) -> dict[str, int]:
    roles = {"redis": "redis-server", "worker": " worker ", "beat": " beat ", "web": "runserver"}
    found = {}
    for child, cmd in descendants(pid).items():
        for role, marker in roles.items():
            if marker in f" {cmd} " and role not in found:
                found[role] = child
    return found


def test_it_starts_every_part_and_ctrl_c_stops_them_all(portal):
    assert set(children_by_role(portal.pid)) == {"redis", "worker", "beat", "web"}
    everything = descendants(portal.pid)
    assert f"Form        {portal.url}/feedback/new/" in portal.log()

    portal.send_signal(signal.SIGINT)

    assert portal.wait(timeout=60) == 0
    time.sleep(0.2)
    assert {pid: cmd for pid, cmd in everything.items() if running(pid)} == {}


def test_when_a_part_dies_it_stops_the_rest_and_fails(portal):
    everything = descendants(portal.pid)
    os.kill(children_by_role(portal.pid)["beat"], signal.SIGKILL)

    assert portal.wait(timeout=60) == 1
    assert "beat exited unexpectedly" in portal.log()
    time.sleep(0.2)
    assert {pid: cmd for pid, cmd in everything.items() if running(pid)} == {}
