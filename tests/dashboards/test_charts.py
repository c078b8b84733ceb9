"""Chart data: received per local day, and the tag mix, each linking to its cases."""

from datetime import UTC, datetime, timedelta

from django.urls import reverse

from dashboards.charts import daily_received
from dashboards.periods import last_days
from feedback.models import Case

from ..factories import CaseFactory, TagFactory

NOW = datetime(2026, 3, 15, 11, 0, tzinfo=UTC)  # Sunday 12:00 in Madrid


def test_days_are_local_and_days_without_cases_count_zero(logistics):
    period = last_days(7, now=NOW)  # 9 to 15 March, Madrid days
    CaseFactory(
        department=logistics, created_at=datetime(2026, 3, 13, 22, 30, tzinfo=UTC)
    )  # 23:30 on the 13th
    CaseFactory(
        department=logistics, created_at=datetime(2026, 3, 13, 23, 30, tzinfo=UTC)
    )  # 00:30 on the 14th
    CaseFactory(department=logistics, created_at=datetime(2026, 3, 14, 9, 0, tzinfo=UTC))
    CaseFactory(department=logistics, created_at=NOW - timedelta(days=30))  # before the period

    days = dict(daily_received(cases=Case.objects.all(), period=period))

    assert len(days) == 7
    assert days[period.first_day] == 0
    assert days[datetime(2026, 3, 13).date()] == 1
    assert days[datetime(2026, 3, 14).date()] == 2


def test_each_point_and_segment_links_to_exactly_its_cases(client, elena, logistics):
    tag = TagFactory(slug="delivery-delay")
    case = CaseFactory(department=logistics)
    case.tags.add(tag)
    CaseFactory(department=logistics)
    client.force_login(elena)

    page = client.get(reverse("dashboards:department", args=["logistics"]))
    charts = page.context["charts"]

    today = charts["trend"]["urls"][-1]
    assert sum(charts["trend"]["counts"]) == 2
    assert client.get(today).context["cl"].result_count == 2
    assert charts["tags"]["labels"] == ["delivery-delay"]
    assert client.get(charts["tags"]["urls"][0]).context["cl"].result_count == 1
    assert 'id="cx-charts"' in page.content.decode()
