"""Reads shared by the admin, dashboards, API and tasks."""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
)

from .assignment import Assignment, choose_assignee
from .models import Absence, AssignmentMode, Department, Rule, SLAPolicy
from .rules import Facts, RuleSpec
from .sla import Calendar

if TYPE_CHECKING:
    from .config import Team

VIEW_ALL_PERMISSION = "feedback.view_all_cases"
# "Repeat complainant" looks this far back (fields previous_cases and
# previous_cases_30_days).
HISTORY_WINDOW = timedelta(days=90)
RECENT_HISTORY_WINDOW = timedelta(days=30)


def sees_all_departments(user: User | AnonymousUser) -> bool:
    """Executives and superusers see every department."""
    return bool(user.is_active and user.has_perm(VIEW_ALL_PERMISSION))


def works_in_department_q(department_id: int) -> Q:
    """Users who work in the department: members, its owner and its backup."""
    return (
        Q(departments=department_id)
        | Q(owned_departments=department_id)
        | Q(backed_up_departments=department_id)
    )


def departments_of(user: User | AnonymousUser) -> QuerySet[Department]:
    """Departments whose cases ``user`` may see: all of them, or those they belong to."""
    if not user.is_authenticated or not user.is_active:
        return Department.objects.none()
    if sees_all_departments(user):
        return Department.objects.all()
    return Department.objects.filter(Q(members=user) | Q(owner=user) | Q(backup_owner=user)).distinct()


def fallback_department() -> Department:
    return Department.objects.select_related("sla_policy__calendar").get(is_fallback=True)


def sla_calendar(policy: SLAPolicy | None) -> Calendar | None:
    """The plain calendar of ``policy`` for ``routing.sla`` (None: 24/7)."""
    if policy is None or policy.calendar_id is None:
        return None
    return policy.calendar.as_calendar()  # type: ignore[union-attr]  # calendar_id is checked above


def sla_policy_of_case(case) -> SLAPolicy | None:
    """The policy a routed case's due dates came from: a rule's, else its department's."""
    name = (case.decision or {}).get("sla_policy")
    policy = SLAPolicy.objects.select_related("calendar").filter(name=name).first() if name else None
    if policy is None and case.department_id:
        policy = SLAPolicy.objects.select_related("calendar").filter(departments=case.department_id).first()
    return policy


def absent_user_ids(user_ids: Iterable[int], *, at: datetime) -> set[int]:
    """Those of ``user_ids`` who are away at ``at``."""
    return set(
        Absence.objects.filter(user_id__in=list(user_ids), starts_at__lte=at, ends_at__gt=at).values_list(
            "user_id", flat=True
        )
    )


def open_case_counts(user_ids: Iterable[int]) -> dict[int, int]:
    """How many open cases each of ``user_ids`` owns (in any department: their workload)."""
    from feedback.models import OPEN_STATUSES, Case

    rows = (
        Case.objects.filter(owner_id__in=list(user_ids), status__in=OPEN_STATUSES)
        .values("owner_id")
        .annotate(n=Count("id"))
    )
    return {row["owner_id"]: row["n"] for row in rows}


def assignee_for(department: Department, *, now: datetime) -> Assignment:
    """Who in ``department`` gets a case at ``now`` (see ``routing.assignment``)."""
    return assignee_with_user(department, now=now)[0]


def assignee_with_user(
    department: "Department | Team", *, now: datetime, last_assigned_id: int | None = None
) -> tuple[Assignment, User]:
    """``assignee_for`` and the chosen user, read with one query in the common case.

    Members, owner and backup come back in one row each, with whether they
    are away at ``now``; the least-open mode adds its count of open cases.
    ``last_assigned_id`` is the round-robin turn read under lock by routing
    (default: the department's as loaded). ``department`` may be a
    ``routing.config.Team``: only its ids and mode are read.
    """
    from django.contrib.auth import get_user_model

    membership = Department.members.through.objects.filter(department_id=department.pk)
    users = {
        user.pk: user
        for user in get_user_model()
        .objects.filter(
            Q(pk__in=membership.values("user_id"), is_active=True)
            | Q(pk__in=[department.owner_id, department.backup_owner_id])
        )
        .annotate(
            is_member=Exists(membership.filter(user_id=OuterRef("pk"))),
            is_away=Exists(
                Absence.objects.filter(user_id=OuterRef("pk"), starts_at__lte=now, ends_at__gt=now)
            ),
        )
    }
    members = {pk for pk, user in users.items() if user.is_member and user.is_active}
    mode = department.assignment_mode
    assignment = choose_assignee(
        mode=mode,
        owner_id=department.owner_id,
        backup_id=department.backup_owner_id,
        members=members,
        absent={pk for pk, user in users.items() if user.is_away},
        open_counts=open_case_counts(members) if mode == AssignmentMode.LEAST_OPEN else None,
        last_assigned_id=last_assigned_id if last_assigned_id is not None else department.last_assigned_id,
    )
    return assignment, users[assignment.user_id]


# Facts that cost a query of their own; read only when a rule looks at them.
HISTORY_FIELDS = frozenset({"previous_cases", "previous_cases_30_days"})


def case_for_routing(case_id: int, *, fields: frozenset[str] | None = None):
    """The case with its customer, plus what ``facts_for_case`` would count.

    ``fields``: the facts the rules read (``RuleSet.fields``); the customer's
    history and the attachment flag are read only if a rule needs them
    (None: always). Unread counts stay 0 in the facts, which nothing sees.
    """
    from feedback.models import Attachment, Case

    needs = fields if fields is not None else HISTORY_FIELDS | {"has_attachments"}
    # Any: it carries the routing_* counts below, which Case does not declare.
    case: Any = Case.objects.select_related("customer").filter(pk=case_id).first()
    if case is None:
        return None
    case.routing_previous_cases = case.routing_previous_cases_30_days = 0
    case.routing_has_attachments = False
    if needs & HISTORY_FIELDS:
        # Two plain queries cost less to build than one with correlated subqueries.
        case.routing_previous_cases, case.routing_previous_cases_30_days = _customer_history(case)
    if "has_attachments" in needs:
        case.routing_has_attachments = Attachment.objects.filter(case_id=case_id).exists()
    return case


def _customer_history(case) -> tuple[int, int]:
    """The customer's cases before ``case``: in the last 90 days and in the last 30."""
    from feedback.models import Case

    counts = Case.objects.filter(
        customer_id=case.customer_id,
        created_at__gte=case.created_at - HISTORY_WINDOW,
        created_at__lt=case.created_at,
    ).aggregate(
        last_90_days=Count("id"),
        last_30_days=Count("id", filter=Q(created_at__gte=case.created_at - RECENT_HISTORY_WINDOW)),
    )
    return counts["last_90_days"], counts["last_30_days"]


def rule_specs(rules: QuerySet[Rule]) -> list[RuleSpec]:
    rules = rules.select_related("set_department", "set_sla_policy").prefetch_related(
        "conditions", "add_tags", "add_watchers", "notify_users"
    )
    return [rule_spec(rule) for rule in rules.order_by("order", "id")]


def rule_spec(rule: Rule) -> RuleSpec:
    conditions = list(rule.conditions.all())
    return RuleSpec(
        id=rule.pk,
        name=rule.name,
        version=rule.version,
        all_of=tuple((c.field, c.operator, c.value) for c in conditions if c.group == "all"),
        any_of=tuple((c.field, c.operator, c.value) for c in conditions if c.group == "any"),
        none_of=tuple((c.field, c.operator, c.value) for c in conditions if c.group == "none"),
        add_tags=tuple(t.slug for t in rule.add_tags.all()),
        set_priority=rule.set_priority,
        set_department=rule.set_department.slug if rule.set_department else "",
        override_department=rule.override_department,
        stop_processing=rule.stop_processing,
        set_sla_policy=rule.set_sla_policy.name if rule.set_sla_policy else "",
        add_watchers=tuple(sorted(u.pk for u in rule.add_watchers.all())),
        notify_users=tuple(sorted(u.pk for u in rule.notify_users.all())),
    )


def facts_for_case(case, *, today: date) -> Facts:
    """What the rules engine may know about ``case`` on ``today``."""

    days_late = None
    if case.promised_delivery_date:
        days_late = max(0, (today - case.promised_delivery_date).days)
    days_since_order = (today - case.order_date).days if case.order_date else None
    if hasattr(case, "routing_previous_cases"):
        # Read with the case by ``case_for_routing``: no further query.
        last_90_days, last_30_days = case.routing_previous_cases, case.routing_previous_cases_30_days
        has_attachments = case.routing_has_attachments
    else:
        last_90_days, last_30_days = _customer_history(case)
        has_attachments = case.attachments.exists()
    return Facts(
        subject=case.subject,
        message=case.message,
        kind=case.kind,
        channel=case.channel,
        language=case.language,
        product=case.product,
        store=case.store,
        segment=case.customer.segment,
        has_order_reference=bool(case.order_reference),
        has_attachments=has_attachments,
        days_since_order=days_since_order,
        days_late=days_late,
        previous_cases=last_90_days,
        previous_cases_30_days=last_30_days,
    )
