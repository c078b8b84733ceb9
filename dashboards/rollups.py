"""Daily roll-ups: what happened to each department's cases on each local day.

A dashboard period is whole local days (``TIME_ZONE``). ``tally_days`` goes
through the cases once and counts, per department and day, everything the
indicators are made of: flows on the day they happened (received, answered,
due, resolved, reopened, surveyed) and, for finished days, the state at the
end of the day (backlog, its age, overdue). ``refresh`` stores finished days
as ``DailyFigures`` rows; ``load`` reads stored days and tallies the others
(today, or days the periodic task has not reached yet) live with the same
code, so a page is never wrong, only slower until the task has run. The
state now comes from ``state_now``: aggregate queries on the status, the
same filters as the admin lists the figures link to.

A stored day is recomputed whole (its rows deleted and written again), so
running a refresh twice, or over days already stored, changes nothing.
"""

import logging
import statistics
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Min, Q

from feedback.models import OPEN_STATUSES, Case, CaseEvent, SurveyResponse
from feedback.selectors import overdue_q
from routing.models import Department
from routing.selectors import sla_calendar
from routing.sla import Calendar, business_time_between

from .models import DailyFigures, RolledUpDay
from .periods import local_zone, midnight

logger = logging.getLogger(__name__)

# The tag of delivery complaints whose lateness the logistics figures measure.
DELIVERY_TAG = "delivery-delay"
# An open case older than this is "old" in the backlog.
OLD_CASE_AGE = timedelta(days=7)
# The additive counters of a day.
COUNTS = (
    "received",
    # First-response and resolution dates falling due that day and decided
    # (answered, or past due unanswered), and how many of them were met.
    "fr_due",
    "fr_met",
    "res_due",
    "res_met",
    # Of the cases received that day: answered, and answered within the promise.
    "answered",
    "kept",
    "resolved",
    "reopened",
    "surveys",
    "csat_sum",
    "satisfied",
    "promoters",
    "detractors",
    "ces_sum",
)
# The fields ``tally_days`` reads of each case.
_FIELDS = (
    "pk",
    "department_id",
    "customer_id",
    "kind",
    "channel",
    "created_at",
    "first_response_due_at",
    "first_response_at",
    "resolution_due_at",
    "resolved_at",
    "closed_at",
    "promised_delivery_date",
)


@dataclass
class Tally:
    """The figures of one department on one day, or summed over several days."""

    counts: Counter = field(default_factory=Counter)
    first_response: list[int] = field(default_factory=list)
    resolution: list[int] = field(default_factory=list)
    late_days: Counter = field(default_factory=Counter)
    delivery_late_days: Counter = field(default_factory=Counter)
    by_kind: Counter = field(default_factory=Counter)
    by_channel: Counter = field(default_factory=Counter)
    by_tag: Counter = field(default_factory=Counter)
    # The customer of each case received, for repeat complainants.
    customers: list[int] = field(default_factory=list)
    # The state at the end of the day (or now).
    backlog: int = 0
    backlog_old: int = 0
    overdue: int = 0
    backlog_median_age: timedelta | None = None
    # Ages (seconds) of the open cases, while tallying; only their median is kept.
    ages: list[float] = field(default_factory=list, repr=False)

    def add_flows(self, other: "Tally") -> None:
        """Add ``other``'s flows; the state is a day's, never summed."""
        self.counts.update(other.counts)
        self.first_response.extend(other.first_response)
        self.resolution.extend(other.resolution)
        self.customers.extend(other.customers)
        for name in ("late_days", "delivery_late_days", "by_kind", "by_channel", "by_tag"):
            getattr(self, name).update(getattr(other, name))

    def take_state(self, other: "Tally") -> None:
        self.backlog, self.backlog_old, self.overdue = other.backlog, other.backlog_old, other.overdue
        self.backlog_median_age = other.backlog_median_age


# {(department id or None, day): Tally}
Days = dict[tuple[int | None, date], Tally]


def _calendars() -> dict[int | None, Calendar | None]:
    """Each department's SLA calendar; one query per distinct calendar, not per department.

    Durations are counted in the business hours of the team's calendar;
    cases not routed yet (and teams without a calendar) count wall-clock time.
    """
    by_calendar: dict[int, Calendar] = {}
    calendars: dict[int | None, Calendar | None] = {}
    for department in Department.objects.select_related("sla_policy__calendar"):
        policy = department.sla_policy
        key = policy.calendar_id if policy is not None else None
        if key is not None and key not in by_calendar:
            by_calendar[key] = sla_calendar(policy)
        calendars[department.pk] = by_calendar.get(key)
    return calendars


def _seconds(start: datetime, end: datetime, calendar: Calendar | None) -> int:
    return int(business_time_between(start, end, calendar).total_seconds())


def _case_rows(
    start: datetime, end: datetime, departments: list[int] | None, *, with_state: bool
) -> Iterator[tuple]:
    """Every case that has a figure on a day of ``[start, end)``, once each.

    One simple query per date field, so each can use its own index on
    SQLite and PostgreSQL alike (a single OR of them would scan the table);
    each leaves out what an earlier one fetched. ``with_state`` adds the
    cases open at some instant of the range, for the end-of-day state.
    """
    fields = ["created_at", "first_response_due_at", "resolution_due_at", "first_response_at", "resolved_at"]
    terms = [Q(**{f"{name}__gte": start, f"{name}__lt": end}) for name in fields]
    if with_state:
        # Created before the range ends and neither resolved nor closed before it starts.
        terms += [
            Q(created_at__lt=end, status__in=OPEN_STATUSES),
            Q(created_at__lt=end, resolved_at__gte=start),
            Q(created_at__lt=end, closed_at__gte=start),
        ]
    # Departments are picked out here, not in SQL: a department filter would
    # tempt SQLite into the department index and a scan of the whole team.
    wanted = None if departments is None else set(departments)
    fetched = Q()
    for term in terms:
        rows = Case.objects.order_by().filter(term).exclude(fetched) if fetched else Case.objects.filter(term)
        for row in rows.order_by().values_list(*_FIELDS).iterator(chunk_size=5_000):
            if wanted is None or row[1] in wanted:
                yield row
        fetched |= term


def tally_days(first: date, last: date, *, now: datetime, departments: list[int] | None = None) -> Days:
    """The figures of every department (or of ``departments``) on each day from ``first`` to ``last``.

    Flows count up to ``now``; the state is taken at the end of each day
    already over at ``now`` (today's is ``state_now``'s). Only (department,
    day) pairs with something to count are returned.
    """
    zone = local_zone()
    start, end = midnight(first), midnight(last + timedelta(days=1))
    n_days = (last - first).days + 1
    # The instant each day's state is taken: its end, or None for days not over yet.
    ends = [midnight(first + timedelta(days=i + 1)) for i in range(n_days)]
    state_at = [day_end if day_end <= now else None for day_end in ends]
    with_state = any(state_at)
    days: Days = defaultdict(Tally)
    calendars = _calendars()

    def index(moment: datetime | None) -> int | None:
        # The day ``moment`` falls on, by comparing instants (cheaper than a time-zone conversion per row).
        if moment is None or not start <= moment < end:
            return None
        return bisect_right(ends, moment)

    def tally(department: int | None, i: int) -> Tally:
        return days[(department, first + timedelta(days=i))]

    # As in ``_case_rows``, departments are picked out in Python.
    wanted = None if departments is None else set(departments)
    tags: dict[int, list[str]] = defaultdict(list)
    for case_id, slug in Case.tags.through.objects.filter(
        case__created_at__gte=start, case__created_at__lt=end
    ).values_list("case_id", "tag__slug"):
        tags[case_id].append(slug)

    for (
        pk,
        dep,
        customer,
        kind,
        channel,
        created,
        fr_due,
        fr_at,
        res_due,
        resolved,
        closed,
        promised,
    ) in _case_rows(start, end, departments, with_state=with_state):
        calendar = calendars.get(dep)
        if (i := index(created)) is not None:
            t = tally(dep, i)
            t.counts["received"] += 1
            t.customers.append(customer)
            t.by_kind[kind] += 1
            t.by_channel[channel] += 1
            t.by_tag.update(tags.get(pk, ()))
            if promised is not None:
                # The local date the customer complained minus the promised date, never below 0.
                late = max(0, (created.astimezone(zone).date() - promised).days)
                t.late_days[late] += 1
                if DELIVERY_TAG in tags.get(pk, ()):
                    t.delivery_late_days[late] += 1
            if fr_at is not None and fr_due is not None:
                t.counts["answered"] += 1
                t.counts["kept"] += fr_at <= fr_due
        # A due date counts once decided: answered (in time or late), or past due unanswered.
        if (i := index(fr_due)) is not None and (fr_at is not None or fr_due < now):
            t = tally(dep, i)
            t.counts["fr_due"] += 1
            t.counts["fr_met"] += fr_at is not None and fr_at <= fr_due
        if (i := index(res_due)) is not None and (resolved is not None or res_due < now):
            t = tally(dep, i)
            t.counts["res_due"] += 1
            t.counts["res_met"] += resolved is not None and resolved <= res_due
        if (i := index(fr_at)) is not None:
            tally(dep, i).first_response.append(_seconds(created, fr_at, calendar))
        if (i := index(resolved)) is not None:
            t = tally(dep, i)
            t.counts["resolved"] += 1
            t.resolution.append(_seconds(created, resolved, calendar))
        if with_state:
            _add_state(tally, state_at, ends, dep, created, fr_due, fr_at, res_due, resolved, closed)

    reopenings = CaseEvent.objects.filter(
        kind=CaseEvent.Kind.STATUS_CHANGED, at__gte=start, at__lt=end, data__reopened=True
    )
    for dep, at in reopenings.values_list("case__department_id", "at"):
        if wanted is None or dep in wanted:
            tally(dep, index(at)).counts["reopened"] += 1
    surveys = SurveyResponse.objects.filter(submitted_at__gte=start, submitted_at__lt=end)
    for dep, at, csat, nps, ces in surveys.values_list(
        "case__department_id", "submitted_at", "csat", "nps", "ces"
    ):
        if wanted is not None and dep not in wanted:
            continue
        counts = tally(dep, index(at)).counts
        counts.update(
            surveys=1,
            csat_sum=csat,
            satisfied=csat >= 4,
            promoters=nps >= 9,
            detractors=nps <= 6,
            ces_sum=ces,
        )

    for t in days.values():
        t.first_response.sort()
        t.resolution.sort()
        if t.ages:
            t.backlog_median_age = timedelta(seconds=round(statistics.median(t.ages)))
            t.ages = []
    return dict(days)


def _add_state(tally, state_at, ends, dep, created, fr_due, fr_at, res_due, resolved, closed) -> None:
    """Count the case in the backlog (and overdue) of every finished day it was open at the day's end.

    The past is rebuilt from the timestamps: open at ``t`` means created
    before ``t`` and neither resolved nor closed before it (reopening clears
    both), and overdue uses the due dates the case has today.
    """
    left = min((moment for moment in (resolved, closed) if moment is not None), default=None)
    # From the day it was created to the day it left (``ends`` are the days' ends).
    from_i = bisect_right(ends, created)
    to_i = len(state_at) - 1 if left is None else min(len(state_at) - 1, bisect_right(ends, left))
    for i in range(from_i, to_i + 1):
        t_end = state_at[i]
        if t_end is None or not created < t_end or (left is not None and left < t_end):
            continue
        t = tally(dep, i)
        t.backlog += 1
        t.ages.append((t_end - created).total_seconds())
        if created < t_end - OLD_CASE_AGE:
            t.backlog_old += 1
        unanswered = fr_at is None or fr_at >= t_end
        if (fr_due is not None and unanswered and fr_due < t_end) or (
            res_due is not None and res_due < t_end
        ):
            t.overdue += 1


def state_now(*, now: datetime, departments: list[int] | None = None, ages: bool = False) -> dict:
    """The backlog, old cases and overdue cases now, per department: {department id or None: Tally}.

    Counted from the status with ``overdue_q``, as the admin lists the
    figures link to. ``ages`` adds the median age of the open cases (one
    more query, over every open case).
    """
    cases = Case.objects.filter(status__in=OPEN_STATUSES).order_by()
    if departments is not None:
        cases = cases.filter(department_id__in=departments)
    state: dict[int | None, Tally] = {}
    for row in cases.values("department_id").annotate(
        backlog=Count("pk"),
        backlog_old=Count("pk", filter=Q(created_at__lt=now - OLD_CASE_AGE)),
        overdue=Count("pk", filter=overdue_q(now=now)),
    ):
        state[row["department_id"]] = Tally(
            backlog=row["backlog"], backlog_old=row["backlog_old"], overdue=row["overdue"]
        )
    if ages:
        for dep, created in cases.values_list("department_id", "created_at"):
            state[dep].ages.append(max(0.0, (now - created).total_seconds()))
        for tally in state.values():
            tally.backlog_median_age = timedelta(seconds=round(statistics.median(tally.ages)))
            tally.ages = []
    return state


def _runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive days grouped into (first, last) runs."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and day == runs[-1][1] + timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def refresh(days: Iterable[date], *, now: datetime) -> int:
    """Recompute and store the figures of ``days`` (days not finished at ``now`` are skipped).

    Returns how many days were written. Long runs of days are tallied a
    month at a time so memory stays flat on a full rebuild.
    """
    today = now.astimezone(local_zone()).date()
    written = 0
    for run_first, run_last in _runs(day for day in days if day < today):
        chunk_first = run_first
        while chunk_first <= run_last:
            chunk_last = min(run_last, chunk_first + timedelta(days=30))
            _store(chunk_first, chunk_last, tally_days(chunk_first, chunk_last, now=now), now=now)
            written += (chunk_last - chunk_first).days + 1
            chunk_first = chunk_last + timedelta(days=1)
    return written


def _store(first: date, last: date, days: Days, *, now: datetime) -> None:
    rows = [
        DailyFigures(
            department_id=dep,
            day=day,
            counts={k: v for k, v in t.counts.items() if v},
            first_response_seconds=t.first_response,
            resolution_seconds=t.resolution,
            late_days=dict(t.late_days),
            delivery_late_days=dict(t.delivery_late_days),
            by_kind=dict(t.by_kind),
            by_channel=dict(t.by_channel),
            by_tag=dict(t.by_tag),
            customer_ids=t.customers,
            backlog=t.backlog,
            backlog_old=t.backlog_old,
            overdue=t.overdue,
            backlog_median_age_seconds=(
                round(t.backlog_median_age.total_seconds()) if t.backlog_median_age is not None else None
            ),
            computed_at=now,
        )
        for (dep, day), t in days.items()
    ]
    marks = [
        RolledUpDay(day=first + timedelta(days=i), computed_at=now) for i in range((last - first).days + 1)
    ]
    try:
        with transaction.atomic():
            DailyFigures.objects.filter(day__gte=first, day__lte=last).delete()
            RolledUpDay.objects.filter(day__gte=first, day__lte=last).delete()
            DailyFigures.objects.bulk_create(rows, batch_size=500)
            RolledUpDay.objects.bulk_create(marks)
    except IntegrityError:
        # Another refresh of the same days committed first; its rows are as good as ours.
        logger.info("Daily figures %s..%s were written by another refresh meanwhile.", first, last)


def _from_row(row: DailyFigures, *, detail: bool) -> Tally:
    def counter(data: dict, key=str) -> Counter:
        return Counter({key(k): v for k, v in data.items()})

    return Tally(
        counts=Counter(row.counts),
        first_response=row.first_response_seconds,
        resolution=row.resolution_seconds,
        # JSON keys are strings; days late are numbers.
        late_days=counter(row.late_days, int),
        delivery_late_days=counter(row.delivery_late_days, int),
        by_kind=counter(row.by_kind),
        by_channel=counter(row.by_channel),
        by_tag=counter(row.by_tag),
        customers=row.customer_ids if detail else [],
        backlog=row.backlog,
        backlog_old=row.backlog_old,
        overdue=row.overdue,
        backlog_median_age=(
            timedelta(seconds=row.backlog_median_age_seconds)
            if row.backlog_median_age_seconds is not None
            else None
        ),
    )


@dataclass
class Span:
    """The tallies of a run of days, and the state now when the run reaches now."""

    days: Days
    now: dict[int | None, Tally] | None


def load(
    first: date, last: date, *, now: datetime, departments: list[int] | None = None, detail: bool = False
) -> Span:
    """The figures of each day from ``first`` to ``last``: stored days read, the others tallied live.

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
    stored = set(
        RolledUpDay.objects.filter(day__gte=first, day__lte=min(last, today - timedelta(days=1))).values_list(
            "day", flat=True
        )
    )
    rows = DailyFigures.objects.filter(day__gte=first, day__lte=last)
    if departments is not None:
        rows = rows.filter(department_id__in=departments)
    if not detail:
        rows = rows.defer("customer_ids")
    days: Days = {
        (row.department_id, row.day): _from_row(row, detail=detail) for row in rows if row.day in stored
    }
    missing = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    for run_first, run_last in _runs(day for day in missing if day not in stored):
        days.update(tally_days(run_first, run_last, now=now, departments=departments))
    return Span(days=days, now=state)


def first_case_day() -> date | None:
    first = Case.objects.aggregate(first=Min("created_at"))["first"]
    return first.astimezone(local_zone()).date() if first else None


def days_to_refresh(*, now: datetime, recent: int = 1, changed_since: datetime | None = None) -> set[date]:
    """The finished days worth recomputing at ``now``.

    The last ``recent`` days; every day since the first case that was never
    stored (a new installation, or imported history); and the days of cases
    changed since ``changed_since`` (an answer, a resolution or a move
    rewrites figures of the day the case was received too).
    """
    today = now.astimezone(local_zone()).date()
    days = {today - timedelta(days=i) for i in range(1, recent + 1)}
    first = first_case_day()
    if first is not None and first < today:
        stored = set(RolledUpDay.objects.filter(day__gte=first).values_list("day", flat=True))
        days |= {first + timedelta(days=i) for i in range((today - first).days)} - stored
    if changed_since is not None:
        zone = local_zone()
        for moments in Case.objects.filter(updated_at__gte=changed_since).values_list(
            "created_at",
            "first_response_due_at",
            "first_response_at",
            "resolution_due_at",
            "resolved_at",
            "closed_at",
        ):
            days |= {moment.astimezone(zone).date() for moment in moments if moment is not None}
    return {day for day in days if day < today}
