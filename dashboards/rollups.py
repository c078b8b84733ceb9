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
import sys
from array import array
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.core.cache import cache
from django.db import NotSupportedError, transaction
from django.db.models import Count, F, FloatField, Func, Min, Q
from django.db.models.functions import TruncDate

from feedback.models import OPEN_STATUSES, Case, CaseEvent, SurveyResponse
from feedback.selectors import overdue_q
from routing.models import Department, Tag
from routing.selectors import sla_calendar
from routing.sla import Calendar, business_time_between

from .models import DailyFigures, RolledUpDay
from .periods import days_from, local_zone, midnight

logger = logging.getLogger(__name__)

# The tag of delivery complaints whose lateness the logistics figures measure.
DELIVERY_TAG = "delivery-delay"
# An open case older than this is "old" in the backlog.
OLD_CASE_AGE = timedelta(days=7)
# The additive counters of a day (``Tally.counts``); only these are stored.
COUNTS = (
    "received",
    # First-response and resolution dates that came that day, and how many
    # of them were met (answered or resolved by then).
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


class Epoch(Func):
    """A date and time as seconds since 1970, a float.

    The tally compares and subtracts instants by the thousand; numbers cost
    far less to load and compare in Python than time-zone-aware datetimes.
    """

    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError("Epoch is written for SQLite and PostgreSQL only.")

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite stores UTC text; julianday() reads it, 2440587.5 is 1970-01-01 as a Julian day.
        return super().as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)",
            **extra_context,
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)::float8", **extra_context
        )


def _rows(term: Q, plain: tuple[str, ...], moments: tuple[str, ...], wanted: set | None) -> list[tuple]:
    """The cases matching ``term``: their ``plain`` fields, then ``moments`` as epoch seconds.

    Departments (``wanted``, None for all) are picked out here, not in SQL:
    a department filter would tempt SQLite into the department index and a
    scan of the whole team instead of the day's cases.
    """
    annotations = {f"{name}_epoch": Epoch(name) for name in moments}
    rows = (
        Case.objects.filter(term)
        .order_by()
        .annotate(**annotations)
        .values_list("department_id", *plain, *annotations)
    )
    # Fetched whole: a day's rows, or a month's when rebuilding, fit in memory, and
    # PostgreSQL's server-side cursors cost more than they save at this size.
    return [row for row in rows if wanted is None or row[0] in wanted]


def _received(start: datetime, end: datetime, wanted: set | None) -> Iterator[tuple]:
    """The cases received in ``[start, end)``, each once with the list of its tag slugs last.

    The tags come in the same query (a row per tag), so the cases' rows are read once.
    """
    slugs = dict(Tag.objects.values_list("pk", "slug"))
    cases: dict[int, tuple] = {}
    for dep, pk, *fields, tag_id, created, fr_due, fr_at in _rows(
        Q(created_at__gte=start, created_at__lt=end),
        ("pk", "customer_id", "kind", "channel", "promised_delivery_date", "tags"),
        ("created_at", "first_response_due_at", "first_response_at"),
        wanted,
    ):
        if pk not in cases:
            cases[pk] = (dep, *fields, created, fr_due, fr_at, [])
        if tag_id is not None:
            cases[pk][-1].append(slugs[tag_id])
    return iter(cases.values())


def _in(name: str, start: datetime, end: datetime) -> Q:
    return Q(**{f"{name}__gte": start, f"{name}__lt": end})


def tally_days(
    first: date,
    last: date,
    *,
    now: datetime,
    departments: list[int] | None = None,
    since: datetime | None = None,
) -> Days:
    """The figures of every department (or of ``departments``) on each day from ``first`` to ``last``.

    Each flow is read by the date it is counted on (received by creation,
    first responses by when they were due and when they were given...), one
    query per date so each uses its own index. Flows count up to ``now``;
    the state is taken at the end of each day already over at ``now``
    (today's is ``state_now``'s). Only (department, day) pairs with
    something to count are returned.

    ``since`` (one day only) counts just what happened from then on, to add
    to that day's figures stored at ``since``: flows are counted at the
    moment they happen, except that a case received earlier in the day and
    answered since counts as answered (and maybe in time) on its day.
    """
    day_start, end = midnight(first), midnight(last + timedelta(days=1))
    if since is not None and first != last:
        raise ValueError("since is for one day only")
    start = max(day_start, since) if since is not None else day_start
    # Every flow counts at its moment, once that has come: a stored day so far
    # plus what happened since then is the whole day, with nothing twice.
    until = min(end, now)
    n_days = (last - first).days + 1
    now_s = now.timestamp()
    # Each day's end; the state is taken there for days already over.
    ends = [midnight(first + timedelta(days=i + 1)).timestamp() for i in range(n_days)]
    days: Days = defaultdict(Tally)
    calendars = _calendars()
    wanted = None if departments is None else set(departments)

    def day_of(moment: float) -> int:
        # The day ``moment`` falls on, by comparing numbers (cheaper than a time-zone
        # conversion per row). Every row was picked in SQL by a date in the run, so
        # the day is clamped to it: SQLite's julianday() rounds to the millisecond,
        # which can move 23:59:59.9996 on the last day onto the next midnight.
        return min(max(bisect_right(ends, moment), 0), n_days - 1)

    dates = days_from(first, last)

    def tally(department: int | None, i: int) -> Tally:
        return days[(department, dates[i])]

    def seconds(department: int | None, begin: float, finish: float) -> int:
        calendar = calendars.get(department)
        if calendar is None:
            return round(max(0.0, finish - begin))
        elapsed = business_time_between(
            datetime.fromtimestamp(begin, UTC), datetime.fromtimestamp(finish, UTC), calendar
        )
        return round(elapsed.total_seconds())

    for dep, customer, kind, channel, promised, created, fr_due, fr_at, tags in _received(
        start, until, wanted
    ):
        i = day_of(created)
        t = tally(dep, i)
        t.counts["received"] += 1
        t.customers.append(customer)
        t.by_kind[kind] += 1
        t.by_channel[channel] += 1
        t.by_tag.update(tags)
        if promised is not None:
            # The local day the customer complained minus the promised date, never below 0.
            late = max(0, (dates[i] - promised).days)
            t.late_days[late] += 1
            if DELIVERY_TAG in tags:
                t.delivery_late_days[late] += 1
        # Answered by now: an answer written after a refresh began is the next one's.
        if fr_at is not None and fr_due is not None and fr_at < now_s:
            t.counts["answered"] += 1
            t.counts["kept"] += fr_at <= fr_due

    if since is not None and since > day_start:
        # Received before ``since`` (stored as not answered yet), answered since.
        for dep, fr_due, fr_at in _rows(
            Q(
                created_at__gte=day_start,
                created_at__lt=since,
                first_response_at__gte=since,
                first_response_at__lt=until,
            )
            & Q(first_response_due_at__isnull=False),
            (),
            ("first_response_due_at", "first_response_at"),
            wanted,
        ):
            counts = tally(dep, 0).counts
            counts["answered"] += 1
            counts["kept"] += fr_at <= fr_due

    # A due date counts once it has come, met if the answer or resolution came
    # by then. Only counts are needed, so the database groups them by local day.
    zone = local_zone()
    for due_field, done_field, due_key, met_key in (
        ("first_response_due_at", "first_response_at", "fr_due", "fr_met"),
        ("resolution_due_at", "resolved_at", "res_due", "res_met"),
    ):
        for dep, day, due, met in (
            Case.objects.filter(_in(due_field, start, until))
            .order_by()
            .values_list("department_id", TruncDate(due_field, tzinfo=zone))
            .annotate(due=Count("pk"), met=Count("pk", filter=Q(**{f"{done_field}__lte": F(due_field)})))
        ):
            if wanted is None or dep in wanted:
                counts = days[(dep, day)].counts
                counts[due_key] += due
                counts[met_key] += met

    for dep, created, answered in _rows(
        _in("first_response_at", start, until), (), ("created_at", "first_response_at"), wanted
    ):
        tally(dep, day_of(answered)).first_response.append(seconds(dep, created, answered))
    for dep, created, resolved in _rows(
        _in("resolved_at", start, until), (), ("created_at", "resolved_at"), wanted
    ):
        t = tally(dep, day_of(resolved))
        t.counts["resolved"] += 1
        t.resolution.append(seconds(dep, created, resolved))

    state_at = [day_end if day_end <= now_s else None for day_end in ends]
    # Days not over yet are all at the end of the run, so positions in the
    # finished days' list below are positions in the run.
    if any(moment is not None for moment in state_at):
        _add_states(tally, state_at, start=day_start, end=end, wanted=wanted)

    reopenings = CaseEvent.objects.filter(
        kind=CaseEvent.Kind.STATUS_CHANGED, at__gte=start, at__lt=until, data__reopened=True
    )
    for dep, at in reopenings.annotate(at_epoch=Epoch("at")).values_list("case__department_id", "at_epoch"):
        if wanted is None or dep in wanted:
            tally(dep, day_of(at)).counts["reopened"] += 1
    surveys = SurveyResponse.objects.filter(submitted_at__gte=start, submitted_at__lt=until).annotate(
        at_epoch=Epoch("submitted_at")
    )
    for dep, at, csat, nps, ces in surveys.values_list(
        "case__department_id", "at_epoch", "csat", "nps", "ces"
    ):
        if wanted is not None and dep not in wanted:
            continue
        tally(dep, day_of(at)).counts.update(
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


def _add_states(
    tally, state_at: list[float | None], *, start: datetime, end: datetime, wanted: set | None
) -> None:
    """Count each case in the backlog (and overdue) of every finished day it was open at the day's end.

    The past is rebuilt from the timestamps: open at ``t`` means created
    before ``t`` and neither resolved nor closed before it (reopening clears
    both), and overdue uses the due dates the case has today. The cases
    read are those open at some instant of the days: created before they
    end, and still open or resolved or closed after they start.
    """
    moments = (
        "created_at",
        "first_response_due_at",
        "first_response_at",
        "resolution_due_at",
        "resolved_at",
        "closed_at",
    )
    old_age = OLD_CASE_AGE.total_seconds()
    ends = [t_end for t_end in state_at if t_end is not None]
    fetched = Q()
    for term in (Q(status__in=OPEN_STATUSES), Q(resolved_at__gte=start), Q(closed_at__gte=start)):
        # Each query leaves out the cases an earlier one read.
        term &= Q(created_at__lt=end) & ~fetched if fetched else Q(created_at__lt=end)
        for dep, created, fr_due, fr_at, res_due, resolved, closed in _rows(term, (), moments, wanted):
            left = min((moment for moment in (resolved, closed) if moment is not None), default=None)
            # From the day it was created to the day it left.
            first_i = bisect_right(ends, created)
            last_i = len(ends) - 1 if left is None else min(len(ends) - 1, bisect_right(ends, left))
            for i in range(first_i, last_i + 1):
                t_end = ends[i]
                if not created < t_end or (left is not None and left < t_end):
                    continue
                t = tally(dep, i)
                t.backlog += 1
                t.ages.append(t_end - created)
                if created < t_end - old_age:
                    t.backlog_old += 1
                unanswered = fr_at is None or fr_at >= t_end
                if (fr_due is not None and unanswered and fr_due < t_end) or (
                    res_due is not None and res_due < t_end
                ):
                    t.overdue += 1
        fetched |= term


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
            # setdefault: a case may have opened since the counts were taken.
            state.setdefault(dep, Tally()).ages.append(max(0.0, (now - created).total_seconds()))
        for tally in state.values():
            if tally.ages:
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


# Only one refresh at a time: a long rebuild that read the cases earlier must
# not write over days a quicker run has just stored from fresher data.
LOCK_KEY = "dashboards:refresh"
LOCK_TIMEOUT = 60 * 60


class RefreshRunning(Exception):
    """Another refresh holds the lock."""


def refresh(days: Iterable[date], *, now: datetime) -> int:
    """Recompute and store the figures of ``days`` up to ``now``; later days are skipped.

    Today is stored as far as it has gone: its rows say when
    (``computed_at``), and pages add what happened since (``load``).

    Returns how many days were written. Long runs of days are tallied a
    month at a time so memory stays flat on a full rebuild. Raises
    ``RefreshRunning`` when another refresh is under way; when the cache
    that holds the lock is down, it goes ahead (the unique constraints stop
    two writers of one day).
    """
    today = now.astimezone(local_zone()).date()
    runs = _runs(day for day in days if day <= today)
    if not runs:
        return 0
    try:
        locked = cache.add(LOCK_KEY, now.isoformat(), LOCK_TIMEOUT)
    except Exception:
        logger.warning("No cache for the refresh lock; refreshing without it.", exc_info=True)
        locked = None
    if locked is False:
        raise RefreshRunning
    try:
        written = 0
        for run_first, run_last in runs:
            chunk_first = run_first
            while chunk_first <= run_last:
                chunk_last = min(run_last, chunk_first + timedelta(days=30))
                _store(chunk_first, chunk_last, tally_days(chunk_first, chunk_last, now=now), now=now)
                written += (chunk_last - chunk_first).days + 1
                chunk_first = chunk_last + timedelta(days=1)
        return written
    finally:
        if locked:
            cache.delete(LOCK_KEY)


def _store(first: date, last: date, days: Days, *, now: datetime) -> None:
    rows = [
        DailyFigures(
            department_id=dep,
            day=day,
            counts={key: t.counts[key] for key in COUNTS if t.counts[key]},
            first_response_seconds=pack(t.first_response, SECONDS),
            resolution_seconds=pack(t.resolution, SECONDS),
            late_days=dict(t.late_days),
            delivery_late_days=dict(t.delivery_late_days),
            by_kind=dict(t.by_kind),
            by_channel=dict(t.by_channel),
            by_tag=dict(t.by_tag),
            customer_ids=pack(t.customers, IDS),
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
    with transaction.atomic():
        DailyFigures.objects.filter(day__gte=first, day__lte=last).delete()
        RolledUpDay.objects.filter(day__gte=first, day__lte=last).delete()
        DailyFigures.objects.bulk_create(rows, batch_size=500)
        RolledUpDay.objects.bulk_create(marks)


# Type codes of the packed lists: unsigned 32-bit seconds, signed 64-bit ids.
SECONDS, IDS = "I", "q"


def pack(values: list[int], code: str) -> bytes:
    """Integers as little-endian bytes of one ``array`` type code."""
    packed = array(code, values)
    if sys.byteorder != "little":
        packed.byteswap()
    return packed.tobytes()


def unpack(data: bytes | memoryview, code: str) -> list[int]:
    values = array(code)
    values.frombytes(bytes(data))
    if sys.byteorder != "little":
        values.byteswap()
    return values.tolist()


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
    for run_first, run_last in _runs(day for day in days_from(first, last) if day not in readable):
        days.update(tally_days(run_first, run_last, now=now, departments=departments))
    return Span(days=days, now=state)


def first_case_day() -> date | None:
    first = Case.objects.aggregate(first=Min("created_at"))["first"]
    return first.astimezone(local_zone()).date() if first else None


# Cases changed this long before the last refresh started are looked at
# again: a transaction may commit a little after the time it wrote.
OVERLAP = timedelta(minutes=5)


def days_to_refresh(*, now: datetime, recent: int = 1) -> set[date]:
    """The days worth recomputing at ``now``, today included (as far as it has gone).

    Today and the ``recent`` days before it; every day since the first case
    that was never stored whole (a new installation, imported history, or a
    day last stored before it ended); and, for each case
    changed since the last refresh began, every day from the one it was
    received on: a change can move figures of any day of its life (a
    reopening takes back a resolution, the end of a pause moves due dates,
    a re-route moves its backlog to another team), and the old dates are
    gone. Changes to cases nobody touched since are the nightly run's.
    """
    today = now.astimezone(local_zone()).date()
    days = set(days_from(today - timedelta(days=recent), today))
    first = first_case_day()
    if first is None:
        return set()
    stored = dict(RolledUpDay.objects.filter(day__gte=first).values_list("day", "computed_at"))
    whole = {day for day, at in stored.items() if at >= midnight(day + timedelta(days=1))}
    days |= set(days_from(first, today)) - whole
    if stored:
        since = max(stored.values()) - OVERLAP
        oldest = Case.objects.filter(updated_at__gte=since).aggregate(oldest=Min("created_at"))["oldest"]
        if oldest is not None:
            days |= set(days_from(oldest.astimezone(local_zone()).date(), today))
    return {day for day in days if first <= day <= today}
