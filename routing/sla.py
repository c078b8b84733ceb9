"""Business-hours arithmetic for SLA due dates, in plain Python (no ORM).

A ``Calendar`` says when the clock runs: working days, one opening and one
closing time (wall-clock, in the calendar's time zone) and holidays. Without
a calendar (``None``) the clock runs 24/7.

Every interval is converted to UTC before it is measured. Subtracting two
aware datetimes that share a ``ZoneInfo`` compares wall clocks, which is
wrong across a daylight-saving change: in Europe/Madrid the last Sunday of
March has 23 hours and the last Sunday of October 25.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

# A calendar with no working day would make the search below run forever.
MAX_DAYS = 366 * 5


@dataclass(frozen=True)
class Calendar:
    """When the SLA clock runs.

    ``weekdays`` are ``date.weekday()`` numbers (Monday 0). A ``closes`` of
    00:00 means midnight at the end of the day, so 00:00-00:00 is all day.
    """

    time_zone: str = "UTC"
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    opens: time = time(9)
    closes: time = time(18)
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.closes != time(0) and self.closes <= self.opens:
            raise ValueError("A calendar must close after it opens.")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def open_hours(self, day: date) -> tuple[datetime, datetime] | None:
        """The day's working interval in UTC, or None on a day off."""
        return _open_hours(self, day)


# Due dates and the dashboards' business-hours durations ask for the same days
# of the same few calendars again and again; a calendar is immutable, so its
# days can be kept.
@lru_cache(maxsize=16_384)
def _open_hours(calendar: Calendar, day: date) -> tuple[datetime, datetime] | None:
    if not calendar.is_working_day(day):
        return None
    zone = calendar.zone
    opens = datetime.combine(day, calendar.opens, tzinfo=zone)
    closes = (
        datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
        if calendar.closes == time(0)
        else datetime.combine(day, calendar.closes, tzinfo=zone)
    )
    return opens.astimezone(UTC), closes.astimezone(UTC)


def _working_intervals(start: datetime, calendar: Calendar) -> Iterator[tuple[datetime, datetime]]:
    """Working intervals (UTC) from the local day of ``start`` on, clipped to ``start``."""
    start = start.astimezone(UTC)
    day = start.astimezone(calendar.zone).date()
    for offset in range(MAX_DAYS):
        interval = calendar.open_hours(day + timedelta(days=offset))
        if interval is None:
            continue
        opens, closes = interval
        opens = max(opens, start)
        if opens < closes:
            yield opens, closes
    raise ValueError(f"No working time within {MAX_DAYS} days: check the calendar's days and holidays.")


def add_business_time(start: datetime, hours: float, calendar: Calendar | None) -> datetime:
    """The moment ``hours`` of working time after ``start``.

    A start outside working hours counts from the next opening. Zero hours
    is ``start`` itself: nothing is owed, so the clock need not start. The
    result is in ``start``'s time zone (UTC for values read from the database).
    """
    if start.tzinfo is None:
        raise ValueError("add_business_time needs an aware datetime.")
    if hours < 0:
        raise ValueError("Hours must not be negative.")
    if calendar is None:
        return start + timedelta(hours=hours)
    if hours == 0:
        return start
    remaining = timedelta(hours=hours)
    for opens, closes in _working_intervals(start, calendar):
        if remaining <= closes - opens:
            return (opens + remaining).astimezone(start.tzinfo)
        remaining -= closes - opens
    raise AssertionError("unreachable")  # _working_intervals raises first


def business_time_between(start: datetime, end: datetime, calendar: Calendar | None) -> timedelta:
    """Working time from ``start`` to ``end`` (zero if ``end`` is not later)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("business_time_between needs aware datetimes.")
    if end <= start:
        return timedelta(0)
    if calendar is None:
        return end - start
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    total = timedelta(0)
    zone = calendar.zone
    last_day = end.astimezone(zone).date()
    start_day = start.astimezone(zone).date()
    for offset in range((last_day - start_day).days + 1):
        interval = calendar.open_hours(start_day + timedelta(days=offset))
        if interval is None:
            continue
        opens = max(interval[0], start)
        closes = min(interval[1], end)
        if opens < closes:
            total += closes - opens
    return total
