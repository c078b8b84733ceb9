"""A page's days: stored days read, the others tallied live."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..models import DailyFigures, RolledUpDay
from ..periods import days_from, local_zone, midnight
from .state import state_now
from .storage import IDS, SECONDS, day_runs, unpack
from .tally import Days, Tally
from .tallying import tally_days


@dataclass
class Span:
    """The tallies of a run of days, and the state now when the run reaches now."""

    days: Days
    now: dict[int | None, Tally] | None


def load(
    first: date, last: date, *, now: datetime, departments: list[int] | None = None, detail: bool = False
) -> Span:
    """The figures of each day from ``first`` to ``last``: stored days read, the others tallied live.

    A day is read from its rows when they were computed after it ended.
    Today's rows, computed earlier today by the periodic task, are read and
    what happened since is tallied on top, so today stays live at the cost
    of minutes of cases, not a day's. Any other day (never stored, or
    stored before it ended and not refreshed since) is tallied whole.
    ``departments`` None means every department and the cases not routed
    yet. ``detail`` adds what only a team page shows: the customers behind
    repeat complainants and the median age of the backlog.
    """
    today = now.astimezone(local_zone()).date()
    state = (
        state_now(now=now, departments=departments, ages=detail)
        if midnight(last + timedelta(days=1)) >= now
        else None
    )
    last = min(last, today)
    if last < first:
        return Span(days={}, now=state)
    computed = dict(
        RolledUpDay.objects.filter(day__gte=first, day__lte=last).values_list("day", "computed_at")
    )
    readable = {day for day, at in computed.items() if at >= midnight(day + timedelta(days=1))}
    today_since = computed.get(today) if today not in readable else None
    if today_since is not None:
        readable.add(today)
    rows = DailyFigures.objects.filter(day__gte=first, day__lte=last)
    if departments is not None:
        rows = rows.filter(department_id__in=departments)
    if not detail:
        rows = rows.defer("customer_ids")
    days: Days = {
        (row.department_id, row.day): _from_row(row, detail=detail) for row in rows if row.day in readable
    }
    if today_since is not None:
        for key, since_then in tally_days(
            today, today, now=now, departments=departments, since=today_since
        ).items():
            days.setdefault(key, Tally()).add_flows(since_then)
    for run_first, run_last in day_runs(day for day in days_from(first, last) if day not in readable):
        days.update(tally_days(run_first, run_last, now=now, departments=departments))
    return Span(days=days, now=state)


def _from_row(row: DailyFigures, *, detail: bool) -> Tally:
    def counter(data: dict, key=str) -> Counter:
        return Counter({key(k): v for k, v in data.items()})

    return Tally(
        counts=Counter(row.counts),
        first_response=unpack(row.first_response_seconds, SECONDS),
        resolution=unpack(row.resolution_seconds, SECONDS),
        # JSON keys are strings; days late are numbers.
        late_days=counter(row.late_days, int),
        delivery_late_days=counter(row.delivery_late_days, int),
        by_kind=counter(row.by_kind),
        by_channel=counter(row.by_channel),
        by_tag=counter(row.by_tag),
        customers=unpack(row.customer_ids, IDS) if detail else [],
        backlog=row.backlog,
        backlog_old=row.backlog_old,
        overdue=row.overdue,
        backlog_median_age=(
            timedelta(seconds=row.backlog_median_age_seconds)
            if row.backlog_median_age_seconds is not None
            else None
        ),
    )
