"""Importing past cases from a CSV file: check the whole file, then write it in batches.

The file is UTF-8 (a byte-order mark is fine) with a header row; the
delimiter is a comma or a semicolon, whichever the header uses. Columns, in
any order (unknown ones are refused so a typo is not silently dropped):

==========================  ===========================================================
``created_at``              required; ``2025-11-03`` or ``2025-11-03 14:20`` (local time
                            unless an offset is given), not in the future, at most
                            ten years back
``message``                 required, up to 5,000 characters
``email``, ``phone``        at least one of them
``external_id``             the case's id in the old system; blank: a SHA-256 of the row
``name``, ``customer_number``, ``subject`` (blank: the message's first line),
``kind`` (default ``complaint``), ``channel`` (default ``web``), ``language``
(default the site's), ``order_reference``, ``order_date``,
``promised_delivery_date``, ``product``, ``store``: as on the intake API
==========================  ===========================================================

History mode also reads ``status`` (required), ``department`` (slug),
``owner`` (username; must work in the department), ``tags`` (slugs joined
by ``|``), ``resolved_at`` (required for resolved and closed cases) and
``closed_at`` (required for closed ones). Open statuses other than ``new``
need a department. In route mode these columns must be blank.

Modes: *route* stores each row through ``case_create``, so it is routed as
of now (due dates count from the routing, not from ``created_at``; the
owner is notified and a customer with an email gets the acknowledgement).
*History* stores already-worked cases as they were: no routing, no due
dates, no notification to anybody.

Each case gets source ``import`` and the row's external id, or
``sha256:<hash>`` of the row's intake content (customer, text, order,
``created_at``; not the history columns, which change as a case is
worked), so importing the same or an overlapping file again skips the rows
already there. See ``docs/import-sample.csv``.
"""

import csv
import hashlib
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import IO, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import serializers

from cxportal.errors import ApplicationError
from routing.models import Department, Tag
from routing.selectors import works_in_department_q
from routing.tasks import queue

from .identity import customer_resolve, normalise_email, normalise_phone
from .limits import column_length, validate_intake_date
from .models import Case, CaseEvent, CaseImport, Channel, Customer, Kind, Status
from .serializers import CaseIntakeSerializer, IntakeCustomerSerializer
from .services import case_create
from .tasks import run_case_import

SOURCE = "import"
CUSTOMER_COLUMNS = ("name", "email", "phone", "customer_number")
CASE_COLUMNS = (
    "kind",
    "channel",
    "language",
    "subject",
    "message",
    "order_reference",
    "order_date",
    "promised_delivery_date",
    "product",
    "store",
)
HISTORY_COLUMNS = ("status", "department", "owner", "tags", "resolved_at", "closed_at")
COLUMNS = ("external_id", "created_at", *CUSTOMER_COLUMNS, *CASE_COLUMNS, *HISTORY_COLUMNS)
BATCH_SIZE = 200
# A report longer than this is read by nobody; the rest are only counted.
MAX_ERRORS = 1000
# Smaller uploads are checked while the admin waits; larger ones by the worker.
CHECK_NOW_BYTES = 2 * 1024 * 1024


def max_upload_bytes() -> int:
    return settings.CX_IMPORT_MAX_MB * 1024 * 1024


class _RowCustomerSerializer(IntakeCustomerSerializer):
    # Old systems often kept no name; the email or phone is who it is.
    name = serializers.CharField(
        max_length=column_length(Customer, "name"), required=False, allow_blank=True, default=""
    )


class _RowSerializer(CaseIntakeSerializer):
    """The intake API's checks, with defaults for what old exports often lack."""

    customer = _RowCustomerSerializer()
    kind = serializers.ChoiceField(choices=Kind.choices, default=Kind.COMPLAINT)
    # Past cases came from every channel, the web form included.
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.WEB)
    subject = serializers.CharField(
        max_length=column_length(Case, "subject"), required=False, allow_blank=True, default=""
    )
    # Kept apart from the fields ``case_create`` takes: it is the import's to set.
    external_id = serializers.CharField(
        max_length=column_length(Case, "external_id"), required=False, allow_blank=True, default=""
    )


@dataclass
class Row:
    """One checked line of the file, ready to write."""

    line: int
    external_id: str
    created_at: datetime
    # ``case_create``'s keyword arguments (customer fields flattened).
    fields: dict[str, Any]
    status: str = Status.NEW
    department: Department | None = None
    owner: AbstractBaseUser | None = None
    tags: list[Tag] = field(default_factory=list)
    resolved_at: datetime | None = None
    closed_at: datetime | None = None


class FileError(Exception):
    """The file cannot be read on (not UTF-8, not CSV, a bad header)."""

    def __init__(self, line: int, message: str, field: str = ""):
        super().__init__(message)
        self.line, self.message, self.field = line, message, field


class Report:
    """The line-by-line errors, capped at ``limit``: the rest are only counted."""

    def __init__(self, limit: int | None = None):
        self.limit = MAX_ERRORS if limit is None else limit
        self.errors: list[dict[str, Any]] = []
        self.more = 0

    def add(self, line: int | None, field: str, message: str) -> None:
        if len(self.errors) < self.limit:
            self.errors.append({"line": line, "field": field, "message": str(message)})
        else:
            self.more += 1

    def as_list(self) -> list[dict[str, Any]]:
        if not self.more:
            return self.errors
        more = ngettext("…and %(count)d more error.", "…and %(count)d more errors.", self.more)
        return [*self.errors, {"line": None, "field": "", "message": more % {"count": self.more}}]


class _Lookups:
    """Departments, tags and owners by name, each read once per import."""

    def __init__(self) -> None:
        self.departments = {d.slug: d for d in Department.objects.all()}
        self.tags = {t.slug: t for t in Tag.objects.all()}
        self._users: dict[str, AbstractBaseUser | None] = {}
        self._works: dict[tuple[int, int], bool] = {}

    def user(self, username: str) -> AbstractBaseUser | None:
        if username not in self._users:
            User = get_user_model()
            self._users[username] = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
        return self._users[username]

    def works_in(self, user: AbstractBaseUser, department: Department) -> bool:
        key = (user.pk, department.pk)
        if key not in self._works:
            self._works[key] = (
                get_user_model().objects.filter(works_in_department_q(department.pk), pk=user.pk).exists()
            )
        return self._works[key]


def _lines(case_import: CaseImport) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line number, values by column)`` for each non-blank row; the header is line 1."""
    line = 1
    with case_import.file.open("rb") as raw:
        text = _decoded(raw)
        try:
            header_line = next(text, "")
            # The header holds only column names: whichever separator it uses more is the delimiter.
            delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
            reader = csv.reader(itertools.chain([header_line], text), delimiter=delimiter)
            header = [name.strip().lower() for name in next(reader, [])]
            _check_header(header)
            line = reader.line_num + 1
            for cells in reader:
                if any(cell.strip() for cell in cells):
                    if len(cells) != len(header):
                        raise FileError(
                            line,
                            _("This line has %(found)d values; the header has %(expected)d.")
                            % {"found": len(cells), "expected": len(header)},
                        )
                    yield line, dict(zip(header, cells, strict=True))
                line = reader.line_num + 1
        except csv.Error as exc:
            raise FileError(line, _("This line is not valid CSV: %(error)s") % {"error": exc}) from None


def _decoded(raw: IO[bytes]) -> Iterator[str]:
    """The file's lines as text, decoded one by one so an error names its line."""
    for number, data in enumerate(raw, start=1):
        try:
            yield data.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise FileError(number, _("This line is not UTF-8 text.")) from None


def _check_header(header: list[str]) -> None:
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise FileError(1, _("Unknown columns: %(names)s.") % {"names": ", ".join(unknown)})
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise FileError(1, _("Columns given twice: %(names)s.") % {"names": ", ".join(repeated)})
    missing = [name for name in ("created_at", "message") if name not in header]
    if "email" not in header and "phone" not in header:
        missing.append("email / phone")
    if missing:
        raise FileError(1, _("Missing columns: %(names)s.") % {"names": ", ".join(missing)})


def _moment(value: str) -> datetime | None:
    """A date or date and time; without an offset it is local time (a date alone: midnight)."""
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            moment = datetime.combine(day, time()) if day else None
    except ValueError:
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _past_moment(value: str, *, now: datetime, after: datetime | None = None) -> datetime:
    """Parse a past moment, refusing future or far-off dates and dates before ``after``."""
    moment = _moment(value)
    if moment is None:
        raise ValidationError(_("Enter a date such as 2025-11-03 or 2025-11-03 14:20."))
    # The window is checked on the date as written first: a year-1 date with
    # an offset cannot even be compared with ``now`` (it overflows).
    validate_intake_date(moment.date())
    if moment > now:
        raise ValidationError(_("This date is in the future."))
    if after is not None and moment < after:
        raise ValidationError(_("This date is before the case was submitted."))
    return moment


def _row_errors(errors: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """The serializer's errors as ``(column, message)``, the customer's flattened."""
    for name, value in errors.items():
        if isinstance(value, dict):
            yield from _row_errors(value)
        else:
            yield ("" if name == "non_field_errors" else name), str(value[0])


def row_fingerprint(fields: dict[str, Any], created_at: datetime) -> str:
    """The external id of a row that has none: the same case written again hashes the same."""
    content = {**fields, "created_at": created_at, "email": normalise_email(fields.get("email", ""))}
    content["phone"] = normalise_phone(fields.get("phone", ""))
    text = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def row_clean(
    line: int, values: dict[str, str], *, mode: str, lookups: _Lookups, now: datetime
) -> tuple[Row | None, list[tuple[str, str]]]:
    """Check one line: the row to write, or the ``(column, message)`` errors found."""
    given = {name: value.strip() for name, value in values.items() if value.strip()}
    errors: list[tuple[str, str]] = []
    data = {name: given[name] for name in ("external_id", *CASE_COLUMNS) if name in given}
    data["customer"] = {name: given[name] for name in CUSTOMER_COLUMNS if name in given}
    serializer = _RowSerializer(data=data)
    if not serializer.is_valid():
        errors.extend(_row_errors(serializer.errors))
    if not (given.get("email") or given.get("phone")):
        errors.append(("email", _("Give an email address or a phone number.")))
    created_at = None
    if "created_at" not in given:
        errors.append(("created_at", _("This field is required.")))
    else:
        try:
            created_at = _past_moment(given["created_at"], now=now)
        except ValidationError as exc:
            errors.append(("created_at", exc.messages[0]))
    row = Row(line=line, external_id="", created_at=created_at, fields={})
    if mode == CaseImport.Mode.HISTORY:
        errors.extend(_history_clean(row, given, lookups=lookups, now=now))
    else:
        errors.extend(
            (name, _("Only read in history mode: leave it blank."))
            for name in HISTORY_COLUMNS
            if name in given
        )
    if errors:
        return None, errors
    row.fields = serializer.service_kwargs()
    external_id = row.fields.pop("external_id")
    # A subject is required on a case; old systems often had none.
    row.fields["subject"] = (
        row.fields["subject"] or row.fields["message"].splitlines()[0][: column_length(Case, "subject")]
    )
    row.external_id = external_id or row_fingerprint(row.fields, row.created_at)
    return row, []


def _history_clean(
    row: Row, given: dict[str, str], *, lookups: _Lookups, now: datetime
) -> list[tuple[str, str]]:
    """Fill the history columns of ``row``; the errors found."""
    errors = []
    status = given.get("status", "")
    if status not in Status.values:
        message = (
            _("This field is required.")
            if not status
            else _("Unknown status “%(value)s”.") % {"value": status}
        )
        errors.append(("status", message))
    row.status = status
    if "department" in given:
        row.department = lookups.departments.get(given["department"])
        if row.department is None:
            errors.append(("department", _("No department “%(value)s”.") % {"value": given["department"]}))
    elif status in (Status.ROUTED, Status.IN_PROGRESS, Status.WAITING):
        errors.append(("department", _("An open case needs the department working it.")))
    if "owner" in given:
        row.owner = lookups.user(given["owner"])
        if row.owner is None:
            errors.append(("owner", _("No user “%(value)s”.") % {"value": given["owner"]}))
        elif row.department is not None and not lookups.works_in(row.owner, row.department):
            errors.append(
                ("owner", _("%(user)s does not work in this department.") % {"user": given["owner"]})
            )
        elif "department" not in given:
            errors.append(("owner", _("An owner needs the department of the case.")))
    for slug in filter(None, (s.strip() for s in given.get("tags", "").split("|"))):
        if slug in lookups.tags:
            row.tags.append(lookups.tags[slug])
        else:
            errors.append(("tags", _("No tag “%(value)s”.") % {"value": slug}))
    for name, needed_by in (
        ("resolved_at", (Status.RESOLVED, Status.CLOSED)),
        ("closed_at", (Status.CLOSED,)),
    ):
        if name not in given:
            if status in needed_by:
                errors.append((name, _("Required for a case with this status.")))
            continue
        if status not in needed_by:
            errors.append(
                (name, _("Only for a case with status %(statuses)s.") % {"statuses": " / ".join(needed_by)})
            )
            continue
        after = row.resolved_at if name == "closed_at" and row.resolved_at else row.created_at
        try:
            setattr(row, name, _past_moment(given[name], now=now, after=after))
        except ValidationError as exc:
            errors.append((name, exc.messages[0]))
    return errors


def case_import_rows(
    *,
    case_import: CaseImport,
    lookups: _Lookups | None = None,
    report: Report | None = None,
    now: datetime | None = None,
) -> Iterator[Row]:
    """The file's valid rows in order; errors (and a duplicated external id) go to ``report``.

    Without a report the first error raises ``FileError``: the file changed
    or the organisation did (a department deleted) since it was checked.
    """
    now = now or timezone.now()
    lookups = lookups or _Lookups()
    seen: dict[str, int] = {}
    for line, values in _lines(case_import):
        row, errors = row_clean(line, values, mode=case_import.mode, lookups=lookups, now=now)
        if row is not None and values.get("external_id", "").strip():
            first = seen.setdefault(row.external_id, line)
            if first != line:
                errors = [("external_id", _("Already on line %(line)d.") % {"line": first})]
        for column, message in errors:
            if report is None:
                raise FileError(line, message, column)
            report.add(line, column, message)
        if not errors:
            yield row


def case_import_create(
    *, upload: UploadedFile, mode: str, actor: AbstractBaseUser | None, now: datetime | None = None
) -> CaseImport:
    """Store an uploaded CSV as a queued import (nothing checked or written yet)."""
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
        name=upload.name[: column_length(CaseImport, "name")],
        fingerprint=digest.hexdigest(),
        mode=mode,
        created_by=actor,
        created_at=now or timezone.now(),
    )
    case_import.file.save(upload.name, upload, save=False)
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
    except Exception as exc:
        _fail(import_id, [{"line": None, "field": "", "message": str(exc)}])
        raise
    return bool(
        CaseImport.objects.filter(pk=import_id, state=CaseImport.State.RUNNING).update(
            state=CaseImport.State.DONE, finished_at=timezone.now()
        )
    )


def _fail(import_id: int, errors: list[dict[str, Any]]) -> None:
    CaseImport.objects.filter(pk=import_id).update(
        state=CaseImport.State.FAILED, errors=errors, finished_at=timezone.now()
    )


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
