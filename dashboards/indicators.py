"""The KPI indicators: what each team owner needs to know, over a period of local days.

The figures are made from the daily tallies of ``dashboards.rollups``
(stored for finished days, live for today): flows are summed over the
period's days, and the figures that describe a state (backlog, its age,
overdue) are the state at the end of its last day, or now if the period
has not ended yet, so the previous period can be compared with this one.
Scopes are department ids, None for cases not routed yet, and ``TOTAL``,
which pools the raw numbers of every scope the reader may see, never
averages of averages. ``now`` is passed in so the figures can be tested at
a fixed instant. Times are business hours of each team's SLA calendar.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from . import rollups
from .periods import days_from, midnight

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DEFAULT_LATE_DAYS = 3
# The key under which ``compute`` returns the figures of every case together.
TOTAL = "total"
# What ``compute`` keys its figures by: a department id, None, or ``TOTAL``.
Scope = int | str | None


@dataclass(frozen=True)
class Indicator:
    key: str
    label: "StrOrPromise"
    # count, percent (0-100), duration (timedelta), score (a plain number)
    format: str
    higher_is_better: bool


REGISTRY: tuple[Indicator, ...] = (
    # Most of what arrives is complaints: fewer is better news.
    Indicator("received", _("Received"), "count", False),
    Indicator("backlog", _("Open backlog"), "count", False),
    Indicator("backlog_median_age", _("Median age of open cases"), "duration", False),
    Indicator("backlog_old", _("Open cases older than 7 days"), "count", False),
    Indicator("overdue", _("Overdue now"), "count", False),
    Indicator("first_response_sla", _("First-response SLA"), "percent", True),
    Indicator("resolution_sla", _("Resolution SLA"), "percent", True),
    Indicator("first_response_median", _("Median first response"), "duration", False),
    Indicator("first_response_p90", _("90th percentile first response"), "duration", False),
    Indicator("resolution_median", _("Median resolution time"), "duration", False),
    Indicator("resolution_p90", _("90th percentile resolution time"), "duration", False),
    Indicator("promise_kept", _("Promise kept"), "percent", True),
    Indicator("reopen_rate", _("Reopen rate"), "percent", False),
    Indicator("csat", _("CSAT (1-5)"), "score", True),
    Indicator("csat_satisfied", _("Satisfied (CSAT 4-5)"), "percent", True),
    Indicator("nps", _("NPS"), "score", True),
    Indicator("ces", _("CES (1-7)"), "score", False),
    Indicator("repeat_customers", _("Repeat complainants"), "count", False),
    Indicator("repeat_share", _("Repeat complainants (share)"), "percent", False),
    Indicator("days_late", _("Average days late"), "score", False),
    Indicator("late_share", _("Delivery complaints over N days late"), "percent", False),
)
INDICATORS = {indicator.key: indicator for indicator in REGISTRY}
# The columns of the overview, every department side by side.
OVERVIEW_KEYS = (
    "received",
    "backlog",
    "overdue",
    "first_response_sla",
    "resolution_sla",
    "first_response_median",
    "csat",
    "nps",
    # Logistics' headline figure; other teams rarely have promised delivery dates.
    "days_late",
)
# The figures only the logistics team page shows.
LOGISTICS_KEYS = ("days_late", "late_share")


@dataclass
class Figures:
    """The indicators of one scope (a department, cases not routed yet, or the total)."""

    values: dict[str, object] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)
    by_tag: dict[str, int] = field(default_factory=dict)
    # Cases received on each day of the period, for the trend chart.
    daily: dict[date, int] = field(default_factory=dict)

    def __getitem__(self, key: str) -> object:
        return self.values.get(key)


def compute(
    *,
    first_day: date,
    last_day: date,
    now: datetime,
    departments: list[int] | None = None,
    late_days: int = DEFAULT_LATE_DAYS,
    detail: bool = True,
    span: rollups.Span | None = None,
) -> dict[Scope, Figures]:
    """Every indicator of the local days ``first_day`` to ``last_day``, per scope and under ``TOTAL``.

    ``departments`` None means every case (departments and not routed yet).
    ``span`` may be tallies already loaded (``rollups.load``) for days
    covering the period and, if the period reaches now, the state now: the
    pages load the period and the previous one at once. Without ``detail``
    there are no repeat complainants and no median age of the backlog (the
    overview shows neither).
    """
    if span is None:
        span = rollups.load(first_day, last_day, now=now, departments=departments, detail=detail)
    # A period that reaches now reports the backlog now; a past one, at the end of its last day.
    reaches_now = midnight(last_day + timedelta(days=1)) >= now
    merged: dict[Scope, rollups.Tally] = defaultdict(rollups.Tally)
    daily: dict[Scope, Counter] = defaultdict(Counter)
    states: dict[int | None, rollups.Tally] = dict(span.now or {}) if reaches_now else {}
    for (dep, day), tally in span.days.items():
        if not first_day <= day <= last_day:
            continue
        for scope in (dep, TOTAL):
            merged[scope].add_flows(tally)
            daily[scope][day] += tally.counts["received"]
        if day == last_day and not reaches_now:
            states[dep] = tally
    total = merged[TOTAL]
    for dep, state in states.items():
        merged[dep].take_state(state)
        # The total adds the teams' counts; a median age cannot be pooled from medians.
        total.backlog += state.backlog
        total.backlog_old += state.backlog_old
        total.overdue += state.overdue
    result = {}
    for scope, tally in merged.items():
        figures = _figures(tally, late_days=late_days, detail=detail)
        figures.daily = {day: daily[scope].get(day, 0) for day in days_from(first_day, last_day)}
        result[scope] = figures
    return result


def _share(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


def _percentile(ordered: list, fraction: float):
    """Nearest-rank percentile of sorted values (the smallest with ``fraction`` of the values at or below it)."""
    if not ordered:
        return None
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]


def _median(ordered: list):
    if not ordered:
        return None
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _duration(seconds) -> timedelta | None:
    return None if seconds is None else timedelta(seconds=seconds)


def _figures(tally: rollups.Tally, *, late_days: int, detail: bool) -> Figures:
    c = tally.counts
    surveys = c["surveys"]
    # Sorted once for the median and the percentile; the days' lists are sorted runs already.
    first_response, resolution = sorted(tally.first_response), sorted(tally.resolution)
    lateness = tally.late_days
    delivery = tally.delivery_late_days
    n_late = sum(lateness.values())
    n_delivery = sum(delivery.values())
    customers = Counter(tally.customers)
    repeat = sum(1 for n in customers.values() if n >= 2) if detail else None
    return Figures(
        values={
            "received": c["received"],
            "backlog": tally.backlog,
            "backlog_median_age": tally.backlog_median_age,
            "backlog_old": tally.backlog_old,
            "overdue": tally.overdue,
            "first_response_sla": _share(c["fr_met"], c["fr_due"]),
            "resolution_sla": _share(c["res_met"], c["res_due"]),
            "first_response_median": _duration(_median(first_response)),
            "first_response_p90": _duration(_percentile(first_response, 0.9)),
            "resolution_median": _duration(_median(resolution)),
            "resolution_p90": _duration(_percentile(resolution, 0.9)),
            "promise_kept": _share(c["kept"], c["answered"]),
            # Reopenings per resolution: a case reopened twice counts twice.
            "reopen_rate": _share(c["reopened"], c["resolved"]),
            "csat": c["csat_sum"] / surveys if surveys else None,
            "csat_satisfied": _share(c["satisfied"], surveys),
            # With surveys, neither share is None.
            "nps": _share(c["promoters"], surveys) - _share(c["detractors"], surveys) if surveys else None,  # type: ignore[operator]
            "ces": c["ces_sum"] / surveys if surveys else None,
            "repeat_customers": repeat,
            "repeat_share": _share(repeat, len(customers)) if repeat is not None else None,
            "days_late": sum(days * n for days, n in lateness.items()) / n_late if n_late else None,
            "late_share": _share(sum(n for days, n in delivery.items() if days > late_days), n_delivery),
        },
        by_kind=dict(tally.by_kind),
        by_channel=dict(tally.by_channel),
        by_tag=dict(tally.by_tag),
    )
