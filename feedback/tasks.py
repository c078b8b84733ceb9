"""Periodic work of the customer side."""

from celery import shared_task
from django.conf import settings

from .privacy import retention_apply


@shared_task
def apply_retention() -> int:
    """Anonymise closed cases older than CX_RETENTION_MONTHS (0 turns it off)."""
    return retention_apply(months=settings.CX_RETENTION_MONTHS)


@shared_task
def forget_intake_keys() -> int:
    """Drop Idempotency-Keys older than CX_INTAKE_KEY_DAYS: retries come within minutes, not weeks."""
    from .services import intake_keys_forget

    return intake_keys_forget(days=settings.CX_INTAKE_KEY_DAYS)
