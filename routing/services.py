"""Writes of the routing side: route a case, send a notification."""

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.mail import get_connection
from django.db import Error as DatabaseFailure
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from cxportal.errors import ApplicationError
from feedback.models import Case, CaseEvent, Status

from .assignment import REASON_ROUND_ROBIN, Assignment
from .config import Team, routing_setup
from .learning import LiveModel
from .models import AssignmentMode, Department, Notification, Rule
from .notifiers import NOTIFIERS
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
    from .tasks import queue, send_notifications, send_webhook

    emails = [staff_notification(case_id=case_id, event=event, recipient_id=pk) for pk, event in told]
    hooks = [
        webhook_notification(case_id=case_id, event=event, destination_id=destination_id)
        for event in dict.fromkeys(event for _pk, event in told)
        for destination_id in webhooks.get(event, ())
    ]
    created = Notification.objects.bulk_create(emails + hooks)
    acknowledgement = _notification_key(case_id, "acknowledgement", None, "customer")
    queue(send_notifications, [n.pk for n in created[: len(emails)]], [acknowledgement])
    for notification in created[len(emails) :]:
        queue(send_webhook, notification.pk)


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


def _notification_key(case_id: int, event: str, about: int | str | None, who: str) -> str:
    # The key names case, event (and what it is about) and the person or destination.
    return f"case:{case_id}:{event}:{about}:{who}" if about else f"case:{case_id}:{event}:{who}"


def staff_notification(
    *, case_id: int, event: str, recipient_id: int, about: int | str | None = None
) -> Notification:
    """An unsaved email notification to a staff member, with its unique key."""
    return Notification(
        key=_notification_key(case_id, event, about, f"user:{recipient_id}"),
        case_id=case_id,
        recipient_id=recipient_id,
        event=event,
        about=str(about or ""),
        channel=Notification.Channel.EMAIL,
    )


def customer_notification(*, case_id: int, event: str, about: int | str | None = None) -> Notification:
    """An unsaved email notification to the case's customer, with its unique key."""
    return Notification(
        key=_notification_key(case_id, event, about, "customer"),
        case_id=case_id,
        event=event,
        about=str(about or ""),
        channel=Notification.Channel.CUSTOMER_EMAIL,
    )


def webhook_notification(
    *, case_id: int, event: str, destination_id: int, about: int | str | None = None
) -> Notification:
    """An unsaved webhook notification: one per destination, however many staff the event tells."""
    return Notification(
        key=_notification_key(case_id, event, about, f"webhook:{destination_id}"),
        case_id=case_id,
        event=event,
        channel=Notification.Channel.WEBHOOK,
        destination_id=destination_id,
    )


def notification_create(
    *,
    case_id: int,
    event: str,
    recipient_id: int | None = None,
    about: int | str | None = None,
    case_is_new: bool = False,
    queue_send: bool = True,
) -> Notification | None:
    """Record a notification and queue its sending after commit.

    ``recipient_id`` is a staff member; without it the case's customer is
    emailed. ``about`` names the event it is about when one case can have
    several (each reply). The key names case, event and person, so the same
    notification can never be recorded — or sent — twice. ``case_is_new``:
    the case was created in this transaction, so nothing can be recorded
    for it yet and the insert needs no savepoint to survive a duplicate.
    Without ``queue_send`` no task is queued: the caller knows who sends
    it (the new case's acknowledgement goes with its first routing's emails).
    """
    from .tasks import queue, send_notification

    if recipient_id:
        unsaved = staff_notification(case_id=case_id, event=event, recipient_id=recipient_id, about=about)
    else:
        unsaved = customer_notification(case_id=case_id, event=event, about=about)
    key = unsaved.key
    if case_is_new:
        unsaved.save(force_insert=True)
        notification = unsaved
    else:
        # Insert and let the unique key refuse a second one: no SELECT first.
        try:
            with transaction.atomic():
                unsaved.save(force_insert=True)
                notification = unsaved
        except IntegrityError:
            if Notification.objects.filter(key=key).exists():
                return None
            raise
    if queue_send:
        queue(send_notification, notification.pk)
    if recipient_id:
        from .webhooks import webhook_notifications_create

        # Chat tools subscribed to the event hear of it too, once per destination.
        webhook_notifications_create(case_id=case_id, event=event, about=about)
    return notification


def notification_send(*, notification_id: int, now: datetime | None = None) -> bool:
    """Send one pending email notification. Returns False if it is not ours to send."""
    return notifications_send(notification_ids=[notification_id], now=now) == 1


def notifications_send(
    *, notification_ids: Sequence[int], keys: Sequence[str] = (), now: datetime | None = None
) -> int:
    """Send pending email notifications (one event's, one case's): returns how many this call sent.

    They are named by id, or by key (``keys``; one that matches nothing is
    no error: a case without an email address has no acknowledgement).

    They are read and claimed (pending -> sending) in one transaction
    before anything goes out, their rows locked so a second worker given
    the same ids skips them: nothing is sent twice, and a database failure
    up to the commit leaves them pending for the retry. The messages go
    over one mail connection. One that fails is given back (pending) and
    the first failure is raised once the others went out, so the task's
    retry sends only what is still pending. Sent ones are recorded, with
    their timeline entries, in one more transaction.
    """
    claimed = _claim_emails(notification_ids, keys)
    if not claimed:
        return 0
    try:
        mail = get_connection()
        mail.open()
    except Exception as exc:
        _give_back([n.pk for n in claimed], error=str(exc))
        raise
    sent: list[Notification] = []
    failure: Exception | None = None
    for notification in claimed:
        try:
            # Claimed by _claim_emails: email channels, whose notifiers take the connection.
            NOTIFIERS[notification.channel].notify(notification, connection=mail)  # type: ignore[call-arg]
        except Exception as exc:
            # Not sent: give it back so the retry (or the sweep) can try again.
            _give_back([notification.pk], error=str(exc))
            failure = failure or exc
        else:
            sent.append(notification)
    try:
        mail.close()
    except Exception:
        # The messages were accepted; a failed goodbye must not leave them "sending".
        log.warning("Closing the mail connection failed.", exc_info=True)
    now = now or timezone.now()

    def record_sent() -> None:
        with transaction.atomic():
            Notification.objects.filter(pk__in=[n.pk for n in sent]).update(
                status=Notification.Status.SENT, sent_at=now, last_error=""
            )
            CaseEvent.objects.bulk_create(
                CaseEvent(
                    case_id=n.case_id,
                    kind=CaseEvent.Kind.NOTIFIED,
                    at=now,
                    text=n.recipient.email if n.recipient else "customer",
                    data={"notification": n.key},
                )
                for n in sent
            )

    if sent:
        _on_a_live_connection(record_sent)
    if failure is not None:
        raise failure
    return len(sent)


def _claim_emails(notification_ids: Sequence[int], keys: Sequence[str] = ()) -> list[Notification]:
    """The pending email notifications among ``notification_ids`` and ``keys``, claimed for this call.

    Read with all every notifier needs (case, customer, department, the
    staff recipient's language) under a row lock that other workers skip.
    """
    if not notification_ids and not keys:
        return []
    with transaction.atomic():
        pending = list(
            Notification.objects.select_related(
                "case__customer", "case__department", "recipient__cx_preference"
            )
            .select_for_update(skip_locked=True, of=("self",))
            .filter(
                Q(pk__in=notification_ids) | Q(key__in=keys) if keys else Q(pk__in=notification_ids),
                status=Notification.Status.PENDING,
                channel__in=(Notification.Channel.EMAIL, Notification.Channel.CUSTOMER_EMAIL),
            )
            .order_by("pk")
        )
        if not pending:
            return []
        # Staff emails list the case's tags: one query for the batch (owner, watchers, people
        # a rule notifies), read before the claim like everything else the notifiers need.
        prefetch_related_objects([n.case for n in pending if n.channel == Notification.Channel.EMAIL], "tags")
        claimed = Notification.objects.filter(
            pk__in=[n.pk for n in pending], status=Notification.Status.PENDING
        ).update(status=Notification.Status.SENDING, attempts=F("attempts") + 1, claimed_at=timezone.now())
        if claimed != len(pending):
            # Only where row locks do nothing (SQLite, whose writers queue instead):
            # another worker changed one between the read and the update. Claim
            # nothing; the task's retry reads again.
            raise ClaimLost(f"{len(pending) - claimed} of {len(pending)} notifications claimed elsewhere")
    return pending


class ClaimLost(Exception):
    """Another worker claimed part of a batch between its read and its claim."""


def _give_back(notification_ids: list[int], *, error: str) -> None:
    """Mark unsent notifications pending again."""
    _on_a_live_connection(
        lambda: Notification.objects.filter(
            pk__in=notification_ids, status=Notification.Status.SENDING
        ).update(status=Notification.Status.PENDING, last_error=error[:2000])
    )


def _on_a_live_connection(write: Callable[[], object]) -> None:
    """Run ``write``; if the database connection failed, once more on a new one.

    After a message went out (or failed to), its outcome must be recorded:
    a connection dropped meanwhile (a restarted server, a terminated
    backend) would otherwise leave the notification "sending" for good.
    """
    try:
        write()
    except DatabaseFailure:
        if connection.in_atomic_block:
            raise
        connection.close()
        write()
