"""Reads behind the KPI dashboards: a handful of queries, whatever the number of departments.

Every function takes ``cases``, the cases the reader may see
(``feedback.selectors.cases_visible_to``), so a dashboard can never count a
case its reader could not open. ``now`` is passed in, never read from the
clock here, so the figures can be tested at a fixed instant.
"""

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import models
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, QuerySet, When

from feedback.models import OPEN_STATUSES, Case
from feedback.selectors import overdue_q
from routing.models import Department


@dataclass(frozen=True, kw_only=True)
class Summary:
    """The dashboard figures of a set of cases.

    ``received`` counts cases submitted since the start of the period;
    ``backlog`` and ``overdue`` are the state right now, whatever the period.
    """

    received: int
    backlog: int
    overdue: int
    # None when no case of the period has been routed yet.
    median_routing_time: timedelta | None


@dataclass(frozen=True, kw_only=True)
class DepartmentSummary(Summary):
    department: Department


def _counts(*, since: datetime, now: datetime) -> dict[str, Count]:
    return {
        "received": Count("pk", filter=Q(created_at__gte=since)),
        "backlog": Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        "overdue": Count("pk", filter=overdue_q(now=now)),
    }


def _routing_times(cases: QuerySet[Case], *, since: datetime) -> QuerySet:
    # Only cases received in the period, so the median follows ?days.
    # The durations are computed in Python: one row per routed case of the
    # period (at most 90 days of intake) is cheap for a first version and
    # works on SQLite and PostgreSQL alike. When volumes grow, replace it with
    # PostgreSQL's percentile_cont in the database.
    return (
        cases.filter(created_at__gte=since, routed_at__isnull=False)
        .order_by()
        .values_list("department_id", "created_at", "routed_at")
    )


def _median(durations: list[timedelta]) -> timedelta | None:
    return statistics.median(durations) if durations else None


def department_summaries(
    *, cases: QuerySet[Case], departments: Iterable[Department], since: datetime, now: datetime
) -> list[DepartmentSummary]:
    """One summary per department, in the order given, counted over ``cases``.

    Two queries in all (counts grouped by department, then routing times),
    plus one to read ``departments`` if it is an unevaluated queryset.
    Departments without cases get zeros.
    """
    departments = list(departments)
    scoped = cases.filter(department__in=[d.pk for d in departments])
    counts = {
        row.pop("department_id"): row
        for row in scoped.order_by().values("department_id").annotate(**_counts(since=since, now=now))
    }
    durations: dict[int, list[timedelta]] = defaultdict(list)
    for department_id, created_at, routed_at in _routing_times(scoped, since=since):
        durations[department_id].append(routed_at - created_at)

    empty = {"received": 0, "backlog": 0, "overdue": 0}
    return [
        DepartmentSummary(
            department=department,
            **counts.get(department.pk, empty),
            median_routing_time=_median(durations[department.pk]),
        )
        for department in departments
    ]


def case_summary(*, cases: QuerySet[Case], since: datetime, now: datetime) -> Summary:
    """The same figures for all of ``cases`` together (totals, cases not routed yet).

    The median is taken over every routing time, not averaged from the
    departments' medians. Two queries.
    """
    counts = cases.order_by().aggregate(**_counts(since=since, now=now))
    durations = [routed_at - created_at for _, created_at, routed_at in _routing_times(cases, since=since)]
    return Summary(**counts, median_routing_time=_median(durations))


def oldest_open_cases(*, cases: QuerySet[Case], now: datetime, limit: int = 10) -> list[Case]:
    """The ``limit`` open cases waiting longest, in one query.

    Each carries ``next_due_at`` (the first-response date until someone
    answers, then the resolution date) and ``is_late`` (overdue at ``now``).
    """
    next_due_at = models.Case(
        When(
            first_response_at__isnull=True,
            first_response_due_at__isnull=False,
            then=F("first_response_due_at"),
        ),
        default=F("resolution_due_at"),
    )
    return list(
        cases.filter(status__in=OPEN_STATUSES)
        .select_related("owner")
        .annotate(
            next_due_at=next_due_at,
            is_late=ExpressionWrapper(overdue_q(now=now), output_field=BooleanField()),
        )
        .order_by("created_at", "pk")[:limit]
    )
