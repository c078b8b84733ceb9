from datetime import UTC, datetime, timedelta

import pytest

from dashboards import selectors
from feedback.models import Case, Status
from feedback.selectors import overdue_q
from tests.factories import CaseFactory

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=30)


def ago(**kwargs) -> datetime:
    return NOW - timedelta(**kwargs)


def later(**kwargs) -> datetime:
    return NOW + timedelta(**kwargs)


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

    assert Case.objects.filter(overdue_q(now=NOW)).count() == expected == 10


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
