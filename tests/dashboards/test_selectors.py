from datetime import UTC, datetime, timedelta

import pytest

from dashboards import selectors
from feedback.models import Case, Status
from tests.factories import CaseFactory, DepartmentFactory

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=30)


def ago(**kwargs) -> datetime:
    return NOW - timedelta(**kwargs)


def later(**kwargs) -> datetime:
    return NOW + timedelta(**kwargs)


def summaries(departments, *, cases=None, since=SINCE):
    cases = Case.objects.all() if cases is None else cases
    rows = selectors.department_summaries(cases=cases, departments=departments, since=since, now=NOW)
    return {row.department.slug: row for row in rows}


@pytest.mark.django_db
def test_it_counts_received_open_and_overdue_cases_per_department(logistics, billing):
    # Logistics: 3 received, 2 open, 1 of them overdue.
    CaseFactory(
        department=logistics, status=Status.ROUTED, created_at=ago(days=2), resolution_due_at=ago(hours=1)
    )
    CaseFactory(
        department=logistics,
        status=Status.IN_PROGRESS,
        created_at=ago(days=1),
        resolution_due_at=later(days=1),
    )
    CaseFactory(
        department=logistics, status=Status.RESOLVED, created_at=ago(days=3), resolution_due_at=ago(days=1)
    )
    # Billing: 2 received, both open, none overdue.
    CaseFactory(department=billing, status=Status.NEW, created_at=ago(hours=5))
    CaseFactory(
        department=billing, status=Status.WAITING, created_at=ago(days=4), resolution_due_at=later(hours=1)
    )

    rows = summaries([logistics, billing])

    assert (rows["logistics"].received, rows["logistics"].backlog, rows["logistics"].overdue) == (3, 2, 1)
    assert (rows["billing"].received, rows["billing"].backlog, rows["billing"].overdue) == (2, 2, 0)


@pytest.mark.django_db
def test_an_unanswered_case_past_its_first_response_date_is_overdue(logistics):
    CaseFactory(
        department=logistics,
        status=Status.ROUTED,
        first_response_due_at=ago(minutes=1),
        resolution_due_at=later(days=2),
    )

    assert summaries([logistics])["logistics"].overdue == 1


@pytest.mark.django_db
def test_an_answered_case_is_not_overdue_for_its_first_response_date(logistics):
    CaseFactory(
        department=logistics,
        status=Status.IN_PROGRESS,
        first_response_due_at=ago(days=1),
        first_response_at=ago(days=1, hours=1),
        resolution_due_at=later(days=2),
    )

    assert summaries([logistics])["logistics"].overdue == 0


@pytest.mark.django_db
def test_closed_cases_past_their_dates_are_neither_backlog_nor_overdue(logistics):
    CaseFactory(
        department=logistics,
        status=Status.CLOSED,
        first_response_due_at=ago(days=2),
        resolution_due_at=ago(days=1),
    )

    row = summaries([logistics])["logistics"]

    assert (row.received, row.backlog, row.overdue) == (1, 0, 0)


@pytest.mark.django_db
def test_the_overdue_count_agrees_with_case_is_overdue(logistics):
    cases = [
        CaseFactory(
            department=logistics, status=status, first_response_due_at=first, resolution_due_at=resolution
        )
        for status in (Status.NEW, Status.WAITING, Status.RESOLVED)
        for first in (None, ago(hours=1), later(hours=1))
        for resolution in (None, ago(hours=1), later(hours=1))
    ]

    expected = sum(case.is_overdue(NOW) for case in cases)

    assert summaries([logistics])["logistics"].overdue == expected == 10


@pytest.mark.django_db
def test_the_period_limits_received_cases_but_not_the_open_backlog(logistics):
    CaseFactory(department=logistics, status=Status.ROUTED, created_at=ago(days=6))
    CaseFactory(department=logistics, status=Status.ROUTED, created_at=ago(days=8))
    CaseFactory(department=logistics, status=Status.ROUTED, created_at=ago(days=45))

    last_week = summaries([logistics], since=ago(days=7))["logistics"]
    last_quarter = summaries([logistics], since=ago(days=90))["logistics"]

    assert (last_week.received, last_week.backlog) == (1, 3)
    assert (last_quarter.received, last_quarter.backlog) == (3, 3)


@pytest.mark.django_db
def test_the_median_routing_time_is_the_middle_of_the_periods_routing_times(logistics, billing):
    for seconds in (2, 3, 60):
        created = ago(days=1)
        CaseFactory(department=logistics, created_at=created, routed_at=created + timedelta(seconds=seconds))
    # Routed long ago: outside the period, so not in the median.
    CaseFactory(department=logistics, created_at=ago(days=40), routed_at=ago(days=39))
    for seconds in (4, 10):
        created = ago(hours=3)
        CaseFactory(department=billing, created_at=created, routed_at=created + timedelta(seconds=seconds))

    rows = summaries([logistics, billing])

    assert rows["logistics"].median_routing_time == timedelta(seconds=3)
    # An even count: halfway between the two middle values.
    assert rows["billing"].median_routing_time == timedelta(seconds=7)


@pytest.mark.django_db
def test_a_department_without_cases_gets_zeros_and_no_median(logistics, billing):
    CaseFactory(department=logistics, created_at=ago(days=1), routed_at=ago(days=1) + timedelta(seconds=5))

    row = summaries([logistics, billing])["billing"]

    assert (row.received, row.backlog, row.overdue, row.median_routing_time) == (0, 0, 0, None)


@pytest.mark.django_db
def test_unrouted_cases_wait_without_a_median(logistics):
    CaseFactory(department=None, status=Status.NEW, created_at=ago(minutes=10))

    summary = selectors.case_summary(cases=Case.objects.filter(department=None), since=SINCE, now=NOW)

    assert (summary.received, summary.backlog, summary.overdue, summary.median_routing_time) == (
        1,
        1,
        0,
        None,
    )


@pytest.mark.django_db
def test_rows_are_counted_only_over_the_cases_given(logistics):
    CaseFactory(department=logistics, status=Status.NEW, reference="CX-2026-000001")
    CaseFactory(department=logistics, status=Status.NEW, reference="CX-2026-000002")

    rows = summaries([logistics], cases=Case.objects.filter(reference="CX-2026-000001"))

    assert rows["logistics"].backlog == 1


@pytest.mark.django_db
def test_the_total_median_pools_every_routing_time_rather_than_averaging_medians(logistics, billing):
    for department, seconds in ((logistics, 1), (logistics, 2), (logistics, 3), (billing, 100)):
        created = ago(days=1)
        CaseFactory(department=department, created_at=created, routed_at=created + timedelta(seconds=seconds))

    total = selectors.case_summary(cases=Case.objects.all(), since=SINCE, now=NOW)

    assert total.received == 4
    assert total.median_routing_time == timedelta(seconds=2.5)


@pytest.mark.django_db
@pytest.mark.parametrize("how_many", [1, 5, 20])
def test_department_summaries_take_two_queries_however_many_departments(how_many, django_assert_num_queries):
    departments = [DepartmentFactory() for _ in range(how_many)]
    for department in departments:
        CaseFactory(department=department, created_at=ago(days=1), routed_at=ago(hours=23))

    with django_assert_num_queries(2):
        rows = selectors.department_summaries(
            cases=Case.objects.all(), departments=departments, since=SINCE, now=NOW
        )

    assert [row.received for row in rows] == [1] * how_many


@pytest.mark.django_db
def test_oldest_open_cases_lists_open_cases_oldest_first_up_to_the_limit(logistics, laura):
    open_cases = [
        CaseFactory(department=logistics, status=Status.ROUTED, owner=laura, created_at=ago(days=days))
        for days in range(1, 13)
    ]
    CaseFactory(department=logistics, status=Status.CLOSED, created_at=ago(days=60))

    oldest = selectors.oldest_open_cases(cases=Case.objects.all(), now=NOW, limit=10)

    assert oldest == sorted(open_cases, key=lambda case: case.created_at)[:10]


@pytest.mark.django_db
def test_oldest_open_cases_show_the_next_due_date_and_whether_it_has_passed(logistics):
    CaseFactory(
        reference="CX-UNANSWERED",
        department=logistics,
        status=Status.ROUTED,
        created_at=ago(days=2),
        first_response_due_at=ago(hours=1),
        resolution_due_at=later(days=1),
    )
    CaseFactory(
        reference="CX-ANSWERED",
        department=logistics,
        status=Status.IN_PROGRESS,
        created_at=ago(days=1),
        first_response_due_at=ago(hours=20),
        first_response_at=ago(hours=22),
        resolution_due_at=later(days=1),
    )

    unanswered, answered = selectors.oldest_open_cases(cases=Case.objects.all(), now=NOW)

    assert (unanswered.next_due_at, unanswered.is_late) == (ago(hours=1), True)
    assert (answered.next_due_at, answered.is_late) == (later(days=1), False)
