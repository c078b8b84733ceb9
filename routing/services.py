"""Writes of the routing side: route a case, send a notification."""

import logging
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cxportal.errors import ApplicationError
from feedback.models import Case, CaseEvent, Status

from .assignment import REASON_ROUND_ROBIN, Assignment
from .learning import live_triage
from .models import AssignmentMode, Department, Notification, Rule, SLAPolicy, Tag
from .notifiers import NOTIFIERS
from .rules import Decision, Facts
from .selectors import (
    active_ruleset,
    assignee_with_user,
    case_for_routing,
    facts_for_case,
    fallback_department,
    sla_calendar,
)
from .sla import add_business_time
from .triage import FALLBACK, MODEL, RULE, Triage, combine

log = logging.getLogger(__name__)


def case_route(*, case_id: int, now: datetime | None = None) -> bool:
    """Classify and route a new case: tags, priority, department, owner, due dates.

    A rule's SLA policy replaces the department's. The owner, each watcher
    and each person a rule notifies get one email each: someone in several
    of those roles gets only the first (owner, then watcher, then notify).

    Safe to run twice: the case is claimed with a conditional update, so a
    second run (a retried or duplicated task) changes nothing and notifies
    nobody. Returns whether this call did the routing.
    """
    now = now or timezone.now()
    case = case_for_routing(case_id)
    if case is None or case.routed_at is not None:
        return False
    facts = facts_for_case(case, today=timezone.localdate(now))
    decision = active_ruleset().evaluate(facts)
    triage = _triage(decision, facts)
    department = (
        Department.objects.select_related("sla_policy__calendar").filter(slug=triage.department).first()
        if triage.decided_by != FALLBACK
        else None
    ) or fallback_department()
    policy = (
        SLAPolicy.objects.select_related("calendar")
        .prefetch_related("priority_targets")
        .filter(name=decision.sla_policy)
        .first()
        if decision.sla_policy
        else None
    ) or department.sla_policy
    calendar = sla_calendar(policy)
    people = set(decision.watchers) | set(decision.notify)
    active_ids = (
        set(get_user_model().objects.filter(pk__in=people, is_active=True).values_list("pk", flat=True))
        if people
        else set()
    )
    watchers = [pk for pk in decision.watchers if pk in active_ids]
    notified = [pk for pk in decision.notify if pk in active_ids]

    priority = decision.priority or case.priority
    first_response_hours, resolution_hours = policy.targets_for(priority)
    with transaction.atomic():
        assignment, owner = _assignee(department, now=now)
        owner_name = owner.get_full_name() or owner.get_username()
        claimed = Case.objects.filter(pk=case_id, routed_at__isnull=True).update(
            department=department,
            owner=owner,
            priority=priority,
            status=Status.ROUTED if case.status == Status.NEW else case.status,
            routed_at=now,
            first_response_due_at=add_business_time(now, first_response_hours, calendar),
            resolution_due_at=add_business_time(now, resolution_hours, calendar),
            decision={**decision.as_dict(), "triage": triage.as_dict()},
            routing_attempts=F("routing_attempts") + 1,
            # update() skips auto_now; the dashboards' refresh looks for changed cases by it.
            updated_at=now,
        )
        if claimed != 1:
            return False
        if assignment.reason == REASON_ROUND_ROBIN:
            # The next case goes to the member after this one.
            Department.objects.filter(pk=department.pk).update(last_assigned=owner)
        if decision.matches:
            # One UPDATE for every matched rule, in the claim's transaction.
            Rule.objects.filter(pk__in=[m.rule_id for m in decision.matches]).update(
                hit_count=F("hit_count") + 1, last_matched_at=now
            )
        case.tags.add(*Tag.objects.filter(slug__in=triage.tags))
        if watchers:
            case.watchers.add(*watchers)
        CaseEvent.objects.bulk_create(
            [
                CaseEvent(
                    case=case,
                    kind=CaseEvent.Kind.RULE_MATCHED,
                    at=now,
                    text=match.name,
                    data={
                        "rule_id": match.rule_id,
                        "version": match.version,
                        "conditions": [vars(c) for c in match.conditions],
                    },
                )
                for match in decision.matches
            ]
            + _triage_events(case, triage, at=now)
            + [
                CaseEvent(
                    case=case,
                    kind=CaseEvent.Kind.ROUTED,
                    at=now,
                    text=f"{department.name} → {assignment.describe(owner_name)}",
                    data={
                        "department": department.slug,
                        **assignment.as_dict(),
                        "fallback": triage.decided_by == FALLBACK or department.slug != triage.department,
                        "sla_policy": policy.name,
                        "business_hours": calendar is not None,
                    },
                    is_public=True,
                )
            ]
        )
        told = {owner.pk}
        notification_create(case_id=case_id, recipient_id=owner.pk, event="routed")
        for event, recipients in (("watching", watchers), ("rule_notify", notified)):
            for recipient_id in recipients:
                if recipient_id not in told:
                    told.add(recipient_id)
                    notification_create(case_id=case_id, recipient_id=recipient_id, event=event)
    return True


def _triage(decision: Decision, facts: Facts) -> Triage:
    """The rules' decision completed by the live triage model, if there is one."""
    live = live_triage()
    if live is None:
        return combine(decision, None, fallback="")
    return combine(
        decision,
        live.model.predict_one(facts),
        fallback=live.fallback,
        thresholds=live.thresholds,
        version=live.version,
    )


def _triage_events(case: Case, triage: Triage, *, at: datetime) -> list[CaseEvent]:
    """The timeline's line for what the model said (none without a model)."""
    prediction = triage.prediction
    if prediction is None:
        return []
    said = _("Model v%(version)s: %(department)s, %(confidence)d %% sure") % {
        "version": triage.version,
        "department": prediction.department,
        "confidence": round(100 * prediction.confidence),
    }
    if triage.decided_by == MODEL:
        outcome = _("routed there (threshold %(threshold)d %%).") % {
            "threshold": round(100 * triage.threshold)
        }
    elif triage.suggestion:
        outcome = _(
            "below the %(threshold)d %% threshold: sent to the fallback department with the suggestion."
        ) % {"threshold": round(100 * triage.threshold)}
    elif triage.decided_by == RULE:
        outcome = _("a rule set the department.")
    else:
        outcome = _("no other department is meant.")
    words = ", ".join(prediction.words)
    return [
        CaseEvent(
            case=case,
            kind=CaseEvent.Kind.TRIAGED,
            at=at,
            text=f"{said} — {outcome}" + (f" ({words})" if words else ""),
            # The whole answer is in the case's decision; the line names the version.
            data={"version": triage.version, "decided_by": triage.decided_by},
        )
    ]


def _assignee(department: Department, *, now: datetime) -> tuple[Assignment, AbstractBaseUser]:
    """Who in ``department`` gets the case; call it inside the transaction that records it."""
    if department.assignment_mode == AssignmentMode.ROUND_ROBIN:
        # Lock the department's turn, so two workers routing at once take turns.
        department.last_assigned_id = (
            Department.objects.select_for_update()
            .values_list("last_assigned_id", flat=True)
            .get(pk=department.pk)
        )
    return assignee_with_user(department, now=now)


def case_reroute(
    *, case: Case, department: Department, actor: AbstractBaseUser | None, now: datetime | None = None
) -> Case:
    """Move a routed case to another department, as staff do from the admin.

    The new department picks the owner as routing does (absences, assignment
    mode); the owner is told once per move (the key names the ROUTED event),
    the timeline shows where it came from and went to, and the old
    department's staff stop seeing it. Due dates stay: they are what the
    customer was promised.
    """
    now = now or timezone.now()
    if case.routed_at is None:
        raise ApplicationError(
            _("The case has not been routed yet; try again in a moment."),
            code="not_routed",
            field="department",
        )
    if case.department_id == department.pk:
        return case
    with transaction.atomic():
        # Lock the case row alone: PostgreSQL refuses FOR UPDATE across the
        # outer join a nullable department would need.
        previous_id = Case.objects.select_for_update().values_list("department_id", flat=True).get(pk=case.pk)
        if previous_id == department.pk:
            return case  # someone else moved it there meanwhile
        previous = Department.objects.filter(pk=previous_id).first()
        assignment, owner = _assignee(department, now=now)
        # The new department's chain starts over: its leads have not been told yet.
        Case.objects.filter(pk=case.pk).update(
            department=department, owner=owner, updated_at=now, escalation_level=0
        )
        if assignment.reason == REASON_ROUND_ROBIN:
            Department.objects.filter(pk=department.pk).update(last_assigned=owner)
        event = CaseEvent.objects.create(
            case=case,
            kind=CaseEvent.Kind.ROUTED,
            at=now,
            actor=actor,
            text=f"{previous.name if previous else '—'} → {department.name}: "
            + assignment.describe(owner.get_full_name() or owner.get_username()),
            data={
                "from": previous.slug if previous else None,
                "to": department.slug,
                "department": department.slug,
                **assignment.as_dict(),
                "rerouted": True,
            },
            is_public=True,
        )
        notification_create(case_id=case.pk, recipient_id=owner.pk, event="rerouted", about=event.pk)
    case.department, case.owner = department, owner
    return case


def notification_create(
    *, case_id: int, event: str, recipient_id: int | None = None, about: int | str | None = None
) -> Notification | None:
    """Record a notification and queue its sending after commit.

    ``recipient_id`` is a staff member; without it the case's customer is
    emailed. ``about`` names the event it is about when one case can have
    several (each reply). The key names case, event and person, so the same
    notification can never be recorded — or sent — twice.
    """
    from .tasks import queue, send_notification

    who = f"user:{recipient_id}" if recipient_id else "customer"
    key = f"case:{case_id}:{event}:{about}:{who}" if about else f"case:{case_id}:{event}:{who}"
    channel = Notification.Channel.EMAIL if recipient_id else Notification.Channel.CUSTOMER_EMAIL
    # Insert and let the unique key refuse a second one: no SELECT first.
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                key=key,
                case_id=case_id,
                recipient_id=recipient_id,
                event=event,
                about=str(about or ""),
                channel=channel,
            )
    except IntegrityError:
        if Notification.objects.filter(key=key).exists():
            return None
        raise
    queue(send_notification, notification.pk)
    if recipient_id:
        from .webhooks import webhook_notifications_create

        # Chat tools subscribed to the event hear of it too, once per destination.
        webhook_notifications_create(case_id=case_id, event=event, about=about)
    return notification


def notification_send(*, notification_id: int, now: datetime | None = None) -> bool:
    """Send one pending notification. Returns False if it is not ours to send.

    The pending -> sending update claims it before the side effect: two
    workers given the same task cannot both send it.
    """
    claimed = Notification.objects.filter(pk=notification_id, status=Notification.Status.PENDING).update(
        status=Notification.Status.SENDING, attempts=F("attempts") + 1, claimed_at=timezone.now()
    )
    if claimed != 1:
        return False
    notification = Notification.objects.select_related("case", "recipient").get(pk=notification_id)
    try:
        NOTIFIERS[notification.channel].notify(notification)
    except Exception as exc:
        # Not sent: give it back so the retry (or the sweep) can try again.
        Notification.objects.filter(pk=notification_id).update(
            status=Notification.Status.PENDING, last_error=str(exc)[:2000]
        )
        raise
    now = now or timezone.now()
    with transaction.atomic():
        Notification.objects.filter(pk=notification_id).update(
            status=Notification.Status.SENT, sent_at=now, last_error=""
        )
        CaseEvent.objects.create(
            case_id=notification.case_id,
            kind=CaseEvent.Kind.NOTIFIED,
            at=now,
            text=notification.recipient.email if notification.recipient else "customer",
            data={"notification": notification.key},
        )
    return True
