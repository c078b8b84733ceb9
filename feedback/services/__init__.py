"""Writes of the customer side: intake, status changes, ownership, notes.

Import the services from here (``from feedback.services import case_create``);
each module holds one job:

- ``intake``: ``case_create``, the one way a case is stored, and its attachments;
- ``idempotency``: intake at most once (``Idempotency-Key``, external ids), API keys' upkeep;
- ``casework``: status changes, ownership, notes, replies and the customer's messages;
- ``surveys``: the customer's survey answer;
- ``consents``: the customer's marketing choices.
"""

from .casework import (
    case_add_note,
    case_assign,
    case_change_status,
    case_customer_message,
    case_reply,
    case_take_ownership,
)
from .consents import CONSENT_WORDING_VERSION, consent_update
from .idempotency import (
    INTEGRATION_KEY_TOUCH_EVERY,
    DuplicateExternalId,
    IdempotencyConflict,
    case_create_from_api,
    case_create_once,
    case_customer_message_once,
    case_enter,
    intake_keys_forget,
    integration_key_touch,
    request_fingerprint,
)
from .intake import attachments_store, case_create
from .surveys import survey_submit

__all__ = [
    "CONSENT_WORDING_VERSION",
    "INTEGRATION_KEY_TOUCH_EVERY",
    "DuplicateExternalId",
    "IdempotencyConflict",
    "attachments_store",
    "case_add_note",
    "case_assign",
    "case_change_status",
    "case_create",
    "case_create_from_api",
    "case_create_once",
    "case_customer_message",
    "case_customer_message_once",
    "case_enter",
    "case_reply",
    "case_take_ownership",
    "consent_update",
    "intake_keys_forget",
    "integration_key_touch",
    "request_fingerprint",
    "survey_submit",
]
