"""Reads shared by the admin, dashboards, API and tasks."""

from datetime import date, timedelta

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Max, Q, QuerySet

from .models import Department, Rule
from .rules import Facts, RuleSet, RuleSpec

VIEW_ALL_PERMISSION = "feedback.view_all_cases"
# "Repeat complainant" looks this far back.
HISTORY_WINDOW = timedelta(days=90)


def sees_all_departments(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Executives and superusers see every department."""
    return bool(user.is_active and user.has_perm(VIEW_ALL_PERMISSION))


def departments_of(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Department]:
    """Departments whose cases ``user`` may see: all of them, or those they belong to."""
    if not user.is_authenticated or not user.is_active:
        return Department.objects.none()
    if sees_all_departments(user):
        return Department.objects.all()
    return Department.objects.filter(Q(members=user) | Q(owner=user) | Q(backup_owner=user)).distinct()


def fallback_department() -> Department:
    return Department.objects.select_related("owner", "sla_policy").get(is_fallback=True)


def promised_first_response_hours() -> int | None:
    """What the customer is promised at intake, before routing has run.

    Routing is asynchronous, so the thanks page quotes the fallback
    department's first-response target.
    """
    department = Department.objects.filter(is_fallback=True).select_related("sla_policy").first()
    return department.sla_policy.first_response_hours if department else None


def _ruleset_version() -> str:
    # Any save bumps updated_at, a delete changes the count.
    stamp = Rule.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    return f"{stamp['n']}:{stamp['last'].isoformat() if stamp['last'] else ''}"


_compiled: dict[str, RuleSet] = {}


def active_ruleset() -> RuleSet:
    """The enabled rules, compiled once per process and per rule-set version."""
    version = _ruleset_version()
    ruleset = _compiled.get(version)
    if ruleset is None:
        _compiled.clear()
        ruleset = _compiled[version] = RuleSet(rule_specs(Rule.objects.filter(enabled=True)))
    return ruleset


def rule_specs(rules: QuerySet[Rule]) -> list[RuleSpec]:
    rules = rules.select_related("set_department").prefetch_related("conditions", "add_tags")
    return [rule_spec(rule) for rule in rules.order_by("order", "id")]


def rule_spec(rule: Rule) -> RuleSpec:
    conditions = list(rule.conditions.all())
    return RuleSpec(
        id=rule.pk,
        name=rule.name,
        version=rule.version,
        all_of=tuple((c.field, c.operator, c.value) for c in conditions if c.group == "all"),
        any_of=tuple((c.field, c.operator, c.value) for c in conditions if c.group == "any"),
        add_tags=tuple(t.slug for t in rule.add_tags.all()),
        set_priority=rule.set_priority,
        set_department=rule.set_department.slug if rule.set_department else "",
        override_department=rule.override_department,
        stop_processing=rule.stop_processing,
    )


def facts_for_case(case, *, today: date) -> Facts:
    """What the rules engine may know about ``case`` on ``today``."""
    from feedback.models import Case

    days_late = None
    if case.promised_delivery_date:
        days_late = max(0, (today - case.promised_delivery_date).days)
    days_since_order = (today - case.order_date).days if case.order_date else None
    previous = Case.objects.filter(
        customer_id=case.customer_id,
        created_at__gte=case.created_at - HISTORY_WINDOW,
        created_at__lt=case.created_at,
    ).count()
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
        has_attachments=False,
        days_since_order=days_since_order,
        days_late=days_late,
        previous_cases=previous,
    )
