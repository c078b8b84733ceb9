"""``tally_days``: the cases of a run of days counted into a ``Tally`` per department and day."""

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate

from feedback.models import OPEN_STATUSES, Case, CaseEvent, SurveyResponse
from routing.sla import Calendar, business_time_between

from ..periods import days_from, local_zone, midnight
from .cases import Epoch, case_rows, department_calendars, received_cases, within
from .tally import DELIVERY_TAG, OLD_CASE_AGE, Days, Tally


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
    if since is not None and first != last:
        raise ValueError("since is for one day only")
    run = _Run.over(first, last, now=now, departments=departments, since=since)
    _count_received(run)
    if since is not None and since > run.day_start:
        _count_answered_since(run, since)
    _count_due_dates(run)
    _count_durations(run)
    _add_states(run)
    _count_reopenings(run)
    _count_surveys(run)
    for t in run.days.values():
        t.first_response.sort()
        t.resolution.sort()
        t.keep_median_age()
    return dict(run.days)


@dataclass(slots=True)
class _Run:
    """One call of ``tally_days``: the days counted, the window read, and where each count goes."""

    dates: list[date]
    # Each day's end in epoch seconds; the state is taken there for days already over.
    ends: list[float]
    day_start: datetime
    end: datetime
    # The flows counted: from ``since`` (or the first day's start) up to now at most.
    start: datetime
    until: datetime
    now_s: float
    wanted: set | None
    calendars: dict[int | None, Calendar | None]
    days: Days = field(default_factory=lambda: defaultdict(Tally))

    @classmethod
    def over(
        cls, first: date, last: date, *, now: datetime, departments: list[int] | None, since: datetime | None
    ) -> "_Run":
        day_start, end = midnight(first), midnight(last + timedelta(days=1))
        dates = days_from(first, last)
        return cls(
            dates=dates,
            ends=[midnight(day + timedelta(days=1)).timestamp() for day in dates],
            day_start=day_start,
            end=end,
            start=max(day_start, since) if since is not None else day_start,
            # Every flow counts at its moment, once that has come: a stored day so far
            # plus what happened since then is the whole day, with nothing twice.
            until=min(end, now),
            now_s=now.timestamp(),
            wanted=None if departments is None else set(departments),
            calendars=department_calendars(),
        )

    def day_of(self, moment: float) -> int:
        # The day ``moment`` falls on, by comparing numbers (cheaper than a time-zone
        # conversion per row). Every row was picked in SQL by a date in the run, so
        # the day is clamped to it: SQLite's julianday() rounds to the millisecond,
        # which can move 23:59:59.9996 on the last day onto the next midnight.
        return min(max(bisect_right(self.ends, moment), 0), len(self.ends) - 1)

    def tally(self, department: int | None, i: int) -> Tally:
        return self.days[(department, self.dates[i])]

    def seconds(self, department: int | None, begin: float, finish: float) -> int:
        calendar = self.calendars.get(department)
        if calendar is None:
            return round(max(0.0, finish - begin))
        elapsed = business_time_between(
            datetime.fromtimestamp(begin, UTC), datetime.fromtimestamp(finish, UTC), calendar
        )
        return round(elapsed.total_seconds())


def _count_received(run: _Run) -> None:
    """The cases received: by kind, channel and tag, days late, customers, answered (in time)."""
    tally, day_of, dates, now_s = run.tally, run.day_of, run.dates, run.now_s
    for dep, customer, kind, channel, promised, created, fr_due, fr_at, tags in received_cases(
        run.start, run.until, run.wanted
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


def _count_answered_since(run: _Run, since: datetime) -> None:
    """Received before ``since`` (stored as not answered yet), answered since."""
    for dep, fr_due, fr_at in case_rows(
        Q(
            created_at__gte=run.day_start,
            created_at__lt=since,
            first_response_at__gte=since,
            first_response_at__lt=run.until,
        )
        & Q(first_response_due_at__isnull=False),
        (),
        ("first_response_due_at", "first_response_at"),
        run.wanted,
    ):
        counts = run.tally(dep, 0).counts
        counts["answered"] += 1
        counts["kept"] += fr_at <= fr_due


def _count_due_dates(run: _Run) -> None:
    """First-response and resolution dates that came, and how many were met.

    A due date counts once it has come, met if the answer or resolution came
    by then. Only counts are needed, so the database groups them by local day.
    """
    zone = local_zone()
    for due_field, done_field, due_key, met_key in (
        ("first_response_due_at", "first_response_at", "fr_due", "fr_met"),
        ("resolution_due_at", "resolved_at", "res_due", "res_met"),
    ):
        for dep, day, due, met in (
            Case.objects.filter(within(due_field, run.start, run.until))
            .order_by()
            .values_list("department_id", TruncDate(due_field, tzinfo=zone))
            .annotate(due=Count("pk"), met=Count("pk", filter=Q(**{f"{done_field}__lte": F(due_field)})))
        ):
            if run.wanted is None or dep in run.wanted:
                counts = run.days[(dep, day)].counts
                counts[due_key] += due
                counts[met_key] += met


def _count_durations(run: _Run) -> None:
    """Times to first response and to resolution, on the day they ended; resolutions."""
    tally, day_of, seconds = run.tally, run.day_of, run.seconds
    for dep, created, answered in case_rows(
        within("first_response_at", run.start, run.until), (), ("created_at", "first_response_at"), run.wanted
    ):
        tally(dep, day_of(answered)).first_response.append(seconds(dep, created, answered))
    for dep, created, resolved in case_rows(
        within("resolved_at", run.start, run.until), (), ("created_at", "resolved_at"), run.wanted
    ):
        t = tally(dep, day_of(resolved))
        t.counts["resolved"] += 1
        t.resolution.append(seconds(dep, created, resolved))


def _add_states(run: _Run) -> None:
    """Count each case in the backlog (and overdue) of every finished day it was open at the day's end.

    The past is rebuilt from the timestamps: open at ``t`` means created
    before ``t`` and neither resolved nor closed before it (reopening clears
    both), and overdue uses the due dates the case has today. The cases
    read are those open at some instant of the days: created before they
    end, and still open or resolved or closed after they start.
    """
    # Days not over yet are all at the end of the run, so positions in the
    # finished days' list are positions in the run.
    ends = [day_end for day_end in run.ends if day_end <= run.now_s]
    if not ends:
        return
    tally = run.tally
    moments = (
        "created_at",
        "first_response_due_at",
        "first_response_at",
        "resolution_due_at",
        "resolved_at",
        "closed_at",
    )
    old_age = OLD_CASE_AGE.total_seconds()
    fetched = Q()
    for term in (
        Q(status__in=OPEN_STATUSES),
        Q(resolved_at__gte=run.day_start),
        Q(closed_at__gte=run.day_start),
    ):
        # Each query leaves out the cases an earlier one read.
        term &= Q(created_at__lt=run.end) & ~fetched if fetched else Q(created_at__lt=run.end)
        for dep, created, fr_due, fr_at, res_due, resolved, closed in case_rows(
            term, (), moments, run.wanted
        ):
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


def _count_reopenings(run: _Run) -> None:
    reopenings = CaseEvent.objects.filter(
        kind=CaseEvent.Kind.STATUS_CHANGED, at__gte=run.start, at__lt=run.until, data__reopened=True
    )
    for dep, at in reopenings.annotate(at_epoch=Epoch("at")).values_list("case__department_id", "at_epoch"):
        if run.wanted is None or dep in run.wanted:
            run.tally(dep, run.day_of(at)).counts["reopened"] += 1


def _count_surveys(run: _Run) -> None:
    surveys = SurveyResponse.objects.filter(submitted_at__gte=run.start, submitted_at__lt=run.until).annotate(
        at_epoch=Epoch("submitted_at")
    )
    for dep, at, csat, nps, ces in surveys.values_list(
        "case__department_id", "at_epoch", "csat", "nps", "ces"
    ):
        if run.wanted is not None and dep not in run.wanted:
            continue
        run.tally(dep, run.day_of(at)).counts.update(
            surveys=1,
            csat_sum=csat,
            satisfied=csat >= 4,
            promoters=nps >= 9,
            detractors=nps <= 6,
            ces_sum=ces,
        )
