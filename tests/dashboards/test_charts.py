"""Chart data: received per local day, and the tag mix, each linking to its cases."""

from datetime import UTC, datetime, timedelta

from django.urls import reverse

from dashboards.charts import chart_data
from dashboards.indicators import compute
from dashboards.periods import last_days

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

    daily = compute(first_day=period.first_day, last_day=period.last_day, now=NOW)[logistics.pk].daily
    trend = chart_data(daily=daily, scope=logistics, period=period)["trend"]

    assert trend["labels"] == [f"2026-03-{day:02d}" for day in range(9, 16)]
    assert trend["counts"] == [0, 0, 0, 0, 1, 2, 0]


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
