"""CPU per public ticket submission in django-helpdesk, the closest open-source peer, for comparison.

    .venv/bin/python bench/helpdesk.py                  # SQLite
    .venv/bin/python scripts/postgres.py .venv/bin/python bench/helpdesk.py
    .venv/bin/python bench/helpdesk.py --json           # summary, then one JSON object on the last line

Nothing of django-helpdesk is kept in this repository: the script builds
everything at run time, outside it.

1. A virtualenv with ``django-helpdesk==2.6.1`` from PyPI (pip resolves the
   rest; the versions it picked are printed), made with the base interpreter
   of the Python running this script and cached in
   ``/tmp/cx-bench-helpdesk-<version>-py<X.Y>`` so that reruns skip pip. With
   PostgreSQL, psycopg (the version in requirements.txt) is added to it.
2. A minimal Django project in a temporary directory: helpdesk with the apps
   its standalone settings list (teams mode off, as in those settings: it
   needs pinax-teams, an optional extra), DEBUG off, the locmem email backend
   so that its emails are rendered and "sent" in process, Django's default
   middleware. The database is a temporary SQLite file, or, when
   ``DATABASE_URL`` names PostgreSQL, a database of its own created in that
   server (helpdesk's tables would collide with ours: both have ``auth_user``)
   and dropped afterwards. After ``migrate`` (which loads helpdesk's email
   templates) one public queue is created whose new tickets are copied to a
   manager (``new_ticket_cc``); the submitter is emailed too.
3. This file again, run by the virtualenv's Python: ``--warmup`` (20)
   submissions, then ``--submissions`` (200) measured ones, each a POST of a
   complaint to helpdesk's public "submit a ticket" page (the one anonymous
   customers use) through the whole middleware stack with Django's test
   client, as ``bench/stages.py`` posts our public form: CPU of the process
   (``time.process_time``, the ticket's emails included) and SQL statements
   (``CaptureQueriesContext``) per POST, emails per POST from
   ``mail.outbox``. On PostgreSQL on this machine, also the server's CPU over
   the measured submissions (utime + stime of the postmaster and its
   children, from ``/proc``), per submission: for the whole cluster, and for
   the one backend serving the benchmark.

The summary goes to stdout; with ``--json`` the last line is one JSON object
(for ``bench/capacity.py``). Progress and pip's output go to stderr.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._helpdesk_measure import inside  # noqa: E402
from bench._helpdesk_project import RESULT_FILE, SETTINGS_MODULE, is_postgres, write_project  # noqa: E402
from bench._helpdesk_report import summary  # noqa: E402
from bench._helpdesk_venv import ensure_venv, packages, progress  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=200, help="measured submissions (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="submissions before measuring (default 20)")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the figures")
    parser.add_argument("--keep", action="store_true", help="keep the temporary project (and SQLite file)")
    parser.add_argument("--inside", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.submissions < 1 or args.warmup < 0:
        parser.error("--submissions must be at least 1 and --warmup at least 0")
    database_url = os.environ.get("DATABASE_URL") or None
    if database_url and not is_postgres(database_url):
        # Never migrate helpdesk into another SQLite file (ours, say): it gets a temporary one.
        database_url = None
    if args.inside:
        return inside(args.inside, database_url, args.submissions, args.warmup)

    python = ensure_venv(with_psycopg=is_postgres(database_url))
    resolved = packages(python)
    progress(f"django-helpdesk {resolved.get('django-helpdesk')} with Django {resolved.get('Django')}")
    project = Path(tempfile.mkdtemp(prefix="cx-bench-helpdesk-"))
    try:
        write_project(project)
        environment = {
            **os.environ,
            # Only the project directory on the path: -P below keeps bench/ off it too
            # (the script puts the repository root first itself, for bench/'s modules).
            "PYTHONPATH": str(project),
            "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        }
        command = [str(python), "-P", str(Path(__file__).resolve()), "--inside", str(project)]
        command += ["--submissions", str(args.submissions), "--warmup", str(args.warmup)]
        # The child's stdout goes to our stderr: our stdout is the summary alone.
        status = subprocess.run(command, cwd=project, env=environment, stdout=sys.stderr).returncode
        if status:
            return status
        result = json.loads((project / RESULT_FILE).read_text())
    finally:
        if args.keep:
            progress(f"Kept the project in {project}")
        else:
            shutil.rmtree(project, ignore_errors=True)
    result["packages"] = resolved
    print(summary(result))
    if args.json:
        print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
