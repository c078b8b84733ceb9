"""The processes a command started, read from Linux's /proc: to find each part and prove none outlives a stop."""

import contextlib
from pathlib import Path

from .parts import wait_for


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


def nothing_left_running(processes: dict[int, str], timeout: float = 5) -> dict[int, str]:
    """Those of ``processes`` still running once the last ones had ``timeout`` s to be reaped."""

    def left() -> dict[int, str]:
        return {pid: cmd for pid, cmd in processes.items() if running(pid)}

    # The caller asserts on what is left, which names the processes.
    with contextlib.suppress(AssertionError):
        wait_for(lambda: not left(), timeout=timeout, what="every process to be reaped", interval=0.1)
    return left()
