"""Celery tasks of the notifications queue: thin wrappers that take ids and call ``delivery``.

Every task is safe to run twice: ``delivery`` claims each notification
before it goes out.
"""

from typing import cast

from celery import Task, shared_task
from django.conf import settings
from django.utils import timezone

from cxportal.tasks import PERIODIC, RETRY, SHORT

from . import delivery
from .models import Notification


@shared_task(**RETRY, **SHORT)
def send_notification(notification_id: int) -> bool:
    return delivery.notification_send(notification_id=notification_id, channels=delivery.EMAILS)


@shared_task(**RETRY, **SHORT)
def send_notifications(notification_ids: list[int], keys: list[str] | None = None) -> int:
    """Send the emails one event causes (a routing: owner, watchers, the acknowledgement) in one task.

    Only those still pending are claimed, so a retry after one failed
    sends only the rest. Returns how many this run sent.
    """
    return delivery.notifications_send(
        notification_ids=notification_ids, keys=keys or (), channels=delivery.EMAILS
    )


@shared_task(bind=True, **RETRY, **SHORT)
def send_webhook(self: Task, notification_id: int) -> bool:
    # The last retry turns a transient failure into a permanent one. RETRY
    # sets ``max_retries``; the stubs type it as the None Celery also allows.
    return delivery.notification_send(
        notification_id=notification_id,
        channels=delivery.WEBHOOKS,
        last_attempt=self.request.retries >= cast(int, self.max_retries),
    )


@shared_task(**PERIODIC)
def sweep_notifications() -> int:
    """Re-queue notifications still pending after a while.

    One claimed ("sending") long ago belonged to a worker that died mid-send:
    it may or may not have gone out, and sending again could notify someone
    twice, so it is marked failed for staff to see in the notification log.
    """
    now = timezone.now()
    Notification.objects.filter(
        status=Notification.Status.SENDING, claimed_at__lt=now - settings.CX_SENDING_TIMEOUT
    ).update(status=Notification.Status.FAILED, last_error="Worker lost while sending; outcome unknown.")
    cutoff = now - settings.CX_REQUEUE_AFTER
    pending = list(
        Notification.objects.filter(status=Notification.Status.PENDING, created_at__lt=cutoff).values_list(
            "pk", "channel"
        )[:1000]
    )
    for notification_id, channel in pending:
        task = send_webhook if channel == Notification.Channel.WEBHOOK else send_notification
        task.delay(notification_id)
    return len(pending)
