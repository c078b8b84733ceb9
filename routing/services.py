"""Writes of the routing side: route a case, send a notification."""

import logging
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from feedback.models import Case, CaseEvent, Status

from .models import Department, Notification, Rule, SLAPolicy, Tag
from .notifiers import NOTIFIERS
from .selectors import active_ruleset, facts_for_case, fallback_department

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
    case = Case.objects.select_related("customer").filter(pk=case_id).first()
    if case is None or case.routed_at is not None:
        return False
    decision = active_ruleset().evaluate(facts_for_case(case, today=timezone.localdate(now)))
    department = (
        Department.objects.select_related("owner", "sla_policy").filter(slug=decision.department).first()
        if decision.department
        else None
    ) or fallback_department()
    owner = department.owner
    policy = (
        SLAPolicy.objects.filter(name=decision.sla_policy).first() if decision.sla_policy else None
    ) or department.sla_policy
    people = set(decision.watchers) | set(decision.notify)
    active_ids = (
        set(get_user_model().objects.filter(pk__in=people, is_active=True).values_list("pk", flat=True))
        if people
        else set()
    )
    watchers = [pk for pk in decision.watchers if pk in active_ids]
    notified = [pk for pk in decision.notify if pk in active_ids]

    with transaction.atomic():
        claimed = Case.objects.filter(pk=case_id, routed_at__isnull=True).update(
            department=department,
            owner=owner,
            priority=decision.priority or case.priority,
            status=Status.ROUTED if case.status == Status.NEW else case.status,
            routed_at=now,
            first_response_due_at=now + timedelta(hours=policy.first_response_hours),
            resolution_due_at=now + timedelta(hours=policy.resolution_hours),
            decision=decision.as_dict(),
            routing_attempts=F("routing_attempts") + 1,
        )
        if claimed != 1:
            return False
        if decision.matches:
            # One UPDATE for every matched rule, in the claim's transaction.
            Rule.objects.filter(pk__in=[m.rule_id for m in decision.matches]).update(
                hit_count=F("hit_count") + 1, last_matched_at=now
            )
        case.tags.add(*Tag.objects.filter(slug__in=decision.tags))
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
            + [
                CaseEvent(
                    case=case,
                    kind=CaseEvent.Kind.ROUTED,
                    at=now,
                    text=f"{department.name} → {owner.get_full_name() or owner.get_username()}",
                    data={
                        "department": department.slug,
                        "owner_id": owner.pk,
                        "fallback": department.slug != decision.department,
                        "sla_policy": policy.name,
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


def notification_create(
    *, case_id: int, event: str, recipient_id: int | None = None, about: int | None = None
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
    notification, created = Notification.objects.get_or_create(
        key=key,
        defaults={"case_id": case_id, "recipient_id": recipient_id, "event": event, "channel": channel},
    )
    if not created:
        return None
    queue(send_notification, notification.pk)
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
