"""What-if: try a rule on past cases before switching it on, with no side effects.

A trial evaluates the current enabled rule set twice per past case — as it
is, and with the tried rule in it (replacing the saved rule of the same id,
or inserted by order) — and counts the cases whose tags, department or
priority would differ. Nothing is written but the ``RuleTrial`` itself.

A trial may be opened by anyone who may draft rules, and a rule's conditions
match every team's cases, so results are scoped when they are *shown*, to the
viewer: counts are kept per department while the trial runs
(``by_department``) and ``rule_trial_results`` adds up only the viewer's
departments and lists only the cases the viewer may see. Filtering at display
time, not at run time, keeps a trial safe when someone else opens it.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cxportal.errors import ApplicationError
from feedback.models import Case
from feedback.selectors import cases_visible_to

from .models import Rule, RuleTrial
from .rulefile import spec_from_dict
from .rules import Decision, RuleError, RuleSet, RuleSpec, validate_rule
from .selectors import departments_of, facts_for_case, rule_specs, sees_all_departments

CHUNK_SIZE = 200
# Changed cases kept for the results page, per department (so one busy team
# cannot push another team's cases off its manager's list).
MAX_CHANGES = 500
MAX_DAYS = 3650
COUNTERS = ("cases", "tags_changed", "department_changed", "priority_changed")
# ``by_department`` key of the cases not routed yet (only those who see all see them).
UNROUTED = ""
# Clocks of the web server, the broker and the workers may differ this much.
CLOCK_SKEW = timedelta(minutes=1)

log = logging.getLogger(__name__)


def rule_trial_start(
    *, draft: dict[str, Any], rule: Rule | None = None, days: int = 90, actor=None
) -> RuleTrial:
    """Record a trial of ``draft`` (a ``rule_to_dict`` dict) and queue it after commit."""
    from cxportal.tasks import queue

    from .tasks import run_rule_trial

    if not 1 <= days <= MAX_DAYS:
        raise ApplicationError(
            _("Choose between 1 and %(max)d days.") % {"max": MAX_DAYS}, code="bad_days", field="days"
        )
    try:
        validate_rule(spec_from_dict(draft))
    except RuleError as exc:
        raise ApplicationError(exc.message, code=exc.code) from None
    trial = RuleTrial.objects.create(
        rule=rule, draft=draft, days=days, requested_by=actor if actor and actor.is_authenticated else None
    )
    queue(run_rule_trial, trial.pk)
    return trial


def _ruleset_with(tried: RuleSpec, order: int) -> tuple[RuleSet, RuleSet]:
    """The enabled rules as they are, and with ``tried`` in its place."""
    rules = Rule.objects.filter(enabled=True)
    orders = dict(rules.values_list("pk", "order"))
    current = rule_specs(rules)
    others = [spec for spec in current if spec.id != tried.id]
    # Same ordering as the saved rules: by order, then id (a draft without id goes last among equals).
    key = (order, tried.id or float("inf"))
    position = sum(1 for spec in others if (orders[spec.id], spec.id) <= key)
    return RuleSet(current), RuleSet([*others[:position], tried, *others[position:]])


def _outcome(decision: Decision) -> dict[str, Any]:
    return {"tags": sorted(decision.tags), "department": decision.department, "priority": decision.priority}


def rule_trial_run(*, trial_id: int, now=None, chunk_size: int = CHUNK_SIZE) -> bool:
    """Run a queued trial; returns whether this call finished it.

    Safe to call twice, even at once: the first call claims the trial, a
    second finds it claimed and does nothing. Stopped at its task's soft
    time limit, the trial is marked failed with a message saying so.
    """
    now = now or timezone.now()
    if (
        RuleTrial.objects.filter(pk=trial_id, status=RuleTrial.Status.QUEUED).update(
            status=RuleTrial.Status.RUNNING, started_at=timezone.now()
        )
        != 1
    ):
        return False
    trial = RuleTrial.objects.get(pk=trial_id)
    try:
        return _run(trial, now=now, chunk_size=chunk_size)
    except SoftTimeLimitExceeded:
        # Stopped mid-query, a PostgreSQL connection is still busy with that
        # query: the failure is written on a new one.
        if not connection.in_atomic_block:
            connection.close()
        _fail(trial_id, _("The trial took too long and was stopped; try it on fewer days."))
        log.warning("What-if trial %s stopped at its time limit.", trial_id)
        return False
    except Exception as exc:
        _fail(trial_id, str(exc))
        raise


def rule_trials_fail_stale(*, now: datetime | None = None) -> int:
    """Mark failed the trials no worker will finish; returns how many.

    A trial's task is dropped if no worker starts it within the long time
    limit, and its worker is stopped at that limit. So a trial still queued
    one limit after it was created was never sent (the broker was down) or
    was dropped, and one still running one limit after a worker claimed it
    lost that worker (killed, or stopped before it could say so): it would
    stay unfinished for ever. Neither can still run: a dropped task never
    claims its trial, and a run that finds its trial failed stops without
    writing. A trial claimed before claims were timed (no ``started_at``)
    is judged from its creation, two limits.
    """
    now = now or timezone.now()
    limit = timedelta(seconds=settings.CX_TASK_TIME_LIMITS["long"]["time_limit"])
    before = now - limit - CLOCK_SKEW
    stale = (
        (
            Q(status=RuleTrial.Status.QUEUED, created_at__lt=before),
            _("No worker started the trial in time; start it again."),
        ),
        (
            Q(status=RuleTrial.Status.RUNNING)
            & (Q(started_at__lt=before) | Q(started_at__isnull=True, created_at__lt=before - limit)),
            _("The worker running the trial stopped; start it again."),
        ),
    )
    return sum(
        RuleTrial.objects.filter(lost).update(status=RuleTrial.Status.FAILED, error=error, finished_at=now)
        for lost, error in stale
    )


def _fail(trial_id: int, error: str) -> None:
    RuleTrial.objects.filter(pk=trial_id, status=RuleTrial.Status.RUNNING).update(
        status=RuleTrial.Status.FAILED, error=error, finished_at=timezone.now()
    )


def _run(trial: RuleTrial, *, now, chunk_size: int) -> bool:
    usernames = [*trial.draft.get("add_watchers", ()), *trial.draft.get("notify_users", ())]
    user_ids = {
        user.get_username(): user.pk
        for user in get_user_model().objects.filter(**{f"{get_user_model().USERNAME_FIELD}__in": usernames})
    }
    tried = spec_from_dict(trial.draft, id=trial.rule_id or 0, version=0, user_ids=user_ids)
    without, with_rule = _ruleset_with(tried, int(trial.draft.get("order", 100)))
    cases = Case.objects.filter(created_at__gte=now - timedelta(days=trial.days)).order_by("pk")
    total = cases.count()
    running = RuleTrial.objects.filter(pk=trial.pk, status=RuleTrial.Status.RUNNING)
    running.update(total=total, processed=0)
    counts = dict.fromkeys(COUNTERS, 0)
    # The same counts per department of the case, plus how many changed at all,
    # so each viewer's totals can be added up from their departments only.
    by_department: dict[str, dict[str, int]] = {}
    changes: list[dict[str, Any]] = []
    last_id = 0
    while True:
        chunk = list(cases.filter(pk__gt=last_id).select_related("customer")[:chunk_size])
        if not chunk:
            break
        for case in chunk:
            # The facts as routing saw them on the day the case came in.
            facts = facts_for_case(case, today=_day_of(case))
            before, after = _outcome(without.evaluate(facts)), _outcome(with_rule.evaluate(facts))
            key = str(case.department_id) if case.department_id else UNROUTED
            bucket = by_department.setdefault(key, dict.fromkeys((*COUNTERS, "changed"), 0))
            counts["cases"] += 1
            bucket["cases"] += 1
            changed = False
            for name, counter in (
                ("tags", "tags_changed"),
                ("department", "department_changed"),
                ("priority", "priority_changed"),
            ):
                if before[name] != after[name]:
                    counts[counter] += 1
                    bucket[counter] += 1
                    changed = True
            if changed:
                bucket["changed"] += 1
                if bucket["changed"] <= MAX_CHANGES:
                    changes.append(
                        {
                            "case_id": case.pk,
                            "reference": case.reference,
                            "department_id": case.department_id,
                            "before": before,
                            "after": after,
                        }
                    )
        last_id = chunk[-1].pk
        # No longer running: marked failed as lost, and perhaps started again.
        if not running.update(processed=counts["cases"]):
            return False
    with transaction.atomic():
        return (
            running.update(
                status=RuleTrial.Status.DONE,
                total=max(total, counts["cases"]),
                processed=counts["cases"],
                summary=counts,
                by_department=by_department,
                changes=changes,
                finished_at=timezone.now(),
            )
            == 1
        )


@dataclass(frozen=True)
class TrialResults:
    """What one viewer may see of a trial."""

    sees_all: bool
    # None when the counts cannot be scoped to the viewer (a trial run before
    # counts were kept per department): better no figure than a leaking one.
    summary: dict[str, int] | None
    changes: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False


def rule_trial_results(*, trial: RuleTrial, viewer: User | AnonymousUser) -> TrialResults:
    """The counts and changed cases of ``trial`` that ``viewer`` may see.

    Executives and superusers get everything. Anyone else gets the counts of
    their own departments and only the listed cases ``cases_visible_to`` lets
    them see *now*, whoever started the trial.
    """
    visible = set(
        cases_visible_to(viewer)
        .filter(pk__in=[change["case_id"] for change in trial.changes])
        .values_list("pk", flat=True)
    )
    changes = [change for change in trial.changes if change["case_id"] in visible]
    sees_all = sees_all_departments(viewer)
    if sees_all:
        buckets = list(trial.by_department.values())
        summary = trial.summary
    else:
        mine = {str(pk) for pk in departments_of(viewer).values_list("pk", flat=True)}
        buckets = [bucket for key, bucket in trial.by_department.items() if key in mine]
        summary = (
            {name: sum(bucket.get(name, 0) for bucket in buckets) for name in COUNTERS}
            if trial.by_department or not trial.summary.get("cases")
            else None
        )
    truncated = any(bucket.get("changed", 0) > MAX_CHANGES for bucket in buckets) or (
        not trial.by_department and len(trial.changes) >= MAX_CHANGES
    )
    return TrialResults(sees_all=sees_all, summary=summary, changes=changes, truncated=truncated)


def _day_of(case: Case) -> date:
    return timezone.localdate(case.created_at)
