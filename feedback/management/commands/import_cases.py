"""``import_cases FILE [--mode route|history] [--user USERNAME]``: import past cases from a CSV.

The file is checked whole first; with any error the report is printed
(``line: column: message``), nothing is written and the command exits 1.
Otherwise it is imported here, not by a worker. The format is described in
``feedback/imports/`` and ``docs/import-sample.csv``.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from cxportal.errors import ApplicationError
from feedback.imports import case_import_check, case_import_create, case_import_run
from feedback.models import CaseImport

# The progress line is redrawn once per this many rows.
PROGRESS_EVERY = 1000


class Command(BaseCommand):
    help = "Import past cases from a CSV file (checked whole first: with any error, nothing is written)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--mode", choices=CaseImport.Mode.values, default=CaseImport.Mode.HISTORY)
        parser.add_argument("--user", help="Recorded as who imported the cases (a username).")

    def handle(self, *args, file: Path, mode: str, user: str | None, **options):
        actor = self._user(user)
        if not file.is_file():
            raise CommandError(f"No file {file}.")
        try:
            with file.open("rb") as handle:
                case_import = case_import_create(upload=File(handle, name=file.name), mode=mode, actor=actor)
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        if not case_import_check(case_import=case_import):
            for error in case_import.errors:
                line = error["line"] if error["line"] is not None else "-"
                self.stdout.write(f"{line}: {error['field'] or '-'}: {error['message']}")
            raise CommandError(
                f"{file.name}: nothing imported, the file has errors (import #{case_import.pk})."
            )
        self._next_mark = PROGRESS_EVERY
        case_import_run(import_id=case_import.pk, progress=self._progress)
        case_import.refresh_from_db()
        if case_import.state != CaseImport.State.DONE:
            for error in case_import.errors:
                self.stderr.write(f"{error['line']}: {error['field']}: {error['message']}")
            raise CommandError(f"Import #{case_import.pk} {case_import.get_state_display()}.")
        self.stderr.write("")
        self.stdout.write(
            f"Import #{case_import.pk}: {case_import.total_rows} rows, "
            f"{case_import.created_cases} cases created, "
            f"{case_import.skipped_rows} rows skipped (already imported)."
        )

    def _user(self, username: str | None):
        if not username:
            return None
        User = get_user_model()
        found = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
        if found is None:
            raise CommandError(f"No user {username}.")
        return found

    def _progress(self, case_import: CaseImport) -> None:
        done, total = case_import.done_rows, case_import.total_rows
        if done < self._next_mark and done < total:
            return
        self._next_mark = done + PROGRESS_EVERY
        width = 30
        filled = width * done // max(total, 1)
        self.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", ending="")
