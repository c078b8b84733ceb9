"""Writes of the routing side: route a case, move it to another department."""

import logging
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cxportal.errors import ApplicationError
from feedback.models import Case, CaseEvent, Status
from notifications.models import Notification
from notifications.services import (
    notification_create,
    notification_key,
    notifications_queue,
    staff_notification,
    webhook_notification,
)

from .assignment import REASON_ROUND_ROBIN, Assignment
from .config import Team, routing_setup
from .learning import LiveModel
from .models import AssignmentMode, Department, Rule
from .rules import Decision, Facts
from .selectors import assignee_with_user, case_for_routing, facts_for_case
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

    Cost (``tests/routing/test_route_queries.py``): the set-up comes from
    ``routing_setup`` (one cache round trip); the case and its customer's
    history are one read, the assignee one more, and the transaction writes
    the claim, rule hit counts, tags, timeline and notifications with one
    statement each.
    """
    now = now or timezone.now()
    setup = routing_setup()
    case = case_for_routing(case_id, fields=setup.ruleset.fields)
    if case is None or case.routed_at is not None:
        return False
    facts = facts_for_case(case, today=timezone.localdate(now))
    decision = setup.ruleset.evaluate(facts)
    triage = _triage(decision, facts, setup.live)
    team = (setup.team(triage.department) if triage.decided_by != FALLBACK else None) or setup.fallback
    policy = (setup.policies.get(decision.sla_policy) if decision.sla_policy else None) or team.policy
    calendar = policy.calendar
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
        assignment, owner = _assignee(team, now=now)
        owner_name = owner.get_full_name() or owner.get_username()
        # The attempts read with the case are part of the claim: when it is
        # the first, no notification of a routing of this case can exist yet.
        claimed = Case.objects.filter(
            pk=case_id, routed_at__isnull=True, routing_attempts=case.routing_attempts
        ).update(
            department_id=team.pk,
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
            Department.objects.filter(pk=team.pk).update(last_assigned=owner)
        if decision.matches:
            # One UPDATE for every matched rule, in the claim's transaction.
            Rule.objects.filter(pk__in=[m.rule_id for m in decision.matches]).update(
                hit_count=F("hit_count") + 1, last_matched_at=now
            )
        tag_ids = [setup.tag_ids[slug] for slug in triage.tags if slug in setup.tag_ids]
        if tag_ids:
            # One INSERT; a tag already on the case (put there by staff meanwhile) is kept.
            CaseTag = Case.tags.through
            CaseTag.objects.bulk_create(
                [CaseTag(case_id=case_id, tag_id=tag_id) for tag_id in tag_ids], ignore_conflicts=True
            )
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
                    text=f"{team.name} → {assignment.describe(owner_name)}",
                    data={
                        "department": team.slug,
                        **assignment.as_dict(),
                        "fallback": triage.decided_by == FALLBACK or team.slug != triage.department,
                        "sla_policy": policy.name,
                        "business_hours": calendar is not None,
                    },
                    is_public=True,
                )
            ]
        )
        told = [(owner.pk, "routed")]
        for event, recipients in (("watching", watchers), ("rule_notify", notified)):
            for recipient_id in recipients:
                if recipient_id not in {pk for pk, _event in told}:
                    told.append((recipient_id, event))
        if case.routing_attempts == 0:
            _notifications_for_first_routing(case_id, told, webhooks=setup.webhooks)
        else:
            # Routed before (staff cleared it to run routing again): whoever was told then is not told twice.
            for recipient_id, event in told:
                notification_create(case_id=case_id, recipient_id=recipient_id, event=event)
    return True


def _notifications_for_first_routing(
    case_id: int, told: list[tuple[int, str]], *, webhooks: dict[str, tuple[int, ...]]
) -> None:
    """Record the routing's notifications with one INSERT and queue them after commit.

    Only for a case this transaction has claimed for its first routing: no
    notification of its routing can exist yet, so nothing is looked up
    first. People are emailed in one task, and the customer's
    acknowledgement (recorded with the case, left for this moment) goes
    with them, named by its key: no read, and one task per case fewer.
    Each webhook destination has its own task (own retries).
    """
    emails = [staff_notification(case_id=case_id, event=event, recipient_id=pk) for pk, event in told]
    hooks = [
        webhook_notification(case_id=case_id, event=event, destination_id=destination_id)
        for event in dict.fromkeys(event for _pk, event in told)
        for destination_id in webhooks.get(event, ())
    ]
    acknowledgement = notification_key(case_id, "acknowledgement", None, "customer")
    notifications_queue(Notification.objects.bulk_create(emails + hooks), keys=[acknowledgement])


def _triage(decision: Decision, facts: Facts, live: LiveModel | None) -> Triage:
    """The rules' decision completed by the live triage model, if there is one."""
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
    # ``combine`` sets the threshold whenever the model decided or suggested.
    if triage.decided_by == MODEL:
        outcome = _("routed there (threshold %(threshold)d %%).") % {
            "threshold": round(100 * triage.threshold)  # type: ignore[operator]
        }
    elif triage.suggestion:
        outcome = _(
            "below the %(threshold)d %% threshold: sent to the fallback department with the suggestion."
        ) % {"threshold": round(100 * triage.threshold)}  # type: ignore[operator]
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


def _assignee(department: Department | Team, *, now: datetime) -> tuple[Assignment, User]:
    """Who in ``department`` gets the case; call it inside the transaction that records it."""
    last_assigned_id = department.last_assigned_id
    if department.assignment_mode == AssignmentMode.ROUND_ROBIN:
        # Lock the department's turn, so two workers routing at once take turns.
        last_assigned_id = (
            Department.objects.select_for_update()
            .values_list("last_assigned_id", flat=True)
            .get(pk=department.pk)
        )
    return assignee_with_user(department, now=now, last_assigned_id=last_assigned_id)


def case_reroute(
    *, case: Case, department: Department, actor: User | None, now: datetime | None = None
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
