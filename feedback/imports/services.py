"""Writing an import: store the upload, check it, then write it in batches."""

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cxportal.errors import ApplicationError
from cxportal.tasks import queue

from ..identity import customer_resolve
from ..limits import column_length
from ..models import Case, CaseEvent, CaseImport, Status
from ..services import case_create
from ..tasks import run_case_import
from .csvfile import CUSTOMER_COLUMNS, FileError, max_upload_bytes
from .rows import Report, Row, case_import_rows

if TYPE_CHECKING:
    from django.contrib.auth.models import User

log = logging.getLogger(__name__)

SOURCE = "import"
BATCH_SIZE = 200
# Smaller uploads are checked while the admin waits; larger ones by the worker.
CHECK_NOW_BYTES = 2 * 1024 * 1024


def case_import_create(
    *, upload: File, mode: str, actor: "User | None", now: datetime | None = None
) -> CaseImport:
    """Store an uploaded CSV as a queued import (nothing checked or written yet)."""
    # An upload (admin) or a file opened with its name (import_cases): named either way.
    name = cast(str, upload.name)
    if upload.size > max_upload_bytes():
        raise ApplicationError(
            _("The file is larger than %(mb)d MB. Split it in parts: rows already imported are skipped.")
            % {"mb": max_upload_bytes() // (1024 * 1024)},
            code="too_large",
            field="file",
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    case_import = CaseImport(
        name=name[: column_length(CaseImport, "name")],
        fingerprint=digest.hexdigest(),
        mode=mode,
        created_by=actor,
        created_at=now or timezone.now(),
    )
    case_import.file.save(name, upload, save=False)
    case_import.save()
    return case_import


def case_import_start(*, case_import: CaseImport) -> CaseImport:
    """Check a small file now (the admin shows the report at once), then queue the import.

    A large file is checked by the worker, before it writes anything.
    """
    if case_import.file.size <= CHECK_NOW_BYTES and not case_import_check(case_import=case_import):
        return case_import
    queue(run_case_import, case_import.pk)
    return case_import


def case_import_requeue(*, older_than: timedelta, now: datetime | None = None) -> int:
    """Queue again the imports still queued ``older_than`` after their upload; how many.

    ``queue`` only logs a broker outage, so an import uploaded then would
    stay queued for ever. One that is merely slow to start runs twice, which
    ``case_import_run`` makes harmless.
    """
    cutoff = (now or timezone.now()) - older_than
    ids = list(
        CaseImport.objects.filter(state=CaseImport.State.QUEUED, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:100]
    )
    for import_id in ids:
        # Expiring: while a busy worker leaves it waiting, each sweep adds one task, not one more.
        run_case_import.apply_async((import_id,), expires=older_than.total_seconds())
    if ids:
        log.warning("Re-queued %d case imports still queued.", len(ids))
    return len(ids)


def case_import_check(*, case_import: CaseImport, now: datetime | None = None) -> bool:
    """Check every line without writing; store the row count, or the report and state ``invalid``."""
    report = Report()
    total = 0
    try:
        for _row in case_import_rows(case_import=case_import, report=report, now=now):
            total += 1
    except FileError as exc:
        report.add(exc.line, exc.field, exc.message)
    if not report.errors and total == 0:
        report.add(1, "", _("The file has no rows."))
    errors = report.as_list()
    state = CaseImport.State.INVALID if errors else case_import.state
    CaseImport.objects.filter(pk=case_import.pk).update(state=state, errors=errors, total_rows=total)
    case_import.state, case_import.errors, case_import.total_rows = state, errors, total
    if errors:
        _file_forget(case_import.pk)
    return not errors


def case_import_run(
    *,
    import_id: int,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[CaseImport], None] | None = None,
) -> bool:
    """Check (if not done yet) and write a queued import; safe to run twice.

    Each batch is written in one transaction that also moves ``done_rows``
    on, under a lock of the import: a second run (a redelivered task, a
    worker that died mid-file) skips the batches already written and
    resumes after them. Rows whose external id is already stored count as
    skipped. Returns whether this call finished the import.
    """
    runnable = (CaseImport.State.QUEUED, CaseImport.State.RUNNING)
    case_import = CaseImport.objects.filter(pk=import_id, state__in=runnable).first()
    if case_import is None:
        return False
    # total_rows is only set once the whole file has passed its check.
    if not case_import.total_rows and not case_import_check(case_import=case_import, now=now):
        return False
    if not CaseImport.objects.filter(pk=import_id, state__in=runnable).update(state=CaseImport.State.RUNNING):
        return False
    try:
        batch: list[tuple[int, Row]] = []
        rows = case_import_rows(case_import=case_import, now=now)
        for index, row in enumerate(rows):
            batch.append((index, row))
            if len(batch) == batch_size:
                _write_batch(case_import, batch, progress)
                batch = []
        if batch:
            _write_batch(case_import, batch, progress)
    except FileError as exc:
        _fail(import_id, [{"line": exc.line, "field": exc.field, "message": exc.message}])
        return False
    except SoftTimeLimitExceeded:
        # Out of time, not wrong: the batches written stay, and queued again the
        # import resumes after them (case_import_requeue picks it up). Stopped
        # mid-query, a PostgreSQL connection is still busy: write on a new one.
        if not connection.in_atomic_block:
            connection.close()
        CaseImport.objects.filter(pk=import_id, state=CaseImport.State.RUNNING).update(
            state=CaseImport.State.QUEUED
        )
        log.warning("Case import %s stopped at its time limit; it will resume.", import_id)
        return False
    except Exception as exc:
        _fail(import_id, [{"line": None, "field": "", "message": str(exc)}])
        raise
    finished = CaseImport.objects.filter(pk=import_id, state=CaseImport.State.RUNNING).update(
        state=CaseImport.State.DONE, finished_at=timezone.now()
    )
    if finished:
        _file_forget(import_id)
    return bool(finished)


def _fail(import_id: int, errors: list[dict[str, Any]]) -> None:
    CaseImport.objects.filter(pk=import_id).update(
        state=CaseImport.State.FAILED, errors=errors, finished_at=timezone.now()
    )
    _file_forget(import_id)


def _file_forget(import_id: int) -> None:
    """Delete the uploaded file once it is of no more use: it holds many customers' personal data.

    A corrected or retried file is uploaded again (rows already in are skipped).
    """
    case_import = CaseImport.objects.filter(pk=import_id).exclude(file="").first()
    if case_import is not None:
        case_import.file.delete(save=False)
        CaseImport.objects.filter(pk=import_id).update(file="")


def _write_batch(
    case_import: CaseImport, batch: list[tuple[int, Row]], progress: Callable[[CaseImport], None] | None
) -> None:
    with transaction.atomic():
        locked = CaseImport.objects.select_for_update().get(pk=case_import.pk)
        todo = [row for index, row in batch if index >= locked.done_rows]
        if not todo:
            return
        ids = [row.external_id for row in todo]
        stored = set(
            Case.objects.filter(source=SOURCE, external_id__in=ids).values_list("external_id", flat=True)
        )
        created = 0
        for row in todo:
            if row.external_id not in stored and _write_row(case_import, row):
                created += 1
            stored.add(row.external_id)
        CaseImport.objects.filter(pk=case_import.pk).update(
            done_rows=batch[-1][0] + 1,
            created_cases=F("created_cases") + created,
            skipped_rows=F("skipped_rows") + len(todo) - created,
        )
    if progress is not None:
        case_import.refresh_from_db()
        progress(case_import)


def _write_row(case_import: CaseImport, row: Row) -> bool:
    """Write one row; False if another import stored the same case meanwhile."""
    try:
        # A savepoint: an overlapping import racing this one must not undo the batch.
        with transaction.atomic():
            if case_import.mode == CaseImport.Mode.ROUTE:
                case_create(
                    **row.fields,
                    source=SOURCE,
                    external_id=row.external_id,
                    actor=case_import.created_by,
                    origin={"import": case_import.pk, "line": row.line},
                    acknowledge=False,
                    now=row.created_at,
                )
            else:
                _history_case_create(case_import, row)
    except IntegrityError:
        if Case.objects.filter(source=SOURCE, external_id=row.external_id).exists():
            return False
        raise
    return True


def _history_case_create(case_import: CaseImport, row: Row) -> Case:
    """A case as it already happened: no routing, no due dates, nobody notified."""
    fields = dict(row.fields)
    customer = customer_resolve(
        **{name: fields.pop(name) for name in CUSTOMER_COLUMNS}, language=fields["language"]
    )
    case = Case.objects.create(
        customer=customer,
        **fields,
        source=SOURCE,
        external_id=row.external_id,
        status=row.status,
        department=row.department,
        owner=row.owner,
        created_at=row.created_at,
        # Marked routed so the sweep of unrouted cases never routes (and notifies about) history.
        routed_at=row.created_at,
        resolved_at=row.resolved_at,
        closed_at=row.closed_at,
    )
    case.reference = f"{settings.CX_REFERENCE_PREFIX}-{timezone.localdate(row.created_at).year}-{case.pk:06d}"
    case.save(update_fields=["reference"])
    if row.tags:
        case.tags.add(*row.tags)
    origin = {"import": case_import.pk, "line": row.line}
    events = [
        CaseEvent(
            case=case,
            kind=CaseEvent.Kind.CREATED,
            at=row.created_at,
            actor=case_import.created_by,
            text=case.get_channel_display(),
            data=origin,
            is_public=True,
        )
    ]
    if row.status != Status.NEW:
        events.append(
            CaseEvent(
                case=case,
                kind=CaseEvent.Kind.STATUS_CHANGED,
                at=row.closed_at or row.resolved_at or row.created_at,
                actor=case_import.created_by,
                text=f"{Status.NEW.label} → {Status(row.status).label}",
                data={"from": Status.NEW, "to": row.status, "reopened": False, **origin},
                is_public=True,
            )
        )
    CaseEvent.objects.bulk_create(events)
    return case
