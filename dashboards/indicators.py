"""The KPI indicators of issue 6: what each team owner needs to know, over a period.

Every figure is computed over ``cases`` (the cases the reader may see, from
``feedback.selectors.cases_visible_to``) and a half-open period
``[since, until)``; ``now`` is passed in so the figures can be tested at a
fixed instant. Figures that describe a state rather than a flow (backlog,
its age, overdue) are taken at the end of the period, or now if the period
has not ended yet, so the previous period can be compared with this one.

Counts and sums come from aggregate queries grouped by department (a fixed
number of queries however many departments there are); the totals are the
sums of the groups. Percentiles and medians are computed in Python over
``values_list`` rows: fine for the volumes of a first version on SQLite and
PostgreSQL alike; move them to PostgreSQL's ``percentile_cont`` or to daily
roll-ups when volumes grow.
"""

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from feedback.models import OPEN_STATUSES, Case, CaseEvent, SurveyResponse
from feedback.selectors import overdue_q

# The tag of delivery complaints whose lateness the logistics figures measure.
DELIVERY_TAG = "delivery-delay"
DEFAULT_LATE_DAYS = 3
# An open case older than this is "old" in the backlog.
OLD_CASE_AGE = timedelta(days=7)
# The key under which ``compute`` returns the figures of every case together.
TOTAL = "total"

Duration = Callable[[datetime, datetime], timedelta]


def wall_clock(start: datetime, end: datetime) -> timedelta:
    """Elapsed wall-clock time. Business-hours arithmetic (``routing.sla``) can replace it later."""
    return end - start


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
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

    def __getitem__(self, key: str) -> object:
        return self.values.get(key)


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _open_at_q(*, at: datetime, now: datetime) -> Q:
    # Now, the status says it; in the past, rebuild it from the timestamps.
    # An approximation: a case resolved before ``at`` and reopened later
    # counts as closed at ``at``, and due dates are today's (an SLA pause may
    # have moved them since). Daily roll-ups will record the real state.
    if at >= now:
        return Q(status__in=OPEN_STATUSES)
    return Q(created_at__lt=at) & ~Q(resolved_at__lt=at) & ~Q(closed_at__lt=at)


def _overdue_at_q(*, at: datetime, now: datetime) -> Q:
    if at >= now:
        return overdue_q(now=now)
    unanswered = Q(first_response_at__isnull=True) | Q(first_response_at__gte=at)
    return _open_at_q(at=at, now=now) & (
        (unanswered & Q(first_response_due_at__lt=at)) | Q(resolution_due_at__lt=at)
    )


def _in(field_name: str, since: datetime, until: datetime) -> Q:
    return Q(**{f"{field_name}__gte": since, f"{field_name}__lt": until})


def _counts(*, since: datetime, until: datetime, now: datetime) -> dict:
    at = min(until, now)
    received = _in("created_at", since, until)
    # Due in the period and decided: answered (in time or late) or past due unanswered.
    fr_due = _in("first_response_due_at", since, until) & (
        Q(first_response_at__isnull=False) | Q(first_response_due_at__lt=now)
    )
    res_due = _in("resolution_due_at", since, until) & (
        Q(resolved_at__isnull=False) | Q(resolution_due_at__lt=now)
    )
    answered = received & Q(first_response_at__isnull=False, first_response_due_at__isnull=False)
    reopened = CaseEvent.objects.filter(
        case=OuterRef("pk"), kind=CaseEvent.Kind.STATUS_CHANGED, data__reopened=True
    ).filter(_in("at", since, until))
    return {
        "received": Count("pk", filter=received),
        "backlog": Count("pk", filter=_open_at_q(at=at, now=now)),
        "backlog_old": Count("pk", filter=_open_at_q(at=at, now=now) & Q(created_at__lt=at - OLD_CASE_AGE)),
        "overdue": Count("pk", filter=_overdue_at_q(at=at, now=now)),
        "fr_due": Count("pk", filter=fr_due),
        "fr_met": Count("pk", filter=fr_due & Q(first_response_at__lte=F("first_response_due_at"))),
        "res_due": Count("pk", filter=res_due),
        "res_met": Count("pk", filter=res_due & Q(resolved_at__lte=F("resolution_due_at"))),
        "answered": Count("pk", filter=answered),
        "kept": Count("pk", filter=answered & Q(first_response_at__lte=F("first_response_due_at"))),
        "resolved": Count("pk", filter=_in("resolved_at", since, until)),
        "reopened": Count("pk", filter=Exists(reopened)),
    }


def _share(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


def _percentile(values: list, fraction: float):
    """Nearest-rank percentile (the smallest value with ``fraction`` of the values at or below it)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]


def _median(values: list):
    return statistics.median(values) if values else None


def compute(
    *,
    cases: QuerySet[Case],
    since: datetime,
    until: datetime,
    now: datetime,
    late_days: int = DEFAULT_LATE_DAYS,
    duration: Duration = wall_clock,
    volumes: bool = True,
) -> dict[object, Figures]:
    """Every indicator of the period, per department id (None: not routed yet) and under ``TOTAL``.

    Durations are wall-clock today (``duration=wall_clock``); pass a
    business-hours ``duration(start, end)`` once ``routing.sla`` provides one.
    Nine queries however many departments there are; six with ``volumes=False``
    (no volume by kind, channel and tag).
    """
    cases = cases.order_by()
    at = min(until, now)
    received = cases.filter(_in("created_at", since, until))
    groups: dict[object, dict] = defaultdict(dict)
    for row in cases.values("department_id").annotate(**_counts(since=since, until=until, now=now)):
        groups[row.pop("department_id")].update(row)

    # Durations, in Python (see the module docstring).
    durations: dict[object, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for dep, created, answered_at, resolved_at in cases.filter(
        _in("first_response_at", since, until) | _in("resolved_at", since, until)
    ).values_list("department_id", "created_at", "first_response_at", "resolved_at"):
        if answered_at and since <= answered_at < until:
            durations[dep]["first_response"].append(duration(created, answered_at))
        if resolved_at and since <= resolved_at < until:
            durations[dep]["resolution"].append(duration(created, resolved_at))
    for dep, created in cases.filter(_open_at_q(at=at, now=now)).values_list("department_id", "created_at"):
        durations[dep]["age"].append(duration(created, at))

    surveys = (
        SurveyResponse.objects.filter(case__in=cases, submitted_at__gte=since, submitted_at__lt=until)
        .values("case__department_id")
        .annotate(
            surveys=Count("pk"),
            csat_sum=Sum("csat"),
            satisfied=Count("pk", filter=Q(csat__gte=4)),
            promoters=Count("pk", filter=Q(nps__gte=9)),
            detractors=Count("pk", filter=Q(nps__lte=6)),
            ces_sum=Sum("ces"),
        )
        .order_by()
    )
    for row in surveys:
        groups[row.pop("case__department_id")].update(row)

    # Repeat complainants: per department, and across departments for the total.
    per_customer: dict[object, Counter] = defaultdict(Counter)
    for dep, customer_id, n in received.values_list("department_id", "customer_id").annotate(n=Count("pk")):
        per_customer[dep][customer_id] += n
        per_customer[TOTAL][customer_id] += n

    # Days late: the local date the customer complained minus the promised date (never below 0).
    zone = local_zone()
    is_delivery = Exists(Case.tags.through.objects.filter(case_id=OuterRef("pk"), tag__slug=DELIVERY_TAG))
    lateness: dict[object, list[tuple[int, bool]]] = defaultdict(list)
    for dep, created, promised, delivery in (
        received.filter(promised_delivery_date__isnull=False)
        .annotate(is_delivery=is_delivery)
        .values_list("department_id", "created_at", "promised_delivery_date", "is_delivery")
    ):
        lateness[dep].append((max(0, (created.astimezone(zone).date() - promised).days), bool(delivery)))

    tables = {
        "by_kind": received.values_list("department_id", "kind").annotate(n=Count("pk")),
        "by_channel": received.values_list("department_id", "channel").annotate(n=Count("pk")),
        "by_tag": received.filter(tags__isnull=False)
        .values_list("department_id", "tags__slug")
        .annotate(n=Count("pk")),
    }

    scopes = set(groups) | set(durations) | set(lateness) | (set(per_customer) - {TOTAL})
    result: dict[object, Figures] = {}
    for scope in scopes:
        result[scope] = _figures(
            counts=groups.get(scope, {}),
            durations=durations.get(scope, {}),
            customers=per_customer.get(scope, Counter()),
            lateness=lateness.get(scope, []),
            late_days=late_days,
        )
    # The total pools the raw numbers of every scope, never averages of averages.
    pooled_counts: Counter = Counter()
    for counts in groups.values():
        pooled_counts.update({k: v or 0 for k, v in counts.items()})
    pooled_durations: dict[str, list] = defaultdict(list)
    for lists in durations.values():
        for name, values in lists.items():
            pooled_durations[name].extend(values)
    result[TOTAL] = _figures(
        counts=pooled_counts,
        durations=pooled_durations,
        customers=per_customer.get(TOTAL, Counter()),
        lateness=[item for items in lateness.values() for item in items],
        late_days=late_days,
    )
    for name, rows in tables.items() if volumes else ():
        for dep, key, n in rows.order_by():
            for scope in (dep, TOTAL):
                figures = result.setdefault(
                    scope,
                    _figures(counts={}, durations={}, customers=Counter(), lateness=[], late_days=late_days),
                )
                table = getattr(figures, name)
                table[key] = table.get(key, 0) + n
    return result


def _figures(*, counts: dict, durations: dict, customers: Counter, lateness: list, late_days: int) -> Figures:
    c = defaultdict(int, {k: v or 0 for k, v in counts.items()})
    surveys = c["surveys"]
    repeat = sum(1 for n in customers.values() if n >= 2)
    delivery = [days for days, is_delivery in lateness if is_delivery]
    return Figures(
        values={
            "received": c["received"],
            "backlog": c["backlog"],
            "backlog_median_age": _median(durations.get("age", [])),
            "backlog_old": c["backlog_old"],
            "overdue": c["overdue"],
            "first_response_sla": _share(c["fr_met"], c["fr_due"]),
            "resolution_sla": _share(c["res_met"], c["res_due"]),
            "first_response_median": _median(durations.get("first_response", [])),
            "first_response_p90": _percentile(durations.get("first_response", []), 0.9),
            "resolution_median": _median(durations.get("resolution", [])),
            "resolution_p90": _percentile(durations.get("resolution", []), 0.9),
            "promise_kept": _share(c["kept"], c["answered"]),
            "reopen_rate": _share(c["reopened"], c["resolved"]),
            "csat": c["csat_sum"] / surveys if surveys else None,
            "csat_satisfied": _share(c["satisfied"], surveys),
            "nps": _share(c["promoters"], surveys) - _share(c["detractors"], surveys) if surveys else None,
            "ces": c["ces_sum"] / surveys if surveys else None,
            "repeat_customers": repeat,
            "repeat_share": _share(repeat, len(customers)),
            "days_late": statistics.fmean(days for days, _ in lateness) if lateness else None,
            "late_share": _share(sum(1 for days in delivery if days > late_days), len(delivery)),
        }
    )
