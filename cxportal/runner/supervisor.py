"""The supervisor: starts the children, restarts one that dies on its own, stops them all in order.

How restarts back off and when the site gives up is described in the
``cxportal.runner`` package docstring and ``RestartPolicy``.
"""

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TextIO, cast

from cxportal.runner.net import StartupError


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM if the supervisor itself is killed.

    Ctrl-C and SIGTERM are handled by the supervisor; this covers SIGKILL and
    crashes, so even then no part of the site is left running (Linux only).
    """
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class GaveUp(Exception):
    """A child kept dying: restarting it again would only loop; the message says which."""


@dataclass(frozen=True)
class RestartPolicy:
    """How a child that dies on its own is started again, and when to give up.

    The first restart is immediate: Redis gone even a few seconds means
    submissions whose routing cannot be queued. Later ones within the
    window wait longer and longer, so a child crashing at once does not
    spin, and after ``limit`` restarts within ``window`` seconds the site
    stops rather than hide a broken configuration behind endless restarts.
    """

    limit: int = 5
    window: float = 60.0
    first_delay: float = 0.5
    max_delay: float = 8.0

    def delay(self, deaths: int) -> float:
        """Seconds to wait before restarting after the ``deaths``-th death within the window."""
        if deaths <= 1:
            return 0.0
        return min(self.max_delay, self.first_delay * 2 ** (deaths - 2))


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    argv: list[str] = field(default_factory=list)
    pump: threading.Thread | None = None
    # When it died on its own lately (monotonic clock), for the restart limit.
    deaths: deque[float] = field(default_factory=deque)
    # Set once its death has been handled: when to start it again.
    restart_at: float | None = None

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


def exit_description(returncode: int | None) -> str:
    """``killed by SIGKILL`` or ``status 3``: what the console says about an exit."""
    if returncode is not None and returncode < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-returncode).name}"
    return f"status {returncode}"


@dataclass
class Supervisor:
    """Starts children with their output prefixed by name, and stops them all."""

    env: dict[str, str]
    cwd: Path
    out: TextIO = sys.stdout
    children: list[Child] = field(default_factory=list)
    stop_requested: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, name: str, argv: list[str]) -> Child:
        child = Child(name, self._spawn(argv), argv=list(argv))
        self._start_pump(child)
        self.children.append(child)
        return child

    def _spawn(self, argv: list[str]) -> subprocess.Popen:
        return subprocess.Popen(  # noqa: S603  (argv lists this module builds; no shell)
            argv,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )

    def _start_pump(self, child: Child) -> None:
        # The pump reads the process it is given, not ``child.process``: after
        # a restart the old pump drains the dead process's last lines and ends.
        child.pump = threading.Thread(
            target=self._pump, args=(child.name, child.process), daemon=True, name=f"pump-{child.name}"
        )
        child.pump.start()

    def restart(self, child: Child) -> None:
        """Start ``child`` again with the same command line, in its place in the stop order."""
        child.process = self._spawn(child.argv)
        child.restart_at = None
        self._start_pump(child)

    def say(self, text: str) -> None:
        with self._lock:
            self.out.write(text + "\n")
            self.out.flush()

    def _pump(self, name: str, process: subprocess.Popen) -> None:
        width = max(len(n) for n in ("redis", "worker", "beat", "web", name))
        # ``_spawn`` always pipes the output; Popen's type cannot say so.
        stdout = cast(IO[bytes], process.stdout)
        for raw in iter(stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.say(f"{name:<{width}} | {line}")
        stdout.close()

    def check_stop(self) -> None:
        if self.stop_requested:
            raise _Stop(self.stop_requested)

    def dead_child(self) -> Child | None:
        """The first child that has exited, if any."""
        return next((c for c in self.children if not c.alive), None)

    def tend(
        self,
        policy: RestartPolicy,
        *,
        after_restart: dict[str, Callable[[Child], None]] | None = None,
        now: Callable[[], float] = time.monotonic,
    ) -> list[Child]:
        """Restart the children that died on their own; return those restarted now.

        Called in the supervisor's loop. A death is reported at once and the
        restart scheduled after the policy's back-off. Children due at the
        same time are restarted in start order, so Redis (started first) is
        back, and answering once its ``after_restart`` hook returns, before a
        worker that died with it is started again. Raises GaveUp when a child
        died more than ``policy.limit`` times within ``policy.window`` seconds.
        """
        after_restart = after_restart or {}
        restarted = []
        for child in self.children:
            self.check_stop()
            if child.alive:
                continue
            if child.restart_at is None:
                self._bury(child)
                died = now()
                child.deaths.append(died)
                while child.deaths and child.deaths[0] < died - policy.window:
                    child.deaths.popleft()
                count = len(child.deaths)
                how = exit_description(child.process.returncode)
                if count > policy.limit:
                    raise GaveUp(
                        f"{child.name} exited unexpectedly ({how}) and has now died {count} times "
                        f"within {policy.window:.0f} s: not restarting it again; stopping the site. "
                        "Its output above should say why."
                    )
                delay = policy.delay(count)
                child.restart_at = died + delay
                when = f"in {delay:.1f} s" if delay else "now"
                self.say(
                    f"{child.name} exited unexpectedly ({how}); restarting it {when} "
                    f"(restart {count} of at most {policy.limit} within {policy.window:.0f} s)."
                )
            if now() < child.restart_at:
                continue
            self.restart(child)
            hook = after_restart.get(child.name)
            if hook:
                try:
                    hook(child)
                except StartupError as exc:
                    if child.alive:
                        raise GaveUp(f"{child.name} was restarted but is not working: {exc}") from exc
                    # Died again at once: the next call counts it like any death.
                    continue
            self.say(f"{child.name} restarted (pid {child.process.pid}).")
            restarted.append(child)
        return restarted

    def _bury(self, child: Child) -> None:
        """Clean up after a child that died: its process group, then its last output."""
        # A worker killed on its own leaves its pool processes behind, still
        # holding its output pipe (and, for a while, tasks): they go with it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.process.pid, signal.SIGKILL)
        # Its last lines (often the reason it died) come before the supervisor's message.
        if child.pump:
            child.pump.join(timeout=2)

    def stop(self, *, grace: float = 10.0, last: tuple[str, ...] = ("redis",)) -> None:
        """Stop every child: SIGTERM, wait up to ``grace`` seconds, then SIGKILL.

        The children named in ``last`` (Redis) go after the others, so a
        worker shutting down can still acknowledge its task.
        """
        first = [c for c in self.children if c.name not in last]
        then = [c for c in self.children if c.name in last]
        for group in (first, then):
            for child in group:
                if child.alive:
                    with contextlib.suppress(ProcessLookupError):
                        child.process.terminate()
            deadline = time.monotonic() + grace
            for child in group:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
                if child.alive:
                    self.say(f"{child.name} did not stop within {grace:.0f} s: killing it.")
                # The whole process group: a worker's pool processes go with it.
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(child.process.pid, signal.SIGKILL)
                child.process.wait()
        for child in self.children:
            if child.pump:
                child.pump.join(timeout=2)


class _Stop(Exception):
    """Ctrl-C or SIGTERM: raised at the next check, never in the middle of a start."""
