"""Outbound messages. One class per channel, each with ``notify()``, so
tests and new channels touch one place.

A notifier renders and sends; it does not decide whether to send or what a
failure means for the row: ``notifications.delivery`` claims, retries and
records for every channel alike. What differs by channel is said here:
what to read with a notification (``related``), what to read for a batch
(``prepare``), whether it goes by mail (one connection per batch), the
timeline's line (``describe``), and bookkeeping after a success or a
permanent failure (a webhook destination's failure count).
"""

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, cast

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db.models import F, prefetch_related_objects
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .models import Notification, StaffPreference, WebhookDestination
from .signals import destinations_changed

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def staff_language(user) -> str:
    """The language a staff member reads their emails in: theirs, or the site's.

    No query when the preference was read with the user (``select_related("cx_preference")``).
    """
    try:
        chosen = user.cx_preference.language
    except StaffPreference.DoesNotExist:
        chosen = ""
    return chosen or settings.LANGUAGE_CODE


def email_message(
    *, template: str, context: dict, language: str, to: str, key: str
) -> EmailMultiAlternatives:
    """A case email in plain text and HTML, its subject, text and HTML rendered in ``language``."""
    with translation.override(language):
        subject = render_to_string(f"{template}_subject.txt", context).strip()
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()), body=text, to=[to], headers={"X-CX-Notification": key}
    )
    message.attach_alternative(html, "text/html")
    return message


class DeliveryError(Exception):
    """The channel did not take the message. ``permanent``: retrying will not help."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class Undeliverable(DeliveryError):
    """Nothing was tried (the destination is switched off): permanent, and no fault of the endpoint."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


class GaveUp(DeliveryError):
    """Our side failed on the last attempt (a bug, a template): failed for good, held against no endpoint."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


class Notifier:
    """What every channel offers the delivery path; the defaults suit a channel with no bookkeeping."""

    # Relations read with each notification when it is claimed (select_related).
    related: ClassVar[tuple[str, ...]] = ("case",)
    # Sent over the batch's mail connection (opened once, only if a batch holds one).
    by_mail: ClassVar[bool] = False

    def prepare(self, notifications: Sequence[Notification]) -> None:
        """Read what a batch of this channel's notifications needs, before it is claimed."""

    def notify(self, notification: Notification, *, connection: BaseEmailBackend | None = None) -> None:
        raise NotImplementedError

    def describe(self, notification: Notification) -> str:
        """The timeline's line for a sent notification: to whom or where it went."""
        raise NotImplementedError

    def delivered(self, notifications: Sequence[Notification]) -> None:
        """Bookkeeping after these were sent and recorded sent."""

    def failed(self, notification: Notification, error: DeliveryError, *, now: datetime) -> None:
        """Bookkeeping after a permanent failure, in the transaction that marks it failed."""


class EmailNotifier(Notifier):
    """Email a staff member about a case event, in plain text and HTML.

    ``message()`` renders, ``notify()`` renders and sends: a batch renders
    several and sends them over one mail connection.
    """

    related: ClassVar[tuple[str, ...]] = ("case__customer", "case__department", "recipient__cx_preference")
    by_mail = True

    templates = {
        "routed": "email/case_routed",
        # Moved to another department in the admin (once per move).
        "rerouted": "email/case_rerouted",
        # Added as a watcher by a rule: copied on the case.
        "watching": "email/case_watching",
        # Named in a rule's "notify": told once that the case matched it.
        "rule_notify": "email/case_rule_notify",
        # The customer wrote on their tracking page.
        "customer_message": "email/case_customer_message",
        # 80% of the time to a due date has passed (about: which due date).
        "sla_warning": "email/case_sla_warning",
        # A due date was missed: one step up the chain (backup, then executives).
        "escalated": "email/case_escalated",
    }

    # Events whose key carries ``about`` (case:<id>:<event>:<deadline>[:<level>]:user:<id>).
    keyed = ("sla_warning", "escalated")

    def message(self, notification: Notification) -> EmailMultiAlternatives:
        case = notification.case
        # A staff email always has a recipient (only the customer's has none); the
        # annotation, not a cast, keeps the sending path free of extra calls.
        recipient: User = notification.recipient  # type: ignore[assignment]
        # The text and HTML parts both list the tags: read them once.
        prefetch_related_objects([case], "tags")
        context = {
            "case": case,
            "recipient": recipient,
            # Which due date a warning or an escalation is about, and the step.
            "deadline": notification.about.split(":")[0] if notification.event in self.keyed else "",
            "case_url": settings.SITE_URL + case.get_absolute_url(),
            "matched_rules": [m.get("name", "") for m in (case.decision or {}).get("matches", [])],
        }
        return email_message(
            template=self.templates[notification.event],
            context=context,
            language=staff_language(recipient),
            to=recipient.email,
            key=notification.key,
        )

    def prepare(self, notifications: Sequence[Notification]) -> None:
        # Staff emails list the case's tags: one query for the batch (owner,
        # watchers, people a rule notifies) instead of one per email.
        prefetch_related_objects([n.case for n in notifications], "tags")

    def notify(self, notification: Notification, *, connection: BaseEmailBackend | None = None) -> None:
        """Render and send; ``connection``: an open mail connection to reuse (a batch's)."""
        message = self.message(notification)
        message.connection = connection
        message.send()

    def describe(self, notification: Notification) -> str:
        return notification.recipient.email if notification.recipient else "customer"


class CustomerEmailNotifier(EmailNotifier):
    """Email the case's customer, in the language they wrote in.

    These are messages about their own case (acknowledgement, replies,
    survey), which need no marketing consent.
    """

    templates = {
        "acknowledgement": "email/customer_acknowledgement",
        "reply": "email/customer_reply",
        "survey": "email/customer_survey",
    }

    related = ("case__customer",)

    def prepare(self, notifications: Sequence[Notification]) -> None:
        """Customer emails list no tags: nothing to read ahead."""

    def message(self, notification: Notification) -> EmailMultiAlternatives:
        from feedback.models import CaseEvent

        # The promise is routing's (hours, business hours): read when a message is rendered,
        # so this module does not load routing's.
        from routing.config import promised_first_response

        case = notification.case
        reply = None
        if notification.event == "reply":
            reply = CaseEvent.objects.filter(pk=notification.about, case=case).first()
        context = {
            "case": case,
            "customer": case.customer,
            "reply": reply,
            "promise": promised_first_response(),
            "tracking_url": settings.SITE_URL + reverse("track", args=[case.tracking_token]),
            "survey_url": settings.SITE_URL + reverse("survey", args=[case.tracking_token]),
        }
        return email_message(
            template=self.templates[notification.event],
            context=context,
            language=case.language or settings.LANGUAGE_CODE,
            to=case.customer.email,
            key=notification.key,
        )


def webhook_signature(body: bytes, secret: str) -> str:
    """The X-CX-Signature header value: ``sha256=<hex HMAC-SHA256 of the body>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookNotifier(Notifier):
    """POST a signed JSON summary of a case event to a webhook destination.

    Chat tools show the ``text`` field; integrations read the others. The
    receiver checks ``X-CX-Signature`` against the body with the shared secret.
    A 4xx answer (except 429) is permanent; timeouts, 5xx and 429 are worth
    a retry. ``CX_WEBHOOK_DISABLE_AFTER`` permanent failures in a row switch
    the destination off (a dead endpoint stops costing retries); a success
    resets the count.
    """

    related = ("case__department", "case__owner", "destination")

    summaries = {
        "routed": _("{reference} routed to {department} ({owner}): {subject}"),
        "sla_warning": _("{reference} is close to its due date ({owner}): {subject}"),
        "escalated": _("{reference} is overdue and escalated ({department}): {subject}"),
    }

    def payload(self, notification: Notification) -> dict:
        case = notification.case
        owner = case.owner
        fields = {
            "reference": case.reference or f"#{case.pk}",
            "department": case.department.name if case.department else "-",
            "owner": (owner.get_full_name() or owner.get_username()) if owner else "-",
            "subject": case.subject,
        }
        template = self.summaries.get(notification.event, _("{reference} {event}: {subject}"))
        with translation.override(settings.LANGUAGE_CODE):
            text = str(template).format(**fields, event=notification.event)
        return {
            "event": notification.event,
            "key": notification.key,
            "case": fields["reference"],
            "department": case.department.slug if case.department else None,
            "priority": case.priority,
            "status": case.status,
            "subject": case.subject,
            "url": settings.SITE_URL + case.get_absolute_url(),
            "text": " ".join(text.split()),
        }

    def notify(self, notification: Notification, *, connection: BaseEmailBackend | None = None) -> None:
        destination = notification.destination
        if destination is None or not destination.active or destination.disabled_at:
            raise Undeliverable("The webhook destination is switched off.")
        if urllib.parse.urlsplit(destination.url).scheme not in ("http", "https"):
            # Stored before the field only took http(s), or written around the admin:
            # urllib would read a file: URL or speak FTP.
            raise DeliveryError(f"Not an http(s) URL: {destination.url}", permanent=True)
        body = json.dumps(self.payload(notification), ensure_ascii=False).encode()
        request = urllib.request.Request(  # noqa: S310  (http(s) only, checked above)
            destination.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "CX-Portal-Webhook/1",
                "X-CX-Event": notification.event,
                "X-CX-Delivery": notification.key,
                "X-CX-Signature": webhook_signature(body, destination.secret),
            },
        )
        try:
            # http(s) only, checked above.
            with urllib.request.urlopen(request, timeout=settings.CX_WEBHOOK_TIMEOUT) as response:  # noqa: S310
                response.read(1024)
        except urllib.error.HTTPError as exc:
            permanent = 400 <= exc.code < 500 and exc.code != 429
            raise DeliveryError(f"HTTP {exc.code} from {destination.url}", permanent=permanent) from exc
        except (OSError, ValueError) as exc:  # refused, timed out, DNS, bad URL
            raise DeliveryError(
                f"{type(exc).__name__}: {exc}", permanent=isinstance(exc, ValueError)
            ) from exc

    def describe(self, notification: Notification) -> str:
        # A webhook notification always has a destination (only emails have none).
        return f"webhook: {cast(WebhookDestination, notification.destination).name}"

    def delivered(self, notifications: Sequence[Notification]) -> None:
        WebhookDestination.objects.filter(pk__in={n.destination_id for n in notifications}).update(
            consecutive_failures=0, last_error=""
        )

    def failed(self, notification: Notification, error: DeliveryError, *, now: datetime) -> None:
        if isinstance(error, Undeliverable | GaveUp) or notification.destination_id is None:
            return  # nothing reached the endpoint (switched off, gone, or our own failure): nothing to count
        destinations = WebhookDestination.objects.filter(pk=notification.destination_id)
        destinations.update(consecutive_failures=F("consecutive_failures") + 1, last_error=str(error)[:2000])
        switched_off = destinations.filter(
            disabled_at__isnull=True, consecutive_failures__gte=settings.CX_WEBHOOK_DISABLE_AFTER
        ).update(disabled_at=now)
        if switched_off:
            log.warning(
                "Webhook destination %s switched off after repeated failures: %s",
                notification.destination_id,
                error,
            )
            # update() sends no signal: tell whoever keeps the subscriptions (routing's set-up).
            destinations_changed.send(sender=WebhookDestination)


NOTIFIERS: dict[str, Notifier] = {
    Notification.Channel.EMAIL: EmailNotifier(),
    Notification.Channel.CUSTOMER_EMAIL: CustomerEmailNotifier(),
    Notification.Channel.WEBHOOK: WebhookNotifier(),
}
