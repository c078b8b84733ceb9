"""Daily roll-ups: what happened to each department's cases on each local day.

A dashboard period is whole local days (``TIME_ZONE``). ``tally_days`` goes
through the cases once and counts, per department and day, everything the
indicators are made of: flows on the day they happened (received, answered,
due, resolved, reopened, surveyed) and the state at the end of the day
(backlog, its age, overdue). ``refresh`` stores finished days as
``DailyFigures`` rows; ``load`` reads stored days and tallies the others
(today, or days the periodic task has not reached yet) live with the same
code, so a page is never wrong, only slower until the task has run.

A stored day is recomputed whole (its rows deleted and written again), so
running a refresh twice, or over days already stored, changes nothing.
"""

import logging
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Min, Q

from feedback.models import OPEN_STATUSES, Case, CaseEvent, SurveyResponse
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
    "status",
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
    # The state at the end of the day (or now, for today).
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


def _case_rows(start: datetime, end: datetime, departments: list[int] | None) -> Iterator[tuple]:
    """Every case that has a figure on a day of ``[start, end)``, once each.

    One simple query per date field, so each can use its own index on
    SQLite and PostgreSQL alike (a single OR of them would scan the table).
    """
    terms = [
        Q(**{f"{name}__gte": start, f"{name}__lt": end})
        for name in (
            "created_at",
            "first_response_due_at",
            "resolution_due_at",
            "first_response_at",
            "resolved_at",
        )
    ]
    # Open now (today's state counts every open case), or at some instant of
    # the range: created before its end, not resolved or closed before its start.
    terms += [
        Q(status__in=OPEN_STATUSES),
        Q(created_at__lt=end, resolved_at__gte=start),
        Q(created_at__lt=end, closed_at__gte=start),
    ]
    base = Case.objects.order_by()
    if departments is not None:
        base = base.filter(department_id__in=departments)
    seen: set[int] = set()
    for term in terms:
        for row in base.filter(term).values_list(*_FIELDS).iterator(chunk_size=5_000):
            if row[0] not in seen:
                seen.add(row[0])
                yield row


def tally_days(first: date, last: date, *, now: datetime, departments: list[int] | None = None) -> Days:
    """The figures of every department (or of ``departments``) on each day from ``first`` to ``last``.

    Days after today have no figures; today's state is taken at ``now``.
    Only (department, day) pairs with something to count are returned.
    """
    zone = local_zone()
    start, end = midnight(first), midnight(last + timedelta(days=1))
    n_days = (last - first).days + 1
    # The instant each day's state is taken; None for days that have not started.
    state_at = [
        min(midnight(first + timedelta(days=i + 1)), now)
        if midnight(first + timedelta(days=i)) < now
        else None
        for i in range(n_days)
    ]
    days: Days = defaultdict(Tally)
    calendars = _calendars()

    def index(moment: datetime | None) -> int | None:
        if moment is None or not start <= moment < end:
            return None
        return (moment.astimezone(zone).date() - first).days

    def tally(department: int | None, i: int) -> Tally:
        return days[(department, first + timedelta(days=i))]

    scope = Q() if departments is None else Q(case__department_id__in=departments)
    tags: dict[int, list[str]] = defaultdict(list)
    for case_id, slug in Case.tags.through.objects.filter(
        scope, case__created_at__gte=start, case__created_at__lt=end
    ).values_list("case_id", "tag__slug"):
        tags[case_id].append(slug)

    for (
        pk,
        dep,
        status,
        kind,
        channel,
        created,
        fr_due,
        fr_at,
        res_due,
        resolved,
        closed,
        promised,
    ) in _case_rows(start, end, departments):
        calendar = calendars.get(dep)
        if (i := index(created)) is not None:
            t = tally(dep, i)
            t.counts["received"] += 1
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
        _add_state(
            tally,
            state_at,
            dep,
            status,
            created,
            fr_due,
            fr_at,
            res_due,
            resolved,
            closed,
            first=first,
            now=now,
            zone=zone,
        )

    reopenings = CaseEvent.objects.filter(
        scope, kind=CaseEvent.Kind.STATUS_CHANGED, at__gte=start, at__lt=end, data__reopened=True
    )
    for dep, at in reopenings.values_list("case__department_id", "at"):
        tally(dep, index(at)).counts["reopened"] += 1
    surveys = SurveyResponse.objects.filter(scope, submitted_at__gte=start, submitted_at__lt=end)
    for dep, at, csat, nps, ces in surveys.values_list(
        "case__department_id", "submitted_at", "csat", "nps", "ces"
    ):
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


def _add_state(
    tally, state_at, dep, status, created, fr_due, fr_at, res_due, resolved, closed, *, first, now, zone
):
    """Count the case in the backlog (and overdue) of every day it was open at the day's end.

    Now, the status says whether a case is open, as on the admin list the
    figures link to. The past is rebuilt from the timestamps: open at ``t``
    means created before ``t`` and neither resolved nor closed before it
    (reopening clears both), and overdue uses the due dates the case has today.
    """
    left = min((moment for moment in (resolved, closed) if moment is not None), default=None)
    from_i = max(0, (created.astimezone(zone).date() - first).days)
    to_i = len(state_at) - 1
    if left is not None:
        to_i = min(to_i, (left.astimezone(zone).date() - first).days)
    days = set(range(from_i, to_i + 1))
    live_i = next((i for i, t_end in enumerate(state_at) if t_end is not None and t_end >= now), None)
    if live_i is not None:
        days.discard(live_i)
        if status in OPEN_STATUSES:
            days.add(live_i)
    for i in days:
        t_end = state_at[i]
        if t_end is None:
            continue
        if i != live_i and (not created < t_end or (left is not None and left < t_end)):
            continue
        t = tally(dep, i)
        t.backlog += 1
        t.ages.append(max(0.0, (t_end - created).total_seconds()))
        if created < t_end - OLD_CASE_AGE:
            t.backlog_old += 1
        unanswered = fr_at is None or fr_at >= t_end
        if (fr_due is not None and unanswered and fr_due < t_end) or (
            res_due is not None and res_due < t_end
        ):
            t.overdue += 1


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


def _from_row(row: DailyFigures) -> Tally:
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
        backlog=row.backlog,
        backlog_old=row.backlog_old,
        overdue=row.overdue,
        backlog_median_age=(
            timedelta(seconds=row.backlog_median_age_seconds)
            if row.backlog_median_age_seconds is not None
            else None
        ),
    )


def load(first: date, last: date, *, now: datetime, departments: list[int] | None = None) -> Days:
    """The figures of each day from ``first`` to ``last``: stored days read, the others tallied live.

    ``departments`` None means every department and the cases not routed yet.
    """
    today = now.astimezone(local_zone()).date()
    last = min(last, today)
    if last < first:
        return {}
    stored = set(
        RolledUpDay.objects.filter(day__gte=first, day__lte=min(last, today - timedelta(days=1))).values_list(
            "day", flat=True
        )
    )
    rows = DailyFigures.objects.filter(day__gte=first, day__lte=last)
    if departments is not None:
        rows = rows.filter(department_id__in=departments)
    days: Days = {(row.department_id, row.day): _from_row(row) for row in rows if row.day in stored}
    missing = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    for run_first, run_last in _runs(day for day in missing if day not in stored):
        days.update(tally_days(run_first, run_last, now=now, departments=departments))
    return days


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
