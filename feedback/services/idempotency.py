"""Intake at most once: ``Idempotency-Key`` replays, duplicate external ids, API keys' upkeep.

The entry points here (the API's, staff entry's) wrap ``case_create`` and
``case_customer_message`` so that a retry gets the first answer back
instead of a second case or message.
"""

import hashlib
import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cxportal.errors import ApplicationError

from ..models import Case, CaseEvent, IntakeKey, IntegrationKey
from .casework import case_customer_message
from .intake import case_create

if TYPE_CHECKING:
    from django.contrib.auth.models import User


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
