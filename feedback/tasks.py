"""Periodic work of the customer side."""

from celery import shared_task
from django.conf import settings

from cxportal.tasks import LONG, PERIODIC

from .privacy import retention_apply


@shared_task(**PERIODIC)
def apply_retention() -> int:
    """Anonymise closed cases older than CX_RETENTION_MONTHS (0 turns it off)."""
    return retention_apply(months=settings.CX_RETENTION_MONTHS)


@shared_task(**PERIODIC)
def forget_intake_keys() -> int:
    """Drop Idempotency-Keys older than CX_INTAKE_KEY_DAYS: retries come within minutes, not weeks."""
    from .services import intake_keys_forget

    return intake_keys_forget(days=settings.CX_INTAKE_KEY_DAYS)


@shared_task(**PERIODIC)
def poll_mailbox() -> dict[str, int]:
    """Read CX_MAILBOX_URL's unread mail into cases; counts by outcome. Safe to run twice (fingerprints)."""
    from .inbound.mailboxes import MailboxConfig
    from .inbound.poll import PollRunning, mailbox_poll

    config = MailboxConfig.from_settings()
    if config is None:  # beat's stored schedule may outlive the setting
        return {}
    try:
        return dict(mailbox_poll(config=config))
    except PollRunning:
        return {"skipped": 1}


# Long, like a what-if trial: one file may hold thousands of cases to write.
@shared_task(**LONG)
def run_case_import(import_id: int) -> bool:
    """Check and write a CSV import; a second run resumes after the batches written. No retry:
    a failed import says why, and uploading the file again skips what is already in."""
    from .imports import case_import_run

    return case_import_run(import_id=import_id)


@shared_task(**PERIODIC)
def requeue_case_imports() -> int:
    """Queue again the imports still queued after CX_REQUEUE_AFTER (the broker was down when they were).

    Running one twice is safe: ``case_import_run`` skips an import no longer
    queued or running, and writes each batch under a lock of the import that
    skips the batches already written.
    """
    from .imports import case_import_requeue

    return case_import_requeue(older_than=settings.CX_REQUEUE_AFTER)
