"""What the parts of ``bench/triage.py`` share: paths, targets, and the small instruments.

Each part runs in a process of its own and hands its figures to the parent
with ``emit()``; the parent (``bench/triage.py``) reads the lines marked ``RESULT``.
"""

import json
import os
import resource
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

HELDOUT = ROOT / "tests" / "data" / "triage_heldout"
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
RESULT = "RESULT "
BATCH = 5_000
TARGET_MESSAGES_PER_SECOND = 2_000
TARGET_RETRAIN_SECONDS = 120


def setup_django() -> None:
    import django

    django.setup()


def emit(**figures) -> None:
    """Hand figures to the parent process for the summary."""
    print(RESULT + json.dumps(figures), flush=True)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def idlest_cpu(seconds: float = 0.5) -> int:
    """The allowed CPU that was busy least over ``seconds``: other processes share this machine."""
    allowed = os.sched_getaffinity(0)

    def busy() -> dict[int, int]:
        ticks = {}
        for line in Path("/proc/stat").read_text().splitlines():
            name, *values = line.split()
            if name.startswith("cpu") and name[3:].isdigit() and int(name[3:]) in allowed:
                numbers = [int(v) for v in values]
                ticks[int(name[3:])] = sum(numbers) - numbers[3] - numbers[4]  # all but idle, iowait
        return ticks

    try:
        before = busy()
        time.sleep(seconds)
        after = busy()
        return min(after, key=lambda cpu: (after[cpu] - before[cpu], cpu))
    except (OSError, ValueError):
        return min(allowed)


def runs(function, repeats: int) -> list[float]:
    """Seconds of each of ``repeats`` calls of ``function``."""
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - started)
    return seconds
