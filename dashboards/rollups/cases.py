"""The cases as the tally reads them: plain rows, instants as epoch seconds."""

from collections.abc import Iterator
from datetime import datetime

from django.db import NotSupportedError
from django.db.models import FloatField, Func, Q

from feedback.models import Case
from routing.models import Department, Tag
from routing.selectors import sla_calendar
from routing.sla import Calendar


def department_calendars() -> dict[int | None, Calendar | None]:
    """Each department's SLA calendar; one query per distinct calendar, not per department.

    Durations are counted in the business hours of the team's calendar;
    cases not routed yet (and teams without a calendar) count wall-clock time.
    """
    by_calendar: dict[int | None, Calendar | None] = {}
    calendars: dict[int | None, Calendar | None] = {}
    for department in Department.objects.select_related("sla_policy__calendar"):
        policy = department.sla_policy
        key = policy.calendar_id if policy is not None else None
        if key is not None and key not in by_calendar:
            by_calendar[key] = sla_calendar(policy)
        calendars[department.pk] = by_calendar.get(key)
    return calendars


class Epoch(Func):
    """A date and time as seconds since 1970, a float.

    The tally compares and subtracts instants by the thousand; numbers cost
    far less to load and compare in Python than time-zone-aware datetimes.
    """

    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError("Epoch is written for SQLite and PostgreSQL only.")

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite stores UTC text; julianday() reads it, 2440587.5 is 1970-01-01 as a Julian day.
        return super().as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)",
            **extra_context,
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)::float8", **extra_context
        )


def case_rows(term: Q, plain: tuple[str, ...], moments: tuple[str, ...], wanted: set | None) -> list[tuple]:
    """The cases matching ``term``: their ``plain`` fields, then ``moments`` as epoch seconds.

    Departments (``wanted``, None for all) are picked out here, not in SQL:
    a department filter would tempt SQLite into the department index and a
    scan of the whole team instead of the day's cases.
    """
    annotations = {f"{name}_epoch": Epoch(name) for name in moments}
    rows = (
        Case.objects.filter(term)
        .order_by()
        .annotate(**annotations)
        .values_list("department_id", *plain, *annotations)
    )
    # Fetched whole: a day's rows, or a month's when rebuilding, fit in memory, and
    # PostgreSQL's server-side cursors cost more than they save at this size.
    return [row for row in rows if wanted is None or row[0] in wanted]


def received_cases(start: datetime, end: datetime, wanted: set | None) -> Iterator[tuple]:
    """The cases received in ``[start, end)``, each once with the list of its tag slugs last.

    The tags come in the same query (a row per tag), so the cases' rows are read once.
    """
    slugs = dict(Tag.objects.values_list("pk", "slug"))
    cases: dict[int, tuple] = {}
    for dep, pk, *fields, tag_id, created, fr_due, fr_at in case_rows(
        Q(created_at__gte=start, created_at__lt=end),
        ("pk", "customer_id", "kind", "channel", "promised_delivery_date", "tags"),
        ("created_at", "first_response_due_at", "first_response_at"),
        wanted,
    ):
        if pk not in cases:
            cases[pk] = (dep, *fields, created, fr_due, fr_at, [])
        if tag_id is not None:
            cases[pk][-1].append(slugs[tag_id])
    return iter(cases.values())


def within(name: str, start: datetime, end: datetime) -> Q:
    """``name`` in ``[start, end)``."""
    return Q(**{f"{name}__gte": start, f"{name}__lt": end})
