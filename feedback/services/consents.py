"""The customer's marketing choices per channel, recorded with their history."""

from datetime import datetime

from django.utils import timezone

from ..models import Consent, Customer
from ..selectors import current_consents

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
