"""Checking an import file's rows: each line's values, the history columns, the error report.

The CSV format is documented on the package (``feedback/imports/__init__.py``);
reading the file itself is ``csvfile``'s job.
"""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import serializers

from routing.models import Department, Tag
from routing.selectors import works_in_department_q

from ..identity import normalise_email, normalise_phone
from ..limits import column_length, validate_intake_date
from ..models import Case, CaseImport, Channel, Customer, Kind, Status
from ..serializers import CaseIntakeSerializer, IntakeCustomerSerializer
from .csvfile import CASE_COLUMNS, CUSTOMER_COLUMNS, HISTORY_COLUMNS, FileError, file_lines

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# A report longer than this is read by nobody; the rest are only counted.
MAX_ERRORS = 1000


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
    owner: "User | None" = None
    tags: list[Tag] = field(default_factory=list)
    resolved_at: datetime | None = None
    closed_at: datetime | None = None


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
        self._users: dict[str, User | None] = {}
        self._works: dict[tuple[int, int], bool] = {}

    def user(self, username: str) -> "User | None":
        if username not in self._users:
            User = get_user_model()
            self._users[username] = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
        return self._users[username]

    def works_in(self, user: "User", department: Department) -> bool:
        key = (user.pk, department.pk)
        if key not in self._works:
            self._works[key] = (
                get_user_model().objects.filter(works_in_department_q(department.pk), pk=user.pk).exists()
            )
        return self._works[key]


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
    data: dict[str, Any] = {name: given[name] for name in ("external_id", *CASE_COLUMNS) if name in given}
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
    # created_at is None only when there is an error, and a row with errors is never returned.
    row = Row(line=line, external_id="", created_at=created_at, fields={})  # type: ignore[arg-type]
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
    elif status in (Status.NEW, Status.ROUTED, Status.IN_PROGRESS, Status.WAITING):
        # A new case too: it is stored as routed, so the sweep never routes it to anybody.
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
    for line, values in file_lines(case_import):
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
            # row_clean gives a row whenever it finds no error.
            yield cast(Row, row)
