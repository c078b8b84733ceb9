"""Writes of the customer side: intake, status changes, ownership, notes."""

import hashlib
import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cxportal.errors import ApplicationError
from routing.selectors import works_in_department_q
from routing.services import notification_create

from .identity import customer_resolve_or_create
from .models import (
    TRANSITIONS,
    Attachment,
    Case,
    CaseEvent,
    Consent,
    Customer,
    IntakeKey,
    IntegrationKey,
    Status,
    SurveyResponse,
)
from .selectors import current_consents
from .uploads import display_name

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def case_create(
    *,
    name: str,
    email: str = "",
    phone: str = "",
    customer_number: str = "",
    kind: str,
    channel: str,
    subject: str,
    message: str,
    language: str,
    order_reference: str = "",
    order_date: date | None = None,
    promised_delivery_date: date | None = None,
    product: str = "",
    store: str = "",
    source: str = "",
    external_id: str = "",
    actor: "User | None" = None,
    origin: dict[str, Any] | None = None,
    acknowledge: bool = True,
    consents: dict[str, bool] | None = None,
    attachments: Sequence[tuple[UploadedFile, str]] = (),
    now: datetime | None = None,
) -> Case:
    """Store a new case with status `new` and queue its routing after commit.

    The case, its customer, its reference and its first event are written
    in one transaction; routing is only queued once that has committed, so
    a worker never looks for a case that is not there yet.

    ``actor`` is the staff member who entered it (phone, store), ``origin``
    what else the timeline should say of where it came from (the integration,
    the mailbox); ``source`` and ``external_id`` name it in another system.
    """
    from routing.tasks import queue, route_case

    now = now or timezone.now()
    if not (email or phone):
        raise ApplicationError(
            _("Give an email address or a phone number so we can answer you."), code="no_contact"
        )
    with transaction.atomic():
        customer, customer_is_new = customer_resolve_or_create(
            name=name, email=email, phone=phone, customer_number=customer_number, language=language
        )
        case = Case.objects.create(
            customer=customer,
            kind=kind,
            channel=channel,
            subject=subject,
            message=message,
            language=language,
            order_reference=order_reference,
            order_date=order_date,
            promised_delivery_date=promised_delivery_date,
            product=product,
            store=store,
            source=source,
            external_id=external_id,
            created_at=now,
        )
        # The reference is derived from the primary key: unique without a lock.
        case.reference = f"{settings.CX_REFERENCE_PREFIX}-{timezone.localdate(now).year}-{case.pk:06d}"
        case.save(update_fields=["reference"])
        if consents:
            consent_update(
                customer=customer, choices=consents, source=channel, now=now, customer_is_new=customer_is_new
            )
        created = CaseEvent.objects.create(
            case=case,
            kind=CaseEvent.Kind.CREATED,
            at=now,
            actor=actor,
            text=case.get_channel_display(),
            data=origin or {},
            is_public=True,
        )
        attachments_store(case=case, event=created, files=attachments, now=now)
        # Not for past cases imported to be routed: the customer heard from us back then.
        # Sent with the first routing's emails (one task per case fewer); if routing
        # is held up, the notification sweep sends it a minute later.
        if acknowledge and customer.email:
            notification_create(case_id=case.pk, event="acknowledgement", case_is_new=True, queue_send=False)
        queue(route_case, case.pk)
    return case


class IdempotencyConflict(ApplicationError):
    """The key was used before with another request body: a client bug, not a retry."""

    status = 409


def request_fingerprint(data: object) -> str:
    """What a retry must repeat to be a retry: the same data in any key order gives the same hash."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def case_create_once(
    *,
    key: str,
    fingerprint: str,
    actor: "User | None" = None,
    api_key: IntegrationKey | None = None,
    **fields: Any,
) -> tuple[Case, bool]:
    """``case_create`` at most once per client and ``Idempotency-Key``: (the case, replayed?).

    The client is a staff ``actor`` or an integration's ``api_key``, exactly
    one. A retry (same key, same ``fingerprint`` of the body) gets the first
    case back. Two retries racing each other both try to store the key in
    the case's transaction; the unique key lets one commit, the other rolls
    back (its case with it) and answers with the winner's case.
    """
    client = _intake_client(actor=actor, api_key=api_key)
    case = _case_for_intake_key(client=client, key=key, fingerprint=fingerprint)
    if case is not None:
        return case, True
    # Only now: a retry of a case with an external id is a replay, not a duplicate.
    _refuse_duplicate_external_id(**_external_id_of(fields))
    try:
        with transaction.atomic():
            case = case_create(actor=actor, **fields)
            IntakeKey.objects.create(**client, key=key, fingerprint=fingerprint, case=case)
    except IntegrityError:
        # Lost a race: to a retry with the same key (its case is the answer),
        # or to another request with the same external id (a 409 naming it).
        case = _case_for_intake_key(client=client, key=key, fingerprint=fingerprint)
        if case is None:
            _refuse_duplicate_external_id(**_external_id_of(fields))
            raise
        return case, True
    return case, False


def _intake_client(*, actor: "User | None", api_key: IntegrationKey | None) -> dict[str, Any]:
    if (actor is None) == (api_key is None):
        raise ValueError("An Idempotency-Key belongs to a user or to an API key, exactly one.")
    return {"user": actor} if api_key is None else {"api_key": api_key}


def _case_for_intake_key(*, client: dict[str, Any], key: str, fingerprint: str) -> Case | None:
    found = _intake_key_found(client=client, key=key, fingerprint=fingerprint)
    return found.case if found else None


def _intake_key_found(*, client: dict[str, Any], key: str, fingerprint: str) -> IntakeKey | None:
    """The client's earlier use of ``key``; an ``IdempotencyConflict`` if it came with another request."""
    found = IntakeKey.objects.select_related("case", "event").filter(**client, key=key).first()
    if found is None:
        return None
    if found.fingerprint != fingerprint:
        raise _key_reused()
    return found


def _key_reused() -> IdempotencyConflict:
    return IdempotencyConflict(
        _("This Idempotency-Key was already used for a different request. Use a new key for a new case."),
        code="idempotency_key_reused",
    )


def case_enter(*, actor: "User", entry_key: str = "", **fields: Any) -> tuple[Case, bool]:
    """A case staff enter for a customer (phone, store, chat): (the case, entered before?).

    ``entry_key`` comes with each blank form: the same form sent again (a
    double click, a reload) gets the case already entered.
    """
    if not entry_key:
        return case_create(actor=actor, **fields), False
    return case_create_once(
        key=f"staff-entry:{entry_key}", fingerprint=request_fingerprint(fields), actor=actor, **fields
    )


def case_customer_message_once(
    *,
    case: Case,
    text: str,
    key: str | None,
    fingerprint: str,
    actor: "User | None" = None,
    api_key: IntegrationKey | None = None,
) -> tuple[CaseEvent, bool]:
    """``case_customer_message`` at most once per client and ``Idempotency-Key``: (the message, replayed?).

    Without a ``key`` the message is simply added. ``fingerprint`` must cover
    the case as well as the body: the same key sent with a message for
    another case is a conflict, not a replay.
    """
    if key is None:
        return case_customer_message(case=case, text=text), False
    client = _intake_client(actor=actor, api_key=api_key)
    found = _intake_key_found(client=client, key=key, fingerprint=fingerprint)
    if found is not None and found.event is not None:
        return found.event, True
    if found is not None:  # the key made a case, with the same fingerprint: cannot be this request
        raise _key_reused()
    try:
        with transaction.atomic():
            event = case_customer_message(case=case, text=text)
            IntakeKey.objects.create(**client, key=key, fingerprint=fingerprint, case=case, event=event)
    except IntegrityError:
        found = _intake_key_found(client=client, key=key, fingerprint=fingerprint)
        if found is None or found.event is None:
            raise
        return found.event, True
    return event, False


class DuplicateExternalId(ApplicationError):
    """A case with this source and external id exists: the client sent it before."""

    status = 409

    def __init__(self, case: Case) -> None:
        super().__init__(
            _("A case with this external id already exists: %(reference)s.") % {"reference": case.reference},
            code="duplicate_external_id",
            field="external_id",
        )
        self.case = case


def case_create_from_api(
    *,
    actor: "User | None" = None,
    api_key: IntegrationKey | None = None,
    idempotency_key: str | None = None,
    fingerprint: str = "",
    **fields: Any,
) -> tuple[Case, bool]:
    """A case submitted through the API by staff or an integration: (the case, replayed?).

    An integration's cases carry its key's source, and its name on their
    timeline; staff's carry the source ``api``. A (source, external id)
    already stored is a ``DuplicateExternalId`` naming that case, unless
    the request is a retry with the same ``Idempotency-Key``, which gets its
    case back. Two such requests racing each other meet at the unique
    constraint, and the loser looks the winner up.
    """
    if api_key is not None:
        fields.update(source=api_key.source, origin={"integration": api_key.name, "source": api_key.source})
    else:
        fields.update(source="api")
    if idempotency_key is not None:
        return case_create_once(
            key=idempotency_key, fingerprint=fingerprint, actor=actor, api_key=api_key, **fields
        )
    _refuse_duplicate_external_id(**_external_id_of(fields))
    try:
        return case_create(actor=actor, **fields), False
    except IntegrityError:
        _refuse_duplicate_external_id(**_external_id_of(fields))
        raise


def _external_id_of(fields: dict[str, Any]) -> dict[str, str]:
    return {"source": fields.get("source", ""), "external_id": fields.get("external_id", "")}


def _refuse_duplicate_external_id(*, source: str, external_id: str) -> None:
    if not external_id:
        return
    existing = Case.objects.filter(source=source, external_id=external_id).first()
    if existing is not None:
        raise DuplicateExternalId(existing)


# How stale ``IntegrationKey.last_used_at`` may get: one write a minute per key at most.
INTEGRATION_KEY_TOUCH_EVERY = timedelta(minutes=1)


def integration_key_touch(*, api_key: IntegrationKey, now: datetime | None = None) -> bool:
    """Record that the key was used, at most once a minute: whether this call wrote.

    A conditional update rather than a save per request: busy integrations
    would otherwise write the same row on every call, and contend for it.
    """
    now = now or timezone.now()
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - INTEGRATION_KEY_TOUCH_EVERY)
    touched = IntegrationKey.objects.filter(stale, pk=api_key.pk).update(last_used_at=now)
    if touched:
        api_key.last_used_at = now
    return bool(touched)


def intake_keys_forget(*, days: int, now: datetime | None = None) -> int:
    """Delete Idempotency-Keys stored more than ``days`` ago; how many went."""
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted, _by_model = IntakeKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


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


def survey_submit(
    *, case: Case, csat: int, nps: int, ces: int, comment: str = "", now: datetime | None = None
) -> SurveyResponse:
    """Record the customer's survey: once per case, only after resolution."""
    now = now or timezone.now()
    if case.status not in (Status.RESOLVED, Status.CLOSED):
        raise ApplicationError(_("The survey opens once your case is resolved."), code="not_resolved")
    with transaction.atomic():
        response, created = SurveyResponse.objects.get_or_create(
            case=case,
            defaults={"csat": csat, "nps": nps, "ces": ces, "comment": comment.strip(), "submitted_at": now},
        )
        if not created:
            raise ApplicationError(
                _("You have already answered this survey. Thank you!"), code="already_answered"
            )
        CaseEvent.objects.create(
            case=case,
            kind=CaseEvent.Kind.SURVEY_ANSWERED,
            at=now,
            text=f"CSAT {csat} · NPS {nps} · CES {ces}",
            data={"csat": csat, "nps": nps, "ces": ces},
        )
    return response


# Bump when the consent wording on the form or preference page changes.
CONSENT_WORDING_VERSION = "2026-11"


def consent_update(
    *,
    customer: Customer,
    choices: dict[str, bool],
    source: str,
    now: datetime | None = None,
    customer_is_new: bool = False,
) -> list[Consent]:
    """Record the customer's marketing choices per channel, keeping the history.

    Only changes are recorded; a first "no" is the default and needs no row.
    A customer created in the caller's transaction has no choices yet
    (``customer_is_new``): nothing to read.
    """
    now = now or timezone.now()
    current = {} if customer_is_new else current_consents(customer)
    changed = [
        Consent(
            customer=customer,
            channel=channel,
            granted=granted,
            wording_version=CONSENT_WORDING_VERSION,
            source=source,
            at=now,
        )
        for channel, granted in choices.items()
        if current.get(channel, False) != granted
    ]
    return Consent.objects.bulk_create(changed)


def attachments_store(
    *,
    case: Case,
    files: Sequence[tuple[UploadedFile, str]],
    event: CaseEvent | None = None,
    now: datetime | None = None,
) -> list[Attachment]:
    """Keep the customer's checked files (``(upload, content type)`` pairs) on the case."""
    now = now or timezone.now()
    stored = []
    for upload, content_type in files:
        # Uploads, checked by check_upload, always have a name and a size; only a bare UploadedFile() has None.
        attachment = Attachment(
            case=case,
            event=event,
            name=display_name(cast(str, upload.name), content_type),
            content_type=content_type,
            size=cast(int, upload.size),
            uploaded_at=now,
        )
        attachment.file.save(upload.name, upload, save=False)
        attachment.save()
        stored.append(attachment)
    return stored
