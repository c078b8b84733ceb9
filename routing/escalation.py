"""Escalation: warn the owner before a due date passes, escalate once it has.

Each open case has up to two due dates (first response, resolution). When
``CX_SLA_WARNING_RATIO`` (80%) of the time from routing to a due date has
passed, the owner is warned once. Each due date missed is one breach level,
and each level is one step up the chain:

1. the department's backup owner (the owner when there is none),
2. the executives (users who may see every department's cases).

A step is claimed with a conditional update on ``Case.escalation_level``
before anything is recorded or sent, so two beat runs or two workers cannot
take the same step twice; the notifications' idempotency keys make a retry
of the same step send nothing new.
"""

from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback.models import Case, CaseEvent, Status
from notifications.services import notification_create

from .models import SLAPolicy
from .selectors import absent_user_ids, sla_calendar
from .sla import Calendar, business_time_between

FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"
# The highest step: executives. Later breaches change nothing.
TOP_LEVEL = 2
# Waiting on the customer pauses the clock: such cases are neither warned nor escalated.
WATCHED_STATUSES = (Status.ROUTED, Status.IN_PROGRESS)


def breached_deadlines(case: Case, *, now: datetime) -> list[str]:
    """The due dates ``case`` has missed, in the order they fell due."""
    missed = []
    due = case.first_response_due_at
    if due and due <= now and (case.first_response_at is None or case.first_response_at > due):
        missed.append(FIRST_RESPONSE)
    if case.resolution_due_at and case.resolution_due_at <= now:
        missed.append(RESOLUTION)
    return missed


def deadlines_to_warn(case: Case, *, now: datetime, calendar: Calendar | None = None) -> list[str]:
    """Due dates not yet missed of which the warning share of time has passed.

    Time is counted on the case's business-hours calendar, as its due dates
    were: 80% of "8 business hours" from Friday 17:00 falls on Monday, not
    during the weekend.
    """
    ratio = settings.CX_SLA_WARNING_RATIO
    start = case.routed_at or case.created_at
    found = []
    if case.first_response_at is None:
        found.append((FIRST_RESPONSE, case.first_response_due_at))
    found.append((RESOLUTION, case.resolution_due_at))
    return [
        name
        for name, due in found
        if due
        and now < due
        and business_time_between(start, now, calendar) >= business_time_between(start, due, calendar) * ratio
    ]


def case_calendar(case: Case) -> Calendar | None:
    """The calendar the case's due dates were computed on (the rule's policy or the department's)."""
    name = (case.decision or {}).get("sla_policy")
    policy = SLAPolicy.objects.select_related("calendar").filter(name=name).first() if name else None
    if policy is None and case.department_id:
        policy = SLAPolicy.objects.select_related("calendar").filter(departments=case.department_id).first()
    return sla_calendar(policy)


def escalation_summary(deadline: str, recipients: list[int]) -> str:
    """The timeline line: which due date was missed and who was told."""
    names = [
        user.get_full_name() or user.get_username()
        for user in get_user_model().objects.filter(pk__in=recipients).order_by("pk")
    ]
    missed = _("First response overdue") if deadline == FIRST_RESPONSE else _("Resolution overdue")
    return f"{missed} → {', '.join(names) or '-'}"


def escalation_recipients(case: Case, level: int, *, now: datetime) -> list[int]:
    """Who is told at ``level``: 1 the department's other lead, 2 the executives.

    Level 1 goes to the backup owner, or to the department owner when the
    backup already holds the case: escalating to the person who let the
    date pass would tell nobody new. A lead who is away is passed over;
    with nobody left, the case owner is told.
    """
    if level == 1:
        department = case.department
        leads = [p for p in ([department.backup_owner, department.owner] if department else []) if p]
        away = absent_user_ids([p.pk for p in leads], at=now)
        person = next((p for p in leads if p.pk != case.owner_id and p.pk not in away), None) or case.owner
        return [person.pk] if person and person.is_active else []
    executives = get_user_model().objects.with_perm(
        "feedback.view_all_cases",
        is_active=True,
        include_superusers=False,
        # The backend that holds permissions (django-axes' backend only guards sign-in).
        backend="django.contrib.auth.backends.ModelBackend",
    )
    return list(executives.order_by("pk").values_list("pk", flat=True))


def case_escalate(*, case_id: int, now: datetime | None = None) -> int:
    """Warn and escalate one case as its due dates require. Returns the steps taken here.

    Safe to run any number of times: warnings are keyed per due date, and
    each step is claimed by moving ``escalation_level`` from its previous value.
    """
    now = now or timezone.now()
    case = (
        Case.objects.select_related("department__backup_owner", "department__owner", "owner")
        .filter(pk=case_id)
        .first()
    )
    if case is None or case.status not in WATCHED_STATUSES or case.owner_id is None:
        return 0
    for deadline in deadlines_to_warn(case, now=now, calendar=case_calendar(case)):
        with transaction.atomic():
            notification_create(
                case_id=case.pk, event="sla_warning", recipient_id=case.owner_id, about=deadline
            )
    breached = breached_deadlines(case, now=now)
    steps = 0
    for level in range(case.escalation_level + 1, min(len(breached), TOP_LEVEL) + 1):
        deadline = breached[level - 1]
        with transaction.atomic():
            claimed = Case.objects.filter(
                pk=case.pk, escalation_level=level - 1, status__in=WATCHED_STATUSES
            ).update(escalation_level=level)
            if claimed != 1:
                break  # another run took this step (or the case moved on)
            recipients = escalation_recipients(case, level, now=now)
            CaseEvent.objects.create(
                case=case,
                kind=CaseEvent.Kind.ESCALATED,
                at=now,
                text=escalation_summary(deadline, recipients),
                data={"level": level, "deadline": deadline, "recipients": recipients},
            )
            for recipient_id in recipients:
                notification_create(
                    case_id=case.pk, event="escalated", recipient_id=recipient_id, about=f"{deadline}:{level}"
                )
        steps += 1
    return steps


def cases_to_escalate() -> list[int]:
    """Open, routed cases that have not reached the top of the chain yet."""
    return list(
        Case.objects.filter(status__in=WATCHED_STATUSES, owner__isnull=False, escalation_level__lt=TOP_LEVEL)
        .filter(Q(first_response_due_at__isnull=False) | Q(resolution_due_at__isnull=False))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def escalate_overdue(*, now: datetime | None = None) -> int:
    """Warn and escalate every case that needs it. Returns the escalation steps taken."""
    now = now or timezone.now()
    return sum(case_escalate(case_id=case_id, now=now) for case_id in cases_to_escalate())
