"""Send recorded notifications: one claim, retry and record path for every channel.

A batch (one event's emails, or one webhook) is read and claimed
(pending -> sending) in one transaction before anything goes out, its rows
locked so a second worker given the same ids skips them: nothing is sent
twice, and a database failure up to the commit leaves them pending for the
retry. Then each goes out through its channel's notifier (emails over one
mail connection). What a failure means is decided here, the same for all:

* permanent (the notifier says so, or it was the task's last attempt):
  marked failed, with the channel's bookkeeping (a webhook destination's
  failure count), never tried again;
* otherwise given back (pending), and the first such failure is raised once
  the others went out, so the task's retry sends only what is still pending.

Sent ones are recorded, with their timeline entries, in one more transaction;
then each channel does its bookkeeping (a webhook destination's count reset).
"""

import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from functools import partial

from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import Error as DatabaseFailure
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from feedback.models import CaseEvent

from .models import Notification
from .notifiers import NOTIFIERS, DeliveryError, GaveUp, Notifier

log = logging.getLogger(__name__)

# Everything any notifier reads with a notification, so one claim query serves a mixed batch.
RELATED = tuple(dict.fromkeys(field for notifier in NOTIFIERS.values() for field in notifier.related))


class ClaimLost(Exception):
    """Another worker claimed part of a batch between its read and its claim."""


# What each task sends: a task for emails never sends a webhook (whose retries are its own), nor the reverse.
EMAILS = (Notification.Channel.EMAIL, Notification.Channel.CUSTOMER_EMAIL)
WEBHOOKS = (Notification.Channel.WEBHOOK,)


def notification_send(
    *,
    notification_id: int,
    channels: Sequence[str] | None = None,
    last_attempt: bool = False,
    now: datetime | None = None,
) -> bool:
    """Send one pending notification. Returns False if it is not ours to send or failed for good."""
    sent = notifications_send(
        notification_ids=[notification_id], channels=channels, last_attempt=last_attempt, now=now
    )
    return sent == 1


def notifications_send(
    *,
    notification_ids: Sequence[int],
    keys: Sequence[str] = (),
    channels: Sequence[str] | None = None,
    last_attempt: bool = False,
    now: datetime | None = None,
) -> int:
    """Send pending notifications (one event's, one case's): returns how many this call sent.

    They are named by id, or by key (``keys``; one that matches nothing is
    no error: a case without an email address has no acknowledgement).
    ``channels``: only those of these channels (the task's own; None: any).
    ``last_attempt``: the task will not retry, so a failure is permanent.
    """
    claimed = _claim(notification_ids, keys, channels)
    if not claimed:
        return 0
    try:
        mail = _open_mail() if any(NOTIFIERS[n.channel].by_mail for n in claimed) else None
    except Exception as exc:
        # No mail server: nothing went out, all of it stays pending for the retry.
        _give_back([n.pk for n in claimed], error=str(exc))
        raise
    sent: list[Notification] = []
    failed: list[tuple[Notification, DeliveryError]] = []
    failure: Exception | None = None
    for notification in claimed:
        try:
            NOTIFIERS[notification.channel].notify(notification, connection=mail)
        except Exception as exc:
            if isinstance(exc, DeliveryError) and exc.permanent:
                failed.append((notification, exc))
            elif last_attempt:
                # No retry left: failed for good, but only the channel's own verdict
                # (a refused or unreachable endpoint) counts against a destination.
                failed.append((notification, exc if isinstance(exc, DeliveryError) else GaveUp(str(exc))))
            else:
                # Not sent: give it back so the retry (or the sweep) can try again.
                _give_back([notification.pk], error=str(exc))
                failure = failure or exc
        else:
            sent.append(notification)
    if mail is not None:
        _close_mail(mail)
    now = now or timezone.now()
    try:
        if sent:
            _on_a_live_connection(partial(_record_sent, sent, now=now))
        # Each channel's bookkeeping (a webhook destination's count) after the record,
        # on its own: failing, it must not leave messages already sent "sending".
        for notifier, ours in _by_channel(sent):
            _on_a_live_connection(partial(notifier.delivered, ours))
    finally:
        for notification, error in failed:
            _on_a_live_connection(partial(_record_failed, notification, error, now=now))
    if failure is not None:
        raise failure
    return len(sent)


def _claim(
    notification_ids: Sequence[int], keys: Sequence[str] = (), channels: Sequence[str] | None = None
) -> list[Notification]:
    """The pending notifications among ``notification_ids`` and ``keys``, claimed for this call.

    Read with all every notifier needs under a row lock that other workers skip.
    """
    if not notification_ids and not keys:
        return []
    named = Q(pk__in=notification_ids) | Q(key__in=keys) if keys else Q(pk__in=notification_ids)
    if channels is not None:
        named &= Q(channel__in=channels)
    with transaction.atomic():
        pending = list(
            Notification.objects.select_related(*RELATED)
            .select_for_update(skip_locked=True, of=("self",))
            .filter(named, status=Notification.Status.PENDING)
            .order_by("pk")
        )
        if not pending:
            return []
        for notifier, ours in _by_channel(pending):
            notifier.prepare(ours)
        claimed = Notification.objects.filter(
            pk__in=[n.pk for n in pending], status=Notification.Status.PENDING
        ).update(status=Notification.Status.SENDING, attempts=F("attempts") + 1, claimed_at=timezone.now())
        if claimed != len(pending):
            # Only where row locks do nothing (SQLite, whose writers queue instead):
            # another worker changed one between the read and the update. Claim
            # nothing; the task's retry reads again.
            raise ClaimLost(f"{len(pending) - claimed} of {len(pending)} notifications claimed elsewhere")
    return pending


def _by_channel(notifications: list[Notification]) -> Iterator[tuple[Notifier, list[Notification]]]:
    """Each channel's notifier with its notifications among ``notifications`` (channels with none skipped)."""
    for channel, notifier in NOTIFIERS.items():
        ours = [n for n in notifications if n.channel == channel]
        if ours:
            yield notifier, ours


def _open_mail() -> BaseEmailBackend:
    mail = get_connection()
    mail.open()
    return mail


def _close_mail(mail: BaseEmailBackend) -> None:
    try:
        mail.close()
    except Exception:
        # The messages were accepted; a failed goodbye must not leave them "sending".
        log.warning("Closing the mail connection failed.", exc_info=True)


def _record_sent(sent: list[Notification], *, now: datetime) -> None:
    """Mark sent notifications sent, with their timeline rows, in one transaction."""
    with transaction.atomic():
        Notification.objects.filter(pk__in=[n.pk for n in sent]).update(
            status=Notification.Status.SENT, sent_at=now, last_error=""
        )
        CaseEvent.objects.bulk_create(
            CaseEvent(
                case_id=n.case_id,
                kind=CaseEvent.Kind.NOTIFIED,
                at=now,
                text=NOTIFIERS[n.channel].describe(n),
                data={"notification": n.key},
            )
            for n in sent
        )


def _record_failed(notification: Notification, error: DeliveryError, *, now: datetime) -> None:
    with transaction.atomic():
        Notification.objects.filter(pk=notification.pk).update(
            status=Notification.Status.FAILED, last_error=str(error)[:2000]
        )
        NOTIFIERS[notification.channel].failed(notification, error, now=now)


def _give_back(notification_ids: list[int], *, error: str) -> None:
    """Mark unsent notifications pending again."""
    _on_a_live_connection(
        lambda: Notification.objects.filter(
            pk__in=notification_ids, status=Notification.Status.SENDING
        ).update(status=Notification.Status.PENDING, last_error=error[:2000])
    )


def _on_a_live_connection(write: Callable[[], object]) -> None:
    """Run ``write``; if the database connection failed, once more on a new one.

    After a message went out (or failed to), its outcome must be recorded:
    a connection dropped meanwhile (a restarted server, a terminated
    backend) would otherwise leave the notification "sending" for good.
    """
    try:
        write()
    except DatabaseFailure:
        if connection.in_atomic_block:
            raise
        connection.close()
        write()


def notification_failed(*, notification_id: int, error: str, now: datetime | None = None) -> bool:
    """Mark an unsent notification failed for good, with its channel's bookkeeping (a webhook's count).

    Returns False, and changes nothing, if it was sent or failed already.
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_related(*RELATED)
            .select_for_update(of=("self",))
            .filter(pk=notification_id, status__in=(Notification.Status.PENDING, Notification.Status.SENDING))
            .first()
        )
        if notification is None:
            return False
        _record_failed(notification, DeliveryError(error, permanent=True), now=now or timezone.now())
    return True
