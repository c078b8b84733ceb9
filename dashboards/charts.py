"""Data for the dashboard charts: each point carries the admin link to its cases."""

from datetime import date, timedelta

from .periods import Period, days_from, midnight
from .templatetags.dashboard_tags import cases_url


def chart_data(*, daily: dict[date, int], scope, period: Period, by_tag: list | None = None) -> dict:
    """The trend of received cases and, on a team page, the tag mix, as the page's JSON.

    ``daily`` is the cases received per local day (``Figures.daily``); days
    without cases are drawn as 0.
    """
    trend = [(day, daily.get(day, 0)) for day in days_from(period.first_day, period.last_day)]
    data = {
        "trend": {
            "labels": [day.isoformat() for day, _ in trend],
            "counts": [count for _, count in trend],
            "urls": [
                cases_url("received", scope, midnight(day), midnight(day + timedelta(days=1)))
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
