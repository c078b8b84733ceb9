"""Speed of the triage model: prediction on one core, retraining on 100,000 cases, routing latency.

    .venv/bin/python bench/triage.py                    # 100,000 cases
    .venv/bin/python bench/triage.py --quick            # 2,000 cases, fewer repeats: a smoke run
    .venv/bin/python bench/triage.py --cases 30000 --profile --blas-threads 1

The default run takes about three minutes plus however long ``triage_train()``
takes on 100,000 cases (the figure being measured).

Each part runs in a process of its own, so that its thread settings and its
peak memory are its own:

1. Prediction, pinned to one core (``sched_setaffinity``, BLAS and OpenMP at
   one thread): the starter model on the 3,300 starter messages, with
   ``predict`` in batches and with ``predict_one`` one message at a time (with
   the explanation, as routing asks for each case); best and median of the
   repeats. A worker keeps each word it has seen cut into n-grams, so the
   last line times ``predict_one`` with that memory emptied before each
   pass, as in a process that has seen none of the words. Then, as a check on what was timed, the department accuracy of
   the model, the demo rules and both on the 480 held-out messages
   (tests/data/triage_heldout; ``manage.py evaluate_triage`` says more).
2. Retraining: a throwaway SQLite database gets the demo organisation and N
   settled cases (default 100,000: resolved or closed over the past year,
   2 % of them re-routed by a person) made from the starter messages with
   varied numbers, order references, stores, greetings and typos; the starter
   model is live. ``triage_train()`` then runs as the nightly task does, on
   all the machine's cores: where its time goes (features; then side by
   side the department model, the one without the most recent cases that
   judges it, and the tag models), peak RSS, the stored model.
3. Routing latency: ``case_route`` on new cases worded like the held-out
   messages, on the same database, with no live model, the starter model
   live and the model just retrained live, interleaved in blocks (a warm-up
   case after each switch): median and p95 of each and the differences.

Targets from the issue (printed, not asserted): prediction at least 2,000
messages/s on one core; retraining on 100,000 cases at most 2 minutes on a
2-core machine; routing latency unchanged within noise.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._triage_common import RESULT, THREAD_VARIABLES  # noqa: E402
from bench._triage_database import part_database  # noqa: E402
from bench._triage_latency import part_latency  # noqa: E402
from bench._triage_predict import part_predict  # noqa: E402
from bench._triage_report import summary  # noqa: E402
from bench._triage_retrain import part_retrain  # noqa: E402

# --- The run ------------------------------------------------------------------------


def run_part(part: str, var: Path, *, blas_threads: int | None = None) -> dict:
    """Run one part in a process of its own; its figures for the summary."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cxportal.settings",
        "SECRET_KEY": "bench-only-not-secret",
        "DEBUG": "1",
        "CX_VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{var / 'db.sqlite3'}",
        # No Redis: the cache is the process's memory, tasks go to an in-memory broker.
        "CX_REDIS_CACHE": "0",
        "CELERY_BROKER_URL": "memory://localhost//",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("REDIS_URL", "EMAIL_URL", "SITE_URL", *THREAD_VARIABLES):
        env.pop(name, None)
    if part == "retrain" and blas_threads:
        env.update({"OPENBLAS_NUM_THREADS": str(blas_threads), "MKL_NUM_THREADS": str(blas_threads)})
    argv = [sys.executable, str(Path(__file__).resolve()), *sys.argv[1:], "--part", part]
    process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    figures: dict = {}
    for line in process.stdout:
        if line.startswith(RESULT):
            figures.update(json.loads(line[len(RESULT) :]))
        else:
            print(line, end="", flush=True)
    if process.wait():
        sys.exit(f"bench/triage.py: the {part} part failed (exit status {process.returncode})")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, help="settled cases to retrain on (100,000; 2,000 with --quick)")
    parser.add_argument("--quick", action="store_true", help="a small run: fewer cases, messages and repeats")
    parser.add_argument("--repeats", type=int, help="timed passes over the messages (5; 2 with --quick)")
    parser.add_argument("--batch", type=int, default=256, help="messages per predict() call (256)")
    parser.add_argument(
        "--one-at-a-time", type=int, help="messages timed with predict_one (600; 200 with --quick)"
    )
    parser.add_argument("--latency-cases", type=int, help="routed cases per mode (300; 60 with --quick)")
    parser.add_argument("--latency-block", type=int, default=20, help="cases per mode in a row (20)")
    parser.add_argument("--cpu", type=int, help="the core to time prediction on (default: the idlest)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed for cases and messages")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of triage_train()")
    parser.add_argument(
        "--blas-threads",
        type=int,
        help="OPENBLAS/MKL_NUM_THREADS for retraining (default: unset, as in production)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database and print its path")
    parser.add_argument(
        "--part", choices=["predict", "database", "retrain", "latency"], help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    quick = args.quick
    args.cases = args.cases if args.cases is not None else 2_000 if quick else 100_000
    args.repeats = args.repeats or (2 if quick else 5)
    args.one_at_a_time = args.one_at_a_time or (200 if quick else 600)
    args.latency_cases = args.latency_cases or (60 if quick else 300)
    if quick and args.latency_block == parser.get_default("latency_block"):
        args.latency_block = 10

    if args.part:
        parts = {
            "predict": part_predict,
            "database": part_database,
            "retrain": part_retrain,
            "latency": part_latency,
        }
        parts[args.part](args)
        return

    started, load = time.monotonic(), os.getloadavg()
    var = Path(tempfile.mkdtemp(prefix="cx-bench-triage-"))
    figures: dict = {}
    try:
        figures.update(run_part("predict", var))
        print(f"Building the throwaway database in {var} ...", flush=True)
        run_part("database", var)
        print()
        figures.update(run_part("retrain", var, blas_threads=args.blas_threads))
        figures.update(run_part("latency", var))
    finally:
        if args.keep:
            print(f"(kept {var})")
        else:
            shutil.rmtree(var, ignore_errors=True)
    summary(figures, time.monotonic() - started, load)


if __name__ == "__main__":
    main()
