"""Working a case after it came in: status changes, ownership, notes, replies, customer messages."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cxportal.errors import ApplicationError
from notifications.services import notification_create
from routing.selectors import works_in_department_q

from ..models import TRANSITIONS, Case, CaseEvent, Status
from .intake import attachments_store

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def case_change_status(*, case: Case, status: str, actor: "User | None", now: datetime | None = None) -> Case:
    """Move a case along its lifecycle, recording who did it and when."""
    now = now or timezone.now()
    if status == case.status:
        return case
    if status not in TRANSITIONS.get(case.status, set()):
        raise ApplicationError(
            _("A case cannot go from “%(old)s” to “%(new)s”.")
            % {"old": case.get_status_display(), "new": dict(Status.choices).get(status, status)},
            code="bad_transition",
        )
    old = case.status
    fields: dict[str, Any] = {"status": status}
    if status == Status.RESOLVED:
        fields["resolved_at"] = now
    elif status == Status.CLOSED:
        fields["closed_at"] = now
        if not case.resolved_at:
            fields["resolved_at"] = now
    elif old in (Status.RESOLVED, Status.CLOSED):
        fields.update(resolved_at=None, closed_at=None)
    data: dict[str, Any] = {}
    if status == Status.WAITING:
        fields["sla_paused_at"] = now
    elif old == Status.WAITING and case.sla_paused_at:
        due_dates, paused = _sla_resumed(case, paused_at=case.sla_paused_at, now=now)
        fields.update(due_dates, sla_paused_at=None)
        data["sla_paused_seconds"] = int(paused.total_seconds())
    with transaction.atomic():
        for name, value in fields.items():
            setattr(case, name, value)
        case.save(update_fields=[*fields, "updated_at"])
        CaseEvent.objects.create(
            case=case,
            kind=CaseEvent.Kind.STATUS_CHANGED,
            at=now,
            actor=actor,
            text=f"{Status(old).label} → {Status(status).label}",
            data={"from": old, "to": status, "reopened": old in (Status.RESOLVED, Status.CLOSED), **data},
            is_public=True,
        )
        # The survey is sent once per case: a second resolution does not ask again.
        if status == Status.RESOLVED and case.customer.email:
            notification_create(case_id=case.pk, event="survey")
    return case


def _sla_resumed(case: Case, *, paused_at: datetime, now: datetime) -> tuple[dict[str, datetime], timedelta]:
    """Restart the clock paused while waiting on the customer: due dates move
    later by the working time waited (so a wait over a weekend costs nothing
    extra). A first response already given keeps its due date."""
    from routing.selectors import sla_calendar, sla_policy_of_case
    from routing.sla import add_business_time, business_time_between

    calendar = sla_calendar(sla_policy_of_case(case))
    paused = business_time_between(paused_at, now, calendar)
    hours = paused.total_seconds() / 3600
    fields = {}
    if case.first_response_due_at and case.first_response_at is None:
        fields["first_response_due_at"] = add_business_time(case.first_response_due_at, hours, calendar)
    if case.resolution_due_at:
        fields["resolution_due_at"] = add_business_time(case.resolution_due_at, hours, calendar)
    return fields, paused


def _owner_set(*, case: Case, owner: "User", actor: "User", now: datetime) -> None:
    """Give ``case`` to ``owner`` and record who did it on the timeline."""
    previous_id = case.owner_id
    case.owner = owner
    case.save(update_fields=["owner", "updated_at"])
    CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.Kind.ASSIGNED,
        at=now,
        actor=actor,
        text=str(owner.get_full_name() or owner.get_username()),
        data={"from": previous_id, "to": owner.pk},
    )


def case_take_ownership(*, case: Case, user: "User", now: datetime | None = None) -> Case:
    """Make ``user`` the case owner; a routed case becomes in progress."""
    now = now or timezone.now()
    if case.owner_id == user.pk:
        return case
    with transaction.atomic():
        _owner_set(case=case, owner=user, actor=user, now=now)
        if case.status == Status.ROUTED:
            case_change_status(case=case, status=Status.IN_PROGRESS, actor=user, now=now)
    return case


def case_add_note(*, case: Case, text: str, actor: "User", now: datetime | None = None) -> CaseEvent:
    """Add an internal note: never shown to the customer."""
    text = text.strip()
    if not text:
        raise ApplicationError(_("The note is empty."), code="empty_note")
    return CaseEvent.objects.create(
        case=case, kind=CaseEvent.Kind.NOTE, at=now or timezone.now(), actor=actor, text=text
    )


def case_assign(*, case: Case, owner: "User", actor: "User", now: datetime | None = None) -> Case:
    """Hand the case to ``owner`` on ``actor``'s decision, recording it on the timeline.

    The new owner must work in the case's department (member, owner or
    backup): a case never lands with someone who cannot see it.
    """
    now = now or timezone.now()
    if case.owner_id == owner.pk:
        return case
    works_there = (
        # A case without a department is refused just below, after this query as ever.
        get_user_model()
        .objects.filter(works_in_department_q(case.department_id), pk=owner.pk)  # type: ignore[arg-type]
        .exists()
    )
    if case.department_id is None or not works_there:
        raise ApplicationError(
            _("%(user)s does not work in the case's department.")
            % {"user": owner.get_full_name() or owner.get_username()},
            code="not_in_department",
            field="owner",
        )
    with transaction.atomic():
        _owner_set(case=case, owner=owner, actor=actor, now=now)
    return case


def case_reply(*, case: Case, text: str, actor: "User", now: datetime | None = None) -> CaseEvent:
    """Answer the customer: shown on their tracking page and emailed to them.

    The first reply is the case's first response, the moment the SLA's
    first-response clock stops.
    """
    now = now or timezone.now()
    text = text.strip()
    if not text:
        raise ApplicationError(_("The reply is empty."), code="empty_reply")
    with transaction.atomic():
        event = CaseEvent.objects.create(
            case=case, kind=CaseEvent.Kind.REPLY, at=now, actor=actor, text=text, is_public=True
        )
        if case.first_response_at is None:
            case.first_response_at = now
            case.save(update_fields=["first_response_at", "updated_at"])
        if case.status in (Status.NEW, Status.ROUTED):
            case_change_status(case=case, status=Status.IN_PROGRESS, actor=actor, now=now)
        if case.customer.email:
            notification_create(case_id=case.pk, event="reply", about=event.pk)
    return event


def case_customer_message(
    *,
    case: Case,
    text: str,
    attachments: Sequence[tuple[UploadedFile, str]] = (),
    notify_owner: bool = True,
    now: datetime | None = None,
) -> CaseEvent:
    """Add the customer's message (tracking page, email reply, API).

    A case waiting on the customer goes back to in progress; a resolved or
    closed one is reopened, since the customer is telling us it is not over.
    The owner is emailed about it unless ``notify_owner`` is off (a burst).
    """
    now = now or timezone.now()
    text = text.strip()
    if not text:
        raise ApplicationError(_("Write a message first."), code="empty_message")
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.anonymised:
            # Its personal content was erased: a new message would start a new history there.
            raise ApplicationError(
                _("This case was erased and takes no more messages. Please send a new request."),
                code="case_erased",
            )
        event = CaseEvent.objects.create(
            case=case, kind=CaseEvent.Kind.CUSTOMER_MESSAGE, at=now, text=text, is_public=True
        )
        attachments_store(case=case, event=event, files=attachments, now=now)
        if case.status in (Status.WAITING, Status.RESOLVED, Status.CLOSED):
            case_change_status(case=case, status=Status.IN_PROGRESS, actor=None, now=now)
        if case.owner_id and notify_owner:
            notification_create(
                case_id=case.pk, event="customer_message", about=event.pk, recipient_id=case.owner_id
            )
    return event
