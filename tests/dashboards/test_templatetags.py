from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation

from dashboards.templatetags.dashboard_tags import cases_url, duration

CHANGELIST = "/admin/feedback/case/"
SINCE = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (timedelta(milliseconds=183.4), "183 ms"),
        (timedelta(seconds=2.34), "2.3 s"),
        (timedelta(seconds=2.97), "3.0 s"),
        (timedelta(seconds=42.6), "43 s"),
        (timedelta(minutes=4, seconds=10), "4 min"),
        (timedelta(hours=5, minutes=30), "5.5 h"),
        (timedelta(days=3, hours=5), "3.2 d"),
        (None, "—"),
    ],
)
def test_durations_read_at_the_scale_that_fits(value, expected):
    with translation.override("en"):
        assert duration(value) == expected


def test_durations_use_the_decimal_separator_of_the_language():
    with translation.override("es"):
        assert duration(timedelta(seconds=2.34)) == "2,3 s"


@pytest.mark.django_db
def test_a_department_backlog_links_to_its_open_cases_in_the_admin(logistics):
    assert cases_url("backlog", logistics) == (
        f"{CHANGELIST}?department__id__exact={logistics.pk}&status__in=new,routed,in_progress,waiting"
    )


@pytest.mark.django_db
def test_a_department_overdue_count_links_to_the_admin_overdue_filter(logistics):
    assert cases_url("overdue", logistics) == f"{CHANGELIST}?department__id__exact={logistics.pk}&overdue=yes"


def test_received_cases_link_to_the_cases_submitted_since_the_start_of_the_period():
    assert (
        cases_url("received", None, SINCE)
        == f"{CHANGELIST}?created_at__gte=2026-03-01T09%3A30%3A00%2B00%3A00"
    )


def test_cases_not_routed_yet_link_to_cases_without_a_department():
    assert cases_url("overdue", "unrouted") == f"{CHANGELIST}?department__isnull=True&overdue=yes"


def test_an_unknown_figure_is_a_programming_error():
    with pytest.raises(ValueError, match="median"):
        cases_url("median", None)
