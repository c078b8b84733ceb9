"""Signed webhooks: record one notification per destination and event, send it once.

Retries with back-off come from the ``send_webhook`` task; this module
decides what a failure means. A permanent failure (a 4xx other than 429, or
the last retry failing) marks the notification failed and counts against
the destination; ``CX_WEBHOOK_DISABLE_AFTER`` such failures in a row switch
the destination off. A success resets the count.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from feedback.models import CaseEvent

from .models import Notification, WebhookDestination
from .notifiers import NOTIFIERS, WebhookError
from .signals import rules_changed

log = logging.getLogger(__name__)


def subscribed_destinations(event: str) -> list[WebhookDestination]:
    """Active, switched-on destinations that asked for ``event``."""
    return [
        destination
        for destination in WebhookDestination.objects.filter(active=True, disabled_at__isnull=True)
        if event in (destination.events or [])
    ]


def webhook_notifications_create(
    *, case_id: int, event: str, about: int | str | None = None
) -> list[Notification]:
    """Record (and queue after commit) one webhook per subscribed destination.

    The key names case, event and destination, so several staff told about
    the same event (three executives) still make one webhook each.
    """
    from .services import webhook_notification
    from .tasks import queue, send_webhook

    created_ones = []
    for destination in subscribed_destinations(event):
        unsaved = webhook_notification(
            case_id=case_id, event=event, destination_id=destination.pk, about=about
        )
        notification, created = Notification.objects.get_or_create(
            key=unsaved.key,
            defaults={
                "case_id": case_id,
                "event": event,
                "channel": Notification.Channel.WEBHOOK,
                "destination": destination,
            },
        )
        if created:
            queue(send_webhook, notification.pk)
            created_ones.append(notification)
    return created_ones


def webhook_send(*, notification_id: int, last_attempt: bool = False, now: datetime | None = None) -> bool:
    """Post one pending webhook. Returns whether it was delivered by this call.

    Claimed (pending -> sending) before the request, like emails, so a
    duplicated task cannot post twice. A transient failure gives it back as
    pending and raises, for the task to retry — unless ``last_attempt``.
    """
    claimed = Notification.objects.filter(
        pk=notification_id, status=Notification.Status.PENDING, channel=Notification.Channel.WEBHOOK
    ).update(status=Notification.Status.SENDING, attempts=F("attempts") + 1, claimed_at=timezone.now())
    if claimed != 1:
        return False
    notification = Notification.objects.select_related("case__department", "case__owner", "destination").get(
        pk=notification_id
    )
    destination = notification.destination
    if destination is None or not destination.active or destination.disabled_at:
        Notification.objects.filter(pk=notification_id).update(
            status=Notification.Status.FAILED, last_error="The webhook destination is switched off."
        )
        return False
    try:
        NOTIFIERS[Notification.Channel.WEBHOOK].notify(notification)
    except WebhookError as exc:
        if exc.permanent or last_attempt:
            webhook_failed(notification_id=notification_id, error=str(exc), now=now)
            return False
        Notification.objects.filter(pk=notification_id).update(
            status=Notification.Status.PENDING, last_error=str(exc)[:2000]
        )
        raise
    now = now or timezone.now()
    with transaction.atomic():
        Notification.objects.filter(pk=notification_id).update(
            status=Notification.Status.SENT, sent_at=now, last_error=""
        )
        WebhookDestination.objects.filter(pk=destination.pk).update(consecutive_failures=0, last_error="")
        CaseEvent.objects.create(
            case_id=notification.case_id,
            kind=CaseEvent.Kind.NOTIFIED,
            at=now,
            text=f"webhook: {destination.name}",
            data={"notification": notification.key},
        )
    return True


def webhook_failed(*, notification_id: int, error: str, now: datetime | None = None) -> None:
    """Mark the notification failed for good; switch the destination off after too many."""
    now = now or timezone.now()
    with transaction.atomic():
        notification = Notification.objects.select_for_update().get(pk=notification_id)
        Notification.objects.filter(pk=notification_id).update(
            status=Notification.Status.FAILED, last_error=error[:2000]
        )
        # A webhook notification always names its destination (the column is nullable for emails).
        WebhookDestination.objects.filter(pk=notification.destination_id).update(  # type: ignore[misc]
            consecutive_failures=F("consecutive_failures") + 1, last_error=error[:2000]
        )
        switched_off = WebhookDestination.objects.filter(
            pk=notification.destination_id,  # type: ignore[misc]
            disabled_at__isnull=True,
            consecutive_failures__gte=settings.CX_WEBHOOK_DISABLE_AFTER,
        ).update(disabled_at=now)
        if switched_off:
            # update() sends no signal: tell the workers' routing set-up directly.
            rules_changed()
    if switched_off:
        log.warning(
            "Webhook destination %s switched off after repeated failures: %s",
            notification.destination_id,
            error,
        )
