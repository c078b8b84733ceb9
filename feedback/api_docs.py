"""What the OpenAPI schema says of each API operation: summaries, errors, examples.

Kept apart from the views so that they stay short; ``feedback.api`` spreads
these into ``extend_schema``. English, like the paths.
"""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from .serializers import (
    ApplicationErrorSerializer,
    CaseIntakeResultSerializer,
    CaseSerializer,
    CustomerSerializer,
    DuplicateExternalIdSerializer,
    PublicEventSerializer,
    StaffEventSerializer,
)

REFERENCE = "CX-2026-000123"
CASE_URL = f"https://cx.example.com/api/v1/cases/{REFERENCE}/"

FORBIDDEN = OpenApiResponse(
    ApplicationErrorSerializer,
    description="No or bad credentials (code `api_key_unknown`, `api_key_revoked`, `api_key_expired` for "
    "a key), staff without the model permission, or a key without the scope (`api_key_scope`).",
    examples=[
        OpenApiExample(
            "Revoked key",
            value={"detail": "This API key has been revoked.", "code": "api_key_revoked"},
            response_only=True,
            status_codes=["403"],
        ),
        OpenApiExample(
            "Missing scope",
            value={"detail": "This API key may not read cases or customers.", "code": "api_key_scope"},
            response_only=True,
            status_codes=["403"],
        ),
    ],
)
NOT_FOUND = OpenApiResponse(
    ApplicationErrorSerializer,
    description="No such case, or not one the client may see (another department's, another source's).",
)
THROTTLED = OpenApiResponse(
    ApplicationErrorSerializer, description="Too many submissions from this key or account: see Retry-After."
)
WHO_READS = (
    "Staff see the cases of their departments (all with `view_all_cases`) and need `view_case`; "
    "an API key needs `can_read` and sees only the cases of its own source."
)

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Optional. A key of your own (e.g. a UUID) per request, kept per client (staff account or "
    "API key): a retry with the same key and body answers 200 with what was already made and the "
    "header `Idempotent-Replayed: true`, instead of making a second one; the same key with another "
    "body is a 409.",
)
LOCATION = OpenApiParameter(
    "Location", OpenApiTypes.URI, OpenApiParameter.HEADER, description="The case.", response=[200, 201]
)
REPLAYED = OpenApiParameter(
    "Idempotent-Replayed",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="`true` when the answer is what an earlier request with the same Idempotency-Key made.",
    response=[200],
)

INTAKE_EXAMPLE = {
    "customer": {"name": "Ana García", "email": "ana@example.com", "phone": "+34 600 11 22 33"},
    "kind": "complaint",
    "channel": "chat",
    "subject": "Pedido 12345 sin entregar",
    "message": "Mi pedido no ha llegado, lleva 5 días de retraso.",
    "language": "es",
    "order_reference": "12345",
    "external_id": "conversation-8812",
}
INTAKE_RESULT_EXAMPLE = {
    "reference": REFERENCE,
    "status": "new",
    "created_at": "2026-11-03T10:15:00+01:00",
    "url": CASE_URL,
    "promised_first_response_hours": 8,
}

CASE_LIST: dict[str, Any] = {
    "summary": "List the cases you may see",
    "description": WHO_READS + " Filter by `source` and `external_id` to find a case you submitted.",
    "tags": ["cases"],
    "responses": {200: CaseSerializer(many=True), 403: FORBIDDEN},
}

CASE_CREATE: dict[str, Any] = {
    "summary": "Submit a case on behalf of a customer",
    "description": "Staff need `add_case`; an API key needs `can_intake`. A key's cases carry its source "
    "and its name on their timeline; staff's carry the source `api`. With `external_id`, one case per "
    "source and id: sending it again is a 409 naming the case (unless it is a retry with the same "
    "Idempotency-Key, which answers 200 with it).",
    "tags": ["cases"],
    "parameters": [IDEMPOTENCY_KEY, LOCATION, REPLAYED],
    "examples": [
        OpenApiExample("A late delivery from a chat", value=INTAKE_EXAMPLE, request_only=True),
        OpenApiExample("Created", value=INTAKE_RESULT_EXAMPLE, response_only=True, status_codes=["201"]),
        OpenApiExample(
            "Replayed (same Idempotency-Key and body)",
            value=INTAKE_RESULT_EXAMPLE,
            response_only=True,
            status_codes=["200"],
        ),
    ],
    "responses": {
        201: CaseIntakeResultSerializer,
        200: OpenApiResponse(CaseIntakeResultSerializer, description="A replay: the case made before."),
        400: OpenApiResponse(
            ApplicationErrorSerializer,
            description='Field errors, or {"detail", "code"} when a domain rule is broken '
            '(code "no_contact": neither email nor phone; "bad_idempotency_key").',
        ),
        403: FORBIDDEN,
        409: OpenApiResponse(
            DuplicateExternalIdSerializer,
            description="`duplicate_external_id`: a case with this source and external id exists "
            "(its reference and URL are in the body); `idempotency_key_reused`: the key was used "
            "with another body.",
            examples=[
                OpenApiExample(
                    "Duplicate external id",
                    value={
                        "detail": f"A case with this external id already exists: {REFERENCE}.",
                        "code": "duplicate_external_id",
                        "reference": REFERENCE,
                        "url": CASE_URL,
                    },
                    response_only=True,
                    status_codes=["409"],
                ),
                OpenApiExample(
                    "Idempotency-Key reused",
                    value={
                        "detail": "This Idempotency-Key was already used for a different request. "
                        "Use a new key for a new case.",
                        "code": "idempotency_key_reused",
                    },
                    response_only=True,
                    status_codes=["409"],
                ),
            ],
        ),
        429: THROTTLED,
    },
}

CASE_DETAIL: dict[str, Any] = {
    "summary": "One case, by reference",
    "description": WHO_READS,
    "tags": ["cases"],
    "responses": {200: CaseSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
}

CASE_TIMELINE: dict[str, Any] = {
    "summary": "The timeline of a case, oldest first",
    "description": WHO_READS + " Staff get every event, internal notes included, with who did it; "
    "an API key gets only the events the customer sees, as `kind`, `at` and `text` (the words of "
    "replies and customer messages, the new status of a status change, empty otherwise).",
    "tags": ["cases"],
    "responses": {
        200: OpenApiResponse(
            StaffEventSerializer(many=True),
            description="Staff: all fields. API keys: `kind`, `at`, `text` of public events.",
            examples=[
                OpenApiExample(
                    "As an API key sees it",
                    value=[
                        {"kind": "created", "at": "2026-11-03T10:15:00+01:00", "text": ""},
                        {"kind": "status_changed", "at": "2026-11-03T10:15:02+01:00", "text": "Routed"},
                        {
                            "kind": "reply",
                            "at": "2026-11-03T12:40:00+01:00",
                            "text": "Sentimos el retraso: su pedido sale hoy.",
                        },
                    ],
                    response_only=True,
                    status_codes=["200"],
                ),
                OpenApiExample(
                    "As staff see it",
                    value=[
                        {
                            "kind": "created",
                            "at": "2026-11-03T10:15:00+01:00",
                            "text": "Chat",
                            "actor": None,
                            "is_public": True,
                        },
                        {
                            "kind": "note",
                            "at": "2026-11-03T11:00:00+01:00",
                            "text": "Llamar al transportista.",
                            "actor": "laura",
                            "is_public": False,
                        },
                    ],
                    response_only=True,
                    status_codes=["200"],
                ),
            ],
        ),
        403: FORBIDDEN,
        404: NOT_FOUND,
    },
}

CASE_MESSAGE: dict[str, Any] = {
    "summary": "Add a message from the customer to a case",
    "description": "As if the customer wrote it on their tracking page: the owner is told, and a "
    "case waiting on the customer, resolved or closed goes back to in progress. Staff need "
    "`change_case` on a case they see; an API key needs `can_intake` and a case of its source. "
    "With an Idempotency-Key a retried message is stored once: the retry answers 200 with the "
    "message already stored; the same key with another text or case is a 409.",
    "tags": ["cases"],
    "examples": [
        OpenApiExample(
            "The customer writes again",
            value={"text": "Sigue sin llegar, ¿pueden darme una fecha?"},
            request_only=True,
        ),
        OpenApiExample(
            "Stored",
            value={
                "kind": "customer_message",
                "at": "2026-11-04T09:00:00+01:00",
                "text": "Sigue sin llegar, ¿pueden darme una fecha?",
            },
            response_only=True,
            status_codes=["201"],
        ),
    ],
    "parameters": [IDEMPOTENCY_KEY, REPLAYED],
    "responses": {
        201: PublicEventSerializer,
        200: OpenApiResponse(PublicEventSerializer, description="A replay: the message stored before."),
        400: OpenApiResponse(
            ApplicationErrorSerializer, description='Field errors (an empty text), or "bad_idempotency_key".'
        ),
        403: FORBIDDEN,
        404: NOT_FOUND,
        409: OpenApiResponse(
            ApplicationErrorSerializer,
            description="`idempotency_key_reused`: the key was used with another text or case.",
        ),
        429: THROTTLED,
    },
}

CUSTOMER_LIST: dict[str, Any] = {
    "summary": "Find customers by email, phone or customer number",
    "description": "Values match however they are written (`+34 600 11 22 33` finds `600112233`), "
    "against every email and phone the customer ever used. Staff need `view_customer` and see the "
    "customers of the cases they see (all customers with `view_all_cases`); an API key needs "
    "`can_read` and sees the customers of its source's cases. `cases` lists the references of the "
    "cases the client may see.",
    "tags": ["customers"],
    "responses": {
        200: OpenApiResponse(
            CustomerSerializer(many=True),
            examples=[
                OpenApiExample(
                    "Found by phone",
                    value={
                        "count": 1,
                        "next": None,
                        "previous": None,
                        "results": [
                            {
                                "id": 42,
                                "name": "Ana García",
                                "email": "ana@example.com",
                                "phone": "+34600112233",
                                "customer_number": "C-1001",
                                "cases": [REFERENCE],
                            }
                        ],
                    },
                    response_only=True,
                    status_codes=["200"],
                )
            ],
        ),
        403: FORBIDDEN,
    },
}

CASE_EVENT_WEBHOOK: dict[str, Any] = {
    "summary": "A case event, posted to a webhook destination",
    "description": "CX Portal POSTs this JSON to each active webhook destination subscribed to the event "
    "(configured in the admin), with the headers `X-CX-Event` (the event), `X-CX-Delivery` (the "
    "`key`: unique per case, event and destination, so a retry repeats it) and `X-CX-Signature: "
    "sha256=<hex HMAC-SHA256 of the raw body with the destination's secret>`. Check the signature "
    "over the exact bytes received, in constant time, before trusting the body.",
    "tags": ["webhooks"],
    "examples": [
        OpenApiExample(
            "Routed",
            value={
                "event": "routed",
                "key": "case:123:routed:webhook:2",
                "case": REFERENCE,
                "department": "logistics",
                "priority": "high",
                "status": "routed",
                "subject": "Pedido 12345 sin entregar",
                "url": "https://cx.example.com/admin/feedback/case/123/change/",
                "text": f"{REFERENCE} routed to Logistics (Laura): Pedido 12345 sin entregar",
            },
        )
    ],
    "responses": {
        200: OpenApiResponse(
            description="Any 2xx: delivered. A 4xx other than 429 drops it for good (and too many in a "
            "row switch the destination off); 5xx, 429 and timeouts are retried with back-off."
        )
    },
}
