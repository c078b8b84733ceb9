"""The feedback app's models, one module per job, all importable from here.

``customers`` (customers, identities, merges), ``cases`` (the case, its
choices, timeline and attachments), ``surveys``, ``consents``,
``integrations`` (API and idempotency keys), ``inbound`` (emails read) and
``imports`` (CSV imports). ``attachment_path``, ``import_path`` and
``new_tracking_token`` stay importable here: the migrations name them by
this path.
"""

from .cases import (
    OPEN_STATUSES,
    TRANSITIONS,
    Attachment,
    Case,
    CaseEvent,
    Channel,
    Kind,
    Status,
    attachment_path,
    new_tracking_token,
)
from .consents import Consent, ConsentChannel
from .customers import Customer, CustomerIdentity, CustomerMerge
from .fields import done_by
from .imports import CaseImport, import_path
from .inbound import InboundEmail
from .integrations import IntakeKey, IntegrationKey
from .surveys import SurveyResponse

__all__ = [
    "OPEN_STATUSES",
    "TRANSITIONS",
    "Attachment",
    "Case",
    "CaseEvent",
    "CaseImport",
    "Channel",
    "Consent",
    "ConsentChannel",
    "Customer",
    "CustomerIdentity",
    "CustomerMerge",
    "InboundEmail",
    "IntakeKey",
    "IntegrationKey",
    "Kind",
    "Status",
    "SurveyResponse",
    "attachment_path",
    "done_by",
    "import_path",
    "new_tracking_token",
]
