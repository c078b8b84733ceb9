"""Data for the dashboard charts: each point carries the admin link to its cases."""

from datetime import date, datetime, time, timedelta

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate

from feedback.models import Case

from .indicators import local_zone
from .periods import Period
from .templatetags.dashboard_tags import cases_url


def daily_received(*, cases: QuerySet[Case], period: Period) -> list[tuple[date, int]]:
    """Cases received per local day of the period, days without cases included (one query)."""
    zone = local_zone()
    counts = dict(
        cases.filter(created_at__gte=period.since, created_at__lt=period.until)
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .order_by()
        .values_list("day")
        .annotate(n=Count("pk"))
    )
    days = (period.last_day - period.first_day).days + 1
    return [(day, counts.get(day, 0)) for day in (period.first_day + timedelta(n) for n in range(days))]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=local_zone())


def chart_data(*, cases: QuerySet[Case], scope, period: Period, by_tag: list | None = None) -> dict:
    """The trend of received cases and, on a team page, the tag mix, as the page's JSON."""
    trend = daily_received(cases=cases, period=period)
    data = {
        "trend": {
            "labels": [day.isoformat() for day, _ in trend],
            "counts": [count for _, count in trend],
            "urls": [
                cases_url("received", scope, _midnight(day), _midnight(day + timedelta(days=1)))
                for day, _ in trend
            ],
        }
    }
    if by_tag is not None:
        received = cases_url("received", scope, period.since, period.until)
        rows = [(key, label, count) for key, label, count, _previous in by_tag if count]
        data["tags"] = {
            "labels": [label for _, label, _ in rows],
            "counts": [count for _, _, count in rows],
            "urls": [f"{received}&tags__slug={key}" for key, _, _ in rows],
        }
    return data
