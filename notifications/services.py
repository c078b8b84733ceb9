"""Record notifications: one row per message, named by a unique key, queued after commit.

The key names the case, the event (and which instance of it: a reply, a
due date) and the person or destination, so the same message can never be
recorded — or sent — twice. Sending is ``notifications.delivery``'s job.
"""

from django.db import IntegrityError, transaction

from cxportal.tasks import queue

from .models import Notification, WebhookDestination


def notification_key(case_id: int, event: str, about: int | str | None, who: str) -> str:
    """The unique key: case, event (and what it is about) and the person or destination."""
    return f"case:{case_id}:{event}:{about}:{who}" if about else f"case:{case_id}:{event}:{who}"


def staff_notification(
    *, case_id: int, event: str, recipient_id: int, about: int | str | None = None
) -> Notification:
    """An unsaved email notification to a staff member, with its unique key."""
    return Notification(
        key=notification_key(case_id, event, about, f"user:{recipient_id}"),
        case_id=case_id,
        recipient_id=recipient_id,
        event=event,
        about=str(about or ""),
        channel=Notification.Channel.EMAIL,
    )


def customer_notification(*, case_id: int, event: str, about: int | str | None = None) -> Notification:
    """An unsaved email notification to the case's customer, with its unique key."""
    return Notification(
        key=notification_key(case_id, event, about, "customer"),
        case_id=case_id,
        event=event,
        about=str(about or ""),
        channel=Notification.Channel.CUSTOMER_EMAIL,
    )


def webhook_notification(
    *, case_id: int, event: str, destination_id: int, about: int | str | None = None
) -> Notification:
    """An unsaved webhook notification: one per destination, however many staff the event tells."""
    return Notification(
        key=notification_key(case_id, event, about, f"webhook:{destination_id}"),
        case_id=case_id,
        event=event,
        channel=Notification.Channel.WEBHOOK,
        destination_id=destination_id,
    )


def notification_create(
    *,
    case_id: int,
    event: str,
    recipient_id: int | None = None,
    about: int | str | None = None,
    case_is_new: bool = False,
    queue_send: bool = True,
) -> Notification | None:
    """Record a notification and queue its sending after commit.

    ``recipient_id`` is a staff member; without it the case's customer is
    emailed. ``about`` names the event it is about when one case can have
    several (each reply). Returns None if it was recorded before.
    ``case_is_new``: the case was created in this transaction, so nothing
    can be recorded for it yet and the insert needs no savepoint to survive
    a duplicate. Without ``queue_send`` no task is queued: the caller knows
    who sends it (the new case's acknowledgement goes with its first
    routing's emails).
    """
    from .tasks import send_notification

    if recipient_id:
        unsaved = staff_notification(case_id=case_id, event=event, recipient_id=recipient_id, about=about)
    else:
        unsaved = customer_notification(case_id=case_id, event=event, about=about)
    key = unsaved.key
    if case_is_new:
        unsaved.save(force_insert=True)
        notification = unsaved
    else:
        # Insert and let the unique key refuse a second one: no SELECT first.
        try:
            with transaction.atomic():
                unsaved.save(force_insert=True)
                notification = unsaved
        except IntegrityError:
            if Notification.objects.filter(key=key).exists():
                return None
            raise
    if queue_send:
        queue(send_notification, notification.pk)
    if recipient_id:
        # Chat tools subscribed to the event hear of it too, once per destination.
        webhook_notifications_create(case_id=case_id, event=event, about=about)
    return notification


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
    from .tasks import send_webhook

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


def notifications_queue(notifications: list[Notification], *, keys: list[str] | None = None) -> None:
    """Queue, after commit, the sending of notifications recorded together (one event's).

    Emails go in one task (one mail connection), with any pending ones named
    by key; each webhook has its own task, so its retries are its own.
    """
    from .tasks import send_notifications, send_webhook

    emails = [n.pk for n in notifications if n.channel != Notification.Channel.WEBHOOK]
    if emails or keys:
        queue(send_notifications, emails, keys or [])
    for notification in notifications:
        if notification.channel == Notification.Channel.WEBHOOK:
            queue(send_webhook, notification.pk)
