"""The period a dashboard covers, in the local days managers think in (``TIME_ZONE``)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import QueryDict
from django.utils.translation import gettext as _

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
# A custom range longer than this is refused: the page would be slow and unreadable.
MAX_CUSTOM_DAYS = 731
# A custom range must lie within these whole calendar years around today's. The
# dashboards are about recent and coming work, and the arithmetic around a range
# (the previous period, the day after it, local midnights) overflows near years
# 1 and 9999: ?from=0001-01-01 was a 500.
EARLIEST_YEARS_BACK = 10
LATEST_YEARS_AHEAD = 1


def local_zone() -> ZoneInfo:
    """The zone whose days the dashboards count in."""
    return ZoneInfo(settings.TIME_ZONE)


@dataclass(frozen=True, kw_only=True)
class Period:
    """``[since, until)``, whole local days; ``now`` is the instant the page is drawn."""

    days: int
    since: datetime
    until: datetime
    now: datetime
    first_day: date
    last_day: date
    custom: bool = False
    # Why the requested range was not used, for the page to say.
    note: str = ""

    @property
    def previous(self) -> "Period":
        """The period of the same length just before this one."""
        first = self.first_day - timedelta(days=self.days)
        return _between(first, self.first_day - timedelta(days=1), now=self.now, custom=self.custom)

    @property
    def query(self) -> str:
        """The query string that selects this period again (for links between pages)."""
        if self.custom:
            return f"from={self.first_day.isoformat()}&to={self.last_day.isoformat()}"
        return f"days={self.days}"


def days_from(first: date, last: date) -> list[date]:
    """Every day from ``first`` to ``last``, both included (none if ``last`` is earlier)."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def midnight(day: date) -> datetime:
    """The instant a local day starts."""
    return datetime.combine(day, time.min, tzinfo=local_zone())


def _between(first: date, last: date, *, now: datetime, custom: bool, note: str = "") -> Period:
    return Period(
        days=(last - first).days + 1,
        since=midnight(first),
        until=midnight(last + timedelta(days=1)),
        now=now,
        first_day=first,
        last_day=last,
        custom=custom,
        note=note,
    )


def last_days(days: int, *, now: datetime, note: str = "") -> Period:
    """The ``days`` local days ending today (today included, up to now)."""
    today = now.astimezone(local_zone()).date()
    return _between(today - timedelta(days=days - 1), today, now=now, custom=False, note=note)


def custom_window(today: date) -> tuple[date, date]:
    """The first and last days a custom range may cover."""
    return date(today.year - EARLIEST_YEARS_BACK, 1, 1), date(today.year + LATEST_YEARS_AHEAD, 12, 31)


def period_from(params: QueryDict, *, now: datetime) -> Period:
    """``?days=7|30|90`` or ``?from=YYYY-MM-DD&to=YYYY-MM-DD`` (both days included).

    Anything else falls back to the last 30 days, with a note when a custom
    range was asked for and could not be used; never an error.
    """
    if "from" in params or "to" in params:
        try:
            first = date.fromisoformat(params.get("from", ""))
            last = date.fromisoformat(params.get("to", ""))
        except ValueError:
            return last_days(
                DEFAULT_PERIOD, now=now, note=_("The dates were not valid; showing the last 30 days.")
            )
        earliest, latest = custom_window(now.astimezone(local_zone()).date())
        if not (earliest <= first and last <= latest):
            note = _(
                "The dates are outside the years the dashboards cover (%(first)s to %(last)s); "
                "showing the last 30 days."
            ) % {"first": earliest.year, "last": latest.year}
            return last_days(DEFAULT_PERIOD, now=now, note=note)
        if first > last or (last - first).days >= MAX_CUSTOM_DAYS:
            return last_days(
                DEFAULT_PERIOD, now=now, note=_("The date range was not valid; showing the last 30 days.")
            )
        return _between(first, last, now=now, custom=True)
    days = params.get("days", "")
    return last_days(int(days) if days in {str(p) for p in PERIODS} else DEFAULT_PERIOD, now=now)
